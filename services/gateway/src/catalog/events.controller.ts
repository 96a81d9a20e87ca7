import { Body, Controller, Delete, Get, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { eventListing, Rpc, STALE_HEADER, type RpcResult } from '@ticketcd/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../http/api-error.js';
import { Auth, CurrentUser } from '../http/access.decorators.js';
import { Documented } from '../http/documented.js';
import { Forwarder } from '../http/forwarder.js';
import { pageQuery, parseId, parseSlug } from '../http/params.js';
import { ReplyCache, type CachedReply } from './reply-cache.js';
import { parseInput } from '../http/validation.js';
import type { Principal } from '../auth/auth.service.js';
import {
  adjustTicketsBody,
  createEventBody,
  deleteEventQuery,
  EVENT_EXAMPLE,
  listQuery,
  searchQuery,
  staticListBody,
  updateEventBody,
} from './catalog.dto.js';

const NOT_FOUND: [number, string] = [404, 'No event with this id.'];
const BAD: [number, string] = [400, 'A parameter or field is malformed; `fields` says which.'];
const AVAILABILITY_NOTE =
  'Each item carries `availability` {fromPrice, remaining, total} (cents, counts over all its ticket types) when the catalog could read it; it is left out, not an error, when it could not.';
const STALE_NOTE = `With etcd's quorum lost the answer comes from a surviving member and may be stale: \`stale\` says why, as does the ${STALE_HEADER} header.`;

/** Issue 18.2: a reply read without a quorum says so in a header too (the body's `stale` travels as is). */
function flagStale<T extends { stale?: string }>(res: FastifyReply, reply: T): T {
  if (reply.stale) res.header(STALE_HEADER, reply.stale);
  return reply;
}

/**
 * Whether the client's copy is current (the `fresh` package's test, as Express's res.send applied
 * it): If-None-Match names this ETag (weakly) or is `*`, and the request does not say no-cache.
 */
export function isFresh(headers: FastifyRequest['headers'], etag: string): boolean {
  const noneMatch = headers['if-none-match'];
  if (!noneMatch) return false;
  const cacheControl = headers['cache-control'];
  if (cacheControl && /(?:^|,)\s*?no-cache\s*?(?:,|$)/.test(cacheControl)) return false;
  if (noneMatch.trim() === '*') return true;
  return noneMatch.split(',').some((t) => {
    const tag = t.trim();
    return tag === etag || tag === `W/${etag}` || `W/${tag}` === etag;
  });
}

/** A kept serialized reply with its ETag; If-None-Match naming it gets a 304 without the body. */
function sendCached(req: FastifyRequest, res: FastifyReply, reply: CachedReply): void {
  if (reply.stale) res.header(STALE_HEADER, reply.stale);
  res.header('ETag', reply.etag);
  if (isFresh(req.headers, reply.etag)) {
    res.status(304).send();
    return;
  }
  res.header('Content-Type', 'application/json; charset=utf-8');
  res.send(reply.body);
}

@ApiTags('events')
@Controller('api')
export class EventsController {
  constructor(
    private readonly forward: Forwarder,
    private readonly replies: ReplyCache,
  ) {}

  @Get('events')
  @Documented({
    summary: 'Upcoming events (soonest first), then past ones',
    description: `${AVAILABILITY_NOTE} ${STALE_NOTE}`,
    query: listQuery,
    ok: { status: 200, schema: eventListing },
    errors: [BAD],
  })
  async list(@Query() query: unknown, @Req() req: FastifyRequest, @Res() res: FastifyReply) {
    const q = parseInput(listQuery, query, 'query');
    // Keyed by the parsed query: the same page however its parameters are spelled.
    const key = `list ${q.type ?? ''} ${q.location ?? ''} ${q.limit ?? ''} ${q.cursor ?? ''}`;
    sendCached(
      req,
      res,
      await this.replies.get(key, async () => this.withAvailability(await this.forward.call(Rpc.catalog.listEvents, q))),
    );
  }

  @Get('search')
  @Documented({
    summary: 'Search events by words (all must match; the last may be a prefix), type and location',
    description: `${AVAILABILITY_NOTE} ${STALE_NOTE}`,
    query: searchQuery,
    ok: { status: 200, schema: eventListing },
    errors: [BAD],
  })
  async search(@Query() query: unknown, @Res({ passthrough: true }) res: FastifyReply) {
    const { q, ...rest } = parseInput(searchQuery, query, 'query');
    return flagStale(res, await this.withAvailability(await this.forward.call(Rpc.search.query, { ...rest, text: q })));
  }

  /**
   * Adds each event's availability (one catalog call for the whole page, one etcd read there).
   * Stock is a nicety of a listing: if it cannot be read, the page still answers, without it.
   */
  private async withAvailability(page: RpcResult<typeof Rpc.catalog.listEvents>): Promise<RpcResult<typeof Rpc.catalog.listEvents>> {
    if (!page.items.length) return page;
    try {
      const { items, stale } = await this.forward.call(Rpc.catalog.availability, { eventIds: page.items.map((e) => e.eventId) });
      return {
        ...page,
        items: page.items.map((e) => (items[e.eventId] ? { ...e, availability: items[e.eventId] } : e)),
        ...(page.stale || stale ? { stale: page.stale ?? stale } : {}),
      };
    } catch {
      return page;
    }
  }

  @Get('events/:eventId')
  @Documented({
    summary: 'One event with its ticket types, stock and favourite count',
    description: STALE_NOTE,
    ok: { status: 200, schema: Rpc.catalog.getEvent.reply },
    errors: [BAD, NOT_FOUND],
  })
  async get(@Param('eventId') eventId: string, @Req() req: FastifyRequest, @Res() res: FastifyReply) {
    const id = parseId(eventId, 'eventId');
    sendCached(req, res, await this.replies.get(`event ${id}`, () => this.forward.call(Rpc.catalog.getEvent, { eventId: id })));
  }

  @Post('events')
  @Auth('admin')
  @Documented({
    summary: 'Create an event with its ticket types (admin)',
    body: {
      schema: createEventBody,
      example: {
        ...EVENT_EXAMPLE,
        eventId: undefined,
        version: undefined,
        ticketTypes: [
          { type: 'pink', total: 500, price: 4500 },
          { type: 'blue', total: 50, price: 12000 },
        ],
      },
    },
    ok: { status: 201, schema: Rpc.catalog.createEvent.reply, example: EVENT_EXAMPLE },
    errors: [BAD],
  })
  async create(@Body() body: unknown) {
    return this.changed(await this.forward.call(Rpc.catalog.createEvent, parseInput(createEventBody, body)));
  }

  /** A write through this instance: its author sees it on the next read here, not after READ_CACHE_MS. */
  private changed<T>(reply: T): T {
    this.replies.clear();
    return reply;
  }

  @Patch('events/:eventId')
  @Auth('admin')
  @Documented({
    summary: 'Edit an event (admin); send the version you read',
    body: { schema: updateEventBody, example: { expectedVersion: 1, name: 'Rock in the Park (2 nights)' } },
    ok: { status: 200, schema: Rpc.catalog.updateEvent.reply },
    errors: [BAD, NOT_FOUND, [409, 'The event changed since you read it, or was deleted.']],
  })
  async update(@Param('eventId') eventId: string, @Body() body: unknown) {
    const { expectedVersion, ...changes } = parseInput(updateEventBody, body);
    return this.changed(
      await this.forward.call(Rpc.catalog.updateEvent, { eventId: parseId(eventId, 'eventId'), expectedVersion, changes }),
    );
  }

  @Delete('events/:eventId')
  @Auth('admin')
  @Documented({
    summary: 'Delete an event (admin): sales are kept, new purchases refused',
    query: deleteEventQuery,
    ok: { status: 204, description: 'Deleted' },
    errors: [BAD, NOT_FOUND, [409, 'The event changed since the version given.']],
  })
  async remove(@Param('eventId') eventId: string, @Query() query: unknown) {
    const { expectedVersion } = parseInput(deleteEventQuery, query, 'query');
    this.changed(await this.forward.call(Rpc.catalog.deleteEvent, { eventId: parseId(eventId, 'eventId'), expectedVersion }));
  }

  @Put('events/:eventId/tickets/:type')
  @Auth('admin')
  @Documented({
    summary: "Change a ticket type's total or price (admin)",
    body: { schema: adjustTicketsBody, example: { total: 600 } },
    ok: { status: 200, schema: Rpc.inventory.adjust.reply },
    errors: [BAD, [404, 'No such event or ticket type.'], [409, 'The new total is below what is already sold.']],
  })
  async adjust(@Param('eventId') eventId: string, @Param('type') type: string, @Body() body: unknown) {
    return this.changed(
      await this.forward.call(Rpc.inventory.adjust, {
        eventId: parseId(eventId, 'eventId'),
        ticketType: parseSlug(type, 'type'),
        ...parseInput(adjustTicketsBody, body),
      }),
    );
  }

  @Get('static')
  @Documented({
    summary: 'The static lists: locations, event types, ticket types',
    ok: { status: 200, schema: Rpc.catalog.getStaticLists.reply },
  })
  staticLists() {
    return this.forward.call(Rpc.catalog.getStaticLists, {});
  }

  @Patch('static/:list')
  @Auth('admin')
  @Documented({
    summary: 'Add or remove values of a static list (admin); a value in use cannot be removed',
    body: { schema: staticListBody, example: { add: ['porto'], remove: [] } },
    ok: { status: 200, schema: Rpc.catalog.updateStaticList.reply },
    errors: [BAD, [404, 'No such list (locations, event-types, ticket-types).'], [409, 'A value to remove is in use.']],
  })
  updateStatic(@Param('list') list: string, @Body() body: unknown) {
    if (!['locations', 'event-types', 'ticket-types'].includes(list))
      throw ApiError.notFound(`no static list ${list}: use locations, event-types or ticket-types`);
    return this.forward.call(Rpc.catalog.updateStaticList, { list: list as 'locations', ...parseInput(staticListBody, body) });
  }

  @Get('me/favourites')
  @Auth()
  @Documented({
    summary: 'My favourite events',
    query: pageQuery,
    ok: { status: 200, schema: Rpc.catalog.listFavourites.reply },
    errors: [BAD],
  })
  favourites(@CurrentUser() me: Principal, @Query() query: unknown) {
    return this.forward.call(Rpc.catalog.listFavourites, { username: me.username, ...parseInput(pageQuery, query, 'query') });
  }

  @Put('me/favourites/:eventId')
  @Auth()
  @Documented({
    summary: 'Favour an event (repeating it changes nothing)',
    ok: { status: 200, schema: Rpc.catalog.addFavourite.reply },
    errors: [BAD, NOT_FOUND],
  })
  async favour(@CurrentUser() me: Principal, @Param('eventId') eventId: string) {
    const id = parseId(eventId, 'eventId');
    const reply = await this.forward.call(Rpc.catalog.addFavourite, { username: me.username, eventId: id });
    // Its count is on the event page: not one kept from before (a favourite changes one page, not every one).
    this.replies.forget(`event ${id}`);
    return reply;
  }

  @Delete('me/favourites/:eventId')
  @Auth()
  @Documented({ summary: 'Stop favouring an event', ok: { status: 200, schema: Rpc.catalog.removeFavourite.reply }, errors: [BAD] })
  async unfavour(@CurrentUser() me: Principal, @Param('eventId') eventId: string) {
    const id = parseId(eventId, 'eventId');
    const reply = await this.forward.call(Rpc.catalog.removeFavourite, { username: me.username, eventId: id });
    this.replies.forget(`event ${id}`);
    return reply;
  }
}
