/**
 * `ticketctl verify` against the real cluster (issue 16, point 4; invariants 1 and 4). Each test
 * writes a small consistent dataset in its own namespace, the keys exactly as the services write
 * them (records from @ticketcd/contracts, postings and metas from @ticketcd/search-text's
 * indexEntries, subscriptions and alerts from @ticketcd/notifier-core's putSubscription), checks
 * that verify passes it, then corrupts one thing and checks that verify exits 1 with the right
 * check FAIL and the key named. The real binary runs as a subprocess.
 */
import {
  purchaseRecord,
  saleRecord,
  statsRecord,
  userRecord,
  type EventRecord,
  type PurchaseRecord,
  type SaleRecord,
  type StatsRecord,
  type TicketRecord,
} from '@ticketcd/contracts';
import { createEtcdConnection, unconditionalTxn, type EtcdConnection } from '@ticketcd/etcd';
import { keys } from '@ticketcd/keys';
import { putSubscription } from '@ticketcd/notifier-core';
import { changeOf, indexEntries } from '@ticketcd/search-text';
import { spawn } from 'node:child_process';
import { ulid } from 'ulid';

const CLI = 'libs/tooling/ticketctl/dist/cli.js';

/**
 * The shared cluster the e2e tier's global setup started (its endpoints in the environment).
 * Read here rather than through @ticketcd/testing, which a tooling project may not import.
 */
function sharedCluster(): { etcdEndpoints: string[] } {
  const etcd = process.env.TICKETCD_TEST_ETCD_ENDPOINTS;
  if (!etcd) throw new Error("TICKETCD_TEST_ETCD_ENDPOINTS not set: run through jest's e2e project (global setup starts the cluster)");
  return { etcdEndpoints: etcd.split(',') };
}

