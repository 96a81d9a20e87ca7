/**
 * Request-reply over Nest's NATS transport (core NATS, queue groups per service). Every call
 * has a timeout; every failure comes back as an AppError with a code the gateway maps to HTTP:
 * no instance answering -> UNAVAILABLE naming the service, too slow -> TIMEOUT naming it.
 */
import { applyDecorators, SetMetadata } from '@nestjs/common';
import { MessagePattern, NatsRecordBuilder, type ClientProxy } from '@nestjs/microservices';
import { headers as natsHeaders } from '@nats-io/nats-core';
import {
  AppError,
  HEADERS,
  rpcReplySchema,
  zodFields,
  type RpcDef,
  type RpcReply,
  type RpcRequest,
  type RpcResult,
} from '@ticketcd/contracts';
import { currentDeadline, currentTraceId, newTraceId } from '@ticketcd/observability';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';

export const RPC_DEF = Symbol('ticketcd:rpc-def');

/** Marks a Nest handler as the answer to `def`; the platform's interceptor validates and wraps it. */
export function RpcHandler(def: RpcDef): MethodDecorator {
  return applyDecorators(MessagePattern(def.subject), SetMetadata(RPC_DEF, def));
}

export class RpcClient {
  constructor(
    private readonly proxy: ClientProxy,
    private readonly defaultTimeoutMs: number,
  ) {}

  /** The reply as sent (`{ ok, data | error }`), or an UNAVAILABLE/TIMEOUT reply; never throws. */
  async request<D extends RpcDef>(def: D, payload: RpcRequest<D>, opts: { timeoutMs?: number } = {}): Promise<RpcReply<RpcResult<D>>> {
    const parsed = def.request.safeParse(payload);
    if (!parsed.success) {
      return { ok: false, error: { code: 'BAD_REQUEST', message: `invalid ${def.subject} request`, fields: zodFields(parsed.error) } };
    }
    // Inside a request that has a deadline, never wait past it: our caller would not be listening.
    const inherited = currentDeadline();
    const ms = Math.min(opts.timeoutMs ?? this.defaultTimeoutMs, inherited === undefined ? Infinity : inherited - Date.now());
    if (ms < 1)
      return {
        ok: false,
        error: AppError.timeout(def.service, `no time left to call ${def.subject}: the caller's deadline has passed`).error,
      };
    const h = natsHeaders();
    h.set(HEADERS.traceId, currentTraceId() ?? newTraceId());
    h.set(HEADERS.budgetMs, String(Math.floor(ms)));
    const record = new NatsRecordBuilder(parsed.data).setHeaders(h).build();
    try {
      const raw = await firstValueFrom(this.proxy.send(def.subject, record).pipe(timeout(ms)));
      const reply = rpcReplySchema(def.reply).safeParse(raw);
      if (!reply.success) {
        return {
          ok: false,
          error: { code: 'INTERNAL', message: `${def.service} sent a reply to ${def.subject} that does not match its contract` },
        };
      }
      return reply.data as RpcReply<RpcResult<D>>;
    } catch (e) {
      return { ok: false, error: transportError(def, ms, e) };
    }
  }

  /** The reply's data; a failed reply is thrown as AppError. */
  async call<D extends RpcDef>(def: D, payload: RpcRequest<D>, opts: { timeoutMs?: number } = {}): Promise<RpcResult<D>> {
    const reply = await this.request(def, payload, opts);
    if (!reply.ok) throw new AppError(reply.error);
    return reply.data;
  }
}

function transportError(def: RpcDef, ms: number, e: unknown) {
  const message = (e as Error)?.message ?? String(e);
  if (e instanceof TimeoutError) {
    return AppError.timeout(def.service, `${def.service} did not answer ${def.subject} within ${ms} ms`).error;
  }
  if ((e as Error)?.name === 'EmptyResponseException' || /empty response/i.test(message) || /no responders/i.test(message)) {
    return AppError.unavailable(def.service, `${def.service} is unavailable: no running instance answers ${def.subject}`).error;
  }
  return AppError.unavailable('nats', `cannot reach ${def.service} over NATS: ${message}`).error;
}
