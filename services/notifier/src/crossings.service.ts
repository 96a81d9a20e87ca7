/**
 * What stock changes mean for an event's subscribers (issue 25 point 2). Each change names one
 * commit and carries the event's remaining count (over all types) just before and after it, so
 * each crossing is decided from its own message (`isCrossing`, notifier-core): no store read of
 * the stock, no dependence on the order or on duplicates. Alert ids derive from (subscription,
 * revision) and are written with Create == 0, each subscription guarded by its mod revision, so
 * a crossing fires exactly once however often and wherever its message is handled.
 *
 * One event's changes are evaluated one batch at a time in this instance (a per-event turn), in
 * revision order; StockPartitions sends each event's batches to one instance (its partition's
 * owner), so instances do not race on the same subscriptions.
 */
import { Injectable } from '@nestjs/common';
import type { Events } from '@ticketcd/contracts';
import { CONFLICT, MAX_TXN_OPS, retryOnConflict } from '@ticketcd/etcd';
import { keys } from '@ticketcd/keys';
import { OutboxRelay } from '@ticketcd/platform';
import { PinoLogger } from 'nestjs-pino';
import type { z } from 'zod';
import { applyChanges, crossingsOf, alertIdAt, type StockChange } from '@ticketcd/notifier-core';
import { opsOf, SubscriptionsRepository, type SubscriptionWrite } from './subscriptions/subscriptions.repository.js';
import { SubscriptionsService } from './subscriptions/subscriptions.service.js';

const MAX_ATTEMPTS = 50;

export type StockChangedData = z.output<typeof Events.inventory.stockChanged.data>;

export interface CrossingOutcome {
  fired: number;
  rearmed: number;
  /** Changes from an older inventory (no before/after) whose revisions etcd had compacted: not evaluated. */
  skipped: number;
}

/** The event-wide change of a message, or null when it comes from an inventory older than issue 25. */
export function changeOf(d: StockChangedData): StockChange | null {
  return d.eventRemainingBefore !== undefined && d.eventRemainingAfter !== undefined && d.revision > 0
    ? { revision: d.revision, before: d.eventRemainingBefore, after: d.eventRemainingAfter }
    : null;
}

@Injectable()
export class CrossingsService {
  /** Per event, the evaluation in progress: the next one waits for it (one batch at a time). */
  private readonly turns = new Map<string, Promise<unknown>>();

  constructor(
    private readonly repo: SubscriptionsRepository,
    private readonly subscriptions: SubscriptionsService,
    private readonly relay: OutboxRelay,
    private readonly log: PinoLogger,
  ) {
    log.setContext('crossings');
  }

  /** Stock changes of one event (any order, duplicates allowed), evaluated after the event's previous batch. */
  onStockChanges(eventId: string, data: readonly StockChangedData[]): Promise<CrossingOutcome> {
    const previous = this.turns.get(eventId) ?? Promise.resolve();
    const mine = previous.catch(() => undefined).then(() => this.evaluate(eventId, data));
    this.turns.set(eventId, mine);
    void mine
      .catch(() => undefined)
      .finally(() => {
        if (this.turns.get(eventId) === mine) this.turns.delete(eventId);
      });
    return mine;
  }

  private async evaluate(eventId: string, data: readonly StockChangedData[]): Promise<CrossingOutcome> {
    const outcome: CrossingOutcome = { fired: 0, rearmed: 0, skipped: 0 };
    const changes = new Map<number, StockChange>();
    const legacy = new Set<number>();
    for (const d of data) {
      const c = changeOf(d);
      if (c) changes.set(c.revision, c);
      else if (d.revision > 0) legacy.add(d.revision);
    }
    for (const r of changes.keys()) legacy.delete(r);
    if (legacy.size > 0) {
      const read = await this.legacyChanges(eventId, [...legacy]);
      for (const c of read) changes.set(c.revision, c);
      outcome.skipped = legacy.size - read.length;
      if (outcome.skipped > 0)
        this.log.warn(
          { eventId, skipped: outcome.skipped },
          'stock changes without before/after counts, their revisions compacted: not evaluated',
        );
    }
    const sorted = [...changes.values()].sort((a, b) => a.revision - b.revision);
    // At most 128 revisions per pass: a subscription then has at most 64 crossings, which fit one Txn.
    for (let i = 0; i < sorted.length; i += MAX_TXN_OPS) await this.evaluateInOrder(eventId, sorted.slice(i, i + MAX_TXN_OPS), outcome);
    return outcome;
  }

