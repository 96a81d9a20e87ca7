/**
 * orders.place: the order id comes from (username, idempotencyKey), so a retry names the same
 * order, and inventory is asked at once: nothing is written before the sale (issue 27). The key
 * binds on a sale only: inventory writes the order's `order:` key (event and lines) in the sale's
 * own Txn, so a repeat of the sold order gets its sale, the key for anything else is CONFLICT
 * (inventory's, or below for other lines on the same event) and sells nothing, and a refusal
 * writes nothing and binds nothing.
 */
import { Injectable } from '@nestjs/common';
import { keyReused, sameOrder, Rpc, type RpcRequest, type RpcResult } from '@ticketcd/contracts';
import { deriveOrderId } from '@ticketcd/contracts';
import { currentDeadline } from '@ticketcd/observability';
import { PlaceRepository } from './place.repository.js';

/** The most an order may take here, whatever the caller's budget: enough to ride out an etcd election. */
const MAX_ORDER_MS = 5000;

@Injectable()
export class PlaceService {
  constructor(private readonly repo: PlaceRepository) {}

  async place(req: RpcRequest<typeof Rpc.orders.place>): Promise<RpcResult<typeof Rpc.orders.place>> {
    const orderId = deriveOrderId(req.username, req.idempotencyKey);
    const budgetEnd = Math.min(currentDeadline() ?? Infinity, Date.now() + MAX_ORDER_MS);
    // Inventory gets all the time left (not just RPC_TIMEOUT_MS): it may wait out an election.
    const outcome = await this.repo.purchase(
      { orderId, username: req.username, eventId: req.eventId, lines: req.lines },
      Math.max(1, budgetEnd - Date.now()),
    );
    // The key sold this event with other lines: the sale: key replays that sale, which is not this order.
    if (outcome.status === 'accepted' && !sameOrder(outcome, req)) throw keyReused(orderId, outcome);
    return outcome;
  }
}
