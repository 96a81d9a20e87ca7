/**
 * GET /api/events and GET /api/search carry each event's availability (issue 14, Web UI: the
 * home page's "from" price and stock badge without a request per card): the cheapest price on
 * sale, remaining and total over its types, following purchases; and a listing still answers,
 * without it, when the catalog cannot say (search works with the catalog down).
 */
import { startStackWithClients, waitFor, type StackClients } from '@ticketcd/testing';
import { ulid } from 'ulid';
import { ApiClient, GATEWAY_TEST_ENV } from './api-client.js';

let clients: StackClients;
let base: string;

beforeAll(async () => {
  clients = await startStackWithClients({
    services: ['gateway', 'catalog', 'inventory', 'orders', 'search-indexer'],
    env: { ...GATEWAY_TEST_ENV, RATE_ORDERS_PER_USER: '1000/10' },
  });
  base = clients.stack.gatewayUrl!;
}, 180_000);

afterAll(() => clients?.close());

it('list and search items carry {fromPrice, remaining, total}; the cheapest type sold out, "from" is the next one', async () => {
  const admin = await new ApiClient(base).signIn('admin', 'admin-test-password');
  const lists = (await admin.get('/api/static')).body;
  const [cheap, dear] = [lists.ticketTypes[0] as string, lists.ticketTypes[1] as string];
  const created = await admin.post('/api/events', {
    name: 'Availability Atlas Tour',
    description: '',
    location: lists.locations[0],
    type: lists.eventTypes[0],
    date: new Date(Date.now() + 9 * 86400_000).toISOString(),
    maxPerOrder: 10,
    ticketTypes: [
      { type: cheap, total: 2, price: 1500 },
      { type: dear, total: 8, price: 6000 },
    ],
  });
  expect(created.status).toBe(201);
  const eventId: string = created.body.eventId;
  const inList = async () => (await admin.get('/api/events?limit=200')).body.items.find((e: { eventId: string }) => e.eventId === eventId);

  expect((await inList()).availability).toEqual({ fromPrice: 1500, remaining: 10, total: 10 });
  const hit = await waitFor(
    async () => (await admin.get('/api/search?q=atlas')).body.items?.find((e: { eventId: string }) => e.eventId === eventId),
    { what: 'the event searchable' },
  );
  expect(hit.availability).toEqual({ fromPrice: 1500, remaining: 10, total: 10 });

  const buyer = await new ApiClient(base).signIn(`av${ulid().slice(-8).toLowerCase()}`);
  const bought = await buyer.request('POST', '/api/orders', {
    body: { eventId, lines: [{ type: cheap, quantity: 2 }] },
    headers: { 'idempotency-key': ulid() },
  });
  expect(bought.status).toBe(201);
  // Within a second (issue 27: availability from the catalog's watch-fed copy, the page kept READ_CACHE_MS).
  await waitFor(
    async () => JSON.stringify((await inList()).availability) === JSON.stringify({ fromPrice: 6000, remaining: 8, total: 10 }),
    {
      what: 'the sale in the listing',
    },
  );
});

it('catalog down: search still answers, the items without availability (never a 500)', async () => {
  const admin = await new ApiClient(base).signIn('admin', 'admin-test-password');
  const catalog = clients.stack.services.find((s) => s.spec.service === 'catalog')!;
  await waitFor(async () => ((await admin.get('/api/search?q=atlas')).body.items?.length ?? 0) > 0, { what: 'a search hit' });
  await catalog.stop();
  try {
    const r = await admin.get('/api/search?q=atlas');
    expect(r.status).toBe(200);
    expect(r.body.items.length).toBeGreaterThan(0);
    expect(r.body.items.every((e: { availability?: unknown }) => e.availability === undefined)).toBe(true);
    expect((await admin.get('/api/events')).status).toBe(503);
  } finally {
    catalog.start();
    await catalog.waitReady();
  }
});
