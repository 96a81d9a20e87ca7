/**
 * Issue 13 point 7: SIGTERM drains. Under a bounded order load through two gateways (behind a
 * test "load balancer" that follows /readyz, as Kubernetes does) one inventory instance of two
 * and one gateway of two get SIGTERM. Every request must get a definite answer (2xx, 4xx or
 * 503; no hang, no reset connection, no 502/504), every 2xx order has its sale: key (no
 * acknowledged sale lost, invariant 2's spirit), readiness turns 503 before the gateway stops,
 * and each process exits within 10 s of its signal.
 */
import { scanPrefix, type EtcdConnection } from '@ticketcd/etcd';
import { parseKey, prefixes } from '@ticketcd/keys';
import { SESSION_COOKIE } from '../src/auth/cookies.js';
import { ApiClient, GATEWAY_TEST_ENV } from './api-client.js';
import { deployedInstances, seedEvent, startStackWithClients, waitFor, type ServiceProcess, type StackClients } from '@ticketcd/testing';
import { ulid } from 'ulid';

const USERS = 40;
const WORKERS = 120;
/** A request unanswered this long counts as hung. */
const CLIENT_TIMEOUT_MS = 8000;
/** Longer than the test balancer takes to see a failed /readyz (100 ms polls, 2.5 s timeout: the
 *  probe reads etcd, slow on a loaded machine). */
const READY_DELAY_MS = 3000;

let clients: StackClients;
beforeAll(async () => {
  clients = await startStackWithClients({
    services: ['gateway', 'inventory', 'orders'],
    instances: deployedInstances(),
    env: {
      ...GATEWAY_TEST_ENV,
      RATE_ORDERS_PER_USER: '100000/10',
      RATE_ORDERS_PER_IP: '100000/10',
      RATE_LOGIN_PER_IP: '1000/60',
      SHUTDOWN_READY_DELAY_MS: String(READY_DELAY_MS),
    },
  });
}, 180_000);

afterAll(() => clients?.close());

/** What a load balancer does: send only to instances whose /readyz is 200, probed every 100 ms. */
class ReadinessBalancer {
  private readonly ready = new Set<string>();
  private next = 0;
  private stopped = false;
  /** First time each instance was seen answering 503 on /readyz. */
  readonly first503 = new Map<string, number>();
  readonly polling: Promise<void>;

  constructor(private readonly urls: string[]) {
    for (const u of urls) this.ready.add(u);
    this.polling = this.poll();
  }

  private async poll() {
    // One loop per instance: a slow probe of one never delays noticing another.
    await Promise.all(
      this.urls.map(async (u) => {
        while (!this.stopped) {
          const status = await fetch(`${u}/readyz`, { signal: AbortSignal.timeout(2500) }).then(
            (r) => r.status,
            () => 0,
          );
          if (status === 200) this.ready.add(u);
          else this.ready.delete(u);
          if (status === 503 && !this.first503.has(u)) this.first503.set(u, Date.now());
          await new Promise((r) => setTimeout(r, 100));
        }
      }),
    );
  }

  pick(exclude?: string): string | undefined {
    const candidates = [...this.ready].filter((u) => u !== exclude);
    return candidates[this.next++ % Math.max(1, candidates.length)];
  }

  async stop() {
    this.stopped = true;
    await this.polling;
  }
}

async function soldOrderIds(etcd: EtcdConnection, eventId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const kv of scanPrefix(etcd.kv, prefixes.salesOf(eventId))) {
    const k = parseKey(kv.key);
    if (k.kind === 'sale') ids.add(k.orderId);
  }
  return ids;
}

type Result = { kind: 'answer'; status: number; orderId?: string; gateway: string } | { kind: 'failure'; why: string; gateway: string };

