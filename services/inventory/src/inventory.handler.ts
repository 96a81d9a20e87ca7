/** NATS entry points of inventory: parse (done by the contract) and delegate. */
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Rpc, type RpcRequest } from '@ticketcd/contracts';
import { RpcHandler } from '@ticketcd/messaging';
import { PurchaseService } from './purchase/purchase.service.js';
import { StockService } from './stock/stock.service.js';

@Controller()
export class InventoryHandler {
  constructor(
    private readonly purchases: PurchaseService,
    private readonly stock: StockService,
  ) {}

  @RpcHandler(Rpc.inventory.purchase)
  purchase(@Payload() req: RpcRequest<typeof Rpc.inventory.purchase>) {
    return this.purchases.purchase(req);
  }

  @RpcHandler(Rpc.inventory.availability)
  availability(@Payload() req: RpcRequest<typeof Rpc.inventory.availability>) {
    return this.stock.availability(req.eventId);
  }

  @RpcHandler(Rpc.inventory.adjust)
  adjust(@Payload() req: RpcRequest<typeof Rpc.inventory.adjust>) {
    return this.stock.adjust(req);
  }
}
