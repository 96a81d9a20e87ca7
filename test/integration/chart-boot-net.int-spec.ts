/**
 * Issue 30, part A: the booted chart's network. Two pods (network namespaces on one bridge) with
 * the cluster names in /etc/netns/<ns>/hosts; guards what the boot test relies on:
 *  - a pod reaches another pod by a hosts name, the host reaches a pod's IP, a pod reaches the
 *    host's bridge address (where the fake API server listens);
 *  - a hosts change is seen by a process already running in the pod (rewritten in place);
 *  - a name not in hosts fails fast (no resolver to wait for);
 *  - a Service address forwards to its endpoints round robin, follows their change, passes a
 *    half-close through, and refuses at once when there is none;
 *  - removePod / addPod gives a new IP; destroy() leaves no namespace, link or /etc/netns dir.
 * Skipped (with the reason in its name) where network namespaces are not permitted.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
// The lead exports chart-boot from @ticketcd/testing when merging issue 30's parts.
import { ClusterNetwork, ServiceProxy, type PodNetwork } from '@ticketcd/testing';

const reason = await ClusterNetwork.permitted();
const ID = `netint-${process.pid}`;

function sh(cmd: string, args: string[], timeoutMs = 15_000): Promise<{ out: string; err: string }> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (e, out, err) =>
      e ? reject(new Error(`${cmd} ${args.slice(0, 4).join(' ')}: ${err || e.message}`)) : resolve({ out, err }),
    ),
  );
}

/** A short-lived node in the pod (as a probe or a client would run there). */
async function nodeInPod(pod: PodNetwork, script: string): Promise<string> {
  return (await sh('ip', ['netns', 'exec', pod.ns, process.execPath, '-e', script])).out.trim();
}

/** An HTTP server on :8080 saying who it is (and resolving names on /lookup, from its running process), a half-close echo on :9000. */
const SERVER = `
const http = require('node:http'), net = require('node:net'), dns = require('node:dns');
const me = process.argv[1];
http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  if (u.pathname === '/lookup') {
    dns.lookup(u.searchParams.get('name'), { family: 4 }, (e, addr) => res.end(JSON.stringify(e ? { error: e.code } : { addr })));
  } else res.end(JSON.stringify({ pod: me }));
}).listen(8080, '0.0.0.0', () => {
  net.createServer({ allowHalfOpen: true }, (s) => {
    let got = '';
    s.on('data', (d) => (got += d));
    s.on('end', () => s.end(me + ':' + got.toUpperCase()));
  }).listen(9000, '0.0.0.0', () => console.log('listening'));
});
`;

function startServer(pod: PodNetwork, name: string): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', pod.ns, process.execPath, '-e', SERVER, name], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => String(d).includes('listening') && resolve(child));
    child.once('exit', (code) => reject(new Error(`server in ${pod.ns} exited ${code}: ${err}`)));
  });
}

async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

async function getJson(url: string): Promise<Record<string, string>> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return (await res.json()) as Record<string, string>;
}

/** A raw connection: what the client sees (data, or the error that ended it). */
function tcpExchange(host: string, port: number, send: string): Promise<{ data: string; error?: string }> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, allowHalfOpen: true });
    let data = '';
    const timer = setTimeout(() => s.destroy(new Error('HUNG')), 5_000);
    s.on('connect', () => s.end(send));
    s.on('data', (d) => (data += d));
    s.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ data, error: e.code ?? e.message });
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ data });
    });
  });
}

const suite = reason ? describe.skip : describe;
if (reason) console.warn(`chart-boot-net skipped: ${reason}`);

