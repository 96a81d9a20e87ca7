/**
 * RpcClient's mapping of transport failures (issue 17.3 replaced Nest's send() with nats.js's
 * request()): NATS down is a fast UNAVAILABLE naming nats, nobody answering is UNAVAILABLE naming
 * the service, too slow is TIMEOUT naming it, and a reply that is not an envelope is INTERNAL.
 * The connection is a stub here; test/integration/rpc.int-spec.ts runs the real thing.
 */
import type { ClientProxy } from '@nestjs/microservices';
import { errors } from '@nats-io/nats-core';
import { z } from 'zod';
import { RECONNECT_WAIT_MS, RpcClient } from './rpc.js';

const Echo = { subject: 'svc.echo', service: 'svc', request: z.object({ word: z.string() }), reply: z.object({ echoed: z.string() }) };

function clientWith(connect: () => Promise<unknown>) {
  return new RpcClient({ connect } as unknown as ClientProxy, 1000);
}
const replying = (body: unknown) => async () => ({ request: async () => ({ json: () => body }) });
const failing = (e: unknown) => async () => ({
  request: async () => {
    throw e;
  },
});

describe('RpcClient', () => {
  it("returns the service's reply in Nest's wire format", async () => {
    const client = clientWith(replying({ id: '1', response: { ok: true, data: { echoed: 'hi' } }, isDisposed: true }));
    expect(await client.request(Echo, { word: 'hi' })).toEqual({ ok: true, data: { echoed: 'hi' } });
  });

  it('NATS down (the proxy refuses to connect): UNAVAILABLE naming nats, at once', async () => {
    const client = clientWith(() => Promise.reject('Error: Connection lost. Trying to reconnect...'));
    const started = Date.now();
    expect(await client.request(Echo, { word: 'hi' })).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'UNAVAILABLE', dependency: 'nats' }),
    });
    expect(Date.now() - started).toBeLessThan(100);
  });

  it('no responders: UNAVAILABLE naming the service', async () => {
    const e = new errors.RequestError('no responders', { cause: new errors.NoRespondersError('svc.echo') });
    expect(await clientWith(failing(e)).request(Echo, { word: 'hi' })).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'UNAVAILABLE', dependency: 'svc', message: expect.stringContaining('no running instance') }),
    });
  });

  it('too slow: TIMEOUT naming the service', async () => {
    expect(await clientWith(failing(new errors.TimeoutError())).request(Echo, { word: 'hi' }, { timeoutMs: 300 })).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'TIMEOUT', dependency: 'svc', message: expect.stringContaining('within 300 ms') }),
    });
  });

  it('a reply that is not an envelope: INTERNAL naming the service', async () => {
    expect(await clientWith(replying({ id: '1', response: { hello: 1 } })).request(Echo, { word: 'hi' })).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'INTERNAL', message: expect.stringContaining('svc sent a reply') }),
    });
  });
});

