/**
 * Inventory core against real processes on a private five-member cluster and JetStream.
 * Guards invariant 1 (never oversell, stock equals sales), invariant 3 (an order id sells at
 * most once, across instances and restarts), durable events through the outbox across a
 * kill -9, and invariant 5 for purchases (quorum lost: fast UNAVAILABLE, then recovery).
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { Events, MAX_TICKET_TYPES, Rpc, type EventEnvelope, type RpcReply, type RpcResult } from '@ticketcd/contracts';
import { clusterStatus, type EtcdConnection } from '@ticketcd/etcd';
import { prefixes } from '@ticketcd/keys';
import { JetStreamPublisher, type NatsConnection, type RpcClient } from '@ticketcd/messaging';
import { deployedInstances, seedEvent, startStackWithClients, waitFor, type Stack, type StackClients } from '@ticketcd/testing';
import { ulid } from 'ulid';
import { expectStockMatchesSales, readTickets } from './helpers.js';

type Outcome = RpcResult<typeof Rpc.inventory.purchase>;

let stack: Stack;
let etcd: EtcdConnection;
let rpc: { client: RpcClient; close: () => Promise<void> };
let nc: NatsConnection;

const inventories = () => stack.services.filter((s) => s.spec.service === 'inventory');

let clients: StackClients;
beforeAll(async () => {
  clients = await startStackWithClients({ services: ['inventory'], instances: deployedInstances(), env: { SVC_LEASE_TTL_S: '3' } });
  ({ stack, etcd, rpc, nc } = clients);
}, 120_000);

afterAll(() => clients?.close());

/** 1000 buyers, each 1-3 types of 1-4 tickets, all at once. */
function buyers(eventId: string, count: number, types: string[]) {
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  return Array.from({ length: count }, (_, i) => {
    const shuffled = [...types].sort(() => rand(3) - 1);
    const lines = shuffled.slice(0, 1 + rand(3)).map((type) => ({ type, quantity: 1 + rand(4) }));
    return { orderId: ulid(), username: `buyer-${i}`, eventId, lines };
  });
}

async function buyAll(orders: ReturnType<typeof buyers>): Promise<RpcReply<Outcome>[]> {
  return Promise.all(orders.map((o) => rpc.client.request(Rpc.inventory.purchase, o)));
}

async function sellOut(eventId: string) {
  const orders = buyers(eventId, 1000, ['vip', 'floor', 'balcony']);
  const replies = await buyAll(orders);
  const failed = replies.filter((r) => !r.ok);
  expect(failed).toEqual([]);
  const outcomes = replies.map((r) => (r as { ok: true; data: Outcome }).data);
  const { tickets, sales } = await expectStockMatchesSales(etcd, eventId);

  // Every accepted reply has its sale record, with the same lines; every sale record was accepted.
  const accepted = outcomes.filter((o) => o.status === 'accepted');
  expect(new Set(accepted.map((o) => o.orderId))).toEqual(new Set(sales.keys()));
  for (const o of accepted) expect(sales.get(o.orderId)!.lines).toEqual(o.lines);
  // Refusals sold nothing and say why.
  for (const o of outcomes.filter((x) => x.status === 'refused')) {
    expect(sales.has(o.orderId)).toBe(false);
    expect(o).toMatchObject({ reason: 'sold_out' });
  }
  // Demand (about 4 tickets a buyer) far exceeds the 500 tickets: the event sold out under contention.
  expect(accepted.length).toBeGreaterThan(50);
  expect(outcomes.length - accepted.length).toBeGreaterThan(500);
  expect([...tickets.values()].some((t) => t.remaining === 0)).toBe(true);
  return { accepted, sales };
}

