/**
 * etcd reads and the group-commit Txn for purchases. Nothing here decides anything.
 */
import { claimOf, eventRecord, orderClaimRecord, saleRecord, ticketRecord, type SaleRecord } from '@ticketcd/contracts';
import { andNoKeyCreatedAfter, localKey, toStoreError, unconditionalTxn, type EtcdConnection, type LeaderPinned } from '@ticketcd/etcd';
import { keys, parseKey, prefixes } from '@ticketcd/keys';
import { outboxKindPut } from '@ticketcd/platform';
import type { IRangeResponse } from 'etcd3';
import type { BatchState, BoundOrder, Sale, TicketState } from './decide.js';

/** An order of a batch as its keys name it. */
export interface OrderRef {
  orderId: string;
  username: string;
}

export interface CommitResult {
  committed: boolean;
  revision: number;
}

/** What the outbox entry of a purchase batch records; the relay turns it into events. */
export interface SoldBatch {
  eventId: string;
  orderIds: string[];
  /** Each touched type after the commit; `remainingBefore` just before it (absent in entries of an older inventory). */
  stock: { type: string; total: number; remaining: number; remainingBefore?: number }[];
  /**
   * The event's remaining count over ALL its types just before and after the commit: exact,
   * since the commit compared every ticket key of the event (issue 25). Absent in older entries.
   */
  eventRemainingBefore?: number;
  eventRemainingAfter?: number;
  occurredAt: string;
}
export const SOLD_BATCH = 'inventory.sold-batch';

const stored = ({ orderId: _o, eventId: _e, ...record }: Sale): SaleRecord => record;

/** The stored value of a ticket key; built once per commit, and compared by the next one. */
export const ticketValue = (t: TicketState): string =>
  JSON.stringify({ total: t.total, remaining: t.remaining, price: t.price, closed: t.closed });

/** The sales among the ranges of `orderIds`' sale keys, with the revision that created each. */
function salesFound(
  eventId: string,
  orderIds: string[],
  ranges: (IRangeResponse | undefined)[],
): Map<string, { sale: Sale; revision: number }> {
  const found = new Map<string, { sale: Sale; revision: number }>();
  ranges.forEach((r, i) => {
    const kv = r?.kvs[0];
    if (kv)
      found.set(orderIds[i]!, {
        sale: { ...saleRecord.parse(JSON.parse(kv.value.toString())), orderId: orderIds[i]!, eventId },
        revision: Number(kv.create_revision),
      });
  });
  return found;
}

export class PurchaseStore {
  constructor(
    private readonly etcd: EtcdConnection,
    /** Commits go to the raft leader directly when it is known (in order, one hop less). */
    private readonly leader?: LeaderPinned,
  ) {}

  private async readTxn(ops: Parameters<ReturnType<typeof unconditionalTxn>['then']>, deadline?: Date): Promise<IRangeResponse[]> {
    try {
      const res = await unconditionalTxn(this.etcd.kv)
        .then(...ops)
        .options(deadline ? { deadline } : undefined)
        .commit();
      return res.responses.map((r) => r.response_range);
    } catch (e) {
      throw toStoreError(e, 'purchase read');
    }
  }

