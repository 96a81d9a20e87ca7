/**
 * Issue 17 point 4: stock changes of one event that queued up fold into one evaluation, and
 * invariant 4 still holds (each limit crossing fires exactly one alert per subscription), also
 * for a dip that a later change undid before the notifier looked. The notifier is stopped while
 * the stock moves (ticket keys written as inventory would) and the stock.changed messages queue
 * up, duplicated and out of order; then it starts and handles the backlog. Real etcd x5 +
 * nats-server -js on a private stack (the test stops and starts the notifier).
 */
import { jetstream } from '@nats-io/jetstream';
import { Events, Rpc, type EventEnvelope, type TicketRecord } from '@ticketcd/contracts';
import { scanPrefix } from '@ticketcd/etcd';
import { keys, parseKey } from '@ticketcd/keys';
import { seedEvent, startStackWithClients, waitPipelineIdle, type StackClients } from '@ticketcd/testing';
import { ulid } from 'ulid';

const DURABLE = 'notifier-stock';
let clients: StackClients;

beforeAll(async () => {
  clients = await startStackWithClients({ services: ['notifier'] });
}, 120_000);

afterAll(() => clients?.close());

const notifier = () => clients.stack.services.find((s) => s.spec.service === 'notifier')!;
const caughtUp = () =>
  waitPipelineIdle(clients.etcd, clients.nc, {
    outboxes: ['notifier'],
    consumers: [{ stream: 'INVENTORY', durable: DURABLE }],
    timeoutMs: 90_000,
    what: 'the notifier to catch up',
  });
const revision = async () => Number((await clients.etcd.kv.get('probe').exec()).header.revision);

/** Sets the pink remaining count as inventory's commit would; returns the commit revision. */
async function setRemaining(eventId: string, total: number, remaining: number): Promise<number> {
  const record: TicketRecord = { total, remaining, price: 100, closed: false };
  const res = await clients.etcd.kv.put(keys.ticket(eventId, 'pink')).value(JSON.stringify(record)).exec();
  return Number(res.header.revision);
}

/**
 * A stock.changed as inventory publishes it; with `before`, it carries the event's count before
 * and after the commit (issue 25), without, it is one from an older inventory (the notifier then
 * reads the stock at rev - 1 and rev).
 */
async function publishStockChanged(eventId: string, total: number, remaining: number, rev: number, before?: number): Promise<void> {
  const env: EventEnvelope = {
    id: `stock:${eventId}:pink:${rev}`,
    type: Events.inventory.stockChanged.type,
    occurredAt: new Date().toISOString(),
    source: 'test',
    traceId: ulid(),
    data: {
      eventId,
      ticketType: 'pink',
      total,
      remaining,
      revision: rev,
      ...(before === undefined ? {} : { remainingBefore: before, eventRemainingBefore: before, eventRemainingAfter: remaining }),
    },
  };
  // A new message id each time: copies are redeliveries the stream does not drop.
  await jetstream(clients.nc).publish(env.type, JSON.stringify(env), { msgID: ulid() });
}

async function alertsOf(eventId: string): Promise<{ username: string; remaining: number }[]> {
  const out = [];
  for await (const kv of scanPrefix(clients.etcd.kv, 'alert:', 1000)) {
    const k = parseKey(kv.key);
    const v = JSON.parse(kv.value) as { eventId: string; remaining: number };
    if (k.kind === 'alert' && v.eventId === eventId) out.push({ username: k.username, remaining: v.remaining });
  }
  return out;
}

/** Deterministic shuffle. */
function shuffled<T>(xs: T[], seed: number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('notifier: queued stock changes fold (issue 17 point 4, invariant 4)', () => {
  it('200 queued stock changes (each twice) and 100 subscriptions: few Txns, each subscription fired once at its limit', async () => {
    const total = 200;
    const eventId = await seedEvent(clients.etcd, { tickets: [{ type: 'pink', total, price: 100 }] });
    for (let i = 0; i < 100; i += 25)
      await Promise.all(
        Array.from({ length: 25 }, (_, j) =>
          clients.rpc.client.call(Rpc.notifier.putSubscription, { username: `w-${i + j}`, eventId, limit: i + j + 1 }),
        ),
      );
    await caughtUp();
    await notifier().stop();
    const changes: { remaining: number; rev: number }[] = [];
    for (let remaining = total - 1; remaining >= 0; remaining--)
      changes.push({ remaining, rev: await setRemaining(eventId, total, remaining) });
    // In commit order, then all again (redeliveries): one at a time, each revision crosses one limit.
    for (const c of [...changes, ...changes]) await publishStockChanged(eventId, total, c.remaining, c.rev, c.remaining + 1);

    const before = await revision();
    notifier().start();
    await notifier().waitReady();
    await caughtUp();
    // One message at a time: a Txn (and an outbox entry to relay and delete) per crossing revision, ~200.
    expect((await revision()) - before).toBeLessThan(60);
    const alerts = await alertsOf(eventId);
    expect(alerts).toHaveLength(100);
    // Each fired once, at the first count at or below its limit (the count fell one by one).
    expect(new Set(alerts.map((a) => a.username)).size).toBe(100);
    for (const a of alerts) expect(a.remaining).toBe(Number(a.username.slice(2)) + 1);
  });

  // These messages carry no before/after counts (an inventory older than issue 25): read from etcd's history.
  it('a dip undone before the notifier looked still fires; fire, re-arm, fire in one backlog gives two alerts', async () => {
    const total = 100;
    const eventId = await seedEvent(clients.etcd, { tickets: [{ type: 'pink', total, price: 100 }] });
    const limits = { a: 50, b: 10, c: 90 };
    for (const [u, limit] of Object.entries(limits))
      await clients.rpc.client.call(Rpc.notifier.putSubscription, { username: `dip-${u}`, eventId, limit });
    await caughtUp();
    await notifier().stop();
    const changes = [];
    // 95, then a dip to 40 (a and c cross), back to 100 (they re-arm), 5 (all three cross), 60 (a and b re-arm).
    for (const remaining of [95, 40, 100, 5, 60]) changes.push({ remaining, rev: await setRemaining(eventId, total, remaining) });
    for (const c of shuffled([...changes, ...changes, ...changes], 3)) await publishStockChanged(eventId, total, c.remaining, c.rev);
    notifier().start();
    await notifier().waitReady();
    await caughtUp();
    const byUser = (await alertsOf(eventId)).reduce<Record<string, number[]>>(
      (m, a) => ({ ...m, [a.username]: [...(m[a.username] ?? []), a.remaining].sort((x, y) => x - y) }),
      {},
    );
    expect(byUser).toEqual({ 'dip-a': [5, 40], 'dip-b': [5], 'dip-c': [5, 40] });
    const subs = await clients.rpc.client.call(Rpc.notifier.listSubscriptions, { username: 'dip-c' });
    expect(subs.items[0]).toMatchObject({ state: 'fired' });
    const a = await clients.rpc.client.call(Rpc.notifier.listSubscriptions, { username: 'dip-a' });
    expect(a.items[0]).toMatchObject({ state: 'armed' });
  });
});
