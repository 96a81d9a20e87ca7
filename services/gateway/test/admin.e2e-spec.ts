/**
 * The admin part of the API over HTTP, against a real gateway, catalog, inventory and orders on
 * a private five-member etcd cluster and JetStream (nothing mocked). Guards the acceptance
 * points "Admin journey: create, edit, delete an event; stats show revenue and sales by type;
 * cluster status lists five members and a leader; a user gets 403 on each admin route" and
 * "every route has a test for each error status it can return" for /api/admin/*.
 * The last tests stop the orders service and then etcd members: they must stay last.
 */
import type { MemberStatus } from '@ticketcd/etcd';
import { startStackWithClients, waitFor, type StackClients } from '@ticketcd/testing';
import { AlarmAction, AlarmType } from 'etcd3';
import os from 'node:os';
import { ulid } from 'ulid';
import { ApiClient, GATEWAY_TEST_ENV } from './api-client.js';

interface HistoryItem {
  revision: number;
  version: number;
  createRevision: number;
  modTime?: string;
  value: { name?: string; updatedAt?: string; revenue?: number; orders?: number };
  deleted?: true;
}
type Member = MemberStatus;
interface ErrorReply {
  error: { status: number; code: string; message: string; fields?: { path: string; message: string }[]; dependency?: string };
}

let clients: StackClients;
let admin: ApiClient;
let user: ApiClient;
let anon: ApiClient;
let statics: { locations: string[]; eventTypes: string[]; ticketTypes: string[] };

/** A fresh event (by the admin over HTTP): two ticket types priced 45.00 and 120.00. */
async function createEvent(name: string) {
  const [general, vip] = statics.ticketTypes as [string, string];
  const r = await admin.post('/api/events', {
    name,
    description: 'admin e2e',
    location: statics.locations[0],
    type: statics.eventTypes[0],
    date: '2027-06-12T20:00:00.000Z',
    maxPerOrder: 6,
    ticketTypes: [
      { type: general, total: 100, price: 4500 },
      { type: vip, total: 10, price: 12000 },
    ],
  });
  expect(r.status).toBe(201);
  return r.body as { eventId: string; version: number; name: string };
}

function expectError(r: { status: number; body: ErrorReply }, status: number, code: string) {
  expect({ status: r.status, code: r.body?.error?.code }).toEqual({ status, code });
  expect(r.body.error.status).toBe(status);
  expect(typeof r.body.error.message).toBe('string');
}

beforeAll(async () => {
  // A long session cache lets the admin's session outlive etcd in the last test (503 from the route, not the guard).
  clients = await startStackWithClients({
    services: ['gateway', 'catalog', 'inventory', 'orders'],
    env: { ...GATEWAY_TEST_ENV, SESSION_CACHE_MS: '60000' },
  });
  const url = clients.stack.gatewayUrl!;
  admin = await new ApiClient(url).signIn('admin', GATEWAY_TEST_ENV.ADMIN_PASSWORD);
  user = await new ApiClient(url).signIn('plainuser');
  anon = new ApiClient(url);
  const s = await anon.get('/api/static');
  expect(s.status).toBe(200);
  statics = s.body;
  expect(statics.ticketTypes.length).toBeGreaterThanOrEqual(2);
}, 180_000);

afterAll(() => clients?.close());

