/**
 * bench/inventory-scale (issue 17 point 5): does inventory scale out by event? In ONE run on one
 * five-member cluster, purchases sent the way orders sends them (to the subject of the event's
 * partition, so they reach its owner), by a closed loop of buyers:
 *   two instances, one hot event      vs one instance, one hot event      (target >= 0.95 x)
 *   two instances, two hot events     vs one instance, two hot events     (target >= 1.3 x;
 *     the two events are held by different instances)
 * One instance runs the cells, a second is added (it takes 8 partitions), the cells run again,
 * then it is stopped (SIGTERM: its partitions move back at once) and the one-instance cells run
 * again; the one-instance figure is the mean of before and after. Prints purchases/s, p50/p99, oversold.
 *   npm run bench:inventory-scale [-- --seconds 10 --buyers 1000]
 */
import { inventoryPurchaseFor, partitionOf, saleRecord, ticketRecord, type RpcReply } from '@ticketcd/contracts';
import { createEtcdConnection, readPartitionHolders, scanPrefix } from '@ticketcd/etcd';
import { keys, prefixes } from '@ticketcd/keys';
import { connectNats } from '@ticketcd/messaging';
import { seedEvent, startPrivateStack, stopPrivateStack } from '@ticketcd/testing';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ulid } from 'ulid';
import { closedLoop, fmt, type RunResult } from './measure.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '6' },
    buyers: { type: 'string', default: '1000' },
  },
});
const CELL_MS = Number(values.seconds) * 1000;
const BUYERS = Number(values.buyers);
const TOTAL = 10_000_000;

const stack = await startPrivateStack({ services: ['inventory'], instances: { inventory: 1 }, env: { LOG_LEVEL: 'warn' } });
const etcd = createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 10_000 });
const nc = await connectNats({ servers: [stack.nats.url], name: 'bench-scale' });
const inventories = () => stack.services.filter((s) => s.spec.service === 'inventory' && s.isRunning());

const owners = () => readPartitionHolders(etcd, prefixes.partitionsOf('inventory'));