  /**
   * The before/after counts of changes from an inventory older than issue 25: the event's stock
   * read at r - 1 and at r (exact: etcd revisions are global, r - 1 is the store just before
   * commit r). Changes whose revisions were compacted are left out.
   */
  private async legacyChanges(eventId: string, revisions: number[]): Promise<StockChange[]> {
    const out: StockChange[] = [];
    // Two ranges per change, 64 changes per read Txn.
    for (let i = 0; i < revisions.length; i += MAX_TXN_OPS / 2) {
      const part = revisions.slice(i, i + MAX_TXN_OPS / 2);
      const at = await this.repo.remainingAtEach(
        eventId,
        [...new Set(part.flatMap((r) => [r - 1, r]))].filter((r) => r > 0),
      );
      if (!at) continue;
      for (const r of part) if (at.has(r) && at.has(r - 1)) out.push({ revision: r, before: at.get(r - 1)!, after: at.get(r)! });
    }
    return out;
  }

  private async evaluateInOrder(eventId: string, changes: StockChange[], outcome: CrossingOutcome): Promise<void> {
    await retryOnConflict(
      { attempts: MAX_ATTEMPTS, what: `stock changes of ${eventId} up to ${changes.at(-1)?.revision}: subscriptions kept changing` },
      async (attempt) => {
        const subscribers = await this.repo.subscribersOf(eventId);
        // Most events have no subscriber.
        if (subscribers.length === 0) return undefined;
        // The alerts these crossings would write: those that exist were fired by an earlier pass
        // (a redelivery, another instance): not fired again.
        const candidates = subscribers.flatMap(({ value: sub }) =>
          crossingsOf(sub, changes).map((c) => keys.alert(sub.username, alertIdAt(sub.subscriptionId, c.revision))),
        );
        const existing = candidates.length ? await this.repo.existingAlerts(candidates) : new Set<string>();
        const now = new Date();
        const writes: SubscriptionWrite[] = [];
        for (const { value: sub, modRevision } of subscribers) {
          const fired = new Set(
            changes.filter((c) => existing.has(keys.alert(sub.username, alertIdAt(sub.subscriptionId, c.revision)))).map((c) => c.revision),
          );
          const { next, alerts } = applyChanges(sub, changes, fired, now);
          if (next) writes.push({ username: sub.username, eventId, readModRevision: modRevision, next, alerts });
        }
        if (!(await this.writeAll(writes, outcome))) return undefined;
        this.log.debug({ eventId, revisions: changes.length, attempt }, 'subscription changed during a crossing; re-reading');
        return CONFLICT;
      },
    );
  }

  /**
   * Writes the subscriptions in guarded Txns of at most 128 compares and 128 puts each, counting
   * what went in. True when a part conflicted: a user changed a subscription meanwhile, or
   * another instance got there first; the caller re-reads and re-decides (what went in is then
   * found written: its alerts exist, its state is current).
   */
  private async writeAll(writes: SubscriptionWrite[], outcome: CrossingOutcome): Promise<boolean> {
    let conflicted = false;
    const parts: SubscriptionWrite[][] = [];
    let part: SubscriptionWrite[] = [];
    let compares = 0;
    let puts = 1; // the outbox entry
    for (const w of writes) {
      const o = opsOf(w);
      if (part.length > 0 && (compares + o.compares > MAX_TXN_OPS || puts + o.puts > MAX_TXN_OPS)) {
        parts.push(part);
        part = [];
        compares = 0;
        puts = 1;
      }
      part.push(w);
      compares += o.compares;
      puts += o.puts;
    }
    if (part.length) parts.push(part);
    for (const p of parts) {
      const alerts = p.flatMap((w) => w.alerts.map((a) => this.subscriptions.firedEnvelope(w.username, a)));
      const res = await this.repo.write(p, alerts);
      if (!res.succeeded) {
        conflicted = true;
        continue;
      }
      outcome.fired += alerts.length;
      outcome.rearmed += p.filter((w) => w.alerts.length === 0 && w.next?.state === 'armed').length;
      if (alerts.length) this.relay.kick();
    }
    return conflicted;
  }
}
