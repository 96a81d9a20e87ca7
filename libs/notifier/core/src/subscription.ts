/**
 * A low-stock subscription and the one rule that decides its alerts. Pure, so the crossing
 * logic is unit tested apart from etcd and NATS.
 *
 * A subscription is `armed` while the event's remaining tickets are above its limit and `fired`
 * once an alert was written for the current crossing; stock rising above the limit again re-arms
 * it. `stateRevision` is the store revision its state was last decided at: a stock change at or
 * before it is not news (a redelivery, a stale or reordered message) and changes nothing. Each
 * transition is one Txn guarded by the subscription key's mod revision, and each alert id derives
 * from (subscription id, crossing number) with Create==0, so two instances, a redelivery or a
 * retried Txn can never fire a crossing twice.
 */
import { derivedId } from '@ticketcd/keys';
import { z } from 'zod';

export const subscriptionRecord = z.object({
  /** Fixed at creation: a deleted and re-created subscription does not reuse alert ids. */
  subscriptionId: z.string(),
  username: z.string(),
  eventId: z.string(),
  limit: z.number().int().positive(),
  active: z.boolean(),
  state: z.enum(['armed', 'fired']),
  stateRevision: z.number().int().nonnegative(),
  crossings: z.number().int().nonnegative(),
  firedAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Subscription = z.infer<typeof subscriptionRecord>;

export const alertRecord = z.object({
  alertId: z.string(),
  eventId: z.string(),
  remaining: z.number().int().nonnegative(),
  limit: z.number().int().positive(),
  at: z.iso.datetime(),
  read: z.boolean(),
});
export type Alert = z.infer<typeof alertRecord>;

export type Transition = { kind: 'fire'; remaining: number } | { kind: 'rearm'; remaining: number };

/** What the event's remaining count at `revision` means for a subscription: fire, re-arm, or nothing. */
export function transitionOf(sub: Subscription, remaining: number, revision: number): Transition | null {
  if (revision <= sub.stateRevision) return null;
  if (sub.state === 'armed' && sub.active && remaining <= sub.limit) return { kind: 'fire', remaining };
  if (sub.state === 'fired' && remaining > sub.limit) return { kind: 'rearm', remaining };
  return null;
}

export const alertIdOf = (sub: Subscription, crossing: number): string => derivedId(sub.subscriptionId, crossing);

/** The subscription after a transition decided at `revision`, and the alert a firing writes. */
export function applyTransition(
  sub: Subscription,
  t: Transition,
  revision: number,
  now: Date,
): { next: Subscription; alert: Alert | null } {
  const at = now.toISOString();
  if (t.kind === 'rearm') return { next: { ...sub, state: 'armed', stateRevision: revision, updatedAt: at }, alert: null };
  const crossing = sub.crossings + 1;
  return {
    next: { ...sub, state: 'fired', stateRevision: revision, crossings: crossing, firedAt: at, updatedAt: at },
    alert: { alertId: alertIdOf(sub, crossing), eventId: sub.eventId, remaining: t.remaining, limit: sub.limit, at, read: false },
  };
}

/**
 * A subscription created or changed by its user, decided against the remaining count read at
 * `revision`: a limit already reached fires at once (a new crossing for this subscription);
 * a fired one whose new limit is below the stock re-arms; a paused one never fires.
 */
export function putSubscription(
  prev: Subscription | null,
  req: { username: string; eventId: string; limit: number; active: boolean },
  remaining: number,
  revision: number,
  now: Date,
  newId: () => string,
): { next: Subscription; alert: Alert | null } {
  const at = now.toISOString();
  const base: Subscription = prev
    ? { ...prev, limit: req.limit, active: req.active, stateRevision: revision, updatedAt: at }
    : {
        subscriptionId: newId(),
        username: req.username,
        eventId: req.eventId,
        limit: req.limit,
        active: req.active,
        state: 'armed',
        stateRevision: revision,
        crossings: 0,
        firedAt: null,
        createdAt: at,
        updatedAt: at,
      };
  // Decided as a stock change seen at `revision` would be (the revision itself is not news twice).
  const t = transitionOf({ ...base, stateRevision: revision - 1 }, remaining, revision);
  return t ? applyTransition(base, t, revision, now) : { next: base, alert: null };
}
