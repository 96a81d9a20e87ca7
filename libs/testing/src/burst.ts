/**
 * The on-sale burst (issue 27): on a private stack in the deployed shape (two or more of every
 * service, the background consumers running, the chart's default timeouts and deadlines), one
 * event with one ticket type, logged-in accounts send every order at once over HTTP, each with
 * its own Idempotency-Key and no retry. Each reply's latency counts from the moment its request
 * was sent. A 201 or a 409 SOLD_OUT is an answer; anything else (429, 5xx, other 4xx, a client
 * timeout, a dropped connection) is a failure. Then etcd is audited: 0 oversold.
 * `npm run bench:burst` (bench/src/burst.bench.ts) runs the full size, test/e2e/burst.e2e-spec.ts a
 * CI-sized one: same code. The classification and the checks are pure functions (burst.spec.ts).
 */
import { Rpc, saleRecord, ticketRecord } from '@ticketcd/contracts';
import { createEtcdConnection, scanPrefix, type EtcdConnection } from '@ticketcd/etcd';
import { keys, parseKey, prefixes } from '@ticketcd/keys';
import { connectNats, type NatsConnection } from '@ticketcd/messaging';
import type { Stack } from '@ticketcd/stack';
import { signInUsers } from './accounts.js';
import { UNLIMITED_RATES } from './chaos.js';
import { cpuPer, cpuTiers, stackCpu } from './cpu.js';
import { waitPipelineIdle } from './pipeline.js';
import { testRpcClient } from './rpc.js';
import { deployedInstances, startPrivateStack, stopPrivateStack } from './test-stack.js';
import { ticketctl } from './ticketctl.js';

export interface BurstOptions {
  /** Logged-in accounts; order i is sent by account i % accounts. */
  accounts: number;
  /** Orders sent at once, each for 1..maxQuantity tickets. */
  orders: number;
  /** Tickets of the event's one type. */
  tickets: number;
  maxQuantity: number;
  /** A reply not in by then is a client timeout (a failure); the request is aborted. */
  clientTimeoutMs: number;
  /**
   * Before the burst, every account buys one ticket of another event through each gateway, a few
   * at a time: the services are warm (JIT, connections) and every gateway has read each session,
   * as after the browsing that precedes an on-sale. Not measured.
   */
  warmup: boolean;
  log?: (line: string) => void;
}

export const FULL_BURST: BurstOptions = {
  accounts: 300,
  orders: 3000,
  tickets: 1000,
  maxQuantity: 4,
  clientTimeoutMs: 30_000,
  warmup: true,
};
export const CI_BURST: BurstOptions = { accounts: 30, orders: 300, tickets: 100, maxQuantity: 4, clientTimeoutMs: 60_000, warmup: true };

/** Issue 27's targets for the full burst. */
export const BURST_TARGETS = { p50Ms: 1000, p99Ms: 3000, failures: 0, oversold: 0 };

/** How one reply counts: a sale (201), a sold-out refusal (409 SOLD_OUT), or a failure. */
export type BurstKind = 'sale' | 'sold out' | 'failure';

export interface Classified {
  kind: BurstKind;
  /** What came back, for the table: "201", "409 SOLD_OUT", "429", "504 TIMEOUT", "client timeout", ... */
  label: string;
  /** A sale's order id and tickets, from its 201 body. */
  orderId?: string;
  quantity?: number;
}

export interface BurstReply extends Classified {
  /** From the moment the request was sent to its reply (or its failure). */
  ms: number;
}

/**
 * A reply by its status and parsed body (null: not JSON). Only a 201 whose body is a purchase and
 * a 409 whose error code is SOLD_OUT are answers: any other 409 (CONFLICT) is a failure here,
 * since every order has its own key and the event is not deleted.
 */
export function classifyReply(status: number, body: unknown): Classified {
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
  const label = typeof code === 'string' && status >= 400 ? `${status} ${code}` : String(status);
  if (status === 201) {
    // Only what the checks use (the order id and the tickets), so the figure does not hang on the reply's other fields.
    const p = body as { orderId?: unknown; lines?: { quantity?: unknown }[] } | null;
    const quantities = Array.isArray(p?.lines) ? p.lines.map((l) => l?.quantity) : [];
    if (typeof p?.orderId !== 'string' || quantities.length === 0 || !quantities.every((q) => Number.isInteger(q) && (q as number) > 0))
      return { kind: 'failure', label: '201 without a purchase in its body' };
    return { kind: 'sale', label, orderId: p.orderId, quantity: (quantities as number[]).reduce((n, q) => n + q, 0) };
  }
  if (status === 409 && code === 'SOLD_OUT') return { kind: 'sold out', label };
  return { kind: 'failure', label };
}

