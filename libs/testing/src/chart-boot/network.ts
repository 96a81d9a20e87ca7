/**
 * Issue 30, the pods' network: one network namespace per pod, each with a veth pair to one bridge
 * on the host, all in a private /16 (10.x.0.0/16, x derived from the id and not already routed).
 *
 *  - pod -> pod: bridged (L2), no forwarding, no host routing involved;
 *  - pod -> host (the API server on hostIp, Service addresses): local delivery on the bridge, so
 *    ip_forward stays as it is (off on these machines) and no NAT is needed;
 *  - host -> pod: the /16's kernel route on the bridge.
 * rp_filter: the replies' route back to a pod address is the bridge itself, so even a strict host
 * setting passes; inside the pods (own namespaces) it is set to 0 anyway. bridge-nf-call-iptables
 * is host-wide (and cannot be turned off per bridge): it only matters when iptables has rules,
 * and none of ours depend on it.
 *
 * Names: the bridge `tcdnet<8 hex of the id>`, the host veths `tcv<6 hex><n base36>` (<= 15
 * chars), the pod side is `eth0` made directly inside the namespace; namespaces `<id>_<pod>` (the
 * `_` cannot occur in a pod name, so one id's cleanup never takes another's). Each pod's
 * /etc/netns/<ns>/{hosts,resolv.conf,nsswitch.conf} exist before any process is started there: `ip netns exec`
 * bind-mounts them over /etc at exec time, so hosts is rewritten in place (same inode) for running
 * processes to see new names.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { PodNetwork } from './types.js';

const IP_TIMEOUT_MS = 10_000;
const NETNS_ETC = '/etc/netns';
const ID_RE = /^[a-z0-9][a-z0-9-]{0,39}$/;
const POD_RE = /^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/;
// Names not in hosts fail fast: the pods' nsswitch.conf looks hosts up in files only (an unknown
// name is ENOTFOUND at once, as NXDOMAIN from cluster DNS would be; glibc and Go's resolver both
// read it), and resolvers that go to DNS themselves (c-ares: dns.resolve) find no server that
// answers (127.0.0.1:53 refuses in the pod) after one try of one second at most.
const RESOLV_CONF = 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n';
function nsswitchConf(): string {
  let host = 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n';
  try {
    host = fs.readFileSync('/etc/nsswitch.conf', 'utf8');
  } catch {
    // none on the host: the minimal one above
  }
  // The host's, with hosts from files only (users and groups still resolve as on the host).
  return /^hosts:/m.test(host) ? host.replace(/^hosts:.*$/m, 'hosts:          files') : host + 'hosts:          files\n';
}

/** `ip ...` with a deadline; the error names the command and its stderr. */
function ip(args: string[], timeoutMs = IP_TIMEOUT_MS): Promise<string> {
  return run('ip', args, timeoutMs);
}

function run(cmd: string, args: string[], timeoutMs = IP_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const why = err.killed ? `timed out after ${timeoutMs} ms` : (stderr || err.message).trim();
        reject(new Error(`${cmd} ${args.join(' ')}: ${why}`));
      } else resolve(stdout);
    });
  });
}

