/**
 * Writes many small "units" (an entity's keys, created together) in batched Txns: at most
 * MAX_TXN_OPS ops and compares each, several Txns in flight. Every unit is guarded by Create==0
 * on its anchor keys, so a unit that exists is never written twice (a re-run, or etcd3 resending
 * a Txn that did commit). A unit may also add to counters (e.g. favcount:<event>): the counter's
 * put is guarded by its mod revision, and two Txns touching one counter never run at once.
 * When a guard fails, the batch's anchors and counters are read again, units that exist are
 * dropped and the rest is resent; a store error (deadline, leader change) is resent the same way.
 * A unit found existing after such a round whose anchors hold exactly the values this writer sent
 * is its own earlier Txn that committed unseen (a lost reply, or etcd3 resending it): it counts as
 * created, so its caller still records it (e.g. a new account's password).
 */
import {
  EtcdUnavailableError,
  MAX_TXN_OPS,
  prefixEnd,
  toBuilder,
  toStoreError,
  unconditionalTxn,
  type EtcdConnection,
  type WriteOp,
} from '@ticketcd/etcd';

export interface Unit {
  /** Keys that must not exist (Create==0); the unit exists if any does. The first names it in messages. */
  anchors: string[];
  ops: WriteOp[];
  /** Counters this unit adds to, e.g. favcount:<event> += 1. */
  counters?: { key: string; delta: number }[];
}

export interface WriteStats {
  units: number;
  created: number;
  existing: number;
  keys: number;
  txns: number;
  retries: number;
}

export interface BulkWriterOptions {
  /** Txns in flight at once. */
  concurrency: number;
  /** Called after each committed Txn with the units and keys it created. */
  onProgress?: (units: number, keys: number) => void;
  /** How long a store outage may last before populate gives up. */
  outageMs?: number;
}

const MAX_GUARD_ROUNDS = 20;

/** Packs units into batches within etcd's per-Txn limits (ops, compares). A unit larger than that is an error. */
export function pack(units: Unit[], maxOps = MAX_TXN_OPS): Unit[][] {
  const batches: Unit[][] = [];
  let current: Unit[] = [];
  let ops = 0;
  let guards = 0;
  let counters = new Set<string>();
  for (const u of units) {
    const newCounters = (u.counters ?? []).filter((c) => !counters.has(c.key)).length;
    const uOps = u.ops.length + newCounters;
    const uGuards = u.anchors.length + newCounters;
    if (uOps > maxOps || uGuards > maxOps) throw new RangeError(`unit ${u.anchors[0]} needs ${uOps} ops: more than one Txn takes`);
    if (current.length > 0 && (ops + uOps > maxOps || guards + uGuards > maxOps)) {
      batches.push(current);
      current = [];
      ops = 0;
      guards = 0;
      counters = new Set();
    }
    current.push(u);
    for (const c of u.counters ?? []) {
      if (!counters.has(c.key)) {
        counters.add(c.key);
        ops++;
        guards++;
      }
    }
    ops += u.ops.length;
    guards += u.anchors.length;
  }
  if (current.length) batches.push(current);
  return batches;
}

export class BulkWriter {
  readonly stats: WriteStats = { units: 0, created: 0, existing: 0, keys: 0, txns: 0, retries: 0 };
  /** First anchor of every unit this writer created. */
  readonly created = new Set<string>();
  /** Counter key -> the Txn currently writing it (so two never race on one mod revision). */
  private readonly counterBusy = new Map<string, Promise<void>>();

  constructor(
    private readonly etcd: EtcdConnection,
    private readonly opts: BulkWriterOptions,
  ) {}