describe('inventory.purchase on a hot event', () => {
  it('two instances selling one event at once never oversell (invariant 1)', async () => {
    const eventId = await seedEvent(etcd, {
      maxPerOrder: 12,
      tickets: [
        { type: 'vip', total: 100, price: 9000 },
        { type: 'floor', total: 250, price: 4500 },
        { type: 'balcony', total: 150, price: 3000 },
      ],
    });
    await sellOut(eventId);
    // Both instances took part.
    for (const s of inventories()) {
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      const handled = metrics.match(/ticketcd_rpc_handler_seconds_count\{[^}]*subject="inventory.purchase"[^}]*\} (\d+)/);
      expect(Number(handled?.[1] ?? 0)).toBeGreaterThan(0);
    }
  });

  it('the same order id sent 200 times, concurrently and after a restart, sells once (invariant 3)', async () => {
    const eventId = await seedEvent(etcd, { tickets: [{ type: 'vip', total: 1000, price: 1000 }] });
    const order = { orderId: ulid(), username: 'double-clicker', eventId, lines: [{ type: 'vip', quantity: 3 }] };
    const first = await Promise.all(Array.from({ length: 200 }, () => rpc.client.call(Rpc.inventory.purchase, order)));
    expect(new Set(first.map((o) => JSON.stringify(o))).size).toBe(1);
    expect(first[0]).toMatchObject({ status: 'accepted', remaining: { vip: 997 } });

    for (const s of inventories()) await s.stop('SIGKILL');
    for (const s of inventories()) s.start();
    await Promise.all(inventories().map((s) => s.waitReady()));

    const again = await Promise.all(Array.from({ length: 200 }, () => rpc.client.call(Rpc.inventory.purchase, order)));
    expect(again.every((o) => JSON.stringify(o) === JSON.stringify(first[0]))).toBe(true);
    const { sales, tickets } = await expectStockMatchesSales(etcd, eventId);
    expect(sales.size).toBe(1);
    expect(tickets.get('vip')!.remaining).toBe(997);
  });

  it('one instance alone never oversells either (invariant 1)', async () => {
    await inventories()[1]!.stop();
    try {
      const eventId = await seedEvent(etcd, {
        maxPerOrder: 12,
        tickets: [
          { type: 'vip', total: 100, price: 9000 },
          { type: 'floor', total: 250, price: 4500 },
          { type: 'balcony', total: 150, price: 3000 },
        ],
      });
      await sellOut(eventId);
    } finally {
      inventories()[1]!.start();
      await inventories()[1]!.waitReady();
    }
  });

  it('refuses bad orders with a reason and the remaining counts, selling nothing', async () => {
    const eventId = await seedEvent(etcd, { maxPerOrder: 4, tickets: [{ type: 'vip', total: 2, price: 100 }] });
    const ask = (lines: { type: string; quantity: number }[], id = eventId) =>
      rpc.client.call(Rpc.inventory.purchase, { orderId: ulid(), username: 'picky', eventId: id, lines });
    await expect(ask([{ type: 'gold', quantity: 1 }])).resolves.toMatchObject({
      status: 'refused',
      reason: 'unknown_type',
      remaining: { vip: 2 },
    });
    await expect(ask([{ type: 'vip', quantity: 5 }])).resolves.toMatchObject({ status: 'refused', reason: 'over_max_per_order' });
    await expect(ask([{ type: 'vip', quantity: 3 }])).resolves.toMatchObject({
      status: 'refused',
      reason: 'sold_out',
      lines: [{ type: 'vip', quantity: 3, problem: 'only 2 left' }],
    });
    await expect(ask([{ type: 'vip', quantity: 1 }], ulid())).resolves.toMatchObject({ status: 'refused', reason: 'unknown_event' });
    const bad = await rpc.client.request(Rpc.inventory.purchase, {
      orderId: ulid(),
      username: 'picky',
      eventId,
      lines: [{ type: 'vip', quantity: 0 }],
    });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', fields: [{ path: 'lines.0.quantity' }] } });
    const { sales, tickets } = await expectStockMatchesSales(etcd, eventId);
    expect(sales.size).toBe(0);
    expect(tickets.get('vip')!.remaining).toBe(2);
  });

  it('availability and adjust: add a type, raise and lower a total, never below what is sold', async () => {
    const eventId = await seedEvent(etcd, { tickets: [{ type: 'vip', total: 10, price: 100 }] });
    await rpc.client.call(Rpc.inventory.purchase, { orderId: ulid(), username: 'early', eventId, lines: [{ type: 'vip', quantity: 4 }] });
    await expect(rpc.client.call(Rpc.inventory.adjust, { eventId, ticketType: 'vip', total: 3 })).rejects.toMatchObject({
      error: { code: 'CONFLICT', message: 'cannot lower vip to 3: 4 already sold' },
    });
    await expect(rpc.client.call(Rpc.inventory.adjust, { eventId, ticketType: 'vip', total: 20 })).resolves.toMatchObject({
      total: 20,
      remaining: 16,
    });
    await expect(rpc.client.call(Rpc.inventory.adjust, { eventId, ticketType: 'floor', total: 50, price: 200 })).resolves.toMatchObject({
      total: 50,
      remaining: 50,
      price: 200,
    });
    const a = await rpc.client.call(Rpc.inventory.availability, { eventId });
    expect(a.tickets.sort((x, y) => x.type.localeCompare(y.type))).toEqual([
      { type: 'floor', total: 50, remaining: 50, price: 200 },
      { type: 'vip', total: 20, remaining: 16, price: 100 },
    ]);
    await expect(rpc.client.call(Rpc.inventory.availability, { eventId: ulid() })).rejects.toMatchObject({ error: { code: 'NOT_FOUND' } });
    await expectStockMatchesSales(etcd, eventId);

    // A batch's Txn must fit etcd's 128 ops: an event has at most MAX_TICKET_TYPES types.
    const wide = await seedEvent(etcd, {
      tickets: Array.from({ length: MAX_TICKET_TYPES }, (_, i) => ({ type: `t${i}`, total: 5, price: 1 })),
    });
    await expect(
      rpc.client.call(Rpc.inventory.adjust, { eventId: wide, ticketType: 'one-more', total: 5, price: 1 }),
    ).rejects.toMatchObject({ error: { code: 'CONFLICT', message: expect.stringContaining('most ticket types allowed (20)') } });
  });
});

