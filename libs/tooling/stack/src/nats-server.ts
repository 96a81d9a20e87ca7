/** nats-server with JetStream and its own store dir; health from the monitoring port. */
import fs from 'node:fs';
import path from 'node:path';
import { findBinary } from './binaries.js';
import { GiveUp, isAlive, startProcess, stopProcess, tail, waitUntil, type ManagedProcess } from './process.js';

export interface NatsServerOptions {
  dir: string;
  port: number;
  monitorPort: number;
}

export class NatsServer {
  private proc: ManagedProcess | null = null;

  constructor(readonly opts: NatsServerOptions) {}

  get url(): string {
    return `nats://127.0.0.1:${this.opts.port}`;
  }

  get process(): ManagedProcess | null {
    return this.proc;
  }

  async start(timeoutMs = 15_000): Promise<void> {
    const storeDir = path.join(this.opts.dir, 'jetstream');
    fs.mkdirSync(storeDir, { recursive: true });
    this.proc = startProcess(
      'nats',
      findBinary('nats-server'),
      [
        '-js',
        '-a',
        '127.0.0.1',
        '-p',
        String(this.opts.port),
        '-m',
        String(this.opts.monitorPort),
        '-sd',
        storeDir,
        '-n',
        `ticketcd-${this.opts.port}`,
      ],
      { logFile: path.join(this.opts.dir, 'logs', 'nats.log') },
    );
    try {
      await waitUntil(
        'nats-server with JetStream',
        async () => {
          if (this.proc && !isAlive(this.proc.pid)) throw new GiveUp('nats-server exited (see its log)');
          return this.healthy();
        },
        timeoutMs,
        100,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${tail(this.proc.logFile)}`);
    }
  }

  async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.opts.monitorPort}/healthz?js-enabled-only=true`, {
        signal: AbortSignal.timeout(1000),
      });
      return res.ok;
    } catch {
      return false;
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.proc) await stopProcess(this.proc, { signal });
    this.proc = null;
  }
}
