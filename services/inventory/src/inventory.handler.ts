/** NATS entry points of inventory: parse (done by the contract) and delegate. */
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Rpc, type RpcRequest } from '@ticketcd/contracts';
import { RpcHandler } from '@ticketcd/messaging';
import { KeyHistory } from '@ticketcd/platform';
import { PartitionService } from './partition/partition.service.js';
import { StockService } from './stock/stock.service.js';

@Controller()
export class InventoryHandler {
  constructor(
    private readonly partitions: PartitionService,
    private readonly stock: StockService,
    private readonly ownKeys: KeyHistory,
  ) {}

  /** Any instance: its own partitions are sold here, the others forwarded to their owner. */
  @RpcHandler(Rpc.inventory.purchase)
  purchase(@Payload() req: RpcRequest<typeof Rpc.inventory.purchase>) {
    return this.partitions.purchase(req);
  }

  @RpcHandler(Rpc.inventory.availability)
  availability(@Payload() req: RpcRequest<typeof Rpc.inventory.availability>) {
    return this.stock.availability(req.eventId);
  }

  @RpcHandler(Rpc.inventory.adjust)
  adjust(@Payload() req: RpcRequest<typeof Rpc.inventory.adjust>) {
    return this.stock.adjust(req);
  }

  /** Admin only (the gateway's key history route): one of this service's own keys, its past values. */
  @RpcHandler(Rpc.inventory.keyHistory)
  keyHistory(@Payload() req: RpcRequest<typeof Rpc.inventory.keyHistory>) {
    return this.ownKeys.history(req);
  }
}