describe('catalog.event.deleted', () => {
  it('stops sales of the deleted event, keeps its sales, and a redelivery changes nothing', async () => {
    const eventId = await seedEvent(etcd, {
      tickets: [
        { type: 'vip', total: 10, price: 100 },
        { type: 'floor', total: 10, price: 50 },
      ],
    });
    await rpc.client.call(Rpc.inventory.purchase, { orderId: ulid(), username: 'early', eventId, lines: [{ type: 'vip', quantity: 2 }] });
    const publisher = new JetStreamPublisher(nc, 'catalog');
    const fields = { name: 'Gone', description: '', location: 'porto', type: 'concert', date: new Date().toISOString(), maxPerOrder: 10 };
    const deleted = publisher.envelope(Events.catalog.eventDeleted, `deleted:${eventId}`, { eventId, version: 2, before: fields });
    await publisher.publish(deleted);
    await waitFor(async () => [...(await readTickets(etcd, eventId)).values()].every((t) => t.closed), {
      timeoutMs: 15_000,
      what: 'the deleted event closed',
    });
    const refusal = await rpc.client.call(Rpc.inventory.purchase, {
      orderId: ulid(),
      username: 'late',
      eventId,
      lines: [{ type: 'floor', quantity: 1 }],
    });
    expect(refusal).toMatchObject({
      status: 'refused',
      reason: 'event_deleted',
      message: expect.stringMatching(/was deleted and is no longer on sale/),
    });
    // Published again under a new id, as a redelivery would arrive: idempotent.
    await publisher.publish({ ...deleted, id: `${deleted.id}:again` });
    const { sales, tickets } = await expectStockMatchesSales(etcd, eventId);
    expect(sales.size).toBe(1);
    expect([...tickets.values()].every((t) => t.closed)).toBe(true);
  });
});

describe('durable sold events', () => {
  const soldMessages = (eventId: string) => streamMessages('inventory.tickets.sold', eventId);

  async function streamMessages(subject: string, eventId: string): Promise<EventEnvelope[]> {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info('INVENTORY');
    const out: EventEnvelope[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage('INVENTORY', { seq }).catch(() => null);
      if (!m || m.subject !== subject) continue;
      const env = m.json<EventEnvelope<{ eventId: string }>>();
      if (env.data.eventId === eventId) out.push(env);
    }
    return out;
  }

  it('a kill -9 after commit and before publish loses nothing and duplicates nothing', async () => {
    for (const s of inventories()) await s.stop();
    const silent = await stack.addInstance('inventory', { OUTBOX_RELAY: 'false' });
    await silent.waitReady();
    const eventId = await seedEvent(etcd, { tickets: [{ type: 'vip', total: 500, price: 100 }] });
    const orders = Array.from({ length: 150 }, (_, i) => ({
      orderId: ulid(),
      username: `buyer-${i}`,
      eventId,
      lines: [{ type: 'vip', quantity: 1 + (i % 3) }],
    }));
    const replies = await Promise.all(orders.map((o) => rpc.client.call(Rpc.inventory.purchase, o)));
    expect(replies.every((r) => r.status === 'accepted')).toBe(true);
    // Committed, in the outbox, not published.
    expect(await etcd.kv.getAll().prefix(prefixes.outboxOf('inventory')).count()).toBeGreaterThan(0);
    expect(await soldMessages(eventId)).toHaveLength(0);

    await silent.stop('SIGKILL');
    for (const s of inventories().filter((s) => s !== silent)) s.start();
    await Promise.all(
      inventories()
        .filter((s) => s !== silent)
        .map((s) => s.waitReady()),
    );

    await waitFor(async () => (await etcd.kv.getAll().prefix(prefixes.outboxOf('inventory')).count()) === 0, {
      timeoutMs: 30_000,
      what: 'outbox drained by the restarted instances',
    });
    const messages = await soldMessages(eventId);
    const { sales } = await expectStockMatchesSales(etcd, eventId);
    const ids = new Set(messages.map((m) => m.id));
    expect(ids.size).toBe(messages.length);
    expect(messages.length).toBe(sales.size);
    expect(new Set(messages.map((m) => (m.data as { orderId: string }).orderId))).toEqual(new Set(sales.keys()));
    // The relay stamped the commit revision.
    expect(messages.every((m) => (m.data as { revision: number }).revision > 0)).toBe(true);
    // stock.changed: the newest per type carries the remaining count etcd holds now.
    const stock = (await streamMessages('inventory.stock.changed', eventId)) as EventEnvelope<{
      ticketType: string;
      remaining: number;
      revision: number;
    }>[];
    const newest = stock.sort((x, y) => y.data.revision - x.data.revision)[0]!;
    expect(new Set(stock.map((m) => m.id)).size).toBe(stock.length);
    expect(newest.data).toMatchObject({ ticketType: 'vip', remaining: (await readTickets(etcd, eventId)).get('vip')!.remaining });
  });
});

