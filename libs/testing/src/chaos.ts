/**
 * Chaos on-sale (issue 18.1, invariants 1-4): buyers over HTTP on a private stack in the deployed
 * shape (issue 25: the chart's two or more instances of every service, three notifiers) while etcd
 * members, inventory, nats-server, the indexers and the notifiers are killed on a schedule; after it heals, checks that nothing was oversold or lost and that the
 * derived data (stats, history, search index, alerts) equals what the sales say. `npm run chaos`
 * (bench/src/chaos.ts) runs the full version, test/e2e/chaos.e2e-spec.ts a CI-sized one: same code.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { Rpc, saleRecord, ticketRecord } from '@ticketcd/contracts';
import { createEtcdConnection, scanPrefix, type EtcdConnection } from '@ticketcd/etcd';
import { keys, parseKey, prefixes } from '@ticketcd/keys';
import { connectNats, type NatsConnection } from '@ticketcd/messaging';
import type { ServiceProcess, Stack } from '@ticketcd/stack';
import { monotonicFactory } from 'ulid';
import { signInUsers } from './accounts.js';
import { consumerBacklog, waitPipelineIdle } from './pipeline.js';
import { testRpcClient } from './rpc.js';
import { deployedInstances, startPrivateStack, stopPrivateStack } from './test-stack.js';
import { ticketctl } from './ticketctl.js';
import { waitFor } from './wait-for.js';

/** Load ids without ulid's per-character crypto reads: the load generator's CPU is not under test. */
const ulid = monotonicFactory(() => Math.random());

export interface ChaosOptions {
  /** Length of the load; the fault schedule is spread over it. */
  seconds: number;
  /** Concurrent buyers (closed loop, each with its own orders). */
  buyers: number;
  /** Registered users the buyers share (scrypt makes each registration cost the gateway ~50 ms). */
  users: number;
  /** Limit subscriptions spread over the events. */
  subscriptions: number;
  /** Seconds between killing the leader and stopping a second member. */
  secondMemberGapS: number;
  /** Tickets on sale per type at the start, and about how many the releases keep on sale per type (topped up every second). */
  initialPerType: number;
  releasePerType: number;
  /** Fail the run when a fault window's failed replies exceed its target (WINDOW_TARGETS); always printed. */
  enforceWindowTargets?: boolean;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

export const FULL_CHAOS: ChaosOptions = {
  seconds: 60,
  buyers: 500,
  users: 100,
  subscriptions: 1000,
  secondMemberGapS: 10,
  initialPerType: 60,
  releasePerType: 20,
  enforceWindowTargets: true,
};

export const CI_CHAOS: ChaosOptions = {
  seconds: 28,
  buyers: 200,
  users: 20,
  subscriptions: 1000,
  secondMemberGapS: 5,
  initialPerType: 40,
  releasePerType: 15,
};

export interface FaultRow {
  fault: string;
  atS: number;
  /** The most frequent failure messages in this window, with their counts. */
  causes: string[];
  /** Replies to requests sent from this fault until the next one, and how many of them failed (5xx, timeout, dropped). */
  replies: number;
  failed: number;
  /** The most failed replies this window may have, in % (issue 25 point 6); undefined: no target. */
  targetPct?: number;
  /** What the buyers saw from this fault until the next one. */
  effect: string;
}

/**
 * Issue 25 point 6: the share of failed replies each fault's window may have. Failed = 5xx, a
 * client timeout or a dropped connection, each retried by the buyer with the same key.
 */
export const WINDOW_TARGETS: Record<FaultKind, number | undefined> = {
  // No fault yet: every buyer arrives at once, as at an on-sale's opening.
  opening: 5,
  leader: 5,
  member: 5,
  inventory: 10,
  nats: 25,
  notifier: undefined,
  consumers: undefined,
  heal: 5,
};
export type FaultKind = 'opening' | 'leader' | 'member' | 'inventory' | 'nats' | 'notifier' | 'consumers' | 'heal';

export interface CheckRow {
  check: string;
  ok: boolean;
  detail: string;
}

export interface ChaosResult {
  faults: FaultRow[];
  checks: CheckRow[];
  ok: boolean;
  summary: string;
  wallS: number;
}

/**
 * The gateway's rate limits and in-flight cap far above any load a run can send (warn-level logs):
 * load runs (chaos, bench:gateway) measure faults and throughput, not the limiter.
 */
export const UNLIMITED_RATES: Record<string, string> = {
  LOG_LEVEL: 'warn',
  RATE_ORDERS_PER_USER: '100000000/1',
  RATE_ORDERS_PER_IP: '100000000/1',
  RATE_LOGIN_PER_IP: '100000000/1',
  RATE_LOGIN_PER_USER: '100000000/1',
  ORDERS_MAX_IN_FLIGHT: '100000',
};

const EVENTS = 3;
const TYPES = ['pink', 'blue', 'green'];
/** Rate limits and the in-flight cap far above the load, as bench:gateway sets them: the run tests faults, not the limiter. */
const SERVICE_ENV: Record<string, string> = {
  ...UNLIMITED_RATES,
  // A killed consumer's unacked messages come back after 3 s instead of 30: healing is bounded by the run.
  NOTIFIER_ACK_WAIT_MS: '3000',
  SEARCH_ACK_WAIT_MS: '3000',
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const jitter = (ms: number) => ms / 2 + Math.random() * ms;

/** A reply as a buyer saw it, by the second of the run it came in. */
interface Reply {
  t: number;
  kind: string;
  ms: number;
  /** A failure's message (the error body's, or the connection error's), for the table of causes. */
  why?: string;
}

interface FaultLogRow {
  kind: FaultKind;
  fault: string;
  atS: number;
  note: string;
}

interface Acked {
  username: string;
  eventId: string;
  orderId: string;
  lines: { type: string; quantity: number; unitPrice: number }[];
  total: number;
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const wallStart = Date.now();
  const log = opts.log ?? (() => undefined);
  const stack = await startPrivateStack({
    services: ['gateway', 'catalog', 'inventory', 'orders', 'search-indexer', 'notifier'],
    // The chart's counts (two or more of each), and three notifiers: one is killed, then the rest.
    instances: deployedInstances({ notifier: 3 }),
    env: SERVICE_ENV,
  });
  log(`stack up in ${((Date.now() - wallStart) / 1000).toFixed(1)} s (${stack.opts.dir})`);
  const etcd = createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 10_000 });
  const rpc = await testRpcClient(stack.nats.url, 10_000);
  let nc: NatsConnection | null = null;
  try {
    nc = await connectNats({ servers: [stack.nats.url], name: 'chaos' });
    const result = await chaosOn(stack, etcd, rpc.client, nc, opts, log);
    return { ...result, wallS: (Date.now() - wallStart) / 1000 };
  } finally {
    await rpc.close().catch(() => undefined);
    await nc?.close().catch(() => undefined);
    etcd.close();
    await stopPrivateStack(stack);
  }
}

