/**
 * Watch-fed caches never apply an older value over a newer one (issue 13, point 6): the catalog's
 * listing and the search summaries are WatchedPrefix copies, reloaded in full after a watch
 * reconnect or error (and periodically) while the watch goes on delivering. On a private cluster
 * (members are killed), writers put and delete keys while every member in turn is killed and
 * restarted (so the watch's member dies: a reconnect and a reload) and reloads run every 50 ms;
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
    const applied = new Map<string, number>();
    const regressions: string[] = [];
    let applies = 0;
    let reconnects = 0;
    const cache = new WatchedPrefix(conn, {
      prefix: 'w:',
      idOf: (k) => k.slice(2),
      decode: Number,
      reloadMs: 50,
      onReload: (why) => {
        if (why === 'reconnect' || why === 'watch error') reconnects++;
      },
      onApply: (id, revision) => {
        applies++;
        const last = applied.get(id) ?? 0;
        if (revision < last && regressions.length < 20) regressions.push(`${id}: revision ${revision} applied after ${last}`);
        applied.set(id, Math.max(last, revision));
      },
    });
    await cache.start();

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
      await waitFor(() => JSON.stringify(Object.fromEntries(cache.all().sort())) === JSON.stringify(want), { timeoutMs: 20_000, what: 'the cache to equal etcd' });
      expect(applies).toBeGreaterThan(writes / 2);
      // The watch's member was among those killed: it resumed on another.
      expect(reconnects).toBeGreaterThan(0);
      expect(regressions).toEqual([]);
    } finally {
      await cache.stop();
    }
  });
});
