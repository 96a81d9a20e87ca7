/**
 * The whole local stack: etcd x5, nats-server -js, and every service (N instances of any).
 * The developer's `npm run stack` and the tests use this same class, on different ports and
 * directories, so tests never touch a running dev stack.
 */
import fs from 'node:fs';
import path from 'node:path';
import { newControlToken, startControlServer, writeControlToken, type ControlServer } from './control-server.js';
import { EtcdCluster } from './etcd-cluster.js';
import { NatsServer } from './nats-server.js';
import { isAlive, stopProcess } from './process.js';
import { ALL_SERVICES, ServiceProcess } from './services.js';

export interface StackOptions {
  /** Data dirs, logs and the state file live here. */
  dir: string;
  /** etcd clients base..base+4, peers base+10.., NATS base+20 (monitor +21), services base+30.. */
  portBase: number;
  /** The gateway's port; defaults to base+30. */
  gatewayPort?: number;
  /** Services to run; false for only etcd and NATS. */
  services?: readonly string[] | false;
  /** Instances per service (default 1). */
  instances?: Record<string, number>;
  /** Extra environment for every service (e.g. ETCD_NAMESPACE, SVC_LEASE_TTL_S). */
  env?: Record<string, string>;
  /** Extra environment for one service's instances, over `env` (e.g. its own ETCD_USERNAME). */
  serviceEnv?: Record<string, Record<string, string>>;
  repoRoot: string;
  /** Run the control server (port base+29) and give the gateway SCALER=local (issue 15.3). */
  control?: boolean;
}

export interface StackState {
  ownerPid: number;
  dir: string;
  etcdEndpoints: string[];
  natsUrl: string;
  gatewayUrl: string | null;
  processes: { name: string; pid: number; logFile: string }[];
  services: { service: string; instanceId: string; url: string; pid: number }[];
}

export const STATE_FILE = 'stack.json';

export class Stack {
  readonly etcd: EtcdCluster;
  readonly nats: NatsServer;
  readonly services: ServiceProcess[] = [];
  /** Instances being drained by scale(): still tracked (ports, ids) until they are gone. */
  private readonly retiring = new Set<ServiceProcess>();
  private readonly controlToken = newControlToken();
  private controlServer: ControlServer | null = null;

  constructor(readonly opts: StackOptions) {
    this.etcd = new EtcdCluster({ dir: path.join(opts.dir, 'etcd'), clientBasePort: opts.portBase, peerBasePort: opts.portBase + 10 });
    this.nats = new NatsServer({ dir: path.join(opts.dir, 'nats'), port: opts.portBase + 20, monitorPort: opts.portBase + 21 });
    let next = opts.portBase + 31;
    for (const service of opts.services === false ? [] : (opts.services ?? ALL_SERVICES)) {
      const count = opts.instances?.[service] ?? 1;
      for (let i = 0; i < count; i++) {
        const port = service === 'gateway' && i === 0 ? (opts.gatewayPort ?? opts.portBase + 30) : next++;
        this.services.push(
          new ServiceProcess({ service, instance: i, port, env: this.envFor(service) }, opts.repoRoot, path.join(opts.dir, 'logs')),
        );
      }
    }
  }

  serviceEnv(service?: string): Record<string, string> {
    const own = service ? this.opts.serviceEnv?.[service] : undefined;
    return { ETCD_ENDPOINTS: this.etcd.endpoints.join(','), NATS_URL: this.nats.url, ...this.opts.env, ...own };
  }

  /** The gateway's scaler settings when the control server runs; explicit `env` still wins. */
  private envFor(service: string, extra: Record<string, string> = {}): Record<string, string> {
    const scaler: Record<string, string> =
      this.opts.control && service === 'gateway'
        ? { SCALER: 'local', SCALER_LOCAL_URL: this.controlUrl, SCALER_LOCAL_TOKEN: this.controlToken }
        : {};
    return { ...scaler, ...this.serviceEnv(service), ...extra };
  }

  get controlUrl(): string {
    return `http://127.0.0.1:${this.opts.portBase + 29}`;
  }

  get gatewayUrl(): string | null {
    return this.services.find((s) => s.spec.service === 'gateway')?.url ?? null;
  }

  /** Adds (and starts) one more instance of a service, on the next free port of the block. */
  async addInstance(service: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const used = new Set(this.services.map((s) => s.spec.port));
    let port = this.opts.portBase + 31;
    while (used.has(port)) port++;
    // One past the highest in use, not the count: after a scale-down the count would reuse a live id.
    const instance = Math.max(-1, ...this.services.filter((s) => s.spec.service === service).map((s) => s.spec.instance)) + 1;
    const sp = new ServiceProcess(
      { service, instance, port, env: this.envFor(service, env) },
      this.opts.repoRoot,
      path.join(this.opts.dir, 'logs'),
    );
    this.services.push(sp);
    sp.start();
    this.writeState();
    return sp;
  }

