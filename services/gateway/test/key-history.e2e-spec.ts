/**
 * Issue 26 point 3: the admin key history (`GET /api/admin/keys/history`) is walked by the
 * service that owns the key, asked over NATS (`<service>.keys.history`), because the gateway's
 * etcd user no longer reads other services' namespaces (the deny test with auth on is
 * test/integration/etcd-auth.int-spec.ts). Here, in the deployed shape (two of every service),
 * a key of each owning namespace still has its history, each through its owner's subject (a
 * second NATS subscriber sees the requests); the gateway's own keys are walked by the gateway;
 * a non-admin gets 403 and bad input 400 with nobody asked; an owner with no instance running
 * is a fast 503 naming it while the other owners still answer.
 * The last test stops every notifier instance: it must stay last.
 */
import { deployedInstances, startStackWithClients, waitFor, type StackClients } from '@ticketcd/testing';
import { ulid } from 'ulid';
import { ApiClient, GATEWAY_TEST_ENV } from './api-client.js';

let clients: StackClients;
let admin: ApiClient;
let ana: ApiClient;
let anon: ApiClient;
let eventId: string;
let orderId: string;

interface ErrorReply {
  error: { status: number; code: string; message: string; fields?: { path: string }[]; dependency?: string };
}

function expectError(r: { status: number; body: ErrorReply }, status: number, code: string) {
  expect({ status: r.status, code: r.body?.error?.code }).toEqual({ status, code });
}

const history = (client: ApiClient, key: string, query = '') =>
  client.get(`/api/admin/keys/history?key=${encodeURIComponent(key)}${query}`);

/** Every request on a `<service>.keys.history` subject, seen by a second (non-queue) subscriber. */
function spy(): { subjects: string[]; sub: ReturnType<StackClients['nc']['subscribe']> } {
  const subjects: string[] = [];
  const sub = clients.nc.subscribe('*.keys.history', {
    callback: (_e, m) => {
      subjects.push(m.subject);
    },
  });
  return { subjects, sub };
}

beforeAll(async () => {
  clients = await startStackWithClients({
    services: ['gateway', 'catalog', 'inventory', 'orders', 'search-indexer', 'notifier'],
    instances: deployedInstances(),
    env: GATEWAY_TEST_ENV,
  });
  const url = clients.stack.gatewayUrl!;
  admin = await new ApiClient(url).signIn('admin', GATEWAY_TEST_ENV.ADMIN_PASSWORD);
  ana = await new ApiClient(url).signIn('ana.keys');
  anon = new ApiClient(url);

  // Keys in every owner's namespace: an event (catalog, edited once), its index (search),
  // ana's subscription (notifier), her order (orders) and its sale (inventory).
  const lists = await waitFor(
    async () => {
      const b = (await anon.get('/api/static')).body;
      return b?.locations?.length && b.eventTypes?.length && b.ticketTypes?.length ? b : null;
    },
    { timeoutMs: 30_000, what: 'the static lists' },
  );
  const created = await admin.post('/api/events', {
    name: 'Keyhole Quartet',
    description: 'Key history through the owners.',
    location: lists.locations[0],
    type: lists.eventTypes[0],
    date: new Date(Date.now() + 20 * 86400_000).toISOString(),
    maxPerOrder: 10,
    ticketTypes: [{ type: lists.ticketTypes[0], total: 20, price: 1000 }],
  });
  expect(created.status).toBe(201);
  eventId = created.body.eventId;
  const edited = await admin.patch(`/api/events/${eventId}`, { expectedVersion: 1, name: 'Keyhole Quartet Live' });
  expect(edited.status).toBe(200);
  expect((await ana.put(`/api/me/subscriptions/${eventId}`, { limit: 5 })).body).toMatchObject({ state: 'armed' });
  const bought = await ana.post(
    '/api/orders',
    { eventId, lines: [{ type: lists.ticketTypes[0], quantity: 2 }] },
    { 'idempotency-key': ulid() },
  );
  expect([bought.status, bought.body.status]).toEqual([201, 'accepted']);
  orderId = bought.body.orderId;
}, 240_000);

afterAll(() => clients?.close());