const uniqueNamespace = (label: string) => `${label}-${ulid().toLowerCase()}:`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI; `onStderr` sees stderr as it comes (to act between passes). */
function ticketctl(args: string[], onStderr?: (text: string) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

interface JsonCheck {
  name: string;
  status: string;
  waited: boolean;
  violations: { key: string; message: string }[];
}

let conn: EtcdConnection;
let ns: string;
let data: Awaited<ReturnType<typeof writeDataset>>;

const verify = (...args: string[]) => ticketctl(['verify', '--etcd', sharedCluster().etcdEndpoints.join(','), '--namespace', ns, ...args]);

async function verifyJson(...args: string[]): Promise<{ code: number; checks: Map<string, JsonCheck>; raw: Run }> {
  const run = await verify('--json', ...args);
  const parsed = JSON.parse(run.stdout) as { checks: JsonCheck[]; ok: boolean };
  expect(parsed.ok).toBe(run.code === 0);
  return { code: run.code, checks: new Map(parsed.checks.map((c) => [c.name, c])), raw: run };
}

/** Every check but `failing` is OK; `failing` fails and names `key`. */
function expectOnly(checks: Map<string, JsonCheck>, failing: string, key: string): void {
  const statuses = Object.fromEntries([...checks].map(([n, c]) => [n, c.status]));
  expect(statuses).toEqual({
    stock: 'OK',
    stats: 'OK',
    purchases: 'OK',
    search: 'OK',
    alerts: 'OK',
    favourites: 'OK',
    orphans: 'OK',
    [failing]: 'FAIL',
  });
  expect(checks.get(failing)!.violations.map((v) => v.key)).toContain(key);
}

async function put(entries: [string, unknown][]): Promise<number> {
  const kv = conn.kv;
  const res = await unconditionalTxn(kv)
    .then(...entries.map(([k, v]) => kv.put(k).value(typeof v === 'string' ? v : JSON.stringify(v))))
    .commit();
  return Number(res.header.revision);
}

/**
 * Two users, one live event with two ticket types and two sales (their purchases, stats, order
 * claims), one deleted event, the index of both, two favourites, and two subscriptions: ana's
 * limit already reached (fired, with its alert), bob's armed.
 */
async function writeDataset() {
  const now = new Date();
  const at = now.toISOString();
  const [ana, bob] = ['ana', 'bob'];
  const user = (username: string) =>
    userRecord.parse({
      username,
      name: username,
      email: `${username}@example.com`,
      passwordHash: 'scrypt$test',
      role: 'user',
      createdAt: at,
    });
  const live = ulid();
  const gone = ulid();
  const event = (version: number, deletedAt: string | null): EventRecord => ({
    name: 'Rock in Porto',
    description: 'an evening of loud guitars',
    location: 'porto',
    type: 'concert',
    date: new Date(now.getTime() + 30 * 86400_000).toISOString(),
    maxPerOrder: 10,
    version,
    createdAt: at,
    updatedAt: at,
    deletedAt,
  });
  const liveEvent = event(1, null);
  const goneEvent = event(2, at);
  const o1 = ulid();
  const o2 = ulid();
  const sale1: SaleRecord = saleRecord.parse({
    username: ana,
    lines: [
      { type: 'blue', quantity: 1, unitPrice: 2500 },
      { type: 'pink', quantity: 2, unitPrice: 1000 },
    ],
    total: 4500,
    remaining: { blue: 49, pink: 98 },
    at,
  });
  const sale2: SaleRecord = saleRecord.parse({
    username: bob,
    lines: [{ type: 'pink', quantity: 3, unitPrice: 1000 }],
    total: 3000,
    remaining: { pink: 95 },
    at,
  });
  const ticket = (total: number, remaining: number, price: number, closed = false): TicketRecord => ({ total, remaining, price, closed });
  const purchase = (s: SaleRecord): PurchaseRecord => purchaseRecord.parse({ lines: s.lines, total: s.total, at, revision: 1 });
  const stats: StatsRecord = statsRecord.parse({ revenue: 7500, orders: 2, soldByType: { blue: 1, pink: 5 } });
  await put([
    [keys.user(ana), user(ana)],
    [keys.user(bob), user(bob)],
    [keys.event(live), liveEvent],
    [keys.event(gone), goneEvent],
    [keys.ticket(live, 'pink'), ticket(100, 95, 1000)],
    [keys.ticket(live, 'blue'), ticket(50, 49, 2500)],
    [keys.ticket(gone, 'pink'), ticket(20, 20, 500, true)],
    [keys.sale(live, o1), sale1],
    [keys.sale(live, o2), sale2],
    [
      keys.order(ana, o1),
      {
        eventId: live,
        lines: [
          { type: 'blue', quantity: 1 },
          { type: 'pink', quantity: 2 },
        ],
        at,
      },
    ],
    [keys.order(bob, o2), { eventId: live, lines: [{ type: 'pink', quantity: 3 }], at }],
    [keys.purchase(ana, live, o1), purchase(sale1)],
    [keys.purchase(bob, live, o2), purchase(sale2)],
    [keys.stats(live), stats],
    [keys.favourite(ana, live), { at }],
    [keys.favourite(bob, live), { at }],
    [keys.favouriteCount(live), '2'],
  ]);
  const index = [...indexEntries(changeOf(live, liveEvent)), ...indexEntries(changeOf(gone, goneEvent))];
  for (let i = 0; i < index.length; i += 100) await put(index.slice(i, i + 100));
  // Subscriptions decided as the notifier decides them, against the stock at the current revision.
  const revision = await put([['static:locations', JSON.stringify(['porto'])]]);
  const subs = [
    putSubscription(null, { username: ana, eventId: live, limit: 150, active: true }, 144, revision, now, ulid),
    putSubscription(null, { username: bob, eventId: live, limit: 10, active: true }, 144, revision, now, ulid),
  ];
  expect(subs.map((s) => s.next.state)).toEqual(['fired', 'armed']);
  const fired = subs[0]!.alert!;
  await put([
    ...subs.flatMap(({ next }): [string, unknown][] => [
      [keys.notification(next.username, next.eventId), next],
      [keys.subscriber(next.eventId, next.username), next],
    ]),
    [keys.alert(ana, fired.alertId), fired],
  ]);
  return { live, gone, o1, o2, alertId: fired.alertId, stats };
}

beforeEach(async () => {
  ns = uniqueNamespace('verify');
  conn = createEtcdConnection({ endpoints: sharedCluster().etcdEndpoints, namespace: ns, deadlineMs: 5000 });
  data = await writeDataset();
});

afterEach(async () => {
  try {
    await conn.kv.delete().all();
  } finally {
    conn.close();
  }
});

describe('ticketctl verify', () => {
  it('passes a consistent dataset: exit 0, every check OK (table and --json)', async () => {
    const table = await verify('--settle', '2');
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^stock +\d+ +0 +0 +OK$/m);
    expect(table.stdout).toContain('OK: no violation');
    const { code, checks } = await verifyJson('--settle', '2');
    expect(code).toBe(0);
    expect([...checks.values()].every((c) => c.status === 'OK' && c.violations.length === 0)).toBe(true);
  });

  it('stock: a ticket whose remaining was changed by hand fails, naming the key (invariant 1)', async () => {
    const key = keys.ticket(data.live, 'pink');
    await put([[key, { total: 100, remaining: 94, price: 1000, closed: false }]]);
    const { code, checks } = await verifyJson('--settle', '2');
    expect(code).toBe(1);
    expectOnly(checks, 'stock', key);
    expect(checks.get('stock')!.violations[0]!.message).toBe("total 100 - remaining 94 = 6, but the event's sale: records sold 5");
  });

  it('search: a deleted posting fails, naming the key (invariant 4)', async () => {
    const key = keys.search('text', 'guitars', data.live);
    expect(await conn.kv.get(key).string()).toBe('{"n":0}');
    await conn.kv.delete().key(key);
    const { code, checks } = await verifyJson('--settle', '2');
    expect(code).toBe(1);
    expectOnly(checks, 'search', key);
  });

  it('alerts: a stray alert added by hand fails; an alert of a deleted subscription does not (invariant 4)', async () => {
    // Alerts stay when their subscription is deleted: that one is legitimate.
    await conn.kv.delete().key(keys.notification('ana', data.live));
    await conn.kv.delete().key(keys.subscriber(data.live, 'ana'));
    const legit = await verifyJson('--settle', '2');
    expect(legit.code).toBe(0);
    expect(legit.checks.get('alerts')!.status).toBe('OK');

    const stray = keys.alert('bob', ulid());
    await put([
      [stray, { alertId: stray.split(':')[2], eventId: data.live, remaining: 5, limit: 10, at: new Date().toISOString(), read: false }],
    ]);
    const { code, checks } = await verifyJson('--settle', '2');
    expect(code).toBe(1);
    expectOnly(checks, 'alerts', stray);
    expect(checks.get('alerts')!.violations.map((v) => v.key)).toEqual([stray]);
  });

  it('alerts: a stray alert for a pair that never had a subscription fails too', async () => {
    const stray = keys.alert('ana', ulid());
    await put([
      [stray, { alertId: stray.split(':')[2], eventId: data.gone, remaining: 1, limit: 5, at: new Date().toISOString(), read: false }],
    ]);
    const { code, checks } = await verifyJson('--settle', '2');
    expect(code).toBe(1);
    expectOnly(checks, 'alerts', stray);
    expect(checks.get('alerts')!.violations[0]!.message).toMatch(/^stray: ana had no subscription to event/);
  });

  it('stats: an event stats key off by one fails, naming the key', async () => {
    await put([[keys.stats(data.live), { ...data.stats, orders: data.stats.orders + 1 }]]);
    const { code, checks } = await verifyJson('--settle', '2');
    expect(code).toBe(1);
    expectOnly(checks, 'stats', keys.stats(data.live));
    expect(checks.get('stats')!.violations[0]!.message).toBe('orders 3 (counted sales give 2)');
  });

  it('orphans: a ticket key of an event that does not exist fails, naming the key', async () => {
    const key = keys.ticket(ulid(), 'pink');
    await put([[key, { total: 10, remaining: 10, price: 100, closed: false }]]);
    const { code, checks } = await verifyJson('--settle', '2');
    expect(code).toBe(1);
    expectOnly(checks, 'orphans', key);
  });

  it('orphans: keys outside every namespace of the schema fail, wherever they sort', async () => {
    // Before the first namespace, between two, and after the last: the pass reads the gaps too.
    const strays = ['0-stray', 'rogue:1', 'zz:stray'];
    await put(strays.map((k): [string, unknown] => [k, 'x']));
    const { code, checks } = await verifyJson('--settle', '2', '--only', 'orphans');
    expect(code).toBe(1);
    expect(checks.get('orphans')!.violations.map((v) => v.key)).toEqual(strays);
  });

  it('a sale the orders consumer has not counted is PENDING, then OK once counted within --settle', async () => {
    // A third sale, as inventory writes it (with the decrement), not yet counted by orders.
    const o3 = ulid();
    const at = new Date().toISOString();
    const sale: SaleRecord = {
      username: 'bob',
      lines: [{ type: 'blue', quantity: 2, unitPrice: 2500 }],
      total: 5000,
      remaining: { blue: 47 },
      at,
    };
    await put([
      [keys.ticket(data.live, 'blue'), { total: 50, remaining: 47, price: 2500, closed: false }],
      [keys.sale(data.live, o3), sale],
    ]);
    const stats = { revenue: data.stats.revenue + 5000, orders: 3, soldByType: { blue: 3, pink: 5 } };
    let counted: Promise<number> | null = null;
    // Counts it (purchase and the event's stats key, one Txn like the consumer) once verify waits for it.
    const run = ticketctl(
      ['verify', '--etcd', sharedCluster().etcdEndpoints.join(','), '--namespace', ns, '--settle', '60', '--only', 'stats,purchases,stock'],
      (stderr) => {
        if (!counted && stderr.includes('verify: pass 2'))
          counted = put([
            [keys.purchase('bob', data.live, o3), { lines: sale.lines, total: sale.total, at, revision: 1 }],
            [keys.stats(data.live), stats],
          ]);
      },
    );
    const res = await run;
    // Verify waited for the count: it was written between its passes.
    expect(counted).not.toBeNull();
    await counted;
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^stats +\d+ +0 +0 +PENDING->OK$/m);
    expect(res.stdout).toMatch(/^purchases +\d+ +0 +0 +PENDING->OK$/m);
    expect(res.stdout).toMatch(/^stock +\d+ +0 +0 +OK$/m);
  });

  it('stats: a legacy stats:all key (totals are summed from the events now, issue 17) fails, naming reconcile --fix', async () => {
    await put([[keys.statsAll(), data.stats]]);
    const { code, checks } = await verifyJson('--settle', '2');
    expect(code).toBe(1);
    expectOnly(checks, 'stats', keys.statsAll());
    expect(checks.get('stats')!.violations[0]!.message).toContain('reconcile -- --fix');
  });

  it('a sale never counted within --settle fails, as still pending', async () => {
    const o3 = ulid();
    const sale: SaleRecord = {
      username: 'bob',
      lines: [{ type: 'blue', quantity: 2, unitPrice: 2500 }],
      total: 5000,
      remaining: { blue: 47 },
      at: new Date().toISOString(),
    };
    await put([
      [keys.ticket(data.live, 'blue'), { total: 50, remaining: 47, price: 2500, closed: false }],
      [keys.sale(data.live, o3), sale],
    ]);
    const { code, checks } = await verifyJson('--settle', '1', '--only', 'stats');
    expect(code).toBe(1);
    expect([...checks.keys()]).toEqual(['stats']);
    expect(checks.get('stats')!.violations).toEqual([
      {
        key: keys.sale(data.live, o3),
        message: expect.stringMatching(/^not counted by the orders consumer yet \(no purchase:bob:.*\); still pending after \d+\.\d s$/),
      },
    ]);
  });

  it('exits 2 on bad usage and 3 when etcd is unreachable', async () => {
    const bad = await verify('--only', 'stock,nonsense');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--only: unknown check(s) nonsense');
    const down = await ticketctl(['verify', '--etcd', 'http://127.0.0.1:1', '--settle', '0']);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/^ticketctl: etcd unavailable/);
  });
});
