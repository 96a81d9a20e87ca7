/**
 * bench/notifier: 1,000 low-stock subscriptions on one event, then its 2,000 tickets sold one
 * at a time by 50 concurrent buyers (inventory service over NATS). For each alert, the time from
 * the purchase commit that crossed its limit to `notifier.alert.fired` reaching a subscriber;
 * the baseline, measured in the same run, is the same for `inventory.stock.changed` (the event
 * transport alone: outbox relay + JetStream). Commit time = the first purchase reply reporting
 * the remaining count the message carries (replies leave right after the commit).
 *   npm run bench:notifier [-- --subscribers 1000 --tickets 2000 --buyers 50]
 */
import { Events, Rpc } from '@ticketcd/contracts';
import { createEtcdConnection } from '@ticketcd/etcd';
import { connectNats } from '@ticketcd/messaging';
import { seedEvent, startPrivateStack, stopPrivateStack, testRpcClient, waitFor } from '@ticketcd/testing';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ulid } from 'ulid';
import { closedLoop, fmt, percentile } from './measure.js';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '1000' },
    tickets: { type: 'string', default: '2000' },
    buyers: { type: 'string', default: '50' },
  },
});
const SUBSCRIBERS = Number(values.subscribers);
const TICKETS = Number(values.tickets);
const BUYERS = Number(values.buyers);

const pct = percentile;

const stack = await startPrivateStack({ services: ['inventory', 'notifier'], env: { LOG_LEVEL: 'warn' } });
const etcd = createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 30_000 });
const rpc = await testRpcClient(stack.nats.url, 60_000);
const nc = await connectNats({ servers: [stack.nats.url], name: 'bench-notifier' });
try {
  const eventId = await seedEvent(etcd, { tickets: [{ type: 'pink', total: TICKETS, price: 100 }] });
  let seed = 5;
  const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const limits = Array.from({ length: SUBSCRIBERS }, () => 1 + rand(TICKETS - 1));
  for (let i = 0; i < SUBSCRIBERS; i += 100) {
    await Promise.all(
      limits
        .slice(i, i + 100)
        .map((limit, j) => rpc.client.call(Rpc.notifier.putSubscription, { username: `watcher-${i + j}`, eventId, limit })),
    );
  }

  // Arrivals on plain subscriptions: JetStream-published messages reach core subscribers too.
  const arrivals = { alert: [] as { remaining: number; at: number }[], stock: [] as { remaining: number; at: number }[] };
  const decode = (data: Uint8Array) => JSON.parse(new TextDecoder().decode(data)) as { data: { eventId: string; remaining: number } };
  const subAlert = nc.subscribe(Events.notifier.alertFired.type, {
    callback: (_e, m) => {
      const d = decode(m.data).data;
      if (d.eventId === eventId) arrivals.alert.push({ remaining: d.remaining, at: performance.now() });
    },
  });
  const subStock = nc.subscribe(Events.inventory.stockChanged.type, {
    callback: (_e, m) => {
      const d = decode(m.data).data;
      if (d.eventId === eventId) arrivals.stock.push({ remaining: d.remaining, at: performance.now() });
    },
  });

  const committedAt = new Map<number, number>();
  const run = await closedLoop({
    concurrency: BUYERS,
    maxOrders: TICKETS,
    maxMs: 10 * 60_000,
    send: async () => {
      const r = await rpc.client.call(Rpc.inventory.purchase, {
        orderId: ulid(),
        username: `buyer-${rand(500)}`,
        eventId,
        lines: [{ type: 'pink', quantity: 1 }],
      });
      if (r.status === 'accepted') {
        const remaining = r.remaining.pink!;
        if (!committedAt.has(remaining)) committedAt.set(remaining, performance.now());
      }
      return r;
    },
  });
  await waitFor(() => arrivals.alert.length >= SUBSCRIBERS, { timeoutMs: 60_000, intervalMs: 50, what: 'every subscriber alerted' }).catch(
    () => undefined,
  );
  await waitFor(() => arrivals.stock.some((s) => s.remaining === 0), { timeoutMs: 60_000, intervalMs: 50, what: 'the last stock change' });
  subAlert.unsubscribe();
  subStock.unsubscribe();

  const lag = (xs: { remaining: number; at: number }[]) =>
    xs.flatMap((x) => (committedAt.has(x.remaining) ? [x.at - committedAt.get(x.remaining)!] : []));
  const alertLag = lag(arrivals.alert);
  const stockLag = lag(arrivals.stock);
  const row = (label: string, xs: number[]) =>
    `| ${label.padEnd(52)} | ${fmt(xs.length).padStart(8)} | ${fmt(pct(xs, 50), 1).padStart(8)} | ${fmt(pct(xs, 99), 1).padStart(8)} |`;
  console.log(`\nbench/notifier: ${os.cpus().length} cores, etcd x5 + nats-server on 127.0.0.1, ${new Date().toISOString()}`);
  console.log(
    `${fmt(SUBSCRIBERS)} subscribers on one event, ${fmt(TICKETS)} tickets sold by ${BUYERS} buyers in ${fmt(run.elapsedMs / 1000, 1)} s (${fmt(run.perSecond)}/s, ${run.errors} errors)`,
  );
  console.log(`alerts received: ${fmt(arrivals.alert.length)} (subscribers: ${fmt(SUBSCRIBERS)})\n`);
  console.log(
    `| ${'from the purchase commit to ... (ms)'.padEnd(52)} | ${'messages'.padStart(8)} | ${'p50'.padStart(8)} | ${'p99'.padStart(8)} |`,
  );
  console.log(`|${'-'.repeat(54)}|${'-'.repeat(10)}|${'-'.repeat(10)}|${'-'.repeat(10)}|`);
  console.log(row('(base) inventory.stock.changed received', stockLag));
  console.log(row('(a) notifier.alert.fired received', alertLag));
  console.log(
    `\nratios: a/base p50 = ${fmt(pct(alertLag, 50) / pct(stockLag, 50), 2)}x   a/base p99 = ${fmt(pct(alertLag, 99) / pct(stockLag, 99), 2)}x\n`,
  );
  if (arrivals.alert.length !== SUBSCRIBERS) process.exitCode = 1;
} finally {
  await rpc.close();
  await nc.drain();
  etcd.close();
  await stopPrivateStack(stack);
}