async function until(what: string, check: () => Promise<boolean>, ms = 30_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A fresh event with plenty of stock whose partition `owner` holds (any when null). */
async function hotEvent(owner: string | null): Promise<string> {
  const m = await owners();
  for (;;) {
    const eventId = ulid();
    if (owner === null || m.get(partitionOf(eventId)) === owner) {
      return seedEvent(etcd, { eventId, tickets: [{ type: 'vip', total: TOTAL, price: 100 }] });
    }
  }
}

let nextId = 0;
/** A lean client in Nest's wire format, to the subject orders uses (the owner's). */
async function buy(eventId: string): Promise<boolean> {
  const subject = inventoryPurchaseFor(eventId).subject;
  const order = { orderId: ulid(), username: 'bench-buyer', eventId, lines: [{ type: 'vip', quantity: 1 }] };
  const msg = await nc.request(subject, JSON.stringify({ pattern: subject, data: order, id: String(nextId++) }), { timeout: 60_000 });
  const reply = (msg.json() as { response: RpcReply<{ status: string }> }).response;
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.data.status === 'accepted';
}

/** Sold beyond the stock: total - remaining against the quantities in sale: records. */
async function oversold(eventId: string): Promise<number> {
  const t = ticketRecord.parse(JSON.parse((await etcd.kv.get(keys.ticket(eventId, 'vip')).string())!));
  let sold = 0;
  for await (const kv of scanPrefix(etcd.kv, prefixes.salesOf(eventId))) sold += saleRecord.parse(JSON.parse(kv.value)).lines[0]!.quantity;
  return Math.abs(t.total - t.remaining - sold);
}

interface Cell {
  name: string;
  run: RunResult<boolean>;
  oversold: number;
}
const cells: Cell[] = [];

async function cell(name: string, events: string[]) {
  const run = await closedLoop({ concurrency: BUYERS, maxOrders: Infinity, maxMs: CELL_MS, send: (i) => buy(events[i % events.length]!) });
  let over = 0;
  for (const e of events) over += await oversold(e);
  cells.push({ name, run, oversold: over });
  process.stderr.write(`  ${name}: ${fmt(run.perSecond)}/s (errors ${run.errors})\n`);
}

/** Fresh hot events per cell; the two of a two-event cell on different owners when there are two. */
async function oneEvent(): Promise<string[]> {
  return [await hotEvent(null)];
}
async function twoEvents(): Promise<string[]> {
  const ids = inventories().map((s) => s.instanceId);
  return ids.length >= 2 ? [await hotEvent(ids[0]!), await hotEvent(ids[1]!)] : [await hotEvent(null), await hotEvent(null)];
}

async function onePartitionHolder() {
  await until('one instance holding all 16 partitions', async () => {
    const m = await owners();
    return m.size === 16 && new Set(m.values()).size === 1;
  });
}

try {
  await onePartitionHolder();
  // Warm-up outside the measurements (connections, JIT).
  const warm = await hotEvent(null);
  await closedLoop({ concurrency: 100, maxOrders: 3000, maxMs: 3000, send: () => buy(warm) });

  // One instance, two, one again: the one-instance figure is the mean of the runs around the
  // two-instance ones, so a drift of the shared machine during the run does not pose as scaling.
  await cell('one instance, one hot event (before)', await oneEvent());
  await cell('one instance, two hot events (before)', await twoEvents());
  const second = await stack.addInstance('inventory');
  await second.waitReady();
  await until('two instances holding 8 partitions each', async () => {
    const counts = [...(await owners()).values()].reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map<string, number>());
    return counts.size === 2 && [...counts.values()].every((n) => n === 8);
  });
  // Warm-up of the new instance.
  const warm2 = await hotEvent(second.instanceId);
  await closedLoop({ concurrency: 100, maxOrders: 3000, maxMs: 3000, send: () => buy(warm2) });
  await cell('two instances, one hot event', await oneEvent());
  await cell('two instances, two hot events', await twoEvents());
  // SIGTERM: the stopped instance revokes its lease and the survivor holds all 16 at once.
  await second.stop();
  await onePartitionHolder();
  await cell('one instance, one hot event (after)', await oneEvent());
  await cell('one instance, two hot events (after)', await twoEvents());

  const rate = (name: string) => cells.find((c) => c.name === name)!.run.perSecond;
  const rows: string[][] = [
    ['cell', 'purchases/s', 'p50 ms', 'p99 ms', 'oversold', 'errors'],
    ['---', '---', '---', '---', '---', '---'],
  ];
  for (const c of cells)
    rows.push([c.name, fmt(c.run.perSecond), fmt(c.run.p50Ms, 1), fmt(c.run.p99Ms, 1), String(c.oversold), String(c.run.errors)]);
  const oneOne = (rate('one instance, one hot event (before)') + rate('one instance, one hot event (after)')) / 2;
  const oneTwo = (rate('one instance, two hot events (before)') + rate('one instance, two hot events (after)')) / 2;
  const one = rate('two instances, one hot event') / oneOne;
  const two = rate('two instances, two hot events') / oneTwo;
  console.log(
    `\ninventory scale-out: ${BUYERS} buyers, ${CELL_MS / 1000} s cells, ${os.cpus().length} cores, etcd x5 + nats on the same machine\n`,
  );
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(`\none hot event:  two instances / one (mean of before and after) = ${fmt(one, 2)} (target >= 0.95)`);
  console.log(`two hot events: two instances / one (mean of before and after) = ${fmt(two, 2)} (target >= 1.3)`);
  console.log(`oversold in all cells: ${cells.reduce((n, c) => n + c.oversold, 0)}`);
} finally {
  await nc.drain();
  etcd.close();
  await stopPrivateStack(stack);
}
