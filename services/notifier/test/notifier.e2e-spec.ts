/**
 * The notifier against a real five-member etcd and nats-server -js, with inventory selling and
 * two notifier instances sharing one durable consumer. Guards invariant 4 (each limit crossing
 * fires exactly one alert per subscription) under concurrency, duplicated and reordered
 * stock.changed messages, and kill -9 of the notifiers; and invariant 6 for the API.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Events, Rpc } from '@ticketcd/contracts';
import { scanPrefix, type EtcdConnection } from '@ticketcd/etcd';
import { parseKey } from '@ticketcd/keys';
import type { NatsConnection, RpcClient } from '@ticketcd/messaging';
import { seedEvent, startStackWithClients, waitFor, waitPipelineIdle, type Stack, type StackClients } from '@ticketcd/testing';
import { ulid } from 'ulid';

const DURABLE = 'notifier-stock';

let clients: StackClients;
let stack: Stack;
let etcd: EtcdConnection;
let rpc: RpcClient;
let nc: NatsConnection;

const notifiers = () => stack.services.filter((s) => s.spec.service === 'notifier');

beforeAll(async () => {
  clients = await startStackWithClients({
    services: ['inventory', 'notifier'],
    instances: { notifier: 2 },
    // A killed notifier's unacked message comes back after 3 s instead of 30.
    env: { NOTIFIER_ACK_WAIT_MS: '3000' },
  });
  ({ stack, etcd, nc } = clients);
  rpc = clients.rpc.client;
}, 120_000);

afterAll(() => clients?.close());

interface StoredAlert {
  username: string;
  alertId: string;
  eventId: string;
  remaining: number;
  limit: number;
}

async function alertsOf(eventId: string): Promise<StoredAlert[]> {
  const out: StoredAlert[] = [];
  for await (const kv of scanPrefix(etcd.kv, 'alert:', 1000)) {
    const k = parseKey(kv.key);
    const v = JSON.parse(kv.value) as StoredAlert;
    if (k.kind === 'alert' && v.eventId === eventId) out.push({ ...v, username: k.username });
  }
  return out;
}

/** Every sale relayed, every stock change handled, every alert relayed. */
async function caughtUp(): Promise<void> {
  await waitPipelineIdle(etcd, nc, {
    outboxes: ['inventory', 'notifier'],
    consumers: [{ stream: 'INVENTORY', durable: DURABLE }],
    timeoutMs: 120_000,
    what: 'the notifiers to catch up',
  });
}

/** Alert ids published on notifier.alert.fired (the stream de-duplicates by alert id). */
async function firedMessages(eventId: string): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info('NOTIFIER');
  const ids: string[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage('NOTIFIER', { seq }).catch(() => null);
    if (!m) continue;
    const env = JSON.parse(new TextDecoder().decode(m.data)) as { data: { alertId: string; eventId: string } };
    if (env.data.eventId === eventId) ids.push(env.data.alertId);
  }
  return ids;
}

function random(seed: number) {
  return (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
}

async function subscribeMany(eventId: string, count: number, total: number, seed: number): Promise<Map<string, number>> {
  const rand = random(seed);
  const limits = new Map(Array.from({ length: count }, (_, i) => [`watcher-${String(i).padStart(4, '0')}`, 1 + rand(total - 1)] as const));
  const entries = [...limits];
  for (let i = 0; i < entries.length; i += 100) {
    await Promise.all(
      entries.slice(i, i + 100).map(([username, limit]) => rpc.call(Rpc.notifier.putSubscription, { username, eventId, limit })),
    );
  }
  return limits;
}

/** `count` single-ticket purchases, all at once. */
async function sell(eventId: string, count: number): Promise<number> {
  const replies = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      rpc.call(Rpc.inventory.purchase, { orderId: ulid(), username: `buyer-${i % 500}`, eventId, lines: [{ type: 'pink', quantity: 1 }] }),
    ),
  );
  return replies.filter((r) => r.status === 'accepted').length;
}

/** Every subscription fired exactly once, at or below its limit; and each alert published once. */
async function expectOneAlertEach(eventId: string, limits: Map<string, number>): Promise<void> {
  const alerts = await alertsOf(eventId);
  const byUser = new Map<string, StoredAlert[]>();
  for (const a of alerts) byUser.set(a.username, [...(byUser.get(a.username) ?? []), a]);
  const missing = [...limits.keys()].filter((u) => !byUser.has(u));
  const twice = [...byUser].filter(([, as]) => as.length > 1).map(([u]) => u);
  const early = alerts.filter((a) => a.remaining > limits.get(a.username)!);
  expect({ missing: missing.length, twice, early }).toEqual({ missing: 0, twice: [], early: [] });
  expect(alerts).toHaveLength(limits.size);
  const fired = await firedMessages(eventId);
  expect(new Set(fired).size).toBe(fired.length);
  expect(new Set(fired)).toEqual(new Set(alerts.map((a) => a.alertId)));
}