describe('admin journey', () => {
  it('creates, edits (a stale version gets 409) and deletes an event; key history shows every version newest first (acceptance: admin journey, key history)', async () => {
    const e = await createEvent('Rock in the Park');
    expect(e.version).toBe(1);

    const edited = await admin.patch(`/api/events/${e.eventId}`, { expectedVersion: 1, name: 'Rock in the Park (2 nights)' });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ eventId: e.eventId, version: 2, name: 'Rock in the Park (2 nights)' });
    const stale = await admin.patch(`/api/events/${e.eventId}`, { expectedVersion: 1, name: 'Lost update' });
    expectError(stale, 409, 'CONFLICT');

    const key = `event:${e.eventId}`;
    const h = await admin.get(`/api/admin/keys/history?key=${encodeURIComponent(key)}`);
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ key, kind: 'event', compacted: false, nextRevision: null });
    const items = h.body.items as HistoryItem[];
    expect(items.map((i) => [i.version, i.value.name])).toEqual([
      [2, 'Rock in the Park (2 nights)'],
      [1, 'Rock in the Park'],
    ]);
    expect(items[0].revision).toBeGreaterThan(items[1].revision);
    expect(items[0].createRevision).toBe(items[1].revision);
    expect(items[0].revision).toBeLessThanOrEqual(h.body.readAt);
    // mod time comes from the value (etcd keeps none): updatedAt of each version.
    for (const i of items) expect(i.modTime).toBe(i.value.updatedAt);
    expect(items.some((i) => i.deleted)).toBe(false);

    const del = await admin.delete(`/api/events/${e.eventId}?expectedVersion=2`);
    expect(del.status).toBe(204);
    expect((await anon.get(`/api/events/${e.eventId}`)).status).toBe(404);

    // The deletion is a soft delete (version 3, deletedAt set): history shows it, marked deleted.
    const after = await admin.get(`/api/admin/keys/history?key=${encodeURIComponent(key)}`);
    expect(after.status).toBe(200);
    expect((after.body.items as HistoryItem[]).map((i) => [i.version, i.deleted ?? false])).toEqual([
      [3, true],
      [2, false],
      [1, false],
    ]);

    // Paging by revision: limit 1, then continue from nextRevision.
    const first = await admin.get(`/api/admin/keys/history?key=${encodeURIComponent(key)}&limit=1`);
    expect(first.body.items.map((i: HistoryItem) => i.version)).toEqual([3]);
    expect(first.body.nextRevision).toBe(first.body.items[0].revision - 1);
    const next = await admin.get(`/api/admin/keys/history?key=${encodeURIComponent(key)}&limit=5&revision=${first.body.nextRevision}`);
    expect(next.status).toBe(200);
    expect(next.body.items.map((i: HistoryItem) => i.version)).toEqual([2, 1]);
    expect(next.body.nextRevision).toBeNull();
  });

  it('a user buys; stats show revenue in cents and tickets sold by type, per event and in total; the event sales list the order (acceptance: stats)', async () => {
    const [general, vip] = statics.ticketTypes as [string, string];
    const e = await createEvent('Stats Night');
    const before = await admin.get('/api/admin/stats');
    expect(before.status).toBe(200);
    const none = await admin.get(`/api/admin/stats?eventId=${e.eventId}`);
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ revenue: 0, orders: 0, soldByType: {} });

    const order = await user.post(
      '/api/orders',
      {
        eventId: e.eventId,
        lines: [
          { type: general, quantity: 2 },
          { type: vip, quantity: 1 },
        ],
      },
      { 'Idempotency-Key': ulid() },
    );
    expect(order.status).toBe(201);
    expect(order.body.total).toBe(2 * 4500 + 12000);

    // Stats are written by the orders service's durable consumer: wait for them.
    const stats = await waitFor(
      async () => {
        const r = await admin.get(`/api/admin/stats?eventId=${e.eventId}`);
        return r.status === 200 && r.body.orders === 1 ? r.body : null;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'the sale in the event stats' },
    );
    expect(stats).toEqual({ revenue: 21000, orders: 1, soldByType: { [general]: 2, [vip]: 1 } });

    const total = await waitFor(
      async () => {
        const r = await admin.get('/api/admin/stats');
        return r.body.orders === before.body.orders + 1 ? r.body : null;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'the sale in the total stats' },
    );
    expect(total.revenue).toBe(before.body.revenue + 21000);
    expect(total.soldByType[general]).toBe((before.body.soldByType[general] ?? 0) + 2);

    // Every event's figures in one call: the same as the event's own.
    const byEvent = await admin.get('/api/admin/stats/events');
    expect(byEvent.status).toBe(200);
    expect(byEvent.body.items[e.eventId]).toEqual(stats);

    const sales = await admin.get(`/api/admin/events/${e.eventId}/sales?limit=10`);
    expect(sales.status).toBe(200);
    expect(sales.body.items).toHaveLength(1);
    expect(sales.body.items[0]).toMatchObject({ orderId: order.body.orderId, username: 'plainuser', total: 21000 });
    expect(sales.body.nextCursor).toBeNull();

    // The stats key's history shows the write of the sale (values are JSON-parsed).
    const h = await admin.get(`/api/admin/keys/history?key=${encodeURIComponent(`stats:${e.eventId}`)}`);
    expect(h.status).toBe(200);
    expect(h.body.items[0].value).toMatchObject({ revenue: 21000, orders: 1 });
  });

  it('cluster status lists five reachable members, exactly one leader with raft term/index and db size, no alarms, and the live service instances (acceptance: cluster status)', async () => {
    const r = await admin.get('/api/admin/cluster');
    expect(r.status).toBe(200);
    const c = r.body;
    expect(c.members).toHaveLength(5);
    expect(c.members.every((m: Member) => m.reachable)).toBe(true);
    const leaders = c.members.filter((m: Member) => m.isLeader);
    expect(leaders).toHaveLength(1);
    expect(c.leaderId).toBe(leaders[0].id);
    expect(c.quotaBytes).toBe(2 * 1024 ** 3); // the stack's --quota-backend-bytes, ETCD_QUOTA_BYTES's default
    expect(c.quorum).toBe(true);
    for (const m of c.members) {
      expect(m.raftTerm).toBeGreaterThanOrEqual(1);
      expect(m.raftIndex).toBeGreaterThan(0);
      expect(m.dbSizeBytes).toBeGreaterThan(0);
      expect(m.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(m.clientUrls.length).toBeGreaterThan(0);
    }
    expect(new Set(c.members.map((m: Member) => m.raftTerm)).size).toBe(1);
    expect(c.alarms).toEqual([]);
    expect(c.alarmsError).toBeUndefined();
    const running = Object.fromEntries(
      (c.services as { service: string; instances: unknown[] }[]).map((s) => [s.service, s.instances.length]),
    );
    expect(running).toMatchObject({ gateway: 1, catalog: 1, inventory: 1, orders: 1, notifier: 0 });
  });
});

