/**
 * bench/http-edge (issue 27, "a cheaper HTTP edge"): what Nest's HTTP adapter costs per request,
 * Express against Fastify, with everything behind the edge taken away. One small Nest module,
 * shaped like the gateway's two on-sale routes, booted once per adapter in its own child process
 * (the same code; only the adapter and its two settings, trust proxy and no X-Powered-By, differ):
 *  - GET /api/events/:id: the event page (an event with 3 ticket types) as the gateway's reply
 *    cache keeps it: a serialized body and its weak ETag, from memory, the id parsed with zod;
 *  - POST /api/orders: a JSON body like the real one, parsed with the gateway's zod schema (its
 *    parseInput path), the session cookie read and looked up (sha256 of the token in a Map, as
 *    the gateway's session cache does), the origin check and a token-bucket rate limit per user
 *    and per IP (req.ip behind one trusted proxy hop), the Idempotency-Key header checked, and a
 *    201 JSON reply from an async function that resolves at once (orders.place stubbed).
 * A global guard and interceptor run on every route, as the gateway's AccessGuard and
 * QuorumLostInterceptor do. With `app.use` middleware on ("mw: on", the gateway's shape), every
 * request also gets the platform's request id (X-Request-Id, an AsyncLocalStorage trace, the
 * in-flight count) and helmet's headers with the gateway's options; on Fastify Nest runs
 * `app.use` middleware through @fastify/middie. "mw: off" measures the adapters bare.
 * Each cell: 1 s of warm-up, then autocannon (keep-alive, closed loop) for --seconds; cells are
 * interleaved (express, fastify, express, fastify, ...) over --rounds rounds so drift on a noisy
 * machine shows. CPU per request is the server process's CPU time (/proc) over the cell divided
 * by its replies; the load generator (this process) is reported separately.
 *   npm run bench:http-edge [-- --seconds 5 --connections 100 --rounds 2 --middleware both|on|off]
 */
import 'reflect-metadata';
import {
  Body,
  Controller,
  Get,
  Headers,
  Injectable,
  Module,
  NotFoundException,
  Param,
  Post,
  Req,
  Res,
  SetMetadata,
  BadRequestException,
  ForbiddenException,
  HttpException,
  UnauthorizedException,
  type CallHandler,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, NestFactory, Reflector } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { id, orderLine, zodFields } from '@ticketcd/contracts';
import { cpuMsOf } from '@ticketcd/testing';
import autocannon from 'autocannon';
import { fork, type ChildProcess } from 'node:child_process';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { parseArgs } from 'node:util';
import helmet from 'helmet';
import { Observable } from 'rxjs';
import { ulid } from 'ulid';
import { z } from 'zod';
import { fmt } from './measure.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '2' },
    /** `app.use` middleware (request id, helmet): both variants, or only on / off. */
    middleware: { type: 'string', default: 'both' },
    // Internal: run as the server child.
    serve: { type: 'string' },
    mw: { type: 'string' },
    token: { type: 'string' },
  },
});

type AdapterName = 'express' | 'fastify';
const EVENT_ID = '01JD6Z8Q1V6N4X2K7T3R5M9B0C';
const SESSION_COOKIE = 'ticketcd_session';

// ---------------------------------------------------------------------------------------------
// The server: the same module on either adapter.
// ---------------------------------------------------------------------------------------------

/** The gateway's placeOrderBody and idempotencyHeader (services/gateway/src/orders/orders.dto.ts), from the same contracts. */
const placeOrderBody = z.strictObject({ eventId: id, lines: z.array(orderLine).min(1).max(20) });
const idempotencyHeader = z.object({
  'Idempotency-Key': z.string().regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 printable ASCII characters without spaces'),
});
const idParam = z.object({ eventId: id });

/** The gateway's parseInput: a zod failure is a 400 naming each field. */
function parseInput<S extends z.ZodType>(schema: S, value: unknown, what = 'request body'): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new BadRequestException({ code: 'BAD_REQUEST', message: `invalid ${what}`, fields: zodFields(r.error) });
  return r.data;
}

