/**
 * bench/inventory-hot-event: one hot event, in ONE run on one five-member cluster, at 1, 100 and
 * 1,000 concurrent buyers:
 *   (a) the report's read-modify-write: get, check, put (no compare); counts what it oversold
 *   (b) a CAS retry loop: get, then put only if the ticket key's mod revision is unchanged
 *   (c) the group commit: libs/inventory/core, the code the inventory service runs, in-process
 *   (d) the bare limit: Txns of 127 trivial puts per second, x 127
 *   (f) the minimal group commit of issue 17 (inventory-minimal-commit.ts): the baseline (c) must beat
 * plus (e) end to end: purchases over NATS to an inventory service process, at 1,000 buyers,
 * and (g) sold-out refusals of the engine (issue 17 point 6), at the highest level.
 * The buyers of (c), (f) and (g) run in their own thread (inventory-loadgen.worker.ts), not on
 * the event loop of the code measured. Prints purchases/s, p50/p99 latency, oversold tickets,
 * and the ratios c/b, c/d and c/f (a path measured several times at a level counts its median).
 *   npm run bench:inventory [-- --seconds 4 --levels 1,100,1000 --paths d,a,b,c,f --no-e2e]
 * Issue 17's figures: --levels 100,1000 --paths d,c,f,d,f,c,d --no-e2e (the baseline (f) and the
 * bare limit (d) beside the engine, in both orders; d the median of three).
 */
import { Rpc, saleRecord, ticketRecord, type RpcReply, type RpcRequest } from '@ticketcd/contracts';
import { createEtcdConnection, scanPrefix, unconditionalTxn, type EtcdConnection } from '@ticketcd/etcd';
import { PurchaseEngine } from '@ticketcd/inventory-core';
import { keys, prefixes } from '@ticketcd/keys';
import { Worker } from 'node:worker_threads';
import { connectNats } from '@ticketcd/messaging';
import { saleCount, seedEvent, startPrivateStack, stopPrivateStack } from '@ticketcd/testing';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ulid } from 'ulid';
import { MinimalGroupCommit } from './inventory-minimal-commit.js';
import type { LoadgenAnswers, LoadgenDone, LoadgenOrders, LoadgenRun } from './inventory-loadgen.worker.js';
import { closedLoop, fmt, type RunResult } from './measure.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    levels: { type: 'string', default: '1,100,1000' },
    paths: { type: 'string', default: 'd,a,b,c,f' },
    pipeline: { type: 'string', default: '1' },
    'no-e2e': { type: 'boolean', default: false },
    'no-soldout': { type: 'boolean', default: false },
  },
});
const CELL_MS = Number(values.seconds) * 1000;
const LEVELS = values.levels.split(',').map(Number);
const PATHS = values.paths.split(',') as ('a' | 'b' | 'c' | 'd' | 'f')[];
const TYPES = ['vip', 'floor', 'balcony'];
const TOTAL = 10_000_000;
const BARE_SENDERS = 32;
const orderOf = (i: number) => ({ type: TYPES[i % 3]!, quantity: 1 + (i % 2) });

type Path = 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g';
const LABEL: Record<Path, string> = {
  a: '(a) read-modify-write (report)',
  b: '(b) CAS retry loop',
  c: '(c) group commit (inventory core)',
  d: '(d) bare limit: 127-op Txns x 127',
  e: '(e) group commit via NATS, service process',
  f: '(f) minimal group commit (baseline)',
  g: '(g) sold-out refusals (inventory core)',
};

function saleValue(eventId: string, orderId: string, type: string, quantity: number, price: number, remaining: number) {
  return JSON.stringify(
    saleRecord.parse({
      username: 'bench-buyer',
      lines: [{ type, quantity, unitPrice: price }],
      total: quantity * price,
      remaining: { [type]: remaining },
      at: new Date().toISOString(),
    }),
  );
}

/** (a) The report's purchase: read, check, write back. Concurrent buyers overwrite each other. */
async function readModifyWrite(conn: EtcdConnection, eventId: string, i: number): Promise<boolean> {
  const { type, quantity } = orderOf(i);
  const key = keys.ticket(eventId, type);
  const t = ticketRecord.parse(JSON.parse((await conn.kv.get(key).string())!));
  if (t.remaining < quantity) return false;
  const orderId = ulid();
  await conn.kv.put(key).value(JSON.stringify({ ...t, remaining: t.remaining - quantity }));
  await conn.kv.put(keys.sale(eventId, orderId)).value(saleValue(eventId, orderId, type, quantity, t.price, t.remaining - quantity));
  return true;
}

