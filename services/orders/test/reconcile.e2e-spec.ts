/**
 * `npm run reconcile -- --fix` while the history consumer lags (issue 13, point 4): reconcile
 * counts only the sales the consumer has already counted (those with a purchase: key), read at
 * one revision with the stats, and writes guarded by the stats keys' mod revisions, so the
 * consumer counting the rest afterwards (or meanwhile) leaves stats equal to the sales.
 */
import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { Rpc, saleRecord, statsRecord } from '@ticketcd/contracts';
import { scanPrefix } from '@ticketcd/etcd';
import { keys, parseKey } from '@ticketcd/keys';
import { seedEvent, startStackWithClients, waitFor, waitPipelineIdle, type StackClients } from '@ticketcd/testing';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ulid } from 'ulid';

const DURABLE = 'orders-tickets-sold';
let clients: StackClients;

beforeAll(async () => {
  clients = await startStackWithClients({ services: ['inventory', 'orders'] });
}, 120_000);

afterAll(() => clients?.close());

async function consumerInfo() {
  const jsm = await jetstreamManager(clients.nc);
  return jsm.consumers.info('INVENTORY', DURABLE);
}

async function caughtUp(): Promise<void> {
  // The outbox too: a consumer with nothing pending may only be waiting for the relay.
  await waitPipelineIdle(clients.etcd, clients.nc, {
    outboxes: ['inventory'],
    consumers: [{ stream: 'INVENTORY', durable: DURABLE }],
    what: 'the orders consumer to catch up',
  });
}

/** Stats as the sale: records say they should be, per event (the totals are their sum on read, no key). */
async function expectedStats(): Promise<Map<string, { orders: number; revenue: number; soldByType: Record<string, number> }>> {
  const out = new Map<string, { orders: number; revenue: number; soldByType: Record<string, number> }>();
  const add = (key: string, s: { total: number; lines: { type: string; quantity: number }[] }) => {
    const cur = out.get(key) ?? { orders: 0, revenue: 0, soldByType: {} };
    cur.orders += 1;
    cur.revenue += s.total;
    for (const l of s.lines) cur.soldByType[l.type] = (cur.soldByType[l.type] ?? 0) + l.quantity;
    out.set(key, cur);
  };
  for await (const kv of scanPrefix(clients.etcd.kv, 'sale:', 1000)) {
    const k = parseKey(kv.key);
    if (k.kind !== 'sale') continue;
    const s = saleRecord.parse(JSON.parse(kv.value));
    add(keys.stats(k.eventId), s);
  }
  return out;
}

async function keptStats(): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  for await (const kv of scanPrefix(clients.etcd.kv, 'stats:')) {
    const s = statsRecord.parse(JSON.parse(kv.value));
    out.set(kv.key, { orders: s.orders, revenue: s.revenue, soldByType: s.soldByType });
  }
  return out;
}

const sortTypes = (m: Map<string, unknown>) =>
  Object.fromEntries(
    [...m]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => {
        const s = v as { soldByType: Record<string, number> };
        return [k, { ...s, soldByType: Object.fromEntries(Object.entries(s.soldByType).sort(([a], [b]) => a.localeCompare(b))) }];
      }),
  );

async function runCli(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['libs/tooling/stack/dist/cli.js', ...args, '--dir', clients.stack.opts.dir],
      { timeout: 60_000 },
    );
    return { code: 0, stdout };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