/** The gateway's readCookie (services/gateway/src/auth/cookies.ts). */
function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

interface Principal {
  username: string;
  role: 'user' | 'admin';
  tokenSha256: string;
}
/** What both adapters' request objects offer the guard and the routes. */
interface EdgeRequest {
  method: string;
  ip?: string;
  protocol: string;
  headers: IncomingMessage['headers'];
  principal?: Principal;
}
/** What both adapters' reply objects offer (Express `res.header` is `res.set`; Fastify's `reply.header`). */
interface EdgeReply {
  header(name: string, value: string): unknown;
  send(body: Buffer): unknown;
}

/** A serialized reply as the gateway's ReplyCache keeps it. */
interface CachedReply {
  body: Buffer;
  etag: string;
}

@Injectable()
class EdgeStore {
  /** Sessions by the sha256 of their token, as AuthService's cache keeps them (here: never a miss). */
  readonly sessions = new Map<string, { username: string; role: 'user' | 'admin'; expiresAt: string }>();
  private readonly replies = new Map<string, CachedReply>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor() {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    for (let i = 0; i < 1000; i++)
      this.sessions.set(sha256(randomBytes(32).toString('base64url')), { username: `u${i}`, role: 'user', expiresAt });
    this.sessions.set(sha256(values.token ?? ''), { username: 'bench-buyer', role: 'user', expiresAt });
    // The event page as the catalog answers it (Rpc.catalog.getEvent's reply), serialized once.
    const page = {
      eventId: EVENT_ID,
      version: 3,
      name: 'Rock in the Park',
      description:
        'Three bands, one night, in the park by the river. Doors open at 18:00; the first band plays at 19:30. Standing in the pink area, seated in blue, with a view from the green terrace.',
      location: 'lisbon',
      type: 'concert',
      date: '2027-06-12T20:00:00.000Z',
      maxPerOrder: 6,
      tickets: [
        { type: 'pink', total: 5000, remaining: 3127, price: 4500 },
        { type: 'blue', total: 500, remaining: 212, price: 12000 },
        { type: 'green', total: 200, remaining: 17, price: 25000 },
      ],
      favourites: 1234,
    };
    const body = Buffer.from(JSON.stringify(page));
    this.replies.set(`event ${EVENT_ID}`, { body, etag: `W/"${createHash('sha1').update(body).digest('base64url')}"` });
  }

  /** The reply cache's hit path (async, as ReplyCache.get is). */
  async eventPage(eventId: string): Promise<CachedReply | undefined> {
    return this.replies.get(`event ${eventId}`);
  }

  /** The session cache's hit path (AuthService.principal). */
  async principal(token: string): Promise<Principal | null> {
    const tokenSha256 = sha256(token);
    const s = this.sessions.get(tokenSha256);
    if (!s || Date.parse(s.expiresAt) <= Date.now()) return null;
    return { username: s.username, role: s.role, tokenSha256 };
  }

  /** The gateway's RateLimiter.take, with a limit this run never reaches. */
  take(key: string, count = 1e9, seconds = 1): number {
    const now = Date.now();
    const perMs = count / (seconds * 1000);
    const b = this.buckets.get(key) ?? { tokens: count, at: now };
    b.tokens = Math.min(count, b.tokens + (now - b.at) * perMs);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
  }

  /** orders.place stubbed: an accepted sale at once (the edge alone is measured). */
  async place(username: string, idempotencyKey: string, order: z.output<typeof placeOrderBody>) {
    const prices: Record<string, number> = { pink: 4500, blue: 12000, green: 25000 };
    const lines = order.lines.map((l) => ({ ...l, unitPrice: prices[l.type] ?? 1000 }));
    return {
      status: 'accepted' as const,
      orderId: ulid(),
      eventId: order.eventId,
      lines,
      total: lines.reduce((s, l) => s + l.quantity * l.unitPrice, 0),
      remaining: Object.fromEntries(lines.map((l) => [l.type, 100 + ((username.length + idempotencyKey.length) % 7)])),
      revision: 123456,
    };
  }
}

