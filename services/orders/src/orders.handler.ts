/** NATS entry points of orders: the contract validates, the services decide. */
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Rpc, type RpcRequest } from '@ticketcd/contracts';
import { RpcHandler } from '@ticketcd/messaging';
import { KeyHistory } from '@ticketcd/platform';
import { HistoryService } from './history/history.service.js';
import { PlaceService } from './place/place.service.js';
import { StatsService } from './stats/stats.service.js';

@Controller()
export class OrdersHandler {
  constructor(
    private readonly placing: PlaceService,
    private readonly history: HistoryService,
    private readonly statsService: StatsService,
    private readonly ownKeys: KeyHistory,
  ) {}

  @RpcHandler(Rpc.orders.place)
  place(@Payload() req: RpcRequest<typeof Rpc.orders.place>) {
    return this.placing.place(req);
  }

  @RpcHandler(Rpc.orders.history)
  list(@Payload() req: RpcRequest<typeof Rpc.orders.history>) {
    return this.history.list(req);
  }

  @RpcHandler(Rpc.orders.eventSales)
  eventSales(@Payload() req: RpcRequest<typeof Rpc.orders.eventSales>) {
    return this.history.eventSales(req);
  }

  @RpcHandler(Rpc.orders.stats)
  stats(@Payload() req: RpcRequest<typeof Rpc.orders.stats>) {
    return this.statsService.stats(req.eventId);
  }

  @RpcHandler(Rpc.orders.statsByEvent)
  statsByEvent() {
    return this.statsService.statsByEvent();
  }

  @RpcHandler(Rpc.orders.reconcile)
  reconcile(@Payload() req: RpcRequest<typeof Rpc.orders.reconcile>) {
    return this.statsService.reconcile(req.fix ?? false);
  }

  /** Admin only (the gateway's key history route): one of this service's own keys, its past values. */
  @RpcHandler(Rpc.orders.keyHistory)
  keyHistory(@Payload() req: RpcRequest<typeof Rpc.orders.keyHistory>) {
    return this.ownKeys.history(req);
  }
}
