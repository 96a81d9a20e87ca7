/**
 * The one error shape every /api response uses:
 *   { "error": { "status", "code", "message", "requestId", "fields"?, "dependency"?, "details"? } }
 * Services answer with the RPC error vocabulary (`code`); this maps it to HTTP.
 */
import { ERROR_CODES, type ErrorCode, type RpcError } from '@ticketcd/contracts';

export interface ApiErrorBody {
  status: number;
  code: ErrorCode;
  message: string;
  requestId?: string;
  fields?: { path: string; message: string }[];
  dependency?: string;
  details?: Record<string, unknown>;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly body: Omit<ApiErrorBody, 'requestId'>,
    /** Extra response headers (Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
  }

  static of(
    code: ErrorCode,
    message: string,
    extra: Partial<Omit<ApiErrorBody, 'status' | 'code' | 'message'>> = {},
    headers?: Record<string, string>,
  ) {
    return new ApiError({ status: ERROR_CODES[code], code, message, ...extra }, headers);
  }
  static badRequest(message: string, fields?: ApiErrorBody['fields']) {
    return ApiError.of('BAD_REQUEST', message, fields ? { fields } : {});
  }
  static unauthenticated(message = 'log in first: this needs a session') {
    return ApiError.of('UNAUTHENTICATED', message);
  }
  static forbidden(message: string) {
    return ApiError.of('FORBIDDEN', message);
  }
  static notFound(message: string) {
    return ApiError.of('NOT_FOUND', message);
  }
  static conflict(message: string, details?: Record<string, unknown>) {
    return ApiError.of('CONFLICT', message, details ? { details } : {});
  }
  static rateLimited(message: string, retryAfterS: number) {
    return ApiError.of('RATE_LIMITED', message, { details: { retryAfterSeconds: retryAfterS } }, { 'Retry-After': String(retryAfterS) });
  }
  static unavailable(dependency: string, message: string) {
    return ApiError.of('UNAVAILABLE', message, { dependency });
  }

  /**
   * A service's error reply. A service's INTERNAL is its bug, not the client's: 502 naming the
   * service, so the gateway itself never answers 500 for it.
   */
  static fromRpc(error: RpcError, service: string): ApiError {
    if (error.code === 'INTERNAL') {
      return new ApiError({
        status: 502,
        code: 'INTERNAL',
        message: `${service} failed to handle the request`,
        dependency: error.dependency ?? service,
      });
    }
    const { code, message, fields, dependency, details } = error;
    return new ApiError({
      status: ERROR_CODES[code],
      code,
      message,
      ...(fields ? { fields } : {}),
      ...(dependency ? { dependency } : {}),
      ...(details ? { details } : {}),
    });
  }
}
