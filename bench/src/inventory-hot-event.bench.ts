/**
 * bench/inventory-hot-event: one hot event, in ONE run on one five-member cluster, at 1, 100 and
 * 1,000 concurrent buyers:
 *   (a) the report's read-modify-write: get, check, put (no compare); counts what it oversold
 *   (b) a CAS retry loop: get, then put only if the ticket key's mod revision is unchanged
 *   (c) the group commit: libs/inventory/core, the code the inventory service runs, in-process
 *   (d) the bare limit: Txns of 127 trivial puts per second, x 127
 * plus (e) end to end: purchases over NATS to an inventory service process, at 1,000 buyers.
 * Prints purchases/s, p50/p99 latency, oversold tickets, and the ratios c/b and c/d.
 *   npm run bench:inventory [-- --seconds 4 --levels 1,100,1000]
 */
import { Rpc, saleRecord, ticketRecord, type RpcReply, type RpcRequest } from '@ticketcd/contracts';
import { createEtcdConnection, scanPrefix, unconditionalTxn, type EtcdConnection } from '@ticketcd/etcd';
import { PurchaseEngine } from '@ticketcd/inventory-core';
import { keys, prefixes } from '@ticketcd/keys';
import { connectNats } from '@ticketcd/messaging';
import { seedEvent, startPrivateStack, stopPrivateStack } from '@ticketcd/testing';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ulid } from 'ulid';
import { closedLoop, fmt, type RunResult } from './measure.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    levels: { type: 'string', default: '1,100,1000' },
    'no-e2e': { type: 'boolean', default: false },
  },
});
const CELL_MS = Number(values.seconds) * 1000;
const LEVELS = values.levels.split(',').map(Number);
const TYPES = ['vip', 'floor', 'balcony'];
const TOTAL = 10_000_000;
const BARE_SENDERS = 32;
const orderOf = (i: number) => ({ type: TYPES[i % 3]!, quantity: 1 + (i % 2) });

type Path = 'a' | 'b' | 'c' | 'd' | 'e';
const LABEL: Record<Path, string> = {
  a: '(a) read-modify-write (report)',
  b: '(b) CAS retry loop',
  c: '(c) group commit (inventory core)',
  d: '(d) bare limit: 127-op Txns x 127',
  e: '(e) group commit via NATS, service process',
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
const engine = new PurchaseEngine(etcd, { batchMax: 100, maxConflicts: 1000, stateTtlMs: 1000 });
const results: { path: Path; level: number; run: RunResult<boolean>; oversold: number | null; factor: number }[] = [];
const plenty = TYPES.map((type) => ({ type, total: TOTAL, price: 1000 }));

async function cell(path: Path, level: number) {
  const eventId = await seedEvent(etcd, { maxPerOrder: 10, tickets: plenty });
  let send: (i: number) => Promise<boolean>;
  switch (path) {
    case 'a':
      send = (i) => readModifyWrite(etcd, eventId, i);
      break;
    case 'b':
      send = (i) => casLoop(etcd, eventId, i, performance.now() + CELL_MS);
      break;
    case 'c':
      send = async (i) =>
        (await engine.purchase({ orderId: ulid(), username: 'bench-buyer', eventId, lines: [orderOf(i)] })).status === 'accepted';
      break;
    case 'd':
      send = (i) => bareTxn(etcd, i);
      break;
    case 'e':
      send = (i) => viaNats({ orderId: ulid(), username: 'bench-buyer', eventId, lines: [orderOf(i)] });
      break;
  }
  // The bare limit is etcd's capacity: more than a few dozen senders only make it time out.
  const run = await closedLoop({
    concurrency: path === 'd' ? Math.min(level, BARE_SENDERS) : level,
    maxOrders: 10_000_000,
    maxMs: CELL_MS,
    send,
  });
  const factor = path === 'd' ? 127 : 1;
  results.push({ path, level, run, oversold: path === 'd' ? null : await oversold(etcd, eventId), factor });
  const avg =
    path === 'c'
      ? ` (avg batch ${fmt(engine.stats.orders / Math.max(1, engine.stats.batches), 1)}, conflicts ${engine.stats.conflicts}, reads ${engine.stats.reads})`
      : '';
  process.stderr.write(`  ${LABEL[path]} at ${level}: ${fmt(run.perSecond * factor)}/s${avg}\n`);
  Object.assign(engine.stats, { batches: 0, orders: 0, conflicts: 0, reads: 0 });
  await etcd.kv.delete().prefix('bench:bare:');
}

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
  for (const level of LEVELS) for (const path of ['d', 'a', 'b', 'c'] as const) await cell(path, level);
  if (nc) await cell('e', Math.max(...LEVELS));

  const rate = (p: Path, l: number) => {
    const r = results.find((x) => x.path === p && x.level === l);
    return r ? r.run.perSecond * r.factor : NaN;
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
    console.log(`ratios at ${l} buyer(s): c/b = ${fmt(rate('c', l) / rate('b', l), 1)}   c/d = ${fmt(rate('c', l) / rate('d', l), 2)}`);
  if (nc)
    console.log(
      `end to end via NATS at ${Math.max(...LEVELS)} buyers: e/c = ${fmt(rate('e', Math.max(...LEVELS)) / rate('c', Math.max(...LEVELS)), 2)}`,
    );
  const bad = results.filter((r) => (r.path === 'b' || r.path === 'c' || r.path === 'e') && r.oversold !== 0);
  if (bad.length) {
    console.error('OVERSOLD by a path that must never oversell');
    process.exitCode = 1;
  }
} finally {
  await nc?.drain();
  etcd.close();
  await stopPrivateStack(stack);
}
