/**
 * Catalog events over NATS against real catalog and inventory processes on a private cluster:
 * create writes the event and its tickets in one Txn and publishes catalog.event.created; bad
 * input is refused field by field and changes no key (invariant 6); concurrent edits of one
 * version: one wins, one gets CONFLICT; a deleted event is gone and no longer sells.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { Rpc, type EventEnvelope } from '@ticketcd/contracts';
import { scanPrefix, type EtcdConnection } from '@ticketcd/etcd';
import { keys } from '@ticketcd/keys';
import type { NatsConnection, RpcClient } from '@ticketcd/messaging';
import { deployedInstances, seedEvent, startStackWithClients, waitFor, type StackClients } from '@ticketcd/testing';
import { ulid } from 'ulid';

let etcd: EtcdConnection;
let rpc: { client: RpcClient; close: () => Promise<void> };
let nc: NatsConnection;

const concert = {
  name: 'Rock in the Park',
  description: 'An evening of loud guitars',
  location: 'porto',
  type: 'concert',
  date: '2027-06-01T20:00:00.000Z',
  maxPerOrder: 6,
  ticketTypes: [
    { type: 'pink', total: 100, price: 4500 },
    { type: 'blue', total: 50, price: 9000 },
  ],
};

/** Every key except the ones that change by themselves (svc: leases, the outbox being relayed). */
async function keyspace(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  // Lease-bound liveness and partition ownership change on their own (two inventories rebalance).
  const volatile = ['svc:', 'outbox:', 'partition:', 'partition-member:'];
  for await (const kv of scanPrefix(etcd.kv, '')) if (!volatile.some((p) => kv.key.startsWith(p))) out.set(kv.key, kv.value);
  return out;
}

async function catalogMessages(eventId: string): Promise<EventEnvelope[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info('CATALOG');
  const out: EventEnvelope[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage('CATALOG', { seq }).catch(() => null);
    const env = m?.json<EventEnvelope<{ eventId: string }>>();
    if (env?.data.eventId === eventId) out.push(env);
  }
  return out;
}

let clients: StackClients;
beforeAll(async () => {
  clients = await startStackWithClients({ services: ['catalog', 'inventory'], instances: deployedInstances() });
  ({ etcd, rpc, nc } = clients);
}, 120_000);

afterAll(() => clients?.close());

