/**
 * A low-stock subscription and the one rule that decides its alerts. Pure, so the crossing
 * logic is unit tested apart from etcd and NATS.
 *
 * Issue 25: a crossing is a property of ONE commit. For a subscription (active, limit L, `since`
 * = the revision it was created or last changed by its user at), the commit at revision r is a
 * crossing iff r > since and before > L >= after, where before / after are the event's remaining
 * tickets (summed over its types) just before and just after that commit. Inventory's
 * stock.changed events carry both, exact. So each crossing is decided from its own message alone:
 * the order in which messages arrive, duplicates, and which instance handles them cannot change
 * the set of crossings. The alert id derives from (subscription id, r) and is written with
 * Create == 0, so a crossing can never fire twice, and a late message still fires its crossing
 * (a dip folded into a span that came back up still counts: its commit still went from above
 * to at-or-below).
 *
 * The record also keeps `crossings` (the alerts written for it, counted in the same Txns) and a
 * displayed `state`: `fired` while the newest stock it has seen is at or below its limit (and it
 * is active), else `armed`, with `stateRevision` the revision that state was decided at.
 */
import { derivedId } from '@ticketcd/keys';
import { z } from 'zod';

const subscriptionFields = z.object({
  /** Fixed at creation: a deleted and re-created subscription does not reuse alert ids. */
  subscriptionId: z.string(),
  username: z.string(),
  eventId: z.string(),
  limit: z.number().int().positive(),
  active: z.boolean(),
  state: z.enum(['armed', 'fired']),
  /** The stock revision the displayed state was decided at (only ever grows). */
  stateRevision: z.number().int().nonnegative(),
  /** Created or last changed by its user at this revision: only later commits can be its crossings. */
  since: z.number().int().nonnegative(),
  /** Alerts written for it (each crossing, and a subscribe that found its limit reached). */
  crossings: z.number().int().nonnegative(),
  firedAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

/**
 * A stored subscription. Records written before issue 25 have no `since`: their `stateRevision`
 * stands in (what they had decided up to is what the old rule had already seen).
 */
export const subscriptionRecord = z.preprocess(
  (v) =>
    v !== null && typeof v === 'object' && !('since' in v) && 'stateRevision' in v
      ? { ...v, since: (v as { stateRevision: unknown }).stateRevision }
      : v,
  subscriptionFields,
);
export type Subscription = z.infer<typeof subscriptionFields>;

export const alertRecord = z.object({
  alertId: z.string(),
  eventId: z.string(),
  remaining: z.number().int().nonnegative(),
  limit: z.number().int().positive(),
  at: z.iso.datetime(),
  read: z.boolean(),
  /**
   * The commit whose crossing it is (or the revision a subscribe read the stock at): its id is
   * alertIdAt(subscription id, revision). Absent in alerts written before issue 25, whose id is
   * legacyAlertIdOf(subscription id, crossing number).
   */
  revision: z.number().int().nonnegative().optional(),
});
export type Alert = z.infer<typeof alertRecord>;

/** One commit's effect on an event's stock: the remaining count over all its types before and after. */
export interface StockChange {
  revision: number;
  before: number;
  after: number;
}

/** The alert of the crossing at `revision` (or of a subscribe that read the stock at `revision`). */
export const alertIdAt = (subscriptionId: string, revision: number): string => derivedId(subscriptionId, 'at', revision);

/** Alert ids before issue 25: the subscription's n-th crossing. Kept so verify accounts for old alerts. */
export const legacyAlertIdOf = (subscriptionId: string, crossing: number): string => derivedId(subscriptionId, crossing);

/** The displayed state for a remaining count: fired while at or below the limit (and active). */
export const stateFor = (sub: Pick<Subscription, 'active' | 'limit'>, remaining: number): Subscription['state'] =>
  sub.active && remaining <= sub.limit ? 'fired' : 'armed';

/** Whether the commit of `c` is a crossing of `sub` (see the file's comment). */
export function isCrossing(sub: Subscription, c: StockChange): boolean {
  return sub.active && c.revision > sub.since && c.before > sub.limit && c.after <= sub.limit;
}

/** `sub`'s crossings among `changes` (any order, duplicates allowed): one per revision, in revision order. */
export function crossingsOf(sub: Subscription, changes: readonly StockChange[]): StockChange[] {
  const byRevision = new Map<number, StockChange>();
  for (const c of changes) if (isCrossing(sub, c) && !byRevision.has(c.revision)) byRevision.set(c.revision, c);
  return [...byRevision.values()].sort((a, b) => a.revision - b.revision);
}

/**
 * The subscription after a set of stock changes of its event (any order, duplicates allowed),
 * and the alerts to write: one per crossing whose alert does not exist yet (`alreadyFired`: the
 * revisions whose alert key exists). Null `next`: nothing to write (no new alert, and the
 * displayed state stands). The displayed state follows the newest change, if it is newer than
 * the one the state was decided at; a write happens only for an alert or a change of state, so
 * a quiet stream of changes costs no write.
 */
export function applyChanges(
  sub: Subscription,
  changes: readonly StockChange[],
  alreadyFired: ReadonlySet<number>,
  now: Date,
): { next: Subscription | null; alerts: Alert[] } {
  const at = now.toISOString();
  const alerts: Alert[] = crossingsOf(sub, changes)
    .filter((c) => !alreadyFired.has(c.revision))
    .map((c) => ({
      alertId: alertIdAt(sub.subscriptionId, c.revision),
      eventId: sub.eventId,
      remaining: c.after,
      limit: sub.limit,
      at,
      read: false,
      revision: c.revision,
    }));
  let newest: StockChange | null = null;
  for (const c of changes) if (!newest || c.revision > newest.revision) newest = c;
  const state = newest && newest.revision > sub.stateRevision ? stateFor(sub, newest.after) : sub.state;
  if (alerts.length === 0 && state === sub.state) return { next: null, alerts };
  return {
    next: {
      ...sub,
      state,
      stateRevision: Math.max(sub.stateRevision, newest?.revision ?? 0),
      crossings: sub.crossings + alerts.length,
      firedAt: alerts.length > 0 ? at : sub.firedAt,
      updatedAt: at,
    },
    alerts,
  };
}

/**
 * A subscription created or changed by its user, decided against the remaining count read at
 * `revision` (which becomes its `since`: later commits are its crossings). A limit already
 * reached fires at once (alert id at `revision`), unless it had fired already for the stock it
 * is watching (state `fired`: the same dip); a paused one never fires; a fired one whose new
 * limit is below the stock is re-armed.
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
    ? { ...prev, limit: req.limit, active: req.active, since: revision, stateRevision: revision, updatedAt: at }
    : {
        subscriptionId: newId(),
        username: req.username,
        eventId: req.eventId,
        limit: req.limit,
        active: req.active,
        state: 'armed',
        stateRevision: revision,
        since: revision,
        crossings: 0,
        firedAt: null,
        createdAt: at,
        updatedAt: at,
      };
  const state = stateFor(base, remaining);
  if (state === 'armed' || prev?.state === 'fired') return { next: { ...base, state }, alert: null };
  return {
    next: { ...base, state, crossings: base.crossings + 1, firedAt: at },
    alert: {
      alertId: alertIdAt(base.subscriptionId, revision),
      eventId: base.eventId,
      remaining,
      limit: base.limit,
      at,
      read: false,
      revision,
    },
  };
}
