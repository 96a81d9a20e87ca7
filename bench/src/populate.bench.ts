/**
 * bench/populate (issue 16): `ticketctl populate` against seed-style loading of the SAME data, in
 * one run on one private five-member cluster with every service running (the relay, orders and
 * the notifier work through the populate cell, as they would in a real load):
 *   (a) baseline: the report's way, one awaited put per key, in key order of the dataset (users,
 *       events with tickets and index entries, favourites and counts, subscriptions, claims, and
 *       per sale a ticket put and the sale put), under its own namespace; run for at most
 *       --baseline-seconds (its rate is steady; the whole set would take many minutes).
 *   (b) `ticketctl populate --in <dataset>` (the real binary) into the services' keyspace:
 *       keys/s as it reports them (existence scans, password hashing, engine and all included).
 *   (b0) right after (a), into a namespace no service works in: populate's own speed, with nothing
 *       consuming its sales meanwhile (what loading a store before the services start costs).
 *   (c) the ceiling: the same keys as unguarded 128-put Txns, 32 in flight, nothing else: about
 *       the most this cluster takes, to show how much of it populate uses.
 * Then how long the services take to record every sale as a purchase.
 *   npm run bench:populate [-- --config data/10k.yaml --seed 1 --baseline-seconds 20]
 */
import { claimOf } from '@ticketcd/contracts';
import { chunk, createEtcdConnection, toBuilder, unconditionalTxn, type WriteOp } from '@ticketcd/etcd';
import { keys, prefixes } from '@ticketcd/keys';
import { putSubscription } from '@ticketcd/notifier-core';
import { startPrivateStack, stopPrivateStack, ticketctl, waitFor } from '@ticketcd/testing';
import {
  eventWrite,
  favouriteUnits,
  generateDataset,
  loadDataConfig,
  orderIdOf,
  passwordPool,
  resolveAnchor,
  resolveSeed,
  userUnit,
  type Dataset,
} from '@ticketcd/ticketctl';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fmt } from './measure.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'data/10k.yaml' },
    seed: { type: 'string' },
    'baseline-seconds': { type: 'string', default: '20' },
  },
});

/** What the report's populate did: one put per key, awaited one after the other. */
function seedStyleOps(d: Dataset, hash: string): WriteOp[] {
  const at = d.anchor;
  const ops: WriteOp[] = [
    { type: 'put', key: keys.staticList('locations'), value: JSON.stringify(d.static.locations) },
    { type: 'put', key: keys.staticList('event-types'), value: JSON.stringify(d.static.eventTypes) },
    { type: 'put', key: keys.staticList('ticket-types'), value: JSON.stringify(d.static.ticketTypes) },
  ];
  for (const u of d.users) ops.push(...userUnit(u, hash, at).ops);
  for (const e of d.events) {
    const w = eventWrite(e, at);
    ops.push(...w.before, ...w.unit.ops);
  }
  const counts = new Map<string, number>();
  for (const f of favouriteUnits(d, at)) {
    ops.push(...f.ops);
    for (const c of f.counters ?? []) counts.set(c.key, (counts.get(c.key) ?? 0) + 1);
  }
  for (const [key, n] of counts) ops.push({ type: 'put', key, value: String(n) });
  const remaining = new Map(d.events.map((e) => [e.eventId, e.tickets.reduce((n, t) => n + t.total, 0)]));
  for (const s of d.subscriptions) {
    const { next } = putSubscription(null, { ...s, active: true }, remaining.get(s.eventId)!, 1, new Date(at), () =>
      orderIdOf({ ...s, idempotencyKey: 'sub', lines: [] }),
    );
    ops.push({ type: 'put', key: keys.notification(s.username, s.eventId), value: JSON.stringify(next) });
    ops.push({ type: 'put', key: keys.subscriber(s.eventId, s.username), value: JSON.stringify(next) });
  }
  const left = new Map(d.events.flatMap((e) => e.tickets.map((t) => [keys.ticket(e.eventId, t.type), { ...t, remaining: t.total }])));
  for (const p of d.purchases) {
    // The sale's order: key (the idempotency key's binding, written with the sale since issue 27).
    const orderKey = keys.order(p.username, orderIdOf(p));
    ops.push({ type: 'put', key: orderKey, value: JSON.stringify(claimOf({ eventId: p.eventId, lines: p.lines }, new Date(at))) });
    const lines = p.lines.map((l) => ({ ...l, unitPrice: left.get(keys.ticket(p.eventId, l.type))!.price }));
    for (const l of p.lines) {
      const t = left.get(keys.ticket(p.eventId, l.type))!;
      t.remaining = Math.max(0, t.remaining - l.quantity);
      ops.push({
        type: 'put',
        key: keys.ticket(p.eventId, l.type),
        value: JSON.stringify({ total: t.total, remaining: t.remaining, price: t.price, closed: false }),
      });
    }
    const total = lines.reduce((n, l) => n + l.quantity * l.unitPrice, 0);
    ops.push({
      type: 'put',
      key: keys.sale(p.eventId, orderIdOf(p)),
      value: JSON.stringify({ username: p.username, lines, total, remaining: {}, at }),
    });
  }
  return ops;
}

