/**
 * Issue 17 point 5: partition ownership on etcd leases (libs/shared/etcd/src/partitions.ts)
 * against the real cluster. Every partition is held by exactly one member at rest; a newcomer
 * gets a fair share (rebalance); a stopped member's partitions move at once; a restarted
 * instance (same id, its old lease still alive after a crash) takes its keys back at once
 * instead of waiting for the TTL.
 */
import { createEtcdConnection, PartitionOwnership, type EtcdConnection } from '@ticketcd/etcd';
import { sharedCluster, testEtcd, waitFor, type TestEtcd } from '@ticketcd/testing';

const N = 16;
const TTL_S = 30; // long on purpose: nothing below may wait for a lease to run out
const quiet = { info: () => undefined, warn: () => undefined };

let t: TestEtcd;
const extra: EtcdConnection[] = [];
const members: PartitionOwnership[] = [];

beforeAll(() => {
  t = testEtcd({ label: 'partitions' });
});
afterAll(async () => {
  for (const m of members) await m.stop().catch(() => undefined);
  for (const c of extra) c.close();
  await t.cleanup();
});

/** A member on its own connection (its own leases), in this file's namespace. */
function member(instanceId: string): { own: PartitionOwnership; conn: EtcdConnection; serving: Set<number> } {
  const conn = createEtcdConnection({ endpoints: sharedCluster().etcdEndpoints, namespace: t.namespace, deadlineMs: 5000 });
  extra.push(conn);
  const serving = new Set<number>();
  const own = new PartitionOwnership(conn, {
    partitions: N,
    instanceId,
    ttlSeconds: TTL_S,
    keyOf: (p) => `partition:test:${String(p).padStart(2, '0')}`,
    prefix: 'partition:test:',
    memberKey: `partition-member:test:${instanceId}`,
    membersPrefix: 'partition-member:test:',
    tickMs: 200,
    releaseGraceMs: 300,
    onAcquire: (p) => void serving.add(p),
    onRelease: (p) => void serving.delete(p),
    log: quiet,
  });
  members.push(own);
  return { own, conn, serving };
}

async function holders(): Promise<Record<string, number>> {
  const values = await t.conn.kv.getAll().prefix('partition:test:').strings();
  const out: Record<string, number> = {};
  for (const v of Object.values(values)) {
    const id = (JSON.parse(v) as { instanceId: string }).instanceId;
    out[id] = (out[id] ?? 0) + 1;
  }
  return out;
}

const split = (want: Record<string, number>) => async () => JSON.stringify(await holders()) === JSON.stringify(want);

describe('partition ownership on etcd leases (issue 17 point 5)', () => {
  it('a lone member holds every partition once started; newcomers get a fair share; a stopped one hands over at once', async () => {
    const a = member('a');
    await a.own.start();
    expect(a.own.ownedPartitions()).toHaveLength(N);
    expect(a.serving.size).toBe(N);

    const b = member('b');
    await b.own.start();
    await waitFor(split({ a: 8, b: 8 }), { timeoutMs: 10_000, what: 'a 8/8 split' });
    const c = member('c');
    await c.own.start();
    // ceil(16 / 3) = 6: 6, 6 and 4, every partition held once.
    await waitFor(
      async () => {
        const h = await holders();
        return (
          Object.values(h).reduce((x, y) => x + y, 0) === N &&
          Object.values(h).every((n) => n >= 4 && n <= 6) &&
          Object.keys(h).length === 3
        );
      },
      { timeoutMs: 10_000, what: 'a 6/6/4 split' },
    );
    // Each serves exactly what it holds, once the grace of what it gave back is over.
    await waitFor(
      () => [a, b, c].every((m) => JSON.stringify([...m.serving].sort((x, y) => x - y)) === JSON.stringify(m.own.ownedPartitions())),
      {
        timeoutMs: 5000,
        what: 'serving == held',
      },
    );

    // SIGTERM-like stop: the lease is revoked, the others take its partitions without waiting for the TTL.
    await c.own.stop();
    expect(c.serving.size).toBe(0);
    await waitFor(split({ a: 8, b: 8 }), { timeoutMs: 5000, what: 'back to 8/8 after c stopped' });
    await b.own.stop();
    await waitFor(split({ a: 16 }), { timeoutMs: 5000, what: 'a holding all 16 after b stopped' });
  });

  it('a restarted instance (same id, old lease alive after a crash) takes its partitions back at once', async () => {
    const first = member('crashy');
    // Alone in a fresh key range: the previous test left 'a' holding everything, so stop it first.
    for (const m of members.slice(0, -1)) await m.stop();
    await first.own.start();
    await waitFor(split({ crashy: 16 }), { timeoutMs: 5000, what: 'crashy holding all 16' });
    // A crash: the process goes, its lease (TTL 30 s) and keys stay.
    first.conn.close();
    const started = Date.now();
    const second = member('crashy');
    await second.own.start();
    expect(second.own.ownedPartitions()).toHaveLength(N);
    expect(Date.now() - started).toBeLessThan(TTL_S * 1000);
    // Its keys are on the new lease now.
    const leases = new Set((await t.conn.kv.getAll().prefix('partition:test:').exec()).kvs.map((kv) => String(kv.lease)));
    expect(leases.size).toBe(1);
  });
});
