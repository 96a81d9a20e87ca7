/**
 * Issue 30: one pod run the way the kubelet runs it, its containers as local processes.
 *
 * Each container (and each exec probe / exec hook) is
 *   ip netns exec <ns> unshare --mount --uts --propagation private sh -c SCRIPT sh <plan...> <argv...>
 * where SCRIPT bind-mounts the pod's volumes at their mountPaths (a private mount namespace: the
 * host sees none of them), sets the hostname, cds to the workdir and execs setpriv (the pod's uid,
 * gid and groups) which execs the program: one pid all along, so SIGTERM reaches the program itself
 * as it reaches PID 1 of a container. The command line is passed as positional arguments, never
 * pasted into the script.
 *
 * What the kubelet does and this does too: volumes (configMap, secret, projected, downwardAPI,
 * emptyDir, persistentVolumeClaim incl. a StatefulSet's claim) written/created before any container,
 * fsGroup ownership; env (image ENV < envFrom < env, $(VAR), fieldRef, secretKeyRef/configMapKeyRef,
 * resourceFieldRef) resolved when each container starts, a missing Secret/ConfigMap holding it
 * (CreateContainerConfigError) until the store has it; init containers in order with restart
 * back-off; restartPolicy; startup/liveness/readiness probes with their thresholds; preStop then
 * SIGTERM then SIGKILL after the grace period; Secret/ConfigMap volumes updated when the store changes.
 * Not done: readOnlyRootFilesystem (the host's root stays writable), resource limits, service
 * link env (the chart turns enableServiceLinks off), postStart hooks, grpc probes, sidecar
 * (restartPolicy Always) init containers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findOnPath, type ProjectImageEntry } from './images.js';
import type { ContainerStatus, IContainer, PodContext, PodPhase } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;
type Probe = NonNullable<IContainer['readinessProbe']>;

/** Restart back-off (Kubernetes: 10 s doubling to 5 min; short here so a boot test does not wait on it). */
export const RESTART_BACKOFF = { firstMs: 500, capMs: 4000 };

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
function tool(name: string): string {
  const p = findOnPath(name, SYSTEM_PATH);
  if (!p) throw new Error(`chart-boot pod runtime: '${name}' not found on ${SYSTEM_PATH}`);
  return p;
}
let tools: { ip: string; unshare: string; sh: string; mount: string; hostname: string; setpriv: string } | undefined;
function getTools() {
  tools ??= {
    ip: tool('ip'),
    unshare: tool('unshare'),
    sh: tool('sh'),
    mount: tool('mount'),
    hostname: tool('hostname'),
    setpriv: tool('setpriv'),
  };
  return tools;
}

/**
 * Arguments: MOUNT HOSTNAME SETPRIV STAGE N (SRC DST ro|rw)xN HOSTNAME WORKDIR UID GID GROUPS ARGV...
 * STAGE (when not empty): the host's root is bound there first, so that a volume source or the
 * workdir under a mountPath (runDir in /tmp, an emptyDir on /tmp) stays reachable.
 */
const SCRIPT = `set -e
M=$1 H=$2 P=$3 stage=$4 n=$5
shift 5
if [ -n "$stage" ]; then "$M" --rbind / "$stage"; fi
while [ "$n" -gt 0 ]; do
  "$M" --bind "$1" "$2"
  if [ "$3" = ro ]; then "$M" -o remount,bind,ro "$2"; fi
  shift 3
  n=$((n - 1))
done
"$H" "$1"
cd "$2"
uid=$3 gid=$4 groups=$5
shift 5
if [ -z "$uid" ]; then exec "$@"; fi
if [ -n "$groups" ]; then exec "$P" --reuid="$uid" --regid="$gid" --groups="$groups" -- "$@"; fi
exec "$P" --reuid="$uid" --regid="$gid" --clear-groups -- "$@"
`;

/**
 * Candidates for the staging mount point (the first one no mountPath covers is used). One per
 * process: a directory shared with another process's pods could be removed under them.
 */
const STAGE_CANDIDATES = ['/run', '/var/lib', '/mnt'].map((d) => `${d}/ticketcd-pod-root-${process.pid}`);

// ---- host paths made for mount points, shared by the pods of this process ---------------------
// A mount point must exist on the host (the mount namespaces are copies of it). We create what is
// missing and remove it when no pod of ours uses it any more. Counted, not removed per pod: an
// rmdir of a directory that is a mount point in another namespace detaches that mount there.
const hostPathRefs = new Map<string, number>();

/** Makes `target` (a dir, or an empty file when `file`) with its missing parents; returns the paths it holds. */
function acquireHostPath(target: string, file: boolean): string[] {
  const parts = path.resolve(target).split('/').filter(Boolean);
  const held: string[] = [];
  let cur = '';
  for (let i = 0; i < parts.length; i++) {
    cur += '/' + parts[i];
    const last = i === parts.length - 1;
    let exists = true;
    try {
      fs.lstatSync(cur);
    } catch {
      exists = false;
    }
    if (!exists) {
      if (last && file) fs.writeFileSync(cur, '', { flag: 'wx' });
      else fs.mkdirSync(cur, { mode: 0o755 });
      hostPathRefs.set(cur, 1);
      held.push(cur);
    } else if (hostPathRefs.has(cur)) {
      hostPathRefs.set(cur, hostPathRefs.get(cur)! + 1);
      held.push(cur);
    }
  }
  return held;
}

function releaseHostPaths(held: string[]): void {
  // Deepest first: a parent goes only once empty.
  for (const p of [...held].sort((a, b) => b.length - a.length)) {
    const n = (hostPathRefs.get(p) ?? 1) - 1;
    if (n > 0) {
      hostPathRefs.set(p, n);
      continue;
    }
    hostPathRefs.delete(p);
    try {
      const st = fs.lstatSync(p);
      if (st.isDirectory()) fs.rmdirSync(p);
      else if (st.size === 0) fs.unlinkSync(p);
    } catch {
      /* not empty (someone else's files) or gone: left */
    }
  }
}

/** The host paths this process's pods created and still hold (for tests and leak checks). */
export function heldHostPaths(): string[] {
  return [...hostPathRefs.keys()];
}

// ---- small helpers -------------------------------------------------------------------------------

/** A referenced Secret/ConfigMap (or key) is missing: the pod or container waits for it. */
class Missing extends Error {}

/** Kubernetes' $(VAR) expansion: $$ -> $, $(UNSET) stays as written. */
export function expandK8s(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch === '$' && i + 1 < input.length) {
      const next = input[i + 1];
      if (next === '$') {
        out += '$';
        i++;
        continue;
      }
      if (next === '(') {
        const close = input.indexOf(')', i + 2);
        if (close >= 0) {
          const value = lookup(input.slice(i + 2, close));
          out += value === undefined ? input.slice(i, close + 1) : value;
          i = close;
          continue;
        }
      }
    }
    out += ch;
  }
  return out;
}

