/**
 * RpcClient's mapping of transport failures (issue 17.3 replaced Nest's send() with nats.js's
 * request()): NATS down is a fast UNAVAILABLE naming nats, nobody answering is UNAVAILABLE naming
 * the service, too slow is TIMEOUT naming it, and a reply that is not an envelope is INTERNAL.
 * The connection is a stub here; test/integration/rpc.int-spec.ts runs the real thing.
 */
import type { ClientProxy } from '@nestjs/microservices';
import { errors } from '@nats-io/nats-core';
import { z } from 'zod';
import { RpcClient } from './rpc.js';

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
