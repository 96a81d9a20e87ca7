/**
 * The live streams (Server-Sent Events):
 *
 *  GET /api/events/:eventId/live (public)
 *    `event: snapshot`, id = store revision, data = the event's full availability
 *      {eventId, tickets:[{type,total,remaining,price}], revision}; then
 *    `event: stock`, id = revision, data = {eventId, ticketType, total, remaining, revision}
 *      for each change after the snapshot, in revision order per ticket type (a change the
 *      snapshot already shows, a duplicate or a stale one is never sent).
 *    Last-Event-ID is not needed here: every (re)connection starts with a fresh snapshot, which
 *    covers everything missed while away.
 *
 *  GET /api/me/live (session)
 *    `event: alert`, id = alertId, data = {alertId, eventId, remaining, limit, at}, as the
 *      user's low-stock alerts fire.
 *    With Last-Event-ID (an EventSource reconnecting sends it), the stored alerts newer than it
 *    are replayed first, oldest first, then live ones; each alert is sent once per stream even
 *    if it also arrives live during the replay. At most REPLAY_BOUND are replayed: if the id is
 *    not among the newest REPLAY_BOUND + 1 alerts (or not the user's at all), or the notifier
 *    cannot be asked, an `event: gap` says so {lastEventId, reason, message} and the client
 *    should re-read GET /api/me/alerts.
 *
 * Both: `retry: 2000`, a `: keep-alive` comment every SSE_HEARTBEAT_MS, 429 beyond
 * SSE_MAX_CLIENTS streams per instance. Errors before the stream opens are ordinary JSON errors.
 */
import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Rpc } from '@ticketcd/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { headerOf } from '../http/request.js';
import type { Principal } from '../auth/auth.service.js';
import { Auth, CurrentUser } from '../http/access.decorators.js';
import { Documented } from '../http/documented.js';
import { Forwarder } from '../http/forwarder.js';
import { parseId } from '../http/params.js';
import { LiveService, type LiveAlert, type StockChange } from './live.service.js';
import { RevisionFilter, scanForReplay, SeenIds, type ReplayScan } from './sse.js';

/** How many missed alerts a reconnection replays at most. */
export const REPLAY_BOUND = 200;

const alertView = (a: LiveAlert): LiveAlert => ({
  alertId: a.alertId,
  eventId: a.eventId,
  remaining: a.remaining,
  limit: a.limit,
  at: a.at,
});

/**
 * The 200 reply as text/event-stream. (Not @ApiProduces, which would also re-label the JSON
 * error replies of the route as event streams.)
 */
const eventStream = (example: string) =>
  ApiResponse({ status: 200, content: { 'text/event-stream': { schema: { type: 'string' }, example } } });

const LIMITED: [number, string] = [
  429,
  'This gateway instance serves as many live streams as it may (SSE_MAX_CLIENTS): retry after Retry-After seconds.',
];

@ApiTags('live')
@Controller('api')
export class LiveController {
  constructor(
    private readonly live: LiveService,
    private readonly forward: Forwarder,
  ) {}

  @Get('events/:eventId/live')
  @eventStream(
    'retry: 2000\n\nevent: snapshot\nid: 1041\ndata: {"eventId":"01J9Z3Q5M4W8K2X7T6R1N0B9C8","tickets":[{"type":"pink","total":500,"remaining":120,"price":4500}],"revision":1041}\n\n' +
      'event: stock\nid: 1057\ndata: {"eventId":"01J9Z3Q5M4W8K2X7T6R1N0B9C8","ticketType":"pink","total":500,"remaining":118,"revision":1057}\n\n',
  )
  @Documented({
    summary: "Live stock of an event (SSE): a snapshot, then each change of a ticket type's remaining count",
    description:
      '`event: snapshot` (id = store revision) with `{eventId, tickets:[{type,total,remaining,price}], revision}`, then ' +
      '`event: stock` (id = revision) with `{eventId, ticketType, total, remaining, revision}` for each later change. ' +
      'Every connection starts with a fresh snapshot, so a reconnection (Last-Event-ID is ignored) misses nothing. ' +
      '`retry: 2000`; a `: keep-alive` comment every SSE_HEARTBEAT_MS.',
    ok: { status: 200, description: 'A text/event-stream that stays open.' },
    errors: [[400, 'The event id is malformed.'], [404, 'No such event.'], LIMITED],
  })
  async eventLive(@Param('eventId') eventIdParam: string, @Res() res: FastifyReply): Promise<void> {
    const eventId = parseId(eventIdParam, 'eventId');
    // Registered before the snapshot is read, so no change between the two is lost.
    const conn = this.live.connectEvent(eventId, res);
    let snapshot;
    try {
      snapshot = await this.forward.call(Rpc.inventory.availability, { eventId });
    } catch (e) {
      conn.end();
      throw e; // 404 unknown event, 503/504 inventory: the error filter answers
    }
    if (conn.closed) return;
    const filter = new RevisionFilter(snapshot.revision);
    conn.deliver = (c: StockChange) => {
      if (filter.accept(c.ticketType, c.revision)) {
        conn.send({
          event: 'stock',
          id: c.revision,
          data: { eventId: c.eventId, ticketType: c.ticketType, total: c.total, remaining: c.remaining, revision: c.revision },
        });
      }
    };
    const early = conn.open();
    conn.send({ event: 'snapshot', id: snapshot.revision, data: snapshot });
    for (const c of early) conn.deliver(c);
  }

