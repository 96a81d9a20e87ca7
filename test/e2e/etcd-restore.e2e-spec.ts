/**
 * Issue 28 point 5: restore as a tested command (libs/tooling/deploy/dist/etcd-restore.js), in the
 * deployed shape (two of every service). A loaded cluster is snapshotted; orders is stopped and
 * more sales are made (acknowledged; their inventory.tickets.sold events wait in JetStream); etcd
 * is stopped and the snapshot restored into fresh data dirs for the same five members
 * (`etcd-restore member`: etcdutl, revision bumped and marked compacted); `etcd-restore realign`
 * lists the sales the store lost and keeps the consumers from re-creating them; the services start
 * again. Guards: `ticketctl verify` passes, the list is exactly the acknowledged sales after the
 * snapshot, no purchase: record appears for them, the services resume from their stored revisions
 * (a new purchase and the event page after the restore are right: the caches reloaded), and stock
 * equals the snapshot's minus the new sales.
 */
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/nats-core';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { HEADERS, PARKED_STREAM, ticketRecord } from '@ticketcd/contracts';
import { createEtcdConnection, scanPrefix, type EtcdConnection } from '@ticketcd/etcd';
import { keys, parseKey, prefixes } from '@ticketcd/keys';
import { ALL_SERVICES } from '@ticketcd/stack';
import {
  ApiClient,
  deployedInstances,
  startPrivateStack,
  stopPrivateStack,
  ticketctl,
  waitFor,
  waitPipelineIdle,
  consumerBacklog,
  type Stack,
} from '@ticketcd/testing';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const RESTORE_CLI = path.resolve('libs/tooling/deploy/dist/etcd-restore.js');
const DURABLES = ['orders-tickets-sold', 'notifier-stock'];