const AUTH = Symbol('bench:auth');
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The gateway's AccessGuard, less the store probe: origin check on writes, session, rate limit. */
@Injectable()
class EdgeGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly store: EdgeStore,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<EdgeRequest>();
    if (UNSAFE.has(req.method)) {
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `${req.protocol}://${req.headers.host ?? ''}`)
        throw new ForbiddenException('cross-site request refused');
      if (req.headers['sec-fetch-site'] === 'cross-site') throw new ForbiddenException('cross-site request refused');
    }
    if (!this.reflector.get<boolean | undefined>(AUTH, ctx.getHandler())) return true;
    const token = readCookie(req.headers.cookie, SESSION_COOKIE);
    const principal = token ? await this.store.principal(token) : null;
    if (!principal) throw new UnauthorizedException('log in');
    req.principal = principal;
    for (const key of [`orders:user:${principal.username}`, `orders:ip:${req.ip ?? 'unknown'}`]) {
      const wait = this.store.take(key);
      if (wait > 0) throw new HttpException('too many orders', 429);
    }
    return true;
  }
}

/** The gateway's QuorumLostInterceptor's shape: writes run inside an Observable (the quorum never lost here). */
@Injectable()
class EdgeInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!UNSAFE.has(ctx.switchToHttp().getRequest<EdgeRequest>().method)) return next.handle();
    return new Observable((subscriber) => {
      subscriber.add(next.handle().subscribe(subscriber));
    });
  }
}

@Controller('api')
class EdgeController {
  constructor(private readonly store: EdgeStore) {}

  @Get('events/:eventId')
  async event(@Param('eventId') eventId: string, @Res() res: EdgeReply) {
    const { eventId: id } = parseInput(idParam, { eventId }, 'path');
    const reply = await this.store.eventPage(id);
    if (!reply) throw new NotFoundException('No event with this id.');
    // As the gateway's sendCached: its own ETag spares the framework hashing the body.
    res.header('Content-Type', 'application/json; charset=utf-8');
    res.header('ETag', reply.etag);
    res.send(reply.body);
  }

  @Post('orders')
  @SetMetadata(AUTH, true)
  place(@Req() req: EdgeRequest, @Headers('idempotency-key') key: string | undefined, @Body() body: unknown) {
    const k = parseInput(idempotencyHeader, { 'Idempotency-Key': key }, 'headers')['Idempotency-Key'];
    return this.store.place(req.principal!.username, k, parseInput(placeOrderBody, body));
  }
}

@Module({
  controllers: [EdgeController],
  providers: [EdgeStore, { provide: APP_GUARD, useClass: EdgeGuard }, { provide: APP_INTERCEPTOR, useClass: EdgeInterceptor }],
})
class EdgeModule {}

const REQUEST_ID = /^[A-Za-z0-9_.-]{1,128}$/;
const trace = new AsyncLocalStorage<{ traceId: string }>();

/** The platform's per-request middleware (libs/shared/platform/src/bootstrap.ts), on raw Node objects as both adapters pass them. */
function requestIdMiddleware() {
  let inFlight = 0;
  return (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const given = req.headers['x-request-id'];
    const traceId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', traceId);
    inFlight++;
    res.once('close', () => inFlight--);
    trace.run({ traceId }, next);
  };
}

