/**
 * bench/soak (issue 18 point 4, not in CI): does the system hold steady under hours-like use?
 * A private stack (etcd x5, nats-server -js, every service) gets `--minutes` (10) of steady mixed
 * traffic over HTTP at a fixed `--rate` (requests/s, open loop): listings, event pages, search,
 * log-ins (and outs), favourites, alert subscriptions, purchases with an Idempotency-Key (a few
 * replayed) across big and scarce events (these sell out; an admin restocks them) and admin edits.
 * Every 2 s each service's RSS (/proc) and V8 heap used (/metrics) is sampled, after a full GC
 * (forced through the service's inspector) in the two windows compared: "before", the median of
 * the 30 s after a warm-up minute, and "after", the median of the last 30 s.
 * Targets: memory growth < 15% per service (RSS and heap used), 0 errors (a 5xx or a network
 * error; expected 4xx such as 409 sold out or 429 are answers). Exit code 0 = PASS.
 *   npm run soak [-- --minutes 10 --rate 30 --users 40 --max-growth 0.15 --samples memory.json]
 */
import { ALL_SERVICES } from '@ticketcd/stack';
import { ApiClient, startPrivateStack, stopPrivateStack, type Stack } from '@ticketcd/testing';
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ulid } from 'ulid';
import { fmt, percentile } from './measure.js';
import { growth, isError, memoryVerdict, promValue, soakPhases, windowMedian, type MemorySample } from './soak-stats.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '30' },
    users: { type: 'string', default: '40' },
    'max-growth': { type: 'string', default: '0.15' },
    'max-in-flight': { type: 'string', default: '400' },
    /** Writes every memory sample (JSON) here, to look at a trend the two windows hide. */
    samples: { type: 'string' },
  },
});
const RATE = Number(values.rate);
const USERS = Number(values.users);
const MAX_GROWTH = Number(values['max-growth']);
const MAX_IN_FLIGHT = Number(values['max-in-flight']);
for (const [k, v] of Object.entries({ RATE, USERS, MAX_GROWTH, MAX_IN_FLIGHT }))
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${k.toLowerCase().replace('_', '-')} must be a positive number`);
const phases = soakPhases(Number(values.minutes));
const SAMPLE_MS = 2000;
const TICK_MS = 20;
const ADMIN = { username: 'admin', password: 'soak-admin-password' };
const WORDS = ['aurora', 'basalt', 'cobalt', 'dune', 'ember', 'fjord', 'granite', 'harbor'];

const stack: Stack = await startPrivateStack({
  services: [...ALL_SERVICES],
  env: {
    LOG_LEVEL: 'warn',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    // One client IP sends everything: the per-IP and per-user limits are for the public, not a soak.
    RATE_LOGIN_PER_IP: '1000000/60',
    RATE_LOGIN_PER_USER: '1000000/60',
    RATE_ORDERS_PER_USER: '1000000/10',
    RATE_ORDERS_PER_IP: '1000000/10',
    // An inspector on a free port (127.0.0.1 only): the soak forces a full GC before each sample of
    // its two windows, so "before" and "after" compare live heaps, not where V8's sawtooth happened to be.
    NODE_OPTIONS: [process.env.NODE_OPTIONS, '--inspect=127.0.0.1:0'].filter(Boolean).join(' '),
  },
});
const base = stack.gatewayUrl!;

interface ActionStats {
  count: number;
  statuses: Map<number, number>;
  latencies: number[];
  errors: string[];
}
const stats = new Map<string, ActionStats>();
/** Errors per minute of the run (from the traffic's start): when they happened. */
const errorMinutes = new Map<number, number>();
let started = performance.now();
const record = (action: string, status: number, ms: number, detail?: string) => {
  const s: ActionStats = stats.get(action) ?? { count: 0, statuses: new Map<number, number>(), latencies: [], errors: [] };
  stats.set(action, s);
  s.count++;
  s.statuses.set(status, (s.statuses.get(status) ?? 0) + 1);
  s.latencies.push(ms);
  if (isError(status)) {
    errorMinutes.set(
      Math.floor((performance.now() - started) / 60_000),
      (errorMinutes.get(Math.floor((performance.now() - started) / 60_000)) ?? 0) + 1,
    );
    if (s.errors.length < 5) s.errors.push(detail ?? String(status));
  }
};
/** One HTTP call, timed and counted under `action`; a thrown fetch (timeout, reset) is status 0. */
async function call<T = unknown>(
  action: string,
  fn: () => Promise<{ status: number; body: T }>,
): Promise<{ status: number; body: T } | null> {
  const s = performance.now();
  try {
    const r = await fn();
    record(action, r.status, performance.now() - s, isError(r.status) ? `${r.status} ${JSON.stringify(r.body).slice(0, 200)}` : undefined);
    return r;
  } catch (e) {
    record(action, 0, performance.now() - s, (e as Error).message);
    return null;
  }
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
const procRss = (pid: number): number | null => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
};

/** A full GC in the service, through its inspector (its URL is in the service's log). */
async function forceGc(logFile: string): Promise<void> {
  const url = [...fs.readFileSync(logFile, 'utf8').matchAll(/Debugger listening on (ws:\/\/\S+)/g)].at(-1)?.[1];
  if (!url) throw new Error(`no inspector URL in ${logFile}`);
  const ws = new WebSocket(url);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('inspector: no answer in 10 s')), 10_000);
      ws.onerror = () => {
        clearTimeout(timer);
        reject(new Error('inspector: connection failed'));
      };
      ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
      ws.onmessage = (m) => {
        if ((JSON.parse(String(m.data)) as { id?: number }).id !== 1) return;
        clearTimeout(timer);
        resolve();
      };
    });
  } finally {
    ws.close();
  }
}

let exitCode = 1;
try {
  // Setup: an admin, events (two big, four scarce that sell out), a pool of signed-in users.
  const admin = await new ApiClient(base).signIn(ADMIN.username, ADMIN.password);
  const lists = (await admin.get('/api/static')).body as { locations: string[]; eventTypes: string[]; ticketTypes: string[] };
  const [typeA, typeB] = [lists.ticketTypes[0]!, lists.ticketTypes[1]!];
  const events: { eventId: string; scarce: boolean }[] = [];
  for (let i = 0; i < 6; i++) {
    const scarce = i >= 2;
    const total = scarce ? 80 : 200_000;
    const r = await admin.post('/api/events', {
      name: `Soak ${WORDS[i]} night ${i}`,
      description: 'A soak test event.',
      location: lists.locations[i % lists.locations.length],
      type: lists.eventTypes[i % lists.eventTypes.length],
      date: new Date(Date.now() + (10 + i) * 86400_000).toISOString(),
      maxPerOrder: 10,
      ticketTypes: [
        { type: typeA, total, price: 2000 + i * 100 },
        { type: typeB, total: Math.ceil(total / 2), price: 5000 + i * 100 },
      ],
    });
    if (r.status !== 201) throw new Error(`create event: ${r.status} ${JSON.stringify(r.body)}`);
    events.push({ eventId: r.body.eventId as string, scarce });
  }
  const users: ApiClient[] = [];
  for (let i = 0; i < USERS; i += 10)
    users.push(
      ...(await Promise.all(Array.from({ length: Math.min(10, USERS - i) }, (_, j) => new ApiClient(base).signIn(`soak-user-${i + j}`)))),
    );
  const usernames = users.map((_, i) => `soak-user-${i}`);
  /** Orders sent, kept for a few replays with the same key (the answer must be the first one's). */
  const recentOrders: { user: ApiClient; key: string; body: unknown }[] = [];
  const someEvent = () => (Math.random() < 0.6 ? pick(events.filter((e) => e.scarce)) : pick(events.filter((e) => !e.scarce))).eventId;

  const actions: [weight: number, name: string, run: () => Promise<unknown>][] = [
    [16, 'list events', () => call('list events', () => pick(users).get(`/api/events?limit=${pick([10, 20, 50])}`))],
    [16, 'event page', () => call('event page', () => pick(users).get(`/api/events/${pick(events).eventId}`))],
    [14, 'search', () => call('search', () => pick(users).get(`/api/search?q=${pick(WORDS).slice(0, 2 + Math.floor(Math.random() * 4))}`))],
    [
      4,
      'log in + out',
      async () => {
        // A fresh session: log in, who am I, log out (a session left behind would be growth by design).
        const c = new ApiClient(base);
        const username = pick(usernames);
        const r = await call('log in', () => c.post('/api/auth/login', { username, password: `${username}-password-long` }));
        if (r?.status !== 200) return;
        await call('who am I', () => c.get('/api/auth/me'));
        await call('log out', () => c.post('/api/auth/logout'));
      },
    ],
    [
      6,
      'favourite',
      () => call('favourite', () => pick(users)[Math.random() < 0.5 ? 'put' : 'delete'](`/api/me/favourites/${pick(events).eventId}`)),
    ],
    [3, 'my favourites', () => call('my favourites', () => pick(users).get('/api/me/favourites'))],
    [
      4,
      'subscribe',
      () =>
        call('subscribe', () =>
          Math.random() < 0.75
            ? pick(users).put(`/api/me/subscriptions/${someEvent()}`, { limit: 1 + Math.floor(Math.random() * 60) })
            : pick(users).delete(`/api/me/subscriptions/${someEvent()}`),
        ),
    ],
    [4, 'my alerts', () => call('my alerts', () => pick(users).get('/api/me/alerts'))],
    [
      20,
      'purchase',
      () => {
        const replay = recentOrders.length > 0 && Math.random() < 0.05 ? pick(recentOrders) : null;
        const order = replay ?? {
          user: pick(users),
          key: ulid(),
          body: {
            eventId: someEvent(),
            lines: [{ type: Math.random() < 0.6 ? typeA : typeB, quantity: 1 + Math.floor(Math.random() * 3) }],
          },
        };
        if (!replay) {
          recentOrders.push(order);
          if (recentOrders.length > 200) recentOrders.shift();
        }
        return call(replay ? 'purchase (replayed key)' : 'purchase', () =>
          order.user.request('POST', '/api/orders', { body: order.body, headers: { 'idempotency-key': order.key } }),
        );
      },
    ],
    [4, 'my purchases', () => call('my purchases', () => pick(users).get('/api/me/purchases'))],
    [
      1,
      'admin edit',
      async () => {
        // Restock a sold-out type of a scarce event (so sell-outs keep happening), else edit a description.
        const { eventId } = pick(events.filter((e) => e.scarce));
        const ev = await call('admin: read event', () => admin.get(`/api/events/${eventId}`));
        if (!ev || ev.status !== 200) return;
        const body = ev.body as { version: number; tickets: { type: string; total: number; remaining: number }[] };
        const soldOut = body.tickets.find((t) => t.remaining === 0);
        if (soldOut)
          await call('admin: restock', () => admin.put(`/api/events/${eventId}/tickets/${soldOut.type}`, { total: soldOut.total + 80 }));
        else
          await call('admin: edit event', () =>
            admin.patch(`/api/events/${eventId}`, {
              expectedVersion: body.version,
              description: `A soak test event, edited at ${new Date().toISOString()}.`,
            }),
          );
      },
    ],
  ];
  const totalWeight = actions.reduce((a, [w]) => a + w, 0);
  const nextAction = () => {
    let r = Math.random() * totalWeight;
    for (const a of actions) if ((r -= a[0]) < 0) return a;
    return actions.at(-1)!;
  };

  // Memory sampler: every service instance, every 2 s, on its own loop (not through the gateway).
  const memory = new Map<string, MemorySample[]>(stack.services.map((s) => [s.instanceId, []]));
  const sampleErrors: string[] = [];
  let sampling = true;
  const t0 = performance.now();
  started = t0;
  errorMinutes.clear();
  const sampler = (async () => {
    while (sampling) {
      const at = performance.now();
      const t = (at - t0) / 1000;
      const inWindow = (t >= phases.warmupS && t <= phases.warmupS + phases.windowS) || t >= phases.totalS - phases.windowS;
      await Promise.all(
        stack.services.map(async (s) => {
          if (inWindow)
            await forceGc(s.logFile).catch((e: unknown) => void sampleErrors.push(`${s.instanceId} GC ${(e as Error).message}`));
          const rss = s.process ? procRss(s.process.pid) : null;
          let heapUsed: number | null = null;
          let loopLagP99: number | null = null;
          try {
            const res = await fetch(`${s.url}/metrics`, { signal: AbortSignal.timeout(5000) });
            const text = await res.text();
            if (res.status !== 200) sampleErrors.push(`${s.instanceId} /metrics ${res.status}`);
            heapUsed = promValue(text, 'nodejs_heap_size_used_bytes');
            loopLagP99 = promValue(text, 'nodejs_eventloop_lag_p99_seconds');
          } catch (e) {
            sampleErrors.push(`${s.instanceId} /metrics ${(e as Error).message}`);
          }
          memory.get(s.instanceId)!.push({ t, rss, heapUsed, loopLagP99 });
        }),
      );
      await new Promise((r) => setTimeout(r, Math.max(0, SAMPLE_MS - (performance.now() - at))));
    }
  })();

  // The traffic: open loop at RATE; over MAX_IN_FLIGHT in flight, a request is counted as not sent.
  let sent = 0;
  let skipped = 0;
  const inFlight = new Set<Promise<void>>();
  const end = t0 + phases.totalS * 1000;
  let lastReport = t0;
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - t0) / 1000) * RATE);
    while (sent + skipped < due) {
      if (inFlight.size >= MAX_IN_FLIGHT) {
        skipped++;
        continue;
      }
      sent++;
      const p: Promise<void> = nextAction()[2]()
        .then(() => undefined)
        .catch((e: unknown) => record('harness', 0, 0, (e as Error).message))
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    if (performance.now() - lastReport >= 60_000) {
      lastReport = performance.now();
      const errs = [...stats.values()].reduce((a, s) => a + [...s.statuses].reduce((b, [st, n]) => b + (isError(st) ? n : 0), 0), 0);
      console.error(`soak: ${fmt((lastReport - t0) / 1000)} s, ${fmt(sent)} requests sent, ${errs} errors, ${inFlight.size} in flight`);
    }
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  await Promise.all(inFlight);
  sampling = false;
  await sampler;
  const elapsedS = (performance.now() - t0) / 1000;
  if (values.samples) fs.writeFileSync(values.samples, JSON.stringify(Object.fromEntries(memory)));

  // Report.
  let requests = 0;
  let errors = 0;
  for (const s of stats.values()) {
    requests += s.count;
    for (const [st, n] of s.statuses) if (isError(st)) errors += n;
  }
  const before = [phases.warmupS, phases.warmupS + phases.windowS] as const;
  const after = [phases.totalS - phases.windowS, phases.totalS] as const;
  const mb = (b: number | null) => (b === null ? 'n/a' : fmt(b / 2 ** 20, 1));
  const pct = (g: number | null) => (g === null ? 'n/a' : `${g >= 0 ? '+' : ''}${fmt(g * 100, 1)}%`);

  console.log(`\nbench/soak: ${os.cpus().length} cores, etcd x5 + nats-server + every service on 127.0.0.1, ${new Date().toISOString()}`);
  console.log(
    `${fmt(phases.totalS / 60, 1)} min of mixed HTTP traffic at ${fmt(RATE)} requests/s (open loop), ${USERS} users, 6 events (4 scarce, restocked by an admin when sold out)`,
  );
  console.log(
    `memory sampled every ${SAMPLE_MS / 1000} s (a full GC first, through the inspector, in the two windows): before = median of ${before[0]}-${before[1]} s (after the warm-up), after = median of ${after[0]}-${after[1]} s\n`,
  );
  console.log(
    '| instance | RSS before (MB) | RSS after (MB) | RSS growth | heap used before (MB) | heap used after (MB) | heap growth | |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---|');
  const verdicts = [...memory].map(([id, samples]) => {
    const b = windowMedian(samples, ...before);
    const a = windowMedian(samples, ...after);
    const v = memoryVerdict(id, growth(b.rss, a.rss), growth(b.heapUsed, a.heapUsed), MAX_GROWTH);
    console.log(
      `| ${id} | ${mb(b.rss)} | ${mb(a.rss)} | ${pct(v.rssGrowth)} | ${mb(b.heapUsed)} | ${mb(a.heapUsed)} | ${pct(v.heapGrowth)} | ${v.pass ? 'ok' : 'FAIL'} |`,
    );
    return v;
  });
  console.log('\n| requests | count | statuses | p50 ms | p99 ms |');
  console.log('|---|---:|---|---:|---:|');
  for (const [name, s] of [...stats].sort((x, y) => y[1].count - x[1].count))
    console.log(
      `| ${name} | ${fmt(s.count)} | ${[...s.statuses]
        .sort((x, y) => x[0] - y[0])
        .map(([st, n]) => `${st === 0 ? 'network error' : st}: ${fmt(n)}`)
        .join(', ')} | ${fmt(percentile(s.latencies, 50), 1)} | ${fmt(percentile(s.latencies, 99), 1)} |`,
    );
  for (const [name, s] of stats) for (const e of s.errors) console.log(`error (${name}): ${e}`);
  if (errorMinutes.size)
    console.log(
      `errors by minute of the run: ${[...errorMinutes]
        .sort((x, y) => x[0] - y[0])
        .map(([m, n]) => `${m + 1}: ${n}`)
        .join(', ')}`,
    );
  for (const [id, samples] of memory) {
    const lags = samples.flatMap((x) => (x.loopLagP99 == null ? [] : [x.loopLagP99 * 1000]));
    if (lags.length)
      console.log(`${id}: event-loop delay p99, worst 2 s sample ${fmt(Math.max(...lags))} ms, median ${fmt(percentile(lags, 50))} ms`);
  }
  if (sampleErrors.length)
    console.log(`memory sampling: ${sampleErrors.length} failed scrapes, e.g. ${sampleErrors.slice(0, 3).join('; ')}`);
  const memoryOk = verdicts.every((v) => v.pass);
  const errorRate = requests ? errors / requests : 0;
  console.log(
    `\n${fmt(requests)} requests in ${fmt(elapsedS)} s (${fmt(requests / elapsedS, 1)}/s; ${fmt(skipped)} not sent, over ${MAX_IN_FLIGHT} in flight), ${fmt(errors)} errors (${fmt(errorRate * 100, 3)}%)`,
  );
  console.log(
    `memory growth < ${fmt(MAX_GROWTH * 100)}% per service: ${
      memoryOk
        ? 'PASS'
        : `FAIL (${verdicts
            .filter((v) => !v.pass)
            .map((v) => v.instanceId)
            .join(', ')})`
    }`,
  );
  console.log(`0 errors: ${errors === 0 ? 'PASS' : 'FAIL'}`);
  const pass = memoryOk && errors === 0 && skipped === 0;
  console.log(`soak: ${pass ? 'PASS' : 'FAIL'}`);
  exitCode = pass ? 0 : 1;
} finally {
  await stopPrivateStack(stack);
}
process.exit(exitCode);
