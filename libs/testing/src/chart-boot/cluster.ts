/**
 * Issue 30: the controllers of a booted release. What Kubernetes' controllers and kube-proxy do
 * for the objects the chart renders, as far as one machine can: a Job's pod until it succeeds, a
 * StatefulSet's pods by ordinal with their claims, a Deployment's pods and its rolling update
 * (maxSurge / maxUnavailable), each Service's endpoints (ready pods matching its selector) behind
 * a Service address (kube-proxy) or, headless, in every pod's hosts file.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectImages } from './images.js';
import { FakeKubeApi } from './kube-api.js';
import { MemoryStore } from './manifests.js';
import { ClusterNetwork } from './network.js';
import { PodRuntime } from './pod.js';
import { ServiceProxy } from './service-proxy.js';
import type { IPodSpec, K8sObject, PodContext } from './types.js';

const CLUSTER_DOMAIN = 'cluster.local';
const WORKLOADS = ['Job', 'StatefulSet', 'Deployment'] as const;
type WorkloadKind = (typeof WORKLOADS)[number];

export interface BootOptions {
  /** Names the network, namespaces and run dir (a few letters: it goes into interface names). */
  id: string;
  /** The rendered objects (renderChart). */
  objects: K8sObject[];
  namespace: string;
  /** The repo whose dist/ the project's images map to. */
  repoRoot: string;
  log?: (line: string) => void;
}

export interface BootPod {
  name: string;
  owner: { kind: WorkloadKind; name: string };
  /** The template hash it was made from (a rollout replaces pods of another hash). */
  hash: string;
  runtime: PodRuntime;
  ip: string;
  labels: Record<string, string>;
  deleting: boolean;
}

interface ServiceState {
  name: string;
  headless: boolean;
  ip?: string;
  proxies: ServiceProxy[];
}

const hashOf = (template: unknown) => createHash('sha256').update(JSON.stringify(template)).digest('hex').slice(0, 10);
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

