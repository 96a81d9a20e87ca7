/**
 * Issue 15 point 3 (scaling a service), acceptance "the local adapter scales a service for real
 * and the instance count in svc: keys follows": a private stack with the launcher's control
 * server (SCALER=local); the admin scales inventory 1 -> 2 -> 1 over HTTP and the live svc:
 * instances follow. Bad input (400), an unknown service (404), a non-admin (403) and an
 * HPA-managed service (409) change nothing.
 */
import { prefixes } from '@ticketcd/keys';
import fs from 'node:fs';
import path from 'node:path';
import { startStackWithClients, waitFor, type StackClients } from '@ticketcd/testing';
import { ApiClient, GATEWAY_TEST_ENV } from './api-client.js';

interface ServiceRow {
  service: string;
  instances: { instanceId: string }[];
  desired: number | null;
  autoscaled: boolean;
  hpa?: { min: number; max: number };
  scalable: boolean;
}

let clients: StackClients;
let admin: ApiClient;
let user: ApiClient;
let anon: ApiClient;

/** Live instances of a service, straight from etcd (the svc: keys), not through the API under test. */
async function liveCount(service: string): Promise<number> {
  return clients.etcd.kv.getAll().prefix(prefixes.svcOf(service)).count();
}

async function row(service: string): Promise<ServiceRow> {
  const r = await admin.get('/api/admin/services');
  expect(r.status).toBe(200);
  const found = (r.body.services as ServiceRow[]).find((s) => s.service === service);
  expect(found).toBeDefined();
  return found!;
}

beforeAll(async () => {
  clients = await startStackWithClients({
    services: ['gateway', 'catalog', 'inventory', 'notifier'],
    control: true,
    // orders is "HPA-managed" here: the refusal is the same rule whatever the adapter.
    env: { ...GATEWAY_TEST_ENV, SCALER_AUTOSCALED: 'orders', SCALER_HPA_RANGES: 'orders=2-6' },
  });
  const url = clients.stack.gatewayUrl!;
  admin = await new ApiClient(url).signIn('admin', GATEWAY_TEST_ENV.ADMIN_PASSWORD);
  user = await new ApiClient(url).signIn('plainuser');
  anon = new ApiClient(url);
}, 180_000);

afterAll(() => clients?.close());

