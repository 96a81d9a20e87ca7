/** NATS entry points of the notifier: the contract validates, the services decide. */
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Rpc, type RpcRequest } from '@ticketcd/contracts';
import { RpcHandler } from '@ticketcd/messaging';
import { KeyHistory } from '@ticketcd/platform';
import { AlertsService } from './alerts.service.js';
import { SubscriptionsService } from './subscriptions/subscriptions.service.js';

@Controller()
export class NotifierHandler {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly alerts: AlertsService,
    private readonly ownKeys: KeyHistory,
  ) {}

  @RpcHandler(Rpc.notifier.putSubscription)
  put(@Payload() req: RpcRequest<typeof Rpc.notifier.putSubscription>) {
    return this.subscriptions.put(req);
  }

  @RpcHandler(Rpc.notifier.deleteSubscription)
  delete(@Payload() req: RpcRequest<typeof Rpc.notifier.deleteSubscription>) {
    return this.subscriptions.delete(req.username, req.eventId);
  }

  @RpcHandler(Rpc.notifier.listSubscriptions)
  list(@Payload() req: RpcRequest<typeof Rpc.notifier.listSubscriptions>) {
    return this.subscriptions.list(req.username);
  }

  @RpcHandler(Rpc.notifier.listAlerts)
  alertsOf(@Payload() req: RpcRequest<typeof Rpc.notifier.listAlerts>) {
    return this.alerts.list(req);
  }

  @RpcHandler(Rpc.notifier.markAlertRead)
  markRead(@Payload() req: RpcRequest<typeof Rpc.notifier.markAlertRead>) {
    return this.alerts.markRead(req.username, req.alertId);
  }

  /** Admin only (the gateway's key history route): one of this service's own keys, its past values. */
  @RpcHandler(Rpc.notifier.keyHistory)
  keyHistory(@Payload() req: RpcRequest<typeof Rpc.notifier.keyHistory>) {
    return this.ownKeys.history(req);
  }
}
