/**
 * etcd access of the notifier. A subscription lives under two keys written together, always in
 * one Txn: `notification:<user>:<event>` (the user's list) and `subscriber:<event>:<user>` (a
 * stock change reads only its event's subscribers). The user-side key's mod revision guards
 * every write. Reads of `event:` and `ticket:` keys are read-only looks at other services' data.
 */
import { Inject, Injectable } from '@nestjs/common';
import { eventRecord, ticketRecord, type EventEnvelope } from '@ticketcd/contracts';
import {
  chunk,
  guardedWrite,
  MAX_TXN_OPS,
  scanPrefix,
  toStoreError,
  unconditionalTxn,
  type EtcdConnection,
  type KeyGuard,
  type WriteOp,
} from '@ticketcd/etcd';
import { keys, prefixes } from '@ticketcd/keys';
import { ETCD, outboxPut } from '@ticketcd/platform';
import { alertRecord, subscriptionRecord, type Alert, type Subscription } from '@ticketcd/notifier-core';

export interface Stored<T> {
  value: T;
  modRevision: number;
}

export interface EventStock {
  exists: boolean;
  deleted: boolean;
  remaining: number;
  revision: number;
}

/** A subscription write: the new record (null: delete), guarded by the mod revision it was read at, and its new alerts. */
export interface SubscriptionWrite {
  username: string;
  eventId: string;
  readModRevision: number;
  next: Subscription | null;
  alerts: Alert[];
}

/** Compares and puts a write costs in a Txn (the outbox entry's put is the caller's). */
export const opsOf = (w: SubscriptionWrite) => ({ compares: 1 + w.alerts.length, puts: 2 + w.alerts.length });

const COMPACTED = /compacted/i;

@Injectable()
export class SubscriptionsRepository {
  constructor(@Inject(ETCD) private readonly etcd: EtcdConnection) {}

  /** The event and its remaining tickets (sum over ticket types), read at one revision. */
  async eventStock(eventId: string): Promise<EventStock> {
    const ns = this.etcd.kv;
    try {
      const res = await unconditionalTxn(ns)
        .then(ns.get(keys.event(eventId)), ns.getAll().prefix(prefixes.ticketsOf(eventId)))
        .commit();
      const ev = res.responses[0]!.response_range!.kvs[0];
      const tickets = res.responses[1]!.response_range!.kvs;
      const record = ev ? eventRecord.parse(JSON.parse(ev.value.toString())) : null;
      return {
        exists: record !== null,
        deleted: record?.deletedAt != null,
        remaining: tickets.reduce((n, kv) => n + ticketRecord.parse(JSON.parse(kv.value.toString())).remaining, 0),
        revision: Number(res.header.revision),
      };
    } catch (e) {
      throw toStoreError(e, 'reading the event stock');
    }
  }

  /**
   * The event's remaining tickets at each of `revisions` (all > 0, at most 128), read in ONE Txn
   * (each range at its own revision). Only for stock changes from an inventory older than issue
   * 25, which carry no before/after counts: reading at r - 1 and r gives them. Null when etcd
   * compacted one of those revisions away.
   */
  async remainingAtEach(eventId: string, revisions: readonly number[]): Promise<Map<number, number> | null> {
    const ns = this.etcd.kv;
    try {
      const res = await unconditionalTxn(ns)
        .then(...revisions.map((r) => ns.getAll().prefix(prefixes.ticketsOf(eventId)).revision(r)))
        .commit();
      return new Map(
        revisions.map((r, i) => [
          r,
          res.responses[i]!.response_range!.kvs.reduce((n, kv) => n + ticketRecord.parse(JSON.parse(kv.value.toString())).remaining, 0),
        ]),
      );
    } catch (e) {
      if (COMPACTED.test((e as Error).message)) return null;
      throw toStoreError(e, 'reading the stock at revisions');
    }
  }

  async get(username: string, eventId: string): Promise<Stored<Subscription> | null> {
    try {
      const res = await this.etcd.kv.get(keys.notification(username, eventId)).exec();
      const kv = res.kvs[0];
      return kv ? { value: subscriptionRecord.parse(JSON.parse(kv.value.toString())), modRevision: Number(kv.mod_revision) } : null;
    } catch (e) {
      throw toStoreError(e, 'reading a subscription');
    }
  }