async function until<T>(what: string, timeoutMs: number, check: () => T | null | undefined | false, why?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${why ? `\n${why()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class BootCluster {
  readonly store: MemoryStore;
  readonly pods = new Map<string, BootPod>();
  private readonly services = new Map<string, ServiceState>();
  private readonly runRoot: string;
  private readonly log: (line: string) => void;
  private jobAttempts = new Map<string, number>();
  private stopped = false;
  private lastHosts = '';
  private readonly toStart: BootPod[] = [];
  private lastHostsPods = -1;
  private reconciling: Promise<void> | null = null;
  private again = false;
  private unsubscribe: () => void = () => undefined;
  private readonly app: { root: string; nodeDir: string; release(): void };

  private constructor(
    private readonly opts: BootOptions,
    readonly net: ClusterNetwork,
    readonly api: FakeKubeApi,
    store: MemoryStore,
  ) {
    this.store = store;
    this.log = opts.log ?? (() => undefined);
    this.runRoot = fs.mkdtempSync(path.join(os.tmpdir(), `chart-boot-${opts.id}-`));
    this.app = appRoot(opts.repoRoot, this.log);
  }

  /** Makes the network and the API, applies the objects and starts their pods (not waiting for readiness). */
  static async start(opts: BootOptions): Promise<BootCluster> {
    await ClusterNetwork.cleanup(opts.id);
    const net = await ClusterNetwork.create(opts.id);
    const store = new MemoryStore(opts.namespace, []);
    let api: FakeKubeApi | undefined;
    try {
      // Puts kube-root-ca.crt into the store, as every namespace has it.
      api = await FakeKubeApi.start(store, { host: net.hostIp, port: 6443 });
      const cluster = new BootCluster(opts, net, api, store);
      await cluster.apply(opts.objects);
      return cluster;
    } catch (e) {
      await api?.stop().catch(() => undefined);
      await net.destroy().catch(() => undefined);
      throw e;
    }
  }

  /** Creates or replaces objects (an upgrade): changed pod templates roll as their controller does. */
  async apply(objects: K8sObject[]): Promise<void> {
    for (const o of objects) {
      if (o.kind === 'Pod') continue; // `helm test` pods: run on demand (runTestPod)
      this.store.put({ ...o, metadata: { ...o.metadata, namespace: this.opts.namespace } });
    }
    for (const s of this.store.list('Service')) if (!this.services.has(s.metadata.name)) await this.addService(s);
    this.unsubscribe();
    this.unsubscribe = this.store.onChange(() => this.kick());
    this.kick();
    await this.reconciling;
  }

  private async addService(svc: K8sObject): Promise<void> {
    const headless = svc.spec?.clusterIP === 'None';
    const state: ServiceState = { name: svc.metadata.name, headless, proxies: [] };
    this.services.set(state.name, state);
    if (headless) return;
    state.ip = await this.net.addServiceIp();
    for (const port of (svc.spec?.ports ?? []) as { port: number; targetPort?: number | string }[]) {
      const proxy = new ServiceProxy({
        ip: state.ip,
        port: port.port,
        endpoints: () => this.endpoints(svc.metadata.name, port.targetPort ?? port.port),
        log: (l) => this.log(`[svc ${state.name}] ${l}`),
      });
      await proxy.start();
      state.proxies.push(proxy);
    }
  }

  /** A Service's ready endpoints for a target port (a number, or a container port's name). */
  endpoints(service: string, targetPort: number | string): { ip: string; port: number }[] {
    const svc = this.store.get('Service', service);
    const out: { ip: string; port: number }[] = [];
    for (const p of this.pods.values()) {
      if (p.deleting || !p.runtime.ready || !matches(svc?.spec?.selector, p.labels)) continue;
      const port = typeof targetPort === 'number' ? targetPort : this.namedPort(p, targetPort);
      if (port !== undefined) out.push({ ip: p.ip, port });
    }
    return out;
  }

  private namedPort(p: BootPod, name: string): number | undefined {
    const spec = this.templateOf(p.owner.kind, p.owner.name)?.spec as IPodSpec | undefined;
    for (const c of spec?.containers ?? []) for (const port of c.ports ?? []) if (port.name === name) return port.containerPort;
    return undefined;
  }

  /** The Service's address (ClusterIP) and port, for clients on the host. */
  serviceUrl(service: string, scheme = 'http'): string {
    const state = this.services.get(service);
    const svc = this.store.get('Service', service);
    if (!state?.ip || !svc) throw new Error(`no Service address for ${service}`);
    return `${scheme}://${state.ip}:${svc.spec.ports[0].port}`;
  }

  private templateOf(kind: WorkloadKind, name: string): K8sObject['spec']['template'] | undefined {
    const o = this.store.get(kind, name);
    return o?.spec?.template;
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.reconciling) {
      this.again = true;
      return;
    }
    this.reconciling = (async () => {
      do {
        this.again = false;
        await this.reconcile().catch((e: unknown) => this.log(`reconcile failed: ${(e as Error).stack}`));
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.reconciling = null;
    });
  }

  /** One pass of every controller; pod changes call it again. */
  private async reconcile(): Promise<void> {
    for (const job of this.store.list('Job')) await this.reconcileJob(job);
    for (const sts of this.store.list('StatefulSet')) await this.reconcileStatefulSet(sts);
    for (const dep of this.store.list('Deployment')) await this.reconcileDeployment(dep);
    this.startPending();
  }

  private podsOf(kind: WorkloadKind, name: string): BootPod[] {
    return [...this.pods.values()].filter((p) => p.owner.kind === kind && p.owner.name === name);
  }

  private async reconcileJob(job: K8sObject): Promise<void> {
    const name = job.metadata.name;
    const pods = this.podsOf('Job', name);
    if (pods.some((p) => p.runtime.phase === 'Succeeded')) return;
    const live = pods.filter((p) => !p.deleting && p.runtime.phase !== 'Failed' && p.runtime.phase !== 'Gone');
    if (live.length > 0) return;
    const attempts = this.jobAttempts.get(name) ?? 0;
    if (attempts > (job.spec?.backoffLimit ?? 6)) return;
    this.jobAttempts.set(name, attempts + 1);
    await this.createPod('Job', name, `${name}-${randomBytes(3).toString('hex').slice(0, 5)}`, job.spec.template);
  }

  private async reconcileStatefulSet(sts: K8sObject): Promise<void> {
    const name = sts.metadata.name;
    const replicas: number = sts.spec?.replicas ?? 1;
    const hash = hashOf(sts.spec.template);
    const pods = this.podsOf('StatefulSet', name);
    const ordered = sts.spec?.podManagementPolicy !== 'Parallel';
    let created = false;
    for (let i = 0; i < replicas; i++) {
      const podName = `${name}-${i}`;
      if (this.pods.has(podName)) continue;
      // OrderedReady: pod i waits for every lower ordinal to be ready.
      if (ordered && pods.some((p) => Number(p.name.slice(name.length + 1)) < i && !p.runtime.ready)) return;
      await this.createPod('StatefulSet', name, podName, sts.spec.template, { hash, statefulSet: sts });
      created = true;
      if (ordered) return;
    }
    // A pod just made is not ready: nothing else moves in this pass (a rolling update would
    // otherwise take the next ordinal down beside it).
    if (created) return;
    // Scale down: the highest ordinal first, one at a time.
    const extra = pods.filter((p) => Number(p.name.slice(name.length + 1)) >= replicas && !p.deleting);
    if (extra.length > 0) {
      const last = extra.sort((a, b) => Number(b.name.slice(name.length + 1)) - Number(a.name.slice(name.length + 1)))[0]!;
      void this.deletePod(last.name);
      return;
    }
    // RollingUpdate: the highest ordinal of an old template first, once every pod is ready.
    if (sts.spec?.updateStrategy?.type === 'OnDelete') return;
    if (pods.some((p) => p.deleting || !p.runtime.ready)) return;
    const old = pods
      .filter((p) => p.hash !== hash)
      .sort((a, b) => Number(b.name.slice(name.length + 1)) - Number(a.name.slice(name.length + 1)));
    if (old[0]) void this.deletePod(old[0].name);
  }

  private async reconcileDeployment(dep: K8sObject): Promise<void> {
    const name = dep.metadata.name;
    const replicas: number = dep.spec?.replicas ?? 1;
    const hash = hashOf(dep.spec.template);
    const pods = this.podsOf('Deployment', name).filter((p) => !p.deleting);
    const current = pods.filter((p) => p.hash === hash);
    const old = pods.filter((p) => p.hash !== hash);
    const ru = dep.spec?.strategy?.rollingUpdate ?? {};
    const amount = (v: unknown, dflt: string, up: boolean) => {
      const s = String(v ?? dflt);
      if (!s.endsWith('%')) return Number(s);
      const x = (replicas * Number(s.slice(0, -1))) / 100;
      return up ? Math.ceil(x) : Math.floor(x);
    };
    const maxSurge = amount(ru.maxSurge, '25%', true);
    const maxUnavailable = amount(ru.maxUnavailable, '25%', false);
    // New pods: up to replicas + maxSurge in all.
    const want = Math.min(replicas, replicas + maxSurge - old.length);
    for (let n = current.length; n < want; n++)
      await this.createPod(
        'Deployment',
        name,
        `${name}-${hash.slice(0, 8)}-${randomBytes(3).toString('hex').slice(0, 5)}`,
        dep.spec.template,
        { hash },
      );
    // Old pods go while at least replicas - maxUnavailable stay ready.
    const ready = pods.filter((p) => p.runtime.ready).length;
    let canRemove = ready - (replicas - maxUnavailable);
    for (const p of old.sort((a, b) => Number(a.runtime.ready) - Number(b.runtime.ready))) {
      if (!p.runtime.ready || canRemove > 0) {
        if (p.runtime.ready) canRemove--;
        void this.deletePod(p.name);
      }
    }
    // Scale down extra current pods (replicas lowered).
    for (const p of current.slice(replicas)) void this.deletePod(p.name);
  }

  private async createPod(
    kind: WorkloadKind,
    owner: string,
    name: string,
    template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: IPodSpec },
    extra: { hash?: string; statefulSet?: K8sObject } = {},
  ): Promise<void> {
    const network = await this.net.addPod(name);
    const runDir = path.join(this.runRoot, 'pods', `${name}-${randomBytes(3).toString('hex')}`);
    fs.mkdirSync(runDir, { recursive: true });
    const spec: IPodSpec = { ...template.spec };
    // A StatefulSet's pod: hostname = pod name, subdomain = the governing Service.
    if (extra.statefulSet) {
      spec.hostname = name;
      spec.subdomain = extra.statefulSet.spec.serviceName;
    }
    const ctx: PodContext = {
      name,
      namespace: this.opts.namespace,
      uid: randomBytes(16).toString('hex'),
      labels: template.metadata?.labels ?? {},
      annotations: template.metadata?.annotations ?? {},
      spec,
      network,
      store: this.store,
      images: projectImages(this.app.root),
      nodeDir: this.app.nodeDir,
      runDir,
      claimDir: (claim) => {
        const dir = path.join(this.runRoot, 'claims', `${claim}-${name}`);
        fs.mkdirSync(dir, { recursive: true });
        return dir;
      },
      serviceAccountToken: (sa) => this.api.tokenFor(sa),
      kubernetesEnv: this.api.kubernetesEnv(),
      log: (line) => this.log(`[${name}] ${line}`),
    };
    const runtime = new PodRuntime(ctx);
    const pod: BootPod = {
      name,
      owner: { kind, name: owner },
      hash: extra.hash ?? '',
      runtime,
      ip: network.ip,
      labels: ctx.labels,
      deleting: false,
    };
    this.pods.set(name, pod);
    this.writeHosts();
    let last = '';
    runtime.onChange(() => {
      // Each change of phase, readiness or a container's state, once, in the boot's log.
      const now = `${runtime.phase}${runtime.ready ? ' ready' : ''} ${runtime
        .statuses()
        .map((c) => `${c.name}:${c.state}${c.ready ? '+' : ''}/${c.restarts}${c.reason ? ` (${c.reason})` : ''}`)
        .join(' ')}`;
      if (now !== last) this.log(`[${name}] ${(last = now)}`);
      this.writeHosts();
      this.kick();
    });
    this.log(`[${name}] created (${kind} ${owner}) at ${network.ip}`);
    this.toStart.push(pod);
  }

  /**
   * Starts the pods made in this pass, after the hosts files name them all: the members of a
   * Parallel StatefulSet resolve each other's names from their first start.
   */
  private startPending(): void {
    this.writeHosts();
    for (const pod of this.toStart.splice(0))
      void pod.runtime.start().catch((e: unknown) => this.log(`[${pod.name}] start failed: ${(e as Error).message}`));
  }

  /**
   * Deletes a pod as the API does: out of the endpoints at once, then its termination (preStop,
   * SIGTERM, grace); its controller makes a replacement (a new IP, as a rescheduled pod gets).
   * `wipeClaims`: its volumes are lost too (a replaced node with local storage).
   */
  async deletePod(name: string, opts: { wipeClaims?: boolean; force?: boolean } = {}): Promise<void> {
    const pod = this.pods.get(name);
    if (!pod || pod.deleting) return;
    pod.deleting = true;
    this.writeHosts();
    this.log(`[${name}] deleting${opts.wipeClaims ? ' (claims wiped)' : ''}`);
    if (opts.force) await pod.runtime.kill();
    else await pod.runtime.terminate();
    await this.net.removePod(name).catch((e: unknown) => this.log(`[${name}] network removal: ${(e as Error).message}`));
    if (opts.wipeClaims) {
      for (const d of fs.existsSync(path.join(this.runRoot, 'claims')) ? fs.readdirSync(path.join(this.runRoot, 'claims')) : [])
        if (d.endsWith(`-${name}`)) fs.rmSync(path.join(this.runRoot, 'claims', d), { recursive: true, force: true });
    }
    this.pods.delete(name);
    this.log(`[${name}] deleted`);
    this.kick();
  }

  /** `kubectl rollout restart`: a new template annotation, so every pod is replaced by the strategy. */
  async rolloutRestart(kind: 'Deployment' | 'StatefulSet', name: string): Promise<void> {
    const o = structuredClone(this.store.get(kind, name));
    if (!o) throw new Error(`no ${kind} ${name}`);
    o.spec.template.metadata ??= {};
    o.spec.template.metadata.annotations = {
      ...o.spec.template.metadata.annotations,
      'kubectl.kubernetes.io/restartedAt': new Date().toISOString(),
    };
    this.store.put(o);
  }

  /**
   * Waits until a workload runs its current template everywhere, ready (a Job: succeeded). Fails
   * with the stuck pods' container statuses (probe failures, exit codes, missing Secrets).
   */
  async waitRolledOut(kind: WorkloadKind, name: string, timeoutMs = 120_000): Promise<void> {
    await until(
      `${kind} ${name} rolled out`,
      timeoutMs,
      () => {
        const o = this.store.get(kind, name);
        if (!o) return false;
        const pods = this.podsOf(kind, name).filter((p) => !p.deleting);
        if (kind === 'Job') return pods.some((p) => p.runtime.phase === 'Succeeded');
        const hash = hashOf(o.spec.template);
        const replicas = o.spec.replicas ?? 1;
        return (
          pods.length === replicas && pods.every((p) => p.hash === hash && p.runtime.ready) && this.podsOf(kind, name).length === replicas
        );
      },
      () => this.describe(kind, name),
    );
  }

  /**
   * Waits until a rollout is stuck on a pod of the current template: started but failing its
   * readiness probe, or ended with an error or restarted. Returns the workload's description
   * (whose lines say why), as `kubectl rollout status` would leave you to find out.
   */
  async waitStalled(kind: WorkloadKind, name: string, timeoutMs = 60_000): Promise<string> {
    return until(
      `${kind} ${name} stalled`,
      timeoutMs,
      () => {
        const o = this.store.get(kind, name);
        if (!o) return null;
        const hash = hashOf(o.spec.template);
        const stuck = this.podsOf(kind, name).some(
          (p) =>
            !p.deleting &&
            p.hash === hash &&
            !p.runtime.ready &&
            p.runtime
              .statuses()
              .some(
                (c) =>
                  !c.skipped &&
                  ((c.started && !c.ready && /^Readiness/.test(c.reason ?? '')) || c.restarts > 0 || (c.lastExitCode ?? 0) !== 0),
              ),
        );
        return stuck ? this.describe(kind, name) : null;
      },
      () => this.describe(kind, name),
    );
  }

  /** Every workload rolled out and every Job done. */
  async waitSettled(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const kind of WORKLOADS)
      for (const o of this.store.list(kind)) await this.waitRolledOut(kind, o.metadata.name, Math.max(1000, deadline - Date.now()));
  }

  /** The state of a workload's pods, for failure messages. */
  describe(kind: WorkloadKind, name: string): string {
    return this.podsOf(kind, name)
      .map((p) => {
        const cs = p.runtime
          .statuses()
          .map(
            (c) =>
              `    ${c.init ? 'init ' : ''}${c.name}: ${c.skipped ? `skipped (${c.skipped})` : `${c.state}${c.ready ? ' ready' : ''}, restarts ${c.restarts}${c.lastExitCode !== undefined ? `, last exit ${c.lastExitCode}` : ''}${c.reason ? `, ${c.reason}` : ''}`}`,
          )
          .join('\n');
        return `  pod ${p.name} ${p.runtime.phase}${p.runtime.ready ? ' ready' : ''}${p.deleting ? ' deleting' : ''} at ${p.ip}\n${cs}`;
      })
      .join('\n');
  }

  /** Every workload's pods and containers (a failed boot's message). */
  describeAll(): string {
    return WORKLOADS.flatMap((kind) =>
      this.store.list(kind).map((o) => `${kind} ${o.metadata.name}\n${this.describe(kind, o.metadata.name)}`),
    ).join('\n');
  }

  /** The pods of a workload, current ones first. */
  podsOfWorkload(kind: WorkloadKind, name: string): BootPod[] {
    return this.podsOf(kind, name).filter((p) => !p.deleting);
  }

  /**
   * Cluster DNS as hosts entries: each non-headless Service's name to its address, each headless
   * Service's name to its endpoints' pods and each of its StatefulSet pods by
   * `<pod>.<service>.<namespace>.svc.cluster.local` (published before ready when the Service says so).
   */
  private writeHosts(): void {
    if (this.stopped) return;
    const ns = this.opts.namespace;
    const fqdn = (name: string) => [name, `${name}.${ns}`, `${name}.${ns}.svc`, `${name}.${ns}.svc.${CLUSTER_DOMAIN}`];
    const entries: { ip: string; names: string[] }[] = [{ ip: this.net.hostIp, names: ['kubernetes', ...fqdn('kubernetes').slice(1)] }];
    for (const s of this.services.values()) {
      const svc = this.store.get('Service', s.name);
      if (!svc) continue;
      if (!s.headless) {
        entries.push({ ip: s.ip!, names: fqdn(s.name) });
        continue;
      }
      const notReady = svc.spec?.publishNotReadyAddresses === true;
      for (const p of this.pods.values()) {
        if (p.deleting || !matches(svc.spec?.selector, p.labels) || !(notReady || p.runtime.ready)) continue;
        entries.push({ ip: p.ip, names: fqdn(s.name) });
        const sts = p.owner.kind === 'StatefulSet' ? this.store.get('StatefulSet', p.owner.name) : undefined;
        if (sts?.spec?.serviceName === s.name) entries.push({ ip: p.ip, names: fqdn(`${p.name}.${s.name}`) });
      }
    }
    const content = JSON.stringify(entries);
    if (content !== this.lastHosts || this.pods.size !== this.lastHostsPods) this.net.setHosts(entries);
    this.lastHosts = content;
    this.lastHostsPods = this.pods.size;
  }

  /** Runs a `helm test` Pod (or any Pod object) to completion: its phase and logs. */
  async runPod(obj: K8sObject, timeoutMs = 60_000): Promise<{ phase: string; logs: Record<string, string> }> {
    const name = obj.metadata.name;
    await this.createPod('Job', `pod/${name}`, name, { metadata: obj.metadata, spec: { restartPolicy: 'Never', ...obj.spec } });
    const pod = this.pods.get(name)!;
    this.startPending();
    await until(
      `pod ${name} done`,
      timeoutMs,
      () => pod.runtime.phase === 'Succeeded' || pod.runtime.phase === 'Failed',
      () => this.describeOne(pod),
    );
    const logs = Object.fromEntries(pod.runtime.statuses().map((c) => [c.name, pod.runtime.logs(c.name, 50)]));
    const phase = pod.runtime.phase;
    await this.deletePod(name, { force: true });
    return { phase, logs };
  }

  private describeOne(p: BootPod): string {
    return `${p.name} ${p.runtime.phase}: ${JSON.stringify(p.runtime.statuses())}`;
  }

  /** Everything down: pods killed, proxies and the API stopped, network and files removed. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    await Promise.all([...this.pods.values()].map((p) => p.runtime.kill().catch(() => undefined)));
    for (const s of this.services.values()) for (const p of s.proxies) await p.stop().catch(() => undefined);
    await this.api.stop().catch(() => undefined);
    await this.net.destroy().catch(() => undefined);
    this.app.release();
    fs.rmSync(this.runRoot, { recursive: true, force: true });
  }
}

/**
 * Where the pods find the repo (the images' /app) and node. The pods run as the chart's users
 * (uid 1000, 1001), who must reach both: a checkout under a directory only root may enter (a CI
 * clone in a `mktemp -d`) is bound, as it is, at a path everyone may enter, for the boot's life.
 */