describe('acknowledged sales', () => {
  it('survive the loss of any two etcd members, the leader among them (invariant 2)', async () => {
    const eventId = await seedEvent(etcd, { tickets: [{ type: 'vip', total: 1000, price: 100 }] });
    const orders = Array.from({ length: 200 }, (_, i) => ({
      orderId: ulid(),
      username: `buyer-${i}`,
      eventId,
      lines: [{ type: 'vip', quantity: 1 }],
    }));
    const acked = await Promise.all(orders.map((o) => rpc.client.call(Rpc.inventory.purchase, o)));
    expect(acked.every((o) => o.status === 'accepted')).toBe(true);

    // Right after the acknowledgements: kill -9 the leader and one follower.
    const status = await clusterStatus(etcd);
    const leader = status.members.findIndex((m) => m.isLeader);
    const victims = [
      Number(status.members[leader]!.name.split('-')[1]),
      Number(status.members.find((m) => !m.isLeader)!.name.split('-')[1]),
    ];
    for (const i of victims) await stack.etcd.stopMember(i, 'SIGKILL');
    try {
      // Read through the three survivors once they have elected a leader.
      const { sales, tickets } = await waitFor(async () => expectStockMatchesSales(etcd, eventId), {
        timeoutMs: 20_000,
        intervalMs: 250,
        what: 'a read from the surviving members',
      });
      expect(new Set(sales.keys())).toEqual(new Set(orders.map((o) => o.orderId)));
      expect(tickets.get('vip')!.remaining).toBe(800);
    } finally {
      for (const i of victims) stack.etcd.startMember(i);
      await stack.etcd.waitHealthy(30_000);
    }
  });
});

describe('quorum lost', () => {
  it('purchases answer UNAVAILABLE fast, then succeed again when members return (invariant 5)', async () => {
    const eventId = await seedEvent(etcd, { tickets: [{ type: 'vip', total: 10, price: 100 }] });
    for (const i of [0, 1, 2]) await stack.etcd.stopMember(i);
    const started = Date.now();
    const reply = await rpc.client.request(Rpc.inventory.purchase, {
      orderId: ulid(),
      username: 'patient',
      eventId,
      lines: [{ type: 'vip', quantity: 1 }],
    });
    expect(reply).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', dependency: 'etcd' } });
    // It first rides out what could be an election, for PURCHASE_DEADLINE_MS (4.5 s), then says
    // so: bounded, never a hang (slack for a loaded machine).
    expect(Date.now() - started).toBeLessThan(4500 + 3500);

    for (const i of [0, 1, 2]) stack.etcd.startMember(i);
    const order = { orderId: ulid(), username: 'patient', eventId, lines: [{ type: 'vip', quantity: 1 }] };
    const ok = await waitFor(
      async () => {
        const r = await rpc.client.request(Rpc.inventory.purchase, order);
        return r.ok ? r.data : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'purchases to work again' },
    );
    expect(ok.status).toBe('accepted');
    await expectStockMatchesSales(etcd, eventId);
  });
});
