/**
 * `purchase:` and `stats:` keys. Sales are recorded in Txns that create the buyers' purchase
 * keys (Create==0: the mark that an order was counted) and update each event's stats (compared on
 * mod revision): a redelivered tickets.sold finds the purchase key and counts nothing twice, and
 * concurrent recorders never lose an update. There is no global stats key to update (issue 17:
 * one key every sale moved was the consumer's bottleneck): the totals are the per-event stats
 * summed on read, at one revision.
 */
import { Inject, Injectable } from '@nestjs/common';
import { EMPTY_STATS, purchaseRecord, saleRecord, statsRecord, type PurchaseRecord, type StatsRecord } from '@ticketcd/contracts';
import {
  chunk,
  CONFLICT,
  guardedWrite,
  listPrefix,
  type KeyGuard,
  type WriteOp,
  retryOnConflict,
  scanPrefix,
  toStoreError,
  unconditionalTxn,
  type EtcdConnection,
} from '@ticketcd/etcd';
import { keys, parseKey, prefixes } from '@ticketcd/keys';
import { ETCD } from '@ticketcd/platform';
import { txnGroups, uniqueSales } from './sold.batch.js';

export interface SoldOrder {
  orderId: string;
  eventId: string;
  username: string;
  lines: { type: string; quantity: number; unitPrice: number }[];
  total: number;
  revision: number;
  at: string;
}

export interface StatsSnapshot {
  revision: number;
  /** Every stats key as kept at `revision`. */
  kept: Map<string, { value: StatsRecord; modRevision: number }>;
  /** Stats from the sales counted by `revision` (always has stats:all). */
  recomputed: Map<string, StatsRecord>;
  /** Sales not counted by `revision`: the consumer has yet to handle them. */
  uncounted: number;
}

export interface Purchase extends PurchaseRecord {
  orderId: string;
  eventId: string;
}

const MAX_ATTEMPTS = 100;

export function addSale(stats: StatsRecord, sale: { total: number; lines: { type: string; quantity: number }[] }): StatsRecord {
  const soldByType = { ...stats.soldByType };
  for (const l of sale.lines) soldByType[l.type] = (soldByType[l.type] ?? 0) + l.quantity;
  return { revenue: stats.revenue + sale.total, orders: stats.orders + 1, soldByType };
}

/** Totals over events: the figures `stats:all` used to keep. */
export function sumStats(all: readonly StatsRecord[]): StatsRecord {
  const soldByType: Record<string, number> = {};
  let revenue = 0;
  let orders = 0;
  for (const s of all) {
    revenue += s.revenue;
    orders += s.orders;
    for (const [t, n] of Object.entries(s.soldByType)) soldByType[t] = (soldByType[t] ?? 0) + n;
  }
  return { revenue, orders, soldByType };
}

@Injectable()
export class HistoryRepository {
  constructor(@Inject(ETCD) private readonly etcd: EtcdConnection) {}

  /**
   * Records a batch of sales: one Txn per group (sold.batch.ts), each creating its orders'
   * purchase: keys (Create==0: the mark that an order is counted) and moving each of its events'
   * stats: key once (Mod compare). Orders already counted (a redelivery) are left out; a lost
   * compare re-reads the group and re-decides, so a redelivered or concurrently handled order is
   * never counted twice and no update is lost. Groups go one after another: two groups of one
   * hot event would only fail each other's compares.
   */
  async recordSales(sales: readonly SoldOrder[]): Promise<{ recorded: number; already: number }> {
    const out = { recorded: 0, already: 0 };
    const unique = uniqueSales(sales);
    out.already += sales.length - unique.length;
    for (const group of txnGroups(unique)) {
      const r = await this.recordGroup(group);
      out.recorded += r.recorded;
      out.already += r.already;
    }
    return out;
  }

  private recordGroup(group: SoldOrder[]): Promise<{ recorded: number; already: number }> {
    const ns = this.etcd.kv;
    const purchaseKeys = group.map((s) => keys.purchase(s.username, s.eventId, s.orderId));
    const statsKeys = [...new Set(group.map((s) => s.eventId))].map((e) => keys.stats(e));
    const what = `recording ${group.length} orders (first ${group[0]!.orderId}): stats`;
    return retryOnConflict({ attempts: MAX_ATTEMPTS, what }, async () => {
      try {
        const read = await unconditionalTxn(ns)
          .then(...purchaseKeys.map((k) => ns.get(k)), ...statsKeys.map((k) => ns.get(k)))
          .commit();
        const kvs = read.responses.map((r) => r.response_range.kvs[0]);
        const fresh = group.filter((_, i) => !kvs[i]);
        if (fresh.length === 0) return { recorded: 0, already: group.length };
        const stats = new Map(
          statsKeys.map((key, i) => {
            const kv = kvs[group.length + i];
            return [
              key,
              {
                value: kv ? statsRecord.parse(JSON.parse(kv.value.toString())) : EMPTY_STATS,
                modRevision: kv ? Number(kv.mod_revision) : 0,
              },
            ];
          }),
        );
        const guards: KeyGuard[] = [];
        const ops: WriteOp[] = [];
        const touched = new Set<string>();
        for (const sold of fresh) {
          const key = keys.purchase(sold.username, sold.eventId, sold.orderId);
          const record: PurchaseRecord = { lines: sold.lines, total: sold.total, at: sold.at, revision: sold.revision };
          guards.push({ key, modRevision: 0 });
          ops.push({ type: 'put', key, value: JSON.stringify(record) });
          const s = stats.get(keys.stats(sold.eventId))!;
          s.value = addSale(s.value, sold);
          touched.add(keys.stats(sold.eventId));
        }
        for (const key of touched) {
          const s = stats.get(key)!;
          guards.push({ key, modRevision: s.modRevision });
          ops.push({ type: 'put', key, value: JSON.stringify(s.value) });
        }
        const res = await guardedWrite(ns, guards, ops, 'recording sales');
        return res.succeeded ? { recorded: fresh.length, already: group.length - fresh.length } : CONFLICT;
      } catch (e) {
        throw toStoreError(e, 'recording sales');
      }
    });
  }

