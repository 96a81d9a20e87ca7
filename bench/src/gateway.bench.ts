/**
 * bench/gateway: purchases per second through the HTTP API on one hot event at 1,000 concurrent
 * clients, side by side, in ONE run on one five-member cluster, with where the cost goes:
 *   (c) the group commit: libs/inventory/core in the benchmark's process (the inventory core's rate)
 *   (e) inventory.purchase over NATS to the inventory service process (no orders, no HTTP)
 *   (f) orders.place over NATS: orders service -> inventory service (no HTTP)
 *   (g) POST /api/orders through the gateway: HTTP -> orders -> inventory, driven by autocannon
 *       with 1,000 keep-alive connections, 100 users' sessions shared by 10 connections each, a
 *       fresh Idempotency-Key per request
 *   (s) sell-out: (g) on an event of a few thousand tickets, more orders than it has
 * Like for like with the engine (issue 17): the background consumers (orders' history and stats,
 * the search indexer, the notifier) run during every cell, and after (g) the run waits for the
 * purchase: records (stats:<eventId>) to catch up with the sale: records (target <= 5 s).
 * CPU per purchase per hop: each process's CPU time (/proc/<pid>/stat) over the cell, divided by
 * the cell's sales (its sale: records), so the table says which hop costs what; issue 27's table
 * sums it as the app tier (services + nats-server) and etcd x5, the load generator left out, with
 * write Txns per sale, p99 and the 5xx count.
 * The gateway's rate limits and in-flight cap are set far above the load so that (g) measures
 * throughput, not the limiter; timeouts and deadlines are the chart's defaults. Every cell is
 * closed loop and ends with every reply in (no request cut off); a 5xx is counted, then retried
 * with its key after the cell, so the 201 replies can be checked against the sale: records.
 *   npm run bench:gateway [-- --seconds 4 --connections 1000 --users 100 --no-sellout --cells cef]
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Events, Rpc, saleRecord, statsRecord, ticketRecord, type RpcReply } from '@ticketcd/contracts';
import { createEtcdConnection, scanPrefix, type EtcdConnection } from '@ticketcd/etcd';
import { PurchaseEngine } from '@ticketcd/inventory-core';
import { keys, prefixes } from '@ticketcd/keys';
import { connectNats } from '@ticketcd/messaging';
import { cpuPer, cpuTiers, LOAD_GROUP, seedEvent, stackCpu, startPrivateStack, stopPrivateStack, UNLIMITED_RATES } from '@ticketcd/testing';
import autocannon from 'autocannon';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { monotonicFactory } from 'ulid';
import { closedLoop, fmt, percentile } from './measure.js';

/** Ids for the load, without ulid's default per-character crypto reads (the load generator's CPU is not what is measured). */
const ulid = monotonicFactory(() => Math.random());

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    connections: { type: 'string', default: '1000' },
    users: { type: 'string', default: '100' },
    /** Skip the sell-out cell. */
    'no-sellout': { type: 'boolean', default: false },
    /** Only these of the NATS cells, e.g. "c" (the HTTP cell always runs): shorter runs while working. */
    cells: { type: 'string', default: 'cef' },
    /** NODE_OPTIONS for the service processes (e.g. a profiler preload). */
    'node-options': { type: 'string' },
    /** Seconds of an idle period before the HTTP cell: each process's CPU per second when no order comes. */
    idle: { type: 'string', default: '3' },
  },
});
const CELL_MS = Number(values.seconds) * 1000;
const CONNECTIONS = Number(values.connections);
const USERS = Number(values.users);
const TYPES = ['vip', 'floor', 'balcony'];
const TOTAL = 10_000_000;
const PASSWORD = 'bench-password-1234';
const orderOf = (i: number) => ({ type: TYPES[i % 3]!, quantity: 1 + (Math.floor(i / 3) % 2) });
const plenty = TYPES.map((type) => ({ type, total: TOTAL, price: 1000 }));

/**
 * Rate limits and the in-flight cap far above what 1,000 clients can send, so the limiter is not
 * what is measured. Timeouts and deadlines stay at the chart's defaults (issue 27): a 5xx they
 * cause is counted, not hidden.
 */
const UNLIMITED = { ...UNLIMITED_RATES };

type Path = 'c' | 'e' | 'f' | 'g' | 's';
const LABEL: Record<Path, string> = {
  c: '(c) group commit (inventory core), in-process',
  e: '(e) inventory.purchase via NATS',
  f: '(f) orders.place via NATS (orders -> inventory)',
  g: '(g) POST /api/orders via HTTP (gateway)',
  s: '(s) sell-out via HTTP',
};