describe("another user's profile (the report's /profile?username=)", () => {
  it("an admin reads a user's account, purchases and favourites; 404 for an unknown user, 400 for a malformed name", async () => {
    const e = await createEvent('Profile Night');
    const [general] = statics.ticketTypes as [string];
    const order = await user.post(
      '/api/orders',
      { eventId: e.eventId, lines: [{ type: general, quantity: 1 }] },
      { 'Idempotency-Key': ulid() },
    );
    expect(order.status).toBe(201);
    expect((await user.put(`/api/me/favourites/${e.eventId}`)).status).toBe(200);

    const profile = await admin.get('/api/admin/users/plainuser');
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({ username: 'plainuser', role: 'user' });
    expect(JSON.stringify(profile.body)).not.toMatch(/hash|scrypt/i);
    const purchases = await waitFor(
      async () => {
        const r = await admin.get('/api/admin/users/plainuser/purchases?limit=50');
        return r.status === 200 && r.body.items.some((p: { orderId: string }) => p.orderId === order.body.orderId) ? r.body : null;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: "the order in the user's purchases" },
    );
    expect(purchases.items.find((p: { orderId: string }) => p.orderId === order.body.orderId)).toMatchObject({ eventId: e.eventId });
    const favourites = await admin.get('/api/admin/users/plainuser/favourites');
    expect(favourites.status).toBe(200);
    expect(favourites.body.items.map((f: { eventId: string }) => f.eventId)).toContain(e.eventId);

    expectError(await admin.get('/api/admin/users/nobody-here'), 404, 'NOT_FOUND');
    expectError(await admin.get('/api/admin/users/NOT%20A%20NAME'), 400, 'BAD_REQUEST');
    expectError(await admin.get('/api/admin/users/plainuser/purchases?limit=0'), 400, 'BAD_REQUEST');
  });
});