export function appRoot(repoRoot: string, log: (line: string) => void): { root: string; nodeDir: string; release(): void } {
  const repo = fs.realpathSync(repoRoot);
  const node = fs.realpathSync(process.execPath);
  const reachable = (root: string, nodePath: string) =>
    spawnSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', '--', 'test', '-r', path.join(root, 'package.json'), '-a', '-x', nodePath],
      {
        timeout: 5000,
      },
    ).status === 0;
  if (reachable(repo, node)) return { root: repo, nodeDir: path.dirname(node), release: () => undefined };
  const rel = path.relative(repo, node);
  if (rel.startsWith('..')) throw new Error(`the pods' users cannot reach node at ${node}, and it is outside the repo ${repo}`);
  const base = path.join('/run', `ticketcd-boot-app-${process.pid}`);
  const root = path.join(base, 'app');
  fs.mkdirSync(root, { recursive: true, mode: 0o755 });
  fs.chmodSync(base, 0o755);
  const mount = spawnSync('mount', ['--bind', repo, root], { encoding: 'utf8', timeout: 10_000 });
  if (mount.status !== 0) throw new Error(`mount --bind ${repo} ${root}: ${mount.stderr || mount.error?.message}`);
  const release = () => {
    spawnSync('umount', ['--lazy', root], { timeout: 10_000 });
    fs.rmSync(base, { recursive: true, force: true });
  };
  if (!reachable(root, path.join(root, rel))) {
    release();
    throw new Error(`the pods' users cannot read the repo even at ${root}: its own mode must let others read`);
  }
  log(`the repo ${repo} is not reachable by the pods' users: bound at ${root}`);
  return { root, nodeDir: path.dirname(path.join(root, rel)), release };
}

/**
 * Why this machine cannot make network namespaces, or null when it can (synchronous, for a test
 * file to choose describe or describe.skip).
 */
export function netnsNotPermitted(): string | null {
  const name = `cbprobe${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8', timeout: 5000 });
  if (add.error) return `ip: ${add.error.message}`;
  if (add.status !== 0) return (add.stderr || `ip netns add exited ${add.status}`).trim();
  spawnSync('ip', ['netns', 'del', name], { timeout: 5000 });
  return null;
}
