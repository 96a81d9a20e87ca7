/**
 * Writes in flight when etcd's quorum is declared lost (issue 25 point 1): each is answered with
 * the JSON 503 naming etcd at that moment, instead of when its own budget runs out (an order
 * waits up to ORDER_TIMEOUT_MS, 5 s, to ride out an election). New writes are refused by the
 * access guard. An order answered so may still commit behind it: its retry with the same
 * Idempotency-Key gets that sale, never a second one; nothing acknowledged is undone.
 */
import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { DependencyProbe } from '@ticketcd/platform';
import type { FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { quorumLostError, UNSAFE } from './access.guard.js';

@Injectable()
export class QuorumLostInterceptor implements NestInterceptor {
  constructor(private readonly probe: DependencyProbe) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() !== 'http' || !UNSAFE.has(ctx.switchToHttp().getRequest<FastifyRequest>().method)) return next.handle();
    return new Observable((subscriber) => {
      // Declared between the guard's look and now: answer at once.
      const already = this.probe.etcdQuorumLost;
      if (already) return subscriber.error(quorumLostError(already));
      subscriber.add(this.probe.onQuorumLost((lost) => subscriber.error(quorumLostError(lost))));
      subscriber.add(next.handle().subscribe(subscriber));
    });
  }
}
