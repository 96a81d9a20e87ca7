/**
 * Issue 15 acceptance: "etcd roles tested against the real local cluster with auth on".
 * A private five-member stack; every service starts with its own etcd user BEFORE auth is set
 * up (as in a Helm install, where the hook Job runs after the pods start): each reports not
 * ready naming etcd auth and keeps retrying. Then `etcd-auth apply` (the CLI the Job runs) turns
 * auth on, every service becomes ready, and a buyer's whole flow over HTTP works: every prefix
 * the services touch is granted. Finally each service's user is tried on every namespace: a
 * put outside what it owns and a read outside what it reads are denied, its own prefixes work.
 * Issue 29.1: the instances publish their role's fingerprint in svc:, so a re-run finds no older table.
 */
import { createEtcdConnection, type EtcdConnection } from '@ticketcd/etcd';
import { grantsHash, NAMESPACES, prefixes, roleGrants, SERVICE_NAMES, type ServiceName } from '@ticketcd/keys';
import { ApiClient, startPrivateStack, stopPrivateStack, waitFor, type Stack } from '@ticketcd/testing';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ulid } from 'ulid';

const ROOT_PASSWORD = 'root-pw-e2e';
const password = (s: ServiceName) => `pw-${s}-${process.pid}`;

let stack: Stack;
let passwordsDir: string;

beforeAll(async () => {
  passwordsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketcd-etcd-users-'));
  // One file per service, as the chart mounts the Secret; search-indexer's comes from a variable instead.
  for (const s of SERVICE_NAMES) if (s !== 'search-indexer') fs.writeFileSync(path.join(passwordsDir, s), `${password(s)}\n`);
  stack = await startPrivateStack({
    services: false,
    env: { ADMIN_USERNAME: 'admin', ADMIN_PASSWORD: 'admin-test-password', SVC_LEASE_TTL_S: '5' },
    serviceEnv: Object.fromEntries(SERVICE_NAMES.map((s) => [s, { ETCD_USERNAME: s, ETCD_PASSWORD: password(s) }])),
  });
}, 120_000);

afterAll(async () => {
  await stopPrivateStack(stack);
  fs.rmSync(passwordsDir, { recursive: true, force: true });
});

async function readyz(url: string): Promise<{ status: number; body: { message?: string } }> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, body: (await res.json()) as { message?: string } };
  } catch {
    return { status: 0, body: {} };
  }
}

