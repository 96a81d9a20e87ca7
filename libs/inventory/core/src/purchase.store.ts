/**
 * etcd reads and the group-commit Txn for purchases. Nothing here decides anything.
 */
import { eventRecord, saleRecord, ticketRecord, type SaleRecord } from '@ticketcd/contracts';
import { andNoKeyCreatedAfter, localKey, toStoreError, unconditionalTxn, type EtcdConnection, type LeaderPinned } from '@ticketcd/etcd';
import { keys, parseKey, prefixes } from '@ticketcd/keys';
import { outboxKindPut } from '@ticketcd/platform';
import type { IRangeResponse } from 'etcd3';
import type { BatchState, Sale, TicketState } from './decide.js';

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
   * Event, ticket types and (when asked) any existing sales of these orders, all at one revision
   * in one round trip. Sales are skipped on a batch's first try: the commit's Create==0 compares
   * catch a retried order, and the re-read after a failed commit asks for them.
   */
  async readBatchState(eventId: string, orderIds: string[], withSales: boolean, deadline?: Date): Promise<BatchState> {
    const ns = this.etcd.kv;
    const ids = withSales ? orderIds : [];
    const [eventRange, ticketRange, ...saleRanges] = await this.readTxn(
      [ns.get(keys.event(eventId)), ns.getAll().prefix(prefixes.ticketsOf(eventId)), ...ids.map((id) => ns.get(keys.sale(eventId, id)))],
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
    const existingSales = salesFound(eventId, ids, saleRanges);
    return { event: event ? { maxPerOrder: event.maxPerOrder, deleted: event.deletedAt !== null } : null, tickets, existingSales };
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
   * Ops: compares = types + 1 + sales, puts = touched + sales + 1; the batch is sized on all the
   * event's types (ordersThatFit), so both stay within etcd's 128 (each list is limited alone).
   */
  async commitBatch(
    eventId: string,
    before: Map<string, TicketState>,
    touched: Map<string, TicketState>,
    values: Map<string, string>,
    sales: Sale[],
    occurredAt: Date,
    deadline?: Date,
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
