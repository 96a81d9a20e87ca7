/**
 * bench/reads (issue 27): CPU per request, per process, of the pages everyone refreshes at an
 * on-sale, through the gateway: the event page (GET /api/events/:id, one hot event), the listing
 * (GET /api/events, a page of 20 with availability) and GET /healthz as the baseline (the HTTP
 * edge alone). autocannon, keep-alive connections, closed loop, one cell after the other on one
 * private stack: etcd x5, NATS, one gateway and one catalog (one of each, so a process's CPU is
 * one instance's). Meanwhile the hot event's stock moves (`--writes` ticket writes per second,
 * as inventory's sales would), so the figures include keeping the copies current.
 * CPU per request: each process's CPU time (/proc) over the cell, less what it spends idle (its
 * rate over an idle period of the same stack just before the cells: heartbeats, probes, the
 * writes; on a slow shared machine that is a large share of a cell), divided by the cell's
 * replies; the raw figure (idle not subtracted) is printed too. The ratio column divides each
 * page's total (every process but the load generator) by /healthz's, measured in the same run.
 *   npm run bench:reads [-- --seconds 5 --connections 100 --events 200 --writes 10 --idle 4]
 */
import { createEtcdConnection } from '@ticketcd/etcd';
import { keys } from '@ticketcd/keys';
import { cpuPer, LOAD_GROUP, seedEvent, stackCpu, startPrivateStack, stopPrivateStack, UNLIMITED_RATES, waitFor } from '@ticketcd/testing';
import autocannon from 'autocannon';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { fmt } from './measure.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '100' },
    events: { type: 'string', default: '200' },
    /** Ticket writes per second on the hot event during every cell (0: none). */
    writes: { type: 'string', default: '10' },
    /** Seconds of the idle period whose CPU rate is subtracted from each cell. */
    idle: { type: 'string', default: '4' },
    /** NODE_OPTIONS for the service processes (e.g. --cpu-prof). */
    'node-options': { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const EVENTS = Number(values.events);
const WRITES = Number(values.writes);
const TYPES = ['pink', 'blue', 'green'];
const TOTAL = 1_000_000;
const IDLE_MS = Number(values.idle) * 1000;

const stack = await startPrivateStack({
  services: ['gateway', 'catalog'],
  instances: { gateway: 1, catalog: 1 },
  env: { ...UNLIMITED_RATES, ...(values['node-options'] ? { NODE_OPTIONS: values['node-options'] } : {}) },
});
const etcd = createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 10_000 });
const base = stack.gatewayUrl!;

