/**
 * Every service as a real process on a private stack (five etcd members, nats-server -js):
 * boot, svc: registration, readiness through member loss, and deregistration on kill -9
 * (lease TTL) and on SIGTERM (lease revoked at once).
 * Issue 13.9: readiness means "this instance can serve": with quorum lost every instance stays
 * ready (etcd "unavailable" in the /readyz body and ticketcd_dependency_up{dependency="etcd"} 0 in
 * /metrics) while the API answers the documented JSON 503 naming etcd (invariant 5); /readyz is
 * 503 naming nats when NATS is gone; /healthz never depends on either.
 * Issue 18.2: with quorum lost, writes are a 503 naming etcd within 2 s, reads of events and their
 * availability answer from serializable reads flagged stale (X-Data-Stale and `stale`), and the
 * return of the members heals everything within 10 s without a restart, nothing parked.
 */
import { clusterStatus, createEtcdConnection, type EtcdConnection } from '@ticketcd/etcd';
import { jetstreamManager } from '@nats-io/jetstream';
import { PARKED_STREAM } from '@ticketcd/contracts';
import { keys, SERVICE_NAMES } from '@ticketcd/keys';
import { connectNats } from '@ticketcd/messaging';
import { ALL_SERVICES, type ServiceProcess, type Stack } from '@ticketcd/stack';
import { ApiClient, seedEvent, startPrivateStack, stopPrivateStack, waitFor, type ApiResponse } from '@ticketcd/testing';

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

  it('stays ready with quorum lost: /readyz 200 with etcd "unavailable" in the body, the etcd gauge 0, writes a fast JSON 503 naming etcd, event reads stale but answered; recovers alone within 10 s, nothing parked (issues 13.9, 18.2)', async () => {
    const eventId = await seedEvent(etcd, { tickets: [{ type: 'pink', total: 10, price: 4500 }] });
    const anon = new ApiClient(stack.gatewayUrl!);
    const buyer = await new ApiClient(stack.gatewayUrl!).signIn('quorum_buyer');
    await waitFor(
      async () => ((await anon.get('/api/events?limit=100')).body.items as { eventId: string }[]).some((e) => e.eventId === eventId),
      {
        timeoutMs: 10_000,
        what: 'the seeded event in the listing',
      },
    );
    const timed = async (call: () => Promise<ApiResponse>) => {
      const started = Date.now();
      const r = await call();
      return { r, ms: Date.now() - started };
    };
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
    // A minority down is not a quorum loss: writes are still taken, reads are not flagged (issue 18.2).
    const minority = { fav: (await buyer.put(`/api/me/favourites/${eventId}`)).status, one: await anon.get(`/api/events/${eventId}`) };
    expect({ fav: minority.fav, status: minority.one.status, header: minority.one.headers.get('x-data-stale') }).toEqual({
      fav: 200,
      status: 200,
      header: null,
    });

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
      // Writes answer the documented error within 2 s: a JSON 503 naming etcd (issue 18.2).
      const writes: Record<string, () => Promise<ApiResponse>> = {
        login: () => anon.post('/api/auth/login', { username: 'nobody', password: 'a long passphrase' }),
        register: () =>
          anon.post('/api/auth/register', { username: 'quorum_late', password: 'a long passphrase', email: 'late@example.com' }),
        order: () =>
          buyer.post('/api/orders', { eventId, lines: [{ type: 'pink', quantity: 1 }] }, { 'Idempotency-Key': 'quorum-order-1' }),
        favourite: () => buyer.put(`/api/me/favourites/${eventId}`),
      };
      const got: Record<string, unknown> = {};
      const want: Record<string, unknown> = {};
      for (const [what, call] of Object.entries(writes)) {
        const { r, ms } = await timed(call);
        got[what] = { status: r.status, error: r.body?.error, fast: ms < 2000, ms };
        want[what] = {
          status: 503,
          error: expect.objectContaining({ status: 503, code: 'UNAVAILABLE', dependency: 'etcd', message: expect.stringMatching(/etcd/) }),
          fast: true,
          ms: expect.any(Number),
        };
      }
      // Reads of events and their availability answer from a surviving member, flagged stale (issue 18.2).
      const staleRead = {
        status: 200,
        header: expect.stringMatching(/etcd quorum lost/),
        stale: expect.stringMatching(/etcd quorum lost/),
        fast: true,
        ms: expect.any(Number),
      };
      const list = await timed(() => anon.get('/api/events?limit=100'));
      const listed = Array.isArray(list.r.body?.items)
        ? (list.r.body.items as { eventId: string }[]).find((e) => e.eventId === eventId)
        : undefined;
      got.list = {
        status: list.r.status,
        header: list.r.headers.get('x-data-stale'),
        stale: list.r.body?.stale,
        fast: list.ms < 2000,
        ms: list.ms,
      };
      got.listedAvailability = (listed as { availability?: unknown } | undefined)?.availability;
      want.list = staleRead;
      want.listedAvailability = { remaining: 10, total: 10, fromPrice: 4500 };
      const one = await timed(() => anon.get(`/api/events/${eventId}`));
      got.event = {
        status: one.r.status,
        header: one.r.headers.get('x-data-stale'),
        stale: one.r.body?.stale,
        fast: one.ms < 2000,
        ms: one.ms,
      };
      got.eventTickets = one.r.body?.tickets;
      want.event = staleRead;
      want.eventTickets = [{ type: 'pink', total: 10, remaining: 10, price: 4500 }];
      // Search reads its postings the same way (the seeded event is not indexed: only the flag is checked).
      const search = await timed(() => anon.get('/api/search?q=rock'));
      got.search = {
        status: search.r.status,
        header: search.r.headers.get('x-data-stale'),
        stale: search.r.body?.stale,
        fast: search.ms < 2000,
        ms: search.ms,
      };
      want.search = staleRead;
      expect(got).toEqual(want);
    } finally {
      for (const i of [followers[0]!, followers[1]!, leader]) stack.etcd.startMember(i);
    }
    // Within 10 s of the members' return, without restarting anything: writes succeed and reads are fresh again.
    const returned = Date.now();
    await waitFor(
      async () => {
        const fav = await buyer.put(`/api/me/favourites/${eventId}`);
        const one = await anon.get(`/api/events/${eventId}`);
        return fav.status === 200 && one.status === 200 && one.headers.get('x-data-stale') === null && one.body.stale === undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'writes accepted and reads fresh after the members returned' },
    );
    const recoveredMs = Date.now() - returned;
    const order = await buyer.post(
      '/api/orders',
      { eventId, lines: [{ type: 'pink', quantity: 1 }] },
      { 'Idempotency-Key': 'quorum-order-1' },
    );
    expect({ status: order.status, recoveredWithin10s: recoveredMs <= 10_000 }).toEqual({ status: 201, recoveredWithin10s: true });
    const list = await anon.get('/api/events?limit=100');
    expect({ header: list.headers.get('x-data-stale'), stale: list.body.stale }).toEqual({ header: null, stale: undefined });
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
    // No consumer parked anything (the PARKED stream and every service's parked counters).
    const nc = await connectNats({ servers: [stack.nats.url], name: 'platform-e2e' });
    try {
      expect({ parked: (await (await jetstreamManager(nc)).streams.info(PARKED_STREAM)).state.messages }).toEqual({ parked: 0 });
    } finally {
      await nc.close();
    }
    for (const s of running()) {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      const parked = [...text.matchAll(/^ticketcd_consumer_parked\{[^}]*\} (\S+)$/gm)].reduce((t, m) => t + Number(m[1]), 0);
      expect({ instance: s.instanceId, parked }).toEqual({ instance: s.instanceId, parked: 0 });
    }
  }, 150_000);

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