interface Row {
  path: Path;
  clients: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  done: number;
  elapsedMs: number;
  /** Replies by kind: "201", "409 SOLD_OUT", "429", "5xx", "error", ... */
  statuses: Map<string, number>;
  accepted: number;
  sales: number;
  sold: number;
  stock: number;
  oversold: number;
  /** Time the cell's background work (outbox relay, orders history) took to drain afterwards. */
  drainMs: number;
  /** CPU ms per sale, by process group, over the cell (not the drain); the load generator is `bench (load)`. */
  cpuPerSale: Map<string, number>;
  /** The same over the cell and its catch-up (outbox relayed, the orders consumer drained). */
  cpuPerSaleWithCatchUp: Map<string, number>;
  /** 5xx replies in the cell (before any retry). */
  fiveHundreds: number;
  /** From the cell's end until stats:<eventId> counted every sold ticket (purchase: records caught up). */
  catchUpMs?: number;
  /** etcd write Txns per sale, background writes included. */
  writesPerSale?: number;
}

/** The load generator's own CPU: reported, but in neither tier. */
const LOAD = LOAD_GROUP;

/** CPU ms so far of every process of the run, grouped: each service, nats, etcd (5 members), the bench itself. */
const cpuSnapshot = (): Map<string, number> => stackCpu(stack, LOAD);

/** Sum and count of ticketcd_rpc_handler_seconds per subject, over every service's /metrics. */
/** Each service's /metrics text at the last handlerTimes() scrape. */
const lastScrape = new Map<string, string>();

/**
 * Each service's event-loop delay between the last two scrapes (prom-client resets it on each), in
 * ms: a request waits that long for its process to get to it, before any handler runs.
 */