try {
  process.stdout.write(`seeding ${EVENTS} events of ${TYPES.length} ticket types...\n`);
  const ids: string[] = [];
  for (let i = 0; i < EVENTS; i++)
    ids.push(await seedEvent(etcd, { tickets: TYPES.map((type, j) => ({ type, total: TOTAL, price: 1000 * (j + 1) })) }));
  const hot = ids[0]!;
  // The catalog's copies have every event (the listing is served from them).
  await waitFor(
    async () => {
      const page = (await (await fetch(`${base}/api/events?limit=100`)).json()) as { items: unknown[] };
      const one = await fetch(`${base}/api/events/${hot}`);
      return page.items.length >= Math.min(100, EVENTS) && one.status === 200;
    },
    { timeoutMs: 60_000, what: 'the catalog serving the seeded events' },
  );

  // The hot event's stock moving as inventory's sales would move it.
  let sold = 0;
  let writing = true;
  const writer = (async () => {
    if (WRITES <= 0) return;
    while (writing) {
      sold++;
      const record = { total: TOTAL, remaining: TOTAL - sold, price: 1000, closed: false };
      await etcd.kv.put(keys.ticket(hot, 'pink')).value(JSON.stringify(record)).exec();
      await new Promise((r) => setTimeout(r, 1000 / WRITES));
    }
  })();

  const cells = [
    { name: 'GET /healthz (baseline)', path: '/healthz' },
    { name: 'event page GET /api/events/:id', path: `/api/events/${hot}` },
    { name: 'listing GET /api/events (20)', path: '/api/events?limit=20' },
  ];
  const rows: {
    name: string;
    perSecond: number;
    p50: number;
    p99: number;
    replies: number;
    non2xx: number;
    cpu: Map<string, number>;
    raw: Map<string, number>;
  }[] = [];
  // What the stack spends with no request (per ms), the writes running: subtracted from each cell.
  const idleFrom = stackCpu(stack, LOAD_GROUP);
  const idleT0 = performance.now();
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const idleRate = cpuPer(idleFrom, stackCpu(stack, LOAD_GROUP), performance.now() - idleT0);
  for (const cell of cells) {
    // A short warm-up (JIT, connections), then the measured cell.
    await autocannon({ url: `${base}${cell.path}`, connections: CONNECTIONS, duration: 1 });
    const before = stackCpu(stack, LOAD_GROUP);
    const t0 = performance.now();
    const r = await autocannon({ url: `${base}${cell.path}`, connections: CONNECTIONS, duration: SECONDS });
    const after = stackCpu(stack, LOAD_GROUP);
    const elapsed = performance.now() - t0;
    const replies = r.requests.total;
    const net = new Map(
      [...after].map(([k, v]) => [k, Math.max(0, v - (before.get(k) ?? 0) - (k === LOAD_GROUP ? 0 : (idleRate.get(k) ?? 0) * elapsed))]),
    );
    rows.push({
      name: cell.name,
      perSecond: replies / SECONDS,
      p50: r.latency.p50,
      p99: r.latency.p99,
      replies,
      non2xx: r.non2xx + r.errors + r.timeouts,
      cpu: new Map([...net].map(([k, v]) => [k, v / Math.max(1, replies)])),
      raw: cpuPer(before, after, replies),
    });
    process.stdout.write(`  ${cell.name}: ${fmt(replies / SECONDS)} req/s\n`);
  }
  writing = false;
  await writer;

  const groups = ['gateway', 'catalog', 'nats', 'etcd x5'];
  const total = (cpu: Map<string, number>) => groups.reduce((s, g) => s + (cpu.get(g) ?? 0), 0);
  const baseline = total(rows[0]!.cpu);
  process.stdout.write(
    `\n${os.cpus().length} cores, ${CONNECTIONS} connections, ${SECONDS} s per cell, ${EVENTS} events, ${WRITES} ticket writes/s on the hot event\n`,
  );
  process.stdout.write(
    `idle CPU (ms per s): ${[...groups, LOAD_GROUP].map((g) => `${g} ${fmt((idleRate.get(g) ?? 0) * 1000, 1)}`).join(', ')}\n`,
  );
  process.stdout.write(
    `CPU ms per request, per process, idle subtracted (one gateway, one catalog); "all" = every process but the load generator; "raw all" without subtracting idle\n\n`,
  );
  process.stdout.write(`| path | req/s | p50 ms | p99 ms | non-2xx | ${groups.join(' | ')} | all | x /healthz | raw all | load gen |\n`);
  process.stdout.write(`|---|---:|---:|---:|---:|${groups.map(() => '---:').join('|')}|---:|---:|---:|---:|\n`);
  for (const r of rows) {
    const all = total(r.cpu);
    process.stdout.write(
      `| ${r.name} | ${fmt(r.perSecond)} | ${r.p50} | ${r.p99} | ${r.non2xx} | ${groups.map((g) => fmt(r.cpu.get(g) ?? 0, 3)).join(' | ')} | ${fmt(all, 3)} | ${fmt(all / baseline, 2)} | ${fmt(total(r.raw), 3)} | ${fmt(r.cpu.get(LOAD_GROUP) ?? 0, 3)} |\n`,
    );
  }
  if (rows.some((r) => r.non2xx)) {
    process.stderr.write('some replies were not 2xx\n');
    process.exitCode = 1;
  }
} finally {
  etcd.close();
  await stopPrivateStack(stack);
}