interface PopulateReport {
  keys: number;
  ms: number;
  keysPerSecond: number;
  phases: { phase: string; keys: number; ms: number }[];
  sales: { sold: number };
}

/** One run of the real binary; its report and phase lines printed. */
async function populateCell(label: string, target: { etcd: string[]; nats: string; namespace?: string }, dir: string, datasetFile: string) {
  const r = await ticketctl(target, [
    'populate',
    '--in',
    datasetFile,
    '--credentials',
    path.join(dir, `${label}.csv`),
    '--json',
    '--wait',
    '0',
  ]);
  if (r.code !== 0) throw new Error(`populate failed: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as PopulateReport;
  process.stdout.write(
    `(${label}) ticketctl populate: ${report.keys} keys in ${fmt(report.ms / 1000, 1)} s = ${fmt(report.keysPerSecond)} keys/s\n`,
  );
  for (const p of report.phases)
    process.stdout.write(`      ${p.phase.padEnd(14)} ${String(p.keys).padStart(7)} keys ${fmt(p.ms / 1000, 1).padStart(6)} s\n`);
  return report;
}

const config = await loadDataConfig(values.config);
const dataset = generateDataset(config, resolveSeed(values.seed, config), resolveAnchor(undefined, config));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-populate-'));
const datasetFile = path.join(dir, 'dataset.json');
fs.writeFileSync(datasetFile, JSON.stringify(dataset));
process.stdout.write(
  `bench:populate ${values.config}: ${dataset.users.length} users, ${dataset.events.length} events, ${dataset.favourites.length} favourites, ` +
    `${dataset.subscriptions.length} subscriptions, ${dataset.purchases.length} purchases; ${os.cpus().length} cores\n`,
);

const stack = await startPrivateStack({
  services: ['catalog', 'inventory', 'orders', 'search-indexer', 'notifier'],
  env: { LOG_LEVEL: 'warn' },
});
const target = { etcd: stack.etcd.endpoints, nats: stack.nats.url };
const root = createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 10_000 });
try {
  // (a) seed-style, in its own namespace.
  const base = createEtcdConnection({ endpoints: stack.etcd.endpoints, namespace: 'baseline:', deadlineMs: 10_000 });
  const [hash] = (await passwordPool(1)).hashes;
  const ops = seedStyleOps(dataset, hash!);
  const budget = Number(values['baseline-seconds']) * 1000;
  const startedA = Date.now();
  let putsA = 0;
  for (const op of ops) {
    if (op.type === 'put') await base.kv.put(op.key).value(op.value).exec();
    putsA++;
    if (Date.now() - startedA > budget) break;
  }
  const msA = Date.now() - startedA;
  const rateA = putsA / (msA / 1000);
  await base.kv.delete().all();
  base.close();
  process.stdout.write(`(a) seed-style single puts: ${putsA} of ${ops.length} keys in ${fmt(msA / 1000, 1)} s = ${fmt(rateA)} keys/s\n`);

  // (b0) right after (a) (etcd slows as a run writes more: later cells pay for earlier ones),
  // where no service consumes the sales.
  const report0 = await populateCell('b0', { ...target, namespace: 'bare:' }, dir, datasetFile);
  const bare = createEtcdConnection({ endpoints: stack.etcd.endpoints, namespace: 'bare:', deadlineMs: 30_000 });
  await bare.kv.delete().all();
  bare.close();

  // (c) the ceiling, in its own namespace.
  const ceiling = createEtcdConnection({ endpoints: stack.etcd.endpoints, namespace: 'ceiling:', deadlineMs: 30_000 });
  // The final value of each key (a Txn may not put one key twice).
  const finalOps = [...new Map(ops.map((op) => [op.key, op])).values()];
  const parts = chunk(finalOps);
  const startedC = Date.now();
  let nextPart = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (nextPart < parts.length) {
        const part = parts[nextPart++]!;
        await unconditionalTxn(ceiling.kv)
          .then(...part.map((op) => toBuilder(ceiling.kv, op)))
          .commit();
      }
    }),
  );
  const msC = Date.now() - startedC;
  const rateC = finalOps.length / (msC / 1000);
  await ceiling.kv.delete().all();
  ceiling.close();
  process.stdout.write(
    `(c) ceiling, 128-put Txns x32 in flight: ${finalOps.length} keys in ${fmt(msC / 1000, 1)} s = ${fmt(rateC)} keys/s\n`,
  );

  // (b) last: into the keyspace the services work in (they record the sales meanwhile and after).
  const report = await populateCell('b', target, dir, datasetFile);

  // The background: every sale recorded as a purchase by the orders service.
  const settleStart = Date.now();
  await waitFor(async () => (await root.kv.getAll().prefix(prefixes.purchases()).count()) >= report.sales.sold, {
    timeoutMs: 600_000,
    intervalMs: 500,
    what: 'every sale recorded as a purchase',
  });
  const settleMs = Date.now() - settleStart;
  const verify = await ticketctl(target, ['verify', '--settle', '30']);

  process.stdout.write(
    `\n| cell | keys | time | keys/s | vs (a) |\n|---|---:|---:|---:|---:|\n` +
      `| (a) seed-style sequential puts (first ${putsA} keys) | ${putsA} | ${fmt(msA / 1000, 1)} s | ${fmt(rateA)} | 1.0x |\n` +
      `| (b) ticketctl populate, the services recording its sales meanwhile | ${report.keys} | ${fmt(report.ms / 1000, 1)} s | ${fmt(report.keysPerSecond)} | **${fmt(report.keysPerSecond / rateA, 1)}x** |\n` +
      `| (b0) ticketctl populate, no service consuming its sales | ${report0.keys} | ${fmt(report0.ms / 1000, 1)} s | ${fmt(report0.keysPerSecond)} | ${fmt(report0.keysPerSecond / rateA, 1)}x |\n` +
      `| (c) ceiling: unguarded 128-put Txns, 32 in flight | ${finalOps.length} | ${fmt(msC / 1000, 1)} s | ${fmt(rateC)} | ${fmt(rateC / rateA, 1)}x |\n\n` +
      `populate runs at ${fmt((100 * report.keysPerSecond) / rateC)}% of the ceiling. ` +
      `${report.sales.sold} sales recorded as purchases by the orders service ${fmt(settleMs / 1000, 1)} s after populate returned; ` +
      `ticketctl verify: exit ${verify.code}\n`,
  );
  if (verify.code !== 0) process.stdout.write(verify.stdout);
} finally {
  root.close();
  await stopPrivateStack(stack);
  fs.rmSync(dir, { recursive: true, force: true });
}