function hash(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

function checkId(id: string): void {
  if (!ID_RE.test(id)) throw new Error(`ClusterNetwork id ${JSON.stringify(id)}: want [a-z0-9-], up to 40 chars`);
}

/** The names one id owns (cleanup finds leftovers by them). */
function namesOf(id: string) {
  const h = hash(id);
  return {
    bridge: `tcdnet${h.slice(0, 8)}`,
    vethPrefix: `tcv${h.slice(0, 6)}`,
    nsPrefix: `${id}_`,
  };
}

/** The namespaces `ip netns list` shows (first word of each line: "name (id: n)"). */
async function netnsList(): Promise<string[]> {
  const out = await ip(['netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter(Boolean);
}

/** Interface names in this (the host's) namespace. */
async function linkNames(): Promise<string[]> {
  const out = await ip(['-o', 'link', 'show']);
  // "12: tcv1234560@if2: <...>" -> tcv1234560
  return out
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((n): n is string => !!n);
}

/** Every IPv4 prefix the host routes or holds (all tables), to keep our /16 clear of them. */
async function usedPrefixes(): Promise<{ net: number; bits: number }[]> {
  const out = (await ip(['-4', 'route', 'show', 'table', 'all'])) + '\n' + (await ip(['-4', '-o', 'addr', 'show']));
  const found: { net: number; bits: number }[] = [];
  for (const m of out.matchAll(/(?:^|\s)(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?/g)) {
    const bits = m[2] === undefined ? 32 : Number(m[2]);
    found.push({ net: ipToInt(m[1]), bits });
  }
  return found;
}

function ipToInt(a: string): number {
  return a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function overlaps(a: { net: number; bits: number }, b: { net: number; bits: number }): boolean {
  const bits = Math.min(a.bits, b.bits);
  if (bits === 0) return false; // a default route: overlaps everything, blocks nothing
  const mask = bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits) >>> 0;
  return (a.net & mask) >>> 0 === (b.net & mask) >>> 0;
}

export interface PodEntry extends PodNetwork {
  veth: string;
}

export class ClusterNetwork {
  readonly hostIp: string;
  readonly bridge: string;
  /** The /16, e.g. 10.37.0.0/16. */
  readonly cidr: string;
  private readonly pods = new Map<string, PodEntry>();
  private readonly serviceIps: string[] = [];
  private hosts = '';
  private nextPod = 0;
  private nextVeth = 0;
  private destroyed = false;

  private constructor(
    readonly id: string,
    private readonly octet: number,
  ) {
    this.bridge = namesOf(id).bridge;
    this.hostIp = `10.${octet}.0.1`;
    this.cidr = `10.${octet}.0.0/16`;
    this.hosts = ClusterNetwork.hostsContent([]);
  }

  /** null when this machine lets us make network namespaces, else why not (the test skips with it). */
  static async permitted(): Promise<string | null> {
    if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
    if (process.getuid?.() !== 0) return 'network namespaces need root (ip netns add); not running as root';
    try {
      await ip(['-V']);
    } catch (e) {
      return `iproute2 \`ip\` not usable: ${(e as Error).message}`;
    }
    // The real thing, briefly: a namespace with a veth into it, then gone.
    const probe = `tcdprobe${process.pid % 100000}`;
    try {
      await ip(['netns', 'add', probe]);
      try {
        await ip(['link', 'add', probe, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', probe]);
        await ip(['link', 'del', probe]);
      } finally {
        await ip(['netns', 'del', probe]);
      }
      fs.mkdirSync(NETNS_ETC, { recursive: true });
      fs.accessSync(NETNS_ETC, fs.constants.W_OK);
    } catch (e) {
      await ip(['link', 'del', probe]).catch(() => undefined);
      await ip(['netns', 'del', probe]).catch(() => undefined);
      return `network namespaces not permitted here: ${(e as Error).message}`;
    }
    return null;
  }

  /** A bridge (name derived from `id`, <= 15 chars) with the host at .1 of a private /16 (10.x.0.0/16, x from id). */
  static async create(id: string): Promise<ClusterNetwork> {
    checkId(id);
    // A crashed run of the same id left things behind: they would collide (names, addresses).
    await ClusterNetwork.cleanup(id);
    const used = await usedPrefixes();
    const start = parseInt(hash(id).slice(0, 4), 16) % 254;
    let octet = 0;
    for (let i = 0; i < 254 && !octet; i++) {
      const x = ((start + i) % 254) + 1; // 1..254: never 10.0.0.0/16, never 10.255 (broadcast-ish)
      const mine = { net: ipToInt(`10.${x}.0.0`), bits: 16 };
      if (!used.some((u) => overlaps(u, mine))) octet = x;
    }
    if (!octet) throw new Error('ClusterNetwork: no free 10.x.0.0/16 (every one overlaps a route or address)');
    const net = new ClusterNetwork(id, octet);
    try {
      const br = net.bridge;
      await ip(['link', 'add', 'name', br, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
      // A fixed MAC: a bridge otherwise takes its lowest port's, which changes as pods come and
      // go and leaves the pods' ARP entry for hostIp stale (seconds of lost packets).
      const h = hash(id);
      await ip(['link', 'set', br, 'address', `02:${h.slice(8, 10)}:${h.slice(10, 12)}:${h.slice(12, 14)}:${h.slice(14, 16)}:01`]);
      await ip(['addr', 'add', `${net.hostIp}/16`, 'dev', br]);
      await ip(['link', 'set', br, 'up']);
    } catch (e) {
      await net.destroy().catch(() => undefined);
      throw e;
    }
    return net;
  }

  /**
   * Removes everything an id made: its namespaces (and their /etc/netns dirs), host veths and
   * bridge. For leftovers of a crashed run; destroy() does the same for a live one.
   */
  static async cleanup(id: string): Promise<void> {
    checkId(id);
    const { bridge, vethPrefix, nsPrefix } = namesOf(id);
    const errors: string[] = [];
    const attempt = (p: Promise<unknown>) => p.catch((e: Error) => errors.push(e.message));
    for (const link of await linkNames()) {
      // Deleting one end of a veth pair deletes the other (the pod's eth0) too.
      if (link.startsWith(vethPrefix)) await attempt(ip(['link', 'del', link]));
    }
    for (const ns of await netnsList()) {
      if (ns.startsWith(nsPrefix)) await attempt(ip(['netns', 'del', ns]));
    }
    if ((await linkNames()).includes(bridge)) await attempt(ip(['link', 'del', bridge]));
    if (fs.existsSync(NETNS_ETC)) {
      for (const dir of fs.readdirSync(NETNS_ETC)) {
        if (dir.startsWith(nsPrefix)) fs.rmSync(path.join(NETNS_ETC, dir), { recursive: true, force: true });
      }
    }
    if (errors.length) throw new Error(`ClusterNetwork.cleanup(${id}): ${errors.join('; ')}`);
  }

  /** The pods now on the network, by pod name. */
  get podNetworks(): ReadonlyMap<string, PodNetwork> {
    return this.pods;
  }

  /** netns + veth pair + a NEW ip each call (never reused), lo up, default route via hostIp. */
  async addPod(podName: string): Promise<PodNetwork> {
    if (this.destroyed) throw new Error('ClusterNetwork: destroyed');
    if (!POD_RE.test(podName)) throw new Error(`pod name ${JSON.stringify(podName)} is not a DNS subdomain`);
    if (this.pods.has(podName)) throw new Error(`pod ${podName} is already on the network (removePod first)`);
    const ns = `${namesOf(this.id).nsPrefix}${podName}`;
    const n = this.nextPod++;
    // Pods 10.x.1.1 .. 10.x.127.254; Service addresses live from 10.x.128.1 up.
    if (n >= 127 * 254) throw new Error('ClusterNetwork: pod addresses exhausted');
    const podIp = `10.${this.octet}.${1 + Math.floor(n / 254)}.${(n % 254) + 1}`;
    const veth = `${namesOf(this.id).vethPrefix}${(this.nextVeth++).toString(36)}`;
    const entry: PodEntry = { ns, ip: podIp, veth };
    this.pods.set(podName, entry);
    try {
      // The files first: a process started with `ip netns exec` before they exist keeps the
      // host's /etc/hosts and resolv.conf for its whole life.
      const dir = path.join(NETNS_ETC, ns);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'hosts'), this.hosts);
      fs.writeFileSync(path.join(dir, 'resolv.conf'), RESOLV_CONF);
      fs.writeFileSync(path.join(dir, 'nsswitch.conf'), nsswitchConf());
      await ip(['netns', 'add', ns]);
      await ip(['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await ip(['link', 'set', veth, 'master', this.bridge]);
      await ip(['link', 'set', veth, 'up']);
      await ip(['-n', ns, 'addr', 'add', `${podIp}/16`, 'dev', 'eth0']);
      await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
      await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
      await ip(['-n', ns, 'route', 'add', 'default', 'via', this.hostIp]);
      // Inside the pod only: loose reverse-path checks and the kernel's defaults elsewhere.
      await ip(['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.eth0.rp_filter=0']);
    } catch (e) {
      await this.removePod(podName).catch(() => undefined);
      throw e;
    }
    return { ns, ip: podIp };
  }

  /** Deletes netns (kills nothing: the runtime stopped processes first), veth, hosts file. */
  async removePod(podName: string): Promise<void> {
    const entry = this.pods.get(podName);
    if (!entry) return;
    const errors: string[] = [];
    if ((await linkNames()).includes(entry.veth)) await ip(['link', 'del', entry.veth]).catch((e: Error) => errors.push(e.message));
    if ((await netnsList()).includes(entry.ns)) await ip(['netns', 'del', entry.ns]).catch((e: Error) => errors.push(e.message));
    fs.rmSync(path.join(NETNS_ETC, entry.ns), { recursive: true, force: true });
    this.pods.delete(podName);
    if (errors.length) throw new Error(`removePod ${podName}: ${errors.join('; ')}`);
  }

  /** An extra address on the host side of the bridge (a Service's ClusterIP). */
  async addServiceIp(): Promise<string> {
    if (this.destroyed) throw new Error('ClusterNetwork: destroyed');
    const n = this.serviceIps.length;
    if (n >= 127 * 254) throw new Error('ClusterNetwork: Service addresses exhausted');
    const addr = `10.${this.octet}.${128 + Math.floor(n / 254)}.${(n % 254) + 1}`;
    // /32: only the local route; pods find it on-link in their /16 and the host answers ARP for it.
    await ip(['addr', 'add', `${addr}/32`, 'dev', this.bridge]);
    this.serviceIps.push(addr);
    return addr;
  }

  /**
   * Writes the same hosts content to /etc/netns/<ns>/hosts of every pod (in place: same inode,
   * since `ip netns exec` bind-mounts it) and to new pods. Includes the localhost lines.
   */
  setHosts(entries: { ip: string; names: string[] }[]): void {
    this.hosts = ClusterNetwork.hostsContent(entries);
    for (const { ns } of this.pods.values()) {
      writeInPlace(path.join(NETNS_ETC, ns, 'hosts'), this.hosts);
    }
  }

  /** The hosts content now written to every pod. */
  get hostsText(): string {
    return this.hosts;
  }

  /** Every netns, veth, bridge, address and /etc/netns dir made; idempotent. */
  async destroy(): Promise<void> {
    this.destroyed = true;
    this.pods.clear();
    this.serviceIps.length = 0;
    // By name, not from memory: also catches what a failed step half-made.
    await ClusterNetwork.cleanup(this.id);
  }

  private static hostsContent(entries: { ip: string; names: string[] }[]): string {
    const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
    for (const e of entries) if (e.names.length) lines.push(`${e.ip}\t${e.names.join(' ')}`);
    return lines.join('\n') + '\n';
  }
}

/**
 * Same inode: `ip netns exec` bind-mounted this file over /etc/hosts of every process already
 * running in the pod; a new file renamed over it would not be seen by them. One write from offset
 * 0, then the truncate: a concurrent reader sees the old or the new lines, not an empty file.
 */
function writeInPlace(file: string, content: string): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT);
  try {
    const buf = Buffer.from(content);
    fs.writeSync(fd, buf, 0, buf.length, 0);
    fs.ftruncateSync(fd, buf.length);
  } finally {
    fs.closeSync(fd);
  }
}