describe('catalog events', () => {
  it('creates the event and all its ticket keys, and publishes catalog.event.created', async () => {
    const created = await rpc.client.call(Rpc.catalog.createEvent, concert);
    expect(created).toMatchObject({ version: 1, name: 'Rock in the Park', location: 'porto' });
    const got = await rpc.client.call(Rpc.catalog.getEvent, { eventId: created.eventId });
    expect(got.tickets).toEqual([
      { type: 'blue', total: 50, remaining: 50, price: 9000 },
      { type: 'pink', total: 100, remaining: 100, price: 4500 },
    ]);
    expect(await etcd.kv.get(keys.ticket(created.eventId, 'pink')).string()).not.toBeNull();
    const messages = await waitFor(
      async () => {
        const m = await catalogMessages(created.eventId);
        return m.length > 0 ? m : undefined;
      },
      { timeoutMs: 10_000, what: 'catalog.event.created in the stream' },
    );
    expect(messages.map((m) => m.type)).toEqual(['catalog.event.created']);
    // Inventory can sell it at once.
    await expect(
      rpc.client.call(Rpc.inventory.purchase, {
        orderId: ulid(),
        username: 'first-fan',
        eventId: created.eventId,
        lines: [{ type: 'pink', quantity: 2 }],
      }),
    ).resolves.toMatchObject({ status: 'accepted' });
  });

  it('refuses bad input field by field and changes no key (invariant 6)', async () => {
    const before = await keyspace();
    const cases: [unknown, string[]][] = [
      [{ ...concert, location: 'atlantis' }, ['location']],
      [{ ...concert, type: 'opera', ticketTypes: [{ type: 'gold', total: 1, price: 1 }] }, ['ticketTypes.0.type', 'type']],
      [
        {
          ...concert,
          ticketTypes: [
            { type: 'pink', total: 1, price: 1 },
            { type: 'pink', total: 2, price: 1 },
          ],
        },
        ['ticketTypes.1.type'],
      ],
      [{ ...concert, location: 'por:to' }, ['location']],
      [{ ...concert, date: 'next friday', maxPerOrder: 0 }, ['date', 'maxPerOrder']],
      [{ ...concert, ticketTypes: [{ type: 'pink', total: -5, price: 12.5 }] }, ['ticketTypes.0.price', 'ticketTypes.0.total']],
      [{ ...concert, ticketTypes: [] }, ['ticketTypes']],
      [{ name: 42 }, ['date', 'description', 'location', 'maxPerOrder', 'name', 'ticketTypes', 'type']],
    ];
    for (const [payload, paths] of cases) {
      const reply = await rpc.client.request(Rpc.catalog.createEvent, payload as never);
      expect(reply.ok).toBe(false);
      if (!reply.ok) {
        expect(reply.error.code).toBe('BAD_REQUEST');
        expect([...new Set(reply.error.fields?.map((f) => f.path))].sort()).toEqual(paths);
      }
    }
    const unknown = await rpc.client.request(Rpc.catalog.getEvent, { eventId: ulid() });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const badEdit = await rpc.client.request(Rpc.catalog.updateEvent, { eventId: ulid(), expectedVersion: 1, changes: { name: 'x' } });
    expect(badEdit).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    await expect(
      rpc.client.request(Rpc.catalog.updateEvent, { eventId: ulid(), expectedVersion: 0, changes: { maxPerOrder: 'many' } } as never),
    ).resolves.toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    await expect(rpc.client.request(Rpc.catalog.deleteEvent, { eventId: ulid() })).resolves.toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    await expect(rpc.client.request(Rpc.catalog.deleteEvent, { eventId: 'event/1' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST' },
    });
    await expect(rpc.client.request(Rpc.catalog.listEvents, { type: 'a:b' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST', fields: [{ path: 'type' }] },
    });
    expect(await keyspace()).toEqual(before);
  });

  it('two concurrent edits of the same version: one wins, one gets CONFLICT', async () => {
    const e = await rpc.client.call(Rpc.catalog.createEvent, concert);
    const [a, b] = await Promise.all([
      rpc.client.request(Rpc.catalog.updateEvent, { eventId: e.eventId, expectedVersion: 1, changes: { name: 'Edit A' } }),
      rpc.client.request(Rpc.catalog.updateEvent, {
        eventId: e.eventId,
        expectedVersion: 1,
        changes: { name: 'Edit B', location: 'lisbon' },
      }),
    ]);
    const oks = [a, b].filter((r) => r.ok);
    const conflicts = [a, b].filter((r) => !r.ok);
    expect(oks).toHaveLength(1);
    expect(conflicts).toEqual([{ ok: false, error: expect.objectContaining({ code: 'CONFLICT', details: { currentVersion: 2 } }) }]);
    // The other catalog instance learns the edit from its watch (issue 27: pages from memory, a moment behind).
    const now = await waitFor(
      async () => {
        const got = await rpc.client.call(Rpc.catalog.getEvent, { eventId: e.eventId });
        return got.version === 2 ? got : undefined;
      },
      { what: 'version 2 on the event page' },
    );
    expect(['Edit A', 'Edit B']).toContain(now.name);
    const updated = await waitFor(async () => (await catalogMessages(e.eventId)).find((m) => m.type === 'catalog.event.updated'), {
      timeoutMs: 10_000,
      what: 'catalog.event.updated',
    });
    expect(updated.data).toMatchObject({ version: 2, before: { name: 'Rock in the Park' }, after: { name: now.name } });
  });

  it('a deleted event is gone and no longer sells; its sales stay', async () => {
    const e = await rpc.client.call(Rpc.catalog.createEvent, concert);
    await rpc.client.call(Rpc.inventory.purchase, {
      orderId: ulid(),
      username: 'early-bird',
      eventId: e.eventId,
      lines: [{ type: 'blue', quantity: 1 }],
    });
    await expect(rpc.client.call(Rpc.catalog.deleteEvent, { eventId: e.eventId, expectedVersion: 1 })).resolves.toEqual({
      eventId: e.eventId,
    });
    // Deleting again is harmless.
    await expect(rpc.client.call(Rpc.catalog.deleteEvent, { eventId: e.eventId })).resolves.toEqual({ eventId: e.eventId });
    await waitFor(async () => (await rpc.client.request(Rpc.catalog.getEvent, { eventId: e.eventId })).ok === false, {
      what: 'the deleted event gone from both catalogs (their watches)',
    });
    await expect(rpc.client.call(Rpc.catalog.getEvent, { eventId: e.eventId })).rejects.toMatchObject({ error: { code: 'NOT_FOUND' } });
    // Inventory closes the event's tickets when catalog.event.deleted reaches it.
    await waitFor(
      async () => {
        const t = await etcd.kv.get(keys.ticket(e.eventId, 'pink')).string();
        return t !== null && (JSON.parse(t) as { closed: boolean }).closed;
      },
      { timeoutMs: 10_000, what: 'inventory to close the deleted event' },
    );
    const refused = await rpc.client.call(Rpc.inventory.purchase, {
      orderId: ulid(),
      username: 'late',
      eventId: e.eventId,
      lines: [{ type: 'pink', quantity: 1 }],
    });
    expect(refused).toMatchObject({ status: 'refused', reason: 'event_deleted' });
    let sales = 0;
    for await (const kv of scanPrefix(etcd.kv, `sale:${e.eventId}:`)) if (kv) sales++;
    expect(sales).toBe(1);
  });

  it('lists live events upcoming first, filtered and in pages; deleted ones are gone', async () => {
    await rpc.client.call(Rpc.catalog.updateStaticList, { list: 'locations', add: ['listville'] });
    const at = (days: number) => new Date(Date.now() + days * 86400_000).toISOString();
    const mk = (name: string, days: number, type: string) =>
      rpc.client.call(Rpc.catalog.createEvent, { ...concert, name, location: 'listville', type, date: at(days) });
    const past = await mk('Last year', -300, 'concert');
    const later = await mk('Later', 60, 'concert');
    const soon = await mk('Soon', 5, 'concert');
    const theatre = await mk('A play', 10, 'theater');
    const gone = await mk('Gone', 7, 'concert');
    await rpc.client.call(Rpc.catalog.deleteEvent, { eventId: gone.eventId });

    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await rpc.client.call(Rpc.catalog.listEvents, { location: 'listville', type: 'concert', limit: 1, cursor });
      names.push(...page.items.map((e) => e.name));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(names).toEqual([soon.name, later.name, past.name]);
    const plays = await rpc.client.call(Rpc.catalog.listEvents, { location: 'listville', type: 'theater' });
    expect(plays.items.map((e) => e.eventId)).toEqual([theatre.eventId]);
    await expect(rpc.client.call(Rpc.catalog.listEvents, { cursor: 'not-a-cursor' })).rejects.toMatchObject({
      error: { code: 'BAD_REQUEST' },
    });

    // Written by someone else (another catalog instance): reaches the list through the watch.
    const seeded = await seedEvent(etcd, { tickets: [{ type: 'pink', total: 1, price: 1 }] });
    await waitFor(
      async () =>
        (await rpc.client.call(Rpc.catalog.listEvents, { location: 'porto', limit: 200 })).items.some((e) => e.eventId === seeded),
      { timeoutMs: 10_000, what: 'the seeded event in the list' },
    );
  });

  it('favourites: idempotent add and remove, listed as live events', async () => {
    const a = await rpc.client.call(Rpc.catalog.createEvent, { ...concert, name: 'Fav A' });
    const b = await rpc.client.call(Rpc.catalog.createEvent, { ...concert, name: 'Fav B' });
    for (const e of [a, b, a])
      await expect(rpc.client.call(Rpc.catalog.addFavourite, { username: 'fan', eventId: e.eventId })).resolves.toEqual({
        favourite: true,
      });
    // Many users at once: the count is exact (one Txn per change, guarded by the pair key).
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => rpc.client.call(Rpc.catalog.addFavourite, { username: `fan-${i % 20}`, eventId: a.eventId })),
    );
    // The page's count follows the store's exact one within a moment (issue 27: from the watch-fed copy).
    const favourites = async () => (await rpc.client.call(Rpc.catalog.getEvent, { eventId: a.eventId })).favourites;
    await waitFor(async () => (await favourites()) === 21, { what: '21 favourites' });
    expect(await etcd.kv.get(keys.favouriteCount(a.eventId)).string()).toBe('21');
    const first = await rpc.client.call(Rpc.catalog.listFavourites, { username: 'fan', limit: 1 });
    const second = await rpc.client.call(Rpc.catalog.listFavourites, { username: 'fan', limit: 1, cursor: first.nextCursor! });
    expect([...first.items, ...second.items].map((e) => e.name).sort()).toEqual(['Fav A', 'Fav B']);
    expect(second.nextCursor).toBeNull();
    await rpc.client.call(Rpc.catalog.removeFavourite, { username: 'fan', eventId: a.eventId });
    await rpc.client.call(Rpc.catalog.removeFavourite, { username: 'fan', eventId: a.eventId });
    await waitFor(async () => (await favourites()) === 20, { what: '20 favourites' });
    expect(await etcd.kv.get(keys.favouriteCount(a.eventId)).string()).toBe('20');
    await rpc.client.call(Rpc.catalog.deleteEvent, { eventId: b.eventId });
    expect((await rpc.client.call(Rpc.catalog.listFavourites, { username: 'fan' })).items).toEqual([]);
    await expect(rpc.client.call(Rpc.catalog.addFavourite, { username: 'fan', eventId: ulid() })).rejects.toMatchObject({
      error: { code: 'NOT_FOUND' },
    });
    await expect(rpc.client.request(Rpc.catalog.addFavourite, { username: 'Fan:1', eventId: a.eventId })).resolves.toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST' },
    });
  });

  it('static lists: read, add, and refuse to remove a value in use', async () => {
    const lists = await rpc.client.call(Rpc.catalog.getStaticLists, {});
    expect(lists.locations).toEqual(expect.arrayContaining(['lisbon', 'porto', 'braga']));
    await expect(rpc.client.call(Rpc.catalog.updateStaticList, { list: 'locations', add: ['faro'] })).resolves.toMatchObject({
      values: expect.arrayContaining(['faro']),
    });
    const e = await rpc.client.call(Rpc.catalog.createEvent, { ...concert, location: 'faro' });
    await expect(rpc.client.call(Rpc.catalog.updateStaticList, { list: 'locations', remove: ['faro'] })).rejects.toMatchObject({
      error: { code: 'CONFLICT', message: expect.stringContaining('faro is used by an event') },
    });
    await rpc.client.call(Rpc.catalog.deleteEvent, { eventId: e.eventId });
    await expect(rpc.client.call(Rpc.catalog.updateStaticList, { list: 'locations', remove: ['faro'] })).resolves.toMatchObject({
      values: expect.not.arrayContaining(['faro']),
    });
    await expect(rpc.client.call(Rpc.catalog.updateStaticList, { list: 'locations', add: ['a:b'] })).rejects.toMatchObject({
      error: { code: 'BAD_REQUEST' },
    });
  });
});