describe('reconcile --fix while the history consumer lags', () => {
  it('held mid-sale: reconcile --fix, then the consumer resumes, and stats equal the sales', async () => {
    const eventId = await seedEvent(clients.etcd, {
      tickets: [
        { type: 'pink', total: 500, price: 1000 },
        { type: 'blue', total: 500, price: 2500 },
      ],
    });
    const rpc = clients.rpc.client;
    // Counted before the pause.
    for (let i = 0; i < 8; i++)
      await rpc.call(Rpc.orders.place, {
        username: 'early',
        eventId,
        idempotencyKey: `e-${i}`,
        lines: [{ type: i % 2 ? 'pink' : 'blue', quantity: 1 + (i % 3) }],
      });
    await caughtUp();
    // A wrong stats value (as after a bug or a manual edit): reconcile --fix must repair it.
    await clients.etcd.kv.put(keys.stats(eventId)).value(JSON.stringify({ revenue: 1, orders: 99, soldByType: { pink: 99 } }));

    // Pause the consumer: stop the orders process, sell straight through inventory, then hold
    // every tickets.sold unacked on the durable (as a consumer would, mid-handling).
    const orders = clients.stack.services.find((s) => s.spec.service === 'orders')!;
    await orders.stop();
    const held: JsMsg[] = [];
    let keepAlive: NodeJS.Timeout | undefined;
    let fixed = { code: -1, stdout: '' };
    try {
      const sold = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          rpc.call(Rpc.inventory.purchase, {
            orderId: ulid(),
            username: 'late',
            eventId,
            lines: [{ type: i % 2 ? 'pink' : 'blue', quantity: 1 + (i % 2) }],
          }),
        ),
      );
      expect(sold.every((s) => s.status === 'accepted')).toBe(true);
      await waitFor(async () => (await consumerInfo()).num_pending === 20, {
        timeoutMs: 30_000,
        what: 'the 20 tickets.sold in the stream',
      });
      const consumer = await jetstream(clients.nc).consumers.get('INVENTORY', DURABLE);
      while (held.length < 20) {
        const batch = await consumer.fetch({ max_messages: 20 - held.length, expires: 2000 });
        for await (const m of batch) held.push(m);
      }
      keepAlive = setInterval(() => held.forEach((m) => m.working()), 5000);
      orders.start();
      await orders.waitReady();

      fixed = await runCli('reconcile', '--fix');
    } finally {
      clearInterval(keepAlive);
      // Resume: the held messages go back to the (running) orders consumer at once.
      held.forEach((m) => m.nak());
    }
    await caughtUp();

    expect(sortTypes(await keptStats())).toEqual(sortTypes(await expectedStats()));
    expect(fixed.code).toBe(0);
    // Only the corrupted key differed: the 20 sales the consumer had not counted were not reconcile's.
    expect(fixed.stdout).toMatch(/1 difference\(s\), fixed/);
    expect(fixed.stdout).toMatch(/20 sale\(s\) not counted yet/);
    const check = await runCli('reconcile');
    expect(check.stdout).toMatch(/0 difference\(s\)/);
    expect(check.code).toBe(0);
  });

  it('reconcile --fix racing 200 live orders never double counts', async () => {
    const eventId = await seedEvent(clients.etcd, {
      tickets: [
        { type: 'pink', total: 1000, price: 700 },
        { type: 'blue', total: 1000, price: 1300 },
      ],
    });
    const rpc = clients.rpc.client;
    await rpc.call(Rpc.orders.place, { username: 'first', eventId, idempotencyKey: 'first', lines: [{ type: 'pink', quantity: 1 }] });
    await caughtUp();

    let selling = true;
    const reconciles = (async () => {
      let runs = 0;
      while (selling) {
        // A conflict (stats moved under it) is a fine answer under load; a wrong write is not.
        await rpc.request(Rpc.orders.reconcile, { fix: true });
        runs++;
      }
      return runs;
    })();
    const placed = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        rpc.call(Rpc.orders.place, {
          username: `fan-${i % 20}`,
          eventId,
          idempotencyKey: `k-${i}`,
          lines: [{ type: i % 2 ? 'pink' : 'blue', quantity: 1 + (i % 3) }],
        }),
      ),
    );
    selling = false;
    expect(placed.every((p) => p.status === 'accepted')).toBe(true);
    expect(await reconciles).toBeGreaterThanOrEqual(1);
    await caughtUp();
    expect(sortTypes(await keptStats())).toEqual(sortTypes(await expectedStats()));
    await expect(rpc.call(Rpc.orders.reconcile, {})).resolves.toMatchObject({ differences: [], fixed: false });
  });
});
