/**
 * Issue 17 point 5: inventory scales out by event. Two inventory processes on a private
 * five-member cluster split the event partitions (etcd leases); a purchase sent to the instance
 * that does not own its event is forwarded to the owner and sold once; kill -9 of an owner
 * mid-sale moves its partitions within the lease TTL, and across the handover invariant 1
 * (0 oversold, stock equals sales), acknowledged sales durable (every accepted reply has its
 * sale: key) and invariant 3 (retries with the same orderId never sell twice) hold.
 */
import { inventoryPurchaseFor, inventoryPurchaseSubject, partitionOf, Rpc, type RpcReply, type RpcResult } from '@ticketcd/contracts';
import { readPartitionHolders, type EtcdConnection } from '@ticketcd/etcd';
import { prefixes } from '@ticketcd/keys';
import type { RpcClient } from '@ticketcd/messaging';
import { seedEvent, startStackWithClients, waitFor, type Stack, type StackClients } from '@ticketcd/testing';
import { ulid } from 'ulid';
import { expectStockMatchesSales } from './helpers.js';

type Outcome = RpcResult<typeof Rpc.inventory.purchase>;
const TTL_S = 3;

let stack: Stack;
let etcd: EtcdConnection;
let rpc: { client: RpcClient; close: () => Promise<void> };
let clients: StackClients;

const inventories = () => stack.services.filter((s) => s.spec.service === 'inventory');

beforeAll(async () => {
  clients = await startStackWithClients({
    services: ['inventory'],
    instances: { inventory: 2 },
    env: { SVC_LEASE_TTL_S: '3', PARTITION_LEASE_TTL_S: String(TTL_S) },
  });
  ({ stack, etcd, rpc } = clients);
}, 120_000);

afterAll(() => clients?.close());

/** partition -> instance id, as etcd holds it now. */
const owners = () => readPartitionHolders(etcd, prefixes.partitionsOf('inventory'));

function countBy(m: Map<number, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const id of m.values()) out[id] = (out[id] ?? 0) + 1;
  return out;
}

/** subject -> names of the NATS connections subscribed to it (from the server's monitoring port). */
async function listeners(): Promise<Map<string, string[]>> {
  const res = await fetch(`http://127.0.0.1:${stack.nats.opts.monitorPort}/connz?subs=1&limit=1000`);
  const body = (await res.json()) as { connections: { name?: string; subscriptions_list?: string[] }[] };
  const out = new Map<string, string[]>();
  for (const c of body.connections) for (const sub of c.subscriptions_list ?? []) out.set(sub, [...(out.get(sub) ?? []), c.name ?? '']);
  return out;
}

/** Both instances hold 8 of the 16 partitions, and only the owner listens on each partition's subject. */
async function evenSplit(): Promise<Map<number, string>> {
  return waitFor(
    async () => {
      const m = await owners();
      const c = countBy(m);
      if (m.size !== 16 || Object.keys(c).length !== 2 || !Object.values(c).every((n) => n === 8)) return null;
      const subs = await listeners();
      for (const [p, owner] of m) {
        if (JSON.stringify(subs.get(inventoryPurchaseSubject(p))) !== JSON.stringify([`inventory:${owner}`])) return null;
      }
      return m;
    },
    { timeoutMs: 20_000, intervalMs: 100, what: 'two instances holding 8 partitions each' },
  );
}

/** An event whose partition is held by `instanceId` (and is `partition`, when given). */
async function eventOwnedBy(instanceId: string, total: number, partition?: number): Promise<string> {
  const m = await owners();
  for (;;) {
    const eventId = ulid();
    const p = partitionOf(eventId);
    if (m.get(p) === instanceId && (partition === undefined || p === partition)) {
      await seedEvent(etcd, { eventId, tickets: [{ type: 'vip', total, price: 100 }] });
      return eventId;
    }
  }
}

