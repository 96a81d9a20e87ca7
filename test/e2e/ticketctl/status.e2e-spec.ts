/**
 * Issue 16, point 4: ticketctl status against the real cluster: five members with a leader and their
 * raft state, alarms, the live instances from svc: keys (here written by the test under its own
 * namespace), NATS reachability; exit 0 with a quorum.
 */
import { keys } from '@ticketcd/keys';
// Only the tests use the testing helpers (the CLI itself does not); the tooling tag does not allow for test files.
import { sharedCluster, testEtcd, type TestEtcd } from '@ticketcd/testing';
import { runCli } from './run-cli.js';

interface Status {
  etcd: {
    members: { name: string; reachable: boolean; isLeader: boolean; raftIndex: number; raftTerm: number; dbSizeBytes: number }[];
    quorum: boolean;
    leaderId: string;
    alarms: unknown[];
  };
  services: {
    instances: { service: string; instanceId: string; port: number; pid: number; since: string }[];
    perService: Record<string, number>;
  };
  nats: { ok: boolean; version?: string; error?: string };
}

describe('ticketctl status (issue 16)', () => {
  let etcd: TestEtcd;
  let base: string[];
  const since = '2026-11-26T00:00:00.000Z';

  beforeAll(async () => {
    etcd = testEtcd({ label: 'ticketctl-status' });
    const { etcdEndpoints } = sharedCluster();
    base = ['--etcd', etcdEndpoints.join(','), '--namespace', etcd.namespace];
    const instance = (service: string, instanceId: string, httpPort: number) =>
      etcd.conn.kv
        .put(keys.svc(service, instanceId))
        .value(JSON.stringify({ service, instanceId, version: '1.0.0', startedAt: since, host: 'h', pid: 4242, httpPort }))
        .exec();
    await instance('orders', 'orders-1', 3001);
    await instance('orders', 'orders-2', 3002);
    await instance('catalog', 'catalog-1', 3003);
  });
  afterAll(() => etcd.cleanup());

  it('--json: 5 members, one leader, raft index > 0, the svc: instances with a count per service, NATS ok', async () => {
    const r = await runCli([...base, '--nats', sharedCluster().natsUrl, 'status', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as Status;
    expect(s.etcd.members).toHaveLength(5);
    expect(s.etcd.members.every((m) => m.reachable && m.raftIndex > 0 && m.raftTerm > 0 && m.dbSizeBytes > 0)).toBe(true);
    expect(s.etcd.members.filter((m) => m.isLeader)).toHaveLength(1);
    expect(s.etcd.quorum).toBe(true);
    expect(s.etcd.alarms).toEqual([]);
    expect(s.services.instances).toEqual([
      { service: 'catalog', instanceId: 'catalog-1', port: 3003, pid: 4242, host: 'h', since },
      { service: 'orders', instanceId: 'orders-1', port: 3001, pid: 4242, host: 'h', since },
      { service: 'orders', instanceId: 'orders-2', port: 3002, pid: 4242, host: 'h', since },
    ]);
    expect(s.services.perService).toEqual({ catalog: 1, orders: 2 });
    expect(s.nats.ok).toBe(true);
    expect(s.nats.version).toMatch(/^\d+\.\d+/);
  });

  it('readable: members with leader and raft state, instances, NATS; an unreachable NATS is reported, not a hang', async () => {
    const r = await runCli([...base, '--nats', 'nats://127.0.0.1:1', 'status']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^etcd: 5 member\(s\), 5 reachable, quorum yes$/m);
    expect(r.stdout.match(/ leader /g)).toHaveLength(1);
    expect(r.stdout).toMatch(/^\s+orders\s+orders-2\s+3002\s+4242\s+2026-11-26T00:00:00.000Z$/m);
    expect(r.stdout).toContain('per service: catalog 1, orders 2');
    expect(r.stdout).toMatch(/^NATS nats:\/\/127.0.0.1:1: UNREACHABLE \(/m);
  });
});
