/**
 * Wraps every @RpcHandler: runs it inside the caller's trace, validates the payload against the
 * contract (a bad one is answered BAD_REQUEST without calling the handler), and turns the
 * outcome into `{ ok: true, data }` or `{ ok: false, error }`.
 */
import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { NatsContext } from '@nestjs/microservices';
import { HEADERS, zodFields, type RpcDef, type RpcReply } from '@ticketcd/contracts';
import { RPC_DEF } from '@ticketcd/messaging';
import { Metrics, runWithTrace } from '@ticketcd/observability';
import { PinoLogger } from 'nestjs-pino';
import { Observable } from 'rxjs';
import { toRpcError } from './errors.js';
import { Lifecycle } from './lifecycle.service.js';
import { MalformedRpcData } from './rpc-deserializer.js';

@Injectable()
export class RpcInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @Inject(Metrics) private readonly metrics: Metrics,
    private readonly log: PinoLogger,
    private readonly lifecycle: Lifecycle,
  ) {
    log.setContext('rpc');
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const def = this.reflector.get<RpcDef | undefined>(RPC_DEF, context.getHandler());
    if (!def) return next.handle();
    const rpc = context.switchToRpc();
    const natsCtx = rpc.getContext<NatsContext>();
    const traceId = natsCtx?.getHeaders?.()?.get?.(HEADERS.traceId) || undefined;
    // The caller's budget becomes this handler's deadline (inherited by the calls it makes).
    const budgetMs = Number(natsCtx?.getHeaders?.()?.get?.(HEADERS.budgetMs));
    const deadlineAt = Number.isFinite(budgetMs) && budgetMs > 0 ? Date.now() + budgetMs : undefined;
    const started = performance.now();
    const done = (reply: RpcReply<unknown>) => {
      this.metrics.rpcDuration.observe(
        { subject: def.subject, outcome: reply.ok ? 'ok' : reply.error.code },
        (performance.now() - started) / 1000,
      );
      return reply;
    };
    return new Observable((subscriber) => {
      // Counted until answered: the drain waits for every request taken to get its reply.
      this.lifecycle.rpcInFlight.enter();
      subscriber.add(() => this.lifecycle.rpcInFlight.leave());
      runWithTrace(
        traceId,
        () => {
          const raw: unknown = rpc.getData();
          if (raw instanceof MalformedRpcData) {
            subscriber.next(
              done({ ok: false, error: { code: 'BAD_REQUEST', message: `${def.subject} request is not valid JSON: ${raw.reason}` } }),
            );
            subscriber.complete();
            return;
          }
          const parsed = def.request.safeParse(raw);
          if (!parsed.success) {
            subscriber.next(
              done({
                ok: false,
                error: { code: 'BAD_REQUEST', message: `invalid ${def.subject} request`, fields: zodFields(parsed.error) },
              }),
            );
            subscriber.complete();
            return;
          }
          // The handler receives the parsed (defaulted, coerced) payload, not the raw one.
          context.getArgs()[0] = parsed.data;
          const sub = next.handle().subscribe({
            next: (data) => subscriber.next(done({ ok: true, data })),
            error: (e: unknown) => {
              const { error, unexpected } = toRpcError(e);
              if (unexpected) this.log.error({ err: e, subject: def.subject }, 'rpc handler failed');
              subscriber.next(done({ ok: false, error }));
              subscriber.complete();
            },
            complete: () => subscriber.complete(),
          });
          subscriber.add(sub);
        },
        deadlineAt,
      );
    });
  }
}