  async listOf(username: string): Promise<Subscription[]> {
    const out: Subscription[] = [];
    try {
      for await (const kv of scanPrefix(this.etcd.kv, prefixes.notificationsOf(username)))
        out.push(subscriptionRecord.parse(JSON.parse(kv.value)));
    } catch (e) {
      throw toStoreError(e, 'listing subscriptions');
    }
    return out;
  }

  /**
   * Every subscriber of an event, with the mod revision of its user-side key (the guard). Both
   * keys are written in the same Txns, so the event-side key's mod revision is the same.
   */
  async subscribersOf(eventId: string): Promise<Stored<Subscription>[]> {
    const out: Stored<Subscription>[] = [];
    try {
      for await (const kv of scanPrefix(this.etcd.kv, prefixes.subscribersOf(eventId), 1000)) {
        out.push({ value: subscriptionRecord.parse(JSON.parse(kv.value)), modRevision: kv.modRevision });
      }
    } catch (e) {
      throw toStoreError(e, 'listing subscribers');
    }
    return out;
  }

  /**
   * Writes subscriptions (and their alerts, and one outbox entry for the alerts' events) in one
   * Txn, if none of them changed since read and no alert exists yet. False: re-read and retry.
   */
  async write(writes: SubscriptionWrite[], envelopes: EventEnvelope[]): Promise<{ succeeded: boolean; revision: number }> {
    const ns = this.etcd.kv;
    const guards: KeyGuard[] = [];
    const ops: WriteOp[] = [];
    for (const w of writes) {
      guards.push({ key: keys.notification(w.username, w.eventId), modRevision: w.readModRevision });
      if (w.next) {
        const json = JSON.stringify(w.next);
        ops.push(
          { type: 'put', key: keys.notification(w.username, w.eventId), value: json },
          { type: 'put', key: keys.subscriber(w.eventId, w.username), value: json },
        );
      } else {
        ops.push(
          { type: 'delete', key: keys.notification(w.username, w.eventId) },
          { type: 'delete', key: keys.subscriber(w.eventId, w.username) },
        );
      }
      for (const alert of w.alerts) {
        const key = keys.alert(w.username, alert.alertId);
        guards.push({ key, modRevision: 0 });
        ops.push({ type: 'put', key, value: JSON.stringify(alert) });
      }
    }
    if (envelopes.length) ops.push(outboxPut(ns, 'notifier', envelopes).op);
    return guardedWrite(ns, guards, ops, 'writing subscriptions');
  }

  /** Which of these alert keys exist (a crossing already fired), read in Txns of up to 128 gets. */
  async existingAlerts(alertKeys: readonly string[]): Promise<Set<string>> {
    const ns = this.etcd.kv;
    const found = new Set<string>();
    try {
      for (const part of chunk(alertKeys, MAX_TXN_OPS)) {
        const res = await unconditionalTxn(ns)
          .then(...part.map((k) => ns.get(k)))
          .commit();
        part.forEach((k, i) => {
          if ((res.responses[i]!.response_range?.kvs.length ?? 0) > 0) found.add(k);
        });
      }
    } catch (e) {
      throw toStoreError(e, 'reading alert keys');
    }
    return found;
  }

  async alertsOf(username: string): Promise<Stored<Alert>[]> {
    const out: Stored<Alert>[] = [];
    try {
      for await (const kv of scanPrefix(this.etcd.kv, prefixes.alertsOf(username), 1000))
        out.push({ value: alertRecord.parse(JSON.parse(kv.value)), modRevision: kv.modRevision });
    } catch (e) {
      throw toStoreError(e, 'listing alerts');
    }
    return out;
  }

  async alert(username: string, alertId: string): Promise<Stored<Alert> | null> {
    try {
      const res = await this.etcd.kv.get(keys.alert(username, alertId)).exec();
      const kv = res.kvs[0];
      return kv ? { value: alertRecord.parse(JSON.parse(kv.value.toString())), modRevision: Number(kv.mod_revision) } : null;
    } catch (e) {
      throw toStoreError(e, 'reading an alert');
    }
  }

  async putAlert(username: string, stored: Stored<Alert>, next: Alert): Promise<boolean> {
    const key = keys.alert(username, next.alertId);
    const res = await guardedWrite(
      this.etcd.kv,
      { key, modRevision: stored.modRevision },
      [{ type: 'put', key, value: JSON.stringify(next) }],
      'marking an alert read',
    );
    return res.succeeded;
  }
}