function loopDelays(): string {
  return [...lastScrape]
    .map(([service, text]) => {
      const get = (m: string) =>
        Number(new RegExp(`^nodejs_eventloop_lag_${m}_seconds(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1]) * 1000;
      return `${service} p50 ${fmt(get('p50'), 1)} p99 ${fmt(get('p99'), 1)} max ${fmt(get('max'), 1)}`;
    })
    .join('; ');
}

async function handlerTimes(): Promise<Map<string, { sum: number; count: number }>> {
  const m = new Map<string, { sum: number; count: number }>();
  for (const s of stack.services) {
    const text = await fetch(`${s.url}/metrics`)
      .then((r) => r.text())
      .catch(() => '');
    lastScrape.set(s.spec.service, text);
    for (const line of text.split('\n')) {
      const h = /^ticketcd_http_request_seconds_(sum|count)\{([^}]*)\} ([0-9.e+-]+)$/.exec(line);
      const labels = h ? Object.fromEntries([...h[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]])) : {};
      const x = h
        ? ([h[0], h[1], `http ${labels['method']} ${labels['route']}`, h[3]] as const)
        : /^ticketcd_rpc_handler_seconds_(sum|count)\{[^}]*subject="([^"]+)"[^}]*\} ([0-9.e+-]+)$/.exec(line);
      if (!x) continue;
      const e = m.get(x[2]!) ?? { sum: 0, count: 0 };
      e[x[1] as 'sum' | 'count'] += Number(x[3]);
      m.set(x[2]!, e);
    }
  }
  return m;
}

/** The store's revision: every write Txn adds one, so its growth over a cell counts that cell's writes. */
const revision = async () => Number((await etcd.kv.get('bench:revision-probe').exec()).header.revision);
/** Revision when the cell's CPU snapshot was taken (set by cpuSnapshot's callers through markCell). */
let cellStartRevision = 0;
/**
 * gRPC requests every etcd member answered, by method (Range, Txn, Put, LeaseKeepAlive, ...), and
 * the watch events it sent ("Watch sent"): which kind of etcd work a sale costs.
 */
async function etcdRequests(): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (const url of stack.etcd.endpoints) {
    const text = await fetch(`${url}/metrics`)
      .then((r) => r.text())
      .catch(() => '');
    for (const line of text.split('\n')) {
      const x = /^grpc_server_(handled|msg_sent)_total\{([^}]*)\} ([0-9.e+-]+)$/.exec(line);
      const method = x && /grpc_method="([^"]+)"/.exec(x[2]!)?.[1];
      if (!x || !method || (x[1] === 'msg_sent' && method !== 'Watch')) continue;
      const name = x[1] === 'msg_sent' ? 'Watch sent' : method;
      if (name === 'Watch') continue;
      m.set(name, (m.get(name) ?? 0) + Number(x[3]));
    }
  }
  return m;
}
let cellStartRequests = new Map<string, number>();

/**
 * The write Txns between two revisions, by what they wrote: each revision named by the sorted set
 * of its keys' first segments and whether it put or deleted (e.g. "put order+outbox+sale+ticket").
 */
async function writesByKind(from: number, to: number): Promise<Map<string, number>> {
  const byRevision = new Map<number, Set<string>>();
  if (to <= from) return new Map();
  let seen = 0;
  const watcher = await etcd.kv
    .watch()
    .prefix('')
    .startRevision(String(from + 1))
    .create();
  try {
    await new Promise<void>((resolve, reject) => {
      // What arrived by then is reported (a partial count says so through its total).
      const timer = setTimeout(resolve, 20_000);
      watcher.on('data', (res) => {
        for (const e of res.events) {
          const rev = Number(e.kv.mod_revision);
          seen = Math.max(seen, rev);
          if (rev > to) continue;
          const set = byRevision.get(rev) ?? new Set<string>();
          set.add(`${e.type === 'Put' ? 'put' : 'del'} ${e.kv.key.toString().split(':')[0]}`);
          byRevision.set(rev, set);
        }
        if (seen >= to) {
          clearTimeout(timer);
          resolve();
        }
      });
      watcher.on('error', reject);
    });
  } finally {
    await watcher.cancel();
  }
  const kinds = new Map<string, number>();
  for (const set of byRevision.values()) {
    const k = [...set].sort().join('+');
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  return kinds;
}
const markCell = async () => {
  cellStartRevision = await revision();
  cellStartRequests = await etcdRequests();
  return cpuSnapshot();
};

/** Sale records, tickets they hold, tickets taken off `remaining`, and what was on sale. */
async function audit(conn: EtcdConnection, eventId: string) {
  const soldByType = new Map<string, number>();
  let sales = 0;
  for await (const kv of scanPrefix(conn.kv, prefixes.salesOf(eventId), 2000)) {
    sales++;
    for (const l of saleRecord.parse(JSON.parse(kv.value)).lines) soldByType.set(l.type, (soldByType.get(l.type) ?? 0) + l.quantity);
  }
  let stock = 0;
  let sold = 0;
  let oversold = 0;
  for await (const kv of scanPrefix(conn.kv, prefixes.ticketsOf(eventId))) {
    const t = ticketRecord.parse(JSON.parse(kv.value));
    const s = soldByType.get(kv.key.split(':').pop()!) ?? 0;
    stock += t.total;
    sold += s;
    // Tickets sold beyond the stock, or recorded in sales but never taken off `remaining`.
    oversold += Math.max(0, s - t.total) + Math.max(0, s - (t.total - t.remaining));
  }
  return { sales, sold, stock, oversold };
}

const stack = await startPrivateStack({
  // The background consumers run too: HTTP is measured like for like with a real on-sale.
  services: ['gateway', 'catalog', 'inventory', 'orders', 'search-indexer', 'notifier'],
  env: { ...UNLIMITED, ...(values['node-options'] ? { NODE_OPTIONS: values['node-options'] } : {}) },
});
const etcd = createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 30_000 });
const engine = new PurchaseEngine(etcd, { batchMax: 126, maxConflicts: 1000, stateTtlMs: 1000 });
const nc = await connectNats({ servers: [stack.nats.url], name: 'bench-gateway' });
const jsm: JetStreamManager = await jetstreamManager(nc);
const base = stack.gatewayUrl!;
const rows: Row[] = [];

let nextId = 0;
/** A lean client in Nest's wire format, so the load generator's CPU limits the figure little. */
async function rpc(subject: string, data: unknown): Promise<{ status: string; reason?: string }> {
  const msg = await nc.request(subject, JSON.stringify({ pattern: subject, data, id: String(nextId++) }), { timeout: 60_000 });
  const reply = (msg.json() as { response: RpcReply<{ status: string; reason?: string }> }).response;
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.data;
}

/** Waits until inventory's outbox is relayed and orders has consumed every sale (bounded). */
async function drain(): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    let outbox = 0;
    for await (const _ of scanPrefix(etcd.kv, prefixes.outboxOf('inventory'), 1000)) outbox++;
    const ci = await jsm.consumers.info(Events.inventory.ticketsSold.stream, 'orders-tickets-sold').catch(() => null);
    const pending = ci ? ci.num_pending + ci.num_ack_pending : 0;
    if (outbox === 0 && pending === 0) return performance.now() - t0;
    if (performance.now() - t0 > 120_000) {
      process.stderr.write(`  drain: gave up after 120 s (outbox ${outbox}, consumer pending ${pending})\n`);
      return performance.now() - t0;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Registers and logs in `USERS` users; returns their Cookie header values. */
async function sessions(): Promise<string[]> {
  const run = ulid().slice(-8).toLowerCase();
  const cookies: string[] = new Array(USERS);
  const post = (path: string, body: unknown) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  // scrypt costs ~50 ms of the gateway's CPU per hash: a few at a time.
  await closedLoop({
    concurrency: 4,
    maxOrders: USERS,
    maxMs: 10 * 60_000,
    send: async (i) => {
      const username = `buyer-${run}-${i}`;
      // With the chart's default timeouts a loaded machine can time a registration or login out:
      // the setup retries (409: the registration did go through), the measured cells do not.
      let res: Response | undefined;
      for (let attempt = 0; attempt < 5; attempt++) {
        const reg = await post('/api/auth/register', { username, password: PASSWORD });
        await reg.arrayBuffer();
        if (reg.status !== 201 && reg.status !== 409) continue;
        res = await post('/api/auth/login', { username, password: PASSWORD });
        if (res.status === 200) break;
        await res.arrayBuffer();
      }
      if (res?.status !== 200) throw new Error(`login ${username}: ${res?.status}`);
      await res.arrayBuffer();
      const pair = res.headers
        .getSetCookie()
        .map((c) => c.split(';')[0]!)
        .find((c) => c.startsWith('ticketcd_session='));
      if (!pair) throw new Error(`login ${username}: no session cookie`);
      cookies[i] = pair;
      return true;
    },
  });
  if (cookies.filter(Boolean).length !== USERS) throw new Error('not every user could log in');
  return cookies;
}

/**
 * Closed-loop HTTP load on `CONNECTIONS` keep-alive connections: exactly `amount` orders, every
 * reply awaited (a measured cell), or for `seconds`, cutting off what is in flight (the warm-up).
 */
async function httpLoad(eventId: string, cookies: string[], size: { amount: number } | { seconds: number }) {
  const key = ulid();
  let i = 0;
  const latencies: number[] = [];
  const statuses = new Map<string, number>();
  const count = (k: string) => statuses.set(k, (statuses.get(k) ?? 0) + 1);
  const failed: number[] = [];
  const samples: string[] = [];
  const started = performance.now();
  // The promise autocannon returns is also its event emitter (the typings miss that).
  const inst = autocannon({
    url: base,
    connections: CONNECTIONS,
    ...('amount' in size ? { amount: size.amount } : { duration: size.seconds }),
    timeout: 120,
    requests: [
      {
        method: 'POST',
        path: '/api/orders',
        setupRequest: (req, context) => {
          const n = i++;
          (context as { n: number }).n = n;
          return {
            ...req,
            headers: { 'content-type': 'application/json', cookie: cookies[n % cookies.length]!, 'idempotency-key': `${key}-${n}` },
            body: JSON.stringify({ eventId, lines: [orderOf(n)] }),
          };
        },
        // Only to tell a 409 SOLD_OUT from another 409: the body of the rest is not looked at.
        onResponse: (status, body, context) => {
          if (status === 201) count('201');
          else if (status >= 500) {
            count('5xx');
            failed.push((context as { n: number }).n);
            if (samples.length < 3) samples.push(`${status} ${body.slice(0, 300)}`);
          } else if (status === 409) count(`409 ${(JSON.parse(body) as { error: { code: string } }).error.code}`);
          else count(String(status));
        },
      },
    ],
  }) as Promise<autocannon.Result> & NodeJS.EventEmitter;
  // Emitted as (client, status, bytes, ms), whatever the typings say.
  inst.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => latencies.push(responseTime));
  const result = await inst;
  const elapsedMs = performance.now() - started;
  // The cell ends here: the retries below are not part of its CPU.
  const cpuAfter = cpuSnapshot();
  if (result.errors) statuses.set('error', result.errors);
  if (result.timeouts) statuses.set('timeout', result.timeouts);
  for (const x of samples) process.stderr.write(`  a 5xx reply: ${x}\n`);
  // A 5xx (e.g. 504: a hop timed out) may hide a purchase that did commit: a client retries with
  // the same Idempotency-Key, which replays the first outcome. Done here after the cell, untimed,
  // so that the 201s can be checked against the sale records.
  let retried = 0;
  await closedLoop({
    concurrency: 20,
    maxOrders: failed.length,
    maxMs: 120_000,
    send: async (j) => {
      const n = failed[j]!;
      const res = await fetch(`${base}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: cookies[n % cookies.length]!, 'idempotency-key': `${key}-${n}` },
        body: JSON.stringify({ eventId, lines: [orderOf(n)] }),
      });
      await res.arrayBuffer();
      if (res.status === 201) retried++;
      return res.status;
    },
  });
  if (failed.length) statuses.set('5xx then 201 on retry', retried);
  return { latencies, statuses, elapsedMs, done: latencies.length, accepted: (statuses.get('201') ?? 0) + retried, cpuAfter };
}

