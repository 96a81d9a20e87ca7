/**
 * Request-reply over Nest's NATS transport (core NATS, queue groups per service). Every call
 * has a timeout; every failure comes back as an AppError with a code the gateway maps to HTTP:
 * no instance answering -> UNAVAILABLE naming the service, too slow -> TIMEOUT naming it.
 *
 * Calls go out on the connection of Nest's ClientProxy but through nats.js's own request(), in
 * Nest's wire format (`{ pattern, data, id }` in, `{ response, err, isDisposed, id }` back), so the
 * services' Nest servers answer them unchanged. Why not `proxy.send()`: it subscribes a fresh
 * inbox per call (SUB and UNSUB to the server, a subscription object, an rxjs pipeline), where
 * request() shares one wildcard inbox per connection and matches replies by token (issue 17.3).
 * Validation happens once, where the data enters: the caller's types bind the payload it builds,
 * and the handler's side validates it against the contract (the platform's RpcInterceptor), so
 * the client does not parse it again; of the reply only the envelope is checked (`ok` and the
 * error's code), its data is the service's, built under the same contract.
 */
import { applyDecorators, SetMetadata } from '@nestjs/common';
import { MessagePattern, type ClientProxy } from '@nestjs/microservices';
import { errors as natsErrors, headers as natsHeaders, type NatsConnection } from '@nats-io/nats-core';
import { AppError, HEADERS, type RpcDef, type RpcReply, type RpcRequest, type RpcResult } from '@ticketcd/contracts';
import { currentDeadline, currentTraceId, newTraceId } from '@ticketcd/observability';

export const RPC_DEF = Symbol('ticketcd:rpc-def');

/** Marks a Nest handler as the answer to `def`; the platform's interceptor validates and wraps it. */
export function RpcHandler(def: RpcDef): MethodDecorator {
  return applyDecorators(MessagePattern(def.subject), SetMetadata(RPC_DEF, def));
}

export interface RpcCallOptions {
  timeoutMs?: number;
  /**
   * The call is idempotent (an order with its Idempotency-Key or order id): a request lost with
   * the NATS connection (a NATS restart) is sent again once the connection is back, within the
   * budget, instead of failing at once or waiting out its timeout. The connection has
   * RECONNECT_WAIT_MS to come back; then the caller gets its 503 naming nats.
   */
  resendOnReconnect?: boolean;
}

/** How long an idempotent call waits for a lost NATS connection to come back (a restart takes ~1 s). */
export const RECONNECT_WAIT_MS = 2500;
/** The least a resent request is given: less is a timeout, not a chance. */
const MIN_RESEND_MS = 250;

/** The connection's state as Nest's client reports it: up or not, with listeners for a change. */
class LinkState {
  connected = true;
  /** When the connection last came back (0: never dropped), and when it last went away. */
  upSince = 0;
  downSince = 0;
  private readonly listeners = new Set<() => void>();

  constructor(proxy: ClientProxy) {
    // A stub proxy (unit tests) may have no status stream: then the link is taken as always up.
    const status = (proxy as { status?: { subscribe?: (fn: (s: string) => void) => unknown } }).status;
    status?.subscribe?.((s: string) => {
      const up = s === 'connected';
      if (up === this.connected) return;
      this.connected = up;
      if (up) this.upSince = Date.now();
      else this.downSince = Date.now();
      for (const f of [...this.listeners]) f();
    });
  }

  /** Calls `f` at every change until the returned function is called (no timer per call). */
  watch(f: () => void): () => void {
    this.listeners.add(f);
    return () => void this.listeners.delete(f);
  }

  /** True once connected, false if `ms` pass first. */
  up(ms: number): Promise<boolean> {
    if (this.connected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const off = this.watch(() => {
        if (!this.connected) return;
        clearTimeout(timer);
        off();
        resolve(true);
      });
      const timer = setTimeout(() => {
        off();
        resolve(this.connected);
      }, ms);
    });
  }
}

export class RpcClient {
  private nextId = 0;
  private readonly link: LinkState;

  constructor(
    private readonly proxy: ClientProxy,
    private readonly defaultTimeoutMs: number,
  ) {
    this.link = new LinkState(proxy);
  }

