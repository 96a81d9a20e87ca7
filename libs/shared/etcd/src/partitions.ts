/**
 * Partition ownership on etcd leases (issue 17 point 5). Work is hashed onto N partitions; each
 * is held by one instance through a key on that instance's lease (plus a member key on the same
 * lease, so the instances taking part and the partitions they hold vanish together when one
 * dies). Every instance, on a short timer and whenever the keys change (a watch, used only as a
 * trigger: the timer's range read is the record):
 *  - drops what it no longer holds (its lease was lost, or a key changed hands),
 *  - takes free partitions (Create == 0) up to its fair share, ceil(N / members),
 *  - gives back what is above its share (a newcomer then takes it: rebalance).
 * A dead owner's keys go when its lease runs out (TTL), and the others take them at once.
 * A key holding our own instance id on another lease is a previous life of this instance
 * (restart after kill -9): taken over at once, guarded by its mod revision.
 *
 * Ownership only routes work. A lease is not mutual exclusion (a paused owner may still act for
 * a moment after its lease expired), so correctness must rest on the writers' own compares; the
 * create revision of the key is given as a fencing token for writers that want one.
 */
import type { Lease, Watcher } from 'etcd3';
import { localKey, type EtcdConnection } from './client.js';
import type { LeasedKeyLogger } from './leased-key.js';

export interface PartitionOwnershipOptions {
  partitions: number;
  instanceId: string;
  ttlSeconds: number;
  /** Ownership key of partition p. */
  keyOf: (partition: number) => string;
  /** Prefix of every ownership key. */
  prefix: string;
  /** This instance's member key, and the prefix of every member key. */
  memberKey: string;
  membersPrefix: string;
  /** How often ownership is checked without a trigger (default TTL / 4, at most 1 s). */
  tickMs?: number;
  /** How long a partition given back is still served, so the newcomer can take it without a gap (default 2 ticks). */
  releaseGraceMs?: number;
  /** Called once a partition is ours, with its fencing revision; await it before answering for it. */
  onAcquire: (partition: number, fence: number) => Promise<void> | void;
  /** Called when a partition stops being ours (given back, lost, or stopping). */
  onRelease: (partition: number) => Promise<void> | void;
  log: LeasedKeyLogger;
}

interface Holder {
  instanceId: string;
  lease: string;
  modRevision: number;
}

export class PartitionOwnership {
  private lease: Lease | null = null;
  private leaseId: string | null = null;
  /** partition -> fencing revision (create revision of its key). */
  private readonly owned = new Map<number, number>();
  /** partition -> its key's holder and mod revision, as last read. */
  private readonly holders = new Map<number, { instanceId: string; modRevision: number }>();
  private timer: NodeJS.Timeout | null = null;
  private watcher: Watcher | null = null;
  private running: Promise<void> | null = null;
  /** Partitions given back but still served for a grace period. */
  private readonly releasing = new Map<number, NodeJS.Timeout>();
  private again = false;
  private stopped = false;

  constructor(
    private readonly conn: EtcdConnection,
    private readonly opts: PartitionOwnershipOptions,
  ) {}

  private get tickMs(): number {
    return this.opts.tickMs ?? Math.min(1000, (this.opts.ttlSeconds * 1000) / 4);
  }

  /** Takes a first share (awaited: a lone instance owns every partition once this resolves), then keeps checking. */
  async start(): Promise<void> {
    await this.check().catch((e: unknown) => this.opts.log.warn({ err: (e as Error).message }, 'partition check failed; will retry'));
    this.schedule();
    this.watch().catch(() => undefined);
  }

  isOwned(partition: number): boolean {
    return this.owned.has(partition);
  }