function runCli(args: string[], env: Record<string, string>) {
  return promisify(execFile)(process.execPath, ['libs/tooling/deploy/dist/cli.js', ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 60_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );
}

/** The shared test client, with the positional call this file reads best with. */
class Http extends ApiClient {
  call(method: string, p: string, body?: unknown, headers?: Record<string, string>) {
    return this.request(method, p, { body, headers });
  }
}

describe('etcd roles with auth on (issue 15)', () => {
  it('services started before the setup report not ready naming etcd auth, then become ready once it ran', async () => {
    const procs = SERVICE_NAMES.map((s) => stack.addInstance(s));
    const started = await Promise.all(procs);
    // Auth is not enabled yet: etcd refuses every token request. Each instance stays up, unready, retrying.
    for (const p of started) {
      const r = await waitFor(
        async () => {
          if (!p.isRunning()) throw new Error(`${p.instanceId} exited:\n${fs.readFileSync(p.logFile, 'utf8').slice(-3000)}`);
          return (await readyz(p.url)).status === 503 ? readyz(p.url) : null;
        },
        {
          timeoutMs: 60_000,
          what: `${p.instanceId} answering /readyz 503`,
        },
      );
      expect(r.body.message).toMatch(new RegExp(`etcd auth failed for user "${p.spec.service}"`));
      expect(p.isRunning()).toBe(true);
    }

    const env = {
      ETCD_ENDPOINTS: stack.etcd.endpoints.join(','),
      ETCD_ROOT_PASSWORD: ROOT_PASSWORD,
      ETCD_PASSWORDS_DIR: passwordsDir,
      ETCD_PASSWORD_SEARCH_INDEXER: password('search-indexer'),
    };
    const apply = await runCli(['etcd-auth', 'apply'], env);
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    expect(apply.stdout).toMatch(/auth enabled/);
    for (const s of SERVICE_NAMES) expect(apply.stdout + apply.stderr).not.toContain(password(s));
    expect(apply.stdout).not.toContain(ROOT_PASSWORD);

    await Promise.all(started.map((p) => p.waitReady(60_000)));
    expect(started.every((p) => p.isRunning())).toBe(true);

    // A wrong password: unready naming etcd auth, and it stays up retrying (no crash loop).
    const wrongPw = await stack.addInstance('notifier', { ETCD_PASSWORD: 'not-the-password' });
    try {
      const r = await waitFor(async () => ((await readyz(wrongPw.url)).status === 503 ? readyz(wrongPw.url) : null), {
        timeoutMs: 60_000,
        what: 'the instance with a wrong password answering 503',
      });
      expect(r.body.message).toMatch(/etcd auth failed for user "notifier".*authentication failed, invalid user ID or password/);
      expect(wrongPw.isRunning()).toBe(true);
    } finally {
      await wrongPw.stop();
    }

    // Idempotent from the CLI too (auth already on: it authenticates as root).
    const again = await runCli(['etcd-auth', 'apply'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/auth is enabled: authenticated as root/);
    // Issue 29.1: each running instance's svc: value carries its role's fingerprint, the one of the
    // table the Job applies, so the re-run neither waits nor revokes; and it sets no password.
    expect(again.stdout).not.toMatch(/keeping|revoked|password set/);
    const asRoot = createEtcdConnection({
      endpoints: stack.etcd.endpoints,
      deadlineMs: 3000,
      auth: { username: 'root', password: ROOT_PASSWORD },
    });
    try {
      const svc = await asRoot.client.getAll().prefix(prefixes.svc()).strings();
      const fingerprints = Object.entries(svc).map(([key, value]) => [
        key.split(':')[1],
        (JSON.parse(value) as { grants?: string }).grants,
      ]);
      expect(new Set(fingerprints.map(([s]) => s))).toEqual(new Set(SERVICE_NAMES));
      for (const [s, grants] of fingerprints) expect([s, grants]).toEqual([s, grantsHash(roleGrants(s as ServiceName))]);
    } finally {
      asRoot.close();
    }
    // A wrong root password: its own exit code, the password not printed.
    const wrong = await runCli(['etcd-auth', 'apply'], { ...env, ETCD_ROOT_PASSWORD: 'nope-nope' });
    expect(wrong.code).toBe(77);
    expect(wrong.stderr).toMatch(/refused the root user/);
    expect(wrong.stderr).not.toContain('nope-nope');
  }, 150_000);

  it('a buyer flow over HTTP works with every service on its own user', async () => {
    // The first admin and the static lists were written in the background once etcd let the services in.
    const admin = new Http(stack.gatewayUrl!);
    expect(
      (await admin.call('POST', '/api/auth/register', { username: 'admin', password: 'someone-else-password', email: '' })).status,
    ).toBe(409);
    await waitFor(
      async () => (await admin.call('POST', '/api/auth/login', { username: 'admin', password: 'admin-test-password' })).status === 200,
      {
        timeoutMs: 20_000,
        what: 'the first admin created',
      },
    );
    const lists = await waitFor(
      async () => {
        const body = (await admin.call('GET', '/api/static')).body;
        // Three lists, three keys: wait for all of them (the first can show before the last).
        return body?.locations?.length && body.eventTypes?.length && body.ticketTypes?.length ? body : null;
      },
      { timeoutMs: 20_000, what: 'the static lists seeded' },
    );
    const created = await admin.call('POST', '/api/events', {
      name: 'Zephyr Roles Night',
      description: 'Checked against etcd roles.',
      location: lists.locations[0],
      type: lists.eventTypes[0],
      date: new Date(Date.now() + 20 * 86400_000).toISOString(),
      maxPerOrder: 10,
      ticketTypes: [{ type: lists.ticketTypes[0], total: 20, price: 1000 }],
    });
    expect([created.status, created.status === 201 ? null : created.body]).toEqual([201, null]);
    const eventId: string = created.body.eventId;
    const type = lists.ticketTypes[0] as string;

    const ana = await new Http(stack.gatewayUrl!).signIn('ana.roles');
    // search-indexer (reads event:, writes search:)
    await waitFor(
      async () => (await ana.call('GET', '/api/search?q=zephyr')).body.items?.some((e: { eventId: string }) => e.eventId === eventId),
      {
        timeoutMs: 20_000,
        what: 'the event searchable',
      },
    );
    // catalog favourites (favourite:, favcount:)
    expect((await ana.call('PUT', `/api/me/favourites/${eventId}`)).body).toEqual({ favourite: true });
    // notifier (reads event: and ticket:, writes notification:, subscriber:, alert:)
    const sub = await ana.call('PUT', `/api/me/subscriptions/${eventId}`, { limit: 15 });
    expect(sub.body).toMatchObject({ eventId, limit: 15, state: 'armed', remaining: 20 });
    // inventory (ticket:, sale:, its outbox) via orders (order:)
    const bought = await ana.call('POST', '/api/orders', { eventId, lines: [{ type, quantity: 6 }] }, { 'idempotency-key': ulid() });
    expect(bought.status).toBe(201);
    expect(bought.body).toMatchObject({ status: 'accepted', remaining: { [type]: 14 } });
    // orders' consumer (reads sale:, writes purchase:, stats:)
    await waitFor(
      async () =>
        (await ana.call('GET', '/api/me/purchases')).body.items?.some((p: { orderId: string }) => p.orderId === bought.body.orderId),
      { timeoutMs: 20_000, what: 'the purchase listed' },
    );
    // The stock crossed 15: the notifier's alert fires.
    const alerts = await waitFor(
      async () => {
        const r = await ana.call('GET', '/api/me/alerts');
        return r.body.items?.length ? r.body.items : null;
      },
      { timeoutMs: 20_000, what: 'the low-stock alert' },
    );
    expect(alerts[0]).toMatchObject({ eventId, limit: 15 });
    // The gateway's admin pages: cluster status with the live instances (svc:), and a key's
    // history in another service's namespace (the ticket: key inventory just wrote).
    const cluster = await admin.call('GET', '/api/admin/cluster');
    expect(cluster.status).toBe(200);
    expect(cluster.body.members).toHaveLength(5);
    expect(cluster.body.members.every((m: { reachable: boolean }) => m.reachable)).toBe(true);
    expect(cluster.body.alarmsError).toBeUndefined();
    expect(Object.keys(cluster.body.services ?? {}).length > 0 || Array.isArray(cluster.body.services)).toBe(true);
    const history = await admin.call('GET', `/api/admin/keys/history?key=${encodeURIComponent(`ticket:${eventId}:${type}`)}`);
    expect(history.status).toBe(200);
    expect(history.body.items[0].value).toMatchObject({ remaining: 14 });
    // Issue 26.3: the gateway's user reads none of these namespaces (denied below); each history
    // is walked by the owning service on its own user, asked over NATS.
    const owned = [
      `event:${eventId}`,
      `sale:${eventId}:${bought.body.orderId}`,
      `order:ana.roles:${bought.body.orderId}`,
      `stats:${eventId}`,
      `search:meta:${eventId}`,
      `subscriber:${eventId}:ana.roles`,
      `alert:ana.roles:${alerts[0].alertId}`,
    ];
    const statuses: Record<string, number> = {};
    // stats: is written by orders' consumer: wait until every key is there.
    await waitFor(
      async () => {
        for (const k of owned) statuses[k] = (await admin.call('GET', `/api/admin/keys/history?key=${encodeURIComponent(k)}`)).status;
        return Object.values(statuses).every((s) => s !== 404);
      },
      { timeoutMs: 20_000, what: 'every owned key written' },
    );
    expect(statuses).toEqual(Object.fromEntries(owned.map((k) => [k, 200])));
    expect((await admin.call('GET', '/api/system/instances')).status).toBe(200);
    // A bad-input refusal writes and binds nothing (issue 27); the good order's sale writes its
    // order: key with inventory's grant (were it denied, the good order would fail).
    const key = ulid();
    const tooMany = await ana.call('POST', '/api/orders', { eventId, lines: [{ type, quantity: 11 }] }, { 'idempotency-key': key });
    expect(tooMany.status).toBe(400);
    const good = await ana.call('POST', '/api/orders', { eventId, lines: [{ type, quantity: 1 }] }, { 'idempotency-key': key });
    expect([good.status, good.body.status]).toEqual([201, 'accepted']);
  }, 120_000);

  it('each service user is denied what it does not own or read, and may use its own prefixes', async () => {
    const conns = new Map<ServiceName, EtcdConnection>();
    try {
      const problems: string[] = [];
      // Keys in every namespace, and in every service's own per-service prefixes.
      const probes = [
        ...Object.values(NAMESPACES).map((ns) => `${ns}roles-probe`),
        ...SERVICE_NAMES.flatMap((s) =>
          [prefixes.svcOf(s), prefixes.outboxOf(s), prefixes.outboxQuarantineOf(s)].map((p) => `${p}roles-probe`),
        ),
      ];
      for (const service of SERVICE_NAMES) {
        const conn = createEtcdConnection({
          endpoints: stack.etcd.endpoints,
          deadlineMs: 3000,
          auth: { username: service, password: password(service) },
        });
        conns.set(service, conn);
        const grants = roleGrants(service);
        const mayWrite = (k: string) => grants.some((g) => g.permission === 'readwrite' && k.startsWith(g.prefix));
        const mayRead = (k: string) => grants.some((g) => k.startsWith(g.prefix));
        for (const key of probes) {
          const denied = (e: Error) => (/etcdserver: permission denied/.test(e.message) ? 'denied' : e.message);
          const put = await conn.kv
            .put(key)
            .value('roles-probe')
            .exec()
            .then(() => 'ok', denied);
          if (put === 'ok') await conn.kv.delete().key(key).exec();
          const get = await conn.kv
            .get(key)
            .exec()
            .then(() => 'ok', denied);
          const expectPut = mayWrite(key) ? 'ok' : 'denied';
          const expectGet = mayRead(key) ? 'ok' : 'denied';
          if (put !== expectPut) problems.push(`${service} put ${key}: ${put} (expected ${expectPut})`);
          if (get !== expectGet) problems.push(`${service} get ${key}: ${get} (expected ${expectGet})`);
        }
        // Every service is denied somewhere: no role is all-powerful.
        expect(probes.some((k) => !mayWrite(k))).toBe(true);
      }
      expect(problems).toEqual([]);
      // The brief's examples, spelled out.
      await expect(conns.get('orders')!.kv.put(`${NAMESPACES.ticket}x`).value('1').exec()).rejects.toThrow('etcdserver: permission denied');
      await expect(conns.get('notifier')!.kv.put(`${NAMESPACES.ticket}x`).value('1').exec()).rejects.toThrow(
        'etcdserver: permission denied',
      );
      await expect(conns.get('catalog')!.kv.get(`${NAMESPACES.sale}x`).exec()).rejects.toThrow('etcdserver: permission denied');
      // Issue 26.3: the internet-facing gateway reads no other service's keys.
      for (const ns of [NAMESPACES.order, NAMESPACES.sale, NAMESPACES.ticket, NAMESPACES.event, NAMESPACES.alert]) {
        await expect(conns.get('gateway')!.kv.get(`${ns}x`).exec()).rejects.toThrow('etcdserver: permission denied');
      }
    } finally {
      for (const c of conns.values()) c.close();
    }
  }, 60_000);
});