  async start(opts: { waitReadyMs?: number } = {}): Promise<void> {
    fs.mkdirSync(this.opts.dir, { recursive: true });
    await this.etcd.start();
    this.writeState();
    await this.nats.start();
    this.writeState();
    if (this.opts.control) {
      writeControlToken(this.opts.dir, this.controlToken);
      this.controlServer = await startControlServer(this, { port: this.opts.portBase + 29, token: this.controlToken });
    }
    for (const s of this.services) s.start();
    this.writeState();
    await Promise.all(this.services.map((s) => s.waitReady(opts.waitReadyMs ?? 60_000)));
  }

  /**
   * Services first (they deregister), then NATS, then etcd. `discard`: the stack's dir is deleted
   * next (a test's stack): every process is killed at once, as nothing is left to keep tidy.
   */
  async stop(opts: { discard?: boolean } = {}): Promise<void> {
    await this.controlServer?.close();
    this.controlServer = null;
    const signal = opts.discard ? 'SIGKILL' : 'SIGTERM';
    await Promise.all(this.services.map((s) => s.stop(signal)));
    await this.nats.stop(signal);
    await this.etcd.stop(opts);
    fs.rmSync(path.join(this.opts.dir, STATE_FILE), { force: true });
  }

  /** Every service the launcher knows: one not started yet can be scaled up from 0. */
  serviceNames(): readonly string[] {
    return ALL_SERVICES;
  }

  /** Instances a service should have: started ones not being drained. */
  desired(service: string): number {
    return this.services.filter((s) => s.spec.service === service && !this.retiring.has(s)).length;
  }

  /** Being drained by scale(): its exit is expected, not a failure to report. */
  isRetiring(s: ServiceProcess): boolean {
    return this.retiring.has(s);
  }

  running(service: string): number {
    return this.services.filter((s) => s.spec.service === service && !this.retiring.has(s) && s.isRunning()).length;
  }

  /**
   * Starts instances (addInstance) or drains the newest ones with SIGTERM until `replicas` remain.
   * Returns once they are started or signalled, not ready or gone: svc: keys show when they are.
   */
  async scale(service: string, replicas: number): Promise<void> {
    if (!Number.isInteger(replicas) || replicas < 0) throw new Error(`replicas must be a whole number >= 0, got ${replicas}`);
    while (this.desired(service) < replicas) await this.addInstance(service);
    const newestFirst = this.services
      .filter((s) => s.spec.service === service && !this.retiring.has(s))
      .sort((a, b) => b.spec.instance - a.spec.instance);
    for (const s of newestFirst.slice(0, Math.max(0, newestFirst.length - replicas))) {
      this.retiring.add(s);
      void s.stop().then(() => {
        this.retiring.delete(s);
        const i = this.services.indexOf(s);
        if (i >= 0) this.services.splice(i, 1);
        this.writeState();
      });
    }
  }

  state(): StackState {
    const procs = [...this.etcd.processes, this.nats.process, ...this.services.map((s) => s.process)].filter((p) => p !== null);
    return {
      ownerPid: process.pid,
      dir: this.opts.dir,
      etcdEndpoints: this.etcd.endpoints,
      natsUrl: this.nats.url,
      gatewayUrl: this.gatewayUrl,
      processes: procs.map((p) => ({ name: p.name, pid: p.pid, logFile: p.logFile })),
      services: this.services
        .filter((s) => s.process)
        .map((s) => ({ service: s.spec.service, instanceId: s.instanceId, url: s.url, pid: s.process!.pid })),
    };
  }

  writeState(): void {
    fs.writeFileSync(path.join(this.opts.dir, STATE_FILE), JSON.stringify(this.state(), null, 2));
  }
}

export function readState(dir: string): StackState | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), 'utf8')) as StackState;
  } catch {
    return null;
  }
}

/** Stops every process a state file lists (services, then NATS, then etcd) and the owner. */
export async function stopFromState(dir: string): Promise<number> {
  const state = readState(dir);
  if (!state) return 0;
  const order = (name: string) => (name.startsWith('etcd') ? 2 : name === 'nats' ? 1 : 0);
  let stopped = 0;
  for (const rank of [0, 1, 2]) {
    const batch = state.processes.filter((p) => order(p.name) === rank && isAlive(p.pid));
    await Promise.all(batch.map((p) => stopProcess(p, { graceMs: 12_000 })));
    stopped += batch.length;
  }
  if (state.ownerPid !== process.pid && isAlive(state.ownerPid)) process.kill(state.ownerPid, 'SIGTERM');
  fs.rmSync(path.join(dir, STATE_FILE), { force: true });
  return stopped;
}