async function serve(adapter: AdapterName, middleware: boolean): Promise<void> {
  let app: INestApplication;
  if (adapter === 'express') {
    const express = await NestFactory.create<NestExpressApplication>(EdgeModule, new ExpressAdapter(), { logger: false });
    express.set('trust proxy', 1);
    express.disable('x-powered-by');
    app = express;
  } else {
    // Fastify sends no X-Powered-By. Fastify 5 takes no hop count: this function is Express's `1`
    // (trust the nearest hop only).
    app = await NestFactory.create(EdgeModule, new FastifyAdapter({ trustProxy: (_addr: string, hop: number) => hop < 1 }), {
      logger: false,
    });
  }
  if (middleware) {
    app.use(requestIdMiddleware());
    // The gateway's helmet options on plain http (COOKIE_SECURE not 'true').
    app.use(
      helmet({
        contentSecurityPolicy: {
          directives: { 'script-src': ["'self'"], 'style-src': ["'self'", "'unsafe-inline'"], 'upgrade-insecure-requests': null },
        },
        hsts: false,
      }),
    );
  }
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  process.send!({ port });
}

// ---------------------------------------------------------------------------------------------
// The driver.
// ---------------------------------------------------------------------------------------------

interface Server {
  adapter: AdapterName;
  middleware: boolean;
  child: ChildProcess;
  base: string;
}

async function startServer(adapter: AdapterName, middleware: boolean, token: string): Promise<Server> {
  const child = fork(import.meta.filename, ['--serve', adapter, '--mw', middleware ? 'on' : 'off', '--token', token], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`the ${adapter} server exited (${code}) before listening`)));
  });
  return { adapter, middleware, child, base: `http://127.0.0.1:${port}` };
}

