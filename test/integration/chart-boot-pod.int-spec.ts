/**
 * Issue 30 (part C): the pod runtime runs a pod the way the kubelet does (env, volumes, user,
 * init containers, probes, restarts, preStop then SIGTERM), and projectImages maps the chart's
 * images to local programs from docker/Dockerfile. Hand-written small pods whose container is a
 * node http server given as an image-less command; one network namespace with a veth pair to
 * the host (the probes go from the host to the pod's address, as the kubelet's do).
 */
import { waitFor } from '@ticketcd/testing';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { heldHostPaths, PodRuntime, projectImages } from '@ticketcd/testing';
import type { IPodSpec, ImageResolver, K8sObject, ObjectStore, PodContext } from '@ticketcd/testing';

const NS = 'tcdpod-x';
const HOST_IF = 'tcdpodh';
const POD_IF = 'tcdpodp';
const HOST_IP = '10.254.99.1';
const POD_IP = '10.254.99.2';
const repoRoot = process.cwd();

/** A small in-memory ObjectStore (the real one is manifests.ts's MemoryStore). */
class TestStore implements ObjectStore {
  readonly namespace = 'tcdpod';
  private readonly objects = new Map<string, K8sObject>();
  private readonly listeners = new Set<(kind: string, name: string) => void>();
  get(kind: string, name: string) {
    return this.objects.get(`${kind}/${name}`);
  }
  list(kind: string) {
    return [...this.objects.values()].filter((o) => o.kind === kind);
  }
  put(obj: K8sObject) {
    this.objects.set(`${obj.kind}/${obj.metadata.name}`, obj);
    for (const l of this.listeners) l(obj.kind, obj.metadata.name);
  }
  delete(kind: string, name: string) {
    const had = this.objects.delete(`${kind}/${name}`);
    for (const l of this.listeners) l(kind, name);
    return had;
  }
  onChange(listener: (kind: string, name: string) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  secretData(name: string) {
    const o = this.get('Secret', name);
    if (!o) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries((o.data ?? {}) as Record<string, string>)) out[k] = Buffer.from(v, 'base64').toString();
    return { ...out, ...((o.stringData ?? {}) as Record<string, string>) };
  }
  configMapData(name: string) {
    return this.get('ConfigMap', name)?.data as Record<string, string> | undefined;
  }
}

const secret = (name: string, data: Record<string, string>): K8sObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});
const configMap = (name: string, data: Record<string, string>): K8sObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
function shQuiet(cmd: string, args: string[]): void {
  try {
    sh(cmd, args);
  } catch {
    /* absent */
  }
}
function removeNetwork(): void {
  shQuiet('ip', ['link', 'del', HOST_IF]);
  shQuiet('ip', ['netns', 'del', NS]);
}

// The server every pod runs: it answers /ready, /healthz (until /sick), /env (what the process
// sees) and /prestop; it logs PRESTOP and SIGTERM so their order shows in the container's log.
const SERVER = `
const http = require('node:http'); const fs = require('node:fs'); const os = require('node:os');
const port = Number(process.env.PORT || 8080);
let healthy = true;
const read = (f) => { try { return fs.readFileSync(f, 'utf8'); } catch (e) { return 'ERR ' + e.code; } };
let tmpWrite = 'not tried'; if (process.env.WRITE_TMP) { try { fs.writeFileSync('/tmp/written-by-pod', 'x'); tmpWrite = 'ok'; } catch (e) { tmpWrite = 'ERR ' + e.code; } }
const server = http.createServer((req, res) => {
  if (req.url === '/ready') return res.end('ok');
  if (req.url === '/healthz') { res.statusCode = healthy ? 200 : 500; return res.end(); }
  if (req.url === '/sick') { healthy = false; return res.end(); }
  if (req.url === '/prestop') { console.log('PRESTOP'); return res.end(); }
  if (req.url === '/env') {
    res.setHeader('content-type', 'application/json');
    return res.end(JSON.stringify({
      env: process.env, pid: process.pid, uid: process.getuid(), gid: process.getgid(), groups: process.getgroups(),
      cwd: process.cwd(), hostname: os.hostname(), tmpWrite,
      files: Object.fromEntries((process.env.READ_FILES || '').split(',').filter(Boolean).map((f) => [f, read(f)])),
    }));
  }
  res.statusCode = 404; res.end();
});
server.listen(port, '0.0.0.0', () => console.log('LISTENING ' + port));
process.on('SIGTERM', () => { console.log('SIGTERM'); server.close(); process.exit(0); });
`;

