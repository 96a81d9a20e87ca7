/**
 * The crossing rule (invariant 4: each limit crossing fires exactly one alert per subscription;
 * issue 25 point 2: a crossing is one commit going from above the limit to at or below it).
 */
import {
  alertIdAt,
  applyChanges,
  crossingsOf,
  putSubscription,
  subscriptionRecord,
  type Alert,
  type StockChange,
  type Subscription,
} from './subscription.js';

const EVENT = '01JD6Z3M4X1V2B3N4M5K6J7H8A';
const now = new Date('2027-01-01T00:00:00.000Z');
const create = (limit: number, remaining: number, revision = 10, active = true) =>
  putSubscription(null, { username: 'ana', eventId: EVENT, limit, active }, remaining, revision, now, () => 'sub-1');

/** A commit sequence from a starting count: [after, revision] pairs; before = the previous after. */
function commits(start: number, seq: [after: number, revision: number][]): StockChange[] {
  let before = start;
  return seq.map(([after, revision]) => {
    const c = { revision, before, after };
    before = after;
    return c;
  });
}

/**
 * Delivers the changes in batches (as the consumer does), keeping the alert keys that exist as
 * the store would (Create == 0): a crossing whose alert exists is not fired again.
 */
function run(sub: Subscription, batches: StockChange[][]) {
  const fired = new Map<number, Alert>();
  for (const batch of batches) {
    const { next, alerts } = applyChanges(sub, batch, new Set(fired.keys()), now);
    for (const a of alerts) {
      expect(fired.has(a.revision!)).toBe(false);
      fired.set(a.revision!, a);
    }
    if (next) sub = next;
  }
  return { sub, alerts: [...fired.values()].sort((a, b) => a.revision! - b.revision!) };
}