/** (b) Compare-and-swap on the ticket key, retried until it wins. */
async function casLoop(conn: EtcdConnection, eventId: string, i: number, deadline: number): Promise<boolean> {
  const { type, quantity } = orderOf(i);
  const key = keys.ticket(eventId, type);
  const orderId = ulid();
  const ns = conn.kv;
  for (;;) {
    // Bounded like every load here: past the cell's end a losing buyer gives up (an error).
    if (performance.now() > deadline) throw new Error('gave up: cell over');
    const kv = (await ns.get(key).exec()).kvs[0]!;
    const t = ticketRecord.parse(JSON.parse(kv.value.toString()));
    if (t.remaining < quantity) return false;
    const res = await ns
      .if(key, 'Mod', '==', kv.mod_revision)
      .and(keys.sale(eventId, orderId), 'Create', '==', 0)
      .then(
        ns.put(key).value(JSON.stringify({ ...t, remaining: t.remaining - quantity })),
        ns.put(keys.sale(eventId, orderId)).value(saleValue(eventId, orderId, type, quantity, t.price, t.remaining - quantity)),
      )
      .commit();
    if (res.succeeded) return true;
  }
}

/** (d) 127 trivial puts in one Txn; counts as 127. */
async function bareTxn(conn: EtcdConnection, i: number): Promise<boolean> {
  const ns = conn.kv;
  await unconditionalTxn(ns)
    .then(...Array.from({ length: 127 }, (_, j) => ns.put(`bench:bare:${i % 1000}:${j}`).value('1')))
    .commit();
  return true;
}

/** Tickets sold per sale records minus tickets taken off `remaining`: > 0 means oversold. */
async function oversold(conn: EtcdConnection, eventId: string): Promise<number> {
  const sold = new Map<string, number>();
  for await (const kv of scanPrefix(conn.kv, prefixes.salesOf(eventId), 2000)) {
    for (const l of saleRecord.parse(JSON.parse(kv.value)).lines) sold.set(l.type, (sold.get(l.type) ?? 0) + l.quantity);
  }
  let over = 0;
  for await (const kv of scanPrefix(conn.kv, prefixes.ticketsOf(eventId))) {
    const t = ticketRecord.parse(JSON.parse(kv.value));
    over += Math.max(0, (sold.get(kv.key.split(':').pop()!) ?? 0) - (t.total - t.remaining));
  }
  return over;
}

const stack = await startPrivateStack({ services: values['no-e2e'] ? false : ['inventory'], env: { LOG_LEVEL: 'warn' } });
const etcd = createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 30_000 });
// The service's default PURCHASE_BATCH_MAX: as many orders as the event's Txn holds (124 for 3 types).
const engine = new PurchaseEngine(etcd, { batchMax: 126, maxConflicts: 1000, stateTtlMs: 1000, pipeline: Number(values.pipeline) });
const results: { path: Path; level: number; run: RunResult<boolean>; oversold: number | null; factor: number }[] = [];
const plenty = TYPES.map((type) => ({ type, total: TOTAL, price: 1000 }));

/** The load generator thread of (c), (f) and (g); this thread only runs the purchase path. */
const loadgen = new Worker(new URL('./inventory-loadgen.worker.js', import.meta.url));
let place: (o: LoadgenOrders['orders'][number]) => Promise<boolean> = () => Promise.reject(new Error('no cell running'));
let cellDone: ((d: LoadgenDone) => void) | null = null;
let answers: LoadgenAnswers['answers'] = [];
function answer(id: number, outcome: LoadgenAnswers['answers'][number]['outcome']) {
  if (answers.push({ id, outcome }) > 1) return;
  setImmediate(() => {
    loadgen.postMessage({ kind: 'answers', answers } satisfies LoadgenAnswers);
    answers = [];
  });
}
loadgen.on('message', (m: LoadgenOrders | LoadgenDone) => {
  if (m.kind === 'done') return cellDone?.(m);
  for (const o of m.orders)
    place(o).then(
      (ok) => answer(o.id, ok ? 'accepted' : 'refused'),
      () => answer(o.id, 'error'),
    );
});
async function threaded(
  eventId: string,
  level: number,
  placeOrder: typeof place,
): Promise<RunResult<boolean> & { accepted: number; refused: number }> {
  place = placeOrder;
  const done = new Promise<LoadgenDone>((r) => (cellDone = r));
  loadgen.postMessage({ kind: 'run', eventId, concurrency: level, maxMs: CELL_MS, types: TYPES } satisfies LoadgenRun);
  const d = await done;
  return { ...d, results: [] };
}
const engineOrder = (o: LoadgenOrders['orders'][number]) =>
  engine.purchase({
    orderId: o.orderId,
    username: 'bench-buyer',
    eventId: o.eventId,
    lines: [{ type: o.type, quantity: o.quantity }],
    firstSend: true,
  });