  /** Writes every unit that does not exist yet. `known` are anchors already known to exist (a prior scan): skipped without a read. */
  async write(units: Unit[], known?: Set<string>): Promise<void> {
    const fresh = known ? units.filter((u) => !u.anchors.some((a) => known.has(a))) : units;
    this.stats.units += units.length;
    this.stats.existing += units.length - fresh.length;
    const batches = pack(fresh);
    let next = 0;
    const worker = async () => {
      while (next < batches.length) await this.commit(batches[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, batches.length) }, worker));
  }

  private async commit(batch: Unit[]): Promise<void> {
    const counterKeys = [...new Set(batch.flatMap((u) => (u.counters ?? []).map((c) => c.key)))];
    // Wait for any Txn that writes one of our counters, then hold them.
    for (;;) {
      const busy = counterKeys.map((k) => this.counterBusy.get(k)).filter(Boolean);
      if (busy.length === 0) break;
      await Promise.all(busy);
    }
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    for (const k of counterKeys) this.counterBusy.set(k, held);
    try {
      await this.commitHeld(batch, counterKeys);
    } finally {
      for (const k of counterKeys) this.counterBusy.delete(k);
      release();
    }
  }

  private async commitHeld(batch: Unit[], counterKeys: string[]): Promise<void> {
    const ns = this.etcd.kv;
    let units = batch;
    // First try without reading anchors (the scan said they are absent); counters must be read.
    let needAnchorRead = false;
    // Whether a Txn of this batch was sent: only then can an existing anchor be our own write.
    let sentBefore = false;
    let outageSince: number | null = null;
    for (let round = 1; units.length > 0; round++) {
      if (round > MAX_GUARD_ROUNDS) throw new Error(`keys around ${units[0]!.anchors[0]} keep changing under populate; run it again`);
      try {
        const anchors = units.flatMap((u) => u.anchors);
        const state = await this.read(needAnchorRead ? anchors : [], counterKeys);
        const still: Unit[] = [];
        for (const u of units) {
          if (!u.anchors.some((a) => state.exists.has(a))) still.push(u);
          else if (sentBefore && isOwn(u, state.exists)) this.markCreated([u], u.ops.length);
          else this.stats.existing++;
        }
        units = still;
        if (units.length === 0) return;
        const sums = new Map<string, number>();
        for (const u of units) for (const c of u.counters ?? []) sums.set(c.key, (sums.get(c.key) ?? 0) + c.delta);
        const ops: WriteOp[] = units.flatMap((u) => u.ops);
        for (const [key, delta] of sums) ops.push({ type: 'put', key, value: String((state.counters.get(key)?.value ?? 0) + delta) });
        const guards: [string, 'Create' | 'Mod', number][] = [
          ...units.flatMap((u) => u.anchors.map((a): [string, 'Create', number] => [a, 'Create', 0])),
          ...[...sums.keys()].map((k): [string, 'Create' | 'Mod', number] => {
            const c = state.counters.get(k);
            return c ? [k, 'Mod', c.modRevision] : [k, 'Create', 0];
          }),
        ];
        const [first, ...rest] = guards;
        const txn = ns.if(first![0], first![1], '==', first![2]);
        for (const [k, col, v] of rest) txn.and(k, col, '==', v);
        const res = await txn
          .then(...ops.map((op) => toBuilder(ns, op)))
          .options(this.etcd.deadline(10_000))
          .commit()
          .catch((e: unknown) => {
            throw toStoreError(e, 'bulk write');
          });
        this.stats.txns++;
        sentBefore = true;
        if (res.succeeded) {
          this.markCreated(units, ops.length);
          return;
        }
        // Someone created one of these keys (or moved a counter) meanwhile: read and go again.
        this.stats.retries++;
        needAnchorRead = true;
        outageSince = null;
      } catch (e) {
        if (!(e instanceof EtcdUnavailableError)) throw e;
        // Guarded, so resending is safe even if the lost Txn committed: the re-read finds it.
        outageSince ??= Date.now();
        if (Date.now() - outageSince > (this.opts.outageMs ?? 30_000)) throw e;
        sentBefore = true;
        this.stats.retries++;
        needAnchorRead = true;
        await new Promise((r) => setTimeout(r, 200 + Math.random() * 300));
      }
    }
  }

  private markCreated(units: Unit[], keys: number): void {
    this.stats.created += units.length;
    for (const u of units) this.created.add(u.anchors[0]!);
    this.stats.keys += keys;
    this.opts.onProgress?.(units.length, keys);
  }

  /** Which anchors exist (with their values) and the counters' values, at one revision. */
  private async read(anchors: string[], counterKeys: string[]) {
    const ns = this.etcd.kv;
    const exists = new Map<string, string>();
    const counters = new Map<string, { value: number; modRevision: number }>();
    const all = [...anchors.map((k) => ({ k, counter: false })), ...counterKeys.map((k) => ({ k, counter: true }))];
    for (let i = 0; i < all.length; i += MAX_TXN_OPS) {
      const part = all.slice(i, i + MAX_TXN_OPS);
      const res = await unconditionalTxn(ns)
        .then(...part.map(({ k }) => ns.get(k)))
        .options(this.etcd.deadline(10_000))
        .commit()
        .catch((e: unknown) => {
          throw toStoreError(e, 'bulk write read');
        });
      res.responses.forEach((r, j) => {
        const { k, counter } = part[j]!;
        const range = r.response_range;
        if (counter) {
          const kv = range?.kvs[0];
          if (kv) counters.set(k, { value: Number(kv.value.toString()) || 0, modRevision: Number(kv.mod_revision) });
        } else if (range?.kvs[0]) exists.set(k, range.kvs[0].value.toString());
      });
    }
    return { exists, counters };
  }
}

/** Whether every anchor of the unit exists holding the value the unit puts there. */
function isOwn(u: Unit, stored: Map<string, string>): boolean {
  return u.anchors.every((a) => {
    const put = u.ops.find((op) => op.type === 'put' && op.key === a);
    return put?.type === 'put' && stored.get(a) === put.value;
  });
}

/** Every key under a prefix, keys only, paged (a keys-only page of 10,000 is small). */
export async function existingKeys(etcd: EtcdConnection, prefix: string): Promise<Set<string>> {
  const out = new Set<string>();
  const end = prefixEnd(prefix);
  let start = prefix;
  for (;;) {
    const page = await etcd.kv
      .getAll()
      .inRange({ start, end })
      .limit(10_000)
      .options(etcd.deadline(15_000))
      .keys()
      .catch((e: unknown) => {
        throw toStoreError(e, `scanning ${prefix}`);
      });
    for (const k of page) out.add(k);
    if (page.length < 10_000) return out;
    start = `${page[page.length - 1]!}\0`;
  }
}
