/**
 * orders.place over NATS, for callers other than the gateway (which places orders itself since
 * issue 27, with the same OrderPlacer): the whole rule is there.
 */
import { Injectable } from '@nestjs/common';
import { currentDeadline } from '@ticketcd/observability';
import { OrderPlacer, type PlaceOrder, type PlaceOutcome } from '@ticketcd/platform';

/** The most an order may take here, whatever the caller's budget: enough to ride out an etcd election. */
const MAX_ORDER_MS = 5000;

@Injectable()
export class PlaceService {
  constructor(private readonly placer: OrderPlacer) {}

  place(req: PlaceOrder): Promise<PlaceOutcome> {
    const budgetEnd = Math.min(currentDeadline() ?? Infinity, Date.now() + MAX_ORDER_MS);
    // Inventory gets all the time left (not just RPC_TIMEOUT_MS): it may wait out an election.
    return this.placer.place(req, budgetEnd - Date.now());
  }
}