describe('admin key history through the owning services (issue 26.3)', () => {
  it("returns the history of a key of each owning namespace, each walked by its owner over NATS; the gateway's own keys by the gateway", async () => {
    const { subjects, sub } = spy();
    await clients.nc.flush();
    try {
      const cases: [key: string, subject: string][] = [
        [`event:${eventId}`, 'catalog.keys.history'],
        [`sale:${eventId}:${orderId}`, 'inventory.keys.history'],
        // Written with the sale, by inventory (issue 27).
        [`order:ana.keys:${orderId}`, 'inventory.keys.history'],
        [`purchase:ana.keys:${eventId}:${orderId}`, 'orders.keys.history'],
        [`search:meta:${eventId}`, 'search.keys.history'],
        [`subscriber:${eventId}:ana.keys`, 'notifier.keys.history'],
      ];
      for (const [key, subject] of cases) {
        // The search index, the purchase and the subscription are written by consumers: wait for them.
        const h = await waitFor(
          async () => {
            const r = await history(admin, key);
            if (r.status === 404) return null;
            return r;
          },
          { timeoutMs: 30_000, what: `${key} written` },
        );
        expect([key, h.status]).toEqual([key, 200]);
        expect(h.body.key).toBe(key);
        expect(h.body.items.length).toBeGreaterThan(0);
        expect(h.body.items[0].revision).toBeGreaterThan(0);
        await waitFor(async () => subjects.includes(subject), { timeoutMs: 5000, what: `a request on ${subject}` });
      }
      // The event's two versions, newest first: the walk goes back through the catalog's reads.
      const event = await history(admin, `event:${eventId}`);
      expect(event.body.items.map((i: { version: number; value: { name: string } }) => [i.version, i.value.name])).toEqual([
        [2, 'Keyhole Quartet Live'],
        [1, 'Keyhole Quartet'],
      ]);
      expect((await history(admin, `order:ana.keys:${orderId}`)).body.items[0].value).toMatchObject({ eventId });

      // The gateway's own instance keys: walked by the gateway itself, nobody asked.
      const own = await clients.etcd.kv.getAll().prefix('svc:gateway:').keys();
      expect(own.length).toBeGreaterThan(0);
      const before = subjects.length;
      const g = await history(admin, own[0]!);
      expect(g.status).toBe(200);
      expect(g.body.kind).toBe('svc');
      await clients.nc.flush();
      expect(subjects.length).toBe(before);
    } finally {
      sub.unsubscribe();
    }
  });

  it('a non-admin gets 403 and no session 401; a bad key or parameter is 400 and a user:/session: key 403, with no owner asked', async () => {
    const { subjects, sub } = spy();
    await clients.nc.flush();
    try {
      expectError(await history(ana, `event:${eventId}`), 403, 'FORBIDDEN');
      expectError(await history(ana, `sale:${eventId}:${orderId}`), 403, 'FORBIDDEN');
      expectError(await history(anon, `event:${eventId}`), 401, 'UNAUTHENTICATED');
      for (const key of ['nonsense:thing', 'sale:not-an-id', 'order:', 'alert']) {
        const r = await history(admin, key);
        expectError(r, 400, 'BAD_REQUEST');
        expect(r.body.error.fields?.[0]?.path).toBe('key');
      }
      expectError(await history(admin, `event:${eventId}`, '&limit=0'), 400, 'BAD_REQUEST');
      expectError(await history(admin, `event:${eventId}`, '&revision=-3'), 400, 'BAD_REQUEST');
      expectError(await history(admin, 'user:ana.keys'), 403, 'FORBIDDEN');
      expectError(await history(admin, `session:${'a'.repeat(64)}`), 403, 'FORBIDDEN');
      // A revision past the store's is refused by the owner: 400 too, nothing else.
      const future = await history(admin, `order:ana.keys:${orderId}`, '&revision=999999999');
      expectError(future, 400, 'BAD_REQUEST');
      await clients.nc.flush();
      // order: is written by inventory's sale Txn (issue 27), so inventory owns its history.
      expect(subjects).toEqual(['inventory.keys.history']);
    } finally {
      sub.unsubscribe();
    }
  });

  it('an owner with no instance running is a fast 503 naming it; the other owners still answer (stops the notifier: last)', async () => {
    for (const n of clients.stack.services.filter((s) => s.spec.service === 'notifier')) await n.stop();
    const started = Date.now();
    const down = await history(admin, `subscriber:${eventId}:ana.keys`);
    const took = Date.now() - started;
    expectError(down, 503, 'UNAVAILABLE');
    expect(down.body.error.dependency).toBe('notifier');
    // Nobody subscribed answers at once ("no responders"), well inside the RPC timeout (3 s: a 504).
    expect(took).toBeLessThan(2000);
    expect((await history(admin, `event:${eventId}`)).status).toBe(200);
    expect((await history(admin, `order:ana.keys:${orderId}`)).status).toBe(200);
  });
});
