/**
 * What a stock change means for an event's subscribers. The message only says which event and
 * at which revision; the remaining count is read from etcd as of that revision (the sum over
 * ticket types), so per-type messages, duplicates and reordering all see one truth. Each
 * subscriber's transition is decided by `transitionOf` and written guarded (see subscription.ts).
 */
import { Injectable } from '@nestjs/common';
import { chunk, CONFLICT, MAX_TXN_OPS, retryOnConflict } from '@ticketcd/etcd';
import { OutboxRelay } from '@ticketcd/platform';
import { PinoLogger } from 'nestjs-pino';
import { applyTransition, transitionOf } from '@ticketcd/notifier-core';
import { SubscriptionsRepository, type SubscriptionWrite } from './subscriptions/subscriptions.repository.js';
import { SubscriptionsService } from './subscriptions/subscriptions.service.js';

/** Subscriptions per Txn: each is 2 compares (subscription, alert) and 3 puts, plus one outbox put. */
const PER_TXN = 32;
const MAX_ATTEMPTS = 50;

export interface CrossingOutcome {
  /** Null when the event has no subscriber (the stock was not read). */
  remaining: number | null;
  revision: number;
  fired: number;
  rearmed: number;
}

@Injectable()
export class CrossingsService {
  constructor(
    private readonly repo: SubscriptionsRepository,
    private readonly subscriptions: SubscriptionsService,
    private readonly relay: OutboxRelay,
    private readonly log: PinoLogger,
  ) {
    log.setContext('crossings');
  }

  /**
   * Stock changes of one event that queued up, folded into one evaluation (issue 17 point 4):
   * the subscribers are read once and the remaining count at every queued revision in one Txn;
   * each subscription then walks the revisions in order with the same rule as one message at a
   * time, so a dip undone by a later change still fires, and each crossing still gets exactly one
   * alert (same alert ids, same guards). A subscription has at most one transition written per
   * pass; if it has more in the queued revisions (fired, re-armed, fired again), the next pass
   * re-reads it and goes on from its new state revision.
   */
  async onStockChanges(eventId: string, revisions: readonly number[]): Promise<CrossingOutcome> {
    const revs = [...new Set(revisions)].sort((a, b) => a - b);
    const sequential = async () => {
      const total: CrossingOutcome = { remaining: null, revision: revs.at(-1) ?? 0, fired: 0, rearmed: 0 };
      for (const r of revs) {
        const o = await this.onStockChanged(eventId, r);
        total.fired += o.fired;
        total.rearmed += o.rearmed;
        total.remaining = o.remaining ?? total.remaining;
        total.revision = o.revision;
      }
      return total;
    };
    if (revs.length <= 1 || revs[0]! <= 0 || revs.length > MAX_TXN_OPS) return sequential();
    let at: Map<number, number> | null = null;
    const outcome: CrossingOutcome = { remaining: null, revision: revs.at(-1)!, fired: 0, rearmed: 0 };
    let compacted = false;
    const result = await retryOnConflict(
      { attempts: MAX_ATTEMPTS, what: `stock changes of ${eventId} up to ${revs.at(-1)}: subscriptions kept changing` },
      async (attempt) => {
        const subscribers = await this.repo.subscribersOf(eventId);
        if (subscribers.length === 0) return outcome;
        at ??= await this.repo.remainingAtEach(eventId, revs);
        if (!at) {
          compacted = true;
          return outcome;
        }
        outcome.remaining = at.get(revs.at(-1)!)!;
        const now = new Date();
        const writes: SubscriptionWrite[] = [];
        let more = false;
        for (const { value: sub, modRevision } of subscribers) {
          let first: SubscriptionWrite | null = null;
          let state = sub;
          for (const r of revs) {
            const t = transitionOf(state, at.get(r)!, r);
            if (!t) continue;
            if (first) {
              more = true;
              break;
            }
            const { next, alert } = applyTransition(state, t, r, now);
            first = { username: sub.username, eventId, readModRevision: modRevision, next, alert };
            state = next;
          }
          if (first) writes.push(first);
        }
        const conflicted = await this.writeAll(writes, outcome);
        if (!conflicted && !more) return outcome;
        this.log.debug({ eventId, revisions: revs.length, attempt, more }, 'folded crossings: another pass');
        return CONFLICT;
      },
    );
    if (!compacted) return result;
    const rest = await sequential();
    return { ...rest, fired: rest.fired + result.fired, rearmed: rest.rearmed + result.rearmed };
  }

  /**
   * Writes the transitions in guarded Txns, counting what went in. True when a part conflicted:
   * a user changed a subscription meanwhile, or another instance got there first; the caller
   * re-reads, since what was written is no longer a transition at this revision.
   */
  private async writeAll(writes: SubscriptionWrite[], outcome: CrossingOutcome): Promise<boolean> {
    let conflicted = false;
    for (const part of chunk(writes, PER_TXN)) {
      const alerts = part.filter((w) => w.alert);
      const res = await this.repo.write(
        part,
        alerts.map((w) => this.subscriptions.firedEnvelope(w.username, w.alert!)),
      );
      if (!res.succeeded) {
        conflicted = true;
        continue;
      }
      outcome.fired += alerts.length;
      outcome.rearmed += part.length - alerts.length;
      if (alerts.length) this.relay.kick();
    }
    return conflicted;
  }

  async onStockChanged(eventId: string, revision: number): Promise<CrossingOutcome> {
    let at: { remaining: number; revision: number } | null = null;
    const outcome: CrossingOutcome = { remaining: null, revision, fired: 0, rearmed: 0 };
    return retryOnConflict(
      { attempts: MAX_ATTEMPTS, what: `stock change of ${eventId} at ${revision}: subscriptions kept changing` },
      async (attempt) => {
        const subscribers = await this.repo.subscribersOf(eventId);
        // Most events have no subscriber: then the stock is not worth reading.
        if (subscribers.length === 0) return outcome;
        at ??= revision > 0 ? await this.repo.remainingAt(eventId, revision) : await this.repo.eventStock(eventId);
        outcome.remaining = at.remaining;
        outcome.revision = at.revision;
        const now = new Date();
        const writes: SubscriptionWrite[] = [];
        for (const { value: sub, modRevision } of subscribers) {
          const t = transitionOf(sub, at.remaining, at.revision);
          if (!t) continue;
          const { next, alert } = applyTransition(sub, t, at.revision, now);
          writes.push({ username: sub.username, eventId, readModRevision: modRevision, next, alert });
        }
        const conflicted = await this.writeAll(writes, outcome);
        if (!conflicted) return outcome;
        this.log.debug({ eventId, revision, attempt }, 'subscription changed during a crossing; re-reading');
        return CONFLICT;
      },
    );
  }
}