  /** A user's purchases (one prefix: a buyer has a bounded number of orders). */
  async purchasesOf(username: string): Promise<Purchase[]> {
    const out: Purchase[] = [];
    for await (const kv of scanPrefix(this.etcd.kv, prefixes.purchasesOf(username))) {
      const k = parseKey(kv.key);
      if (k.kind === 'purchase') out.push({ ...purchaseRecord.parse(JSON.parse(kv.value)), orderId: k.orderId, eventId: k.eventId });
    }
    return out;
  }

  /** One page of an event's sales (inventory's records, read only), in key order. */
  async salesOf(eventId: string, limit: number, after: string | null) {
    const page = await listPrefix(this.etcd.kv, prefixes.salesOf(eventId), { limit, after });
    return {
      items: page.items.flatMap((kv) => {
        const k = parseKey(kv.key);
        if (k.kind !== 'sale') return [];
        const { username, lines, total, at } = saleRecord.parse(JSON.parse(kv.value));
        return [{ orderId: k.orderId, username, lines, total, at }];
      }),
      next: page.next,
    };
  }

  async stats(eventId?: string): Promise<StatsRecord> {
    if (!eventId) return sumStats(Object.values(await this.statsByEvent()));
    try {
      const v = await this.etcd.kv.get(keys.stats(eventId)).string();
      return v ? statsRecord.parse(JSON.parse(v)) : EMPTY_STATS;
    } catch (e) {
      throw toStoreError(e, 'stats read');
    }
  }

  /**
   * Every event's kept stats, by event id, in one scan of the stats: prefix (pages pinned to one
   * revision, so a sum of them is a total that held at that revision). A legacy `stats:all` left
   * by an older version is not an event's and is skipped (reconcile --fix deletes it).
   */
  async statsByEvent(): Promise<Record<string, StatsRecord>> {
    const out: Record<string, StatsRecord> = {};
    try {
      for await (const kv of scanPrefix(this.etcd.kv, prefixes.stats(), 500)) {
        const k = parseKey(kv.key);
        if (k.kind === 'stats') out[k.eventId] = statsRecord.parse(JSON.parse(kv.value));
      }
      return out;
    } catch (e) {
      throw toStoreError(e, 'stats read');
    }
  }

  /**
   * One consistent view for reconcile: the stats keys (with their mod revisions) and the stats
   * recomputed from the sales already counted (a `purchase:` key exists: the consumer counts a
   * sale and creates that key in one Txn), all read at one revision. Sales not counted yet are
   * only tallied: they are the consumer's to count, and counting them here would count them twice.
   */
  async statsSnapshot(): Promise<StatsSnapshot> {
    const ns = this.etcd.kv;
    const revision = (await listPrefix(ns, prefixes.stats(), { limit: 1 })).revision;
    const kept = new Map<string, { value: StatsRecord; modRevision: number }>();
    for await (const kv of scanPrefix(ns, prefixes.stats(), 500, revision))
      kept.set(kv.key, { value: statsRecord.parse(JSON.parse(kv.value)), modRevision: kv.modRevision });
    const counted = new Set<string>();
    for await (const kv of scanPrefix(ns, prefixes.purchases(), 1000, revision)) {
      const k = parseKey(kv.key);
      if (k.kind === 'purchase') counted.add(keys.sale(k.eventId, k.orderId));
    }
    const recomputed = new Map<string, StatsRecord>();
    let uncounted = 0;
    for await (const kv of scanPrefix(ns, prefixes.sales(), 1000, revision)) {
      const k = parseKey(kv.key);
      if (k.kind !== 'sale') continue;
      if (!counted.has(kv.key)) {
        uncounted++;
        continue;
      }
      const sale = saleRecord.parse(JSON.parse(kv.value));
      const key = keys.stats(k.eventId);
      recomputed.set(key, addSale(recomputed.get(key) ?? EMPTY_STATS, sale));
    }
    return { revision, kept, recomputed, uncounted };
  }

  /**
   * Writes stats values (null: delete the key, for the legacy `stats:all`), each guarded by the
   * mod revision it was read at (0: still absent), in
   * Txns of up to 128. False when a guard failed (the consumer counted a sale meanwhile): the
   * caller reads again. A chunk that did commit wrote values true at the snapshot, and any later
   * count moved the key on from there, so a partial success is still correct.
   */
  async writeStatsGuarded(values: { key: string; value: StatsRecord | null; modRevision: number }[]): Promise<boolean> {
    for (const part of chunk(values)) {
      const res = await guardedWrite(
        this.etcd.kv,
        part.map((v) => ({ key: v.key, modRevision: v.modRevision })),
        part.map((v): WriteOp => (v.value ? { type: 'put', key: v.key, value: JSON.stringify(v.value) } : { type: 'delete', key: v.key })),
        'reconciling stats',
      );
      if (!res.succeeded) return false;
    }
    return true;
  }
}
