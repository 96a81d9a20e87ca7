/**
 * OpenAPI pieces generated from the same zod schemas that validate requests and replies, so the
 * document cannot drift from the code.
 */
import type { ApiResponseOptions } from '@nestjs/swagger';
import { ERROR_CODES } from '@ticketcd/contracts';
import { z } from 'zod';

type Json = Record<string, unknown>;

/** The OpenAPI 3.0 schema of a zod schema (as a request: defaults make fields optional). */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Json {
  const s = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as Json;
  delete s.$schema;
  return stripIntBounds(s) as Json;
}

/** zod adds ±2^53 bounds to every integer; they are noise to a reader. */
function stripIntBounds(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripIntBounds);
  if (v && typeof v === 'object') {
    const o: Json = {};
    for (const [k, x] of Object.entries(v)) {
      if ((k === 'minimum' || k === 'maximum') && Math.abs(x as number) === Number.MAX_SAFE_INTEGER) continue;
      o[k] = stripIntBounds(x);
    }
    return o;
  }
  return v;
}

export const errorBody = z.object({
  error: z.object({
    status: z.number().int(),
    code: z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]]),
    message: z.string(),
    requestId: z.string().optional(),
    fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    dependency: z.string().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

const EXAMPLES: Record<number, Json> = {
  400: {
    status: 400,
    code: 'BAD_REQUEST',
    message: 'invalid request body',
    fields: [{ path: 'lines.0.quantity', message: 'Too small: expected number to be >=1' }],
  },
  401: { status: 401, code: 'UNAUTHENTICATED', message: 'log in first: this needs a session' },
  403: { status: 403, code: 'FORBIDDEN', message: 'this needs the admin role' },
  404: { status: 404, code: 'NOT_FOUND', message: 'event 01J9Z3Q5M4W8K2X7T6R1N0B9C8 not found' },
  409: { status: 409, code: 'CONFLICT', message: 'the event changed since you read it (version 3, now 4)' },
  413: { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'request body too large: 65536 bytes at most' },
  429: { status: 429, code: 'RATE_LIMITED', message: 'too many orders from this user: retry after 2 s', details: { retryAfterSeconds: 2 } },
  503: {
    status: 503,
    code: 'UNAVAILABLE',
    message: 'orders is unavailable: no running instance answers orders.history',
    dependency: 'orders',
  },
  504: { status: 504, code: 'TIMEOUT', message: 'orders did not answer orders.history within 3000 ms', dependency: 'orders' },
};

/**
 * An error reply: the shared Error schema by $ref, and the example beside it on the media type (a
 * $ref's siblings are ignored in OpenAPI 3.0, so an example inside the schema would be lost).
 */
export function errorResponse(status: number, description: string, example?: Json): ApiResponseOptions {
  return {
    status,
    description,
    schema: { $ref: '#/components/schemas/Error' },
    example: { error: { ...(EXAMPLES[status] ?? {}), ...example, requestId: '01JA0000000000000000000000' } },
  } as ApiResponseOptions;
}

/** 503/504 naming the dependency: every route that calls a service can answer them. */
export const DEPENDENCY_ERRORS = [
  errorResponse(503, 'A service or the store is unavailable; `dependency` names it. Retry later.'),
  errorResponse(504, 'A service did not answer in time; `dependency` names it. Safe to retry where the route is idempotent.'),
];
