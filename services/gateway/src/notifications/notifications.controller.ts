import { Body, Controller, Delete, Get, Param, Post, Put, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Rpc } from '@ticketcd/contracts';
import { z } from 'zod';
import type { Principal } from '../auth/auth.service.js';
import { ApiError } from '../http/api-error.js';
import { Auth, CurrentUser } from '../http/access.decorators.js';
import { Documented } from '../http/documented.js';
import { Forwarder } from '../http/forwarder.js';
import { pageQuery, parseId } from '../http/params.js';
import { parseInput } from '../http/validation.js';

const subscriptionBody = z.strictObject({
  limit: z
    .number()
    .int('must be a whole number')
    .positive('must be at least 1')
    .max(1_000_000)
    .describe('Alert me when this many tickets or fewer remain.'),
  active: z.boolean().default(true).describe('false pauses the subscription.'),
});
const BAD: [number, string] = [400, 'A parameter or field is malformed; `fields` says which.'];

@ApiTags('subscriptions and alerts')
@Controller('api/me')
@Auth()
export class NotificationsController {
  constructor(private readonly forward: Forwarder) {}

  @Get('subscriptions')
  @Documented({ summary: 'My low-stock subscriptions', ok: { status: 200, schema: Rpc.notifier.listSubscriptions.reply } })
  list(@CurrentUser() me: Principal) {
    return this.forward.call(Rpc.notifier.listSubscriptions, { username: me.username });
  }

  @Put('subscriptions/:eventId')
  @Documented({
    summary: 'Subscribe to an event, or change the limit; a limit already reached alerts at once (state "fired")',
    body: { schema: subscriptionBody, example: { limit: 50 } },
    ok: { status: 200, schema: Rpc.notifier.putSubscription.reply },
    errors: [BAD, [404, 'No such event.'], [409, 'The event was deleted.']],
  })
  put(@CurrentUser() me: Principal, @Param('eventId') eventId: string, @Body() body: unknown) {
    return this.forward.call(Rpc.notifier.putSubscription, {
      username: me.username,
      eventId: parseId(eventId, 'eventId'),
      ...parseInput(subscriptionBody, body),
    });
  }

  @Delete('subscriptions/:eventId')
  @Documented({
    summary: 'Unsubscribe (alerts already received stay)',
    ok: { status: 204, description: 'Deleted' },
    errors: [BAD, [404, 'No subscription to this event.']],
  })
  async remove(@CurrentUser() me: Principal, @Param('eventId') eventId: string) {
    const { deleted } = await this.forward.call(Rpc.notifier.deleteSubscription, {
      username: me.username,
      eventId: parseId(eventId, 'eventId'),
    });
    if (!deleted) throw ApiError.notFound(`you have no subscription to event ${eventId}`);
  }

  @Get('alerts')
  @Documented({
    summary: 'My alerts, newest first, with the unread count',
    query: pageQuery,
    ok: { status: 200, schema: Rpc.notifier.listAlerts.reply },
    errors: [BAD],
  })
  alerts(@CurrentUser() me: Principal, @Query() query: unknown) {
    return this.forward.call(Rpc.notifier.listAlerts, { username: me.username, ...parseInput(pageQuery, query, 'query') });
  }

  @Post('alerts/:alertId/read')
  @Documented({
    summary: 'Mark an alert read',
    ok: { status: 200, schema: Rpc.notifier.markAlertRead.reply },
    errors: [BAD, [404, 'No such alert.']],
  })
  read(@CurrentUser() me: Principal, @Param('alertId') alertId: string) {
    return this.forward.call(Rpc.notifier.markAlertRead, { username: me.username, alertId: parseId(alertId, 'alertId') });
  }
}