  /** The reply as sent (`{ ok, data | error }`), or an UNAVAILABLE/TIMEOUT reply; never throws. */
  async request<D extends RpcDef>(def: D, payload: RpcRequest<D>, opts: RpcCallOptions = {}): Promise<RpcReply<RpcResult<D>>> {
    // Inside a request that has a deadline, never wait past it: our caller would not be listening.
    const inherited = currentDeadline();
    const ms = Math.min(opts.timeoutMs ?? this.defaultTimeoutMs, inherited === undefined ? Infinity : inherited - Date.now());
    if (ms < 1)
      return {
        ok: false,
        error: AppError.timeout(def.service, `no time left to call ${def.subject}: the caller's deadline has passed`).error,
      };
    if (!opts.resendOnReconnect) return this.send(def, payload, ms);
    const endAt = Date.now() + ms;
    for (;;) {
      // Sent while connected; a drop meanwhile loses the request (nats.js would only time it out).
      let off: () => void = () => undefined;
      const lost = new Promise<'lost'>((resolve) => {
        off = this.link.watch(() => {
          if (!this.link.connected) resolve('lost');
        });
      });
      let reply: RpcReply<RpcResult<D>> | 'lost';
      try {
        reply = await Promise.race([this.send(def, payload, endAt - Date.now()), lost]);
      } finally {
        off();
      }
      if (reply !== 'lost' && !reply.ok && wasNotDelivered(reply.error) && this.justReconnected(endAt)) {
        // Just back from a NATS restart, the services' own connections may still be coming back:
        // nobody answering yet delivered nothing, so asking again shortly is safe.
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      if (reply !== 'lost' && (reply.ok || reply.error.code !== 'UNAVAILABLE' || reply.error.dependency !== 'nats')) return reply;
      // NATS went away under the request: wait for the connection, then send it again (idempotent).
      // Refused while the link looks up (its status not seen yet): a short pause, not a busy loop.
      if (reply !== 'lost' && this.link.connected) await new Promise((r) => setTimeout(r, 100));
      // RECONNECT_WAIT_MS from the drop, not from the send: a request may be seconds old when NATS goes.
      const left =
        Math.min((this.link.connected ? Date.now() : this.link.downSince) + RECONNECT_WAIT_MS, endAt - MIN_RESEND_MS) - Date.now();
      if (left <= 0 || !(await this.link.up(left)) || endAt - Date.now() < MIN_RESEND_MS)
        return {
          ok: false,
          error: AppError.unavailable('nats', `cannot reach ${def.service} over NATS: the connection did not come back in time`).error,
        };
    }
  }

  /** The connection came back a moment ago, and there is time left to wait for the others'. */
  private justReconnected(endAt: number): boolean {
    return this.link.upSince > 0 && Date.now() - this.link.upSince < RECONNECT_WAIT_MS && Date.now() + 100 < endAt - MIN_RESEND_MS;
  }

  private async send<D extends RpcDef>(def: D, payload: RpcRequest<D>, ms: number): Promise<RpcReply<RpcResult<D>>> {
    const h = natsHeaders();
    h.set(HEADERS.traceId, currentTraceId() ?? newTraceId());
    h.set(HEADERS.budgetMs, String(Math.floor(ms)));
    try {
      // Rejects at once while the client is disconnected (Nest's status handling): a fast 503 naming nats.
      const nc = (await this.proxy.connect()) as NatsConnection;
      const id = String(++this.nextId);
      const msg = await nc.request(def.subject, JSON.stringify({ pattern: def.subject, data: payload, id }), {
        timeout: Math.max(1, Math.floor(ms)),
        headers: h,
      });
      const packet = msg.json<{ response?: unknown; err?: unknown }>();
      if (packet.err !== undefined && packet.err !== null) throw new Error(String(packet.err));
      return isReply(packet.response)
        ? (packet.response as RpcReply<RpcResult<D>>)
        : {
            ok: false,
            error: { code: 'INTERNAL', message: `${def.service} sent a reply to ${def.subject} that does not match its contract` },
          };
    } catch (e) {
      return { ok: false, error: transportError(def, ms, e) };
    }
  }

  /** The reply's data; a failed reply is thrown as AppError. */
  async call<D extends RpcDef>(def: D, payload: RpcRequest<D>, opts: RpcCallOptions = {}): Promise<RpcResult<D>> {
    const reply = await this.request(def, payload, opts);
    if (!reply.ok) throw new AppError(reply.error);
    return reply.data;
  }
}

const NO_RESPONDERS = 'no running instance answers';

/** A failed reply that says nothing was delivered (no subscriber on the subject): resending elsewhere cannot decide twice. */
export function wasNotDelivered(error: { code: string; message: string }): boolean {
  return error.code === 'UNAVAILABLE' && error.message.includes(NO_RESPONDERS);
}

/** A nats.js request error saying nobody subscribes to the subject (so nothing was delivered). */
export function isNoResponders(e: unknown): boolean {
  const err = e as { name?: string; message?: string; isNoResponders?: () => boolean; cause?: unknown };
  return (
    err?.name === 'NoRespondersError' ||
    err?.isNoResponders?.() === true ||
    /no responders/i.test(err?.message ?? '') ||
    (err?.cause !== undefined && err.cause !== e && isNoResponders(err.cause))
  );
}

/** The envelope of a reply: `{ ok: true, data }` or `{ ok: false, error: { code, message } }`. */
function isReply(r: unknown): boolean {
  if (typeof r !== 'object' || r === null) return false;
  const o = r as { ok?: unknown; data?: unknown; error?: { code?: unknown; message?: unknown } };
  if (o.ok === true) return 'data' in o;
  return o.ok === false && typeof o.error?.code === 'string' && typeof o.error.message === 'string';
}

function transportError(def: RpcDef, ms: number, e: unknown) {
  const message = (e as Error)?.message ?? String(e);
  if (e instanceof natsErrors.TimeoutError || (e as Error)?.name === 'TimeoutError') {
    return AppError.timeout(def.service, `${def.service} did not answer ${def.subject} within ${Math.floor(ms)} ms`).error;
  }
  if (
    (e instanceof natsErrors.RequestError && e.isNoResponders()) ||
    e instanceof natsErrors.NoRespondersError ||
    /no responders/i.test(message)
  ) {
    return AppError.unavailable(def.service, `${def.service} is unavailable: ${NO_RESPONDERS} ${def.subject}`).error;
  }
  return AppError.unavailable('nats', `cannot reach ${def.service} over NATS: ${message}`).error;
}