async function record(
  path: Path,
  clients: number,
  eventId: string,
  r: {
    latencies?: number[];
    p50Ms?: number;
    p99Ms?: number;
    statuses: Map<string, number>;
    elapsedMs: number;
    done: number;
    accepted: number;
    cpuBefore: Map<string, number>;
    /** Taken when the cell's load ended (before any retry); now if not given. */
    cpuAfter?: Map<string, number>;
  },
) {
  const cpuAfter = r.cpuAfter ?? cpuSnapshot();
  const ended = performance.now();
  const a = await audit(etcd, eventId);
  const catchUpMs = await catchUp(eventId, a.sold, ended);
  const drainMs = await drain();
  const cpuDrained = cpuSnapshot();
  // Per sale made in the cell (its sale: records: a 5xx may hide one), the background consumers'
  // writes for them included.
  const endRevision = await revision();
  const writesPerSale = (endRevision - cellStartRevision) / Math.max(1, a.sales);
  const kinds = await writesByKind(cellStartRevision, endRevision).catch((e: Error) => new Map([[`(not read: ${e.message})`, 0]]));
  const kindsPerSale = [...kinds].sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${fmt(v / Math.max(1, a.sales), 3)}`);
  const kindsSeen = [...kinds.values()].reduce((x, y) => x + y, 0);
  if (kindsSeen < endRevision - cellStartRevision) kindsPerSale.push(`(${kindsSeen} of ${endRevision - cellStartRevision} revisions seen)`);
  const requestsNow = await etcdRequests();
  const requestsPerSale = [...requestsNow]
    .map(([k, v]) => [k, (v - (cellStartRequests.get(k) ?? 0)) / Math.max(1, a.sales)] as const)
    .filter(([, v]) => v >= 0.005)
    .sort((x, y) => y[1] - x[1]);
  const row: Row = {
    path,
    clients,
    perSecond: ((r.statuses.get('201') ?? r.accepted) / r.elapsedMs) * 1000,
    p50Ms: r.latencies ? percentile(r.latencies, 50) : r.p50Ms!,
    p99Ms: r.latencies ? percentile(r.latencies, 99) : r.p99Ms!,
    done: r.done,
    elapsedMs: r.elapsedMs,
    statuses: r.statuses,
    accepted: r.accepted,
    drainMs,
    cpuPerSale: cpuPer(r.cpuBefore, cpuAfter, a.sales),
    cpuPerSaleWithCatchUp: cpuPer(r.cpuBefore, cpuDrained, a.sales),
    fiveHundreds: r.statuses.get('5xx') ?? 0,
    catchUpMs,
    writesPerSale,
    ...a,
  };
  rows.push(row);
  process.stderr.write(
    `  ${LABEL[path]} at ${clients}: ${fmt(row.perSecond)}/s, p99 ${fmt(row.p99Ms, 1)} ms, ${statusText(row.statuses)}, sales ${fmt(a.sales)}, oversold ${a.oversold}, purchase: records caught up ${fmt(catchUpMs / 1000, 1)} s after the cell (drained in ${fmt(drainMs / 1000, 1)} s), etcd write Txns per sale ${fmt(writesPerSale, 2)}\n` +
      `  ${LABEL[path]}: etcd requests per sale (all members, background included): ${requestsPerSale.map(([k, v]) => `${k} ${fmt(v, 3)}`).join(', ')}\n` +
      `  ${LABEL[path]}: write Txns per sale by what they wrote: ${kindsPerSale.slice(0, 8).join(', ')}\n`,
  );
}

/** Ms from `since` until stats:<eventId> counts `sold` tickets: every sale has its purchase: record (bounded, 60 s). */
async function catchUp(eventId: string, sold: number, since: number): Promise<number> {
  for (;;) {
    const v = await etcd.kv.get(keys.stats(eventId)).string();
    const counted = v === null ? 0 : Object.values(statsRecord.parse(JSON.parse(v)).soldByType).reduce((x, y) => x + y, 0);
    if (counted >= sold || performance.now() - since > 60_000) return performance.now() - since;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const statusText = (m: Map<string, number>) =>
  [...m]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}: ${fmt(v)}`)
    .join(', ') || '-';

