/**
 * Issue 16, point 3: ticketctl get / ls / history / watch against the real cluster, run as the built
 * binary with --namespace (keys are shown without it). Replaces the report's query script.
 */
import { keys, prefixes } from '@ticketcd/keys';
// Only the tests use the testing helpers (the CLI itself does not); the tooling tag does not allow for test files.
import { sharedCluster, testEtcd, waitFor, type TestEtcd } from '@ticketcd/testing';
import { randomUUID } from 'node:crypto';
import { runCli, startCli } from './run-cli.js';

describe('ticketctl get, ls, history, watch (issue 16)', () => {
  let etcd: TestEtcd;
  let base: string[];
  const ids = [randomUUID(), randomUUID(), randomUUID()].sort();
  const eventKeys = ids.map((id) => keys.event(id));
  const revs: number[] = [];

  beforeAll(async () => {
    etcd = testEtcd({ label: 'ticketctl-query' });
    base = ['--etcd', sharedCluster().etcdEndpoints.join(','), '--namespace', etcd.namespace];
    for (const [i, key] of eventKeys.entries()) {
      const res = await etcd.conn.kv
        .put(key)
        .value(JSON.stringify({ id: ids[i], name: `Concert ${i}`, tags: ['a', 'b'] }))
        .exec();
      revs.push(Number(res.header.revision));
    }
    await etcd.conn.kv.put(keys.staticList('locations')).value('plain text, not JSON').exec();
  });
  afterAll(() => etcd.cleanup());

  it('get prints the value pretty-printed with its revisions, and --json the parsed record', async () => {
    const r = await runCli([...base, 'get', eventKeys[0]!]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain(`key:       ${eventKeys[0]}\n`);
    expect(r.stdout).toContain(`revisions: created ${revs[0]}, modified ${revs[0]}, version 1\n`);
    expect(r.stdout).toContain('lease:     none\n');
    expect(r.stdout).toContain(`  "name": "Concert 0",`);

    const j = await runCli([...base, 'get', eventKeys[0]!, '--json']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout)).toEqual({
      key: eventKeys[0],
      value: { id: ids[0], name: 'Concert 0', tags: ['a', 'b'] },
      createRevision: revs[0],
      modRevision: revs[0],
      version: 1,
      lease: null,
    });
    const plain = JSON.parse((await runCli([...base, 'get', keys.staticList('locations'), '--json'])).stdout) as { value: unknown };
    expect(plain.value).toBe('plain text, not JSON');
  });

  it('get of a missing key says so and exits 1; a bad key exits 2', async () => {
    // Independent runs, side by side (each is a node start).
    const [r, bad, empty, badNs, badLimit] = await Promise.all([
      runCli([...base, 'get', keys.event(randomUUID())]),
      runCli([...base, 'get', 'event:\u00e9']),
      runCli([...base, 'get', '']),
      runCli(['--etcd', sharedCluster().etcdEndpoints.join(','), '--namespace', 'bad ns', 'get', 'event:x']),
      runCli([...base, 'ls', 'x', '--limit', '-1']),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ticketctl: key event:\S+ not found \(in namespace ticketctl-query-/);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('outside printable ASCII');
    expect(empty.code).toBe(2);
    expect(badNs.code).toBe(2);
    expect(badNs.stderr).toMatch(/^ticketctl: --namespace may contain only/);
    expect(badLimit.code).toBe(2);
  });

  it('ls pages through a prefix in key order, with --limit, --keys-only and --json', async () => {
    const [all, two, jsonRun, keysOnlyRun] = await Promise.all([
      runCli([...base, 'ls', prefixes.events()]),
      runCli([...base, 'ls', prefixes.events(), '--limit', '2', '--keys-only']),
      runCli([...base, 'ls', prefixes.events(), '--limit', '0', '--json']),
      runCli([...base, 'ls', prefixes.events(), '--keys-only', '--json']),
    ]);
    expect(all.code).toBe(0);
    const lines = all.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(eventKeys);
    expect(lines[1]).toMatch(/"name":"Concert 1"/);

    expect(two.stdout).toBe(`${eventKeys[0]}\n${eventKeys[1]}\n`);
    expect(two.stderr).toBe('... 1 more (--limit 0 for all)\n');

    const json = JSON.parse(jsonRun.stdout) as { key: string; value: { name: string } }[];
    expect(json.map((k) => k.key)).toEqual(eventKeys);
    expect(json[2]!.value.name).toBe('Concert 2');
    expect(JSON.parse(keysOnlyRun.stdout)).toEqual(eventKeys);
  });

  it('get and ls --json show the lease of a key (hex, as etcdctl)', async () => {
    const lease = etcd.conn.kv.lease(60, { autoKeepAlive: false });
    const id = BigInt(await lease.grant()).toString(16);
    const key = keys.svc('catalog', 'leased-1');
    await lease.put(key).value('{}').exec();
    try {
      expect((await runCli([...base, 'get', key])).stdout).toContain(`lease:     ${id}\n`);
      const listed = JSON.parse((await runCli([...base, 'ls', prefixes.svcOf('catalog'), '--json'])).stdout) as {
        key: string;
        lease: string;
      }[];
      expect(listed).toEqual([expect.objectContaining({ key, lease: id })]);
    } finally {
      await lease.revoke();
    }
  });

  it('ls pages through more keys than one page holds, in key order, and counts the rest', async () => {
    const many = Array.from({ length: 1200 }, (_, i) => keys.svc('orders', `o-${String(i).padStart(4, '0')}`));
    for (let i = 0; i < many.length; i += 120) {
      await etcd.conn.kv
        .if(many[i]!, 'Create', '==', 0)
        .then(...many.slice(i, i + 120).map((k) => etcd.conn.kv.put(k).value('{}')))
        .commit();
    }
    const all = await runCli([...base, 'ls', prefixes.svcOf('orders'), '--limit', '0', '--keys-only']);
    expect(all.stdout).toBe(many.map((k) => `${k}\n`).join(''));
    const some = await runCli([...base, 'ls', prefixes.svcOf('orders'), '--limit', '1000', '--keys-only']);
    expect(some.stdout.trimEnd().split('\n')).toEqual(many.slice(0, 1000));
    expect(some.stderr).toBe('... 200 more (--limit 0 for all)\n');
    const overview = JSON.parse((await runCli([...base, 'ls', '--json'])).stdout) as { namespaces: unknown[] };
    expect(overview.namespaces).toContainEqual({ namespace: 'svc:', keys: 1200 });
    await etcd.conn.kv.delete().prefix(prefixes.svcOf('orders')).exec();
  });

  it('ls without a prefix counts the keys of each namespace', async () => {
    const r = await runCli([...base, 'ls', '--json']);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout) as { namespaces: { namespace: string; keys: number }[]; total: number };
    expect(o.namespaces).toContainEqual({ namespace: 'event:', keys: 3 });
    expect(o.namespaces).toContainEqual({ namespace: 'static:', keys: 1 });
    expect(o.total).toBeGreaterThanOrEqual(4);
    const readable = await runCli([...base, 'ls']);
    expect(readable.stdout).toMatch(/^event:\s+3$/m);
  });

  it('history lists every revision oldest first, the delete included', async () => {
    const key = keys.event(randomUUID());
    const put = async (v: string) => Number((await etcd.conn.kv.put(key).value(v).exec()).header.revision);
    const r1 = await put(JSON.stringify({ v: 1 }));
    const r2 = await put(JSON.stringify({ v: 2 }));
    const r3 = await put('three');
    const r4 = Number((await etcd.conn.kv.delete().key(key).exec()).header.revision);

    const j = await runCli([...base, 'history', key, '--json']);
    expect(j.code).toBe(0);
    const h = JSON.parse(j.stdout) as { items: unknown[]; compactedBefore: number | null };
    expect(h.compactedBefore).toBeNull();
    expect(h.items).toEqual([
      { type: 'put', modRevision: r1, version: 1, value: { v: 1 } },
      { type: 'put', modRevision: r2, version: 2, value: { v: 2 } },
      { type: 'put', modRevision: r3, version: 3, value: 'three' },
      { type: 'delete', modRevision: r4, version: 0, value: null },
    ]);
    // Re-created after the delete: a new generation, the old one still listed.
    const r5 = await put('again');
    const again = await runCli([...base, 'history', key]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^${r4}\\s+DELETE\\s+-\\s+\\(deleted\\)$`, 'm'));
    expect(again.stdout).toMatch(new RegExp(`^${r5}\\s+PUT\\s+1\\s+again$`, 'm'));
    const newest = JSON.parse((await runCli([...base, 'history', key, '--limit', '2', '--json'])).stdout) as {
      items: { modRevision: number }[];
      omitted: number;
    };
    expect(newest.items.map((i) => i.modRevision)).toEqual([r4, r5]);
    expect(newest.omitted).toBe(3);
  });

  it('watch --json --count 3 prints the 3 events under the prefix as they happen, then exits 0', async () => {
    const p = startCli([...base, 'watch', prefixes.svc(), '--json', '--count', '3', '--timeout', '60']);
    await waitFor(() => p.stderr().includes('watching svc: from revision'), { what: 'the watch to be live' });
    const k = [keys.svc('orders', 'orders-a'), keys.svc('orders', 'orders-b')];
    await etcd.conn.kv
      .put(k[0]!)
      .value(JSON.stringify({ pid: 1 }))
      .exec();
    await etcd.conn.kv.put(keys.event(randomUUID())).value('not watched').exec();
    await etcd.conn.kv.put(k[1]!).value('two').exec();
    const rev = Number((await etcd.conn.kv.delete().key(k[0]!).exec()).header.revision);
    const r = await p.done;
    expect(r.code).toBe(0);
    const events = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map(({ type, key, value }) => ({ type, key, value }))).toEqual([
      { type: 'put', key: k[0], value: { pid: 1 } },
      { type: 'put', key: k[1], value: 'two' },
      { type: 'delete', key: k[0], value: null },
    ]);
    expect(events[2]!.modRevision).toBe(rev);
  });

  it('history of a key that never existed says so and exits 1', async () => {
    const r = await runCli([...base, 'history', keys.event(randomUUID())]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^no history of event:\S+ up to revision \d+$/m);
    const j = await runCli([...base, 'history', keys.event(randomUUID()), '--json']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ items: [], compactedBefore: null });
  });

  it('watch prints readable lines, and stops cleanly on Ctrl-C (SIGINT): exit 0', async () => {
    const p = startCli([...base, 'watch', prefixes.events()]);
    await waitFor(() => p.stderr().includes('watching event:'), { what: 'the watch to be live' });
    const key = keys.event(randomUUID());
    const rev = Number((await etcd.conn.kv.put(key).value('{"name": "Live"}').exec()).header.revision);
    const line = new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+Z PUT    ${key} rev ${rev} \\{"name":"Live"\\}$`, 'm');
    await waitFor(() => line.test(p.stdout()), { what: 'the readable PUT line' });
    p.child.kill('SIGINT');
    expect((await p.done).code).toBe(0);
  });

  it('an unreachable etcd is exit 3 with a one-line message, never a hang (get, ls, watch)', async () => {
    const dead = ['--etcd', 'http://127.0.0.1:1', '--namespace', etcd.namespace];
    for (const args of [
      ['get', 'event:x'],
      ['ls', 'event:'],
      ['watch', 'event:', '--timeout', '60'],
    ]) {
      const r = await runCli([...dead, ...args]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/^ticketctl: etcd unavailable: .*\n$/);
    }
  });

  it('watch --timeout exits 0 after the time with nothing seen', async () => {
    const r = await runCli([...base, 'watch', 'nothing-here:', '--timeout', '1']);
    expect(r).toMatchObject({ code: 0, stdout: '' });
  });
});
