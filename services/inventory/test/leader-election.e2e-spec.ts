/**
 * Issue 13 point 8: a sale rides through an etcd leader election. 3,000 orders on one event go
 * through orders.place (as the gateway sends them: same order timeout) into two inventory
 * instances, and the etcd leader is killed with SIGKILL mid-sale. Guards invariant 1 (0
 * oversold, stock equals sales) and the acknowledgement rule (every accepted reply has its
 * sale: key), and bounds what the buyers see: under 1% answered UNAVAILABLE/TIMEOUT (503/504).
 */
import { Rpc, type RpcReply, type RpcResult } from '@ticketcd/contracts';
import { clusterStatus } from '@ticketcd/etcd';
import { seedEvent, startStackWithClients, testRpcClient, waitFor, type StackClients } from '@ticketcd/testing';
import { ulid } from 'ulid';
import { expectStockMatchesSales } from './helpers.js';

type Outcome = RpcResult<typeof Rpc.orders.place>;

/** The gateway's order timeout (ORDER_TIMEOUT_MS default): what a buyer's order gets. */
const GATEWAY_ORDER_TIMEOUT_MS = 5000;
const ORDERS = 3000;
const CONCURRENCY = 500;
const STOCK = 2400;

let clients: StackClients;
beforeAll(async () => {
  clients = await startStackWithClients({ services: ['inventory', 'orders'], instances: { inventory: 2 } });
}, 120_000);

afterAll(() => clients?.close());

describe('etcd leader election during a sale (issue 13 point 8)', () => {
  it('kill -9 of the leader mid-sale: under 5% unavailable, 0 oversold, every acknowledged order has its sale', async () => {
    const { stack, etcd } = clients;
    const buyer = await testRpcClient(stack.nats.url, GATEWAY_ORDER_TIMEOUT_MS);
    const eventId = await seedEvent(etcd, { tickets: [{ type: 'vip', total: STOCK, price: 100 }] });
    const orders = Array.from({ length: ORDERS }, (_, i) => ({
      username: `buyer-${i}`,
      eventId,
      idempotencyKey: ulid(),
      lines: [{ type: 'vip', quantity: 1 }],
    }));
    const replies: RpcReply<Outcome>[] = new Array(ORDERS);
    let answered = 0;
    let answeredAfterKill = 0;
    let killedAt = 0;
    let next = 0;
    // The leader is looked up before the sale: a status call at the kill let a fast sale answer
    // over half its orders meanwhile (then the kill no longer falls mid-sale).
    const status = await clusterStatus(etcd);
    const leader = Number(status.members.find((m) => m.isLeader)!.name.split('-')[1]);
    const started = Date.now();

    const workers = Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < ORDERS; i = next++) {
        replies[i] = await buyer.client.request(Rpc.orders.place, orders[i]!);
        answered++;
        if (killedAt) answeredAfterKill++;
      }
    });

    // Mid-sale: SIGKILL the leader the moment 600 orders are answered.
    await waitFor(() => answered >= 600, { timeoutMs: 60_000, intervalMs: 5, what: '600 orders answered' });
    killedAt = Date.now();
    await stack.etcd.stopMember(leader, 'SIGKILL');
    try {
      await Promise.all(workers);
      const tally = new Map<string, number>();
      for (const r of replies) {
        const k = r.ok ? r.data.status : r.error.code;
        tally.set(k, (tally.get(k) ?? 0) + 1);
      }
      const failed = replies.filter((r) => !r.ok);
      const reasons = [
        ...new Set(failed.map((r) => (r.ok ? '' : `${r.error.code}: ${r.error.message.replace(/[0-9a-f-]{20,}|\d+ ms/gi, '…')}`))),
      ].slice(0, 5);
      const summary = {
        tally: Object.fromEntries(tally),
        failedFraction: failed.length / ORDERS,
        reasons,
        answeredAfterKill,
        killAfterMs: killedAt - started,
        saleMs: Date.now() - started,
      };
      console.log(`leader ${leader} killed mid-sale: ${JSON.stringify(summary)}`);
      // The kill fell inside the sale, with most orders still to come.
      expect(answeredAfterKill).toBeGreaterThan(ORDERS / 2);

      const { sales, tickets } = await waitFor(async () => expectStockMatchesSales(etcd, eventId), {
        timeoutMs: 20_000,
        intervalMs: 250,
        what: 'a read from the survivors',
      });
      const accepted = replies.flatMap((r) => (r.ok && r.data.status === 'accepted' ? [r.data] : []));
      // Every acknowledged order has its sale, with its lines; nothing sold beyond the stock.
      for (const a of accepted) expect(sales.get(a.orderId)?.lines).toEqual(a.lines);
      expect(STOCK - tickets.get('vip')!.remaining).toBe(sales.size);
      expect(sales.size).toBeLessThanOrEqual(STOCK);
      // Refusals are sold-out only, and sold nothing.
      for (const r of replies) if (r.ok && r.data.status === 'refused') expect(r.data).toMatchObject({ reason: 'sold_out' });
      // The target is under 5%; before the fix this run gave 4-10% (UNAVAILABLE), after it 0,
      // so the test holds 1% to show a regression at once.
      expect({ failed: failed.length, underOnePercent: summary.failedFraction < 0.01 }).toEqual({
        failed: failed.length,
        underOnePercent: true,
      });
    } finally {
      await buyer.close();
      stack.etcd.startMember(leader);
      await stack.etcd.waitHealthy(30_000);
    }
  });
});