  /**
   * Event, ticket types and (when asked) any existing sales and `order:` keys of these orders, all
   * at one revision in one round trip. Sales and order keys are skipped on a batch's first try:
   * the commit's Create==0 compares catch a retried order or a reused key, and the re-read after
   * a failed commit asks for them.
   */
  async readBatchState(eventId: string, orders: OrderRef[], withSales: boolean, deadline?: Date): Promise<BatchState> {
    const ns = this.etcd.kv;
    const refs = withSales ? orders : [];
    const [eventRange, ticketRange, ...rest] = await this.readTxn(
      [
        ns.get(keys.event(eventId)),
        ns.getAll().prefix(prefixes.ticketsOf(eventId)),
        ...refs.map((o) => ns.get(keys.sale(eventId, o.orderId))),
        ...refs.map((o) => ns.get(keys.order(o.username, o.orderId))),
      ],
      deadline,
    );
    const eventKv = eventRange?.kvs[0];
    const event = eventKv ? eventRecord.parse(JSON.parse(eventKv.value.toString())) : null;
    const tickets = new Map<string, TicketState>();
    for (const kv of ticketRange?.kvs ?? []) {
      const parsed = parseKey(localKey(this.etcd, kv.key));
      if (parsed.kind !== 'ticket') continue;
      tickets.set(parsed.ticketType, {
        ...ticketRecord.parse(JSON.parse(kv.value.toString())),
        modRevision: Number(kv.mod_revision),
        createRevision: Number(kv.create_revision),
      });
    }
    const existingSales = salesFound(
      eventId,
      refs.map((o) => o.orderId),
      rest.slice(0, refs.length),
    );
    const orderKeys = new Map<string, BoundOrder>();
    rest.slice(refs.length).forEach((r, i) => {
      const kv = r?.kvs[0];
      if (kv)
        orderKeys.set(keys.order(refs[i]!.username, refs[i]!.orderId), {
          claim: orderClaimRecord.parse(JSON.parse(kv.value.toString())),
          modRevision: Number(kv.mod_revision),
        });
    });
    return {
      event: event ? { maxPerOrder: event.maxPerOrder, deleted: event.deletedAt !== null } : null,
      tickets,
      existingSales,
      ...(withSales ? { orderKeys } : {}),
    };
  }

  /**
   * The order ids of every sale of the event (keys only), or null when it has more than `max`:
   * read once per sold-out event, so first sends are refused from memory while a retry of any
   * sale still gets it (no sale is made while the event stays sold out).
   */
  async saleIdsOf(eventId: string, max: number, deadline?: Date): Promise<Set<string> | null> {
    try {
      const found = await this.etcd.kv
        .getAll()
        .prefix(prefixes.salesOf(eventId))
        .limit(max + 1)
        .options(deadline ? { deadline } : undefined)
        .keys();
      if (found.length > max) return null;
      const ids = new Set<string>();
      for (const k of found) {
        const parsed = parseKey(localKey(this.etcd, k));
        if (parsed.kind === 'sale') ids.add(parsed.orderId);
      }
      return ids;
    } catch (e) {
      throw toStoreError(e, 'sold-out sales read');
    }
  }

  /** The sales these orders already have, with the revision that created each, in one round trip. */
  async findSales(eventId: string, orderIds: string[], deadline?: Date): Promise<Map<string, { sale: Sale; revision: number }>> {
    const ns = this.etcd.kv;
    const ranges = await this.readTxn(
      orderIds.map((id) => ns.get(keys.sale(eventId, id))),
      deadline,
    );
    return salesFound(eventId, orderIds, ranges);
  }

  /** The sales of these orders (for the relay), in one round trip. */
  async readSales(eventId: string, orderIds: string[]): Promise<Sale[]> {
    const ns = this.etcd.kv;
    const ranges = await this.readTxn(orderIds.map((id) => ns.get(keys.sale(eventId, id))));
    return ranges.flatMap((r, i) => {
      const kv = r?.kvs[0];
      return kv ? [{ ...saleRecord.parse(JSON.parse(kv.value.toString())), orderId: orderIds[i]!, eventId }] : [];
    });
  }

