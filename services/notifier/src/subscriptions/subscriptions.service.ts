/**
 * Users' subscriptions. A put is decided against the event's remaining count read with it (one
 * revision), so a limit already reached fires at once, in the same Txn as the subscription.
 */
import { Injectable } from '@nestjs/common';
import { AppError, Events, type Rpc, type RpcRequest, type RpcResult } from '@ticketcd/contracts';
import { CONFLICT, retryOnConflict } from '@ticketcd/etcd';
import { JetStreamPublisher } from '@ticketcd/messaging';
import { OutboxRelay } from '@ticketcd/platform';
import { ulid } from 'ulid';
import { putSubscription, type Alert, type Subscription } from '@ticketcd/notifier-core';
import { SubscriptionsRepository } from './subscriptions.repository.js';

const MAX_ATTEMPTS = 20;
const keepsChanging = (what: string) => AppError.unavailable('notifier', `${what} keeps changing; retry`);

export type SubscriptionView = RpcResult<typeof Rpc.notifier.putSubscription>;

export const viewOf = (s: Subscription): Omit<SubscriptionView, 'remaining'> => ({
  eventId: s.eventId,
  limit: s.limit,
  active: s.active,
  state: s.state,
  firedAt: s.firedAt,
});

@Injectable()
export class SubscriptionsService {
  constructor(
    private readonly repo: SubscriptionsRepository,
    private readonly publisher: JetStreamPublisher,
    private readonly relay: OutboxRelay,
  ) {}

  /** The `notifier.alert.fired` envelope of an alert; its id is the alert's, so a re-relay is stored once. */
  firedEnvelope(username: string, alert: Alert) {
    return this.publisher.envelope(Events.notifier.alertFired, alert.alertId, {
      alertId: alert.alertId,
      username,
      eventId: alert.eventId,
      remaining: alert.remaining,
      limit: alert.limit,
      at: alert.at,
    });
  }

  async put(req: RpcRequest<typeof Rpc.notifier.putSubscription>): Promise<SubscriptionView> {
    return retryOnConflict(
      { attempts: MAX_ATTEMPTS, what: `subscription of ${req.username} to ${req.eventId}`, onExhausted: keepsChanging },
      async () => {
        const [stock, prev] = await Promise.all([this.repo.eventStock(req.eventId), this.repo.get(req.username, req.eventId)]);
        if (!stock.exists) throw AppError.notFound(`event ${req.eventId} does not exist`);
        if (stock.deleted) throw AppError.conflict(`event ${req.eventId} was deleted: it sells no more tickets to watch`);
        const { next, alert } = putSubscription(
          prev?.value ?? null,
          { username: req.username, eventId: req.eventId, limit: req.limit, active: req.active ?? true },
          stock.remaining,
          stock.revision,
          new Date(),
          ulid,
        );
        const envelopes = alert ? [this.firedEnvelope(req.username, alert)] : [];
        const res = await this.repo.write(
          [{ username: req.username, eventId: req.eventId, readModRevision: prev?.modRevision ?? 0, next, alerts: alert ? [alert] : [] }],
          envelopes,
        );
        if (!res.succeeded) return CONFLICT;
        if (alert) this.relay.kick();
        return { ...viewOf(next), remaining: stock.remaining };
      },
    );
  }

  async delete(username: string, eventId: string): Promise<{ deleted: boolean }> {
    return retryOnConflict(
      { attempts: MAX_ATTEMPTS, what: `subscription of ${username} to ${eventId}`, onExhausted: keepsChanging },
      async () => {
        const prev = await this.repo.get(username, eventId);
        if (!prev) return { deleted: false };
        const res = await this.repo.write([{ username, eventId, readModRevision: prev.modRevision, next: null, alerts: [] }], []);
        return res.succeeded ? { deleted: true } : CONFLICT;
      },
    );
  }

  async list(username: string) {
    const subs = await this.repo.listOf(username);
    return { items: subs.map(viewOf) };
  }
}