async function drive(): Promise<void> {
  const SECONDS = Number(values.seconds);
  const CONNECTIONS = Number(values.connections);
  const ROUNDS = Number(values.rounds);
  const mwChoice = values.middleware;
  if (!['both', 'on', 'off'].includes(mwChoice)) throw new Error('--middleware is both, on or off');
  const variants = mwChoice === 'both' ? [true, false] : [mwChoice === 'on'];
  const token = randomBytes(32).toString('base64url');

  const servers: Server[] = [];
  try {
    for (const middleware of variants)
      for (const adapter of ['express', 'fastify'] as const) servers.push(await startServer(adapter, middleware, token));

    const order = JSON.stringify({
      eventId: EVENT_ID,
      lines: [
        { type: 'pink', quantity: 2 },
        { type: 'blue', quantity: 1 },
      ],
    });
    const routes = [
      { name: 'GET /api/events/:id', path: `/api/events/${EVENT_ID}`, opts: { method: 'GET' as const } },
      {
        name: 'POST /api/orders',
        path: '/api/orders',
        opts: {
          method: 'POST' as const,
          body: order,
          headers: { 'content-type': 'application/json', cookie: `${SESSION_COOKIE}=${token}`, 'idempotency-key': randomUUID() },
        },
      },
    ];

    // Each route answers as the gateway's would before anything is timed.
    let eventBytes = 0;
    for (const s of servers) {
      const page = await fetch(`${s.base}${routes[0]!.path}`);
      eventBytes = (await page.arrayBuffer()).byteLength;
      const sale = await fetch(`${s.base}/api/orders`, { method: 'POST', body: order, headers: routes[1]!.opts.headers });
      if (page.status !== 200 || !page.headers.get('etag') || sale.status !== 201)
        throw new Error(`${s.adapter}: event page ${page.status}, order ${sale.status} ${await sale.text()}`);
      const bad = await fetch(`${s.base}/api/orders`, {
        method: 'POST',
        body: '{"eventId":"nope","lines":[]}',
        headers: routes[1]!.opts.headers,
      });
      if (bad.status !== 400) throw new Error(`${s.adapter}: a malformed order got ${bad.status}, not 400`);
    }

    interface Cell {
      adapter: AdapterName;
      middleware: boolean;
      route: string;
      round: number;
      perSecond: number;
      p99: number;
      bad: number;
      serverMs: number;
      loadMs: number;
    }
    const cells: Cell[] = [];
    for (let round = 1; round <= ROUNDS; round++)
      for (const route of routes)
        for (const s of servers) {
          const url = `${s.base}${route.path}`;
          await autocannon({ url, connections: CONNECTIONS, duration: 1, ...route.opts });
          const cpu0 = cpuMsOf(s.child.pid!);
          const own0 = process.cpuUsage();
          const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, ...route.opts });
          const serverMs = cpuMsOf(s.child.pid!) - cpu0;
          const own = process.cpuUsage(own0);
          const replies = r.requests.total;
          cells.push({
            adapter: s.adapter,
            middleware: s.middleware,
            route: route.name,
            round,
            perSecond: replies / SECONDS,
            p99: r.latency.p99,
            bad: r.non2xx + r.errors + r.timeouts,
            serverMs: serverMs / Math.max(1, replies),
            loadMs: (own.user + own.system) / 1000 / Math.max(1, replies),
          });
          process.stdout.write(
            `  round ${round} ${s.adapter} mw ${s.middleware ? 'on' : 'off'} ${route.name}: ${fmt(replies / SECONDS)} req/s, ${fmt(serverMs / Math.max(1, replies), 3)} ms CPU/req\n`,
          );
        }

    const mw = (m: boolean) => (m ? 'on' : 'off');
    process.stdout.write(
      `\n${os.cpus().length} cores, ${CONNECTIONS} connections, ${SECONDS} s per cell after 1 s of warm-up, ${ROUNDS} rounds interleaved; event page body ${eventBytes} bytes\n`,
    );
    process.stdout.write(`server CPU = the server process's CPU ms (/proc) per reply; load gen = this process's (autocannon)\n\n`);
    process.stdout.write(`| adapter | mw | route | round | req/s | p99 ms | non-2xx/errors | server CPU ms/req | load gen ms/req |\n`);
    process.stdout.write(`|---|---|---|---:|---:|---:|---:|---:|---:|\n`);
    for (const c of cells)
      process.stdout.write(
        `| ${c.adapter} | ${mw(c.middleware)} | ${c.route} | ${c.round} | ${fmt(c.perSecond)} | ${c.p99} | ${c.bad} | ${fmt(c.serverMs, 3)} | ${fmt(c.loadMs, 3)} |\n`,
      );

    // Per route and variant: the mean over rounds of each adapter, and fastify / express.
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
    process.stdout.write(`\nmeans over the rounds; ratio = fastify / express (CPU: below 1 is cheaper; req/s: above 1 is faster)\n\n`);
    process.stdout.write(
      `| route | mw | express CPU ms/req | fastify CPU ms/req | CPU ratio | saved ms/req | express req/s | fastify req/s | req/s ratio |\n`,
    );
    process.stdout.write(`|---|---|---:|---:|---:|---:|---:|---:|---:|\n`);
    for (const route of routes)
      for (const m of variants) {
        const of = (a: AdapterName) => cells.filter((c) => c.adapter === a && c.middleware === m && c.route === route.name);
        const [e, f] = [of('express'), of('fastify')];
        const [ec, fc] = [mean(e.map((c) => c.serverMs)), mean(f.map((c) => c.serverMs))];
        const [er, fr] = [mean(e.map((c) => c.perSecond)), mean(f.map((c) => c.perSecond))];
        process.stdout.write(
          `| ${route.name} | ${mw(m)} | ${fmt(ec, 3)} | ${fmt(fc, 3)} | ${fmt(fc / ec, 2)} | ${fmt(ec - fc, 3)} | ${fmt(er)} | ${fmt(fr)} | ${fmt(fr / er, 2)} |\n`,
        );
      }
    if (cells.some((c) => c.bad)) {
      process.stderr.write('some replies were not 2xx, or errors/timeouts\n');
      process.exitCode = 1;
    }
  } finally {
    for (const s of servers) s.child.kill('SIGKILL');
  }
}

if (values.serve) {
  if (values.serve !== 'express' && values.serve !== 'fastify') throw new Error('--serve is express or fastify');
  // Never outlive the driver.
  process.on('disconnect', () => process.exit(0));
  await serve(values.serve, values.mw === 'on');
} else {
  await drive();
}
