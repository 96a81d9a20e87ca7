/**
 * One guard for every /api route, in this order:
 *  1. CSRF: a write (POST/PUT/PATCH/DELETE) whose Origin is not the gateway's own (or listed in
 *     ALLOWED_ORIGINS) is refused, as is one a browser marks cross-site. SameSite=Lax cookies
 *     already keep most cross-site writes cookie-less; this closes the rest.
 *  2. Store: with etcd's quorum known lost, a write is a 503 naming etcd at once (issue 18.2),
 *     not after a session read and a deadline on the way (writes already in flight then:
 *     QuorumLostInterceptor).
 *  3. Session: @Auth routes need a live session (cookie), @Auth('admin') the admin role.
 *  4. Rate limits: @RateLimit('login') per IP and per username, @RateLimit('orders') per user
 *     and per IP, plus a cap on orders in flight, so a hot on-sale gets 429s, not a meltdown.
 */
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DependencyProbe, SERVICE_CONFIG } from '@ticketcd/platform';
import type { FastifyRequest } from 'fastify';
import type { Role } from '../auth/accounts.repository.js';
import { AuthService, type Principal } from '../auth/auth.service.js';
import { SESSION_COOKIE, readCookie } from '../auth/cookies.js';
import { headerOf } from './request.js';
import type { GatewayConfig, Rate } from '../gateway.config.js';
import { AUTH_ROLE, RATE_LIMIT, type RateLimitName } from './access.decorators.js';
import { ApiError } from './api-error.js';
import { RateLimiter } from './rate-limiter.js';

export const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The 503 for a write while etcd's quorum is known lost (`lost` says why). */
export function quorumLostError(lost: string): ApiError {
  return ApiError.unavailable(
    'etcd',
    `${lost}: changes cannot be stored until it is back; retry later (an order with the same Idempotency-Key: it will not sell twice)`,
  );
}

export type ApiRequest = FastifyRequest<{ Body: { username?: unknown } | undefined }> & { principal?: Principal };

@Injectable()
export class AccessGuard implements CanActivate {
  private readonly limiter = new RateLimiter();

  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
    private readonly probe: DependencyProbe,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<ApiRequest>();
    if (UNSAFE.has(req.method)) {
      this.checkOrigin(req);
      const lost = this.probe.etcdQuorumLost;
      if (lost) throw quorumLostError(lost);
    }

    const role = this.reflector.getAllAndOverride<Role | undefined>(AUTH_ROLE, [ctx.getHandler(), ctx.getClass()]);
    if (role) {
      const token = readCookie(req, SESSION_COOKIE);
      // A write waiting on its session read when the quorum is declared lost is answered then (issue 25.1).
      const lookup = token ? this.auth.principal(token) : Promise.resolve(null);
      const principal = await (UNSAFE.has(req.method) ? this.probe.raceQuorumLoss(lookup, quorumLostError) : lookup);
      if (!principal) throw ApiError.unauthenticated(token ? 'your session expired or was logged out: log in again' : undefined);
      if (role === 'admin' && principal.role !== 'admin') throw ApiError.forbidden('this needs the admin role');
      req.principal = principal;
    }

    const limit = this.reflector.get<RateLimitName | undefined>(RATE_LIMIT, ctx.getHandler());
    if (limit) this.rateLimit(limit, req);
    return true;
  }

  private checkOrigin(req: FastifyRequest) {
    const origin = headerOf(req.headers, 'origin');
    if (origin !== undefined) {
      const own = `${req.protocol}://${headerOf(req.headers, 'host') ?? ''}`;
      if (origin !== own && !this.config.ALLOWED_ORIGINS.includes(origin)) {
        throw ApiError.forbidden(`cross-site request refused: origin ${origin} may not write here`);
      }
    } else if (headerOf(req.headers, 'sec-fetch-site') === 'cross-site') {
      throw ApiError.forbidden('cross-site request refused');
    }
  }

  private rateLimit(name: RateLimitName, req: ApiRequest) {
    const ip = req.ip ?? 'unknown';
    const c = this.config;
    const checks: { key: string; rule: Rate; why: string }[] = [];
    if (name === 'login') {
      checks.push({ key: `login:ip:${ip}`, rule: c.RATE_LOGIN_PER_IP, why: 'too many log-in attempts from this address' });
      const user: unknown = req.body?.username;
      if (typeof user === 'string')
        checks.push({ key: `login:user:${user}`, rule: c.RATE_LOGIN_PER_USER, why: 'too many log-in attempts for this user' });
    } else {
      checks.push({ key: `orders:user:${req.principal?.username}`, rule: c.RATE_ORDERS_PER_USER, why: 'too many orders from this user' });
      checks.push({ key: `orders:ip:${ip}`, rule: c.RATE_ORDERS_PER_IP, why: 'too many orders from this address' });
    }
    for (const { key, rule, why } of checks) {
      const wait = this.limiter.take(key, rule);
      if (wait > 0) throw ApiError.rateLimited(`${why}: retry after ${wait} s`, wait);
    }
  }
}
