import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Rpc } from '@ticketcd/contracts';
import { Auth } from '../http/access.decorators.js';
import { Documented } from '../http/documented.js';
import { pageQuery, parseId } from '../http/params.js';
import { parseInput } from '../http/validation.js';
import { clusterReply, HISTORY_EXAMPLE, historyQuery, historyReply, statsQuery } from './admin.dto.js';
import { AdminService } from './admin.service.js';

const BAD: [number, string] = [400, 'A parameter is malformed; `fields` says which.'];
const NO_EVENT: [number, string] = [404, 'No event with this id ever existed.'];
const ETCD_DOWN: [number, string] = [503, 'etcd did not answer in time (`dependency: "etcd"`). Retry later.'];

@ApiTags('admin')
@Controller('api/admin')
@Auth('admin')
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Get('stats')
  @Documented({
    summary: 'Sales figures (admin): revenue in cents, orders and tickets sold by type, of one event or in total',
    query: statsQuery,
    ok: { status: 200, schema: Rpc.orders.stats.reply, example: { revenue: 21000, orders: 3, soldByType: { pink: 2, blue: 1 } } },
    errors: [BAD, NO_EVENT],
  })
  stats(@Query() query: unknown) {
    return this.admin.stats(parseInput(statsQuery, query, 'query').eventId);
  }

  @Get('stats/events')
  @Documented({
    summary:
      "Every event's sales figures (admin), by event id: revenue in cents, orders, tickets by type; events without a sale are left out",
    ok: {
      status: 200,
      schema: Rpc.orders.statsByEvent.reply,
      example: { items: { '01J9Z3Q5M4W8K2X7T6R1N0B9C8': { revenue: 21000, orders: 3, soldByType: { pink: 2 } } } },
    },
  })
  statsByEvent() {
    return this.admin.statsByEvent();
  }

  @Get('events/:eventId/sales')
  @Documented({
    summary: "An event's sales (admin), newest first",
    query: pageQuery,
    ok: { status: 200, schema: Rpc.orders.eventSales.reply },
    errors: [BAD, NO_EVENT],
  })
  sales(@Param('eventId') eventId: string, @Query() query: unknown) {
    return this.admin.eventSales(parseId(eventId, 'eventId'), parseInput(pageQuery, query, 'query'));
  }

  @Get('cluster')
  @Documented({
    summary:
      'Cluster status (admin): etcd members with raft term and index, db size and health, the leader, alarms, live service instances',
    ok: { status: 200, schema: clusterReply },
    errors: [ETCD_DOWN],
    forwards: false,
  })
  cluster() {
    return this.admin.cluster();
  }

  @Get('keys/history')
  @Documented({
    summary: "A key's past values (admin), newest first, each with its revision",
    description:
      'Walks back through etcd revisions: the key at a revision, then at its mod revision - 1, until before its creation or a compacted revision. ' +
      'The walk runs in the service that owns the key (its role writes the prefix), asked over NATS: 503 naming it when no instance answers. ' +
      'user: and session: keys are refused with 403: they hold password hashes and session tokens.',
    query: historyQuery,
    ok: { status: 200, schema: historyReply, example: HISTORY_EXAMPLE },
    errors: [
      [400, 'The key does not parse (message says why), or limit/revision is malformed or in the future.'],
      [403, 'Not an admin, or a user: / session: key (never served).'],
      [404, 'The key does not exist (never did, or deleted), or did not at the revision given.'],
    ],
  })
  keyHistory(@Query() query: unknown) {
    const { key, limit, revision } = parseInput(historyQuery, query, 'query');
    return this.admin.keyHistory(key, limit, revision);
  }
}
