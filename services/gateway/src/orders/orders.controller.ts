import { Body, Controller, Get, Headers, Post, Query } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import { Rpc, purchaseAccepted } from '@ticketcd/contracts';
import type { Principal } from '../auth/auth.service.js';
import { Auth, CurrentUser, RateLimit } from '../http/access.decorators.js';
import { Documented } from '../http/documented.js';
import { Forwarder } from '../http/forwarder.js';
import { pageQuery } from '../http/params.js';
import { parseInput } from '../http/validation.js';
import { idempotencyHeader, placeOrderBody } from './orders.dto.js';
import { OrdersService } from './orders.service.js';

@ApiTags('orders')
@Controller('api')
export class OrdersController {
  constructor(
    private readonly orders: OrdersService,
    private readonly forward: Forwarder,
  ) {}

  @Post('orders')
  @Auth()
  @RateLimit('orders')
  @ApiHeader({
    name: 'Idempotency-Key',
    required: true,
    description:
      'Your id for this order (e.g. a UUID); it binds to the order it buys (event and lines). Repeating that order returns the first reply and never buys twice; after the sale, the key with another event or other lines is 409 CONFLICT and buys nothing. A refused order (sold out, bad input) binds nothing: the key may be used again.',
  })
  @Documented({
    summary: 'Buy tickets of one event, of one or more types, all or nothing',
    body: {
      schema: placeOrderBody,
      example: {
        eventId: '01JD6Z8Q1V6N4X2K7T3R5M9B0C',
        lines: [
          { type: 'pink', quantity: 2 },
          { type: 'blue', quantity: 1 },
        ],
      },
    },
    ok: { status: 201, schema: purchaseAccepted, description: 'Bought. The same reply for every repeat of the Idempotency-Key.' },
    errors: [
      [400, 'Malformed body or Idempotency-Key, unknown ticket type, or more than the event allows per order.'],
      [404, 'No such event.'],
      [
        409,
        'SOLD_OUT: not enough tickets (details.remaining has the counts); CONFLICT: event deleted, or the Idempotency-Key already bought another order (details: its orderId, eventId and lines).',
      ],
      [413, 'Body over the size limit.'],
    ],
  })
  place(@CurrentUser() me: Principal, @Headers('idempotency-key') key: string | undefined, @Body() body: unknown) {
    const k = parseInput(idempotencyHeader, { 'Idempotency-Key': key }, 'headers')['Idempotency-Key'];
    return this.orders.place(me.username, k, parseInput(placeOrderBody, body));
  }

  @Get('me/purchases')
  @Auth()
  @Documented({
    summary: 'My purchases, newest first',
    query: pageQuery,
    ok: { status: 200, schema: Rpc.orders.history.reply },
    errors: [[400, 'Malformed paging parameters.']],
  })
  purchases(@CurrentUser() me: Principal, @Query() query: unknown) {
    return this.forward.call(Rpc.orders.history, { username: me.username, ...parseInput(pageQuery, query, 'query') });
  }
}