  ownedPartitions(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  /** The instance holding a partition as last read (null: none). */
  holderOf(partition: number): string | null {
    return this.holders.get(partition)?.instanceId ?? null;
  }

  /** The mod revision of the partition's key as last read (null: none): changes whenever it changes hands. */
  holderRevisionOf(partition: number): number | null {
    return this.holders.get(partition)?.modRevision ?? null;
  }

  /** Check now (e.g. after a watch event); coalesces with a check in progress. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.check().catch((e: unknown) => this.opts.log.warn({ err: (e as Error).message }, 'partition check failed; will retry'));
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = null;
    });
  }

  private schedule() {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
      this.schedule();
    }, this.tickMs);
    this.timer.unref();
  }

  private async watch() {
    const w = await this.conn.kv.watch().prefix(this.opts.prefix).create();
    if (this.stopped) return void w.cancel();
    this.watcher = w;
    // A trigger only: a missed event is caught by the next timed check.
    w.on('delete', () => this.kick());
    w.on('put', () => this.kick());
    w.on('error', () => undefined);
  }

  private async ensureLease(): Promise<string> {
    if (this.leaseId && this.lease) return this.leaseId;
    const lease = this.conn.kv.lease(this.opts.ttlSeconds, { autoKeepAlive: true });
    lease.on('lost', (err) => {
      if (this.lease !== lease) return;
      this.opts.log.warn({ err: err.message }, 'partition lease lost: dropping every partition held');
      this.lease = null;
      this.leaseId = null;
      void this.dropAll().then(() => this.kick());
    });
    try {
      const id = await lease.grant();
      await lease.put(this.opts.memberKey).value(this.opts.instanceId).exec();
      this.lease = lease;
      this.leaseId = id;
      return id;
    } catch (e) {
      lease.release();
      throw e;
    }
  }

  private async dropAll() {
    for (const t of this.releasing.values()) clearTimeout(t);
    const parts = [...new Set([...this.owned.keys(), ...this.releasing.keys()])];
    this.releasing.clear();
    this.owned.clear();
    for (const p of parts) await this.opts.onRelease(p);
  }

  private async check(): Promise<void> {
    if (this.stopped) return;
    const leaseId = await this.ensureLease();
    const kv = this.conn.kv;
    const [keysRes, members] = await Promise.all([
      kv.getAll().prefix(this.opts.prefix).exec(),
      kv.getAll().prefix(this.opts.membersPrefix).keys(),
    ]);
    if (this.stopped || this.leaseId !== leaseId) return;
    const seen = new Map<number, Holder>();
    for (const item of keysRes.kvs) {
      const value = parseHolder(item.value.toString());
      if (!value || value.partition >= this.opts.partitions) continue;
      seen.set(value.partition, { instanceId: value.instanceId, lease: String(item.lease), modRevision: Number(item.mod_revision) });
    }
    this.holders.clear();
    for (const [p, h] of seen) this.holders.set(p, { instanceId: h.instanceId, modRevision: h.modRevision });

    // Lost: the key is gone or on another lease.
    for (const p of [...this.owned.keys()]) {
      const h = seen.get(p);
      if (!h || h.lease !== leaseId) {
        this.owned.delete(p);
        this.opts.log.warn({ partition: p, holder: h?.instanceId ?? null }, 'partition lost');
        await this.opts.onRelease(p);
      }
    }
    // Keys of a previous life of this instance (same id, older lease): ours again.
    for (const [p, h] of seen) {
      if (h.instanceId === this.opts.instanceId && h.lease !== leaseId) await this.take(p, leaseId, h.modRevision);
    }

    const memberCount = new Set([...members.map((k) => localKey(this.conn, k)), this.opts.memberKey]).size;
    const share = Math.ceil(this.opts.partitions / memberCount);
    // Free partitions, starting from a per-instance offset so newcomers do not all race for the same ones.
    const start = hashString(this.opts.instanceId) % this.opts.partitions;
    for (let i = 0; i < this.opts.partitions && this.owned.size < share && !this.stopped; i++) {
      const p = (start + i) % this.opts.partitions;
      if (!seen.has(p) && !this.owned.has(p)) await this.take(p, leaseId, 0);
    }
    // Above our share: give back the excess (newest first), so a newcomer can take it.
    const excess = this.owned.size - share;
    if (excess > 0) for (const p of this.ownedPartitions().slice(-excess)) await this.giveBack(p, seen.get(p)?.modRevision);
  }

  /** Create == 0 (free) or Mod == rev (a previous life's key): put on our lease. */
  private async take(p: number, leaseId: string, modRevision: number) {
    const kv = this.conn.kv;
    const key = this.opts.keyOf(p);
    const guard = modRevision === 0 ? kv.if(key, 'Create', '==', 0) : kv.if(key, 'Mod', '==', modRevision);
    const res = await guard
      .then(
        kv
          .put(key)
          .value(JSON.stringify({ partition: p, instanceId: this.opts.instanceId }))
          .lease(leaseId),
      )
      .commit();
    if (!res.succeeded || this.stopped || this.leaseId !== leaseId) return;
    const fence = Number(res.header.revision);
    this.owned.set(p, fence);
    this.holders.set(p, { instanceId: this.opts.instanceId, modRevision: fence });
    const pending = this.releasing.get(p);
    if (pending) {
      clearTimeout(pending);
      this.releasing.delete(p);
    }
    this.opts.log.info({ partition: p, fence }, 'partition acquired');
    await this.opts.onAcquire(p, fence);
  }

  /**
   * Deletes its key (only if still ours as read) and keeps serving it a little longer: the
   * newcomer's subscription overlaps ours instead of leaving a moment with nobody listening
   * (two servers for a moment are harmless: the writers' compares decide).
   */
  private async giveBack(p: number, modRevision: number | undefined) {
    this.owned.delete(p);
    const kv = this.conn.kv;
    const key = this.opts.keyOf(p);
    if (modRevision !== undefined) await kv.if(key, 'Mod', '==', modRevision).then(kv.delete().key(key)).commit();
    this.opts.log.info({ partition: p }, 'partition given back (rebalance)');
    const timer = setTimeout(
      () => {
        this.releasing.delete(p);
        if (!this.owned.has(p)) void this.opts.onRelease(p);
      },
      this.opts.releaseGraceMs ?? 2 * this.tickMs,
    );
    timer.unref();
    this.releasing.set(p, timer);
  }

  /** Stops serving every partition, then revokes the lease so the others take them at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.watcher?.cancel().catch(() => undefined);
    await this.running?.catch(() => undefined);
    await this.dropAll();
    const lease = this.lease;
    this.lease = null;
    this.leaseId = null;
    if (!lease) return;
    try {
      await lease.revoke({ deadline: new Date(Date.now() + Math.min(this.conn.deadlineMs, 2000)) });
    } catch {
      // The TTL frees them anyway.
      lease.release();
    }
  }
}

/** partition -> the instance holding it, as etcd holds it now (status pages, tests, benchmarks). */
export async function readPartitionHolders(conn: EtcdConnection, prefix: string): Promise<Map<number, string>> {
  const values = await conn.kv.getAll().prefix(prefix).options(conn.deadline()).strings();
  const out = new Map<number, string>();
  for (const v of Object.values(values)) {
    const h = parseHolder(v);
    if (h) out.set(h.partition, h.instanceId);
  }
  return out;
}

function parseHolder(value: string): { partition: number; instanceId: string } | null {
  try {
    const v = JSON.parse(value) as { partition?: unknown; instanceId?: unknown };
    return typeof v.partition === 'number' && typeof v.instanceId === 'string'
      ? { partition: v.partition, instanceId: v.instanceId }
      : null;
  } catch {
    return null;
  }
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
