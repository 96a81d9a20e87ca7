/**
 * Issue 27, invariant 3 as amended: an Idempotency-Key binds on a sale only. Through orders.place
 * in the deployed shape (two instances of catalog, inventory and orders):
 *  - a refusal (sold out, bad input) writes nothing (no key moves past the etcd revision before it,
 *    apart from the instances' own liveness keys) and binds
 *    nothing: its key then buys on another event;
 *  - a sold key for another event or other lines is CONFLICT and sells nothing;
 *  - a retry of a sold order after the sell-out gets its sale, byte for byte, and writes nothing.
 */
import { deriveOrderId, Rpc } from '@ticketcd/contracts';
import type { EtcdConnection } from '@ticketcd/etcd';
import { keys, prefixes } from '@ticketcd/keys';
import type { NatsConnection, RpcClient } from '@ticketcd/messaging';
import {
  deployedInstances,
  keysWrittenSince,
  startStackWithClients,
  waitFor,
  waitPipelineIdle,
  type StackClients,
} from '@ticketcd/testing';
import { ulid } from 'ulid';

let etcd: EtcdConnection;
let rpc: { client: RpcClient; close: () => Promise<void> };
let nc: NatsConnection;
let clients: StackClients;

beforeAll(async () => {
  clients = await startStackWithClients({ services: ['catalog', 'inventory', 'orders'], instances: deployedInstances() });
  ({ etcd, rpc, nc } = clients);
}, 180_000);

afterAll(() => clients?.close());

const event = (name: string, total: number) => ({
  name,
  description: 'idempotency test',
  location: 'lisbon',
  type: 'concert',
  date: '2027-01-01T20:00:00.000Z',
  maxPerOrder: 10,
  ticketTypes: [
    { type: 'pink', total, price: 1000 },
    { type: 'blue', total, price: 2500 },
  ],
});

const revision = async () => Number((await etcd.kv.get('nothing').exec()).header.revision);

/**
 * The revision once the pipeline is quiet: outboxes relayed, the orders consumer caught up (its
 * purchase: and stats: writes), and two reads a moment apart agree. Instances may still renew
 * their liveness keys after it (keysWrittenSince leaves those out).
 */
async function quietRevision(): Promise<number> {
  await waitPipelineIdle(etcd, nc, {
    outboxes: ['inventory', 'catalog'],
    consumers: [{ stream: 'INVENTORY', durable: 'orders-tickets-sold' }],
  });
  let last = -1;
  return waitFor(
    async () => {
      const now = await revision();
      const quiet = now === last;
      last = now;
      return quiet ? now : null;
    },
    { intervalMs: 300, what: 'no etcd write for a moment' },
  );
}

const salesUnder = async (eventId: string) => Object.keys(await etcd.kv.getAll().prefix(prefixes.salesOf(eventId)).strings());
const remainingOf = async (eventId: string, type = 'pink') =>
  (await rpc.client.call(Rpc.inventory.availability, { eventId })).tickets.find((t) => t.type === type)!.remaining;