async function chaosOn(
  stack: Stack,
  etcd: EtcdConnection,
  rpc: Awaited<ReturnType<typeof testRpcClient>>['client'],
  nc: NatsConnection,
  opts: ChaosOptions,
  log: (line: string) => void,
): Promise<Omit<ChaosResult, 'wallS'>> {
  const base = stack.gatewayUrl!;
  // Buyers spread over every gateway instance, as the chart's Service spreads connections.
  const gateways = stack.services.filter((x) => x.spec.service === 'gateway').map((x) => x.url);
  const run = ulid().slice(-6).toLowerCase();

  // ---- setup: events through the catalog (so the indexer indexes them), users, subscriptions
  const events: string[] = [];
  for (let e = 0; e < EVENTS; e++) {
    const created = await rpc.call(Rpc.catalog.createEvent, {
      name: `Chaos on-sale ${run} ${e + 1}`,
      description: `the chaos run's event number ${e + 1}`,
      location: 'lisbon',
      type: 'concert',
      date: new Date(Date.now() + 30 * 86400_000).toISOString(),
      maxPerOrder: 4,
      ticketTypes: TYPES.map((type) => ({ type, total: opts.initialPerType, price: 2500 })),
    });
    events.push(created.eventId);
  }
  const cookies = await signInUsers(base, run, opts.users);
  log(`${EVENTS} events, ${opts.users} users signed in`);
  const subs: { username: string; eventId: string }[] = [];
  for (let i = 0; i < opts.subscriptions; i += 100) {
    const part = Array.from({ length: Math.min(100, opts.subscriptions - i) }, (_, j) => {
      const n = i + j;
      // Limits over the whole range the event's remaining count takes: crossings early and late in the run.
      return { username: `watcher-${run}-${n}`, eventId: events[n % EVENTS]!, limit: 1 + ((n * 7919) % (opts.initialPerType * 3)) };
    });
    await Promise.all(part.map((s) => rpc.call(Rpc.notifier.putSubscription, s)));
    subs.push(...part);
  }
  log(`${subs.length} subscriptions`);

  // ---- the load
  const t0 = Date.now();
  const nowS = () => (Date.now() - t0) / 1000;
  const loadEnd = t0 + opts.seconds * 1000;
  const retryDeadline = loadEnd + 80_000;
  const replies: Reply[] = [];
  const acked: Acked[] = [];
  const unresolved: string[] = [];
  const totals = new Map<string, number>(events.flatMap((e) => TYPES.map((t) => [`${e}/${t}`, opts.initialPerType] as const)));
  /** The last total each type's release got acknowledged: an acknowledged stock change must stand. */
  const ackedTotals = new Map(totals);
  const known = new Map<string, number>();
  const releaseEnd = t0 + opts.seconds * 750;

  const soldOut = () => [...totals.keys()].every((k) => known.get(k) === 0);
  const pick = () => {
    const open = [...totals.keys()].filter((k) => (known.get(k) ?? 1) > 0);
    const k = open.length ? open[Math.floor(Math.random() * open.length)]! : [...totals.keys()][Math.floor(Math.random() * totals.size)]!;
    const [eventId, type] = k.split('/') as [string, string];
    return { eventId, type, quantity: 1 + Math.floor(Math.random() * Math.min(2, Math.max(1, known.get(k) ?? 2))) };
  };

  const buyer = async (b: number) => {
    // Past the run's length only while something is left (at most 20 s): the sale must end sold out.
    for (let n = 0; Date.now() < loadEnd || (!soldOut() && Date.now() < loadEnd + 20_000); n++) {
      const o = pick();
      const key = `chaos-${run}-${b}-${n}`;
      const cookie = cookies[b % cookies.length]!;
      const username = cookie.username;
      for (let attempt = 0; ; attempt++) {
        if (Date.now() > retryDeadline) {
          unresolved.push(key);
          break;
        }
        const sent = Date.now();
        let kind: string;
        let body: {
          orderId?: string;
          lines?: Acked['lines'];
          total?: number;
          remaining?: Record<string, number>;
          error?: { code: string; message?: string; details?: { remaining?: Record<string, number> } };
        } = {};
        try {
          const res = await fetch(`${gateways[b % gateways.length]}/api/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', cookie: cookie.cookie, 'idempotency-key': key },
            body: JSON.stringify({ eventId: o.eventId, lines: [{ type: o.type, quantity: o.quantity }] }),
            signal: AbortSignal.timeout(15_000),
          });
          const text = await res.text();
          try {
            body = JSON.parse(text) as typeof body;
          } catch {
            // not JSON: counted by status
          }
          kind = res.status === 409 || res.status === 503 ? `${res.status} ${body.error?.code ?? ''}`.trim() : String(res.status);
        } catch (e) {
          const cause = (e as { cause?: { code?: string } }).cause?.code;
          kind = (e as Error).name === 'TimeoutError' ? 'client timeout' : `connection error${cause ? ` ${cause}` : ''}`;
          body = { error: { code: kind, message: `${(e as Error).message}: ${String((e as { cause?: Error }).cause?.message ?? '')}` } };
        }
        replies.push({ t: (sent - t0) / 1000, kind, ms: Date.now() - sent, ...(failedKind(kind) ? { why: body.error?.message } : {}) });
        const remaining = body.remaining ?? body.error?.details?.remaining;
        if (remaining) for (const [type, r] of Object.entries(remaining)) known.set(`${o.eventId}/${type}`, r);
        if (kind === '201') {
          acked.push({ username, eventId: o.eventId, orderId: body.orderId!, lines: body.lines!, total: body.total! });
          break;
        }
        // A refusal or bad input is final; anything else may have committed: retry with the same key, as a client would.
        if (kind.startsWith('4') && kind !== '429') break;
        await sleep(jitter(Math.min(1000, 100 * 2 ** attempt)));
      }
    }
  };

  // Tickets are released while the sale runs: every second the stock is topped up to about
  // `releasePerType` on sale per type (so sales go on through every fault, and stock changes race
  // with the group commits), until 75 % of the run; then it sells out.
  const releases = (async () => {
    let released = 0;
    let failed = 0;
    while (Date.now() < releaseEnd) {
      await sleep(1000);
      await Promise.all(
        events.map(async (eventId) => {
          const a = await rpc.request(Rpc.inventory.availability, { eventId }, { timeoutMs: 3000 });
          if (!a.ok) return void failed++;
          await Promise.all(
            a.data.tickets.map(async (t) => {
              const k = `${eventId}/${t.type}`;
              const total = Math.max(totals.get(k)!, t.total - t.remaining + opts.releasePerType);
              if (total === totals.get(k)) return;
              totals.set(k, total);
              // An absolute total: a retry of a failed or lost release cannot add twice.
              const r = await rpc.request(Rpc.inventory.adjust, { eventId, ticketType: t.type, total }, { timeoutMs: 3000 });
              if (!r.ok) return void failed++;
              released++;
              ackedTotals.set(k, total);
              known.set(k, r.data.remaining);
            }),
          );
        }),
      );
    }
    return { released, failed };
  })();

  // An admin edits the events during the sale, so the indexer has changes to lose when it is killed.
  const edits = (async () => {
    let done = 0;
    let failed = 0;
    for (let n = 0; Date.now() < loadEnd; n++) {
      await sleep(1500);
      const eventId = events[n % EVENTS]!;
      const got = await rpc.request(Rpc.catalog.getEvent, { eventId }, { timeoutMs: 3000 });
      if (!got.ok) {
        failed++;
        continue;
      }
      const r = await rpc.request(
        Rpc.catalog.updateEvent,
        { eventId, expectedVersion: got.data.version, changes: { description: `edited during chaos, edit ${n} word${n % 7}` } },
        { timeoutMs: 3000 },
      );
      if (r.ok) done++;
      else failed++;
    }
    return { done, failed };
  })();

  // The first row is the opening, before any fault: its replies are the baseline of the table.
  const faultLog: FaultLogRow[] = [{ kind: 'opening', fault: 'no fault: the on-sale opens, every buyer at once', atS: 0, note: '' }];
  const faults = runFaults(stack, etcd, nc, opts, t0, faultLog, log);
  const buyers = Promise.all(Array.from({ length: opts.buyers }, (_, b) => buyer(b)));
  const faultOutcome = await faults.catch((e: unknown) => ({
    ok: false,
    detail: `the schedule stopped: ${(e as Error).message.split('\n')[0]}`,
  }));
  await buyers;
  const rel = await releases;
  const ed = await edits;
  log(`load done at ${nowS().toFixed(1)} s: ${replies.length} replies, ${acked.length} acknowledged`);

  // ---- heal: bounded waits on conditions
  const healStart = Date.now();
  let pipelineOk = true;
  let pipelineDetail = '';
  try {
    await waitPipelineIdle(etcd, nc, {
      outboxes: ['inventory', 'catalog', 'notifier'],
      consumers: [
        { stream: 'INVENTORY', durable: 'orders-tickets-sold' },
        { stream: 'INVENTORY', durable: 'notifier-stock' },
        { stream: 'CATALOG', durable: 'search-indexer-catalog' },
      ],
      timeoutMs: 90_000,
      what: 'outboxes relayed and consumers caught up after the faults',
    });
    pipelineDetail = `outboxes empty, consumers caught up ${((Date.now() - healStart) / 1000).toFixed(1)} s after the load`;
  } catch (e) {
    pipelineOk = false;
    const backlog = await Promise.all(
      [
        ['INVENTORY', 'orders-tickets-sold'],
        ['INVENTORY', 'notifier-stock'],
        ['CATALOG', 'search-indexer-catalog'],
      ].map(async ([s, d]) => `${d} ${await consumerBacklog(nc, s!, d!).catch((x: Error) => x.message)}`),
    );
    pipelineDetail = `${(e as Error).message}; backlog: ${backlog.join(', ')}`;
  }
  log(`healed: ${pipelineDetail}`);

  // ---- checks
  const checks: CheckRow[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ check: name, ok, detail });
  check('faults injected and healed', faultOutcome.ok, faultOutcome.detail);
  check('consumers caught up (none stuck)', pipelineOk, pipelineDetail);
  // Asked once the load is over: under 500 buyers on a loaded machine a probe can wait past its 3 s.
  const running = stack.services.filter((x) => x.isRunning());
  const readyAt = Date.now();
  let status = new Map<string, number>();
  try {
    await waitFor(
      async () => {
        status = new Map(await Promise.all(running.map(async (x) => [x.instanceId, await x.readyStatus()] as const)));
        return [...status.values()].every((c) => c === 200);
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'every instance ready' },
    );
    check(
      'every service recovered (/readyz 200)',
      true,
      `${running.length} instances ready ${((Date.now() - readyAt) / 1000).toFixed(1)} s after the checks began`,
    );
  } catch {
    const bad = [...status].filter(([, c]) => c !== 200).map(([id, c]) => `${id} ${c || 'no answer'}`);
    check('every service recovered (/readyz 200)', false, `after 30 s: ${bad.join(', ')}`);
  }

  const tickets = new Map<string, { total: number; remaining: number }>();
  const sold = new Map<string, number>();
  const sales = new Map<string, { lines: Acked['lines']; total: number; username: string }>();
  for (const eventId of events) {
    for await (const kv of scanPrefix(etcd.kv, prefixes.ticketsOf(eventId))) {
      const t = ticketRecord.parse(JSON.parse(kv.value));
      tickets.set(`${eventId}/${kv.key.split(':').pop()}`, { total: t.total, remaining: t.remaining });
    }
    for await (const kv of scanPrefix(etcd.kv, prefixes.salesOf(eventId), 2000)) {
      const s = saleRecord.parse(JSON.parse(kv.value));
      sales.set(kv.key, { lines: s.lines, total: s.total, username: s.username });
      for (const l of s.lines) sold.set(`${eventId}/${l.type}`, (sold.get(`${eventId}/${l.type}`) ?? 0) + l.quantity);
    }
  }
  let oversold = 0;
  let soldTotal = 0;
  let stockTotal = 0;
  for (const [k, t] of tickets) {
    const s = sold.get(k) ?? 0;
    soldTotal += s;
    stockTotal += t.total;
    oversold += Math.max(0, s - t.total) + (t.remaining < 0 ? -t.remaining : 0);
  }
  check('0 tickets oversold', oversold === 0, `${oversold} oversold; ${soldTotal} of ${stockTotal} tickets sold in ${sales.size} sales`);
  // Releases of one type go one at a time with growing totals: the final total is the last
  // acknowledged one, or a later one whose reply was lost; never lower (a write undid it).
  const undone = [...tickets]
    .filter(([k, t]) => t.total < ackedTotals.get(k)! || t.total > totals.get(k)!)
    .map(
      ([k, t]) =>
        `${k.split('/')[1]} of event ${k.split('/')[0]} has total ${t.total}, its last acknowledged release set ${ackedTotals.get(k)}`,
    );
  check(
    'every acknowledged stock release stands',
    undone.length === 0,
    undone.length
      ? `${undone.length} undone, e.g. ${undone.slice(0, 3).join('; ')}`
      : `${tickets.size} types at their last acknowledged total`,
  );
  const notSoldOut = [...tickets].filter(([, t]) => t.remaining !== 0).map(([k, t]) => `${k.split('/')[1]} ${t.remaining} left`);
  check(
    'every type sold out during the run',
    notSoldOut.length === 0,
    notSoldOut.length ? notSoldOut.join(', ') : `${tickets.size} ticket types at 0`,
  );

  let lostSale = 0;
  let differs = 0;
  let lostPurchase = 0;
  const examples: string[] = [];
  for (const a of acked) {
    const s = sales.get(keys.sale(a.eventId, a.orderId));
    if (!s) {
      lostSale++;
      if (examples.length < 5) examples.push(`${keys.sale(a.eventId, a.orderId)} missing`);
      continue;
    }
    if (s.username !== a.username || s.total !== a.total || JSON.stringify(s.lines) !== JSON.stringify(a.lines)) {
      differs++;
      if (examples.length < 5)
        examples.push(`${keys.sale(a.eventId, a.orderId)} is ${JSON.stringify(s)}, the 201 said ${JSON.stringify(a)}`);
    }
    const p = await etcd.kv.get(keys.purchase(a.username, a.eventId, a.orderId)).string();
    if (p === null) {
      lostPurchase++;
      if (examples.length < 5) examples.push(`${keys.purchase(a.username, a.eventId, a.orderId)} missing`);
    }
  }
  const dupOrders = acked.length - new Set(acked.map((a) => a.orderId)).size;
  check(
    '0 acknowledged purchases lost',
    lostSale + lostPurchase + differs + dupOrders === 0,
    `${acked.length} 201s: ${lostSale} without sale:, ${lostPurchase} without purchase:, ${differs} differ from their sale:, ${dupOrders} order ids twice` +
      (examples.length ? `; e.g. ${examples.join('; ')}` : ''),
  );

  // ticketctl verify: stock == sum of sales, stats == sales, history == sales, search == rebuild, alerts == crossings.
  const verify = await ticketctl({ etcd: stack.etcd.endpoints }, [
    'verify',
    '--json',
    '--only',
    'stock,stats,purchases,search,alerts',
    '--settle',
    '30',
  ]);
  const VERIFY_LABEL: Record<string, string> = {
    stock: 'stock == sum of sales per type (verify stock)',
    stats: 'stats == sales (verify stats)',
    purchases: 'purchase: records == sales (verify purchases)',
    search: 'search index == rebuild (verify search)',
    alerts: 'one alert per crossing per subscription (verify alerts)',
  };
  try {
    const report = JSON.parse(verify.stdout) as {
      checks: { name: string; examined: number; status: string; violationCount: number; violations: { key: string; message: string }[] }[];
    };
    for (const c of report.checks)
      check(
        VERIFY_LABEL[c.name] ?? c.name,
        c.violationCount === 0 && c.status === 'OK',
        `${c.status}, ${c.examined} keys, ${c.violationCount} violations` +
          (c.violations.length
            ? `; e.g. ${c.violations
                .slice(0, 3)
                .map((v) => `${v.key}: ${v.message}`)
                .join('; ')}`
            : ''),
      );
  } catch {
    check('ticketctl verify ran', false, `exit ${verify.code}: ${verify.stderr.slice(0, 500)}`);
  }

  // Every subscription crossed (its event sold out): each has an alert, and no (user, event) more than its crossings (verify alerts).
  const alertsOf = new Map<string, number>();
  for await (const kv of scanPrefix(etcd.kv, 'alert:', 2000)) {
    const k = parseKey(kv.key);
    if (k.kind !== 'alert') continue;
    const v = JSON.parse(kv.value) as { eventId: string };
    alertsOf.set(`${k.username}/${v.eventId}`, (alertsOf.get(`${k.username}/${v.eventId}`) ?? 0) + 1);
  }
  const silent = subs.filter((s) => !alertsOf.has(`${s.username}/${s.eventId}`)).length;
  const alertCount = [...alertsOf.values()].reduce((a, b) => a + b, 0);
  check(
    'every subscription alerted (all crossed)',
    silent === 0,
    `${subs.length - silent} of ${subs.length} alerted, ${alertCount} alerts`,
  );

  const fiveHundreds = replies.filter((r) => r.kind === '500').length;
  check('no 500 reply', fiveHundreds === 0, `${fiveHundreds} of ${replies.length} replies`);

  // ---- the table of faults and what the buyers saw meanwhile
  const bounds = [...faultLog.map((f) => f.atS), opts.seconds + 60];
  const faultRows: FaultRow[] = faultLog.map((f, i) => {
    const w = windowOf(replies, f.atS, bounds[i + 1]!);
    return {
      fault: f.fault,
      atS: f.atS,
      replies: w.replies,
      failed: w.failed,
      targetPct: WINDOW_TARGETS[f.kind],
      causes: w.causes,
      effect: f.note ? `${w.effect}; ${f.note}` : w.effect,
    };
  });
  const missed = faultRows.filter((f) => f.targetPct !== undefined && pct(f.failed, f.replies) > f.targetPct);
  const windows = faultRows
    .filter((f) => f.targetPct !== undefined)
    .map((f) => `${f.fault.split(' (')[0]} ${pct(f.failed, f.replies).toFixed(1)} % (<= ${f.targetPct} %)`)
    .join('; ');
  if (opts.enforceWindowTargets) check('failed replies per fault window within target', missed.length === 0, windows);
  // A connection the gateway accepted always gets an HTTP answer (issue 25 point 6).
  const dropped = replies.filter((r) => r.kind.startsWith('connection error'));
  check(
    'every connection answered (0 socket errors)',
    dropped.length === 0,
    dropped.length
      ? `${dropped.length} dropped: ${[...new Set(dropped.map((r) => r.kind))].join(', ')}, sent at ${dropped
          .slice(0, 5)
          .map((r) => r.t.toFixed(1))
          .join(', ')} s…`
      : `0 of ${replies.length} replies`,
  );
  const byKind = new Map<string, number>();
  for (const r of replies) byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + 1);
  const summary =
    `${opts.buyers} buyers (${opts.users} users) for ${opts.seconds} s over HTTP, ${EVENTS} events x ${TYPES.length} types, ${subs.length} subscriptions; ` +
    `replies ${[...byKind]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k}: ${n}`)
      .join(', ')}; ` +
    `${acked.length} orders acknowledged, ${unresolved.length} unresolved at the end of retries; ` +
    `${rel.released} stock releases (${rel.failed} failed, retried at the next tranche), ${ed.done} event edits (${ed.failed} failed)`;
  return { faults: faultRows, checks, ok: checks.every((c) => c.ok), summary };
}

const pct = (part: number, whole: number) => (whole === 0 ? 0 : (100 * part) / whole);
const failedKind = (k: string) => k.startsWith('5') || k === 'client timeout' || k.startsWith('connection error');

/** What the buyers saw between two instants: 5xx, timeouts and drops, the longest gap between 201s, the slowest 201. */
function windowOf(replies: Reply[], from: number, to: number): { replies: number; failed: number; causes: string[]; effect: string } {
  const inWin = replies.filter((r) => r.t >= from && r.t < to);
  const ok = inWin.filter((r) => r.kind === '201');
  let gap = 0;
  let last = from;
  for (const r of [...ok].sort((a, b) => a.t - b.t)) {
    gap = Math.max(gap, r.t - last);
    last = r.t;
  }
  const slowest = ok.reduce((m, r) => Math.max(m, r.ms), 0);
  const kinds = new Map<string, number>();
  for (const r of inWin) if (r.kind !== '201' && !r.kind.startsWith('409')) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
  const failed = inWin.filter((r) => failedKind(r.kind));
  const sentAt = failed.map((r) => r.t);
  const span = failed.length ? ` sent from ${Math.min(...sentAt).toFixed(1)} to ${Math.max(...sentAt).toFixed(1)} s` : '';
  const why = new Map<string, number>();
  // Ids and numbers vary per order: the message's shape is the cause.
  for (const r of failed) {
    const shape = `${r.kind}: ${(r.why ?? '').replace(/[0-9A-HJKMNP-TV-Z]{26}|[0-9a-f]{32,}|\d+/g, '#').slice(0, 160)}`;
    why.set(shape, (why.get(shape) ?? 0) + 1);
  }
  return {
    replies: inWin.length,
    failed: failed.length,
    causes: [...why]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([m, n]) => `${n} x ${m}`),
    effect:
      `${ok.length} 201, ${failed.length} failed${span} (${[...kinds].map(([k, n]) => `${k}: ${n}`).join(', ') || 'none'}) of ${inWin.length}; ` +
      `longest gap between 201s ${gap.toFixed(1)} s, slowest 201 ${(slowest / 1000).toFixed(1)} s`,
  };
}

/**
 * The leader's member index, from each member's own /metrics (`etcd_server_is_leader`) over HTTP:
 * with 500 buyers in this process a gRPC status call can spend its whole deadline before it is
 * even sent, and the schedule would stall on finding the leader.
 */
async function leaderIndex(stack: Stack): Promise<number> {
  return waitFor(
    async () => {
      const answers = await Promise.all(
        stack.etcd.endpoints.map(async (url, i) => {
          try {
            const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
            return /^etcd_server_is_leader 1$/m.test(text) ? i : null;
          } catch {
            return null;
          }
        }),
      );
      const i = answers.find((x) => x !== null);
      // An object: member 0 is a leader too (waitFor takes a falsy value for "not yet").
      return i === undefined ? null : { i };
    },
    { timeoutMs: 30_000, intervalMs: 200, what: 'an etcd leader' },
  ).then((found) => found.i);
}

async function streamsLastSeq(nc: NatsConnection): Promise<Map<string, number>> {
  const jsm = await jetstreamManager(nc);
  const out = new Map<string, number>();
  for (const s of ['CATALOG', 'INVENTORY', 'NOTIFIER']) out.set(s, (await jsm.streams.info(s)).state.last_seq);
  return out;
}

/** The fault schedule, spread over the run; then everything is brought back. */
async function runFaults(
  stack: Stack,
  etcd: EtcdConnection,
  nc: NatsConnection,
  opts: ChaosOptions,
  t0: number,
  faultLog: FaultLogRow[],
  log: (line: string) => void,
): Promise<{ ok: boolean; detail: string }> {
  const at = async (s: number) => {
    const wait = t0 + s * 1000 - Date.now();
    if (wait > 0) await sleep(wait);
  };
  const nowS = () => (Date.now() - t0) / 1000;
  // Each fault goes in at its time; what it did is measured in the background (follow-ups), so a
  // slow measurement never pushes the next fault back.
  const followUps: Promise<void>[] = [];
  const record = (kind: FaultKind, fault: string, atS: number, note: string | Promise<string>) => {
    const row = { kind, fault, atS: Number(atS.toFixed(1)), note: '' };
    faultLog.push(row);
    log(`${atS.toFixed(1)} s: ${fault}`);
    followUps.push(
      Promise.resolve(note).then(
        (n) => void (row.note = n),
        (e: unknown) => void problems.push(`${fault}: ${(e as Error).message.split('\n')[0]}`),
      ),
    );
  };
  const S = opts.seconds;
  const problems: string[] = [];
  const killed: ServiceProcess[] = [];
  const kill9 = async (which: string | ServiceProcess) => {
    const s = typeof which === 'string' ? stack.services.find((x) => x.spec.service === which && x.isRunning())! : which;
    killed.push(s);
    await s.stop('SIGKILL');
    return s.instanceId;
  };

  // Asked ahead: finding the leader takes a status call to each member.
  await at(Math.max(0, S * 0.1 - 3));
  const leader = await leaderIndex(stack);
  await at(S * 0.1);
  let t = nowS();
  await stack.etcd.stopMember(leader, 'SIGKILL', 0);
  const killedAt = Date.now();
  const elected = leaderIndex(stack);
  record(
    'leader',
    `kill -9 etcd leader (etcd-${leader})`,
    t,
    elected.then((i) => `new leader etcd-${i} seen after ${((Date.now() - killedAt) / 1000).toFixed(1)} s`),
  );
  // Spare the new leader if it is known by then; the schedule does not wait for it.
  const newLeader = await Promise.race([elected.catch(() => -1), at(S * 0.1 + opts.secondMemberGapS).then(() => -1)]);

  await at(S * 0.1 + opts.secondMemberGapS);
  const second = [0, 1, 2, 3, 4].find((i) => i !== leader && i !== newLeader)!;
  t = nowS();
  await stack.etcd.stopMember(second, 'SIGTERM');
  record('member', `stop a second member (etcd-${second}): two of five down`, t, 'three of five left: a quorum');

  await at(S * 0.35);
  t = nowS();
  const inv = await kill9('inventory');
  record(
    'inventory',
    `kill -9 one of the inventory instances (${inv})`,
    t,
    'its partitions move to the others when their leases expire (5 s)',
  );

  await at(S * 0.45);
  // Asked with retries: on a saturated machine one JetStream API call can miss its 5 s.
  const before = await waitFor(() => streamsLastSeq(nc), { timeoutMs: 15_000, intervalMs: 200, what: 'JetStream streams' }).catch(
    (e: unknown) => {
      problems.push(`streams before the NATS restart: ${(e as Error).message}`);
      return new Map<string, number>();
    },
  );
  t = nowS();
  await stack.nats.stop();
  const down = Date.now();
  await stack.nats.start();
  const natsDown = (Date.now() - down) / 1000;
  record(
    'nats',
    'restart nats-server (same JetStream store dir)',
    t,
    waitFor(() => streamsLastSeq(nc), { timeoutMs: 20_000, intervalMs: 200, what: 'JetStream streams after the restart' }).then((after) => {
      const shrunk = [...before].filter(([s, seq]) => (after.get(s) ?? -1) < seq);
      if (shrunk.length)
        problems.push(
          `JetStream lost messages across the restart: ${shrunk.map(([s, seq]) => `${s} ${seq} -> ${after.get(s)}`).join(', ')}`,
        );
      return `down ${natsDown.toFixed(1)} s; streams kept (last seq before -> after: ${[...before].map(([s, seq]) => `${s} ${seq}->${after.get(s)}`).join(', ')})`;
    }),
  );

  await at(S * 0.55);
  t = nowS();
  const ntf = await kill9('notifier');
  record('notifier', `kill -9 one of three notifiers (${ntf})`, t, 'the others take its partitions when its lease expires');

  await at(S * 0.62);
  t = nowS();
  const rest = await Promise.all(
    stack.services.filter((x) => ['search-indexer', 'notifier'].includes(x.spec.service) && x.isRunning()).map((x) => kill9(x)),
  );
  record(
    'consumers',
    `kill -9 every search-indexer and the other notifiers (${rest.join(', ')})`,
    t,
    'no instance of either left until the heal',
  );

  await at(S * 0.7);
  t = nowS();
  stack.etcd.startMember(leader);
  stack.etcd.startMember(second);
  const fresh = await Promise.all(killed.map((k) => stack.addInstance(k.spec.service)));
  const members = stack.etcd.waitHealthy(30_000).then(() => nowS() - t);
  const services = Promise.all(fresh.map((s) => s.waitReady(60_000))).then(() => nowS() - t);
  record(
    'heal',
    `bring everything back: restart etcd-${leader} and etcd-${second}, start ${fresh.map((s) => s.instanceId).join(', ')}`,
    t,
    Promise.all([members, services]).then(
      ([m, s]) => `5/5 members healthy after ${m.toFixed(1)} s, new instances ready after ${s.toFixed(1)} s`,
    ),
  );
  await Promise.all(followUps);
  return {
    ok: problems.length === 0,
    detail: problems.length ? problems.join('; ') : `${faultLog.length - 1} faults, all healed`,
  };
}

/** The result as text: the fault table, the check table, the summary, and PASS/FAIL. */
export function formatChaos(r: ChaosResult): string {
  const table = (head: string[], rows: string[][]) => {
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
    return [line(head), `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`, ...rows.map(line)].join('\n');
  };
  return [
    'Faults injected',
    table(
      ['at (s)', 'fault', 'failed / replies', 'target', 'observed until the next fault'],
      r.faults.map((f) => [
        f.atS.toFixed(1),
        f.fault,
        `${f.failed} / ${f.replies} (${pct(f.failed, f.replies).toFixed(1)} %)`,
        f.targetPct === undefined ? '-' : `<= ${f.targetPct} %${pct(f.failed, f.replies) > f.targetPct ? ' MISSED' : ''}`,
        f.effect,
      ]),
    ),
    '',
    'Failure causes per window (most frequent message shapes)',
    ...r.faults.flatMap((f) => (f.causes.length ? [`- ${f.atS.toFixed(1)} s ${f.fault}:`, ...f.causes.map((c) => `    ${c}`)] : [])),
    '',
    'Checks after healing',
    table(
      ['check', 'result', 'detail'],
      r.checks.map((c) => [c.check, c.ok ? 'PASS' : 'FAIL', c.detail]),
    ),
    '',
    r.summary,
    `wall time ${r.wallS.toFixed(1)} s`,
    r.ok ? 'CHAOS: PASS (every check passed)' : `CHAOS: FAIL (${r.checks.filter((c) => !c.ok).length} check(s) failed)`,
    '',
  ].join('\n');
}