/** A Kubernetes quantity ("512Mi", "250m", "2") as a number of units. */
function quantity(q: string | number): number {
  if (typeof q === 'number') return q;
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return NaN;
  const scale: Record<string, number> = {
    '': 1,
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
  };
  return Number(m[1]) * (scale[m[2]] ?? NaN);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function signalName(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0);
}

function isUnder(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith('/') ? dir : dir + '/');
}

function realpathOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

// ---- the pod -------------------------------------------------------------------------------------

interface Prepared {
  argv: string[];
  env: Record<string, string>;
  /** Script arguments before the command: the mount plan, hostname, workdir, uid, gid, groups. */
  plan: string[];
  /** Maps a host path to where the container sees it when it is under a mountPath (the stage). */
  viaStage: (p: string) => string;
}

interface Run {
  spec: IContainer;
  init: boolean;
  status: ContainerStatus;
  image: ProjectImageEntry | null;
  prepared?: Prepared;
  proc?: ChildProcess;
  exited?: Promise<number>;
  /** Aborted when this start of the container ends (its probes stop). */
  life?: AbortController;
  killReason?: string;
  lastEnd?: string;
  startedAt?: number;
  backoffStep: number;
  done: boolean;
  firstSpawn: Promise<void>;
  markSpawned: () => void;
}

type VolumeKind = 'emptyDir' | 'written' | 'claim' | 'hostPath';

export class PodRuntime {
  private readonly ctx: PodContext;
  private readonly runs: Run[];
  private phaseValue: PodPhase = 'Pending';
  private readonly listeners = new Set<() => void>();
  private readonly stopAbort = new AbortController();
  private stopping = false;
  private startPromise?: Promise<void>;
  private endPromise?: Promise<void>;
  private volumes = new Map<string, { dir: string; kind: VolumeKind }>();
  private heldPaths: string[] = [];
  private unwatchVolumes?: () => void;
  private readonly acquiredTargets = new Set<string>();
  /** Hook and exec-probe processes (killed with the pod). */
  private readonly aux = new Set<ChildProcess>();
  private readonly logTails = new Map<string, string>();
  private readonly mainLoops: Promise<void>[] = [];

  constructor(ctx: PodContext) {
    this.ctx = ctx;
    const mk = (spec: IContainer, init: boolean): Run => {
      let markSpawned!: () => void;
      const firstSpawn = new Promise<void>((r) => (markSpawned = r));
      let image: ProjectImageEntry | null = null;
      try {
        image = spec.image ? (ctx.images.entry(spec.image) as ProjectImageEntry | null) : null;
      } catch {
        image = null;
      }
      const status: ContainerStatus = { name: spec.name, init, state: 'waiting', started: false, ready: false, restarts: 0 };
      // No local program and no command given: not run, reported (e.g. the metrics exporter).
      if (!image && !spec.command?.length) status.skipped = `no local program for image ${spec.image ?? '(none)'}`;
      return { spec, init, status, image, backoffStep: 0, done: false, firstSpawn, markSpawned };
    };
    this.runs = [...(ctx.spec.initContainers ?? []).map((c) => mk(c, true)), ...ctx.spec.containers.map((c) => mk(c, false))];
    for (const r of this.runs) if (r.status.skipped) ctx.log(`pod ${ctx.name}: container ${r.spec.name} not run: ${r.status.skipped}`);
  }

  get phase(): PodPhase {
    return this.phaseValue;
  }

  get ip(): string {
    return this.ctx.network.ip;
  }

  /** Ready = every non-skipped container started and passing readiness (Kubernetes' rule). */
  get ready(): boolean {
    if (this.phaseValue !== 'Running' || this.stopping) return false;
    const mains = this.runs.filter((r) => !r.init && !r.status.skipped);
    return mains.length > 0 && mains.every((r) => r.status.state === 'running' && r.status.ready);
  }

  /** The pid of a container's process while it runs (the program itself: the exec chain keeps one pid). */
  pid(container: string): number | undefined {
    return this.runs.find((r) => r.spec.name === container)?.proc?.pid;
  }

