/**
 * Request-reply through the platform on a real NATS and etcd (invariant 6 and the 503 rule at
 * the service edge): valid calls answer with data in the caller's trace; bad payloads are
 * refused with field paths before the handler runs; a store outage is UNAVAILABLE naming etcd;
 * nobody answering is UNAVAILABLE naming the service, fast; a slow one is TIMEOUT.
 */
import { Controller, Module, type INestApplication } from '@nestjs/common';
import { Payload, type ClientProxy } from '@nestjs/microservices';
import { baseServiceConfig, loadConfig } from '@ticketcd/config';
import { AppError, type RpcDef, type RpcReply } from '@ticketcd/contracts';
import { createEtcdConnection } from '@ticketcd/etcd';
import { RpcClient, RpcHandler } from '@ticketcd/messaging';
import { currentDeadline, currentTraceId, runWithTrace } from '@ticketcd/observability';
import { createServiceApp, RPC_PROXY } from '@ticketcd/platform';
import { sharedCluster, uniqueNamespace, waitFor } from '@ticketcd/testing';
import type { NatsConnection } from '@nats-io/nats-core';
import { firstValueFrom } from 'rxjs';
import { ulid } from 'ulid';
import { z } from 'zod';

const tag = `rpc${ulid().slice(-12).toLowerCase()}`;
const def = <Req extends z.ZodType, Res extends z.ZodType>(verb: string, request: Req, reply: Res): RpcDef<Req, Res> => ({
  subject: `${tag}.${verb}`,
  service: tag,
  request,
  reply,
});

const Echo = def(
  'echo',
  z.object({ word: z.string().min(1).max(10), times: z.number().int().positive().default(1) }),
  z.object({ echoed: z.string(), traceId: z.string().nullable() }),
);
const Conflict = def('conflict', z.object({}), z.object({}));
const StoreDown = def('store-down', z.object({}), z.object({}));
const Crash = def('crash', z.object({}), z.object({}));
const Slow = def('slow', z.object({}), z.object({}));
const Nobody = def('nobody-serves-this', z.object({}), z.object({}));
const Budget = def('budget', z.object({}), z.object({ leftMs: z.number().nullable() }));

let handled = 0;
let handledSlow = 0;

@Controller()
class TestHandlers {
  @RpcHandler(Echo)
  echo(@Payload() p: z.output<typeof Echo.request>) {
    handled++;
    return { echoed: p.word.repeat(p.times), traceId: currentTraceId() ?? null };
  }

  @RpcHandler(Conflict)
  conflict() {
    throw AppError.conflict('event version 3 is stale; current is 4', { current: 4 });
  }

  @RpcHandler(StoreDown)
  async storeDown() {
    // A real client against a port where no etcd listens.
    const dead = createEtcdConnection({ endpoints: ['http://127.0.0.1:9'], deadlineMs: 300 });
    try {
      return await dead.kv.get('anything').string();
    } finally {
      dead.close();
    }
  }

  @RpcHandler(Crash)
  crash() {
    throw new TypeError("Cannot read properties of undefined (reading 'secret')");
  }

  @RpcHandler(Budget)
  budget() {
    const deadline = currentDeadline();
    return { leftMs: deadline === undefined ? null : deadline - Date.now() };
  }

  @RpcHandler(Slow)
  async slow() {
    handledSlow++;
    await new Promise((r) => setTimeout(r, 1500));
    return {};
  }
}

@Module({ controllers: [TestHandlers] })
class TestModule {}

let app: INestApplication;
let client: RpcClient;

beforeAll(async () => {
  const { etcdEndpoints, natsUrl } = sharedCluster();
  const config = loadConfig(baseServiceConfig, {
    ETCD_ENDPOINTS: etcdEndpoints.join(','),
    NATS_URL: natsUrl,
    ETCD_NAMESPACE: uniqueNamespace('rpc'),
    INSTANCE_ID: 'rpc-test',
    LOG_LEVEL: 'silent',
  });
  app = await createServiceApp({ service: tag, config, imports: [TestModule] });
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  client = app.get(RpcClient);
});

afterAll(async () => {
  await app?.close();
});