describe('chart-boot PodRuntime: one pod as the kubelet runs it (issue 30, part C)', () => {
  let skip: string | null = null;
  let work: string;
  let workdir: string;
  let store: TestStore;
  const pods: PodRuntime[] = [];
  const events: string[] = [];
  // A mount point of our own under /etc: created on the host for the pods, removed after them.
  const mnt = `/etc/tcdpod-${process.pid}`;

  const images: ImageResolver = {
    // Image-less pods: the command is given; the "image" only supplies the workdir.
    entry: () => ({ entrypoint: [], cmd: [], workdir }),
    program: (p) => p,
  };

  function makePod(name: string, spec: IPodSpec): PodRuntime {
    const runDir = path.join(work, 'pods', name);
    const ctx: PodContext = {
      name,
      namespace: 'tcdpod',
      uid: randomUUID(),
      labels: { app: 'tcdpod' },
      annotations: {},
      spec,
      network: { ns: NS, ip: POD_IP },
      store,
      images,
      runDir,
      claimDir: (claim) => path.join(work, 'claims', claim),
      serviceAccountToken: (sa) => `token-of-${sa}`,
      kubernetesEnv: { KUBERNETES_SERVICE_HOST: HOST_IP, KUBERNETES_SERVICE_PORT: '443' },
      log: (l) => events.push(l),
    };
    const pod = new PodRuntime(ctx);
    pods.push(pod);
    return pod;
  }

  const server = (extra: Record<string, unknown> = {}) => ({
    name: 'web',
    image: 'example/web:1',
    // Relative to the workdir (under /tmp, where an emptyDir is mounted): the CI-clone case.
    command: [process.execPath, 'server.js'],
    ports: [{ name: 'http', containerPort: 8080 }],
    ...extra,
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Seen = Record<string, any>;
  async function getJson(p: string): Promise<Seen> {
    const res = await fetch(`http://${POD_IP}:8080${p}`, { signal: AbortSignal.timeout(3000) });
    return (await res.json()) as Seen;
  }

  beforeAll(() => {
    removeNetwork();
    try {
      sh('ip', ['netns', 'add', NS]);
      sh('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
      sh('ip', ['link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', POD_IF]);
      sh('ip', ['link', 'set', POD_IF, 'netns', NS]);
      sh('ip', ['addr', 'add', `${HOST_IP}/30`, 'dev', HOST_IF]);
      sh('ip', ['link', 'set', HOST_IF, 'up']);
      sh('ip', ['-n', NS, 'addr', 'add', `${POD_IP}/30`, 'dev', POD_IF]);
      sh('ip', ['-n', NS, 'link', 'set', POD_IF, 'up']);
    } catch (e) {
      skip = `network namespaces are not permitted here: ${(e as Error).message}`;
      removeNetwork();
      console.warn(`chart-boot-pod: SKIPPED: ${skip}`);
    }
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'tcdpod-'));
    // The image's workdir, readable by uid 1000.
    workdir = path.join(work, 'app');
    fs.mkdirSync(workdir);
    fs.writeFileSync(path.join(workdir, 'server.js'), SERVER);
    fs.chmodSync(work, 0o755);
    fs.chmodSync(workdir, 0o755);
    store = new TestStore();
  });

  afterEach(async () => {
    if (process.env.TCDPOD_DEBUG) {
      for (const p of pods) fs.appendFileSync('/tmp/wt30-pod-debug.log', JSON.stringify(p.statuses()) + '\n' + p.logs('web') + '\n');
      fs.appendFileSync('/tmp/wt30-pod-debug.log', events.join('\n') + '\n----\n');
    }
    await Promise.all(pods.splice(0).map((p) => p.kill()));
  });

  afterAll(() => {
    removeNetwork();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('env from a Secret and a ConfigMap (envFrom, valueFrom, fieldRef podIP, $(VAR)), volume files readable by runAsUser 1000, one pid from ip netns exec to the program, mount points removed after', async () => {
    if (skip) return;
    store.put(configMap('app-config', { MODE: 'test', 'bad=key': 'skipped' }));
    // helm renders an empty `data:` as null: the ConfigMap exists, with no keys.
    store.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'empty-config' }, data: null });
    store.put(configMap('app-files', { 'app.conf': 'listen 8080\n' }));
    store.put(secret('app-secret', { password: 's3cret', 'tls.key': 'KEY' }));
    const pod = makePod('envpod-0', {
      securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 2000, runAsNonRoot: true },
      automountServiceAccountToken: false,
      containers: [
        server({
          envFrom: [{ configMapRef: { name: 'app-config' }, prefix: 'CFG_' }, { configMapRef: { name: 'empty-config' } }],
          env: [
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'password' } } },
            { name: 'MISSING_OK', valueFrom: { secretKeyRef: { name: 'nope', key: 'x', optional: true } } },
            { name: 'GREETING', value: 'hello $(POD_NAME) at $(POD_IP), $$(NOT_EXPANDED)' },
            { name: 'WRITE_TMP', value: '1' },
            { name: 'READ_FILES', value: `${mnt}/conf/app.conf,${mnt}/tls/tls.key` },
          ],
          readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1 },
          volumeMounts: [
            { name: 'files', mountPath: `${mnt}/conf` },
            { name: 'tls', mountPath: `${mnt}/tls`, readOnly: true },
            { name: 'tmp', mountPath: '/tmp' },
          ],
        }),
      ],
      volumes: [
        { name: 'files', configMap: { name: 'app-files' } },
        { name: 'tls', secret: { secretName: 'app-secret', defaultMode: 0o440, items: [{ key: 'tls.key', path: 'tls.key' }] } },
        { name: 'tmp', emptyDir: {} },
      ],
    });
    await pod.start();
    await waitFor(() => pod.ready, { timeoutMs: 20_000, what: 'envpod ready' });
    expect(pod.phase).toBe('Running');
    const seen = await getJson('/env');
    expect(seen.env).toMatchObject({
      CFG_MODE: 'test',
      POD_NAME: 'envpod-0',
      POD_IP: POD_IP,
      PASSWORD: 's3cret',
      GREETING: `hello envpod-0 at ${POD_IP}, $(NOT_EXPANDED)`,
      HOSTNAME: 'envpod-0',
      KUBERNETES_SERVICE_HOST: HOST_IP,
    });
    expect(seen.env).not.toHaveProperty('MISSING_OK');
    expect(seen.env).not.toHaveProperty('CFG_bad=key');
    expect(seen.env.PATH.split(':')[0]).toContain(path.dirname(process.execPath).split('/').slice(-2).join('/'));
    // runAsUser/runAsGroup honoured, fsGroup as a supplementary group, the hostname the pod's.
    expect(seen).toMatchObject({ uid: 1000, gid: 1000, hostname: 'envpod-0', tmpWrite: 'ok' });
    expect(seen.groups).toContain(2000);
    // The configMap file (0644) and the 0440 Secret item (group fsGroup) are readable by uid 1000.
    expect(seen.files).toEqual({ [`${mnt}/conf/app.conf`]: 'listen 8080\n', [`${mnt}/tls/tls.key`]: 'KEY' });
    // The workdir under /tmp (hidden by the emptyDir there) was reached through the stage.
    expect(seen.cwd.endsWith(workdir)).toBe(true);
    // The exec chain kept one pid: the pid we signal is the program's.
    expect(seen.pid).toBe(pod.pid('web'));
    expect(fs.readFileSync(`/proc/${seen.pid}/cmdline`, 'utf8').split('\0')).toContain('server.js');
    // The mount points exist on the host only while a pod holds them; the host's /tmp is untouched.
    expect(fs.existsSync(`${mnt}/conf`)).toBe(true);
    expect(heldHostPaths()).toContain(mnt);
    expect(fs.existsSync('/tmp/written-by-pod')).toBe(false);
    await pod.terminate(5);
    expect(pod.phase).toBe('Gone');
    expect(fs.existsSync(mnt)).toBe(false);
    expect(heldHostPaths()).toEqual([]);
  });

  it('readiness on a wrong path keeps the container unready, the reason naming the path and status (the right path passes: the other pods)', async () => {
    if (skip) return;
    const pod = makePod('readypod-0', {
      automountServiceAccountToken: false,
      containers: [server({ readinessProbe: { httpGet: { path: '/wrong', port: 'http' }, periodSeconds: 1, failureThreshold: 1 } })],
    });
    await pod.start();
    const reason = await waitFor(() => pod.statuses()[0].reason?.includes('statuscode: 404') && pod.statuses()[0].reason, {
      timeoutMs: 15_000,
      what: 'readiness failure reason',
    });
    expect(reason).toMatch(/^Readiness probe failed: HTTP probe failed with statuscode: 404 \(GET http:\/\/10\.254\.99\.2:8080\/wrong\)/);
    // Several more probes, still not ready (the server itself answers: only the path is wrong).
    await waitFor(async () => (await fetch(`http://${POD_IP}:8080/ready`)).ok, { what: 'server up' });
    await new Promise((r) => setTimeout(r, 2500));
    expect(pod.ready).toBe(false);
    expect(pod.statuses()[0]).toMatchObject({ state: 'running', ready: false, restarts: 0 });
  });

  it('a liveness failure restarts the container (restarts counted, the reason kept), which then passes again', async () => {
    if (skip) return;
    const pod = makePod('livepod-0', {
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 5,
      containers: [
        server({
          livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1, failureThreshold: 2 },
          readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 1 },
        }),
      ],
    });
    await pod.start();
    await waitFor(() => pod.ready, { timeoutMs: 15_000, what: 'livepod ready' });
    const firstPid = pod.pid('web');
    await fetch(`http://${POD_IP}:8080/sick`);
    await waitFor(() => pod.statuses()[0].restarts === 1, { timeoutMs: 20_000, what: 'a restart' });
    await waitFor(() => pod.ready, { timeoutMs: 20_000, what: 'ready again after the restart' });
    const st = pod.statuses()[0];
    expect(st.reason).toMatch(/Liveness probe failed: HTTP probe failed with statuscode: 500/);
    expect(pod.pid('web')).not.toBe(firstPid);
    // The log holds both runs (restarts append); the first ended by SIGTERM.
    expect(pod.logs('web').match(/LISTENING 8080/g)).toHaveLength(2);
    expect(pod.logs('web')).toContain('SIGTERM');
  });

  it('a pod waits for a missing Secret (the reason says which) and starts once it is in the store', async () => {
    if (skip) return;
    const pod = makePod('waitpod-0', {
      automountServiceAccountToken: false,
      containers: [server({ env: [{ name: 'LATE', valueFrom: { secretKeyRef: { name: 'late-secret', key: 'value' } } }] })],
    });
    let started = false;
    const starting = pod.start().then(() => (started = true));
    await waitFor(() => pod.statuses()[0].reason?.includes('secret "late-secret" not found'), { what: 'waiting reason' });
    expect(pod.statuses()[0]).toMatchObject({ state: 'waiting', reason: 'CreateContainerConfigError: secret "late-secret" not found' });
    expect(pod.phase).toBe('Pending');
    expect(started).toBe(false);
    store.put(secret('late-secret', { value: 'arrived' }));
    await starting;
    expect(pod.phase).toBe('Running');
    await waitFor(async () => (await getJson('/env')).env.LATE === 'arrived', { timeoutMs: 15_000, what: 'env from the late Secret' });
  });

  it('a Secret volume not in the store holds the whole pod (ContainerCreating, no init container runs) until it is put; a change of it reaches the file', async () => {
    if (skip) return;
    const pod = makePod('volwait-0', {
      automountServiceAccountToken: false,
      initContainers: [{ name: 'first', image: 'example/tools:1', command: ['sh', '-c', 'echo init ran'] }],
      containers: [
        server({
          env: [{ name: 'READ_FILES', value: `${mnt}/peer/tls.crt` }],
          volumeMounts: [{ name: 'peer', mountPath: `${mnt}/peer`, readOnly: true }],
        }),
      ],
      volumes: [{ name: 'peer', secret: { secretName: 'late-peer-tls', defaultMode: 0o440 } }],
    });
    const starting = pod.start();
    await waitFor(() => pod.statuses()[0].reason?.startsWith('ContainerCreating'), { what: 'ContainerCreating' });
    expect(pod.statuses().map((s) => s.reason)).toEqual([
      'ContainerCreating: MountVolume.SetUp failed for volume "peer": secret "late-peer-tls" not found',
      'ContainerCreating: MountVolume.SetUp failed for volume "peer": secret "late-peer-tls" not found',
    ]);
    expect(pod.logs('first')).toBe('');
    store.put(secret('late-peer-tls', { 'tls.crt': 'CERT' }));
    await starting;
    await waitFor(async () => (await getJson('/env')).files[`${mnt}/peer/tls.crt`] === 'CERT', {
      timeoutMs: 15_000,
      what: 'the Secret file',
    });
    expect(pod.logs('first')).toBe('init ran');
    // A changed Secret reaches the mounted file without a restart (the kubelet's volume sync).
    store.put(secret('late-peer-tls', { 'tls.crt': 'CERT2' }));
    await waitFor(async () => (await getJson('/env')).files[`${mnt}/peer/tls.crt`] === 'CERT2', {
      timeoutMs: 15_000,
      what: 'the updated file',
    });
    expect(pod.statuses()[1].restarts).toBe(0);
  });

  it('an init container failing is restarted with back-off; the containers start after it succeeds; a Job-like pod ends Succeeded', async () => {
    if (skip) return;
    const pod = makePod('initpod-0', {
      automountServiceAccountToken: false,
      restartPolicy: 'OnFailure',
      securityContext: { runAsUser: 1000, runAsGroup: 1000 },
      initContainers: [
        {
          name: 'count',
          image: 'example/tools:1',
          // Fails on its first run, passes on the second (the count lives in the shared emptyDir).
          command: [
            'sh',
            '-c',
            'n=$(cat "$1/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$1/count"; echo "attempt $n"; [ "$n" -ge 2 ]',
            'sh',
            `${mnt}/shared`,
          ],
          volumeMounts: [{ name: 'shared', mountPath: `${mnt}/shared` }],
        },
      ],
      containers: [
        {
          name: 'job',
          image: 'example/tools:1',
          command: ['sh', '-c', 'echo "main saw $(cat "$1/count")"', 'sh', `${mnt}/shared`],
          volumeMounts: [{ name: 'shared', mountPath: `${mnt}/shared` }],
        },
      ],
      volumes: [{ name: 'shared', emptyDir: {} }],
    });
    await pod.start();
    await waitFor(() => pod.phase === 'Succeeded', { timeoutMs: 20_000, what: 'Succeeded' });
    const [init, main] = pod.statuses();
    expect(init).toMatchObject({ name: 'count', init: true, restarts: 1, state: 'terminated', lastExitCode: 0 });
    expect(main).toMatchObject({ name: 'job', state: 'terminated', lastExitCode: 0, restarts: 0 });
    expect(pod.logs('count')).toBe('attempt 1\nattempt 2');
    expect(pod.logs('job')).toBe('main saw 2');
  });

  it('terminate(): not ready at once, preStop runs (inside the pod) before SIGTERM, the process is gone after, the run dir removed', async () => {
    if (skip) return;
    const pod = makePod('stoppod-0', {
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 10,
      containers: [
        server({
          readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1 },
          lifecycle: {
            preStop: {
              exec: {
                command: [process.execPath, '-e', "fetch('http://127.0.0.1:8080/prestop').then(() => setTimeout(() => {}, 1000))"],
              },
            },
          },
        }),
      ],
    });
    await pod.start();
    await waitFor(() => pod.ready, { timeoutMs: 15_000, what: 'stoppod ready' });
    const pid = pod.pid('web')!;
    const runDir = path.join(work, 'pods', 'stoppod-0');
    expect(fs.existsSync(runDir)).toBe(true);
    const ending = pod.terminate();
    expect(pod.ready).toBe(false);
    expect(pod.phase).toBe('Terminating');
    await ending;
    expect(pod.phase).toBe('Gone');
    const lines = pod.logs('web').split('\n');
    expect(lines).toEqual(['LISTENING 8080', 'PRESTOP', 'SIGTERM']);
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    expect(fs.existsSync(runDir)).toBe(false);
    expect(pod.statuses()[0]).toMatchObject({ state: 'terminated', lastExitCode: 0 });
  });

  it('kill() during a long preStop (a force delete) SIGKILLs at once instead of waiting out the grace period', async () => {
    if (skip) return;
    const pod = makePod('killpod-0', {
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 60,
      containers: [server({ lifecycle: { preStop: { sleep: { seconds: 50 } } } })],
    });
    await pod.start();
    await waitFor(() => pod.ready, { timeoutMs: 15_000, what: 'killpod ready' });
    // No readiness probe: ready once started; wait for the server itself.
    await waitFor(async () => (await fetch(`http://${POD_IP}:8080/ready`)).ok, { timeoutMs: 15_000, what: 'server up' });
    const pid = pod.pid('web')!;
    const ending = pod.terminate();
    await waitFor(() => events.includes('pod killpod-0: preStop of web'), { what: 'preStop running' });
    const t0 = Date.now();
    await pod.kill();
    await ending;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(pod.phase).toBe('Gone');
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
    // Killed, not terminated: the server never saw a SIGTERM.
    expect(pod.logs('web')).toBe('LISTENING 8080');
    expect(pod.statuses()[0]).toMatchObject({ state: 'terminated', lastExitCode: 137 });
  });

  it('projectImages(repo): the Dockerfile stages, tini dropped, /app -> the repo; etcd and nats to the local binaries; the exporter to null', () => {
    const resolver = projectImages(repoRoot);
    expect(resolver.entry('ticketcd/gateway:0.1.0')).toMatchObject({
      entrypoint: [],
      cmd: ['node', 'services/gateway/dist/main.js'],
      workdir: repoRoot,
      env: { NODE_ENV: 'production', HTTP_PORT: '8080', WEB_DIR: path.join(repoRoot, 'services/web/dist') },
      user: { uid: 1000, gid: 1000 },
    });
    expect(resolver.entry('ticketcd/tools:0.1.0')).toMatchObject({ entrypoint: ['node'], cmd: ['--version'], workdir: repoRoot });
    expect(resolver.entry('gcr.io/etcd-development/etcd:v3.5.16')).toMatchObject({ cmd: ['/usr/local/bin/etcd'] });
    const etcd = resolver.program('/usr/local/bin/etcd');
    expect(path.basename(etcd)).toBe('etcd');
    expect(sh(etcd, ['--version'])).toMatch(/etcd Version: 3\.5\./);
    expect(resolver.entry('nats:2.10.27-alpine')).toMatchObject({ cmd: ['nats-server', '--config', '/etc/nats/nats-server.conf'] });
    expect(resolver.entry('natsio/prometheus-nats-exporter:0.17.3')).toBeNull();
    expect(resolver.program('node')).toBe('node');
  });
});