describe('access', () => {
  it('a plain user gets 403 and an anonymous caller 401 on every admin route (acceptance: a user gets 403 on each admin route)', async () => {
    const e = await createEvent('Access Test');
    const [general] = statics.ticketTypes as [string];
    const routes: [string, string, unknown?][] = [
      ['POST', '/api/events', { name: 'x' }],
      ['PATCH', `/api/events/${e.eventId}`, { expectedVersion: 1, name: 'Hijacked' }],
      ['DELETE', `/api/events/${e.eventId}`],
      ['PUT', `/api/events/${e.eventId}/tickets/${general}`, { total: 1 }],
      ['PATCH', '/api/static/locations', { add: ['nowhere'] }],
      ['GET', '/api/admin/stats'],
      ['GET', '/api/admin/stats/events'],
      ['GET', `/api/admin/stats?eventId=${e.eventId}`],
      ['GET', `/api/admin/events/${e.eventId}/sales`],
      ['GET', '/api/admin/cluster'],
      ['GET', `/api/admin/keys/history?key=event:${e.eventId}`],
      ['GET', '/api/admin/users/plainuser'],
      ['GET', '/api/admin/users/plainuser/purchases'],
      ['GET', '/api/admin/users/plainuser/favourites'],
    ];
    for (const [method, path, body] of routes) {
      const forbidden = await user.request(method, path, { body });
      expect({ method, path, status: forbidden.status, code: forbidden.body?.error?.code }).toEqual({
        method,
        path,
        status: 403,
        code: 'FORBIDDEN',
      });
      const anonymous = await anon.request(method, path, { body });
      expect({ method, path, status: anonymous.status, code: anonymous.body?.error?.code }).toEqual({
        method,
        path,
        status: 401,
        code: 'UNAUTHENTICATED',
      });
    }
    // Nothing the user tried changed anything.
    const still = await anon.get(`/api/events/${e.eventId}`);
    expect(still.body).toMatchObject({ version: 1, name: 'Access Test' });
    expect((await anon.get('/api/static')).body.locations).not.toContain('nowhere');
  });
});

describe('instance details are admin only (issue 13.10)', () => {
  /** What an instance record gives away: the host name, each service's pid and HTTP port. */
  function secretsIn(text: string): string[] {
    const running = clients.stack.services.filter((s) => s.isRunning());
    const secrets = [os.hostname(), ...running.flatMap((s) => [String(s.process!.pid), String(s.spec.port)])];
    return secrets.filter((x) => new RegExp(`(^|[^\\w])${x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w])`).test(text));
  }
  const text = (body: unknown) => (typeof body === 'string' ? body : JSON.stringify(body ?? ''));

  it('/ (the web UI) shows no host, pid or port to anyone; /api/system/instances is 401 anonymous, 403 to a user, and lists them to an admin', async () => {
    for (const path of ['/api/system/instances']) {
      const a = await anon.get(path);
      expect({ path, status: a.status, code: a.body?.error?.code, leaks: secretsIn(text(a.body)) }).toEqual({
        path,
        status: 401,
        code: 'UNAUTHENTICATED',
        leaks: [],
      });
      const u = await user.get(path);
      expect({ path, status: u.status, code: u.body?.error?.code, leaks: secretsIn(text(u.body)) }).toEqual({
        path,
        status: 403,
        code: 'FORBIDDEN',
        leaks: [],
      });
    }
    // Instance ids are host-pid by default (INSTANCE_ID), so / must not list them either.
    const ids = clients.stack.services.map((s) => s.instanceId);
    for (const [who, c] of [
      ['anonymous', anon],
      ['user', user],
      ['admin', admin],
    ] as const) {
      const root = await c.get('/');
      const body = text(root.body);
      expect({ who, status: root.status, leaks: secretsIn(body), ids: ids.filter((id) => body.includes(id)) }).toEqual({
        who,
        status: 200,
        leaks: [],
        ids: [],
      });
    }
    const gateway = clients.stack.services.find((s) => s.spec.service === 'gateway')!;
    const listed = await admin.get('/api/system/instances');
    expect(listed.status).toBe(200);
    const instances = (
      listed.body.services as { service: string; instances: { instanceId: string; host: string; pid: number; httpPort: number }[] }[]
    ).flatMap((s) => s.instances);
    expect(instances).toContainEqual(
      expect.objectContaining({
        instanceId: gateway.instanceId,
        host: os.hostname(),
        pid: gateway.process!.pid,
        httpPort: gateway.spec.port,
      }),
    );
  });
});

