/**
 * Issue 25 point 3: a transient publish failure never costs an outbox entry an attempt, also when
 * other entries of the same page go out. A real mix: `inventory.tickets.sold` is taken out of the
 * INVENTORY stream for 10 s (a publish of it then fails with JetStream's 503, no responders, like
 * a stream that is moving), while `inventory.stock.changed` is still taken. Sales made meanwhile
 * fail to publish, stock adjusts of another event go out, on the same pages. The relay used to
 * count the sales' failures because other entries had published, and quarantined them after
 * about 7.5 s (5 attempts), so orders never recorded them. Now: 0 quarantined, and once the
 * subject is back every sale is recorded (purchase: and stats: keys, via orders' consumer).
 */
import { jetstreamManager, type StreamConfig } from '@nats-io/jetstream';
import { Events, Rpc, statsRecord } from '@ticketcd/contracts';
import type { EtcdConnection } from '@ticketcd/etcd';
import { keys, prefixes } from '@ticketcd/keys';
import type { NatsConnection, RpcClient } from '@ticketcd/messaging';
import { seedEvent, startStackWithClients, waitFor, type StackClients } from '@ticketcd/testing';
import { ulid } from 'ulid';

let clients: StackClients;
let etcd: EtcdConnection;
let rpc: RpcClient;
let nc: NatsConnection;

beforeAll(async () => {
  clients = await startStackWithClients({ services: ['inventory', 'orders'] });
  ({ etcd, nc } = clients);
  rpc = clients.rpc.client;
}, 120_000);

afterAll(() => clients?.close());

/** Longer than the 7.5 s (attempts at 0, 0.5, 1.5, 3.5 and 7.5 s) after which a counted failure was quarantined. */
const OUTAGE_MS = 10_000;

const count = (prefix: string) => etcd.kv.getAll().prefix(prefix).count();

/** The totals of the stock.changed messages of `eventId` in the INVENTORY stream. */
async function adjustsPublished(eventId: string): Promise<Set<number>> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info('INVENTORY');
  const totals = new Set<number>();
  for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage('INVENTORY', { seq }).catch(() => null);
    if (m?.subject !== Events.inventory.stockChanged.type) continue;
    const { data } = JSON.parse(new TextDecoder().decode(m.data)) as { data: { eventId: string; total: number } };
    if (data.eventId === eventId) totals.add(data.total);
  }
  return totals;
}

describe('outbox relay with transient publish failures (issue 25.3)', () => {
  it('never quarantines a sale whose publish fails transiently while other entries go out: every sale is recorded', async () => {
    const sold = await seedEvent(etcd, { tickets: [{ type: 'pink', total: 1000, price: 100 }] });
    const adjusted = await seedEvent(etcd, { tickets: [{ type: 'blue', total: 10, price: 50 }] });
    const jsm = await jetstreamManager(nc);
    const config: StreamConfig = (await jsm.streams.info('INVENTORY')).config;
    expect(config.subjects).toContain(Events.inventory.ticketsSold.type);

    // tickets.sold has no stream now: its publishes get a 503 (no responders); stock.changed still goes out.
    await jsm.streams.update('INVENTORY', { ...config, subjects: [Events.inventory.stockChanged.type] });
    const sales: { orderId: string; username: string }[] = [];
    let total = 10;
    const started = Date.now();
    try {
      // Sales and stock adjusts side by side for the whole outage: each relay page holds entries
      // that fail (the sales) and entries that go out (the adjusts).
      while (Date.now() - started < OUTAGE_MS) {
        const sale = { orderId: ulid(), username: `buyer-${sales.length}` };
        const reply = await rpc.call(Rpc.inventory.purchase, { ...sale, eventId: sold, lines: [{ type: 'pink', quantity: 1 }] });
        expect(reply.status).toBe('accepted');
        sales.push(sale);
        await rpc.call(Rpc.inventory.adjust, { eventId: adjusted, ticketType: 'blue', total: ++total });
        // Pacing, not a wait on a condition: about four sales a second.
        await new Promise((r) => setTimeout(r, 250));
      }
      // The adjusts did go out meanwhile (published on the same pages as the failing sales).
      const last = total;
      await waitFor(async () => (await adjustsPublished(adjusted)).has(last), {
        what: 'the last stock adjust published during the outage',
      });
      // Not one of the sales was quarantined; they wait in the outbox.
      expect(await count(prefixes.outboxQuarantineOf('inventory'))).toBe(0);
      expect(await count(prefixes.outboxOf('inventory'))).toBeGreaterThan(0);
      process.stdout.write(`${sales.length} sales and ${total - 10} adjusts in ${Date.now() - started} ms of outage, 0 quarantined\n`);
    } finally {
      await jsm.streams.update('INVENTORY', config);
    }

    // The subject is back: every sale is published and recorded by orders' consumer.
    await waitFor(async () => (await count(prefixes.outboxOf('inventory'))) === 0, {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: 'the outbox to empty once tickets.sold has its stream again',
    });
    await waitFor(
      async () => {
        const stats = await etcd.kv.get(keys.stats(sold)).string();
        return stats !== null && statsRecord.parse(JSON.parse(stats)).orders === sales.length;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `stats of ${sales.length} sales` },
    );
    const stats = statsRecord.parse(JSON.parse((await etcd.kv.get(keys.stats(sold)).string())!));
    expect(stats).toEqual({ orders: sales.length, revenue: 100 * sales.length, soldByType: { pink: sales.length } });
    for (const s of sales) expect(await etcd.kv.get(keys.purchase(s.username, sold, s.orderId)).string()).not.toBeNull();
    expect(await count(prefixes.outboxQuarantineOf('inventory'))).toBe(0);
  }, 120_000);
});
