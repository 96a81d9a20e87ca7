/**
 * ticketctl's bulk writer against the real five-member cluster, when a Txn commits but its reply
 * is lost (a deadline on a slow machine) or etcd3 resends it. Guards invariant 3's building block
 * (a unit is written once) and populate's promise that every account it created gets its password
 * written: a unit the writer itself committed unseen must count as created, not as "existing".
 * The fault is injected in the client (the reply is dropped after the real commit); the store is real.
 */
import { type EtcdConnection } from '@ticketcd/etcd';
import { testEtcd, type TestEtcd } from '@ticketcd/testing';
import { BulkWriter, type Unit } from '@ticketcd/ticketctl';
import { GRPCDeadlineExceededError } from 'etcd3';

let t: TestEtcd;
beforeEach(() => {
  t = testEtcd({ label: 'bulk-writer' });
});
afterEach(() => t.cleanup());

const units = (n: number, tag: string): Unit[] =>
  Array.from({ length: n }, (_, i) => ({
    anchors: [`user:u${i}`],
    ops: [{ type: 'put', key: `user:u${i}`, value: JSON.stringify({ i, tag }) }],
    counters: [{ key: 'count:users', delta: 1 }],
  }));

/** A connection whose guarded Txns really commit, then `fault` decides what the caller sees (once per Txn, `times` Txns). */
function faulty(conn: EtcdConnection, times: number, fault: 'lost-reply' | 'resent'): EtcdConnection {
  let left = times;
  const kv = new Proxy(conn.kv, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'if' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
      return (...args: unknown[]) => {
        const builder = (v as (...a: unknown[]) => { commit(): Promise<{ succeeded: boolean }> }).apply(target, args);
        const commit = builder.commit.bind(builder);
        builder.commit = async () => {
          const res = await commit();
          if (left <= 0 || !res.succeeded) return res;
          left--;
          if (fault === 'lost-reply') throw new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED: Deadline exceeded');
          return commit(); // the resend: its guards now fail
        };
        return builder;
      };
    },
  });
  return { ...conn, kv, deadline: (ms) => conn.deadline(ms) };
}

describe.each(['lost-reply', 'resent'] as const)('bulk writer when a committed Txn is seen as %s', (fault) => {
  it('counts its own unseen commit as created, writes each unit once and adds each counter once', async () => {
    const writer = new BulkWriter(faulty(t.conn, 3, fault), { concurrency: 2 });
    await writer.write(units(300, 'run-1'));

    expect(writer.stats.created).toBe(300);
    expect(writer.stats.existing).toBe(0);
    expect(writer.created.size).toBe(300);
    const stored = await t.conn.kv.getAll().prefix('user:').keys();
    expect(stored).toHaveLength(300);
    expect(await t.conn.kv.get('count:users').number()).toBe(300);
    for (const k of ['user:u0', 'user:u299']) expect((await t.conn.kv.get(k).exec()).kvs[0]!.version).toBe('1');
  });
});

describe('bulk writer and data written by someone else', () => {
  it('a unit that exists with another value is existing, never created, even after a lost reply', async () => {
    await new BulkWriter(t.conn, { concurrency: 1 }).write(units(10, 'other-run'));
    const writer = new BulkWriter(faulty(t.conn, 1, 'lost-reply'), { concurrency: 1 });
    await writer.write(units(20, 'run-2'));

    expect(writer.stats.created).toBe(10);
    expect(writer.stats.existing).toBe(10);
    expect([...writer.created].sort()).toEqual(
      units(20, '')
        .slice(10)
        .map((u) => u.anchors[0])
        .sort(),
    );
    expect(await t.conn.kv.get('count:users').number()).toBe(20);
  });
});