async function placeOrder(lb: ReadinessBalancer, cookie: string, eventId: string): Promise<Result> {
  const key = ulid();
  let exclude: string | undefined;
  const giveUpAt = Date.now() + CLIENT_TIMEOUT_MS;
  // A refused connection never reached the gateway: a load balancer sends it to another one.
  for (let tries = 0; ; tries++) {
    const gateway = lb.pick(exclude);
    if (!gateway) {
      // None ready right now (a load balancer queues the request): wait for one.
      if (Date.now() > giveUpAt) return { kind: 'failure', why: 'no ready gateway', gateway: '-' };
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    try {
      const res = await fetch(`${gateway}/api/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key, cookie: `${SESSION_COOKIE}=${cookie}` },
        body: JSON.stringify({ eventId, lines: [{ type: 'general', quantity: 1 }] }),
        signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
      });
      const body = (await res.json().catch(() => ({}))) as { orderId?: string };
      return { kind: 'answer', status: res.status, orderId: body.orderId, gateway };
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause;
      if (cause?.code === 'ECONNREFUSED' && tries < 3) {
        exclude = gateway;
        continue;
      }
      return { kind: 'failure', why: `${(e as Error).name}: ${cause?.code ?? (e as Error).message}`, gateway };
    }
  }
}

/** SIGTERM and the time until the process is gone (the stack SIGKILLs it after 12 s). */
async function terminate(s: ServiceProcess): Promise<number> {
  const started = Date.now();
  await s.stop('SIGTERM');
  return Date.now() - started;
}

describe('SIGTERM drains (issue 13 point 7)', () => {
  it('an inventory and a gateway stopped under load: every request answered, no acknowledged sale lost, exit under 10 s', async () => {
    const { stack, etcd } = clients;
    const gateways = stack.services.filter((s) => s.spec.service === 'gateway');
    const inventories = stack.services.filter((s) => s.spec.service === 'inventory');
    const eventId = await seedEvent(etcd, { maxPerOrder: 10, tickets: [{ type: 'general', total: 1_000_000, price: 100 }] });
    const cookies = await Promise.all(
      Array.from(
        { length: USERS },
        async (_, i) => (await new ApiClient(gateways[i % 2]!.url).signIn(`drain-${i}-${ulid().slice(-6).toLowerCase()}`)).cookie!,
      ),
    );

    const lb = new ReadinessBalancer(gateways.map((g) => g.url));
    const results: Result[] = [];
    let stopLoad = false;
    let signalledAt = 0;
    let answeredAfterSignal = 0;
    const load = Array.from({ length: WORKERS }, async (_, w) => {
      while (!stopLoad) {
        const r = await placeOrder(lb, cookies[w % USERS]!, eventId);
        results.push(r);
        if (signalledAt) answeredAfterSignal++;
      }
    });

    try {
      await waitFor(() => results.length >= 400, { timeoutMs: 60_000, what: '400 orders answered' });
      signalledAt = Date.now();
      const [inventoryExitMs, gatewayExitMs] = await Promise.all([terminate(inventories[1]!), terminate(gateways[1]!)]);
      // Keep the load on the survivors a little longer: they must carry it alone.
      const atExit = results.length;
      await waitFor(() => results.length >= atExit + 300, { timeoutMs: 60_000, what: '300 more orders answered' });
      stopLoad = true;
      await Promise.all(load);
      await lb.stop();

      const tally: Record<string, number> = {};
      for (const r of results) {
        const k = r.kind === 'answer' ? String(r.status) : r.why;
        tally[k] = (tally[k] ?? 0) + 1;
      }
      const summary = {
        tally,
        answeredAfterSignal,
        inventoryExitMs,
        gatewayExitMs,
        gateway503AfterMs: (lb.first503.get(gateways[1]!.url) ?? NaN) - signalledAt,
      };
      console.log(`SIGTERM under load: ${JSON.stringify(summary)}`);
      expect(answeredAfterSignal).toBeGreaterThan(300);

      // Every request got a definite answer: 2xx, 4xx or 503 (no hang, reset, 502 or 504).
      const indefinite = results.filter((r) => r.kind === 'failure' || !(r.status < 500 || r.status === 503));
      expect({ indefinite: indefinite.length, examples: indefinite.slice(0, 3) }).toEqual({ indefinite: 0, examples: [] });
      // No acknowledged sale lost.
      const sales = await soldOrderIds(etcd, eventId);
      const acked = results.flatMap((r) => (r.kind === 'answer' && r.status === 201 ? [r.orderId!] : []));
      expect(acked.filter((id) => !sales.has(id))).toEqual([]);
      // Readiness turned 503 before the gateway went away; both exits well inside the bound.
      expect(summary.gateway503AfterMs).toBeLessThan(gatewayExitMs);
      expect(inventoryExitMs).toBeLessThan(10_000);
      expect(gatewayExitMs).toBeLessThan(10_000);
    } finally {
      stopLoad = true;
      await Promise.all(load);
      await lb.stop();
    }
  });
});
