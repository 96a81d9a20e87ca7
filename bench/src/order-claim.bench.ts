/**
 * bench/order-claim: what orders.place's idempotency claim (issue 13.1) costs a hot event, in ONE
 * run on one five-member cluster, alternating cells so drift hits both alike:
 *   (c) the group commit: libs/inventory/core in-process, one purchase per order
 *   (u) the same, each order first claiming its key `order:<user>:<orderId>` in a Txn of its own
 *       (createOnce): the first version of the claim
 *   (k) the same, the claims group-committed as orders.place does (GroupCommitter, 4 queues by
 *       order id, createManyOnce: up to 100 claims per Txn)
 * Prints purchases/s, p50/p99 and the ratios u/c and k/c per level.
 *   npm run bench:order-claim [-- --seconds 4 --levels 100,1000 --rounds 2]
 */
import { createEtcdConnection, createManyOnce, createOnce, GroupCommitter } from '@ticketcd/etcd';
import { PurchaseEngine } from '@ticketcd/inventory-core';
import { keys } from '@ticketcd/keys';
import { seedEvent, startPrivateStack, stopPrivateStack } from '@ticketcd/testing';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ulid } from 'ulid';
import { closedLoop, fmt, type RunResult } from './measure.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    levels: { type: 'string', default: '100,1000' },
    rounds: { type: 'string', default: '2' },
    /** Claim queues (orders.place uses 4). */
    shards: { type: 'string', default: '4' },
    /** Paths to run, e.g. "c,k". */
    paths: { type: 'string', default: 'c,u,k' },
  },
});
const CELL_MS = Number(values.seconds) * 1000;
const LEVELS = values.levels.split(',').map(Number);
const ROUNDS = Number(values.rounds);
const SHARDS = Number(values.shards);
const PATHS = values.paths.split(',') as Path[];
const TYPES = ['vip', 'floor', 'balcony'];
const plenty = TYPES.map((type) => ({ type, total: 10_000_000, price: 1000 }));
const orderOf = (i: number) => ({ type: TYPES[i % 3]!, quantity: 1 + (i % 2) });
const userOf = (i: number) => `buyer-${i % 100}`;

type Path = 'c' | 'u' | 'k';
const LABEL: Record<Path, string> = {
  c: '(c) group commit',
  u: '(u) claim (1 Txn each), then group commit',
  k: '(k) claims group-committed, then group commit',
};

const stack = await startPrivateStack({ services: false, env: { LOG_LEVEL: 'warn' } });
const etcd = createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 30_000 });
const engine = new PurchaseEngine(etcd, { batchMax: 100, maxConflicts: 1000, stateTtlMs: 1000 });
const results: { path: Path; level: number; run: RunResult<boolean> }[] = [];
const claims = new GroupCommitter<{ key: string; value: string }, boolean>(100, async (_shard, batch) => {
  const res = await createManyOnce(
    etcd.kv,
    batch.map((b) => b.order),
  );
  for (const b of batch) b.resolve(res.get(b.order.key)!.created);
});

async function cell(path: Path, level: number) {
  const eventId = await seedEvent(etcd, { maxPerOrder: 10, tickets: plenty });
  const send = async (i: number) => {
    const order = { orderId: ulid(), username: userOf(i), eventId, lines: [orderOf(i)] };
    const claim = {
      key: keys.order(order.username, order.orderId),
      value: JSON.stringify({ eventId, lines: order.lines, at: new Date().toISOString() }),
    };
    if (path === 'u') await createOnce(etcd.kv, claim.key, claim.value);
    if (path === 'k') await claims.submit(String(i % SHARDS), claim);
    return (await engine.purchase(order)).status === 'accepted';
  };
  const run = await closedLoop({ concurrency: level, maxOrders: 10_000_000, maxMs: CELL_MS, send });
  results.push({ path, level, run });
  process.stderr.write(`  ${LABEL[path]} at ${level}: ${fmt(run.perSecond)}/s, p99 ${fmt(run.p99Ms, 1)} ms, errors ${run.errors}\n`);
}

try {
  const warm = await seedEvent(etcd, { tickets: plenty });
  await closedLoop({
    concurrency: 50,
    maxOrders: 2000,
    maxMs: 3000,
    send: async (i) =>
      (await engine.purchase({ orderId: ulid(), username: 'warmup', eventId: warm, lines: [orderOf(i)] })).status === 'accepted',
  });
  for (const level of LEVELS)
    for (let r = 0; r < ROUNDS; r++) for (const path of r % 2 ? [...PATHS].reverse() : PATHS) await cell(path, level);

  const rows: (string | number)[][] = [['path', 'buyers', 'purchases/s', 'p50 ms', 'p99 ms', 'done', 'errors']];
  for (const r of results)
    rows.push([LABEL[r.path], r.level, fmt(r.run.perSecond), fmt(r.run.p50Ms, 1), fmt(r.run.p99Ms, 1), fmt(r.run.orders), r.run.errors]);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  const line = (r: (string | number)[]) => `| ${r.map((v, c) => String(v).padEnd(widths[c]!)).join(' | ')} |`;
  console.log(
    `\nbench/order-claim: ${os.cpus().length} cores, etcd x5 on 127.0.0.1, ${CELL_MS / 1000} s per cell, ${ROUNDS} round(s), ${SHARDS} claim queue(s), ${new Date().toISOString()}\n`,
  );
  console.log(line(rows[0]!));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows.slice(1)) console.log(line(r));
  console.log('');
  const mean = (p: Path, l: number, f: (x: RunResult<boolean>) => number) => {
    const xs = results.filter((x) => x.path === p && x.level === l).map((x) => f(x.run));
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  for (const l of LEVELS) {
    const ratio = (p: Path) => fmt(mean(p, l, (x) => x.perSecond) / mean('c', l, (x) => x.perSecond), 2);
    const extra = (p: Path) => fmt(mean(p, l, (x) => x.p50Ms) - mean('c', l, (x) => x.p50Ms), 1);
    console.log(`at ${l} buyers: purchases/s u/c = ${ratio('u')}, k/c = ${ratio('k')}; p50 added: u ${extra('u')} ms, k ${extra('k')} ms`);
  }
} finally {
  etcd.close();
  await stopPrivateStack(stack);
}
