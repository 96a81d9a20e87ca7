/** The order's call to inventory (orders writes no key on the purchase path: the sale does, issue 27). */
import { Injectable } from '@nestjs/common';
import { Rpc, type RpcRequest, type RpcResult } from '@ticketcd/contracts';
import { InventoryRouter } from './inventory.router.js';

@Injectable()
export class PlaceRepository {
  constructor(private readonly router: InventoryRouter) {}

  /** Asks inventory to sell the order: on its event's partition, resent if the instance that got it died (InventoryRouter). */
  purchase(order: RpcRequest<typeof Rpc.inventory.purchase>, timeoutMs: number): Promise<RpcResult<typeof Rpc.inventory.purchase>> {
    return this.router.purchase(order, timeoutMs);
  }
}
