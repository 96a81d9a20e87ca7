/**
 * Every error leaving /api, whatever threw it, in the one shape (see api-error.ts). Nest's own
 * HttpExceptions (unknown route, bad JSON) and the store's availability errors are mapped;
 * anything else is a bug: logged with its stack, answered 500 without details.
 */
import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { AppError, zodFields, type ErrorCode } from '@ticketcd/contracts';
import { isAvailabilityError } from '@ticketcd/etcd';
import { KeyParseError, KeySegmentError } from '@ticketcd/keys';
import { currentTraceId } from '@ticketcd/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { ApiError } from './api-error.js';
import { pathOf } from './request.js';

const HTTP_CODES: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'RATE_LIMITED',
  503: 'UNAVAILABLE',
  504: 'TIMEOUT',
};

export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  if (e instanceof AppError) return ApiError.fromRpc(e.error, e.error.dependency ?? 'gateway');
  if (e instanceof ZodError) return ApiError.badRequest('invalid request', zodFields(e));
  if (e instanceof KeySegmentError || e instanceof KeyParseError) return ApiError.badRequest(e.message);
  if (isAvailabilityError(e)) return ApiError.unavailable('etcd', 'the store (etcd) did not answer in time; try again shortly');
  if (e instanceof HttpException) {
    const status = e.getStatus();
    const code = HTTP_CODES[status] ?? (status < 500 ? 'BAD_REQUEST' : 'INTERNAL');
    const res = e.getResponse();
    const message = typeof res === 'string' ? res : ((res as { message?: unknown }).message ?? e.message);
    return new ApiError({ status, code, message: Array.isArray(message) ? message.join('; ') : String(message) });
  }
  const status = (e as { status?: unknown; statusCode?: unknown })?.status ?? (e as { statusCode?: unknown })?.statusCode;
  // body-parser's errors carry a status: too large (413), bad JSON or charset (400).
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const type = (e as { type?: string }).type;
    if (status === 413)
      return ApiError.of('PAYLOAD_TOO_LARGE', `request body too large: ${(e as { limit?: number }).limit ?? '?'} bytes at most`);
    return ApiError.badRequest(type === 'entity.parse.failed' ? 'request body is not valid JSON' : (e as Error).message);
  }
  return new ApiError({ status: 500, code: 'INTERNAL', message: 'internal error' });
}

export function sendApiError(res: FastifyReply, error: ApiError) {
  for (const [k, v] of Object.entries(error.headers)) res.header(k, v);
  res
    .status(error.body.status)
    .send({ error: { ...error.body, requestId: currentTraceId() ?? (res.raw.getHeader('x-request-id') as string | undefined) } });
}

@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  constructor(private readonly log: PinoLogger) {
    log.setContext(ApiErrorFilter.name);
  }

  catch(e: unknown, host: ArgumentsHost) {
    if (host.getType() !== 'http') throw e;
    const res = host.switchToHttp().getResponse<FastifyReply>();
    const req = host.switchToHttp().getRequest<FastifyRequest>();
    // Health and metrics keep Nest's own bodies (probes and scrapers read them).
    if (!pathOf(req.url).startsWith('/api') && e instanceof HttpException) {
      res.status(e.getStatus()).header('Content-Type', 'application/json; charset=utf-8').send(JSON.stringify(e.getResponse()));
      return;
    }
    const error = toApiError(e);
    if (error.body.status === 500) {
      this.log.error({ err: e, method: req.method, url: req.originalUrl }, 'unexpected error');
    }
    // Already answering (an SSE stream, or a reply taken over): only the end is left to send.
    if (res.sent || res.raw.headersSent) {
      if (!res.raw.writableEnded) res.raw.end();
      return;
    }
    sendApiError(res, error);
  }
}