  statuses(): ContainerStatus[] {
    return this.runs.map((r) => ({ ...r.status }));
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch {
        /* a listener's error is its own */
      }
    }
  }

  private setPhase(p: PodPhase): void {
    if (this.phaseValue === p) return;
    this.phaseValue = p;
    this.ctx.log(`pod ${this.ctx.name}: ${p}`);
    this.emit();
  }

  private get restartPolicy(): 'Always' | 'OnFailure' | 'Never' {
    return (this.ctx.spec.restartPolicy as 'Always' | 'OnFailure' | 'Never' | undefined) ?? 'Always';
  }

  private get serviceAccount(): string {
    return this.ctx.spec.serviceAccountName ?? (this.ctx.spec as Obj).serviceAccount ?? 'default';
  }

  private get hostname(): string {
    return (this.ctx.spec.hostname ?? this.ctx.name).slice(0, 63);
  }

  // ---- start ---------------------------------------------------------------------------------

  /** Waits for the volumes' Secrets/ConfigMaps, runs the init containers in order, starts all containers; resolves once they are started (not ready) or the pod ended. */
  start(): Promise<void> {
    this.startPromise ??= this.doStart().catch((e: Error) => {
      this.ctx.log(`pod ${this.ctx.name}: start failed: ${e.stack ?? e.message}`);
      if (!this.stopping) this.setPhase('Failed');
    });
    return this.startPromise;
  }

  private async doStart(): Promise<void> {
    fs.mkdirSync(this.ctx.runDir, { recursive: true });
    // ContainerCreating: every volume's source must exist before any container runs.
    const ok = await this.untilPresent(
      () => (this.prepareVolumes(), true),
      (msg) => this.setWaiting(this.runs, `ContainerCreating: ${msg}`),
    );
    if (ok === undefined || this.stopping) return;
    this.unwatchVolumes = this.ctx.store.onChange((kind) => {
      if (kind === 'Secret' || kind === 'ConfigMap') this.refreshVolumes();
    });
    for (const run of this.runs.filter((r) => r.init)) {
      if (run.status.skipped) continue;
      for (;;) {
        if (this.stopping) return;
        const code = await this.runOnce(run);
        if (code === undefined || this.stopping) return;
        if (code === 0) {
          run.done = true;
          run.status.reason = 'Completed';
          this.emit();
          break;
        }
        if (this.restartPolicy === 'Never') {
          this.setPhase('Failed');
          return;
        }
        run.status.restarts++;
        await this.backoff(run);
      }
    }
    if (this.stopping) return;
    for (const run of this.runs.filter((r) => !r.init && !r.status.skipped)) {
      this.mainLoops.push(
        this.mainLoop(run).catch((e: Error) => {
          // Not a container's failure but ours (e.g. a file we could not write): reported, not retried.
          this.ctx.log(`pod ${this.ctx.name}: ${run.spec.name}: ${e.stack ?? e.message}`);
          run.status.state = 'terminated';
          run.status.reason = `chart-boot error: ${e.message}`;
          run.status.lastExitCode ??= 128;
          run.done = true;
          run.markSpawned();
          this.emit();
          this.checkCompletion();
        }),
      );
    }
    const stopped = new Promise<void>((resolve) => {
      if (this.stopAbort.signal.aborted) resolve();
      this.stopAbort.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await Promise.race([Promise.all(this.runs.filter((r) => !r.init && !r.status.skipped).map((r) => r.firstSpawn)), stopped]);
    if (!this.stopping && this.phaseValue === 'Pending') this.setPhase('Running');
  }

  private setWaiting(runs: Run[], reason: string): void {
    let changed = false;
    for (const r of runs) {
      if (r.status.skipped || r.status.reason === reason) continue;
      r.status.state = 'waiting';
      r.status.reason = reason;
      changed = true;
    }
    if (changed) {
      this.ctx.log(`pod ${this.ctx.name}: ${runs.map((r) => r.spec.name).join(',')} waiting: ${reason}`);
      this.emit();
    }
  }

  /** attempt() until it does not throw Missing, re-trying on every store change; undefined if the pod stopped. */
  private async untilPresent<T>(attempt: () => T, onMissing: (msg: string) => void): Promise<T | undefined> {
    let changed = false;
    let wake: (() => void) | undefined;
    const unsubscribe = this.ctx.store.onChange(() => {
      changed = true;
      wake?.();
    });
    try {
      for (;;) {
        if (this.stopping) return undefined;
        changed = false;
        try {
          return attempt();
        } catch (e) {
          if (!(e instanceof Missing)) throw e;
          onMissing(e.message);
        }
        if (changed) continue;
        const ac = new AbortController();
        wake = () => ac.abort();
        // The store's change events are the trigger; the periodic re-check is the safety net.
        await sleep(2000, AbortSignal.any([ac.signal, this.stopAbort.signal]));
        wake = undefined;
      }
    } finally {
      unsubscribe();
    }
  }

  private async backoff(run: Run): Promise<void> {
    const ms = Math.min(RESTART_BACKOFF.capMs, RESTART_BACKOFF.firstMs * 2 ** run.backoffStep);
    run.backoffStep++;
    run.status.state = 'waiting';
    run.status.reason = `CrashLoopBackOff (${ms} ms): ${run.status.reason ?? ''}`.trim();
    this.emit();
    await sleep(ms, this.stopAbort.signal);
  }

  /** One container's life under restartPolicy. */
  private async mainLoop(run: Run): Promise<void> {
    for (;;) {
      if (this.stopping) return;
      const code = await this.runOnce(run);
      if (code === undefined || this.stopping) return;
      const policy = this.restartPolicy;
      if (policy === 'Always' || (policy === 'OnFailure' && code !== 0)) {
        run.status.restarts++;
        // A container that ran a while starts its back-off over (Kubernetes: after 10 min).
        if (run.startedAt && Date.now() - run.startedAt > 30_000) run.backoffStep = 0;
        this.ctx.log(`pod ${this.ctx.name}: restarting ${run.spec.name}: ${run.status.reason}`);
        await this.backoff(run);
        continue;
      }
      run.done = true;
      this.emit();
      this.checkCompletion();
      return;
    }
  }

  private checkCompletion(): void {
    const mains = this.runs.filter((r) => !r.init && !r.status.skipped);
    if (this.stopping || !mains.every((r) => r.done)) return;
    this.setPhase(mains.every((r) => r.status.lastExitCode === 0) ? 'Succeeded' : 'Failed');
  }

  /** Prepares (waiting for its env's objects), spawns and awaits one run of a container: its exit code, or undefined if the pod stopped first. */
  private async runOnce(run: Run): Promise<number | undefined> {
    const prepared = await this.untilPresent(
      () => this.prepareContainer(run),
      (msg) => this.setWaiting([run], `CreateContainerConfigError: ${msg}`),
    );
    if (!prepared || this.stopping) return undefined;
    run.prepared = prepared;
    run.killReason = undefined;
    const logFd = fs.openSync(path.join(this.ctx.runDir, `${run.spec.name}.log`), 'a');
    let proc: ChildProcess;
    try {
      proc = this.spawnInPod(prepared, prepared.argv, ['ignore', logFd, logFd]);
    } finally {
      fs.closeSync(logFd);
    }
    run.proc = proc;
    run.life = new AbortController();
    run.startedAt = Date.now();
    run.exited = new Promise<number>((resolve) => {
      proc.once('error', (e) => {
        fs.appendFileSync(path.join(this.ctx.runDir, `${run.spec.name}.log`), `chart-boot: spawn failed: ${e.message}\n`);
        resolve(127);
      });
      proc.once('exit', (code, signal) => resolve(signalName(code, signal)));
    });
    run.status.state = 'running';
    // After a restart the reason says why the last run ended (kubectl's "Last State").
    run.status.reason = this.restartReason(run);
    run.status.ready = false;
    run.status.started = false;
    this.ctx.log(`pod ${this.ctx.name}: started ${run.init ? 'init container' : 'container'} ${run.spec.name} (pid ${proc.pid})`);
    if (!run.init) this.startProbes(run, run.life.signal);
    run.markSpawned();
    this.emit();
    const code = await run.exited;
    run.life.abort();
    // As when PID 1 of a container's pid namespace exits: whatever it left behind dies with it.
    this.killGroup(proc, 'SIGKILL');
    run.proc = undefined;
    run.status.state = 'terminated';
    run.status.started = false;
    run.status.ready = false;
    run.status.lastExitCode = code;
    run.status.reason = run.killReason ?? (code === 0 ? 'Completed' : `Error: exit code ${code}`);
    run.lastEnd = run.status.reason;
    this.ctx.log(`pod ${this.ctx.name}: ${run.spec.name} exited ${code} (${run.status.reason})`);
    this.emit();
    return code;
  }

  private killGroup(proc: ChildProcess | undefined, signal: NodeJS.Signals): void {
    if (!proc?.pid) return;
    try {
      process.kill(-proc.pid, signal);
    } catch {
      /* group gone */
    }
  }

  private spawnInPod(prepared: Prepared, argv: string[], stdio: ('ignore' | 'pipe' | number)[]): ChildProcess {
    const t = getTools();
    const args = [
      'netns',
      'exec',
      this.ctx.network.ns,
      t.unshare,
      '--mount',
      '--uts',
      '--propagation',
      'private',
      t.sh,
      '-c',
      SCRIPT,
      'sh',
      t.mount,
      t.hostname,
      t.setpriv,
      ...prepared.plan,
      ...argv,
    ];
    // detached: a process group of its own, so SIGKILL reaches anything the program started.
    return spawn(t.ip, args, { env: prepared.env, stdio, detached: true });
  }

  // ---- volumes -------------------------------------------------------------------------------

  private fsGroup(): number | undefined {
    return this.ctx.spec.securityContext?.fsGroup ?? undefined;
  }

  /** The pod's volumes plus the service account token volume the API server would add. */
  private podVolumes(): Obj[] {
    const vols: Obj[] = [...(this.ctx.spec.volumes ?? [])];
    if (this.automountToken()) {
      vols.push({
        name: 'kube-api-access-auto',
        projected: {
          defaultMode: 0o644,
          sources: [
            { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
          ],
        },
      });
    }
    return vols;
  }

  private automountToken(): boolean {
    if (this.ctx.spec.automountServiceAccountToken === false) return false;
    const sa = this.ctx.store.get('ServiceAccount', this.serviceAccount);
    return sa?.automountServiceAccountToken !== false;
  }

  private static readonly TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

  private prepareVolumes(): void {
    const volumes = new Map<string, { dir: string; kind: VolumeKind }>();
    const base = path.join(this.ctx.runDir, 'volumes');
    // Everything is read (and can throw Missing) before anything is written.
    const writes: { name: string; files: { path: string; data: Buffer; mode: number }[] }[] = [];
    for (const v of this.podVolumes()) {
      const dir = path.join(base, v.name);
      if (v.emptyDir) volumes.set(v.name, { dir, kind: 'emptyDir' });
      else if (v.persistentVolumeClaim) volumes.set(v.name, { dir: this.ctx.claimDir(v.persistentVolumeClaim.claimName), kind: 'claim' });
      else if (v.hostPath) volumes.set(v.name, { dir: v.hostPath.path, kind: 'hostPath' });
      else if (v.configMap || v.secret || v.projected || v.downwardAPI) {
        volumes.set(v.name, { dir, kind: 'written' });
        writes.push({ name: v.name, files: this.volumeFiles(v) });
      } else throw new Missing(`volume "${v.name}": this volume type is not supported here`);
    }
    const gid = this.fsGroup();
    fs.rmSync(base, { recursive: true, force: true });
    fs.mkdirSync(base, { recursive: true, mode: 0o755 });
    for (const [name, v] of volumes) {
      if (v.kind === 'emptyDir') {
        fs.mkdirSync(v.dir, { recursive: true });
        // An emptyDir is world-writable (with fsGroup: that group's, setgid).
        fs.chmodSync(v.dir, 0o777);
        if (gid !== undefined) {
          fs.chownSync(v.dir, 0, gid);
          fs.chmodSync(v.dir, 0o2777);
        }
      } else if (v.kind === 'claim') {
        this.prepareClaim(v.dir, gid);
      } else if (v.kind === 'hostPath') {
        fs.mkdirSync(v.dir, { recursive: true });
      } else {
        this.writeVolume(v.dir, writes.find((w) => w.name === name)!.files);
      }
    }
    this.volumes = volumes;
  }

  /** Writes a configMap/secret/projected/downwardAPI volume's files; on an update only the changed ones (a new inode, as the kubelet's atomic writer makes), removing the keys gone. */
  private writeVolume(dir: string, files: { path: string; data: Buffer; mode: number }[], update = false): boolean {
    const gid = this.fsGroup();
    let changed = false;
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    for (const f of files) {
      const file = path.join(dir, f.path);
      if (update) {
        try {
          if (fs.readFileSync(file).equals(f.data)) continue;
        } catch {
          /* new key */
        }
      }
      changed = true;
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
      const tmp = `${file}.tcd-tmp`;
      fs.writeFileSync(tmp, f.data);
      // The kubelet with fsGroup: group-owned, group-readable (read-only volume), dirs setgid.
      if (gid !== undefined) {
        fs.chownSync(tmp, 0, gid);
        fs.chmodSync(tmp, f.mode | 0o440);
      } else fs.chmodSync(tmp, f.mode);
      fs.renameSync(tmp, file);
    }
    if (update) {
      const keep = new Set(files.map((f) => path.join(dir, f.path)));
      const prune = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
          const p = path.join(d, e.name);
          if (e.isDirectory()) prune(p);
          else if (!keep.has(p)) {
            fs.rmSync(p, { force: true });
            changed = true;
          }
        }
      };
      prune(dir);
    }
    if (gid !== undefined) {
      const walk = (d: string) => {
        fs.chownSync(d, 0, gid);
        fs.chmodSync(d, 0o2755);
        for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
      };
      walk(dir);
    }
    return changed;
  }

  /** The kubelet's sync of Secret/ConfigMap volumes after a change (subPath mounts keep the old file, as there). A source gone keeps the last content. */
  private refreshVolumes(): void {
    if (this.stopping) return;
    for (const v of this.podVolumes()) {
      const vol = this.volumes.get(v.name);
      if (!vol || vol.kind !== 'written') continue;
      try {
        if (this.writeVolume(vol.dir, this.volumeFiles(v), true)) this.ctx.log(`pod ${this.ctx.name}: volume ${v.name} updated`);
      } catch (e) {
        if (!(e instanceof Missing)) this.ctx.log(`pod ${this.ctx.name}: volume ${v.name} not updated: ${(e as Error).message}`);
      }
    }
  }

  /** A claim as a provisioner hands it over: a new one world-writable; fsGroup applied as the kubelet does (OnRootMismatch: only when the root does not match). */
  private prepareClaim(dir: string, gid: number | undefined): void {
    const created = !fs.existsSync(dir);
    fs.mkdirSync(dir, { recursive: true });
    if (created) fs.chmodSync(dir, 0o777);
    if (gid === undefined) return;
    const st = fs.statSync(dir);
    const policy = this.ctx.spec.securityContext?.fsGroupChangePolicy ?? 'Always';
    if (policy === 'OnRootMismatch' && st.gid === gid && (st.mode & 0o2070) === 0o2070) return;
    const walk = (p: string) => {
      const s = fs.lstatSync(p);
      if (s.isSymbolicLink()) return;
      fs.chownSync(p, s.uid, gid);
      fs.chmodSync(p, (s.mode & 0o7777) | (s.isDirectory() ? 0o2070 : 0o060));
      if (s.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    };
    walk(dir);
  }

  /** The files of a configMap/secret/projected/downwardAPI volume (throws Missing for a non-optional absent source). */
  private volumeFiles(v: Obj): { path: string; data: Buffer; mode: number }[] {
    const out: { path: string; data: Buffer; mode: number }[] = [];
    const checkPath = (p: string) => {
      if (!p || path.isAbsolute(p) || p.split('/').includes('..')) throw new Missing(`volume "${v.name}": invalid item path "${p}"`);
      return p;
    };
    const fromData = (
      kind: 'secret' | 'configmap',
      name: string,
      data: Record<string, Buffer> | undefined,
      src: Obj,
      defaultMode: number,
    ) => {
      if (!data) {
        if (src.optional) return;
        throw new Missing(`MountVolume.SetUp failed for volume "${v.name}": ${kind} "${name}" not found`);
      }
      if (src.items?.length) {
        for (const item of src.items as Obj[]) {
          if (!(item.key in data)) {
            if (src.optional) continue;
            throw new Missing(`MountVolume.SetUp failed for volume "${v.name}": ${kind} "${name}" has no key "${item.key}"`);
          }
          out.push({ path: checkPath(item.path), data: data[item.key], mode: item.mode ?? defaultMode });
        }
      } else for (const [k, d] of Object.entries(data)) out.push({ path: checkPath(k), data: d, mode: defaultMode });
    };
    const downward = (items: Obj[], defaultMode: number) => {
      for (const item of items) {
        let value: string;
        if (item.fieldRef) {
          const fp: string = item.fieldRef.fieldPath;
          if (fp === 'metadata.labels' || fp === 'metadata.annotations') {
            const m = fp === 'metadata.labels' ? this.ctx.labels : this.ctx.annotations;
            value = Object.keys(m)
              .sort()
              .map((k) => `${k}=${JSON.stringify(m[k])}`)
              .join('\n');
          } else value = this.fieldRef(fp);
        } else if (item.resourceFieldRef) value = this.resourceFieldRef(item.resourceFieldRef, item.resourceFieldRef.containerName);
        else throw new Missing(`volume "${v.name}": downwardAPI item "${item.path}" has no source`);
        out.push({ path: checkPath(item.path), data: Buffer.from(value), mode: item.mode ?? defaultMode });
      }
    };
    if (v.configMap)
      fromData('configmap', v.configMap.name, this.configMapBytes(v.configMap.name), v.configMap, v.configMap.defaultMode ?? 0o644);
    else if (v.secret)
      fromData('secret', v.secret.secretName, this.secretBytes(v.secret.secretName), v.secret, v.secret.defaultMode ?? 0o644);
    else if (v.downwardAPI) downward(v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? 0o644);
    else if (v.projected) {
      const mode = v.projected.defaultMode ?? 0o644;
      for (const s of (v.projected.sources ?? []) as Obj[]) {
        if (s.secret) fromData('secret', s.secret.name, this.secretBytes(s.secret.name), s.secret, mode);
        else if (s.configMap) fromData('configmap', s.configMap.name, this.configMapBytes(s.configMap.name), s.configMap, mode);
        else if (s.downwardAPI) downward(s.downwardAPI.items ?? [], mode);
        else if (s.serviceAccountToken)
          out.push({
            path: checkPath(s.serviceAccountToken.path),
            data: Buffer.from(this.ctx.serviceAccountToken(this.serviceAccount)),
            mode: s.serviceAccountToken.mode ?? mode,
          });
        else throw new Missing(`volume "${v.name}": unsupported projected source ${Object.keys(s).join(',')}`);
      }
    }
    return out;
  }

  private secretBytes(name: string): Record<string, Buffer> | undefined {
    const obj = this.ctx.store.get('Secret', name);
    if (!obj) return undefined;
    const out: Record<string, Buffer> = {};
    for (const [k, v] of Object.entries((obj.data ?? {}) as Record<string, string>)) out[k] = Buffer.from(v, 'base64');
    for (const [k, v] of Object.entries((obj.stringData ?? {}) as Record<string, string>)) out[k] = Buffer.from(v);
    return out;
  }

  private configMapBytes(name: string): Record<string, Buffer> | undefined {
    const obj = this.ctx.store.get('ConfigMap', name);
    if (!obj) return undefined;
    const out: Record<string, Buffer> = {};
    for (const [k, v] of Object.entries((obj.data ?? {}) as Record<string, string>)) out[k] = Buffer.from(v);
    for (const [k, v] of Object.entries((obj.binaryData ?? {}) as Record<string, string>)) out[k] = Buffer.from(v, 'base64');
    return out;
  }

  // ---- env, command, mounts of one container ----------------------------------------------------

  private fieldRef(fieldPath: string): string {
    const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
    if (label) return (label[1] === 'labels' ? this.ctx.labels : this.ctx.annotations)[label[2]] ?? '';
    switch (fieldPath) {
      case 'metadata.name':
        return this.ctx.name;
      case 'metadata.namespace':
        return this.ctx.namespace;
      case 'metadata.uid':
        return this.ctx.uid;
      case 'spec.serviceAccountName':
        return this.serviceAccount;
      case 'spec.nodeName':
        return os.hostname();
      case 'status.podIP':
      case 'status.podIPs':
        return this.ctx.network.ip;
      case 'status.hostIP':
      case 'status.hostIPs':
        return '';
    }
    throw new Missing(`unsupported fieldRef ${fieldPath}`);
  }

  private resourceFieldRef(ref: Obj, containerName?: string): string {
    const c = this.runs.find((r) => r.spec.name === (containerName ?? ''))?.spec;
    const res: Obj = (c?.resources ?? {}) as Obj;
    const [kind, what] = String(ref.resource).split('.');
    let raw = res[kind]?.[what];
    // No limit: the node's capacity, as the kubelet reports it.
    if (raw === undefined && what === 'memory') raw = os.totalmem();
    if (raw === undefined && what === 'cpu') raw = os.cpus().length;
    if (raw === undefined) return '0';
    const divisor = ref.divisor !== undefined ? quantity(ref.divisor) : 1;
    return String(Math.ceil(quantity(raw) / divisor));
  }

  /** A Secret's or ConfigMap's data; {} for one without data (helm renders `data:` empty as null). */
  private objectData(kind: 'Secret' | 'ConfigMap', name: string): Record<string, string> | undefined {
    if (!this.ctx.store.get(kind, name)) return undefined;
    return (kind === 'Secret' ? this.ctx.store.secretData(name) : this.ctx.store.configMapData(name)) ?? {};
  }

  private buildEnv(run: Run): Record<string, string> {
    const c = run.spec;
    // envFrom then env, each $(VAR) seeing what came before (and the service env).
    const defined: Record<string, string> = {};
    const lookup = (n: string) => defined[n] ?? this.ctx.kubernetesEnv[n];
    for (const src of (c.envFrom ?? []) as Obj[]) {
      const ref = src.configMapRef ?? src.secretRef;
      const kind = src.configMapRef ? 'configmap' : 'secret';
      const data = this.objectData(src.configMapRef ? 'ConfigMap' : 'Secret', ref.name);
      if (!data) {
        if (ref.optional) continue;
        throw new Missing(`${kind} "${ref.name}" not found`);
      }
      for (const [k, v] of Object.entries(data)) {
        const name = (src.prefix ?? '') + k;
        // The kubelet skips keys that are not valid variable names.
        if (!name || name.includes('=')) continue;
        defined[name] = v;
      }
    }
    for (const e of (c.env ?? []) as Obj[]) {
      if (e.valueFrom) {
        const vf = e.valueFrom;
        if (vf.fieldRef) defined[e.name] = this.fieldRef(vf.fieldRef.fieldPath);
        else if (vf.resourceFieldRef)
          defined[e.name] = this.resourceFieldRef(vf.resourceFieldRef, vf.resourceFieldRef.containerName ?? c.name);
        else if (vf.secretKeyRef || vf.configMapKeyRef) {
          const ref = vf.secretKeyRef ?? vf.configMapKeyRef;
          const kind = vf.secretKeyRef ? 'secret' : 'configmap';
          const data = this.objectData(vf.secretKeyRef ? 'Secret' : 'ConfigMap', ref.name);
          if (!data) {
            if (ref.optional) continue;
            throw new Missing(`${kind} "${ref.name}" not found`);
          }
          if (!(ref.key in data)) {
            if (ref.optional) continue;
            throw new Missing(
              `couldn't find key ${ref.key} in ${kind === 'secret' ? 'Secret' : 'ConfigMap'} ${this.ctx.namespace}/${ref.name}`,
            );
          }
          defined[e.name] = data[ref.key];
        } else throw new Missing(`env ${e.name}: unsupported valueFrom`);
      } else defined[e.name] = expandK8s(String(e.value ?? ''), lookup);
    }
    const execDir = this.ctx.nodeDir ?? path.dirname(process.execPath);
    return {
      // The image's ENV, then what the runtime and the kubelet set, then the container's.
      ...(run.image?.env ?? {}),
      PATH: `${execDir}:${SYSTEM_PATH}`,
      HOSTNAME: this.hostname,
      ...this.ctx.kubernetesEnv,
      ...defined,
    };
  }

  private prepareContainer(run: Run): Prepared {
    const c = run.spec;
    const sc = (c.securityContext ?? {}) as Obj;
    const psc = (this.ctx.spec.securityContext ?? {}) as Obj;
    const env = this.buildEnv(run);
    // command replaces ENTRYPOINT (and CMD); args replace CMD.
    let argv: string[];
    if (c.command?.length) argv = [...c.command, ...(c.args ?? [])];
    else if (run.image) argv = [...run.image.entrypoint, ...(c.args ?? run.image.cmd)];
    else throw new Missing(`no command for image ${c.image}`);
    argv = argv.map((a) => expandK8s(a, (n) => env[n]));
    if (!argv.length) throw new Missing('empty command');
    argv[0] = this.ctx.images.program(argv[0]);
    // runAsUser/runAsGroup: the container's, else the pod's, else the image's USER.
    const uid: number | undefined = sc.runAsUser ?? psc.runAsUser ?? run.image?.user?.uid;
    const gid: number | undefined = sc.runAsGroup ?? psc.runAsGroup ?? (uid !== undefined ? (run.image?.user?.gid ?? 0) : undefined);
    const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
    if (nonRoot && !uid) throw new Missing('container has runAsNonRoot and image will run as root');
    const groups = [...(psc.fsGroup !== undefined ? [psc.fsGroup] : []), ...((psc.supplementalGroups ?? []) as number[])];

    // Mounts: source on the host -> mountPath (as the container sees it).
    const mounts: { source: string; target: string; readOnly: boolean }[] = [];
    const vms: Obj[] = [...((c.volumeMounts ?? []) as Obj[])];
    if (this.volumes.has('kube-api-access-auto') && !vms.some((m) => path.resolve(m.mountPath) === PodRuntime.TOKEN_PATH))
      vms.push({ name: 'kube-api-access-auto', mountPath: PodRuntime.TOKEN_PATH, readOnly: true });
    for (const vm of vms) {
      let vol = this.volumes.get(vm.name);
      if (!vol) {
        // A StatefulSet's volumeClaimTemplate: the claim <template>-<pod>.
        vol = { dir: this.ctx.claimDir(`${vm.name}-${this.ctx.name}`), kind: 'claim' };
        this.ctx.log(
          `pod ${this.ctx.name}: volumeMount "${vm.name}" names no volume: taken as the StatefulSet claim ${vm.name}-${this.ctx.name}`,
        );
        this.prepareClaim(vol.dir, psc.fsGroup);
      }
      let source = vol.dir;
      const sub = vm.subPathExpr ? expandK8s(vm.subPathExpr, (n) => env[n]) : vm.subPath;
      if (sub) {
        if (path.isAbsolute(sub) || sub.split('/').includes('..')) throw new Missing(`volumeMount ${vm.name}: invalid subPath ${sub}`);
        source = path.join(vol.dir, sub);
        if (!fs.existsSync(source)) {
          if (vol.kind === 'written') throw new Missing(`volumeMount ${vm.name}: subPath ${sub} does not exist`);
          fs.mkdirSync(source, { recursive: true, mode: 0o777 });
        }
      }
      // Secret, configMap, downwardAPI and projected volumes are always read-only.
      mounts.push({ source, target: path.resolve(vm.mountPath), readOnly: !!vm.readOnly || vol.kind === 'written' });
    }
    // Mount points must exist on the host (recorded, removed when the last pod of ours is gone).
    for (const m of mounts) {
      const isFile = fs.statSync(m.source).isFile();
      const key = `${m.target}\0${isFile}`;
      if (!this.acquiredTargets.has(key)) {
        this.acquiredTargets.add(key);
        this.heldPaths.push(...acquireHostPath(m.target, isFile));
      }
      m.target = realpathOrSelf(m.target);
      m.source = realpathOrSelf(m.source);
    }
    // Parents before children (/tmp before /tmp/x), as the runtime orders them.
    mounts.sort((a, b) => a.target.split('/').length - b.target.split('/').length);

    const workdir = realpathOrSelf(c.workingDir ?? run.image?.workdir ?? '/');
    const execDir = realpathOrSelf(this.ctx.nodeDir ?? path.dirname(process.execPath));
    const program = argv[0].startsWith('/') ? realpathOrSelf(argv[0]) : undefined;
    const shadowed = (p: string) => mounts.some((m) => isUnder(p, m.target));
    const needs = [workdir, execDir, ...(program ? [program] : []), ...mounts.map((m) => m.source)];
    let stage = '';
    if (needs.some(shadowed)) {
      stage = STAGE_CANDIDATES.find((s) => !shadowed(s)) ?? '';
      if (!stage) throw new Missing('no staging directory outside the mountPaths');
      if (!this.acquiredTargets.has(stage)) {
        this.acquiredTargets.add(stage);
        this.heldPaths.push(...acquireHostPath(stage, false));
      }
    }
    const viaStage = (p: string) => (stage && shadowed(p) ? path.join(stage, p) : p);
    const via = (p: string) => (stage ? path.join(stage, p) : p);
    // The workdir, node and the program through the stage when a mountPath hides them; the
    // image's ENV paths too (e.g. WEB_DIR under the repo).
    if (stage) {
      env.PATH = env.PATH.split(':')
        .map((d) => (isUnder(realpathOrSelf(d), execDir) ? viaStage(realpathOrSelf(d)) : d))
        .join(':');
      for (const [k, v] of Object.entries(run.image?.env ?? {}))
        if (env[k] === v && v.startsWith('/') && shadowed(realpathOrSelf(v))) env[k] = viaStage(realpathOrSelf(v));
      if (program) argv[0] = viaStage(program);
    }
    const plan = [stage, String(mounts.length)];
    for (const m of mounts) plan.push(via(m.source), m.target, m.readOnly ? 'ro' : 'rw');
    plan.push(
      this.hostname,
      viaStage(workdir),
      uid === undefined ? '' : String(uid),
      gid === undefined ? '' : String(gid),
      groups.join(','),
    );
    return { argv, env, plan, viaStage };
  }

  // ---- probes --------------------------------------------------------------------------------

  private startProbes(run: Run, life: AbortSignal): void {
    const c = run.spec;
    if (!c.startupProbe) {
      run.status.started = true;
      if (!c.readinessProbe) run.status.ready = true;
    }
    const loop = (kind: 'Startup' | 'Liveness' | 'Readiness', probe: Probe) =>
      void this.probeLoop(run, kind, probe, life).catch((e: Error) =>
        this.ctx.log(`pod ${this.ctx.name}: ${kind} probe loop: ${e.message}`),
      );
    if (c.startupProbe) loop('Startup', c.startupProbe);
    if (c.livenessProbe) loop('Liveness', c.livenessProbe);
    if (c.readinessProbe) loop('Readiness', c.readinessProbe);
  }

  private async probeLoop(run: Run, kind: 'Startup' | 'Liveness' | 'Readiness', probe: Probe, life: AbortSignal): Promise<void> {
    const period = (probe.periodSeconds ?? 10) * 1000;
    const failureThreshold = probe.failureThreshold ?? 3;
    const successThreshold = kind === 'Readiness' ? (probe.successThreshold ?? 1) : 1;
    let successes = 0;
    let failures = 0;
    await sleep((probe.initialDelaySeconds ?? 0) * 1000, life);
    while (!life.aborted && !this.stopping) {
      const t0 = Date.now();
      // The startup probe gates the others.
      if (kind === 'Startup' || run.status.started) {
        const result = await this.runProbe(run, probe, life);
        if (life.aborted || this.stopping) return;
        if (result.ok) {
          successes++;
          failures = 0;
        } else {
          failures++;
          successes = 0;
        }
        const msg = `${kind} probe failed: ${result.message}`;
        if (kind === 'Startup') {
          if (result.ok) {
            run.status.started = true;
            if (run.status.reason?.startsWith('Startup')) run.status.reason = this.restartReason(run);
            if (!run.spec.readinessProbe) run.status.ready = true;
            this.emit();
            return;
          }
          run.status.reason = msg;
          if (failures >= failureThreshold) return void this.restartContainer(run, msg);
          this.emit();
        } else if (kind === 'Liveness') {
          if (!result.ok) {
            run.status.reason = msg;
            if (failures >= failureThreshold) return void this.restartContainer(run, msg);
            this.emit();
          }
        } else {
          if (result.ok && successes >= successThreshold && !run.status.ready) {
            run.status.ready = true;
            if (run.status.reason?.startsWith('Readiness')) run.status.reason = this.restartReason(run);
            this.emit();
          } else if (!result.ok) {
            run.status.reason = msg;
            if (failures >= failureThreshold) run.status.ready = false;
            this.emit();
          }
        }
      }
      await sleep(period - (Date.now() - t0), life);
    }
  }

  private restartReason(run: Run): string | undefined {
    return run.lastEnd ? `last run ended: ${run.lastEnd}` : undefined;
  }

  /** Kill a container for a failed probe (preStop, SIGTERM, grace, SIGKILL); its loop restarts it per restartPolicy. */
  private async restartContainer(run: Run, reason: string): Promise<void> {
    this.ctx.log(`pod ${this.ctx.name}: ${run.spec.name}: ${reason}, killing it`);
    run.killReason = reason;
    run.status.ready = false;
    this.emit();
    const grace = run.spec.livenessProbe?.terminationGracePeriodSeconds ?? this.ctx.spec.terminationGracePeriodSeconds ?? 30;
    await this.stopContainer(run, Date.now() + grace * 1000, true);
  }

  private portOf(run: Run, port: number | string): number {
    if (typeof port === 'number') return port;
    if (/^\d+$/.test(port)) return Number(port);
    const named = (run.spec.ports ?? []).find((p) => p.name === port);
    if (!named) throw new Error(`port "${port}" is not a named port of container ${run.spec.name}`);
    return named.containerPort;
  }

  private async runProbe(run: Run, probe: Probe, life: AbortSignal): Promise<{ ok: boolean; message: string }> {
    const timeout = (probe.timeoutSeconds ?? 1) * 1000;
    try {
      if (probe.httpGet) return await this.httpGet(run, probe.httpGet as Obj, timeout);
      if (probe.tcpSocket) return await this.tcpConnect(run, probe.tcpSocket as Obj, timeout);
      if (probe.exec) return await this.execInPod(run, probe.exec.command ?? [], timeout, life);
      return { ok: false, message: 'only httpGet, tcpSocket and exec probes are supported here' };
    } catch (e) {
      return { ok: false, message: (e as Error).message };
    }
  }

  /** httpGet from the host to the pod's address (the kubelet's view), 200-399 passes. */
  private httpGet(run: Run, action: Obj, timeout: number): Promise<{ ok: boolean; message: string }> {
    const port = this.portOf(run, action.port);
    const host = action.host ?? this.ctx.network.ip;
    const scheme = String(action.scheme ?? 'HTTP').toLowerCase();
    const p: string = action.path ?? '/';
    const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${p.startsWith('/') ? p : '/' + p}`;
    const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.31', Accept: '*/*' };
    for (const h of (action.httpHeaders ?? []) as Obj[]) headers[h.name] = h.value;
    return new Promise((resolve) => {
      const mod = scheme === 'https' ? https : http;
      const req = mod.request(url, { method: 'GET', headers, timeout, rejectUnauthorized: false, agent: false }, (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(
          code >= 200 && code < 400
            ? { ok: true, message: '' }
            : { ok: false, message: `HTTP probe failed with statuscode: ${code} (GET ${url})` },
        );
      });
      req.on('timeout', () => req.destroy(new Error(`Get "${url}": timeout after ${timeout} ms`)));
      req.on('error', (e) => resolve({ ok: false, message: e.message.startsWith('Get') ? e.message : `Get "${url}": ${e.message}` }));
      req.end();
    });
  }

  private tcpConnect(run: Run, action: Obj, timeout: number): Promise<{ ok: boolean; message: string }> {
    const port = this.portOf(run, action.port);
    const host = action.host ?? this.ctx.network.ip;
    return new Promise((resolve) => {
      const s = net.connect({ host, port, timeout });
      s.once('connect', () => {
        s.destroy();
        resolve({ ok: true, message: '' });
      });
      s.once('timeout', () => {
        s.destroy();
        resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
      });
      s.once('error', (e) => resolve({ ok: false, message: `dial tcp ${host}:${port}: ${e.message}` }));
    });
  }

  /** A command inside the pod as the container (its mounts, user, env): exec probes and exec hooks. */
  private execInPod(run: Run, command: string[], timeout: number, abort?: AbortSignal): Promise<{ ok: boolean; message: string }> {
    const prepared = run.prepared;
    if (!prepared) return Promise.resolve({ ok: false, message: 'container not prepared' });
    if (!command.length) return Promise.resolve({ ok: false, message: 'empty command' });
    const argv = [...command];
    argv[0] = this.ctx.images.program(argv[0]);
    if (argv[0].startsWith('/')) argv[0] = prepared.viaStage(realpathOrSelf(argv[0]));
    return new Promise((resolve) => {
      const proc = this.spawnInPod(prepared, argv, ['ignore', 'pipe', 'pipe']);
      this.aux.add(proc);
      let output = '';
      const take = (d: Buffer) => {
        if (output.length < 4096) output += d.toString();
      };
      proc.stdout?.on('data', take);
      proc.stderr?.on('data', take);
      let timedOut = false;
      const kill = () => this.killGroup(proc, 'SIGKILL');
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, timeout);
      abort?.addEventListener('abort', kill, { once: true });
      const finish = (code: number) => {
        clearTimeout(timer);
        abort?.removeEventListener('abort', kill);
        this.aux.delete(proc);
        // Anything the command left running goes with it.
        this.killGroup(proc, 'SIGKILL');
        const out = output.trim();
        if (timedOut)
          resolve({ ok: false, message: `command ${JSON.stringify(command)} timed out after ${timeout} ms${out ? `: ${out}` : ''}` });
        else
          resolve(
            code === 0
              ? { ok: true, message: out }
              : { ok: false, message: `command ${JSON.stringify(command)} exited ${code}${out ? `: ${out}` : ''}` },
          );
      };
      proc.once('error', () => finish(127));
      proc.once('exit', (code, signal) => finish(signalName(code, signal)));
    });
  }

  // ---- termination ---------------------------------------------------------------------------

  /** preStop (if `preStop`, bounded by the deadline), SIGTERM, SIGKILL at the deadline; resolves when the process is gone. */
  private async stopContainer(run: Run, deadline: number, preStop: boolean): Promise<void> {
    const proc = run.proc;
    const exited = run.exited;
    if (!proc || !exited) return;
    run.life?.abort();
    let gone = false;
    void exited.then(() => (gone = true));
    const hook = run.spec.lifecycle?.preStop as Obj | undefined;
    if (preStop && hook && !run.init) {
      const untilDeadline = new AbortController();
      const timer = setTimeout(() => untilDeadline.abort(), Math.max(0, deadline - Date.now()));
      try {
        await Promise.race([this.runHook(run, hook, deadline, untilDeadline.signal), exited]);
      } finally {
        clearTimeout(timer);
        untilDeadline.abort();
      }
    }
    if (gone) return;
    // A preStop that used up the grace period earns 2 s more (the kubelet's rule).
    const killAt = Date.now() >= deadline ? Date.now() + 2000 : deadline;
    this.ctx.log(`pod ${this.ctx.name}: SIGTERM to ${run.spec.name} (pid ${proc.pid})`);
    try {
      process.kill(proc.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const timer = new AbortController();
    await Promise.race([exited, sleep(killAt - Date.now(), timer.signal)]);
    timer.abort();
    if (!gone) {
      this.ctx.log(`pod ${this.ctx.name}: SIGKILL to ${run.spec.name} after the grace period`);
      this.killGroup(proc, 'SIGKILL');
      await exited;
    }
  }

  private async runHook(run: Run, hook: Obj, deadline: number, abort: AbortSignal): Promise<void> {
    const left = Math.max(0, deadline - Date.now());
    let result: { ok: boolean; message: string } = { ok: true, message: '' };
    this.ctx.log(`pod ${this.ctx.name}: preStop of ${run.spec.name}`);
    try {
      if (hook.sleep) await sleep(Number(hook.sleep.seconds ?? 0) * 1000, abort);
      else if (hook.exec) result = await this.execInPod(run, hook.exec.command ?? [], left, abort);
      else if (hook.httpGet) result = await this.httpGet(run, hook.httpGet, left);
      else if (hook.tcpSocket) result = { ok: false, message: 'tcpSocket hooks are deprecated and not run' };
    } catch (e) {
      result = { ok: false, message: (e as Error).message };
    }
    // A failed hook is an event, not a stop: the kubelet goes on with the SIGTERM.
    if (!result.ok) this.ctx.log(`pod ${this.ctx.name}: preStop of ${run.spec.name} failed: ${result.message}`);
  }

  /** Kubernetes' termination: not ready at once, preStop hooks in parallel, SIGTERM, SIGKILL after the grace period; then the pod's files go. */
  terminate(gracePeriodSeconds?: number): Promise<void> {
    this.endPromise ??= (async () => {
      const grace = gracePeriodSeconds ?? this.ctx.spec.terminationGracePeriodSeconds ?? 30;
      const deadline = Date.now() + grace * 1000;
      this.stopping = true;
      this.stopAbort.abort();
      for (const r of this.runs) r.status.ready = false;
      this.setPhase('Terminating');
      await Promise.all(this.runs.map((r) => this.stopContainer(r, deadline, !r.init)));
      await this.cleanup();
    })();
    return this.endPromise;
  }

  /** SIGKILL everything now (a node lost). */
  kill(): Promise<void> {
    if (this.phaseValue === 'Gone') return Promise.resolve();
    const killAll = async () => {
      this.stopping = true;
      this.stopAbort.abort();
      for (const r of this.runs) r.status.ready = false;
      this.setPhase('Terminating');
      for (const p of this.aux) this.killGroup(p, 'SIGKILL');
      await Promise.all(
        this.runs.map(async (r) => {
          r.life?.abort();
          if (!r.proc || !r.exited) return;
          r.killReason ??= 'Killed';
          this.killGroup(r.proc, 'SIGKILL');
          await r.exited;
        }),
      );
    };
    // During a graceful termination too (a force delete): SIGKILL now, then its cleanup.
    if (this.endPromise) return killAll().then(() => this.endPromise);
    this.endPromise = killAll().then(() => this.cleanup());
    return this.endPromise;
  }

  private async cleanup(): Promise<void> {
    for (const p of this.aux) this.killGroup(p, 'SIGKILL');
    await Promise.allSettled(this.mainLoops);
    for (const r of this.runs) {
      this.logTails.set(r.spec.name, this.readLog(r.spec.name, 500));
      if (r.status.state === 'running') r.status.state = 'terminated';
    }
    this.unwatchVolumes?.();
    fs.rmSync(this.ctx.runDir, { recursive: true, force: true });
    releaseHostPaths(this.heldPaths);
    this.heldPaths = [];
    this.acquiredTargets.clear();
    this.setPhase('Gone');
  }

  private readLog(container: string, lines: number): string {
    let text: string;
    try {
      text = fs.readFileSync(path.join(this.ctx.runDir, `${container}.log`), 'utf8');
    } catch {
      return '';
    }
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines).join('\n');
  }

  /** The tail of a container's stdout+stderr (all its runs); after the pod is gone, what was kept of it. */
  logs(container: string, lines = 100): string {
    if (this.phaseValue === 'Gone') {
      const kept = (this.logTails.get(container) ?? '').split('\n');
      return kept.slice(-lines).join('\n');
    }
    return this.readLog(container, lines);
  }
}
