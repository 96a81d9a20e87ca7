/** Service processes: `node services/<name>/dist/main.js` with the stack's environment. */
import path from 'node:path';
import { isAlive, startProcess, stopProcess, tail, waitUntil, type ManagedProcess } from './process.js';

export const ALL_SERVICES = ['gateway', 'catalog', 'inventory', 'orders', 'search-indexer', 'notifier'] as const;

export interface ServiceSpec {
  service: string;
  instance: number;
  port: number;
  env: Record<string, string>;
}

export class ServiceProcess {
  private proc: ManagedProcess | null = null;

  constructor(
    readonly spec: ServiceSpec,
    private readonly repoRoot: string,
    private readonly logDir: string,
  ) {}

  get instanceId(): string {
    return `${this.spec.service}-${this.spec.instance}`;
  }

  get url(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }

  get process(): ManagedProcess | null {
    return this.proc;
  }

  get logFile(): string {
    return path.join(this.logDir, `${this.instanceId}.log`);
  }

  start(): ManagedProcess {
    this.proc = startProcess(
      this.instanceId,
      process.execPath,
      [path.join(this.repoRoot, 'services', this.spec.service, 'dist', 'main.js')],
      {
        logFile: this.logFile,
        cwd: this.repoRoot,
        env: {
          ...process.env,
          NODE_ENV: process.env.NODE_ENV === 'test' ? 'test' : 'development',
          HTTP_HOST: '127.0.0.1',
          HTTP_PORT: String(this.spec.port),
          INSTANCE_ID: this.instanceId,
          // No load balancer in front of a local stack: nobody to wait for on SIGTERM.
          SHUTDOWN_READY_DELAY_MS: '0',
          ...this.spec.env,
        },
      },
    );
    return this.proc;
  }

  isRunning(): boolean {
    return this.proc !== null && isAlive(this.proc.pid);
  }

  async readyStatus(): Promise<number> {
    try {
      const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(3000) });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }

  async waitReady(timeoutMs = 30_000): Promise<void> {
    try {
      await waitUntil(
        `${this.instanceId} ready`,
        async () => {
          if (!this.isRunning()) throw new Error('process exited');
          return (await this.readyStatus()) === 200;
        },
        timeoutMs,
        200,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- ${this.logFile}\n${tail(this.logFile, 15)}`);
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.proc) await stopProcess(this.proc, { signal, graceMs: 12_000 });
    this.proc = null;
  }
}