/** (c), (e), (f): closed loop for CELL_MS at CONNECTIONS buyers. */
async function loopCell(path: 'c' | 'e' | 'f') {
  const eventId = await seedEvent(etcd, { maxPerOrder: 10, tickets: plenty });
  const key = ulid();
  const send = async (i: number): Promise<string> => {
    const order = { username: `buyer-${i % USERS}`, eventId, lines: [orderOf(i)] };
    const out =
      path === 'c'
        ? await engine.purchase({ orderId: ulid(), ...order })
        : path === 'e'
          ? await rpc(Rpc.inventory.purchase.subject, { orderId: ulid(), ...order })
          : await rpc(Rpc.orders.place.subject, { ...order, idempotencyKey: `${key}-${i}` });
    return out.status === 'accepted' ? 'accepted' : `refused ${'reason' in out ? out.reason : ''}`;
  };
  const cpuBefore = await markCell();
  const run = await closedLoop({ concurrency: CONNECTIONS, maxOrders: 100_000_000, maxMs: CELL_MS, send });
  const statuses = new Map<string, number>();
  for (const s of run.results) statuses.set(s, (statuses.get(s) ?? 0) + 1);
  if (run.errors) statuses.set('error', run.errors);
  const accepted = statuses.get('accepted') ?? 0;
  await record(path, CONNECTIONS, eventId, {
    p50Ms: run.p50Ms,
    p99Ms: run.p99Ms,
    statuses,
    elapsedMs: run.elapsedMs,
    done: run.orders,
    accepted,
    cpuBefore,
  });
}

