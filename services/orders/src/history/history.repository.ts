/**
 * `purchase:` and `stats:` keys. A sale is recorded in ONE Txn that creates the buyer's purchase
 * key (Create==0: the mark that this order was counted) and updates the event's and the global
 * stats (compared on mod revision): a redelivered tickets.sold finds the purchase key and counts
 * nothing twice, and concurrent recorders never lose an update.
 */
import { Inject, Injectable } from '@nestjs/common';
import { EMPTY_STATS, purchaseRecord, saleRecord, statsRecord, type PurchaseRecord, type StatsRecord } from '@ticketcd/contracts';
import {
  chunk,
  CONFLICT,
  guardedWrite,
  listPrefix,
  retryOnConflict,
  scanPrefix,
  toStoreError,
  unconditionalTxn,
  type EtcdConnection,
} from '@ticketcd/etcd';
import { keys, parseKey, prefixes } from '@ticketcd/keys';
import { ETCD } from '@ticketcd/platform';

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

@Injectable()
export class HistoryRepository {
  constructor(@Inject(ETCD) private readonly etcd: EtcdConnection) {}

  async recordSale(sold: SoldOrder): Promise<'recorded' | 'already recorded'> {
    const ns = this.etcd.kv;
    const purchaseKey = keys.purchase(sold.username, sold.eventId, sold.orderId);
    const eventStats = keys.stats(sold.eventId);
    const allStats = keys.statsAll();
    return retryOnConflict({ attempts: MAX_ATTEMPTS, what: `recording order ${sold.orderId}: stats` }, async () => {
      try {
        const read = await unconditionalTxn(ns).then(ns.get(purchaseKey), ns.get(eventStats), ns.get(allStats)).commit();
        const [p, e, a] = read.responses.map((r) => r.response_range.kvs[0]);
        if (p) return 'already recorded' as const;
        const current = (kv: typeof e) => (kv ? statsRecord.parse(JSON.parse(kv.value.toString())) : EMPTY_STATS);
        const guard = (key: string, kv: typeof e) =>
          kv ? { key, column: 'Mod' as const, value: Number(kv.mod_revision) } : { key, column: 'Create' as const, value: 0 };
        const record: PurchaseRecord = { lines: sold.lines, total: sold.total, at: sold.at, revision: sold.revision };
        const [g1, g2] = [guard(eventStats, e), guard(allStats, a)];
        const res = await ns
          .if(purchaseKey, 'Create', '==', 0)
          .and(g1.key, g1.column, '==', g1.value)
          .and(g2.key, g2.column, '==', g2.value)
          .then(
            ns.put(purchaseKey).value(JSON.stringify(record)),
            ns.put(eventStats).value(JSON.stringify(addSale(current(e), sold))),
            ns.put(allStats).value(JSON.stringify(addSale(current(a), sold))),
          )
          .commit();
        return res.succeeded ? ('recorded' as const) : CONFLICT;
      } catch (e) {
        throw toStoreError(e, 'recording a sale');
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
    try {
      const v = await this.etcd.kv.get(eventId ? keys.stats(eventId) : keys.statsAll()).string();
      return v ? statsRecord.parse(JSON.parse(v)) : EMPTY_STATS;
    } catch (e) {
      throw toStoreError(e, 'stats read');
    }
  }

  /** Every event's kept stats, by event id, in one scan of the stats: prefix (stats:all left out). */
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
    const recomputed = new Map<string, StatsRecord>([[keys.statsAll(), EMPTY_STATS]]);
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
      recomputed.set(keys.statsAll(), addSale(recomputed.get(keys.statsAll())!, sale));
    }
    return { revision, kept, recomputed, uncounted };
  }

  /**
   * Writes stats values, each guarded by the mod revision it was read at (0: still absent), in
   * Txns of up to 128. False when a guard failed (the consumer counted a sale meanwhile): the
   * caller reads again. A chunk that did commit wrote values true at the snapshot, and any later
   * count moved the key on from there, so a partial success is still correct.
   */
  async writeStatsGuarded(values: { key: string; value: StatsRecord; modRevision: number }[]): Promise<boolean> {
    for (const part of chunk(values)) {
      const res = await guardedWrite(
        this.etcd.kv,
        part.map((v) => ({ key: v.key, modRevision: v.modRevision })),
        part.map((v) => ({ type: 'put' as const, key: v.key, value: JSON.stringify(v.value) })),
        'reconciling stats',
      );
      if (!res.succeeded) return false;
    }
    return true;
  }
}