suite(`chart-boot network: pods on a bridge, hosts names, Service proxy${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let cluster: ClusterNetwork;
  let a: PodNetwork;
  let b: PodNetwork;
  let serverA: ChildProcess | undefined;
  let serverB: ChildProcess | undefined;
  let hostServer: http.Server | undefined;
  let proxy: ServiceProxy | undefined;
  let echoProxy: ServiceProxy | undefined;
  let svcIp: string;
  let endpoints: { ip: string; port: number }[] = [];
  const names = () => [
    { ip: a.ip, names: ['pod-a', 'pod-a.ns.svc.cluster.local'] },
    { ip: b.ip, names: ['pod-b'] },
    { ip: svcIp, names: ['svc', 'svc.ns.svc.cluster.local'] },
  ];

  beforeAll(async () => {
    cluster = await ClusterNetwork.create(ID);
    a = await cluster.addPod('pod-a');
    b = await cluster.addPod('pod-b');
    svcIp = await cluster.addServiceIp();
    cluster.setHosts(names());
    serverA = await startServer(a, 'a');
    serverB = await startServer(b, 'b');
  }, 30_000);

  afterAll(async () => {
    // The runtime stops processes before the network goes (removePod kills nothing).
    await stopProcess(serverA);
    await stopProcess(serverB);
    await proxy?.stop();
    await echoProxy?.stop();
    await new Promise((r) => (hostServer ? hostServer.close(r) : r(undefined)));
    await cluster?.destroy();
  }, 30_000);

  it('gives each pod its own namespace and address in a private /16, the host at .1', () => {
    expect(cluster.hostIp).toMatch(/^10\.(\d+)\.0\.1$/);
    expect(cluster.hostIp).not.toMatch(/^10\.0\./);
    const prefix = cluster.hostIp.split('.').slice(0, 2).join('.');
    expect(a.ip.startsWith(prefix + '.') && b.ip.startsWith(prefix + '.')).toBe(true);
    expect(new Set([a.ip, b.ip, cluster.hostIp, svcIp]).size).toBe(4);
    expect(a.ns.startsWith(`${ID}_`)).toBe(true);
    expect(cluster.bridge.length).toBeLessThanOrEqual(15);
  });

  it('a pod reaches another pod by its hosts name', async () => {
    const out = await nodeInPod(b, `fetch('http://pod-a.ns.svc.cluster.local:8080/').then(r => r.text()).then(t => console.log(t))`);
    expect(JSON.parse(out)).toEqual({ pod: 'a' });
  });

  it("the host reaches a pod's IP, and a pod reaches the host's bridge address", async () => {
    expect(await getJson(`http://${a.ip}:8080/`)).toEqual({ pod: 'a' });
    hostServer = http.createServer((_req, res) => res.end(JSON.stringify({ pod: 'host' })));
    await new Promise<void>((r) => hostServer!.listen(0, cluster.hostIp, r));
    const port = (hostServer.address() as net.AddressInfo).port;
    const out = await nodeInPod(a, `fetch('http://${cluster.hostIp}:${port}/').then(r => r.text()).then(t => console.log(t))`);
    expect(JSON.parse(out)).toEqual({ pod: 'host' });
  });

  it('a hosts change is seen by a process already running in the pod (same file, rewritten in place)', async () => {
    const file = `/etc/netns/${a.ns}/hosts`;
    const inode = fs.statSync(file).ino;
    expect(await getJson(`http://${a.ip}:8080/lookup?name=late-name`)).toEqual({ error: 'ENOTFOUND' });
    cluster.setHosts([...names(), { ip: b.ip, names: ['late-name'] }]);
    // serverA started before the change: it resolves the new name through its bind mount.
    expect(await getJson(`http://${a.ip}:8080/lookup?name=late-name`)).toEqual({ addr: b.ip });
    expect(fs.statSync(file).ino).toBe(inode);
    expect(fs.readFileSync(file, 'utf8')).toContain('127.0.0.1\tlocalhost');
  });

  it('a name not in hosts fails fast in a pod (no resolver to wait for)', async () => {
    const out = await nodeInPod(
      b,
      `const t = Date.now(); require('node:dns').lookup('not-there.ns.svc.cluster.local', (e) => console.log(JSON.stringify({ code: e && e.code, ms: Date.now() - t })))`,
    );
    const { code, ms } = JSON.parse(out) as { code: string; ms: number };
    // The host's resolver settings (5 s timeout, 2 attempts, a nameserver the pod cannot reach) take >= 10 s.
    expect(ms).toBeLessThan(5_000);
    expect(code).toBe('ENOTFOUND'); // hosts from files only (nsswitch.conf): NXDOMAIN-like, not a DNS timeout
  });

  it('a Service address forwards to its endpoints: round robin, follows their change, refuses with none', async () => {
    const logs: string[] = [];
    proxy = new ServiceProxy({ ip: svcIp, port: 80, endpoints: () => endpoints, log: (l) => logs.push(l) });
    await proxy.start();
    const viaB = () => nodeInPod(b, `fetch('http://svc/').then(r => r.text()).then(t => console.log(JSON.parse(t).pod))`);

    endpoints = [{ ip: a.ip, port: 8080 }];
    expect(await viaB()).toBe('a');
    endpoints = [{ ip: b.ip, port: 8080 }];
    expect(await viaB()).toBe('b');
    endpoints = [
      { ip: a.ip, port: 8080 },
      { ip: b.ip, port: 8080 },
    ];
    const two = [(await getJson(`http://${svcIp}/`)).pod, (await getJson(`http://${svcIp}/`)).pod];
    expect(two.sort()).toEqual(['a', 'b']);

    endpoints = [];
    const refusedBefore = proxy.stats.refused;
    const started = Date.now();
    const seen = await tcpExchange(svcIp, 80, 'GET / HTTP/1.0\r\n\r\n');
    expect(seen.data).toBe('');
    expect(seen.error).toBe('ECONNRESET');
    expect(Date.now() - started).toBeLessThan(4_000); // well under the 5 s 'HUNG' mark
    // From a pod, too: the client sees a failure, not a hang.
    const fromPod = await nodeInPod(
      b,
      `fetch('http://svc/').then(() => console.log('ok'), (e) => console.log('failed ' + (e.cause && e.cause.code)))`,
    );
    expect(fromPod).toMatch(/^failed /);
    expect(proxy.stats.refused).toBe(refusedBefore + 2);

    // An endpoint that refuses (nothing listens there): the client is reset, the proxy lives on.
    endpoints = [{ ip: a.ip, port: 8099 }];
    expect((await tcpExchange(svcIp, 80, 'x')).error).toBe('ECONNRESET');
    expect(proxy.stats.refused).toBe(refusedBefore + 3);
    endpoints = [{ ip: a.ip, port: 8080 }];
    expect(await viaB()).toBe('a');
    expect(logs.some((l) => l.includes('no endpoints'))).toBe(true);
  });

  it('passes a half-close through (the client ends, then reads the whole answer)', async () => {
    echoProxy = new ServiceProxy({ ip: svcIp, port: 9000, endpoints: () => [{ ip: b.ip, port: 9000 }] });
    await echoProxy.start();
    expect(await tcpExchange(svcIp, 9000, 'hello')).toEqual({ data: 'b:HELLO' });
    expect(echoProxy.stats).toEqual({ connections: 1, refused: 0 });
  });

  it('removePod drops the namespace and its files; the pod comes back with a new IP', async () => {
    await stopProcess(serverB);
    const old = b;
    await cluster.removePod('pod-b');
    expect((await sh('ip', ['netns', 'list'])).out).not.toContain(old.ns);
    expect(fs.existsSync(`/etc/netns/${old.ns}`)).toBe(false);
    b = await cluster.addPod('pod-b');
    expect(b.ns).toBe(old.ns);
    expect(b.ip).not.toBe(old.ip);
    // A new pod gets the current hosts before anything runs in it.
    expect(fs.readFileSync(`/etc/netns/${b.ns}/hosts`, 'utf8')).toBe(cluster.hostsText);
    cluster.setHosts(names());
    serverB = await startServer(b, 'b');
    expect(await nodeInPod(a, `fetch('http://pod-b:8080/').then(r => r.text()).then(t => console.log(JSON.parse(t).pod))`)).toBe('b');
  });

  it("cleanup(id) removes a crashed run's leftovers by name, and only that id's", async () => {
    // A second network whose id starts with this one's: it gets its own /16, and its cleanup
    // (as after a crash: the object is gone, the names are not) leaves this network alone.
    const crashed = await ClusterNetwork.create(`${ID}-x`);
    try {
      expect(crashed.cidr).not.toBe(cluster.cidr);
      const p = await crashed.addPod('pod-a');
      await ClusterNetwork.cleanup(`${ID}-x`);
      expect((await sh('ip', ['netns', 'list'])).out).not.toContain(p.ns);
      expect((await sh('ip', ['-o', 'link', 'show'])).out).not.toContain(crashed.bridge);
      expect(fs.existsSync(`/etc/netns/${p.ns}`)).toBe(false);
      expect((await sh('ip', ['netns', 'list'])).out).toContain(a.ns);
      expect(await getJson(`http://${a.ip}:8080/`)).toEqual({ pod: 'a' });
    } finally {
      await crashed.destroy();
    }
  });

  it('destroy() leaves no namespace, bridge, veth or /etc/netns dir, and may be called again', async () => {
    await stopProcess(serverA);
    await stopProcess(serverB);
    await proxy?.stop();
    await echoProxy?.stop();
    const bridge = cluster.bridge;
    await cluster.destroy();
    await cluster.destroy();
    const netns = (await sh('ip', ['netns', 'list'])).out;
    expect(netns).not.toContain(`${ID}_`);
    const links = (await sh('ip', ['-o', 'link', 'show'])).out;
    expect(links).not.toContain(bridge);
    expect(links).not.toMatch(new RegExp(`\\d+: tcv${bridge.slice(6, 12)}`));
    expect(fs.readdirSync('/etc/netns').filter((d) => d.startsWith(`${ID}_`))).toEqual([]);
    expect((await sh('ip', ['-4', 'addr', 'show'])).out).not.toContain(cluster.hostIp);
  });
});
