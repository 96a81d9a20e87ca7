/**
 * Watch-fed caches never apply an older value over a newer one (issue 13, point 6): the catalog's
 * listing and the search summaries are WatchedPrefix copies, reloaded in full after a watch
 * reconnect or error (and periodically) while the watch goes on delivering. On a private cluster
 * (members are killed), writers put and delete keys while every member in turn is killed and
 * restarted (so the watch's member dies: a reconnect and a reload), with reloads every 50 ms or none;
 * every change the cache applies is recorded, and per key the revisions must never go back.
 */
import { createEtcdConnection, scanPrefix, WatchedPrefix, type EtcdConnection } from '@ticketcd/etcd';
import { startPrivateStack, stopPrivateStack, waitFor, type Stack } from '@ticketcd/testing';

let stack: Stack;
let conn: EtcdConnection;
let writer: EtcdConnection;

beforeAll(async () => {
  stack = await startPrivateStack();
  conn = createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 5000 });
  writer = createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 5000 });
}, 120_000);

afterAll(async () => {
  conn?.close();
  writer?.close();
  await stopPrivateStack(stack);
});

const KEYS = 20;
const key = (i: number) => `w:k${String(i).padStart(2, '0')}`;

async function inStore(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for await (const kv of scanPrefix(writer.kv, 'w:')) out[kv.key.slice(2)] = Number(kv.value);
  return out;
}

describe('WatchedPrefix under watch reconnects and reloads', () => {
  it('never applies an older revision over a newer one, and ends equal to etcd', async () => {
    for (let i = 0; i < KEYS; i++) await writer.kv.put(key(i)).value('0').exec();
    // Two caches: one reloading every 50 ms (reloads racing the watch), one never reloading on a
    // timer, so its watch stream stays on one member (each reload cancels and re-creates the watch,
    // and etcd3 may then open the stream on another member): killing each member in turn is sure
    // to break that one's stream, and its resumed watch must not regress anything either.
    const tracked = [50, 3_600_000].map((reloadMs) => {
      const t = { applied: new Map<string, number>(), regressions: [] as string[], applies: 0, reconnects: 0, disconnects: 0 };
      const cache = new WatchedPrefix(conn, {
        prefix: 'w:',
        idOf: (k) => k.slice(2),
        decode: Number,
        reloadMs,
        onDisconnect: () => t.disconnects++,
        onReload: (why) => {
          if (why === 'reconnect' || why === 'watch error') t.reconnects++;
        },
        onApply: (id, revision) => {
          t.applies++;
          const last = t.applied.get(id) ?? 0;
          if (revision < last && t.regressions.length < 20) t.regressions.push(`${id}: revision ${revision} applied after ${last}`);
          t.applied.set(id, Math.max(last, revision));
        },
      });
      return { stats: t, cache };
    });
    for (const t of tracked) await t.cache.start();

    let writing = true;
    let writes = 0;
    let counter = 0;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      while (writing) {
        const i = (counter * 7 + w) % KEYS;
        try {
          // Every 10th write of a key deletes it; the next one creates it again.
          if (++counter % 10 === 0) await writer.kv.delete().key(key(i)).exec();
          else await writer.kv.put(key(i)).value(String(counter)).exec();
          writes++;
        } catch {
          // A member down under this writer: the next call goes elsewhere.
        }
      }
    });
    try {
      for (let m = 0; m < 5; m++) {
        const before = writes;
        await stack.etcd.stopMember(m, 'SIGKILL', 1000);
        await waitFor(() => writes >= before + 100, { timeoutMs: 30_000, intervalMs: 20, what: `writes to go on with member ${m} down` });
        stack.etcd.startMember(m);
        await stack.etcd.waitHealthy(30_000, [m]);
        const after = writes;
        await waitFor(() => writes >= after + 100, { timeoutMs: 30_000, intervalMs: 20, what: `writes to go on with member ${m} back` });
      }
    } finally {
      writing = false;
      await Promise.all(writers);
    }
    try {
      const want = await inStore();
      for (const { cache, stats } of tracked) {
        await waitFor(() => JSON.stringify(Object.fromEntries(cache.all().sort())) === JSON.stringify(want), {
          timeoutMs: 20_000,
          what: 'the cache to equal etcd',
        });
        expect(stats.applies).toBeGreaterThan(writes / 2);
        expect(stats.regressions).toEqual([]);
      }
      // The steady watch's member was among those killed: its stream broke and it resumed.
      expect(tracked[1]!.stats.disconnects).toBeGreaterThan(0);
    } finally {
      for (const { cache } of tracked) await cache.stop();
    }
  });
});
