/**
 * Every service as a real process on a private stack (five etcd members, nats-server -js):
 * boot, svc: registration, readiness through member loss, and deregistration on kill -9
 * (lease TTL) and on SIGTERM (lease revoked at once).
 * Issue 13.9: readiness means "this instance can serve": with quorum lost every instance stays
 * ready (etcd "unavailable" in the /readyz body and ticketcd_dependency_up{dependency="etcd"} 0 in
 * /metrics) while the API answers the documented JSON 503 naming etcd (invariant 5); /readyz is
 * 503 naming nats when NATS is gone; /healthz never depends on either.
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

interface Readiness {
  status: 'ok' | 'error';
  process: string;
  nats: { status: string; message?: string };
  etcd: { status: string; message?: string };
  message?: string;
}

async function readyz(s: ServiceProcess): Promise<{ status: number; body: string; json: Readiness }> {
  const res = await fetch(`${s.url}/readyz`, { signal: AbortSignal.timeout(5000) });
  const body = await res.text();
  let json = {} as Readiness;
  try {
    json = JSON.parse(body) as Readiness;
  } catch {
    // asserted by the callers
  }
  return { status: res.status, body, json };
}

async function healthz(s: ServiceProcess): Promise<number> {
  return (await fetch(`${s.url}/healthz`, { signal: AbortSignal.timeout(5000) })).status;
}

/** The etcd gauge's value in the instance's /metrics, or null when absent. */
async function etcdGauge(s: ServiceProcess): Promise<number | null> {
  const text = await (await fetch(`${s.url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const m = /^ticketcd_dependency_up\{[^}]*dependency="etcd"[^}]*\} (\d+)$/m.exec(text);
  return m ? Number(m[1]) : null;
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
      expect(r.json).toMatchObject({ status: 'ok', process: 'started', etcd: { status: 'up' }, nats: { status: 'up' } });
      expect(await healthz(s)).toBe(200);
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      expect(metrics).toContain(`service="${s.spec.service}"`);
    }
    // The gateway times its requests per route (ticketcd_http_request_seconds, docs/deploy.md).
    const gateway = stack.services.find((s) => s.spec.service === 'gateway')!;
    expect((await fetch(`${gateway.url}/api/events?limit=1`)).status).toBe(200);
    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(text).toMatch(
      /^ticketcd_http_request_seconds_count\{[^}]*method="GET"[^}]*route="\/api\/events"[^}]*status="200"[^}]*\} [1-9]/m,
    );
  });

  it('stays ready with quorum lost: /readyz 200 with etcd "unavailable" in the body, the etcd gauge 0, the API a JSON 503 naming etcd; recovers alone (issue 13.9)', async () => {
    const status = await clusterStatus(etcd);
    const leaderIndex = status.members.findIndex((m) => m.isLeader);
    const index = (name: string) => Number(name.split('-')[1]);
    const followers = status.members.filter((m) => !m.isLeader).map((m) => index(m.name));
    const leader = index(status.members[leaderIndex]!.name);

    await stack.etcd.stopMember(followers[0]!);
    await stack.etcd.stopMember(followers[1]!);
    // Sampled repeatedly: two members down must never make a service unready, nor etcd unavailable.
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(running().map(async (s) => [s.instanceId, (await readyz(s)).status] as const));
      expect(results).toEqual(running().map((s) => [s.instanceId, 200]));
    }

    await stack.etcd.stopMember(leader);
    try {
      const stoppedAt = Date.now();
      const times = await Promise.all(
        running().map(async (s) => {
          // Whichever comes first: the body reporting etcd down, or the instance turning unready.
          const r = await waitFor(
            async () => {
              const res = await readyz(s);
              return res.status !== 200 || res.json.etcd?.status === 'unavailable' ? res : undefined;
            },
            { timeoutMs: 10_000, intervalMs: 20, what: `${s.instanceId} to report etcd unavailable` },
          );
          // Never unready for a dependency: the instance can still answer (with 503s naming it).
          expect({ instance: s.instanceId, status: r.status, body: r.json }).toMatchObject({
            instance: s.instanceId,
            status: 200,
            body: { status: 'ok', process: 'started', nats: { status: 'up' } },
          });
          expect(r.json.etcd.message).toMatch(/etcd quorum unavailable/);
          return Date.now() - stoppedAt;
        }),
      );
      expect(Math.max(...times)).toBeLessThanOrEqual(3000);
      for (const s of running()) {
        expect(await etcdGauge(s)).toBe(0);
        expect(await healthz(s)).toBe(200);
      }
      // The API answers the documented error: a JSON 503 naming etcd (log-in reads user: from etcd).
      const login = await fetch(`${stack.gatewayUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'nobody', password: 'a long passphrase' }),
        signal: AbortSignal.timeout(10_000),
      });
      expect(login.status).toBe(503);
      expect(await login.json()).toMatchObject({ error: { status: 503, code: 'UNAVAILABLE', dependency: 'etcd' } });
    } finally {
      for (const i of [followers[0]!, followers[1]!, leader]) stack.etcd.startMember(i);
    }
    await Promise.all(
      running().map((s) =>
        waitFor(async () => (await readyz(s)).json.etcd?.status === 'up', {
          timeoutMs: 30_000,
          intervalMs: 200,
          what: `${s.instanceId} etcd up again`,
        }),
      ),
    );
    // Each scrape probes etcd afresh, and a cluster that just got its members back may still
    // hold an election: wait for the gauge too rather than read it once.
    await Promise.all(
      running().map((s) =>
        waitFor(async () => (await etcdGauge(s)) === 1, { timeoutMs: 30_000, intervalMs: 200, what: `${s.instanceId} etcd gauge 1 again` }),
      ),
    );
    // Same processes as before: recovery needed no restart.
    expect(running()).toHaveLength(SERVICE_NAMES.length);
  }, 120_000);

  it('turns 503 naming nats while NATS is down, /healthz stays 200, and is ready again when it returns (issue 13.9)', async () => {
    await stack.nats.stop();
    try {
      for (const s of running()) {
        const r = await waitFor(
          async () => {
            const res = await readyz(s);
            return res.status === 503 ? res : undefined;
          },
          { timeoutMs: 10_000, intervalMs: 50, what: `${s.instanceId} to turn 503` },
        );
        expect(r.json).toMatchObject({ status: 'error', nats: { status: 'unavailable' } });
        expect(r.json.message).toMatch(/nats/);
        expect(await healthz(s)).toBe(200);
      }
    } finally {
      await stack.nats.start();
    }
    await Promise.all(
      running().map((s) =>
        waitFor(async () => (await readyz(s)).status === 200, { timeoutMs: 30_000, intervalMs: 200, what: `${s.instanceId} ready again` }),
      ),
    );
  }, 90_000);

  it('kill -9 of a service removes its svc: key within the lease TTL', async () => {
    const orders = svc('orders');
    await waitFor(() => svcKeyExists(orders), { timeoutMs: 15_000, what: 'orders registered again after the quorum test' });
    await orders.stop('SIGKILL');
    const killedAt = Date.now();
    await waitFor(async () => !(await svcKeyExists(orders)), {
      timeoutMs: TTL_S * 1000 + 5000,
      intervalMs: 100,
      what: 'svc:orders key to expire',
    });
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
