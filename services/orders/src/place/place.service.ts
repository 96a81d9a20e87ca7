/** orders.place: the order id comes from (username, idempotencyKey); inventory decides. */
import { Injectable } from '@nestjs/common';
import { Rpc, type RpcRequest } from '@ticketcd/contracts';
import { RpcClient } from '@ticketcd/messaging';
import { deriveOrderId } from './order-id.js';

@Injectable()
export class PlaceService {
  constructor(private readonly rpc: RpcClient) {}

  place(req: RpcRequest<typeof Rpc.orders.place>) {
    return this.rpc.call(Rpc.inventory.purchase, {
      orderId: deriveOrderId(req.username, req.idempotencyKey),
      username: req.username,
      eventId: req.eventId,
      lines: req.lines,
    });
  }
}
