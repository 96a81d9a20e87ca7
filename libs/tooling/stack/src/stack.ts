/**
 * The whole local stack: etcd x5, nats-server -js, and every service (N instances of any).
 * The developer's `npm run stack` and the tests use this same class, on different ports and
 * directories, so tests never touch a running dev stack.
 */
import fs from 'node:fs';
import path from 'node:path';
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

  constructor(readonly opts: StackOptions) {
    this.etcd = new EtcdCluster({ dir: path.join(opts.dir, 'etcd'), clientBasePort: opts.portBase, peerBasePort: opts.portBase + 10 });
    this.nats = new NatsServer({ dir: path.join(opts.dir, 'nats'), port: opts.portBase + 20, monitorPort: opts.portBase + 21 });
    let next = opts.portBase + 31;
    for (const service of opts.services === false ? [] : (opts.services ?? ALL_SERVICES)) {
      const count = opts.instances?.[service] ?? 1;
      for (let i = 0; i < count; i++) {
        const port = service === 'gateway' && i === 0 ? (opts.gatewayPort ?? opts.portBase + 30) : next++;
        this.services.push(
          new ServiceProcess({ service, instance: i, port, env: this.serviceEnv(service) }, opts.repoRoot, path.join(opts.dir, 'logs')),
        );
      }
    }
  }

  serviceEnv(service?: string): Record<string, string> {
    const own = service ? this.opts.serviceEnv?.[service] : undefined;
    return { ETCD_ENDPOINTS: this.etcd.endpoints.join(','), NATS_URL: this.nats.url, ...this.opts.env, ...own };
  }

  get gatewayUrl(): string | null {
    return this.services.find((s) => s.spec.service === 'gateway')?.url ?? null;
  }

  /** Adds (and starts) one more instance of a service, on the next free port of the block. */
  async addInstance(service: string, env: Record<string, string> = {}): Promise<ServiceProcess> {
    const used = new Set(this.services.map((s) => s.spec.port));
    let port = this.opts.portBase + 31;
    while (used.has(port)) port++;
    const instance = this.services.filter((s) => s.spec.service === service).length;
    const sp = new ServiceProcess(
      { service, instance, port, env: { ...this.serviceEnv(service), ...env } },
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
    for (const s of this.services) s.start();
    this.writeState();
    await Promise.all(this.services.map((s) => s.waitReady(opts.waitReadyMs ?? 60_000)));
  }

  /** Services first (they deregister), then NATS, then etcd. */
  async stop(): Promise<void> {
    await Promise.all(this.services.map((s) => s.stop()));
    await this.nats.stop();
    await this.etcd.stop();
    fs.rmSync(path.join(this.opts.dir, STATE_FILE), { force: true });
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