  @Get('me/live')
  @Auth()
  @eventStream(
    'retry: 2000\n\nevent: alert\nid: 01JA1B2C3D4E5F6G7H8J9K0M1N\ndata: {"alertId":"01JA1B2C3D4E5F6G7H8J9K0M1N","eventId":"01J9Z3Q5M4W8K2X7T6R1N0B9C8","remaining":48,"limit":50,"at":"2025-06-01T18:03:12.000Z"}\n\n',
  )
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'The last alert id received: the alerts since are replayed first (an EventSource sends it when reconnecting).',
  })
  @Documented({
    summary: 'My low-stock alerts as they fire (SSE); a reconnection with Last-Event-ID replays the ones missed',
    description:
      '`event: alert` (id = alertId) with `{alertId, eventId, remaining, limit, at}`. With Last-Event-ID, the stored alerts newer than it ' +
      `are sent first, oldest first (at most ${REPLAY_BOUND}), each once. If that id is not found among them, or the notifier cannot be asked, ` +
      '`event: gap` with `{lastEventId, reason, message}` says alerts may have been missed: re-read GET /api/me/alerts. ' +
      '`retry: 2000`; a `: keep-alive` comment every SSE_HEARTBEAT_MS.',
    ok: { status: 200, description: 'A text/event-stream that stays open.' },
    errors: [LIMITED],
    forwards: false,
  })
  async meLive(@CurrentUser() me: Principal, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const lastId = headerOf(req.headers, 'last-event-id')?.trim().slice(0, 200) || undefined;
    // Registered before the replay is read: an alert firing meanwhile is buffered, then de-duplicated.
    const conn = this.live.connectUser(me.username, res);
    let scan: ReplayScan<LiveAlert> | { found: false; reason: 'unavailable'; scanned: 0 } | null = null;
    if (lastId) {
      try {
        scan = await scanForReplay(
          lastId,
          (cursor, limit) => this.forward.call(Rpc.notifier.listAlerts, { username: me.username, limit, cursor }),
          REPLAY_BOUND,
        );
      } catch {
        // The stream still opens: live alerts flow, and the gap tells the client to re-read.
        scan = { found: false, reason: 'unavailable', scanned: 0 };
      }
    }
    if (conn.closed) return;
    const seen = new SeenIds();
    if (lastId) seen.add(lastId);
    conn.deliver = (a: LiveAlert) => {
      if (seen.add(a.alertId)) conn.send({ event: 'alert', id: a.alertId, data: alertView(a) });
    };
    const early = conn.open();
    if (scan?.found) {
      for (const a of scan.items) conn.deliver(a);
    } else if (scan) {
      conn.send({ event: 'gap', data: { lastEventId: lastId, reason: scan.reason, message: gapMessage(scan.reason) } });
    }
    for (const a of early) conn.deliver(a);
  }
}

function gapMessage(reason: 'too-old' | 'unknown' | 'unavailable') {
  if (reason === 'too-old') return `more than ${REPLAY_BOUND} alerts fired since Last-Event-ID: re-read GET /api/me/alerts`;
  if (reason === 'unknown') return 'Last-Event-ID is not one of your alerts: re-read GET /api/me/alerts';
  return 'your stored alerts could not be read to replay the missed ones: re-read GET /api/me/alerts';
}
