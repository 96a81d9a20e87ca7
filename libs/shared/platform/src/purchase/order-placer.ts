/**
 * Placing an order (issue 27): the order id comes from (username, idempotencyKey), so a retry
 * names the same order, and inventory is asked at once on the event's partition: nothing is
 * written before the sale. The key binds on a sale only: inventory writes the order's `order:` key
 * (event and lines) in the sale's own Txn, so a repeat of the sold order gets its sale, the key
 * for anything else is CONFLICT (inventory's, or below for other lines on the same event) and
 * sells nothing, and a refusal writes nothing and binds nothing.
 *
 * The gateway places orders itself with this (one NATS hop, not two: orders.place only forwarded);
 * orders.place runs the same code for NATS callers.
 */
import { Injectable } from '@nestjs/common';
import { deriveOrderId, keyReused, sameOrder, type Rpc, type RpcRequest, type RpcResult } from '@ticketcd/contracts';
import { InventoryRouter } from './inventory.router.js';

export type PlaceOrder = RpcRequest<typeof Rpc.orders.place>;
export type PlaceOutcome = RpcResult<typeof Rpc.orders.place>;

@Injectable()
export class OrderPlacer {
  constructor(private readonly router: InventoryRouter) {}

  /** budgetMs: all the time the order may take; inventory may spend it waiting out an election. */
  async place(req: PlaceOrder, budgetMs: number): Promise<PlaceOutcome> {
    const orderId = deriveOrderId(req.username, req.idempotencyKey);
    const outcome = await this.router.purchase(
      { orderId, username: req.username, eventId: req.eventId, lines: req.lines },
      Math.max(1, budgetMs),
    );
    // The key sold this event with other lines: the sale: key replays that sale, which is not this order.
    if (outcome.status === 'accepted' && !sameOrder(outcome, req)) throw keyReused(orderId, outcome);
    return outcome;
  }
}