describe('low-stock alerts (invariant 4)', () => {
  it('1,000 subscriptions with random limits, 2,000 concurrent purchases selling out: each fires exactly once, none early', async () => {
    const eventId = await seedEvent(etcd, { tickets: [{ type: 'pink', total: 2000, price: 100 }] });
    const limits = await subscribeMany(eventId, 1000, 2000, 11);
    expect(await sell(eventId, 2000)).toBe(2000);
    await caughtUp();
    await expectOneAlertEach(eventId, limits);
  });

  it('the same with every stock change delivered twice more, out of order, and the notifiers killed (kill -9) twice', async () => {
    const eventId = await seedEvent(etcd, { tickets: [{ type: 'pink', total: 2000, price: 100 }] });
    const limits = await subscribeMany(eventId, 1000, 2000, 23);
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    let nextSeq = (await jsm.streams.info('INVENTORY')).state.last_seq + 1;
    let republished = 0;
    let stop = false;
    // Alongside the sale: every stock.changed seen so far published twice again, newest first.
    const chaos = (async () => {
      while (!stop) {
        const last = (await jsm.streams.info('INVENTORY')).state.last_seq;
        const batch: Uint8Array[] = [];
        for (; nextSeq <= last; nextSeq++) {
          const m = await jsm.streams.getMessage('INVENTORY', { seq: nextSeq }).catch(() => null);
          if (m?.subject === Events.inventory.stockChanged.type && JSON.parse(new TextDecoder().decode(m.data)).source === 'inventory')
            batch.push(m.data);
        }
        for (const data of [...batch.reverse(), ...batch]) {
          const env = JSON.parse(new TextDecoder().decode(data));
          await js.publish(Events.inventory.stockChanged.type, JSON.stringify({ ...env, id: ulid(), source: 'test-replay' }), {
            msgID: ulid(),
          });
          republished++;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const selling = Promise.all([sell(eventId, 700), sell(eventId, 700), sell(eventId, 600)]);
    // Kill each notifier once while the sale goes on, then bring it back.
    const [a, b] = notifiers();
    await waitFor(async () => (await alertsOf(eventId)).length >= 50, { timeoutMs: 60_000, what: 'some alerts before the first kill' });
    await a!.stop('SIGKILL');
    await waitFor(async () => (await alertsOf(eventId)).length >= 300, { timeoutMs: 60_000, what: 'more alerts before the second kill' });
    await b!.stop('SIGKILL');
    await a!.start();
    await a!.waitReady();
    await b!.start();
    await b!.waitReady();
    const sold = (await selling).reduce((x, y) => x + y, 0);
    expect(sold).toBe(2000);
    await caughtUp();
    stop = true;
    await chaos;
    await caughtUp();
    expect(republished).toBeGreaterThan(0);
    await expectOneAlertEach(eventId, limits);
  });

  it('re-arms when stock rises above a fired limit, and fires once more at the next crossing', async () => {
    const eventId = await seedEvent(etcd, { tickets: [{ type: 'pink', total: 100, price: 100 }] });
    await rpc.call(Rpc.notifier.putSubscription, { username: 'rearm', eventId, limit: 10 });
    expect(await sell(eventId, 90)).toBe(90);
    await caughtUp();
    // Sales commit in batches: the crossing is seen at the first commit at or below the limit.
    const first = await alertsOf(eventId);
    expect(first).toHaveLength(1);
    expect(first[0]!.remaining).toBeLessThanOrEqual(10);
    await rpc.call(Rpc.inventory.adjust, { eventId, ticketType: 'pink', total: 200 });
    await caughtUp();
    const [rearmed] = (await rpc.call(Rpc.notifier.listSubscriptions, { username: 'rearm' })).items;
    expect(rearmed).toMatchObject({ eventId, state: 'armed' });
    expect(await sell(eventId, 105)).toBe(105);
    await caughtUp();
    const alerts = await alertsOf(eventId);
    expect(alerts).toHaveLength(2);
    expect(alerts.every((a) => a.remaining <= 10 && a.remaining >= 5)).toBe(true);
    expect(new Set(alerts.map((a) => a.alertId)).size).toBe(2);
    expect((await rpc.call(Rpc.notifier.listSubscriptions, { username: 'rearm' })).items[0]).toMatchObject({ state: 'fired' });
  });

  it('a subscription whose limit is already reached fires at once, and says so', async () => {
    const eventId = await seedEvent(etcd, {
      tickets: [
        { type: 'pink', total: 5, price: 100 },
        { type: 'blue', total: 3, price: 100 },
      ],
    });
    const reply = await rpc.call(Rpc.notifier.putSubscription, { username: 'late', eventId, limit: 8 });
    expect(reply).toMatchObject({ state: 'fired', remaining: 8, limit: 8 });
    await caughtUp();
    expect(await alertsOf(eventId)).toEqual([expect.objectContaining({ username: 'late', remaining: 8, limit: 8 })]);
    expect(await firedMessages(eventId)).toHaveLength(1);
  });
});

describe('subscriptions and alerts API', () => {
  it('creates, changes, pauses, lists and deletes subscriptions; lists alerts newest first, counts and marks unread', async () => {
    const e1 = await seedEvent(etcd, { tickets: [{ type: 'pink', total: 10, price: 100 }] });
    const e2 = await seedEvent(etcd, { tickets: [{ type: 'pink', total: 10, price: 100 }] });
    expect(await rpc.call(Rpc.notifier.putSubscription, { username: 'ana', eventId: e1, limit: 3 })).toMatchObject({
      state: 'armed',
      active: true,
      remaining: 10,
    });
    expect(await rpc.call(Rpc.notifier.putSubscription, { username: 'ana', eventId: e2, limit: 2, active: false })).toMatchObject({
      active: false,
    });
    expect(await rpc.call(Rpc.notifier.putSubscription, { username: 'ana', eventId: e1, limit: 4 })).toMatchObject({ limit: 4 });
    const listed = await rpc.call(Rpc.notifier.listSubscriptions, { username: 'ana' });
    expect(listed.items.map((s) => [s.eventId, s.limit, s.active]).sort()).toEqual(
      [
        [e1, 4, true],
        [e2, 2, false],
      ].sort(),
    );

    // A paused subscription does not fire.
    await Promise.all(
      Array.from({ length: 9 }, () =>
        rpc.call(Rpc.inventory.purchase, { orderId: ulid(), username: 'bob', eventId: e2, lines: [{ type: 'pink', quantity: 1 }] }),
      ),
    );
    await Promise.all(
      Array.from({ length: 7 }, () =>
        rpc.call(Rpc.inventory.purchase, { orderId: ulid(), username: 'bob', eventId: e1, lines: [{ type: 'pink', quantity: 1 }] }),
      ),
    );
    await caughtUp();
    let page = await rpc.call(Rpc.notifier.listAlerts, { username: 'ana' });
    expect(page.items.map((a) => a.eventId)).toEqual([e1]);
    // Resumed with the limit reached: fires at once.
    expect(await rpc.call(Rpc.notifier.putSubscription, { username: 'ana', eventId: e2, limit: 2, active: true })).toMatchObject({
      state: 'fired',
    });
    page = await rpc.call(Rpc.notifier.listAlerts, { username: 'ana' });
    expect(page.items.map((a) => a.eventId)).toEqual([e2, e1]);
    expect(page.unread).toBe(2);
    const onePerPage = await rpc.call(Rpc.notifier.listAlerts, { username: 'ana', limit: 1 });
    expect(onePerPage.items).toHaveLength(1);
    const second = await rpc.call(Rpc.notifier.listAlerts, { username: 'ana', limit: 1, cursor: onePerPage.nextCursor! });
    expect(second.items.map((a) => a.eventId)).toEqual([e1]);
    expect(second.nextCursor).toBeNull();
    expect(await rpc.call(Rpc.notifier.markAlertRead, { username: 'ana', alertId: page.items[0]!.alertId })).toEqual({ read: true });
    expect((await rpc.call(Rpc.notifier.listAlerts, { username: 'ana' })).unread).toBe(1);

    expect(await rpc.call(Rpc.notifier.deleteSubscription, { username: 'ana', eventId: e1 })).toEqual({ deleted: true });
    expect(await rpc.call(Rpc.notifier.deleteSubscription, { username: 'ana', eventId: e1 })).toEqual({ deleted: false });
    expect((await rpc.call(Rpc.notifier.listSubscriptions, { username: 'ana' })).items.map((s) => s.eventId)).toEqual([e2]);
    // The alerts stay after their subscription is gone.
    expect((await rpc.call(Rpc.notifier.listAlerts, { username: 'ana' })).items).toHaveLength(2);
  });

  it('refuses bad input with a 4xx-class error and a clear message, changing nothing (invariant 6)', async () => {
    const e = await seedEvent(etcd, { tickets: [{ type: 'pink', total: 10, price: 100 }] });
    await expect(rpc.call(Rpc.notifier.putSubscription, { username: 'eve', eventId: e, limit: 0 })).rejects.toMatchObject({
      error: { code: 'BAD_REQUEST' },
    });
    await expect(rpc.call(Rpc.notifier.putSubscription, { username: 'eve', eventId: e, limit: 2.5 })).rejects.toMatchObject({
      error: { code: 'BAD_REQUEST' },
    });
    await expect(rpc.call(Rpc.notifier.putSubscription, { username: 'eve:x', eventId: e, limit: 2 })).rejects.toMatchObject({
      error: { code: 'BAD_REQUEST' },
    });
    await expect(rpc.call(Rpc.notifier.putSubscription, { username: 'eve', eventId: ulid(), limit: 2 })).rejects.toMatchObject({
      error: { code: 'NOT_FOUND' },
    });
    await expect(rpc.call(Rpc.notifier.markAlertRead, { username: 'eve', alertId: ulid() })).rejects.toMatchObject({
      error: { code: 'NOT_FOUND' },
    });
    await expect(rpc.call(Rpc.notifier.listAlerts, { username: 'eve', cursor: 'bm9wZQ' })).rejects.toMatchObject({
      error: { code: 'BAD_REQUEST', message: 'invalid cursor' },
    });
    expect((await rpc.call(Rpc.notifier.listSubscriptions, { username: 'eve' })).items).toEqual([]);
  });
});
