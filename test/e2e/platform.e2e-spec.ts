/**
 * Every service as a real process on a private stack (five etcd members, nats-server -js):
 * boot, svc: registration, readiness through member loss (invariant 5: with quorum lost,
 * readiness turns 503 fast, naming etcd quorum, and recovers by itself), and deregistration
 * on kill -9 (lease TTL) and on SIGTERM (lease revoked at once).
 */
import { clusterStatus, createEtcdConnection, type EtcdConnection } from '@ticketcd/etcd';
import { keys, SERVICE_NAMES } from '@ticketcd/keys';
import { ALL_SERVICES, type ServiceProcess, type Stack } from '@ticketcd/stack';
import { startPrivateStack, stopPrivateStack, waitFor } from '@ticketcd/testing';

const TTL_S = 3;
let stack: Stack;
let etcd: EtcdConnection;

const svc = (name: string) => stack.services.find((s) => s.spec.service === name)!;
const running = () => stack.services.filter((s) => s.isRunning());
const svcKeyExists = async (s: ServiceProcess) => (await etcd.kv.get(keys.svc(s.spec.service, s.instanceId)).string()) !== null;

async function readyz(s: ServiceProcess): Promise<{ status: number; body: string }> {
  const res = await fetch(`${s.url}/readyz`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

beforeAll(async () => {
  stack = await startPrivateStack({ services: ALL_SERVICES, env: { SVC_LEASE_TTL_S: String(TTL_S), LOG_LEVEL: 'warn' } });
  etcd = createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 2000 });
}, 180_000);

afterAll(async () => {
  etcd?.close();
  await stopPrivateStack(stack);
});

describe('services on a five-member cluster', () => {
  it('each service boots, registers its svc: key and is ready', async () => {
    expect(stack.services.map((s) => s.spec.service).sort()).toEqual([...SERVICE_NAMES].sort());
    for (const s of stack.services) {
      expect(await svcKeyExists(s)).toBe(true);
      const r = await readyz(s);
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toMatchObject({ status: 'ok', info: { etcd: { status: 'up' }, nats: { status: 'up' } } });
      const health = await fetch(`${s.url}/healthz`);
      expect(health.status).toBe(200);
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      expect(metrics).toContain(`service="${s.spec.service}"`);
    }
    const listed = (await (await fetch(`${stack.gatewayUrl}/api/system/instances`)).json()) as { services: { service: string; instances: unknown[] }[] };
    expect(listed.services.map((s) => [s.service, s.instances.length])).toEqual(SERVICE_NAMES.map((n) => [n, 1]));
  });

  it('stays ready with two members down, turns 503 within 2 s naming etcd quorum with three down, and recovers alone', async () => {
    const status = await clusterStatus(etcd);
    const leaderIndex = status.members.findIndex((m) => m.isLeader);
    const index = (name: string) => Number(name.split('-')[1]);
    const followers = status.members.filter((m) => !m.isLeader).map((m) => index(m.name));
    const leader = index(status.members[leaderIndex]!.name);

    await stack.etcd.stopMember(followers[0]!);
    await stack.etcd.stopMember(followers[1]!);
    // Sampled repeatedly: two members down must never make a service unready.
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(running().map(async (s) => [s.instanceId, (await readyz(s)).status] as const));
      expect(results).toEqual(running().map((s) => [s.instanceId, 200]));
    }

    await stack.etcd.stopMember(leader);
    const stoppedAt = Date.now();
    const times = await Promise.all(
      running().map(async (s) => {
        const r = await waitFor(async () => {
          const res = await readyz(s);
          return res.status === 503 ? res : undefined;
        }, { timeoutMs: 10_000, intervalMs: 20, what: `${s.instanceId} to turn 503` });
        expect(r.body).toMatch(/etcd quorum unavailable/);
        return Date.now() - stoppedAt;
      }),
    );
    expect(Math.max(...times)).toBeLessThanOrEqual(2000);

    for (const i of [followers[0]!, followers[1]!, leader]) stack.etcd.startMember(i);
    await Promise.all(running().map((s) => waitFor(async () => (await readyz(s)).status === 200, { timeoutMs: 30_000, intervalMs: 200, what: `${s.instanceId} ready again` })));
    // Same processes as before: recovery needed no restart.
    expect(running()).toHaveLength(SERVICE_NAMES.length);
  }, 120_000);

  it('kill -9 of a service removes its svc: key within the lease TTL', async () => {
    const orders = svc('orders');
    await waitFor(() => svcKeyExists(orders), { timeoutMs: 15_000, what: 'orders registered again after the quorum test' });
    await orders.stop('SIGKILL');
    const killedAt = Date.now();
    await waitFor(async () => !(await svcKeyExists(orders)), { timeoutMs: TTL_S * 1000 + 5000, intervalMs: 100, what: 'svc:orders key to expire' });
    // etcd expires leases on the leader's clock, checked about every 500 ms.
    expect(Date.now() - killedAt).toBeLessThanOrEqual(TTL_S * 1000 + 1500);
  });

  it('SIGTERM revokes the lease: the key is gone when the process has exited', async () => {
    const catalog = svc('catalog');
    await waitFor(() => svcKeyExists(catalog), { timeoutMs: 15_000, what: 'catalog registered' });
    await catalog.stop('SIGTERM');
    expect(await svcKeyExists(catalog)).toBe(false);
  });
});