/** Issue 25 point 6: an idempotent call rides out a NATS restart instead of failing at once. */
describe('RpcClient, resendOnReconnect', () => {
  /** A proxy whose connection is down until `up()`; status changes as Nest's client reports them. */
  function flakyProxy() {
    const listeners: ((s: string) => void)[] = [];
    let connected = false;
    const sent: string[] = [];
    const proxy = {
      status: { subscribe: (fn: (s: string) => void) => listeners.push(fn) },
      connect: async () => {
        if (!connected) throw 'Error: Connection lost. Trying to reconnect...';
        return {
          request: async (subject: string) => {
            sent.push(subject);
            return { json: () => ({ id: '1', response: { ok: true, data: { echoed: 'hi' } } }) };
          },
        };
      },
    };
    const set = (up: boolean) => {
      connected = up;
      for (const l of listeners) l(up ? 'connected' : 'disconnected');
    };
    return { proxy: proxy as unknown as ClientProxy, set, sent };
  }

  it('sends again once the connection is back, within the budget', async () => {
    const p = flakyProxy();
    p.set(false);
    const client = new RpcClient(p.proxy, 1000);
    const reply = client.request(Echo, { word: 'hi' }, { timeoutMs: 3000, resendOnReconnect: true });
    setTimeout(() => p.set(true), 200);
    expect(await reply).toEqual({ ok: true, data: { echoed: 'hi' } });
    expect(p.sent).toEqual(['svc.echo']);
  });

  it('a request in flight when the connection drops is sent again after the reconnect (nats.js would wait out its timeout)', async () => {
    const listeners: ((s: string) => void)[] = [];
    const sent: number[] = [];
    const proxy = {
      status: { subscribe: (fn: (s: string) => void) => listeners.push(fn) },
      connect: async () => ({
        request: (_subject: string) => {
          sent.push(Date.now());
          // The first request is lost with the connection: it never answers.
          return sent.length === 1
            ? new Promise(() => undefined)
            : Promise.resolve({ json: () => ({ id: '2', response: { ok: true, data: { echoed: 'again' } } }) });
        },
      }),
    } as unknown as ClientProxy;
    const client = new RpcClient(proxy, 1000);
    const reply = client.request(Echo, { word: 'hi' }, { timeoutMs: 5000, resendOnReconnect: true });
    await new Promise((r) => setTimeout(r, 50));
    for (const l of listeners) l('disconnected');
    setTimeout(() => listeners.forEach((l) => l('connected')), 100);
    const started = Date.now();
    expect(await reply).toEqual({ ok: true, data: { echoed: 'again' } });
    expect(sent).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('answers UNAVAILABLE naming nats when the connection does not come back in time', async () => {
    const p = flakyProxy();
    p.set(false);
    const client = new RpcClient(p.proxy, 1000);
    const started = Date.now();
    expect(await client.request(Echo, { word: 'hi' }, { timeoutMs: 800, resendOnReconnect: true })).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'UNAVAILABLE', dependency: 'nats' }),
    });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('without the option, NATS down is still a fast UNAVAILABLE', async () => {
    const p = flakyProxy();
    p.set(false);
    const started = Date.now();
    expect(await new RpcClient(p.proxy, 1000).request(Echo, { word: 'hi' })).toMatchObject({ ok: false, error: { dependency: 'nats' } });
    expect(Date.now() - started).toBeLessThan(100);
  });

  it('just back from a NATS restart, nobody answering yet is asked again (the services reconnect too)', async () => {
    const listeners: ((s: string) => void)[] = [];
    let calls = 0;
    const proxy = {
      status: { subscribe: (fn: (s: string) => void) => listeners.push(fn) },
      connect: async () => ({
        request: async () => {
          if (++calls < 3) throw new errors.RequestError('no responders', { cause: new errors.NoRespondersError('svc.echo') });
          return { json: () => ({ id: '1', response: { ok: true, data: { echoed: 'hi' } } }) };
        },
      }),
    } as unknown as ClientProxy;
    const client = new RpcClient(proxy, 1000);
    listeners.forEach((l) => l('disconnected'));
    listeners.forEach((l) => l('connected'));
    expect(await client.request(Echo, { word: 'hi' }, { timeoutMs: 3000, resendOnReconnect: true })).toEqual({
      ok: true,
      data: { echoed: 'hi' },
    });
    expect(calls).toBe(3);
    // Long connected: no responders is the answer, at once.
    calls = -100;
    expect(await new RpcClient(proxy, 1000).request(Echo, { word: 'hi' }, { resendOnReconnect: true })).toMatchObject({
      ok: false,
      error: { code: 'UNAVAILABLE', dependency: 'svc' },
    });
  });

  it('a request already seconds old when NATS drops still gets the whole reconnect wait, counted from the drop', async () => {
    const listeners: ((s: string) => void)[] = [];
    let sent = 0;
    const proxy = {
      status: { subscribe: (fn: (s: string) => void) => listeners.push(fn) },
      connect: async () => ({
        request: () =>
          ++sent === 1
            ? new Promise(() => undefined)
            : Promise.resolve({ json: () => ({ id: '2', response: { ok: true, data: { echoed: 'late' } } }) }),
      }),
    } as unknown as ClientProxy;
    const client = new RpcClient(proxy, 1000);
    const reply = client.request(Echo, { word: 'hi' }, { timeoutMs: 6000, resendOnReconnect: true });
    await new Promise((r) => setTimeout(r, RECONNECT_WAIT_MS + 100));
    listeners.forEach((l) => l('disconnected'));
    await new Promise((r) => setTimeout(r, 300));
    listeners.forEach((l) => l('connected'));
    expect(await reply).toEqual({ ok: true, data: { echoed: 'late' } });
  });
});
