/**
 * Issue 16, points 3-4 under faults, on a private stack (they compact the history and stop
 * members, which the shared cluster's other users must not see): history after a compaction says
 * where the history starts; a watch whose member goes away resumes and says which revisions it may
 * have missed; status without a quorum exits 1 within seconds and shows the members DOWN.
 */
import type { Stack } from '@ticketcd/stack';
import { createEtcdConnection, type EtcdConnection } from '@ticketcd/etcd';
import { keys, prefixes } from '@ticketcd/keys';
// Only the tests use the testing helpers (the CLI itself does not); the tooling tag does not allow for test files.
import { startPrivateStack, stopPrivateStack, uniqueNamespace, waitFor } from '@ticketcd/testing';
import { randomUUID } from 'node:crypto';
import { runCli, startCli } from './run-cli.js';

describe('ticketctl under faults (issue 16)', () => {
  let stack: Stack;
  let conn: EtcdConnection;
  const namespace = uniqueNamespace('ticketctl-faults');
  const base = () => ['--etcd', stack.etcd.endpoints.join(','), '--nats', stack.nats.url, '--namespace', namespace];

  beforeAll(async () => {
    stack = await startPrivateStack();
    conn = createEtcdConnection({ endpoints: stack.etcd.endpoints, namespace, deadlineMs: 3000 });
  }, 120_000);
  afterAll(async () => {
    conn?.close();
    await stopPrivateStack(stack);
  });

  it('history after a compaction starts at the compact revision and says older revisions are gone', async () => {
    const key = keys.event(randomUUID());
    const put = async (v: string) => Number((await conn.kv.put(key).value(v).exec()).header.revision);
    await put('one');
    const r2 = await put('two');
    const r3 = await put('three');
    await conn.client.kv.compact({ revision: String(r2), physical: true });

    const h = JSON.parse((await runCli([...base(), 'history', key, '--json'])).stdout) as { compactedBefore: number; items: unknown[] };
    expect(h.compactedBefore).toBe(r2);
    // etcd keeps the compact revision itself: the history starts there.
    expect(h.items).toEqual([
      { type: 'put', modRevision: r2, version: 2, value: 'two' },
      { type: 'put', modRevision: r3, version: 3, value: 'three' },
    ]);
    const readable = await runCli([...base(), 'history', key]);
    expect(readable.stdout).toContain(`(revisions before ${r2} were compacted: older history is gone)\n`);

    // Its last put before the compaction: that value is all there is.
    const old = keys.event(randomUUID());
    const r4 = Number((await conn.kv.put(old).value('kept').exec()).header.revision);
    const r5 = await put('four');
    await conn.client.kv.compact({ revision: String(r5), physical: true });
    const h2 = JSON.parse((await runCli([...base(), 'history', old, '--json'])).stdout) as { compactedBefore: number; items: unknown[] };
    expect(h2).toMatchObject({ compactedBefore: r5, items: [{ type: 'put', modRevision: r4, version: 1, value: 'kept' }] });

    // A watch asked to replay compacted revisions is canceled by etcd: exit 1, saying why.
    const w = await runCli([...base(), 'watch', prefixes.events(), '--from-revision', '1', '--timeout', '30']);
    expect(w.code).toBe(1);
    expect(w.stderr).toMatch(/^ticketctl: the watch was canceled: revisions it needed \(from 1\) were compacted/m);
  });

  it('a watch whose member restarts resumes, says which revisions it may have missed, and gets the events', async () => {
    const p = startCli([
      '--etcd',
      stack.etcd.clientUrl(0),
      '--namespace',
      namespace,
      'watch',
      prefixes.svc(),
      '--json',
      '--count',
      '3',
      '--timeout',
      '90',
    ]);
    await waitFor(() => p.stderr().includes('watching svc:'), { what: 'the watch to be live' });
    await conn.kv.put(keys.svc('orders', 'before')).value('1').exec();
    await waitFor(() => p.stdout().includes('"before"') || p.stdout().includes('svc:orders:before'), { what: 'the first event' });
    await stack.etcd.stopMember(0);
    const from = Number((await conn.kv.put(keys.svc('orders', 'during-1')).value('2').exec()).header.revision);
    await conn.kv.put(keys.svc('orders', 'during-2')).value('3').exec();
    stack.etcd.startMember(0);
    await stack.etcd.waitHealthy(30_000, [0]);
    const r = await p.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/watch resumed; events may have been missed between revisions (\d+) and (\d+)/);
    const [, a, b] = /between revisions (\d+) and (\d+)/.exec(r.stderr)!;
    expect(Number(a)).toBeLessThanOrEqual(from);
    expect(Number(b)).toBeGreaterThanOrEqual(from + 1);
    const got = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { key: string }).key);
    expect(got).toEqual([keys.svc('orders', 'before'), keys.svc('orders', 'during-1'), keys.svc('orders', 'during-2')]);
  }, 120_000);

  it('status without a quorum exits 1 within seconds, members DOWN, what needs a quorum reported missing', async () => {
    await Promise.all([0, 1, 2].map((i) => stack.etcd.stopMember(i, 'SIGKILL', 1000)));
    const started = Date.now();
    const r = await runCli([...base(), 'status']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^etcd: 5 member\(s\), 2 reachable, quorum NO$/m);
    expect(r.stdout.match(/\sDOWN\s/g)).toHaveLength(3);
    expect(r.stdout).toContain('service instances (svc: keys): svc: keys unreadable');
    expect(r.stdout).toMatch(/^NATS \S+: ok/m);
    const j = await runCli([...base(), 'status', '--json']);
    expect(j.code).toBe(1);
    expect((JSON.parse(j.stdout) as { etcd: { quorum: boolean } }).etcd.quorum).toBe(false);
  }, 60_000);
});