/** A request that got no HTTP reply: aborted at the client's timeout, or a connection error. */
export function classifyError(e: unknown): Classified {
  const err = e as { name?: string; cause?: { code?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return { kind: 'failure', label: 'client timeout' };
  return { kind: 'failure', label: `connection error${err.cause?.code ? ` ${err.cause.code}` : ''}` };
}

/** The event's stock as etcd holds it after the burst. */
export interface BurstStore {
  /** The ticket: key of the one type (null: missing). */
  ticket: { total: number; remaining: number } | null;
  /** The event's sale: records: order id and tickets. */
  sales: { orderId: string; quantity: number }[];
}

export interface BurstCheck {
  check: string;
  ok: boolean;
  detail: string;
}

export interface BurstFigures {
  replies: number;
  sales: number;
  soldOut: number;
  failures: number;
  /** Tickets the 201s sold, and the sale: records hold. */
  soldBy201: number;
  soldInStore: number;
  oversold: number;
  /** Replies by label. */
  byLabel: Map<string, number>;
  /** Latency of the answers (201 and 409 SOLD_OUT), and of every reply, failures included. */
  answerP50Ms: number;
  answerP99Ms: number;
  allP99Ms: number;
  maxMs: number;
}

/** The p-th percentile (nearest rank) of unsorted samples; 0 for none. */
export const percentileOf = (xs: readonly number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

/**
 * The burst's correctness checks, from the replies and the store (no timing in them):
 * - 0 oversold: neither the 201s nor the sale: records sold more than the stock, and `remaining` is
 *   not below 0;
 * - remaining consistent: remaining = total - the tickets in the sale: records (invariant 1);
 * - every 201 is a sale: its order id has a sale: record of the same tickets, and no two 201s
 *   share an order id;
 * - a sale without a 201 only for a failed request (no retries: a request that failed may still
 *   have bought; one that got 409 or 201 cannot have bought another sale);
 * - every order answered: a reply per order sent.
 */
export function checkBurst(
  opts: { orders: number; tickets: number },
  replies: readonly BurstReply[],
  store: BurstStore,
): {
  checks: BurstCheck[];
  figures: BurstFigures;
} {
  const byLabel = new Map<string, number>();
  for (const r of replies) byLabel.set(r.label, (byLabel.get(r.label) ?? 0) + 1);
  const sales = replies.filter((r) => r.kind === 'sale');
  const failures = replies.filter((r) => r.kind === 'failure').length;
  const soldBy201 = sales.reduce((n, r) => n + (r.quantity ?? 0), 0);
  const soldInStore = store.sales.reduce((n, s) => n + s.quantity, 0);
  const total = store.ticket?.total ?? 0;
  const remaining = store.ticket?.remaining ?? 0;
  const oversold = Math.max(0, Math.max(soldBy201, soldInStore) - Math.min(total, opts.tickets)) + Math.max(0, -remaining);
  const checks: BurstCheck[] = [];
  const check = (check: string, ok: boolean, detail: string) => checks.push({ check, ok, detail });

  check(
    '0 oversold',
    store.ticket !== null && oversold === 0 && total === opts.tickets,
    store.ticket === null
      ? 'the ticket: key is missing'
      : `${oversold} oversold: the 201s sold ${soldBy201}, the sale: records hold ${soldInStore}, of ${total} tickets (${opts.tickets} put on sale), remaining ${remaining}`,
  );
  check(
    'remaining = total - sold in sale: records',
    store.ticket !== null && remaining === total - soldInStore,
    `remaining ${remaining}, total ${total}, sale: records ${soldInStore} tickets in ${store.sales.length} sales`,
  );

  const inStore = new Map(store.sales.map((s) => [s.orderId, s.quantity]));
  const missing = sales.filter((r) => !inStore.has(r.orderId!));
  const differ = sales.filter((r) => inStore.has(r.orderId!) && inStore.get(r.orderId!) !== r.quantity);
  const twice = sales.length - new Set(sales.map((r) => r.orderId)).size;
  check(
    'every 201 is a sale: record of the same tickets',
    missing.length + differ.length + twice === 0,
    `${sales.length} 201s: ${missing.length} without a sale: record${missing.length ? ` (e.g. ${missing[0]!.orderId})` : ''}, ${differ.length} with other tickets, ${twice} order ids twice`,
  );
  const answered = new Set(sales.map((r) => r.orderId));
  const unanswered = store.sales.filter((s) => !answered.has(s.orderId)).length;
  check(
    'a sale without a 201 only for a failed request',
    unanswered <= failures,
    `${unanswered} sale: records without a 201, ${failures} failed requests`,
  );
  check('a reply for every order sent', replies.length === opts.orders, `${replies.length} replies to ${opts.orders} orders`);

  const answers = replies.filter((r) => r.kind !== 'failure').map((r) => r.ms);
  const all = replies.map((r) => r.ms);
  return {
    checks,
    figures: {
      replies: replies.length,
      sales: sales.length,
      soldOut: replies.filter((r) => r.kind === 'sold out').length,
      failures,
      soldBy201,
      soldInStore,
      oversold,
      byLabel,
      answerP50Ms: percentileOf(answers, 50),
      answerP99Ms: percentileOf(answers, 99),
      allP99Ms: percentileOf(all, 99),
      maxMs: all.reduce((a, b) => Math.max(a, b), 0),
    },
  };
}

/** Order i: 1..maxQuantity tickets, spread evenly (1, 2, 3, 4, 1, ...). */
export const burstQuantity = (i: number, maxQuantity: number) => 1 + (i % maxQuantity);

export interface BurstResult {
  options: BurstOptions;
  instances: Record<string, number>;
  checks: BurstCheck[];
  figures: BurstFigures;
  /** From the first send to the last reply. */
  wallMs: number;
  /** CPU ms per order sent, by process group, from the first send until the background work caught up. */
  cpuPerOrder: Map<string, number>;
  /** etcd write Txns (revisions) from the first send until the background work caught up, per sale and per order sent. */
  writesPerSale: number;
  writesPerOrder: number;
  /** Until the outbox was relayed and the consumers caught up, after the last reply. */
  catchUpMs: number;
  ok: boolean;
}

export async function runBurst(opts: BurstOptions): Promise<BurstResult> {
  const log = opts.log ?? (() => undefined);
  const instances = deployedInstances();
  const stack = await startPrivateStack({
    services: ['gateway', 'catalog', 'inventory', 'orders', 'search-indexer', 'notifier'],
    instances,
    // Twelve service processes starting at once on a shared 2-core machine can take over a minute.
    waitReadyMs: 180_000,
    // Only the rate limits are raised (all orders come from 127.0.0.1, and 300 logins from one
    // address): timeouts, deadlines and the in-flight cap stay at their defaults, as the chart
    // deploys them.
    env: {
      LOG_LEVEL: 'warn',
      ...Object.fromEntries(Object.entries(UNLIMITED_RATES).filter(([k]) => k.startsWith('RATE_'))),
    },
  });
  log(`stack up (${stack.opts.dir})`);
  const etcd = createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 30_000 });
  const rpc = await testRpcClient(stack.nats.url, 30_000);
  let nc: NatsConnection | null = null;
  try {
    nc = await connectNats({ servers: [stack.nats.url], name: 'burst' });
    return { ...(await burstOn(stack, etcd, rpc.client, nc, opts, log)), instances };
  } finally {
    await rpc.close().catch(() => undefined);
    await nc?.close().catch(() => undefined);
    etcd.close();
    await stopPrivateStack(stack);
  }
}

async function burstOn(
  stack: Stack,
  etcd: EtcdConnection,
  rpc: Awaited<ReturnType<typeof testRpcClient>>['client'],
  nc: NatsConnection,
  opts: BurstOptions,
  log: (line: string) => void,
): Promise<Omit<BurstResult, 'instances'>> {
  const run = Math.random().toString(36).slice(2, 8);
  const base = stack.gatewayUrl!;
  // Requests spread over every gateway instance, as the chart's Service spreads connections.
  const gateways = stack.services.filter((x) => x.spec.service === 'gateway').map((x) => x.url);
  // Ticket types come from the catalog's static list.
  const type = 'pink';
  // Through the catalog, so the search indexer and the catalog's readers see it as a real event.
  const createEvent = (name: string, total: number) =>
    rpc.call(Rpc.catalog.createEvent, {
      name,
      description: 'every buyer at once',
      location: 'lisbon',
      type: 'concert',
      date: new Date(Date.now() + 30 * 86400_000).toISOString(),
      maxPerOrder: opts.maxQuantity,
      ticketTypes: [{ type, total, price: 2500 }],
    });
  const { eventId } = await createEvent(`Burst on-sale ${run}`, opts.tickets);
  const users = await signInUsers(base, run, opts.accounts);
  log(`event ${eventId} (${opts.tickets} tickets), ${users.length} accounts signed in`);
  if (opts.warmup) {
    const warm = (await createEvent(`Burst warm-up ${run}`, users.length * gateways.length)).eventId;
    let next = 0;
    let bad = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        for (let n = next++; n < users.length * gateways.length; n = next++) {
          const res = await fetch(`${gateways[n % gateways.length]}/api/orders`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              cookie: users[Math.floor(n / gateways.length)]!.cookie,
              'idempotency-key': `warm-${run}-${n}`,
            },
            body: JSON.stringify({ eventId: warm, lines: [{ type, quantity: 1 }] }),
          }).catch(() => null);
          await res?.arrayBuffer();
          if (res?.status !== 201) bad++;
        }
      }),
    );
    log(`warm-up: ${users.length * gateways.length} orders, one per account and gateway (${bad} not 201)`);
  }
  // Let the event's creation settle (outbox relayed, indexed) so its work is not in the burst's figures.
  await waitPipelineIdle(etcd, nc, {
    outboxes: ['catalog', 'inventory'],
    consumers: [
      { stream: 'INVENTORY', durable: 'orders-tickets-sold' },
      { stream: 'INVENTORY', durable: 'notifier-stock' },
    ],
    timeoutMs: 60_000,
  });

  const revisionNow = async () => Number((await etcd.kv.get('burst:revision-probe').exec()).header.revision);
  const rev0 = await revisionNow();
  const cpu0 = stackCpu(stack);
  const t0 = performance.now();
  const replies: BurstReply[] = [];
  // Every request is started in this one synchronous loop: all are on their way before the first reply is read.
  const sent = Array.from({ length: opts.orders }, async (_, i) => {
    const user = users[i % users.length]!;
    const started = performance.now();
    let c: Classified;
    try {
      const res = await fetch(`${gateways[i % gateways.length]}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: user.cookie, 'idempotency-key': `burst-${run}-${i}` },
        body: JSON.stringify({ eventId, lines: [{ type, quantity: burstQuantity(i, opts.maxQuantity) }] }),
        signal: AbortSignal.timeout(opts.clientTimeoutMs),
      });
      const text = await res.text();
      let body: unknown = null;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: classified by its status
      }
      c = classifyReply(res.status, body);
    } catch (e) {
      c = classifyError(e);
    }
    replies.push({ ...c, ms: performance.now() - started });
  });
  await Promise.all(sent);
  const wallMs = performance.now() - t0;
  log(`${replies.length} replies in ${(wallMs / 1000).toFixed(2)} s`);

  // The background work the burst caused (outbox relay, the orders history, the notifier) is part of its cost.
  const caughtUp = performance.now();
  let pipeline = 'outbox relayed, orders and notifier consumers caught up';
  await waitPipelineIdle(etcd, nc, {
    outboxes: ['inventory'],
    consumers: [
      { stream: 'INVENTORY', durable: 'orders-tickets-sold' },
      { stream: 'INVENTORY', durable: 'notifier-stock' },
    ],
    timeoutMs: 120_000,
    what: 'the burst sales relayed and consumed',
  }).catch((e: Error) => {
    pipeline = `NOT caught up: ${e.message}`;
    log(pipeline);
  });
  const catchUpMs = performance.now() - caughtUp;
  const cpu1 = stackCpu(stack);
  const rev1 = await revisionNow();

  const ticketValue = await etcd.kv.get(keys.ticket(eventId, type)).string();
  const ticket = ticketValue === null ? null : ticketRecord.parse(JSON.parse(ticketValue));
  const sales: BurstStore['sales'] = [];
  for await (const kv of scanPrefix(etcd.kv, prefixes.salesOf(eventId), 2000)) {
    const s = saleRecord.parse(JSON.parse(kv.value));
    const k = parseKey(kv.key);
    if (k.kind !== 'sale') continue;
    sales.push({ orderId: k.orderId, quantity: s.lines.reduce((n, l) => n + l.quantity, 0) });
  }
  const { checks, figures } = checkBurst(opts, replies, { ticket: ticket && { total: ticket.total, remaining: ticket.remaining }, sales });
  checks.push({
    check: 'background work caught up',
    ok: !pipeline.startsWith('NOT'),
    detail: `${pipeline} ${(catchUpMs / 1000).toFixed(1)} s after the last reply`,
  });

  // ticketctl verify over the whole store: stock = sales, and the derived records (history, stats) = sales.
  const verify = await ticketctl({ etcd: stack.etcd.endpoints }, ['verify', '--json', '--only', 'stock,stats,purchases', '--settle', '30']);
  try {
    const report = JSON.parse(verify.stdout) as {
      checks: { name: string; examined: number; status: string; violationCount: number; violations: { key: string; message: string }[] }[];
    };
    for (const c of report.checks)
      checks.push({
        check: `ticketctl verify ${c.name}`,
        ok: c.status === 'OK' && c.violationCount === 0,
        detail: `${c.status}, ${c.examined} examined, ${c.violationCount} violations${c.violations[0] ? `; e.g. ${c.violations[0].key}: ${c.violations[0].message}` : ''}`,
      });
  } catch {
    checks.push({ check: 'ticketctl verify ran', ok: false, detail: `exit ${verify.code}: ${verify.stderr.slice(0, 500)}` });
  }
  return {
    options: opts,
    checks,
    figures,
    wallMs,
    cpuPerOrder: cpuPer(cpu0, cpu1, opts.orders),
    writesPerSale: (rev1 - rev0) / Math.max(1, figures.sales),
    writesPerOrder: (rev1 - rev0) / opts.orders,
    catchUpMs,
    ok: checks.every((c) => c.ok),
  };
}

const num = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The run as text: the figures against the targets, the replies, the CPU table, the checks. */
export function formatBurst(r: BurstResult): string {
  const f = r.figures;
  const o = r.options;
  const t = BURST_TARGETS;
  const tiers = cpuTiers(r.cpuPerOrder);
  const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const lines = [
    `burst: ${num(o.accounts)} accounts send ${num(o.orders)} orders (1-${o.maxQuantity} tickets) at once at one event of ${num(o.tickets)} tickets, no retries`,
    `instances: ${Object.entries(r.instances)
      .map(([s, n]) => `${s} ${n}`)
      .join(', ')}; chart default timeouts and deadlines, rate limits raised; client timeout ${num(o.clientTimeoutMs / 1000)} s`,
    '',
    '| figure | value | target |',
    '|---|--:|---|',
    `| answers p50 (201 or 409 SOLD_OUT, from sending) | ${num(f.answerP50Ms)} ms | <= ${num(t.p50Ms)} ms: ${mark(f.answerP50Ms <= t.p50Ms && f.replies > f.failures)} |`,
    `| answers p99 | ${num(f.answerP99Ms)} ms | <= ${num(t.p99Ms)} ms: ${mark(f.answerP99Ms <= t.p99Ms && f.replies > f.failures)} |`,
    `| every reply p99 / max (failures included) | ${num(f.allP99Ms)} / ${num(f.maxMs)} ms | |`,
    `| failures (429, 5xx, other 4xx, timeout, connection) | ${num(f.failures)} of ${num(f.replies)} | ${t.failures}: ${mark(f.failures === t.failures)} |`,
    `| oversold | ${num(f.oversold)} | ${t.oversold}: ${mark(f.oversold === t.oversold)} |`,
    `| sales (201) / sold out (409) | ${num(f.sales)} / ${num(f.soldOut)} | |`,
    `| tickets sold: by the 201s / in sale: records | ${num(f.soldBy201)} / ${num(f.soldInStore)} of ${num(o.tickets)} | |`,
    `| all replies in after | ${num(r.wallMs)} ms | |`,
    `| background caught up after the last reply | ${num(r.catchUpMs)} ms | |`,
    `| CPU ms per order sent: app tier / etcd x5 / total | ${num(tiers.app, 2)} / ${num(tiers.etcd, 2)} / ${num(tiers.total, 2)} | |`,
    `| etcd write Txns per sale / per order sent | ${num(r.writesPerSale, 2)} / ${num(r.writesPerOrder, 2)} | |`,
    '',
    `replies: ${[...f.byLabel]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}: ${num(v)}`)
      .join(', ')}`,
    `CPU ms per order sent, by process (burst and its catch-up): ${[...r.cpuPerOrder].map(([k, v]) => `${k} ${num(v, 2)}`).join(', ')}`,
    '',
    '| check | ok | detail |',
    '|---|---|---|',
    ...r.checks.map((c) => `| ${c.check} | ${c.ok ? 'ok' : 'FAILED'} | ${c.detail} |`),
    '',
  ];
  return lines.join('\n');
}
