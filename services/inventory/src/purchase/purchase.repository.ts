/**
 * etcd reads and the group-commit Txn for purchases. Nothing here decides anything.
 */
import { Inject, Injectable } from '@nestjs/common';
import { eventRecord, saleRecord, ticketRecord, type EventEnvelope, type SaleRecord } from '@ticketcd/contracts';
import { toStoreError, unconditionalTxn, type EtcdConnection } from '@ticketcd/etcd';
import { keys, parseKey, prefixes } from '@ticketcd/keys';
import { ETCD, outboxPut } from '@ticketcd/platform';
import type { IKeyValue, IRangeResponse } from 'etcd3';
import type { BatchState, TicketState } from './decide.js';

export interface CommitResult {
  committed: boolean;
  revision: number;
}

@Injectable()
export class PurchaseRepository {
  constructor(@Inject(ETCD) private readonly etcd: EtcdConnection) {}

  private key(kv: IKeyValue): string {
    // Txn responses carry the full key, namespace included.
    const k = kv.key.toString();
    return this.etcd.namespace && k.startsWith(this.etcd.namespace) ? k.slice(this.etcd.namespace.length) : k;
  }

  /** Event, ticket types and any existing sales of these orders, all at one revision (one round trip). */
  async readBatchState(eventId: string, orderIds: string[]): Promise<BatchState> {
    const ns = this.etcd.kv;
    let ranges: IRangeResponse[];
    try {
      const res = await unconditionalTxn(ns)
        .then(ns.get(keys.event(eventId)), ns.getAll().prefix(prefixes.ticketsOf(eventId)), ...orderIds.map((id) => ns.get(keys.sale(eventId, id))))
        .commit();
      ranges = res.responses.map((r) => r.response_range);
    } catch (e) {
      throw toStoreError(e, 'purchase read');
    }
    const [eventRange, ticketRange, ...saleRanges] = ranges;
    const eventKv = eventRange?.kvs[0];
    const event = eventKv ? eventRecord.parse(JSON.parse(eventKv.value.toString())) : null;
    const tickets = new Map<string, TicketState>();
    for (const kv of ticketRange?.kvs ?? []) {
      const parsed = parseKey(this.key(kv));
      if (parsed.kind !== 'ticket') continue;
      tickets.set(parsed.ticketType, { ...ticketRecord.parse(JSON.parse(kv.value.toString())), modRevision: Number(kv.mod_revision) });
    }
    const existingSales = new Map<string, { sale: SaleRecord; revision: number }>();
    saleRanges.forEach((r, i) => {
      const kv = r?.kvs[0];
      if (kv) existingSales.set(orderIds[i]!, { sale: saleRecord.parse(JSON.parse(kv.value.toString())), revision: Number(kv.create_revision) });
    });
    return { event: event ? { maxPerOrder: event.maxPerOrder, deleted: event.deletedAt !== null } : null, tickets, existingSales };
  }

  /**
   * One Txn for the whole batch: if every touched ticket key is unchanged since the read and no
   * sale key of the batch exists yet, write the new remaining counts, one sale key per order and
   * the outbox entry. The Create==0 compares also make an etcd-level replay of this Txn harmless.
   */
  async commitBatch(eventId: string, touched: Map<string, TicketState>, sales: SaleRecord[], envelopes: EventEnvelope[]): Promise<CommitResult & { outboxKey: string }> {
    const ns = this.etcd.kv;
    const [first, ...rest] = [
      ...[...touched].map(([type, t]) => ({ key: keys.ticket(eventId, type), column: 'Mod' as const, value: t.modRevision })),
      ...sales.map((s) => ({ key: keys.sale(eventId, s.orderId), column: 'Create' as const, value: 0 })),
    ];
    if (!first) throw new Error('commitBatch needs at least one change');
    let txn = ns.if(first.key, first.column, '==', first.value);
    for (const c of rest) txn = txn.and(c.key, c.column, '==', c.value);
    const outbox = outboxPut(ns, 'inventory', envelopes, { stampRevision: true });
    const puts = [
      ...[...touched].map(([type, t]) => ns.put(keys.ticket(eventId, type)).value(JSON.stringify({ total: t.total, remaining: t.remaining, price: t.price, closed: t.closed }))),
      ...sales.map((s) => ns.put(keys.sale(eventId, s.orderId)).value(JSON.stringify(s))),
      outbox.put,
    ];
    try {
      const res = await txn.then(...puts).commit();
      return { committed: res.succeeded, revision: Number(res.header.revision), outboxKey: outbox.key };
    } catch (e) {
      throw toStoreError(e, 'purchase commit');
    }
  }
}