describe('request-reply through the platform', () => {
  it("answers with data, in the caller's trace", async () => {
    const reply = await runWithTrace('trace-from-caller', () => client.call(Echo, { word: 'ab', times: 2 }));
    expect(reply).toEqual({ echoed: 'abab', traceId: 'trace-from-caller' });
  });

  it("applies the contract's defaults before the handler runs", async () => {
    expect((await client.call(Echo, { word: 'x' })).echoed).toBe('x');
  });

  it('refuses a bad payload with field paths and never calls the handler', async () => {
    const before = handled;
    // Sent raw through Nest's proxy, as a buggy or hostile caller would.
    const raw = (await firstValueFrom(
      app.get<ClientProxy>(RPC_PROXY).send(Echo.subject, { word: '', times: -1, extra: ':' }),
    )) as RpcReply<unknown>;
    expect(raw).toEqual({ ok: false, error: expect.objectContaining({ code: 'BAD_REQUEST', message: `invalid ${Echo.subject} request` }) });
    if (!raw.ok) expect(raw.error.fields?.map((f) => f.path).sort()).toEqual(['times', 'word']);
    // Through the client too (issue 17.3: it no longer parses what the handler's side validates).
    const viaClient = await client.request(Echo, { word: 'x'.repeat(11) });
    expect(viaClient).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'BAD_REQUEST', fields: [{ path: 'word', message: expect.any(String) }] }),
    });
    expect(handled).toBe(before);
  });

  it("returns a handler's refusal as it was raised", async () => {
    const reply = await client.request(Conflict, {});
    expect(reply).toEqual({
      ok: false,
      error: { code: 'CONFLICT', message: 'event version 3 is stale; current is 4', details: { current: 4 } },
    });
  });

  it('reports a store outage as UNAVAILABLE naming etcd, fast', async () => {
    const started = Date.now();
    const reply = await client.request(StoreDown, {});
    expect(reply).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'UNAVAILABLE', dependency: 'etcd', message: expect.stringMatching(/^etcd unavailable/) }),
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('hides an unexpected error behind INTERNAL', async () => {
    expect(await client.request(Crash, {})).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
  });

  it('reports no running instance as UNAVAILABLE naming the service, without waiting for the timeout', async () => {
    const started = Date.now();
    const reply = await client.request(Nobody, {}, { timeoutMs: 5000 });
    expect(reply).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'UNAVAILABLE', dependency: tag, message: expect.stringContaining('no running instance') }),
    });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  // Issue 13 point 8: a handler's retries must stop before its caller gives up.
  it("carries the caller's budget: the handler knows its deadline, and calls inside a deadline wait no longer", async () => {
    const { leftMs } = await client.call(Budget, {}, { timeoutMs: 1200 });
    expect(leftMs).toBeGreaterThan(700);
    expect(leftMs).toBeLessThanOrEqual(1200);
    // A call made with 300 ms left times out at 300 ms, not at its own 5 s.
    const started = Date.now();
    const reply = await runWithTrace('t', () => client.request(Slow, {}, { timeoutMs: 5000 }), Date.now() + 300);
    expect(reply).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
    expect(Date.now() - started).toBeLessThan(1000);
    // No time left: refused without sending.
    expect(await runWithTrace('t', () => client.request(Echo, { word: 'x' }), Date.now() - 1)).toMatchObject({
      ok: false,
      error: { code: 'TIMEOUT' },
    });
  });

  // Issue 17.3: Nest's ClientProxy subscribed a fresh reply inbox per call (a SUB and an UNSUB
  // each); the client now shares one per connection.
  it('shares one reply inbox per connection: calls in flight add no subscriptions', async () => {
    const nc = (await app.get<ClientProxy>(RPC_PROXY).connect()) as NatsConnection;
    const subscriptions = () => (nc as unknown as { protocol: { subscriptions: { size(): number } } }).protocol.subscriptions.size();
    await client.call(Echo, { word: 'warm' });
    const before = subscriptions();
    const slowBefore = handledSlow;
    const calls = Array.from({ length: 50 }, () => client.request(Slow, {}, { timeoutMs: 5000 }));
    // Every call sent and taken by the handler, none answered yet (each takes 1.5 s).
    await waitFor(() => handledSlow >= slowBefore + 50, { timeoutMs: 5000, what: '50 slow calls in flight' });
    const most = subscriptions();
    const replies = await Promise.all(calls);
    expect(replies.every((r) => r.ok)).toBe(true);
    expect(most).toBe(before);
  });

  it('reports a slow service as TIMEOUT naming it', async () => {
    const reply = await client.request(Slow, {}, { timeoutMs: 300 });
    expect(reply).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'TIMEOUT', dependency: tag, message: expect.stringContaining('within 300 ms') }),
    });
  });
});
