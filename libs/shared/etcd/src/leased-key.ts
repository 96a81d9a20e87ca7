/**
 * A key held on a lease with keep-alive: the `svc:` registration of a running instance. If
 * the process dies, keep-alives stop and etcd deletes the key when the TTL runs out. If the
 * lease is lost while we live (etcd unreachable longer than the TTL), we grant a new one and
 * write the key again as soon as etcd answers.
 */
import type { Lease } from 'etcd3';
import type { EtcdConnection } from './client.js';

export interface LeasedKeyLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class LeasedKey {
  private lease: Lease | null = null;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly conn: EtcdConnection,
    readonly key: string,
    private readonly value: () => string,
    private readonly ttlSeconds: number,
    private readonly log: LeasedKeyLogger,
  ) {}

  /** Resolves once the key is written, or rejects with the first failure (retries continue). */
  start(): Promise<void> {
    return this.attempt(0);
  }

  private async attempt(failures: number): Promise<void> {
    if (this.stopped) return;
    const lease = this.conn.kv.lease(this.ttlSeconds, { autoKeepAlive: true });
    this.lease = lease;
    lease.on('lost', (err) => {
      if (this.stopped || this.lease !== lease) return;
      this.log.warn({ key: this.key, err: err.message }, 'registration lease lost; registering again');
      this.schedule(0);
    });
    try {
      await lease.put(this.key).value(this.value()).exec();
      this.log.info({ key: this.key, leaseId: await lease.grant(), ttlSeconds: this.ttlSeconds }, 'registered');
    } catch (e) {
      if (this.lease === lease) this.lease = null;
      lease.release();
      if (!this.stopped) {
        this.log.warn({ key: this.key, err: (e as Error).message, attempt: failures + 1 }, 'registration failed; will retry');
        this.schedule(failures + 1);
      }
      throw e;
    }
  }

  private schedule(failures: number) {
    if (this.stopped || this.retryTimer) return;
    const delay = Math.min(5000, 250 * 2 ** Math.min(failures, 5));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.attempt(failures).catch(() => undefined);
    }, delay);
    this.retryTimer.unref();
  }

  /** Revokes the lease so the key disappears at once (graceful shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const lease = this.lease;
    this.lease = null;
    if (!lease) return;
    try {
      await lease.revoke({ deadline: new Date(Date.now() + Math.min(this.conn.deadlineMs, 2000)) });
    } catch {
      // The TTL removes the key anyway.
      lease.release();
    }
  }
}
