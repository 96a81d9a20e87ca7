/**
 * Reply shape and error vocabulary of every request-reply call. Handlers never throw across
 * NATS: they answer `{ ok: false, error }`, and the gateway maps `code` to an HTTP status.
 */
import { z } from 'zod';

export const ERROR_CODES = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  SOLD_OUT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  /** A dependency (etcd, NATS, another service) is down: answered fast, never a hang. */
  UNAVAILABLE: 503,
  TIMEOUT: 504,
  INTERNAL: 500,
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export const rpcErrorSchema = z.object({
  code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
  /** Which dependency, for UNAVAILABLE and TIMEOUT (e.g. "etcd", "orders"). */
  dependency: z.string().optional(),
  /** Field-by-field problems, for BAD_REQUEST. */
  fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type RpcError = z.infer<typeof rpcErrorSchema>;

export type RpcReply<T> = { ok: true; data: T } | { ok: false; error: RpcError };

const replySchemas = new WeakMap<z.ZodType, z.ZodType>();

/** The reply schema of a data schema, built once per schema: zod compiles each new schema, per call that costs. */
export function rpcReplySchema<T extends z.ZodType>(data: T) {
  let schema = replySchemas.get(data) as ReturnType<typeof buildReplySchema<T>> | undefined;
  if (!schema) {
    schema = buildReplySchema(data);
    replySchemas.set(data, schema);
  }
  return schema;
}

function buildReplySchema<T extends z.ZodType>(data: T) {
  return z.discriminatedUnion('ok', [z.object({ ok: z.literal(true), data }), z.object({ ok: z.literal(false), error: rpcErrorSchema })]);
}

/** An error a handler throws on purpose; the RPC layer turns it into `{ ok: false, error }`. */
export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(readonly error: RpcError) {
    super(error.message);
  }
  static badRequest(message: string, fields?: RpcError['fields']) {
    return new AppError({ code: 'BAD_REQUEST', message, fields });
  }
  static notFound(message: string) {
    return new AppError({ code: 'NOT_FOUND', message });
  }
  static conflict(message: string, details?: Record<string, unknown>) {
    return new AppError({ code: 'CONFLICT', message, details });
  }
  static unavailable(dependency: string, message: string) {
    return new AppError({ code: 'UNAVAILABLE', dependency, message });
  }
  static timeout(dependency: string, message: string) {
    return new AppError({ code: 'TIMEOUT', dependency, message });
  }
}

/** Field problems from a zod error, in the shape clients get. */
export function zodFields(error: z.ZodError): NonNullable<RpcError['fields']> {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(body)', message: i.message }));
}
