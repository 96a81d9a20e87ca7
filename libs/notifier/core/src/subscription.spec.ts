/** The crossing rule (invariant 4: each limit crossing fires exactly one alert per subscription). */
import { applyTransition, putSubscription, transitionOf, type Subscription } from './subscription.js';

const EVENT = '01JD6Z3M4X1V2B3N4M5K6J7H8A';
const now = new Date('2027-01-01T00:00:00.000Z');
const create = (limit: number, remaining: number, revision = 10, active = true) =>
  putSubscription(null, { username: 'ana', eventId: EVENT, limit, active }, remaining, revision, now, () => 'sub-1');

/** Applies a stream of (remaining, revision) stock changes; returns the alerts fired. */
function run(sub: Subscription, changes: [remaining: number, revision: number][]) {
  const alerts: { remaining: number; alertId: string }[] = [];
  for (const [remaining, revision] of changes) {
    const t = transitionOf(sub, remaining, revision);
    if (!t) continue;
    const { next, alert } = applyTransition(sub, t, revision, now);
    sub = next;
    if (alert) alerts.push(alert);
  }
  return { sub, alerts };
}

describe('low-stock crossing rule', () => {
  it('fires once when the remaining count falls to the limit, not before, and not again below it', () => {
    const { next } = create(5, 20);
    expect(next.state).toBe('armed');
    const { alerts, sub } = run(next, [
      [10, 11],
      [6, 12],
      [5, 13],
      [3, 14],
      [0, 15],
    ]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.remaining).toBe(5);
    expect(sub.crossings).toBe(1);
  });

  it('ignores redelivered and stale changes: nothing at or before the revision the state was decided at', () => {
    const { next } = create(5, 20);
    const { alerts } = run(next, [
      [4, 12],
      [4, 12],
      [4, 11],
      [30, 11],
      [4, 12],
      [3, 13],
    ]);
    expect(alerts).toHaveLength(1);
  });

  it('re-arms when the stock rises above the limit and fires again at the next crossing, with a new id', () => {
    const { next } = create(5, 20);
    const { alerts, sub } = run(next, [
      [5, 11],
      [50, 12],
      [40, 13],
      [2, 14],
      [2, 14],
    ]);
    expect(alerts.map((a) => a.remaining)).toEqual([5, 2]);
    expect(new Set(alerts.map((a) => a.alertId)).size).toBe(2);
    expect(sub.crossings).toBe(2);
  });

  it('fires at once when created with the limit already reached', () => {
    const { next, alert } = create(5, 3);
    expect(next.state).toBe('fired');
    expect(alert).toMatchObject({ remaining: 3, limit: 5, read: false });
    // The change that was read at creation is not news again.
    expect(transitionOf(next, 3, 10)).toBeNull();
  });

  it('a paused subscription does not fire; resumed with the limit reached, it fires then', () => {
    const { next } = create(5, 20, 10, false);
    const { sub, alerts } = run(next, [[1, 11]]);
    expect(alerts).toHaveLength(0);
    const resumed = putSubscription(sub, { username: 'ana', eventId: EVENT, limit: 5, active: true }, 1, 12, now, () => 'x');
    expect(resumed.alert).toMatchObject({ remaining: 1 });
  });

  it('a changed limit re-decides: lowered below the stock re-arms, raised over it fires, same crossing never twice', () => {
    const { next } = create(5, 4);
    expect(next.state).toBe('fired');
    const same = putSubscription(next, { username: 'ana', eventId: EVENT, limit: 6, active: true }, 4, 11, now, () => 'x');
    expect(same.alert).toBeNull();
    const lowered = putSubscription(same.next, { username: 'ana', eventId: EVENT, limit: 2, active: true }, 4, 12, now, () => 'x');
    expect(lowered.next.state).toBe('armed');
    const raised = putSubscription(lowered.next, { username: 'ana', eventId: EVENT, limit: 4, active: true }, 4, 13, now, () => 'x');
    expect(raised.alert).toMatchObject({ remaining: 4, limit: 4 });
    expect(raised.next.crossings).toBe(2);
  });
});