try {
  const cookies = await sessions();
  process.stderr.write(`  ${USERS} users registered and logged in\n`);

  // Warm-up (connections, JIT, the gateway's session cache) outside the measurements; its rate
  // sizes the HTTP cell so that it lasts about CELL_MS.
  const warm = await seedEvent(etcd, { tickets: plenty });
  await closedLoop({
    concurrency: 50,
    maxOrders: 2000,
    maxMs: 3000,
    send: async (i) => (await engine.purchase({ orderId: ulid(), username: 'warmup', eventId: warm, lines: [orderOf(i)] })).status,
  });
  const w = await httpLoad(warm, cookies, { seconds: Math.max(3, CELL_MS / 1000) });
  const perConnection = Math.max(5, Math.round(((w.accepted / w.elapsedMs) * CELL_MS) / CONNECTIONS));
  await drain();
  process.stderr.write(
    `  warm-up over HTTP: ${fmt((w.accepted / w.elapsedMs) * 1000)}/s; HTTP cells: ${perConnection} orders per connection\n`,
  );

  for (const p of ['c', 'e', 'f'] as const) if (values.cells.includes(p)) await loopCell(p);
  const hot = await seedEvent(etcd, { maxPerOrder: 10, tickets: plenty });
  // The stack idle (probes, heartbeats, lease renewals, quorum sweeps, consumers' pulls): CPU that
  // a cell pays by its length, not by its sales, so a slower cell pays more of it per sale.
  await drain();
  const idleFrom = cpuSnapshot();
  const idleT0 = performance.now();
  await new Promise((r) => setTimeout(r, Number(values.idle) * 1000));
  const idleRate = cpuPer(idleFrom, cpuSnapshot(), performance.now() - idleT0);
  const timesBefore = await handlerTimes();
  let cpuBefore = await markCell();
  const gLoad = await httpLoad(hot, cookies, { amount: perConnection * CONNECTIONS });
  const timesAfter = await handlerTimes();
  const delays = loopDelays();
  await record('g', CONNECTIONS, hot, { ...gLoad, cpuBefore });
  {
    const g = rows.find((r) => r.path === 'g')!;
    const idlePerSale = new Map([...idleRate].map(([k, v]) => [k, (v * g.elapsedMs) / Math.max(1, g.sales)]));
    const idle = cpuTiers(idlePerSale, [LOAD]);
    const all = cpuTiers(g.cpuPerSale, [LOAD]);
    process.stderr.write(
      `  (g) idle CPU ms per second: ${[...idleRate].map(([k, v]) => `${k} ${fmt(v * 1000, 1)}`).join(', ')}\n` +
        `  (g) of the CPU per sale (${fmt(all.total, 2)} ms), what the stack spends idle over the cell's ${fmt(g.elapsedMs / 1000, 1)} s: ${fmt(idle.total, 2)} ms (app tier ${fmt(idle.app, 2)}, etcd ${fmt(idle.etcd, 2)}); the work of the sales: ${fmt(all.total - idle.total, 2)} ms (app tier ${fmt(all.app - idle.app, 2)}, etcd ${fmt(all.etcd - idle.etcd, 2)})\n`,
    );
  }
  // Where a (g) request's time goes: the mean HTTP latency against the handlers' own means.
  // A subject and its partition subjects (inventory.purchase.<n>) together.
  const mean = (subject: string) => {
    let seconds = 0;
    let count = 0;
    for (const [k, a] of timesAfter) {
      if (k !== subject && !k.startsWith(`${subject}.`)) continue;
      const b = timesBefore.get(k) ?? { sum: 0, count: 0 };
      seconds += a.sum - b.sum;
      count += a.count - b.count;
    }
    return count > 0 ? (seconds / count) * 1000 : NaN;
  };
  process.stderr.write(
    `  (g) mean ms: HTTP ${fmt(gLoad.latencies.reduce((x, y) => x + y, 0) / Math.max(1, gLoad.latencies.length), 1)}, in the gateway ${fmt(mean('http POST /api/orders'), 1)}, orders.place handler ${fmt(mean(Rpc.orders.place.subject), 1)}, inventory.purchase handler ${fmt(mean(Rpc.inventory.purchase.subject), 1)}\n  (g) event-loop delay ms: ${delays}\n`,
  );
  if (!values['no-sellout']) {
    // As many orders as (g), on half the tickets they ask for (1.5 per order on average).
    const perType = Math.max(10, Math.floor((perConnection * CONNECTIONS * 1.5) / 2 / TYPES.length));
    const small = await seedEvent(etcd, { maxPerOrder: 10, tickets: TYPES.map((type) => ({ type, total: perType, price: 1000 })) });
    cpuBefore = await markCell();
    await record('s', CONNECTIONS, small, { ...(await httpLoad(small, cookies, { amount: perConnection * CONNECTIONS })), cpuBefore });
  }

  const rate = (p: Path) => rows.find((r) => r.path === p)?.perSecond ?? NaN;
  const table: (string | number)[][] = [
    ['path', 'clients', 'purchases/s', 'p50 ms', 'p99 ms', 'replies', 'sales', 'sold / stock', 'oversold'],
  ];
  for (const r of rows) {
    const stock = r.stock >= TOTAL ? `${fmt(r.sold)} / ${fmt(r.stock / 1e6)}M` : `${fmt(r.sold)} / ${fmt(r.stock)}`;
    table.push([
      LABEL[r.path],
      fmt(r.clients),
      fmt(r.perSecond),
      fmt(r.p50Ms, 1),
      fmt(r.p99Ms, 1),
      statusText(r.statuses),
      fmt(r.sales),
      stock,
      r.oversold,
    ]);
  }
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => String(r[c]).length)));
  const line = (r: (string | number)[]) => `| ${r.map((v, c) => String(v).padEnd(widths[c]!)).join(' | ')} |`;
  console.log(
    `\nbench/gateway: ${os.cpus().length} cores, etcd x5 + nats-server + gateway, catalog, inventory, orders, search-indexer, notifier (one of each) on 127.0.0.1, ${CELL_MS / 1000} s per cell, ${USERS} users, ${new Date().toISOString()}`,
  );
  console.log(
    `rate limits and the in-flight cap raised so that the run measures throughput (timeouts and deadlines: the chart's defaults): ${Object.entries(
      UNLIMITED,
    )
      .filter(([k]) => k !== 'LOG_LEVEL')
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}\n`,
  );
  console.log(line(table[0]!));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of table.slice(1)) console.log(line(r));
  console.log('');
  for (const r of rows)
    console.log(
      `${LABEL[r.path]}: ${fmt(r.done)} replies in ${fmt(r.elapsedMs / 1000, 2)} s; background drained ${fmt(r.drainMs / 1000, 1)} s after`,
    );
  // CPU ms per sale, per process, in each cell: which hop costs what.
  const groups = [...new Set(rows.flatMap((r) => [...r.cpuPerSale.keys()]))];
  console.log(`\nCPU ms per sale (process CPU over the cell / its sales):\n`);
  console.log(`| cell | ${groups.join(' | ')} | total |`);
  console.log(`|---|${groups.map(() => '---:').join('|')}|---:|`);
  for (const r of rows) {
    const total = [...r.cpuPerSale.values()].reduce((x, y) => x + y, 0);
    console.log(`| ${r.path} | ${groups.map((g) => fmt(r.cpuPerSale.get(g) ?? 0, 2)).join(' | ')} | ${fmt(total, 2)} |`);
  }
  // Issue 27's figures per cell: CPU per sale in every process but the load generator, as the app
  // tier (services and nats-server) and etcd x5, then the same with the cell's catch-up.
  console.log(
    `\nPer cell (issue 27): CPU ms per sale in every process but the load generator (app tier = services + nats-server), etcd write Txns per sale (background writes included), p99, 5xx:\n`,
  );
  console.log('| cell | sales/s | p99 ms | 5xx | CPU app tier | CPU etcd x5 | CPU total | total with catch-up | write Txns / sale |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const t = cpuTiers(r.cpuPerSale, [LOAD]);
    const w = cpuTiers(r.cpuPerSaleWithCatchUp, [LOAD]);
    console.log(
      `| ${LABEL[r.path]} | ${fmt(r.perSecond)} | ${fmt(r.p99Ms)} | ${fmt(r.fiveHundreds)} | ${fmt(t.app, 2)} | ${fmt(t.etcd, 2)} | ${fmt(t.total, 2)} | ${fmt(w.total, 2)} | ${fmt(r.writesPerSale ?? NaN, 2)} |`,
    );
  }
  const g = rows.find((r) => r.path === 'g');
  console.log(
    `\nratios at ${fmt(CONNECTIONS)} clients: g/c (HTTP / engine in-process, same run) = ${fmt(rate('g') / rate('c'), 2)} (target >= 0.35)   e/c = ${fmt(rate('e') / rate('c'), 2)}   f/c = ${fmt(rate('f') / rate('c'), 2)}   g/f = ${fmt(rate('g') / rate('f'), 2)}`,
  );
  if (g) {
    const t = cpuTiers(g.cpuPerSale, [LOAD]);
    const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
    console.log(
      `(g) against issue 27's targets at ${fmt(CONNECTIONS)} clients: CPU per HTTP sale ${fmt(t.total, 2)} ms (app tier ${fmt(t.app, 2)}, etcd ${fmt(t.etcd, 2)}; target <= 1.75: ${met(t.total <= 1.75)}), ${fmt(g.writesPerSale ?? NaN, 2)} write Txns per sale, p99 ${fmt(g.p99Ms / 1000, 2)} s (target <= 2 s: ${met(g.p99Ms <= 2000)}), ${fmt(g.fiveHundreds)} 5xx (target 0: ${met(g.fiveHundreds === 0)})`,
    );
    console.log(
      `(g): purchase: records caught up with sale: records ${fmt((g.catchUpMs ?? 0) / 1000, 1)} s after the cell (target <= 5 s)`,
    );
  }

  const problems: string[] = [];
  for (const r of rows) {
    if (r.oversold !== 0) problems.push(`${LABEL[r.path]}: oversold ${r.oversold}`);
    if (r.accepted !== r.sales) problems.push(`${LABEL[r.path]}: ${r.accepted} accepted replies but ${r.sales} sale records`);
  }
  const s = rows.find((r) => r.path === 's');
  if (s)
    console.log(
      `sell-out: ${fmt(s.sold)} of ${fmt(s.stock)} tickets sold by ${fmt(s.sales)} orders, then ${fmt(s.statuses.get('409 SOLD_OUT') ?? 0)} refused SOLD_OUT`,
    );
  console.log(
    problems.length
      ? `\nPROBLEMS:\n  ${problems.join('\n  ')}`
      : '\nchecks: every cell oversold 0 and its accepted replies (201) = its sale: records',
  );
  if (problems.length) process.exitCode = 1;
} finally {
  await nc.drain();
  etcd.close();
  await stopPrivateStack(stack);
}
