/**
 * Placing an order over HTTP. The order id derives from (user, Idempotency-Key), and the key binds
 * on a sale only (issue 27): inventory keeps the first accepted reply under it with the order's
 * event and lines, so a repeat of that order (a retry, a double click, 20 at once) buys once and
 * gets the same reply, and the key for any other order after the sale is 409 CONFLICT. A refusal
 * writes and binds nothing: repeated, it is decided again; the key may name another order.
 *
 * The gateway asks the event's inventory partition owner itself (OrderPlacer): orders.place only
 * forwarded, and its hop cost 0.55 of 4.05 ms of CPU per HTTP sale (docs/benchmarks.md).
 */
import { Inject, Injectable } from '@nestjs/common';
import { OrderPlacer, SERVICE_CONFIG, type PlaceOutcome } from '@ticketcd/platform';
import type { z } from 'zod';
import type { GatewayConfig } from '../gateway.config.js';
import { ApiError } from '../http/api-error.js';
import type { placeOrderBody } from './orders.dto.js';

type Outcome = PlaceOutcome;
type Accepted = Extract<Outcome, { status: 'accepted' }>;

@Injectable()
export class OrdersService {
  private inFlight = 0;

  constructor(
    private readonly placer: OrderPlacer,
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
  ) {}

  async place(username: string, idempotencyKey: string, order: z.output<typeof placeOrderBody>): Promise<Accepted> {
    // Beyond this many waiting orders the instance answers at once instead of queueing more.
    if (this.inFlight >= this.config.ORDERS_MAX_IN_FLIGHT) throw ApiError.rateLimited('too many orders in progress: retry shortly', 1);
    this.inFlight++;
    let outcome: Outcome;
    try {
      // Idempotent (the key names the order): a NATS restart or a dead owner costs a resend, not a 503.
      outcome = await this.placer.place({ username, idempotencyKey, ...order }, this.config.ORDER_TIMEOUT_MS);
    } finally {
      this.inFlight--;
    }
    if (outcome.status === 'refused') throw refusal(outcome);
    return outcome;
  }
}

function refusal(o: Extract<Outcome, { status: 'refused' }>): ApiError {
  const details = { reason: o.reason, orderId: o.orderId, remaining: o.remaining, lines: o.lines };
  switch (o.reason) {
    case 'sold_out':
      return ApiError.of('SOLD_OUT', o.message, { details });
    case 'unknown_event':
      return ApiError.of('NOT_FOUND', o.message, { details });
    case 'event_deleted':
      return ApiError.of('CONFLICT', o.message, { details });
    default: {
      const fields = o.lines.flatMap((l, i) => (l.problem ? [{ path: `lines.${i}`, message: l.problem }] : []));
      return ApiError.of('BAD_REQUEST', o.message, { details, ...(fields.length ? { fields } : {}) });
    }
  }
}