describe('admin route errors', () => {
  it('stats and sales: 400 for a malformed event id or paging, 404 for an event that never existed (every route tests its errors)', async () => {
    expectError(await admin.get('/api/admin/stats?eventId=not-an-id'), 400, 'BAD_REQUEST');
    expectError(await admin.get('/api/admin/events/not-an-id/sales'), 400, 'BAD_REQUEST');
    const e = await createEvent('Paging');
    const badLimit = await admin.get(`/api/admin/events/${e.eventId}/sales?limit=0`);
    expectError(badLimit, 400, 'BAD_REQUEST');
    expect(badLimit.body.error.fields.map((f: { path: string }) => f.path)).toEqual(['limit']);
    expectError(await admin.get(`/api/admin/events/${e.eventId}/sales?limit=abc`), 400, 'BAD_REQUEST');

    const unknown = ulid();
    const s = await admin.get(`/api/admin/stats?eventId=${unknown}`);
    expectError(s, 404, 'NOT_FOUND');
    expect(s.body.error.message).toContain(unknown);
    expectError(await admin.get(`/api/admin/events/${unknown}/sales`), 404, 'NOT_FOUND');
  });

  it('key history: 400 for a malformed key or parameters, 403 for user: and session: keys, 404 for a key absent now or at the revision given', async () => {
    const bad = await admin.get('/api/admin/keys/history?key=nonsense:thing');
    expectError(bad, 400, 'BAD_REQUEST');
    expect(bad.body.error.message).toMatch(/unknown namespace/);
    expect(bad.body.error.fields).toEqual([{ path: 'key', message: expect.stringContaining('unknown namespace') }]);
    expectError(await admin.get('/api/admin/keys/history?key=event:not-an-id'), 400, 'BAD_REQUEST');
    expectError(await admin.get('/api/admin/keys/history?key=event'), 400, 'BAD_REQUEST');
    const missing = await admin.get('/api/admin/keys/history');
    expectError(missing, 400, 'BAD_REQUEST');
    expect(missing.body.error.fields.map((f: { path: string }) => f.path)).toEqual(['key']);

    const e = await createEvent('History Errors');
    const key = encodeURIComponent(`event:${e.eventId}`);
    for (const q of ['limit=0', 'limit=101', 'limit=x', 'revision=0', 'revision=-3']) {
      expectError(await admin.get(`/api/admin/keys/history?key=${key}&${q}`), 400, 'BAD_REQUEST');
    }
    const future = await admin.get(`/api/admin/keys/history?key=${key}&revision=999999999`);
    expectError(future, 400, 'BAD_REQUEST');
    expect(future.body.error.fields).toEqual([{ path: 'revision', message: 'is a future revision' }]);

    // user: values hold password hashes, session: keys name sessions: refused even to admins.
    const u = await admin.get('/api/admin/keys/history?key=user:plainuser');
    expectError(u, 403, 'FORBIDDEN');
    expect(u.body.error.message).toMatch(/password hashes/);
    expectError(await admin.get(`/api/admin/keys/history?key=session:${'a'.repeat(64)}`), 403, 'FORBIDDEN');

    const never = await admin.get(`/api/admin/keys/history?key=event:${ulid()}`);
    expectError(never, 404, 'NOT_FOUND');
    const h = await admin.get(`/api/admin/keys/history?key=${key}`);
    const created = h.body.items[0].revision as number;
    expectError(await admin.get(`/api/admin/keys/history?key=${key}&revision=${created - 1}`), 404, 'NOT_FOUND');
  });

  it('key history stops at a compacted revision and says so (compacted: true); a walk starting at a compacted revision is empty (key history: compaction)', async () => {
    const e = await createEvent('Compacted');
    expect((await admin.patch(`/api/events/${e.eventId}`, { expectedVersion: 1, name: 'Compacted v2' })).status).toBe(200);
    expect((await admin.patch(`/api/events/${e.eventId}`, { expectedVersion: 2, name: 'Compacted v3' })).status).toBe(200);
    const key = encodeURIComponent(`event:${e.eventId}`);
    const full = await admin.get(`/api/admin/keys/history?key=${key}`);
    const [v3, v2, v1] = full.body.items as HistoryItem[];
    expect([v3!.version, v2!.version, v1!.version]).toEqual([3, 2, 1]);

    // A real compaction of the store at version 2's revision: version 1 is gone.
    await clients.etcd.client.kv.compact({ revision: String(v2!.revision), physical: true });
    const h = await admin.get(`/api/admin/keys/history?key=${key}`);
    expect(h.status).toBe(200);
    expect((h.body.items as HistoryItem[]).map((i) => [i.version, i.value.name])).toEqual([
      [3, 'Compacted v3'],
      [2, 'Compacted v2'],
    ]);
    expect(h.body.compacted).toBe(true);
    expect(h.body.nextRevision).toBeNull();

    const old = await admin.get(`/api/admin/keys/history?key=${key}&revision=${v1!.revision}`);
    expect(old.status).toBe(200);
    expect(old.body).toMatchObject({ items: [], compacted: true, nextRevision: null });
  });

  it('stats and sales answer 504 naming orders when the orders instance does not answer in time (every route tests its errors)', async () => {
    const e = await createEvent('Orders Frozen');
    const orders = clients.stack.services.find((s) => s.spec.service === 'orders')!;
    const pid = orders.process!.pid;
    // A frozen process keeps its NATS subscription but never replies: the request times out (RPC_TIMEOUT_MS = 3000).
    process.kill(pid, 'SIGSTOP');
    try {
      const s = await admin.get('/api/admin/stats');
      expectError(s, 504, 'TIMEOUT');
      expect(s.body.error.dependency).toBe('orders');
      const sales = await admin.get(`/api/admin/events/${e.eventId}/sales`);
      expectError(sales, 504, 'TIMEOUT');
      expect(sales.body.error.dependency).toBe('orders');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor(async () => (await admin.get('/api/admin/stats')).status === 200, { timeoutMs: 30_000, what: 'orders answering again' });
  });

  it('stats and sales answer 503 naming orders when no orders instance runs (every route tests its errors)', async () => {
    const e = await createEvent('Orders Down');
    const orders = clients.stack.services.find((s) => s.spec.service === 'orders')!;
    await orders.stop();
    const s = await admin.get('/api/admin/stats');
    expectError(s, 503, 'UNAVAILABLE');
    expect(s.body.error.dependency).toBe('orders');
    const sales = await admin.get(`/api/admin/events/${e.eventId}/sales`);
    expectError(sales, 503, 'UNAVAILABLE');
    expect(sales.body.error.dependency).toBe('orders');
  });

  it('cluster: a raised alarm is listed; with three members down it still lists five members and reports the quorum lost; with all down, cluster and key history answer 503 naming etcd within seconds (every route tests its errors)', async () => {
    const e = await createEvent('Etcd Down');
    const key = encodeURIComponent(`event:${e.eventId}`);
    const etcd = clients.stack.etcd;

    // A raised alarm is listed (raised for real; NOSPACE also stops writes, harmless this late).
    const healthy = await admin.get('/api/admin/cluster');
    const memberId = (healthy.body.members as Member[])[1]!.id;
    await clients.etcd.client.maintenance.alarm({ action: AlarmAction.Activate, memberID: memberId, alarm: AlarmType.Nospace });
    const alarmed = await admin.get('/api/admin/cluster');
    expect(alarmed.status).toBe(200);
    expect(alarmed.body.alarms).toEqual([{ memberId, alarm: 'NOSPACE' }]);

    await Promise.all([0, 1, 2].map((i) => etcd.stopMember(i, 'SIGKILL', 1000)));

    const lost = await admin.get('/api/admin/cluster');
    expect(lost.status).toBe(200);
    expect(lost.body.members).toHaveLength(5);
    expect(lost.body.members.filter((m: Member) => m.reachable)).toHaveLength(2);
    expect(lost.body.members.filter((m: Member) => !m.reachable).every((m: Member) => typeof m.error === 'string')).toBe(true);
    expect(lost.body.quorum).toBe(false);
    expect(lost.body.services).toBeNull();
    expect(lost.body.servicesError).toMatch(/quorum/);

    await Promise.all([3, 4].map((i) => etcd.stopMember(i, 'SIGKILL', 1000)));
    const started = Date.now();
    const down = await admin.get('/api/admin/cluster');
    expect(Date.now() - started).toBeLessThan(5000);
    expectError(down, 503, 'UNAVAILABLE');
    expect(down.body.error.dependency).toBe('etcd');

    const history = await admin.get(`/api/admin/keys/history?key=${key}`);
    expectError(history, 503, 'UNAVAILABLE');
    expect(history.body.error.dependency).toBe('etcd');
  });
});
