/**
 * Issue 13.9: /readyz is about this instance (started, not draining, NATS answers); etcd is
 * reported in the body but never makes it unready. (The same against real processes, quorum
 * loss and a stopped nats-server: test/e2e/platform.e2e-spec.ts.)
 */
import type { Response } from 'express';
import { HealthController } from './health.controller.js';
import { ReadinessState, type DependencyProbe, type DependencyStatus } from './readiness.state.js';

const up = { status: 'up' } as const;
const identity = { service: 'orders', instanceId: 'orders-0', version: '1.0.0', startedAt: '2026-11-26T00:00:00.000Z' };

async function readyz(state: Partial<ReadinessState>, deps: DependencyStatus) {
  const readiness = Object.assign(new ReadinessState(), state);
  let probes = 0;
  const probe = { check: async () => (probes++, deps) } as unknown as DependencyProbe;
  let status = 0;
  const res = { status: (s: number) => ((status = s), res) } as unknown as Response;
  const body = await new HealthController(identity, readiness, probe).readyz(res);
  return { status, body, probes };
}

describe('readiness (issue 13.9)', () => {
  it('is 200 when started and NATS answers, with etcd up', async () => {
    const r = await readyz({ started: true }, { etcd: up, nats: up });
    expect(r).toMatchObject({ status: 200, body: { status: 'ok', process: 'started', etcd: up, nats: up } });
    expect(r.body).not.toHaveProperty('message');
  });

  it('stays 200 with etcd unavailable, reporting it in the body', async () => {
    const etcd = { status: 'unavailable', message: 'etcd quorum unavailable: ...' } as const;
    const r = await readyz({ started: true }, { etcd, nats: up });
    expect(r).toMatchObject({ status: 200, body: { status: 'ok', etcd } });
  });

  it.each([
    ['before start-up completes', { started: false }, up, /not ready: starting/],
    ['while draining', { started: true, draining: true }, up, /not ready: draining/],
    [
      'with NATS unavailable',
      { started: true },
      { status: 'unavailable', message: 'nats unreachable: no answer within 1000 ms' } as const,
      /not ready: nats unreachable/,
    ],
  ] as const)('is 503 %s, saying why', async (_why, state, nats, message) => {
    const r = await readyz(state, { etcd: up, nats });
    expect(r.status).toBe(503);
    expect(r.body.status).toBe('error');
    expect(r.body.message).toMatch(message);
  });

  // Issue 15: a service whose etcd user is refused (setup Job not run yet, wrong password) is unready.
  it("is 503 when etcd refuses this instance's user, naming etcd auth", async () => {
    const etcd = { status: 'unavailable', authFailed: true, message: 'etcd auth failed for user "orders" (...): ...' } as const;
    const r = await readyz({ started: true }, { etcd, nats: up });
    expect(r.status).toBe(503);
    expect(r.body.message).toMatch(/not ready: etcd auth failed for user "orders"/);
  });

  // Issue 25.3: an event subject of this service that no stream takes is a configuration error.
  it('is 503 while an event subject has no stream, naming the subject', async () => {
    const misconfigured = 'no JetStream stream takes inventory.tickets.sold (stream INVENTORY should): its events wait in the outbox';
    const r = await readyz({ started: true, misconfigured }, { etcd: up, nats: up });
    expect(r.status).toBe(503);
    expect(r.body.message).toMatch(/not ready: no JetStream stream takes inventory\.tickets\.sold/);
  });

  it('/healthz touches no dependency', () => {
    const probe = { check: () => Promise.reject(new Error('must not be called')) } as unknown as DependencyProbe;
    expect(new HealthController(identity, new ReadinessState(), probe).healthz()).toEqual({
      status: 'ok',
      service: 'orders',
      instance: 'orders-0',
      version: '1.0.0',
    });
  });
});