const minimal = new MinimalGroupCommit(etcd);

async function cell(path: Path, level: number) {
  const eventId = await seedEvent(etcd, { maxPerOrder: 10, tickets: plenty });
  let send: (i: number) => Promise<boolean>;
  let run: RunResult<boolean>;
  let over: number | null = null;
  const statsBefore = { ...engine.stats };
  if (path === 'c') {
    run = await threaded(eventId, level, async (o) => (await engineOrder(o)).status === 'accepted');
  } else if (path === 'f') {
    await MinimalGroupCommit.seed(etcd, eventId, Object.fromEntries(TYPES.map((t) => [t, TOTAL])));
    run = await threaded(eventId, level, (o) => minimal.purchase(eventId, o.orderId, o.type, o.quantity));
    over = await MinimalGroupCommit.oversold(etcd, eventId, TOTAL);
  } else if (path === 'g') {
    // Point 6: sell a small event out, then measure refusals (and check nothing more sells).
    const small = await seedEvent(etcd, { maxPerOrder: 10, tickets: TYPES.map((type) => ({ type, total: 50, price: 1000 })) });
    let left = true;
    while (left) {
      const outcomes = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          engine.purchase({ orderId: ulid(), username: 'bench-buyer', eventId: small, lines: [orderOf(i)] }),
        ),
      );
      left = outcomes.some((o) => o.status === 'accepted');
    }
    const salesBefore = await saleCount(etcd, small);
    Object.assign(statsBefore, engine.stats);
    run = await threaded(small, level, async (o) => (await engineOrder({ ...o, eventId: small })).status === 'accepted');
    const soldAfter = (await saleCount(etcd, small)) - salesBefore + (run as unknown as { accepted: number }).accepted;
    over = soldAfter;
    soldOutReads = engine.stats.reads - statsBefore.reads;
  } else {
    switch (path) {
      case 'a':
        send = (i) => readModifyWrite(etcd, eventId, i);
        break;
      case 'b':
        send = (i) => casLoop(etcd, eventId, i, performance.now() + CELL_MS);
        break;
      case 'd':
        send = (i) => bareTxn(etcd, i);
        break;
      case 'e':
        send = (i) => viaNats({ orderId: ulid(), username: 'bench-buyer', eventId, lines: [orderOf(i)] });
        break;
    }
    // The bare limit is etcd's capacity: more than a few dozen senders only make it time out.
    run = await closedLoop({
      concurrency: path === 'd' ? Math.min(level, BARE_SENDERS) : level,
      maxOrders: 10_000_000,
      maxMs: CELL_MS,
      send,
    });
  }
  const factor = path === 'd' ? 127 : 1;
  if (path !== 'd' && path !== 'f' && path !== 'g') over = await oversold(etcd, eventId);
  results.push({ path, level, run, oversold: over, factor });
  const s = engine.stats;
  const avg =
    path === 'c' || path === 'g'
      ? ` (avg batch ${fmt((s.orders - statsBefore.orders) / Math.max(1, s.batches - statsBefore.batches), 1)}, conflicts ${s.conflicts - statsBefore.conflicts}, resent after reorder ${s.reorders - statsBefore.reorders}, reads ${s.reads - statsBefore.reads})`
      : '';
  process.stderr.write(`  ${LABEL[path]} at ${level}: ${fmt(run.perSecond * factor)}/s${avg}\n`);
  await etcd.kv.delete().prefix('bench:bare:');
}
let soldOutReads = 0;