  /**
   * One Txn for the whole batch: if EVERY ticket key of the event is unchanged since the state
   * was read (or projected), no ticket key was added since, and no sale key of the batch exists
   * yet, write the new remaining counts, one sale key per order and one outbox entry naming them.
   * Comparing all types, not only the touched ones, makes the event-wide remaining count before
   * and after this commit exact, so its stock.changed events can carry them (issue 25: the
   * notifier decides crossings from them). The Create==0 compares also make a replay of this Txn
   * harmless, so after an ambiguous failure (deadline, dropped connection, leader change) it may
   * be sent again: if the first send committed, the compares fail and the re-read finds the sales.
   * Each sale also writes its order's `order:` key (which event and lines its idempotency key
   * sold), guarded by Create == 0: a key reused for another event fails the batch, whose re-read
   * finds the key and answers that order CONFLICT (invariant 3). An order key found by a re-read
   * that names this very order (older data, where orders wrote it before the sale) is compared by
   * its mod revision and kept (`boundOrders`: order id -> mod revision).
   * Ops: compares = types + 1 + 2 x sales, puts = touched + 2 x sales + 1; the batch is sized on
   * all the event's types (ordersThatFit), so both stay within etcd's 128 (each list is limited alone).
   */
  async commitBatch(
    eventId: string,
    before: Map<string, TicketState>,
    touched: Map<string, TicketState>,
    values: Map<string, string>,
    sales: Sale[],
    occurredAt: Date,
    deadline?: Date,
    boundOrders: ReadonlyMap<string, number> = new Map(),
  ): Promise<CommitResult> {
    const ns = this.leader?.kv ?? this.etcd.kv;
    if (touched.size === 0 && sales.length === 0) throw new Error('commitBatch needs at least one change');
    const ticketKeys = [...touched.keys()].map((type) => keys.ticket(eventId, type));
    const saleKeys = sales.map((s) => keys.sale(eventId, s.orderId));
    // A ticket state this instance projected compares the value it wrote (it may still be in
    // flight, its revision unknown); one it read compares the mod revision it read.
    let txn: ReturnType<typeof ns.if> | null = null;
    let createdUpTo = 0;
    for (const [type, t] of before) {
      const key = keys.ticket(eventId, type);
      const [column, value] = t.written !== undefined ? (['Value', t.written] as const) : (['Mod', t.modRevision] as const);
      txn = txn ? txn.and(key, column, '==', value) : ns.if(key, column, '==', value);
      createdUpTo = Math.max(createdUpTo, t.createRevision ?? Infinity);
    }
    for (const key of saleKeys) txn = txn ? txn.and(key, 'Create', '==', 0) : ns.if(key, 'Create', '==', 0);
    for (const s of sales) {
      const bound = boundOrders.get(s.orderId);
      const [column, value] = bound !== undefined ? (['Mod', bound] as const) : (['Create', 0] as const);
      const key = keys.order(s.username, s.orderId);
      txn = txn ? txn.and(key, column, '==', value) : ns.if(key, column, '==', value);
    }
    if (!txn) throw new Error('commitBatch needs at least one compare');
    // No type added since the read (its key would be missing from the sums).
    if (Number.isFinite(createdUpTo) && createdUpTo > 0) andNoKeyCreatedAfter(txn, prefixes.ticketsOf(eventId), createdUpTo);
    const sum = (m: Map<string, TicketState>) => [...m.values()].reduce((n, t) => n + t.remaining, 0);
    const eventRemainingBefore = sum(before);
    const batch: SoldBatch = {
      eventId,
      orderIds: sales.map((s) => s.orderId),
      stock: [...touched].map(([type, t]) => ({
        type,
        total: t.total,
        remaining: t.remaining,
        remainingBefore: before.get(type)?.remaining,
      })),
      eventRemainingBefore,
      eventRemainingAfter: sum(new Map([...before, ...touched])),
      occurredAt: occurredAt.toISOString(),
    };
    const types = [...touched.keys()];
    const puts = [
      ...ticketKeys.map((key, j) => ns.put(key).value(values.get(types[j]!)!)),
      ...sales.map((s, j) => ns.put(saleKeys[j]!).value(JSON.stringify(stored(s)))),
      ...sales
        .filter((s) => !boundOrders.has(s.orderId))
        .map((s) => ns.put(keys.order(s.username, s.orderId)).value(JSON.stringify(claimOf(s, new Date(s.at))))),
      outboxKindPut(ns, 'inventory', SOLD_BATCH, batch).put,
    ];
    try {
      const res = await txn
        .then(...puts)
        .options(deadline ? { deadline } : undefined)
        .commit();
      return { committed: res.succeeded, revision: Number(res.header.revision) };
    } catch (e) {
      throw toStoreError(e, 'purchase commit');
    }
  }
}