function run(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [RESTORE_CLI, ...args], { timeout: timeoutMs, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function etcdctl(args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('etcdctl', args, { timeout: timeoutMs, env: { ...process.env, ETCDCTL_API: '3' } }, (err, stdout, stderr) =>
      err ? reject(new Error(`etcdctl ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout),
    ),
  );
}

const SMALL = `
seed: 7
users: { count: 24, adminProbability: 0 }
events:
  count: 3
  dates: { from: +3d, to: +30d }
  maxPerOrder: [6]
  ticketTypesPerEvent: { min: 2, max: 2 }
locations: [lisbon, porto]
eventTypes: [concert]
ticketTypes:
  - { name: pink, price: { min: 10, max: 20 }, total: { min: 200, max: 200 } }
  - { name: blue, price: { min: 20, max: 30 }, total: { min: 200, max: 200 } }
favourites: { probability: 0.3, perUser: { min: 1, max: 2 } }
notifications: { probability: 0.3, perUser: { min: 1, max: 1 }, limit: { min: 5, max: 30 } }
purchases: { perUser: { min: 1, max: 2 }, linesPerOrder: { min: 1, max: 2 }, quantityPerLine: { min: 1, max: 2 } }
`;

const ADMIN = 'restore-admin';
const ADMIN_PASSWORD = 'restore-admin-password';

let stack: Stack;
let etcd: EtcdConnection;
let nc: NatsConnection;
let work: string;

beforeAll(async () => {
  stack = await startPrivateStack({
    services: [...ALL_SERVICES],
    instances: deployedInstances(),
    env: { LOG_LEVEL: 'warn' },
    serviceEnv: { gateway: { ADMIN_USERNAME: ADMIN, ADMIN_PASSWORD } },
  });
  etcd = createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 5000 });
  nc = await connect({ servers: [stack.nats.url], name: 'restore-test' });
  work = path.join(stack.opts.dir, 'restore');
  fs.mkdirSync(work, { recursive: true });
}, 180_000);

afterAll(async () => {
  await nc?.close();
  etcd?.close();
  await stopPrivateStack(stack);
});

async function remainingByTicket(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const kv of scanPrefix(etcd.kv, prefixes.tickets(), 1000)) out.set(kv.key, ticketRecord.parse(JSON.parse(kv.value)).remaining);
  return out;
}

async function purchaseOrderIds(): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const kv of scanPrefix(etcd.kv, prefixes.purchases(), 1000)) {
    const k = parseKey(kv.key);
    if (k.kind === 'purchase') out.add(k.orderId);
  }
  return out;
}

const caughtUp = () =>
  waitPipelineIdle(etcd, nc, {
    outboxes: ['inventory', 'notifier'],
    consumers: DURABLES.map((durable) => ({ stream: 'INVENTORY', durable })),
    timeoutMs: 90_000,
  });

async function buy(api: ApiClient, eventId: string, type: string, quantity: number, key: string) {
  const r = await api.post('/api/orders', { eventId, lines: [{ type, quantity }] }, { 'Idempotency-Key': key });
  if (r.status !== 201) throw new Error(`order ${key}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as { orderId: string };
}

describe('etcd restore from a snapshot (issue 28.5)', () => {
  it('restores into fresh members, lists the lost sales, realigns the consumers; verify passes and the services resume', async () => {
    const target = { etcd: stack.etcd.endpoints, nats: stack.nats.url };
    const gateway = stack.gatewayUrl!;

    // 1. A loaded cluster: accounts, events, subscriptions, sales recorded by orders.
    const cfg = path.join(work, 'small.yaml');
    fs.writeFileSync(cfg, SMALL);
    const creds = path.join(work, 'credentials.csv');
    const pop = await ticketctl(target, ['populate', '--config', cfg, '--credentials', creds, '--json']);
    expect(pop.code).toBe(0);
    await caughtUp();
    const before = await ticketctl(target, ['verify', '--settle', '30']);
    expect({ code: before.code, out: before.code ? before.stdout : '' }).toEqual({ code: 0, out: '' });

    const users = fs
      .readFileSync(creds, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','))
      .slice(0, 4);
    const buyers = await Promise.all(users.map(async ([u, p]) => ({ username: u!, api: await new ApiClient(gateway).signIn(u!, p!) })));
    const tickets = [...(await remainingByTicket()).keys()].map((k) => parseKey(k)).filter((k) => k.kind === 'ticket');
    const ordersInstances = stack.services.filter((s) => s.spec.service === 'orders');

    // 2. Sales made before the snapshot but recorded by orders after it (orders stopped, then
    // started after the snapshot): the consumer acks them, the restore loses their purchase: and
    // stats: records; realign must have them delivered again.
    await Promise.all(ordersInstances.map((s) => s.stop()));
    for (const [i, b] of buyers.slice(0, 2).entries()) {
      const t = tickets[i % tickets.length]!;
      if (t.kind === 'ticket') await buy(b.api, t.eventId, t.ticketType, 1, `kept-${i}`);
    }
    await waitFor(async () => (await consumerBacklog(nc, 'INVENTORY', 'orders-tickets-sold')) >= 2, {
      timeoutMs: 30_000,
      what: 'the kept sales published',
    });

    // 3. The snapshot, and the stock it holds (nothing sells meanwhile).
    const snapshotStock = await remainingByTicket();
    const since = new Date();
    const snapshot = path.join(work, 'snapshot.db');
    await etcdctl([`--endpoints=${stack.etcd.endpoints[0]}`, '--command-timeout=60s', 'snapshot', 'save', snapshot]);
    for (const s of ordersInstances) s.start();
    await Promise.all(ordersInstances.map((s) => s.waitReady(60_000)));
    await caughtUp();

    // 4. Orders stopped again; more sales, acknowledged: their tickets.sold events wait in
    // JetStream. One on an event created after the snapshot (lost too: the indexer indexed it).
    await Promise.all(ordersInstances.map((s) => s.stop()));
    const admin = await new ApiClient(gateway).signIn(ADMIN, ADMIN_PASSWORD);
    const created = await admin.post('/api/events', {
      name: 'Zyzzyva after the snapshot',
      description: 'created after the snapshot, lost with the restore',
      location: 'lisbon',
      type: 'concert',
      date: new Date(Date.now() + 20 * 86400_000).toISOString(),
      maxPerOrder: 6,
      ticketTypes: [{ type: 'pink', total: 50, price: 1000 }],
    });
    expect(created.status).toBe(201);
    const newEventId = (created.body as { eventId: string }).eventId;
    await waitFor(async () => (await admin.get('/api/search?q=zyzzyva')).body.items?.length === 1, {
      timeoutMs: 30_000,
      what: 'the new event indexed',
    });
    const lostSales = new Map<string, { username: string; key: string; quantity: number }>();
    let lateSince = new Date();
    // An account made after the snapshot: it is lost with the restore, the list has no e-mail for it.
    buyers.push({ username: 'after-snapshot', api: await new ApiClient(gateway).signIn('after-snapshot') });
    for (const [i, b] of buyers.entries()) {
      for (let j = 0; j < 2; j++) {
        const t = tickets[(i + j) % tickets.length]!;
        if (t.kind !== 'ticket') continue;
        const quantity = 1 + ((i + j) % 3);
        const r = await buy(b.api, t.eventId, t.ticketType, quantity, `lost-${i}-${j}`);
        lostSales.set(r.orderId, { username: b.username, key: keys.ticket(t.eventId, t.ticketType), quantity });
      }
      if (i === 0) await new Promise((r) => setTimeout(r, 50)); // a moment between lost sales, for the late --since below
      if (i === 0) lateSince = new Date();
    }
    const onNew = await buy(buyers[0]!.api, newEventId, 'pink', 2, 'lost-new-event');
    lostSales.set(onNew.orderId, { username: buyers[0]!.username, key: keys.ticket(newEventId, 'pink'), quantity: 2 });
    await waitFor(async () => (await consumerBacklog(nc, 'INVENTORY', 'orders-tickets-sold')) >= lostSales.size, {
      timeoutMs: 30_000,
      what: 'the lost sales published',
    });

    // 4. Everything stopped; the snapshot restored into fresh data dirs of the same five members.
    await Promise.all(stack.services.map((s) => s.stop()));
    await stack.etcd.stop();
    const size = stack.etcd.size;
    const cluster = Array.from({ length: size }, (_, i) => `${stack.etcd.memberName(i)}=${stack.etcd.peerUrl(i)}`).join(',');
    for (let i = 0; i < size; i++) {
      const dataDir = path.join(stack.etcd.opts.dir, stack.etcd.memberName(i));
      fs.renameSync(dataDir, `${dataDir}.before-restore`);
      const r = await run([
        'member',
        '--snapshot',
        snapshot,
        '--name',
        stack.etcd.memberName(i),
        '--data-dir',
        dataDir,
        '--initial-cluster',
        cluster,
        '--initial-cluster-token',
        stack.etcd.opts.token ?? 'ticketcd',
        '--initial-advertise-peer-urls',
        stack.etcd.peerUrl(i),
      ]);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(/restored revision \d+ \(marked compacted\)/);
    }
    // A data dir that is not empty is refused (never restored over).
    const again = await run([
      'member',
      ...[
        '--snapshot',
        snapshot,
        '--name',
        stack.etcd.memberName(0),
        '--data-dir',
        path.join(stack.etcd.opts.dir, stack.etcd.memberName(0)),
      ],
      ...['--initial-cluster', cluster, '--initial-cluster-token', 'ticketcd', '--initial-advertise-peer-urls', stack.etcd.peerUrl(0)],
    ]);
    expect(again.code).toBe(73);
    await stack.etcd.start(60_000);

    // A lost sale's message parked by its consumer: a replay later must not bring it back.
    const jsm = await jetstreamManager(nc);
    const lastSold = await jsm.streams.getMessage('INVENTORY', { last_by_subj: 'inventory.tickets.sold' });
    const h = headers();
    h.set(HEADERS.parkedSubject, 'inventory.tickets.sold');
    h.set(HEADERS.parkedStream, 'INVENTORY');
    await jetstream(nc).publish('parked.orders-tickets-sold', lastSold!.data, { headers: h, msgID: 'restore-test-parked' });

    // 5. Realign. A --since after the snapshot is refused (the window would miss lost sales); a dry
    // run lists and changes nothing.
    const env = { ETCD_ENDPOINTS: stack.etcd.endpoints.join(','), NATS_URL: stack.nats.url };
    const late = await run(['realign', '--since', lateSince.toISOString(), '--margin-minutes', '0', '--dry-run'], env);
    expect({ code: late.code, stderr: late.stderr }).toEqual({ code: 64, stderr: expect.stringMatching(/--since is after the snapshot/) });
    const inventoryBefore = (await jsm.streams.info('INVENTORY')).state.messages;
    const dry = await run(['realign', '--since', since.toISOString(), '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(new RegExp(`${lostSales.size} order\\(s\\) sold after the snapshot`));
    expect((await jsm.streams.info('INVENTORY')).state.messages).toBe(inventoryBefore);

    // The realign itself: the lost sales listed, the consumers kept from re-creating them.
    const outDir = path.join(work, 'lost');
    const realignStarted = Date.now();
    const realigned = await run(['realign', '--since', since.toISOString(), '--out', outDir, '--json'], env);
    expect({ code: realigned.code, stderr: realigned.stderr }).toEqual({ code: 0, stderr: '' });
    const report = JSON.parse(realigned.stdout) as {
      storeRevision: number;
      lostOrders: { orderId: string; username: string; email: string | null; eventId: string; eventName: string | null }[];
      consumers: { durable: string; startSeq: number | null }[];
    };
    process.stdout.write(
      `realign took ${Date.now() - realignStarted} ms: ${JSON.stringify({ ...report, lostOrders: report.lostOrders.length })}\n`,
    );
    expect(report.storeRevision).toBeGreaterThan(1_000_000_000);
    expect((await jsm.streams.info(PARKED_STREAM)).state.messages).toBe(0);
    expect(report.lostOrders.map((o) => o.orderId).sort()).toEqual([...lostSales.keys()].sort());
    for (const o of report.lostOrders) {
      expect(o.username).toBe(lostSales.get(o.orderId)!.username);
      expect(o.email === null).toBe(o.username === 'after-snapshot');
      expect(o.eventName === null).toBe(o.eventId === newEventId);
    }
    const csv = fs.readFileSync(path.join(outDir, 'lost-orders.csv'), 'utf8').trim().split('\n');
    expect(csv.length).toBe(lostSales.size + 1);

    // 6. The services again, from their stored revisions.
    for (const s of stack.services) s.start();
    await Promise.all(stack.services.map((s) => s.waitReady(90_000)));
    await caughtUp();
    const purchases = await purchaseOrderIds();
    expect([...lostSales.keys()].filter((id) => purchases.has(id))).toEqual([]);
    const after = await ticketctl(target, ['verify', '--settle', '30']);
    expect({ code: after.code, out: after.code ? after.stdout : '' }).toEqual({ code: 0, out: '' });
    expect(await remainingByTicket()).toEqual(snapshotStock);
    expect((await new ApiClient(gateway).get('/api/search?q=zyzzyva')).body.items).toEqual([]);

    // 7. They resume: a new sale is recorded, the page shows it (the caches reloaded past the restore).
    const t = tickets[0]!;
    if (t.kind !== 'ticket') throw new Error('no ticket');
    const api = await new ApiClient(gateway).signIn(users[0]![0]!, users[0]![1]!);
    const fresh = await buy(api, t.eventId, t.ticketType, 2, 'after-restore');
    const key = keys.ticket(t.eventId, t.ticketType);
    await waitFor(async () => (await purchaseOrderIds()).has(fresh.orderId), { timeoutMs: 30_000, what: 'the new sale recorded' });
    await waitFor(
      async () => {
        const page = await api.get(`/api/events/${t.eventId}`);
        return (
          page.status === 200 &&
          page.body.tickets.find((x: { type: string }) => x.type === t.ticketType)?.remaining === snapshotStock.get(key)! - 2
        );
      },
      { timeoutMs: 30_000, what: 'the event page shows the new sale' },
    );
    expect(await remainingByTicket()).toEqual(new Map([...snapshotStock, [key, snapshotStock.get(key)! - 2]]));
    await caughtUp();
    const last = await ticketctl(target, ['verify', '--settle', '30']);
    expect({ code: last.code, out: last.code ? last.stdout : '' }).toEqual({ code: 0, out: '' });
  });
});