describe('low-stock crossing rule (issue 25 point 2)', () => {
  it('fires once when the remaining count falls to the limit, not before, and not again below it', () => {
    const { next } = create(5, 20);
    expect(next.state).toBe('armed');
    const cs = commits(20, [
      [10, 11],
      [6, 12],
      [5, 13],
      [3, 14],
      [0, 15],
    ]);
    const { alerts, sub } = run(next, [cs]);
    expect(alerts.map((a) => [a.revision, a.remaining])).toEqual([[13, 5]]);
    expect(alerts[0]!.alertId).toBe(alertIdAt('sub-1', 13));
    expect(sub).toMatchObject({ crossings: 1, state: 'fired', stateRevision: 15 });
  });

  it('dip, rise, second dip: two alerts, whichever way the messages are batched or ordered', () => {
    const { next } = create(5, 20);
    const cs = commits(20, [
      [4, 11], // dip
      [30, 12], // rise
      [25, 13],
      [2, 14], // second dip
      [40, 15], // rise
    ]);
    const orders = [[cs], cs.map((c) => [c]), [...cs].reverse().map((c) => [c]), [[cs[3]!, cs[4]!], [cs[0]!], [cs[2]!, cs[1]!]]];
    for (const batches of orders) {
      const { alerts, sub } = run(next, batches);
      expect(alerts.map((a) => a.revision)).toEqual([11, 14]);
      expect(sub.crossings).toBe(2);
    }
  });

  it('a folded span that dipped and came back still counts: each crossing commit fires', () => {
    const { next } = create(10, 50);
    // The notifier sees them only after the stock is back at 50: each dip is its own commit.
    const cs = commits(50, [
      [8, 11],
      [50, 12],
      [9, 13],
      [50, 14],
    ]);
    const { alerts, sub } = run(next, [cs]);
    expect(alerts.map((a) => a.revision)).toEqual([11, 13]);
    expect(sub).toMatchObject({ crossings: 2, state: 'armed', stateRevision: 14 });
  });

  it('duplicates and redeliveries fire nothing twice (the alert key exists: Create == 0)', () => {
    const { next } = create(5, 20);
    const cs = commits(20, [
      [4, 11],
      [30, 12],
    ]);
    const { alerts, sub } = run(next, [cs, cs, [cs[0]!, cs[0]!], cs]);
    expect(alerts).toHaveLength(1);
    expect(sub.crossings).toBe(1);
    expect(crossingsOf(next, [cs[0]!, cs[0]!, cs[0]!])).toHaveLength(1);
  });

  it('a late message still fires its crossing, and does not move the displayed state back', () => {
    const { next } = create(5, 20);
    const [dip, rise] = commits(20, [
      [4, 11],
      [30, 12],
    ]);
    const { alerts, sub } = run(next, [[rise!, dip!]]);
    expect(alerts.map((a) => a.revision)).toEqual([11]);
    // The newest change seen (12: 30 left) decides the state, not the late one.
    expect(sub).toMatchObject({ state: 'armed', stateRevision: 12, crossings: 1 });
    // Across batches only written states count (a quiet change writes nothing): a crossing
    // that arrives after a later, unwritten rise shows `fired` until the next change of the stock.
    const late = run(next, [[rise!], [dip!]]);
    expect(late.alerts.map((a) => a.revision)).toEqual([11]);
  });

  it('changes at or before the subscription`s since are not its crossings', () => {
    const { next } = create(5, 20, 100);
    const stale = commits(20, [
      [4, 99],
      [30, 100],
    ]);
    expect(run(next, [stale]).alerts).toHaveLength(0);
    expect(applyChanges(next, stale, new Set(), now).next).toBeNull();
    expect(run(next, [commits(30, [[4, 101]])]).alerts).toHaveLength(1);
  });

  it('a change that stays above, stays below, or rises is no crossing; a quiet change writes nothing', () => {
    const { next } = create(5, 20);
    expect(applyChanges(next, commits(20, [[10, 11]]), new Set(), now).next).toBeNull();
    const fired = run(next, [commits(20, [[3, 11]])]).sub;
    expect(applyChanges(fired, commits(3, [[1, 12]]), new Set(), now)).toEqual({ next: null, alerts: [] });
    const rearmed = applyChanges(fired, commits(3, [[9, 13]]), new Set(), now);
    expect(rearmed.alerts).toHaveLength(0);
    expect(rearmed.next).toMatchObject({ state: 'armed', stateRevision: 13 });
  });

  it('an exact hit on the limit from above is a crossing; from exactly the limit it is not', () => {
    const { next } = create(5, 20);
    expect(crossingsOf(next, [{ revision: 11, before: 6, after: 5 }])).toHaveLength(1);
    expect(crossingsOf(next, [{ revision: 11, before: 5, after: 4 }])).toHaveLength(0);
  });

  it('fires at once when created with the limit already reached (alert at the read revision)', () => {
    const { next, alert } = create(5, 3);
    expect(next).toMatchObject({ state: 'fired', crossings: 1, since: 10 });
    expect(alert).toMatchObject({ remaining: 3, limit: 5, read: false, revision: 10, alertId: alertIdAt('sub-1', 10) });
    // The commit read at creation is not a crossing of it.
    expect(crossingsOf(next, [{ revision: 10, before: 20, after: 3 }])).toHaveLength(0);
  });

  it('a paused subscription does not fire; resumed with the limit reached, it fires then', () => {
    const { next } = create(5, 20, 10, false);
    const { sub, alerts } = run(next, [commits(20, [[1, 11]])]);
    expect(alerts).toHaveLength(0);
    expect(sub.state).toBe('armed');
    const resumed = putSubscription(sub, { username: 'ana', eventId: EVENT, limit: 5, active: true }, 1, 12, now, () => 'x');
    expect(resumed.alert).toMatchObject({ remaining: 1, revision: 12 });
  });

  it('a changed limit re-decides: lowered below the stock re-arms, raised over it fires, same dip never twice', () => {
    const { next } = create(5, 4);
    expect(next.state).toBe('fired');
    const same = putSubscription(next, { username: 'ana', eventId: EVENT, limit: 6, active: true }, 4, 11, now, () => 'x');
    expect(same.alert).toBeNull();
    const lowered = putSubscription(same.next, { username: 'ana', eventId: EVENT, limit: 2, active: true }, 4, 12, now, () => 'x');
    expect(lowered.next.state).toBe('armed');
    const raised = putSubscription(lowered.next, { username: 'ana', eventId: EVENT, limit: 4, active: true }, 4, 13, now, () => 'x');
    expect(raised.alert).toMatchObject({ remaining: 4, limit: 4 });
    expect(raised.next).toMatchObject({ crossings: 2, subscriptionId: 'sub-1', since: 13 });
  });

  it('reads a record written before issue 25 (no since): its stateRevision stands in', () => {
    const { since: _since, ...old } = create(5, 20, 42).next;
    expect(subscriptionRecord.parse(old)).toMatchObject({ since: 42, stateRevision: 42 });
  });
});
