/**
 * Issue 25 point 2 / invariant 4: with several notifier instances, each limit crossing fires
 * exactly one alert per subscription. A crossing is one commit taking the event's remaining count
 * (summed over its types) from above a subscription's limit to at or below it, after the
 * subscription was created.
 *
 * Real etcd x5 + nats-server -js, 2 inventory and 3 notifier instances. 120 subscriptions with
 * limits over the whole range, 5 dip/rise cycles on one event with two ticket types: dips by
 * concurrent purchases (any inventory instance, forwarded to the event's owner), small rises
 * (admin adjusts) in the middle of each dip, a big rise (adjust) overlapping the next dip, so
 * the stock.changed messages of close commits interleave across the notifier instances.
 *
 * The oracle is independent of what the code under test computes: an ordered consumer collects
 * every stock.changed of the event, and the event's remaining count just before and after each
 * commit is read from etcd's history (at revision - 1 and revision). The before/after counts the
 * messages carry must agree with it.
 */
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { AppError, Events, Rpc, ticketRecord } from '@ticketcd/contracts';
import { readPartitionHolders, scanPrefix, unconditionalTxn } from '@ticketcd/etcd';
import { parseKey, prefixes } from '@ticketcd/keys';
import { seedEvent, startStackWithClients, ticketctl, waitFor, waitPipelineIdle, type StackClients } from '@ticketcd/testing';
import { ulid } from 'ulid';

const DURABLE = 'notifier-stock';
const SUBSCRIPTIONS = 120;
const CYCLES = 5;
/** Per dip: orders of one ticket, in rounds of ROUND concurrent orders; a small rise after each round. */
const DIP_ORDERS = 480;
const ROUND = 40;
const WOBBLE = 6;

let clients: StackClients;

beforeAll(async () => {
  clients = await startStackWithClients({
    services: ['inventory', 'notifier'],
    instances: { inventory: 2, notifier: 3 },
  });
}, 180_000);

afterAll(() => clients?.close());

/**
 * A call retried while the stack answers UNAVAILABLE or TIMEOUT (a loaded machine: etcd past its
 * deadline). Every call here is safe to repeat: purchases keep their orderId, adjusts set an
 * absolute total, subscriptions are put with the same limit before the run.
 */
async function retrying<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      const code = e instanceof AppError ? e.error.code : null;
      if ((code !== 'UNAVAILABLE' && code !== 'TIMEOUT') || attempt >= 30) throw e;
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * attempt)));
    }
  }
}

interface Seen {
  revision: number;
  eventRemainingBefore?: number;
  eventRemainingAfter?: number;
}

/** The event's remaining count (all types) at each revision, read from etcd's history in Txns of 128 ranges. */
async function remainingAt(eventId: string, revisions: number[]): Promise<Map<number, number>> {
  const ns = clients.etcd.kv;
  const out = new Map<number, number>();
  for (let i = 0; i < revisions.length; i += 128) {
    const part = revisions.slice(i, i + 128);
    const res = await unconditionalTxn(ns)
      .then(...part.map((r) => ns.getAll().prefix(prefixes.ticketsOf(eventId)).revision(r)))
      .commit();
    part.forEach((r, j) =>
      out.set(
        r,
        res.responses[j]!.response_range!.kvs.reduce((n, kv) => n + ticketRecord.parse(JSON.parse(kv.value.toString())).remaining, 0),
      ),
    );
  }
  return out;
}