describe('scaling a service from the admin API (SCALER=local)', () => {
  it('GET /api/admin/services lists every service with its live instances, desired count and whether it is autoscaled', async () => {
    const r = await admin.get('/api/admin/services');
    expect(r.status).toBe(200);
    expect(r.body.scaler).toBe('local');
    const rows = r.body.services as ServiceRow[];
    expect(rows.map((s) => s.service)).toEqual(['gateway', 'catalog', 'inventory', 'orders', 'search-indexer', 'notifier']);
    const inv = rows.find((s) => s.service === 'inventory')!;
    expect(inv).toMatchObject({ desired: 1, autoscaled: false, scalable: true });
    expect(inv.instances).toHaveLength(1);
    expect(rows.find((s) => s.service === 'orders')).toMatchObject({ autoscaled: true, hpa: { min: 2, max: 6 }, scalable: false });
  });

  it('PUT .../inventory/scale to 2 starts an instance (svc: count 2), back to 1 drains one (count 1)', async () => {
    expect(await liveCount('inventory')).toBe(1);
    const up = await admin.put('/api/admin/services/inventory/scale', { replicas: 2 });
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ service: 'inventory', desired: 2 });
    await waitFor(async () => (await liveCount('inventory')) === 2, { timeoutMs: 60_000, what: 'a second inventory instance in svc:' });
    expect((await row('inventory')).desired).toBe(2);
    expect((await row('inventory')).instances).toHaveLength(2);

    const down = await admin.put('/api/admin/services/inventory/scale', { replicas: 1 });
    expect(down.status).toBe(200);
    expect(down.body).toMatchObject({ service: 'inventory', desired: 1 });
    await waitFor(async () => (await liveCount('inventory')) === 1, { timeoutMs: 30_000, what: 'inventory back to one instance' });
    expect((await row('inventory')).desired).toBe(1);
  });

  it('down and up again at once: the new instance never takes the id of one still draining, and the count settles', async () => {
    const ids = async () => (await clients.etcd.kv.getAll().prefix(prefixes.svcOf('notifier')).keys()).sort();
    expect((await admin.put('/api/admin/services/notifier/scale', { replicas: 2 })).status).toBe(200);
    await waitFor(async () => (await liveCount('notifier')) === 2, { timeoutMs: 60_000, what: 'two notifiers' });
    const before = await ids();
    expect((await admin.put('/api/admin/services/notifier/scale', { replicas: 1 })).status).toBe(200);
    expect((await admin.put('/api/admin/services/notifier/scale', { replicas: 2 })).status).toBe(200);
    // The drained notifier-1 leaves; a fresh notifier-2 takes its place (same id would lose its svc: key on the old one's exit).
    await waitFor(async () => JSON.stringify(await ids()) === JSON.stringify([before[0], before[0]!.replace(/-0$/, '-2')]), {
      timeoutMs: 60_000,
      what: 'notifier-0 and notifier-2 live',
    });
    expect((await row('notifier')).desired).toBe(2);
    // One more: a third id (numbering by count would reuse notifier-2 and leave two live).
    expect((await admin.put('/api/admin/services/notifier/scale', { replicas: 3 })).status).toBe(200);
    await waitFor(async () => (await liveCount('notifier')) === 3, { timeoutMs: 60_000, what: 'three notifiers' });
    expect((await admin.put('/api/admin/services/notifier/scale', { replicas: 1 })).status).toBe(200);
    await waitFor(async () => (await liveCount('notifier')) === 1, { timeoutMs: 30_000, what: 'one notifier' });
  });

  it('bad bodies get 400, an unknown service 404, a non-admin 403, an autoscaled service 409: none changes anything', async () => {
    const before = await liveCount('inventory');
    for (const body of [{}, { replicas: 0 }, { replicas: 21 }, { replicas: 1.5 }, { replicas: '2' }, { replicas: 2, extra: true }]) {
      const r = await admin.put('/api/admin/services/inventory/scale', body);
      expect({ body, status: r.status, code: r.body?.error?.code }).toEqual({ body, status: 400, code: 'BAD_REQUEST' });
    }
    const unknown = await admin.put('/api/admin/services/billing/scale', { replicas: 2 });
    expect({ status: unknown.status, code: unknown.body?.error?.code }).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(unknown.body.error.message).toMatch(/billing/);

    const forbidden = await user.put('/api/admin/services/inventory/scale', { replicas: 2 });
    expect(forbidden.status).toBe(403);
    expect((await anon.put('/api/admin/services/inventory/scale', { replicas: 2 })).status).toBe(401);
    expect((await user.get('/api/admin/services')).status).toBe(403);

    const hpa = await admin.put('/api/admin/services/orders/scale', { replicas: 3 });
    expect({ status: hpa.status, code: hpa.body?.error?.code }).toEqual({ status: 409, code: 'CONFLICT' });
    expect(hpa.body.error.message).toMatch(/HorizontalPodAutoscaler/);
    expect(hpa.body.error.message).toMatch(/min 2, max 6/);

    // Nothing moved: same desired count, same live instances (no orders instance started either).
    expect((await row('inventory')).desired).toBe(1);
    expect(await liveCount('inventory')).toBe(before);
    expect(await liveCount('orders')).toBe(0);
  });

  it("the launcher's control server wants its bearer token, kept in the stack dir with mode 600 and in no log", async () => {
    const file = path.join(clients.stack.opts.dir, 'control-token');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const token = fs.readFileSync(file, 'utf8').trim();
    const url = `${clients.stack.controlUrl}/services`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const logs = path.join(clients.stack.opts.dir, 'logs');
    for (const f of fs.readdirSync(logs))
      expect({ f, leaked: fs.readFileSync(path.join(logs, f), 'utf8').includes(token) }).toEqual({ f, leaked: false });
  });
});
