/**
 * orders.place: the order id comes from (username, idempotencyKey), and the key is bound to the
 * first order it named (event and lines) before inventory is asked. A repeat of that order asks
 * inventory again with the same id (its sale: key replays the first reply, or a refused order is
 * decided again); the key for any other order is CONFLICT and sells nothing.
 */
import { Injectable } from '@nestjs/common';
import { Rpc, type RpcRequest, type RpcResult } from '@ticketcd/contracts';
import { RpcClient } from '@ticketcd/messaging';
import { claimOf, keyReused, sameOrder } from './order-claim.js';
import { deriveOrderId } from './order-id.js';
import { PlaceRepository } from './place.repository.js';

@Injectable()
export class PlaceService {
  constructor(
    private readonly rpc: RpcClient,
    private readonly repo: PlaceRepository,
  ) {}

  async place(req: RpcRequest<typeof Rpc.orders.place>): Promise<RpcResult<typeof Rpc.orders.place>> {
    const orderId = deriveOrderId(req.username, req.idempotencyKey);
    const first = await this.repo.claim(req.username, orderId, claimOf(req, new Date()));
    if (!sameOrder(first, req)) throw keyReused(orderId, first);
    const outcome = await this.rpc.call(Rpc.inventory.purchase, { orderId, username: req.username, eventId: req.eventId, lines: req.lines });
    // A sale made before its key had a claim (data older than claims) may be another order.
    if (outcome.status === 'accepted' && !sameOrder(outcome, req)) throw keyReused(orderId, outcome);
    return outcome;
  }
}