describe('issue 25 point 2: one alert per crossing with 3 notifier instances (invariant 4)', () => {
  it('5 dip/rise cycles over 120 subscriptions: alerts == crossings computed from the stock events, and verify passes', async () => {
    const { etcd, nc } = clients;
    const rpc = clients.rpc.client;
    let totals = { pink: 300, blue: 200 };
    const eventId = await seedEvent(etcd, {
      maxPerOrder: 10,
      tickets: [
        { type: 'pink', total: totals.pink, price: 100 },
        { type: 'blue', total: totals.blue, price: 100 },
      ],
    });

    // Every stock.changed of the event, as the stream holds it, collected while the run goes on.
    const seen: Seen[] = [];
    let lastSeq = 0;
    const js = jetstream(nc);
    const ordered = await js.consumers.get('INVENTORY', {
      filter_subjects: Events.inventory.stockChanged.type,
      deliver_policy: DeliverPolicy.All,
    });
    const messages = await ordered.consume();
    const collecting = (async () => {
      for await (const m of messages) {
        lastSeq = m.seq;
        const env = m.json<{ data: Seen & { eventId: string } }>();
        if (env.data.eventId === eventId) seen.push(env.data);
      }
    })();

    // Limits spread over the range every cycle crosses: the count goes from 500 down to about 90,
    // and the rise overlaps the next dip, whose first rounds (40 orders each) may commit before
    // it: the peak can stay a few rounds under 500, so the top limit keeps well clear of it.
    const limits = new Map(
      Array.from({ length: SUBSCRIPTIONS }, (_, i) => [`xw-${String(i).padStart(3, '0')}`, 100 + Math.floor((i * 260) / SUBSCRIPTIONS)]),
    );
    const entries = [...limits];
    for (let i = 0; i < entries.length; i += 30)
      await Promise.all(
        entries
          .slice(i, i + 30)
          .map(([username, limit]) => retrying(() => rpc.call(Rpc.notifier.putSubscription, { username, eventId, limit }))),
      );

    // Adjusts of one type take turns (each sets an absolute total); different types run at once.
    const turns: Record<string, Promise<unknown>> = {};
    const adjust = (type: 'pink' | 'blue', by: number) => {
      const run = (turns[type] ?? Promise.resolve()).then(async () => {
        totals = { ...totals, [type]: totals[type] + by };
        const total = totals[type];
        await retrying(() => rpc.call(Rpc.inventory.adjust, { eventId, ticketType: type, total }));
      });
      turns[type] = run;
      return run;
    };

    let sold = 0;
    let refused = 0;
    let rise: Promise<unknown> = Promise.resolve();
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      // The dip: rounds of concurrent one-ticket orders on the plain subject (either inventory
      // instance; it forwards to the event's owner), a small rise after each round, the previous
      // cycle's big rise still in flight at the start.
      const wobbles: Promise<unknown>[] = [];
      for (let done = 0; done < DIP_ORDERS; done += ROUND) {
        const replies = await Promise.all(
          Array.from({ length: ROUND }, (_, i) => {
            const order = {
              orderId: ulid(),
              username: `buyer-${(done + i) % 97}`,
              eventId,
              lines: [{ type: (done + i) % 5 < 3 ? 'pink' : 'blue', quantity: 1 }],
            };
            return retrying(() => rpc.call(Rpc.inventory.purchase, order));
          }),
        );
        for (const r of replies) {
          if (r.status === 'accepted') sold++;
          else refused++;
        }
        wobbles.push(adjust(done % (2 * ROUND) === 0 ? 'blue' : 'pink', WOBBLE));
      }
      await Promise.all([...wobbles, rise]);
      // The rise: each type back to its first level (totals raised by what it lost), not awaited:
      // it overlaps the next dip's first orders.
      const { tickets } = await retrying(() => rpc.call(Rpc.inventory.availability, { eventId }));
      const left = (type: string) => tickets.find((t) => t.type === type)!.remaining;
      rise = Promise.all([adjust('pink', 300 - left('pink')), adjust('blue', 200 - left('blue'))]);
    }
    await rise;
    expect(sold).toBeGreaterThan(CYCLES * DIP_ORDERS * 0.8);

    await waitPipelineIdle(etcd, nc, {
      outboxes: ['inventory', 'notifier'],
      consumers: [{ stream: 'INVENTORY', durable: DURABLE }],
      timeoutMs: 180_000,
      what: 'the notifiers to catch up',
    });
    const jsm = await jetstreamManager(nc);
    const last = await jsm.streams.getMessage('INVENTORY', { last_by_subj: Events.inventory.stockChanged.type });
    await waitFor(async () => lastSeq >= last!.seq, { timeoutMs: 30_000, what: 'the ordered consumer to see every stock change' });
    messages.stop();
    await collecting;

    // The oracle: each commit's before/after from etcd's history.
    const revisions = [...new Set(seen.map((s) => s.revision))].sort((a, b) => a - b);
    expect(revisions[0]).toBeGreaterThan(0);
    const at = await remainingAt(eventId, [...new Set(revisions.flatMap((r) => [r - 1, r]))]);
    const commits = revisions.map((r) => ({ revision: r, before: at.get(r - 1)!, after: at.get(r)! }));
    // What the messages carry must be the same (when they carry it: an older inventory does not).
    const carried = seen.filter((s) => s.eventRemainingBefore !== undefined);
    const wrongCarried = carried.filter((s) => {
      const c = commits.find((x) => x.revision === s.revision)!;
      return s.eventRemainingBefore !== c.before || s.eventRemainingAfter !== c.after;
    });
    expect(wrongCarried).toEqual([]);

    const subs = new Map<string, { subscriptionId: string; since: number; limit: number }>();
    for await (const kv of scanPrefix(etcd.kv, prefixes.subscribersOf(eventId), 1000)) {
      const v = JSON.parse(kv.value) as { username: string; subscriptionId: string; since?: number; stateRevision: number; limit: number };
      // The subscriptions were created before the first stock change and never changed.
      subs.set(v.username, { subscriptionId: v.subscriptionId, since: v.since ?? kv.createRevision, limit: v.limit });
    }
    expect(subs.size).toBe(SUBSCRIPTIONS);
    const alerts = new Map<string, { revision?: number }[]>();
    for await (const kv of scanPrefix(etcd.kv, 'alert:', 1000)) {
      const k = parseKey(kv.key);
      const v = JSON.parse(kv.value) as { eventId: string; revision?: number };
      if (k.kind === 'alert' && v.eventId === eventId) alerts.set(k.username, [...(alerts.get(k.username) ?? []), v]);
    }
    const expected = new Map(
      [...subs].map(([u, s]) => [
        u,
        commits.filter((c) => c.revision > s.since && c.before > s.limit && c.after <= s.limit).map((c) => c.revision),
      ]),
    );
    const totalCrossings = [...expected.values()].reduce((n, xs) => n + xs.length, 0);
    const mismatches = [...subs.keys()]
      .filter((u) => (alerts.get(u)?.length ?? 0) !== expected.get(u)!.length)
      .map((u) => ({ user: u, limit: subs.get(u)!.limit, alerts: alerts.get(u)?.length ?? 0, crossings: expected.get(u)!.length }));
    const firedAlerts = [...alerts.values()].reduce((n, xs) => n + xs.length, 0);
    console.log(
      JSON.stringify({
        commits: commits.length,
        messages: seen.length,
        sold,
        refused,
        crossings: totalCrossings,
        alerts: firedAlerts,
        mismatched: mismatches.length,
      }),
    );
    expect(mismatches).toEqual([]);
    // 4+ dip/rise cycles for every subscription.
    expect([...expected].filter(([, xs]) => xs.length < CYCLES - 1).map(([u]) => u)).toEqual([]);
    // Each alert is the one of its crossing's commit.
    for (const [u, revs] of expected) expect((alerts.get(u) ?? []).map((a) => a.revision).sort((a, b) => a! - b!)).toEqual(revs);

    // ticketctl verify agrees (alerts == crossings per subscription, no stray).
    const v = await ticketctl({ etcd: clients.stack.etcd.endpoints }, ['verify', '--only', 'alerts', '--settle', '10']);
    expect({ code: v.code, out: v.code === 0 ? '' : v.stdout + v.stderr }).toEqual({ code: 0, out: '' });
    // The three instances shared the events' partitions.
    expect(new Set((await readPartitionHolders(etcd, prefixes.partitionsOf('notifier'))).values()).size).toBe(3);
  });
});
