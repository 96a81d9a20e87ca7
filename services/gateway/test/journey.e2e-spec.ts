/**
 * The whole user journey over HTTP against the real stack (etcd x5, nats-server -js, every
 * service): register, log in, search, favourite, subscribe with a limit, buy two ticket types in
 * one order, see it in my purchases, and receive the alert on my live stream when another
 * user's purchases cross the limit. Guards invariant 4 end to end (one alert per crossing,
 * delivered live) and the acceptance journey of the gateway issue.
 */
import { deployedInstances, startStackWithClients, waitFor, type StackClients } from '@ticketcd/testing';
import { ulid } from 'ulid';
import { ApiClient, GATEWAY_TEST_ENV } from './api-client.js';
import { SseClient } from './sse-client.js';

let clients: StackClients;
let base: string;

beforeAll(async () => {
  clients = await startStackWithClients({
    services: ['gateway', 'catalog', 'inventory', 'orders', 'search-indexer', 'notifier'],
    instances: deployedInstances(),
    env: GATEWAY_TEST_ENV,
  });
  base = clients.stack.gatewayUrl!;
}, 180_000);

afterAll(() => clients?.close());

it('register, log in, search, favourite, subscribe, buy two types, see my purchase, get the live alert', async () => {
  // An admin puts an event on sale.
  const admin = await new ApiClient(base).signIn('admin', 'admin-test-password');
  const lists = (await admin.get('/api/static')).body;
  const created = await admin.post('/api/events', {
    name: 'Quasar Quartet Farewell',
    description: 'The last night of the tour.',
    location: lists.locations[0],
    type: lists.eventTypes[0],
    date: new Date(Date.now() + 20 * 86400_000).toISOString(),
    maxPerOrder: 10,
    ticketTypes: [
      { type: lists.ticketTypes[0], total: 20, price: 3000 },
      { type: lists.ticketTypes[1], total: 5, price: 8000 },
    ],
  });
  expect(created.status).toBe(201);
  const eventId: string = created.body.eventId;
  const [general, vip] = [lists.ticketTypes[0] as string, lists.ticketTypes[1] as string];

  // Ana registers and logs in.
  const ana = new ApiClient(base);
  expect(
    (
      await ana.post('/api/auth/register', {
        username: 'ana.journey',
        password: 'correct horse battery',
        name: 'Ana',
        email: 'ana@example.com',
      })
    ).status,
  ).toBe(201);
  expect((await ana.post('/api/auth/login', { username: 'ana.journey', password: 'correct horse battery' })).status).toBe(200);

  // She finds it by a word prefix.
  const hits = await waitFor(
    async () => {
      const r = await ana.get('/api/search?q=quasar%20fare');
      return r.body.items?.find((e: { eventId: string }) => e.eventId === eventId);
    },
    { what: 'the new event searchable' },
  );
  expect(hits.name).toBe('Quasar Quartet Farewell');

  // Favourite, and subscribe: alert me when 10 or fewer tickets remain (25 now).
  expect((await ana.put(`/api/me/favourites/${eventId}`)).body).toEqual({ favourite: true });
  expect((await ana.get('/api/me/favourites')).body.items.map((e: { eventId: string }) => e.eventId)).toContain(eventId);
  const sub = await ana.put(`/api/me/subscriptions/${eventId}`, { limit: 10 });
  expect(sub.body).toMatchObject({ eventId, limit: 10, state: 'armed', remaining: 25 });

  // Her live streams: alerts, and the event's stock.
  const myLive = await SseClient.open(`${base}/api/me/live`, { client: ana });
  expect(myLive.status).toBe(200);
  const stock = await SseClient.open(`${base}/api/events/${eventId}/live`);
  await stock.next((e) => e.event === 'snapshot', { what: 'stock snapshot' });

  // She buys two ticket types in one order.
  const bought = await ana.request('POST', '/api/orders', {
    body: {
      eventId,
      lines: [
        { type: general, quantity: 2 },
        { type: vip, quantity: 1 },
      ],
    },
    headers: { 'idempotency-key': ulid() },
  });
  expect(bought.status).toBe(201);
  expect(bought.body).toMatchObject({ status: 'accepted', total: 2 * 3000 + 8000, remaining: { [general]: 18, [vip]: 4 } });
  await stock.next((e) => e.event === 'stock' && e.data.ticketType === vip && e.data.remaining === 4, { what: 'vip stock pushed live' });

  // It shows in her purchases (written by the orders consumer, so wait for it).
  const purchase = await waitFor(
    async () => (await ana.get('/api/me/purchases')).body.items?.find((p: { orderId: string }) => p.orderId === bought.body.orderId),
    { what: 'the purchase listed' },
  );
  expect(purchase.lines).toEqual(
    expect.arrayContaining([expect.objectContaining({ type: general, quantity: 2 }), expect.objectContaining({ type: vip, quantity: 1 })]),
  );

  // 22 remain. Bob buys 13 in steps; the count crosses Ana's limit of 10 once.
  expect(myLive.of('alert')).toHaveLength(0);
  const bob = await new ApiClient(base).signIn('bob.journey');
  for (const quantity of [5, 5, 3]) {
    const r = await bob.request('POST', '/api/orders', {
      body: { eventId, lines: [{ type: general, quantity }] },
      headers: { 'idempotency-key': ulid() },
    });
    expect(r.status).toBe(201);
  }
  const alert = await myLive.next((e) => e.event === 'alert', { timeoutMs: 20_000, what: 'the low-stock alert on /api/me/live' });
  expect(alert.data).toMatchObject({ eventId, limit: 10 });
  expect(alert.data.remaining).toBeLessThanOrEqual(10);
  expect(alert.id).toBe(alert.data.alertId);

  // Exactly one alert, also in her alert list, unread until she reads it.
  const listed = (await ana.get('/api/me/alerts')).body;
  expect(listed.items.map((a: { alertId: string }) => a.alertId)).toEqual([alert.data.alertId]);
  expect(listed.unread).toBe(1);
  expect((await ana.post(`/api/me/alerts/${alert.data.alertId}/read`)).body).toEqual({ read: true });
  expect((await ana.get('/api/me/alerts')).body.unread).toBe(0);
  expect(myLive.of('alert')).toHaveLength(1);

  myLive.close();
  stock.close();
});
