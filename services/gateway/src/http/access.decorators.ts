/** Route metadata read by AccessGuard: who may call, and which rate limit applies. */
import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ApiCookieAuth, ApiResponse } from '@nestjs/swagger';
import type { Role } from '../auth/accounts.repository.js';
import type { Principal } from '../auth/auth.service.js';
import { errorResponse } from '../openapi/schemas.js';

export const AUTH_ROLE = Symbol('ticketcd:auth-role');
export const RATE_LIMIT = Symbol('ticketcd:rate-limit');
export type RateLimitName = 'login' | 'orders';

/** Needs a session (and the role, for 'admin'). */
export function Auth(role: Role = 'user') {
  return applyDecorators(
    SetMetadata(AUTH_ROLE, role),
    ApiCookieAuth('session'),
    ApiResponse(errorResponse(401, 'No session, or it expired: log in.')),
    ...(role === 'admin' ? [ApiResponse(errorResponse(403, 'Logged in, but not an admin.'))] : []),
  );
}

export function RateLimit(name: RateLimitName) {
  return applyDecorators(
    SetMetadata(RATE_LIMIT, name),
    ApiResponse(errorResponse(429, 'Too many requests: wait the Retry-After seconds.')),
  );
}

/** The caller's principal (routes marked @Auth always have one). */
export const CurrentUser = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => ctx.switchToHttp().getRequest<{ principal: Principal }>().principal,
);