const nc = values['no-e2e'] ? null : await connectNats({ servers: [stack.nats.url], name: 'bench' });
let nextId = 0;
/** A lean client in Nest's wire format, so the load generator's CPU limits the figure little. */
async function viaNats(order: RpcRequest<typeof Rpc.inventory.purchase>): Promise<boolean> {
  const msg = await nc!.request(
    Rpc.inventory.purchase.subject,
    JSON.stringify({ pattern: Rpc.inventory.purchase.subject, data: order, id: String(nextId++) }),
    { timeout: 60_000 },
  );
  const reply = (msg.json() as { response: RpcReply<{ status: string }> }).response;
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.data.status === 'accepted';
}

try {
  // Warm-up (connections, JIT) outside the measurements.
  const warm = await seedEvent(etcd, { tickets: plenty });
  await closedLoop({
    concurrency: 50,
    maxOrders: 2000,
    maxMs: 3000,
    send: async (i) =>
      (await engine.purchase({ orderId: ulid(), username: 'warmup', eventId: warm, lines: [orderOf(i)] })).status === 'accepted',
  });
  for (const level of LEVELS) for (const path of PATHS) await cell(path, level);
  if (nc) await cell('e', Math.max(...LEVELS));
  if (!values['no-soldout']) await cell('g', Math.max(...LEVELS));

  // A path measured more than once at a level (e.g. --paths d,c,f,d,f,c,d) counts its median:
  // etcd slows as a run writes, so the baseline is measured beside the engine, before and after.
  const rate = (p: Path, l: number) => {
    const rs = results
      .filter((x) => x.path === p && x.level === l)
      .map((r) => r.run.perSecond * r.factor)
      .sort((a, b) => a - b);
    if (rs.length === 0) return NaN;
    const mid = Math.floor(rs.length / 2);
    return rs.length % 2 ? rs[mid]! : (rs[mid - 1]! + rs[mid]!) / 2;
  };
  const rows: (string | number)[][] = [['path', 'buyers', 'purchases/s', 'p50 ms', 'p99 ms', 'oversold', 'done', 'errors']];
  for (const r of results) {
    const buyers = r.path === 'd' ? `${Math.min(r.level, BARE_SENDERS)} senders` : r.level;
    rows.push([
      LABEL[r.path],
      buyers,
      fmt(r.run.perSecond * r.factor),
      fmt(r.run.p50Ms, 1),
      fmt(r.run.p99Ms, 1),
      r.oversold ?? '-',
      r.path === 'd' ? `${fmt(r.run.orders)} Txns` : fmt(r.run.orders),
      r.run.errors,
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const line = (r: (string | number)[]) => `| ${r.map((v, c) => String(v).padEnd(widths[c]!)).join(' | ')} |`;
  console.log(
    `\nbench/inventory-hot-event: ${os.cpus().length} cores, etcd x5 + nats-server on 127.0.0.1, ${CELL_MS / 1000} s per cell, ${new Date().toISOString()}\n`,
  );
  console.log(line(rows[0]!));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows.slice(1)) console.log(line(r));
  console.log('');
  for (const l of LEVELS)
    console.log(
      `ratios at ${l} buyer(s): c/b = ${fmt(rate('c', l) / rate('b', l), 1)}   c/d = ${fmt(rate('c', l) / rate('d', l), 2)}   c/f = ${fmt(rate('c', l) / rate('f', l), 2)}`,
    );
  if (!values['no-soldout']) {
    const top = Math.max(...LEVELS);
    console.log(
      `sold-out refusals at ${top} buyers: g/c = ${fmt(rate('g', top) / rate('c', top), 1)} (target >= 10), etcd reads during the cell: ${soldOutReads}, sales after sell-out: ${results.find((r) => r.path === 'g')?.oversold}`,
    );
  }
  if (nc)
    console.log(
      `end to end via NATS at ${Math.max(...LEVELS)} buyers: e/c = ${fmt(rate('e', Math.max(...LEVELS)) / rate('c', Math.max(...LEVELS)), 2)}`,
    );
  const bad = results.filter((r) => ['b', 'c', 'e', 'f', 'g'].includes(r.path) && r.oversold !== 0);
  if (bad.length) {
    console.error('OVERSOLD by a path that must never oversell');
    process.exitCode = 1;
  }
} finally {
  engine.close();
  await loadgen.terminate();
  await nc?.drain();
  etcd.close();
  await stopPrivateStack(stack);
}