describe('orders.place: a key binds on a sale only (issue 27, invariant 3)', () => {
  it('a sold-out refusal writes nothing and binds nothing; a retry of the sold order after the sell-out gets its sale byte for byte', async () => {
    const [e, other] = await Promise.all([
      rpc.client.call(Rpc.catalog.createEvent, event('Refusals are free', 1)),
      rpc.client.call(Rpc.catalog.createEvent, event('Refusals are free, other', 50)),
    ]);
    const place = (idempotencyKey: string, eventId = e.eventId, lines = [{ type: 'pink', quantity: 1 }]) =>
      rpc.client.request(Rpc.orders.place, { username: 'una', eventId, idempotencyKey, lines });
    const sold = await place('sold-key', e.eventId, [
      { type: 'pink', quantity: 1 },
      { type: 'blue', quantity: 1 },
    ]);
    expect(sold).toMatchObject({ ok: true, data: { status: 'accepted' } });

    const before = await quietRevision();
    // First sends at a sold-out event (the first decided from a read, the rest from memory).
    for (let i = 0; i < 5; i++) {
      expect(await place(`refused-${i}`)).toMatchObject({ ok: true, data: { status: 'refused', reason: 'sold_out' } });
    }
    // The retry of the sold order (the buyer never heard the answer): its sale, as first sent.
    const retry = await place('sold-key', e.eventId, [
      { type: 'blue', quantity: 1 },
      { type: 'pink', quantity: 1 },
    ]);
    expect(JSON.stringify(retry)).toBe(JSON.stringify(sold));
    expect(await keysWrittenSince(etcd, before)).toEqual([]);
    for (let i = 0; i < 5; i++) expect(await etcd.kv.get(keys.order('una', deriveOrderId('una', `refused-${i}`))).string()).toBeNull();

    // A refused key bound nothing: the same key buys on another event.
    const reused = await place('refused-0', other.eventId);
    expect(reused).toMatchObject({ ok: true, data: { status: 'accepted', orderId: deriveOrderId('una', 'refused-0') } });
    // The check above would have named a write: this sale's keys show up in it.
    expect(await keysWrittenSince(etcd, before)).toEqual(expect.arrayContaining([expect.stringMatching(/^put sale:/)]));
    expect(await salesUnder(e.eventId)).toHaveLength(1);
    expect(await salesUnder(other.eventId)).toHaveLength(1);
  });

  it('a bad-input refusal (unknown event or type, over the limit, twice) writes nothing, and its key then buys another order', async () => {
    const e = await rpc.client.call(Rpc.catalog.createEvent, event('Bad input is free', 50));
    const bad = [
      { eventId: ulid(), lines: [{ type: 'pink', quantity: 1 }], reason: 'unknown_event' },
      { eventId: e.eventId, lines: [{ type: 'gold', quantity: 1 }], reason: 'unknown_type' },
      { eventId: e.eventId, lines: [{ type: 'pink', quantity: 11 }], reason: 'over_max_per_order' },
    ];
    const before = await quietRevision();
    for (const [i, b] of bad.entries()) {
      const order = { username: 'ben', eventId: b.eventId, idempotencyKey: `bad-${i}`, lines: b.lines };
      // Twice: a retry of a refusal is decided again, and writes nothing either.
      for (let n = 0; n < 2; n++)
        expect(await rpc.client.call(Rpc.orders.place, order)).toMatchObject({ status: 'refused', reason: b.reason });
    }
    expect(await keysWrittenSince(etcd, before)).toEqual([]);
    for (const i of bad.keys()) {
      const good = await rpc.client.call(Rpc.orders.place, {
        username: 'ben',
        eventId: e.eventId,
        idempotencyKey: `bad-${i}`,
        lines: [{ type: 'pink', quantity: 1 }],
      });
      expect(good).toMatchObject({ status: 'accepted', orderId: deriveOrderId('ben', `bad-${i}`) });
    }
    expect(await remainingOf(e.eventId)).toBe(47);
  });

  it('a sold key for another event or other lines is CONFLICT naming the sale, and sells nothing', async () => {
    const [a, b] = await Promise.all([
      rpc.client.call(Rpc.catalog.createEvent, event('Sold key A', 50)),
      rpc.client.call(Rpc.catalog.createEvent, event('Sold key B', 50)),
    ]);
    const order = { username: 'cleo', eventId: a.eventId, idempotencyKey: 'sold-once', lines: [{ type: 'pink', quantity: 2 }] };
    const first = await rpc.client.call(Rpc.orders.place, order);
    expect(first.status).toBe('accepted');
    const conflict = { ok: false, error: { code: 'CONFLICT', details: { orderId: first.orderId, eventId: a.eventId } } };
    expect(await rpc.client.request(Rpc.orders.place, { ...order, eventId: b.eventId })).toMatchObject(conflict);
    expect(await rpc.client.request(Rpc.orders.place, { ...order, lines: [{ type: 'pink', quantity: 3 }] })).toMatchObject(conflict);
    expect(
      await rpc.client.request(Rpc.orders.place, { ...order, eventId: b.eventId, lines: [{ type: 'blue', quantity: 1 }] }),
    ).toMatchObject(conflict);
    expect(await salesUnder(b.eventId)).toEqual([]);
    expect(await remainingOf(b.eventId)).toBe(50);
    expect(await remainingOf(a.eventId)).toBe(48);
    // The key's order: key, written with the sale, names what it sold.
    expect(JSON.parse((await etcd.kv.get(keys.order('cleo', first.orderId)).string()) ?? 'null')).toMatchObject({
      eventId: a.eventId,
      lines: [{ type: 'pink', quantity: 2 }],
    });
  });
});