async function handled(url: string, subject: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').filter((l) => l.startsWith('ticketcd_rpc_handler_seconds_count{') && l.includes(`subject="${subject}"`));
  return line.reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

describe('inventory partitions (issue 17 point 5)', () => {
  it('two instances split the partitions: 8 each, every one held', async () => {
    const m = await evenSplit();
    expect(new Set(m.values())).toEqual(new Set(inventories().map((s) => s.instanceId)));
  });

  it('a purchase sent to the instance that does not own its event is forwarded to the owner and sold once', async () => {
    const m = await evenSplit();
    const [a, b] = inventories() as [(typeof stack.services)[number], (typeof stack.services)[number]];
    const eventId = await eventOwnedBy(a.instanceId, 1000);
    const subject = inventoryPurchaseFor(eventId).subject;
    expect(m.get(partitionOf(eventId))).toBe(a.instanceId);
    const before = {
      aPart: await handled(a.url, subject),
      bPart: await handled(b.url, subject),
      bPlain: await handled(b.url, 'inventory.purchase'),
    };

    // The plain subject goes to either instance (queue group): about half land on b, the non-owner.
    const orders = Array.from({ length: 40 }, (_, i) => ({
      orderId: ulid(),
      username: `fwd-${i}`,
      eventId,
      lines: [{ type: 'vip', quantity: 1 }],
    }));
    const repeated = { orderId: ulid(), username: 'again', eventId, lines: [{ type: 'vip', quantity: 2 }] };
    const replies = await Promise.all([
      ...orders.map((o) => rpc.client.call(Rpc.inventory.purchase, o)),
      ...Array.from({ length: 20 }, () => rpc.client.call(Rpc.inventory.purchase, repeated)),
    ]);
    expect(replies.every((r) => r.status === 'accepted')).toBe(true);
    expect(new Set(replies.slice(40).map((r) => JSON.stringify(r))).size).toBe(1);

    const after = {
      aPart: await handled(a.url, subject),
      bPart: await handled(b.url, subject),
      bPlain: await handled(b.url, 'inventory.purchase'),
    };
    const bTook = after.bPlain - before.bPlain;
    // b took some, decided none of them itself: each went once to the owner's partition subject.
    expect(bTook).toBeGreaterThan(0);
    expect(after.bPart - before.bPart).toBe(0);
    expect(after.aPart - before.aPart).toBe(bTook);
    // Sold once each: 40 orders of 1 and the repeated one of 2.
    const { sales, tickets } = await expectStockMatchesSales(etcd, eventId);
    expect(sales.size).toBe(41);
    expect(tickets.get('vip')!.remaining).toBe(1000 - 42);
  });

  it('kill -9 of an owner mid-sale: its partitions move within the lease TTL; 0 oversold, acknowledged sales durable, retries sell once', async () => {
    await evenSplit();
    const [victim, survivor] = inventories() as [(typeof stack.services)[number], (typeof stack.services)[number]];
    const STOCK = 250;
    const hot = await eventOwnedBy(victim.instanceId, STOCK);
    const other = await eventOwnedBy(survivor.instanceId, STOCK);
    const hotPartition = partitionOf(hot);

    // 600 buyers over both events, 40 at a time, as orders sends them (partition subject);
    // an UNAVAILABLE/TIMEOUT answer is retried with the same orderId, as a client would.
    const orders = Array.from({ length: 600 }, (_, i) => ({
      orderId: ulid(),
      username: `buyer-${i}`,
      eventId: i % 2 ? hot : other,
      lines: [{ type: 'vip', quantity: 1 }],
    }));
    const finals: Outcome[] = new Array(orders.length);
    const acknowledged: Outcome[] = [];
    let answered = 0;
    let retries = 0;
    let next = 0;
    let killedAt = 0;
    /** When the first order of the dead owner's event sent after the kill was answered. */
    let hotServedAt = 0;
    const giveUpAt = Date.now() + 60_000;
    const workers = Array.from({ length: 40 }, async () => {
      for (let i = next++; i < orders.length; i = next++) {
        for (;;) {
          const sentAt = Date.now();
          const r: RpcReply<Outcome> = await rpc.client.request(inventoryPurchaseFor(orders[i]!.eventId), orders[i]!, { timeoutMs: 5000 });
          if (r.ok) {
            if (killedAt && !hotServedAt && orders[i]!.eventId === hot && sentAt > killedAt) hotServedAt = Date.now();
            finals[i] = r.data;
            if (r.data.status === 'accepted') acknowledged.push(r.data);
            break;
          }
          if (!['UNAVAILABLE', 'TIMEOUT'].includes(r.error.code) || Date.now() > giveUpAt) throw new Error(JSON.stringify(r.error));
          retries++;
          await new Promise((res) => setTimeout(res, 100));
        }
        answered++;
      }
    });

    await waitFor(() => answered >= 150, { timeoutMs: 60_000, intervalMs: 5, what: '150 orders answered' });
    killedAt = Date.now();
    const answeredAtKill = answered;
    await victim.stop('SIGKILL');
    const movedAfterMs = await waitFor(
      async () => ((await owners()).get(hotPartition) === survivor.instanceId ? Date.now() - killedAt : null),
      { timeoutMs: (TTL_S + 5) * 1000, intervalMs: 50, what: `partition ${hotPartition} held by ${survivor.instanceId}` },
    );
    await Promise.all(workers);
    const servedAfterMs = hotServedAt - killedAt;
    console.log(
      `owner killed after ${answeredAtKill} of ${orders.length} answers; its event served again after ${servedAfterMs} ms; partition moved in ${movedAfterMs} ms; ${retries} retries`,
    );
    // A survivor stands in as soon as NATS shows nobody listens there, before the lease runs out.
    expect(hotServedAt).toBeGreaterThan(0);
    expect(servedAfterMs).toBeLessThan(TTL_S * 1000);
    // The kill fell inside the sale.
    expect(answeredAtKill).toBeLessThan(orders.length / 2);
    // Within the lease TTL (plus the survivor's check period and the test's poll).
    expect(movedAfterMs).toBeLessThan(TTL_S * 1000 + 1500);
    expect(countBy(await owners())).toEqual({ [survivor.instanceId]: 16 });

    for (const eventId of [hot, other]) {
      const { sales, tickets } = await expectStockMatchesSales(etcd, eventId);
      const mine = acknowledged.filter((a) => a.eventId === eventId);
      // Every acknowledged sale has its sale: key with its lines; nothing beyond the stock.
      for (const a of mine) expect(sales.get(a.orderId)?.lines).toEqual(a.lines);
      // Every sale was acknowledged: an order the dead owner committed whose reply was lost is
      // retried, and the retry gets its sale even once the event sold out (invariant 3).
      expect(new Set(mine.map((a) => a.orderId))).toEqual(new Set(sales.keys()));
      expect(STOCK - tickets.get('vip')!.remaining).toBe(sales.size);
      expect(sales.size).toBe(STOCK);
    }
    // Retries with the same orderId after the handover never sell twice, and get the first reply.
    const again = await Promise.all(
      acknowledged.slice(0, 100).map((a) =>
        rpc.client.call(
          inventoryPurchaseFor(a.eventId),
          orders.find((o) => o.orderId === a.orderId)!,
        ),
      ),
    );
    expect(again).toHaveLength(100);
    again.forEach((o, i) => expect(o).toEqual(acknowledged[i]));
    for (const eventId of [hot, other]) expect((await expectStockMatchesSales(etcd, eventId)).sales.size).toBe(STOCK);
    // The dead owner's events sell on the survivor: a new event of its partition too.
    const late = await eventOwnedBy(survivor.instanceId, 5, hotPartition);
    await expect(
      rpc.client.call(inventoryPurchaseFor(late), {
        orderId: ulid(),
        username: 'late',
        eventId: late,
        lines: [{ type: 'vip', quantity: 1 }],
      }),
    ).resolves.toMatchObject({ status: 'accepted' });
  });

  it('a restarted instance takes a fair share back (rebalance) and sales go on', async () => {
    const victim = inventories().find((s) => !s.isRunning());
    if (victim) {
      victim.start();
      await victim.waitReady();
    }
    const m = await evenSplit();
    const eventId = await eventOwnedBy([...m.values()][0]!, 5);
    await expect(
      rpc.client.call(inventoryPurchaseFor(eventId), {
        orderId: ulid(),
        username: 'after',
        eventId,
        lines: [{ type: 'vip', quantity: 1 }],
      }),
    ).resolves.toMatchObject({ status: 'accepted' });
  });

  it('only the owner of a partition relays its outbox entries; a new owner relays what the old one left', async () => {
    // A third instance that never relays: what it sells stays in the outbox while it owns the partition.
    const silent = await stack.addInstance('inventory', { OUTBOX_RELAY: 'false' });
    await silent.waitReady();
    const m = await waitFor(
      async () => {
        const o = await owners();
        const c = countBy(o);
        return o.size === 16 && Object.keys(c).length === 3 && Object.values(c).every((n) => n >= 4) ? o : null;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'three instances sharing the partitions' },
    );
    const other = [...new Set(m.values())].find((id) => id !== silent.instanceId)!;
    const quiet = await eventOwnedBy(silent.instanceId, 100);
    const loud = await eventOwnedBy(other, 100);
    const entriesOf = async (eventId: string) =>
      Object.values(await etcd.kv.getAll().prefix(prefixes.outboxOf('inventory')).strings()).filter((v) => v.includes(eventId)).length;
    await Promise.all(
      [quiet, loud].flatMap((eventId) =>
        Array.from({ length: 20 }, (_, i) =>
          rpc.client.call(inventoryPurchaseFor(eventId), {
            orderId: ulid(),
            username: `relay-${i}`,
            eventId,
            lines: [{ type: 'vip', quantity: 1 }],
          }),
        ),
      ),
    );
    await waitFor(async () => (await entriesOf(loud)) === 0, { timeoutMs: 15_000, what: 'the relaying owner publishing its entries' });
    // The two relaying instances left the silent owner's entries alone.
    expect(await entriesOf(quiet)).toBeGreaterThan(0);
    // SIGTERM: its partitions move at once, and their new owners relay what it left.
    await silent.stop();
    await waitFor(async () => (await entriesOf(quiet)) === 0, {
      timeoutMs: 15_000,
      what: "the new owner relaying the silent owner's entries",
    });
    await expectStockMatchesSales(etcd, quiet);
  });
});
