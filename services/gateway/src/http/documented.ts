/** Route documentation in one line: the body schema with an example, and the success reply. */
import { applyDecorators, HttpCode } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiQuery, ApiResponse } from '@nestjs/swagger';
import type { z } from 'zod';
import { DEPENDENCY_ERRORS, errorResponse, jsonSchema } from '../openapi/schemas.js';

export interface RouteDoc {
  summary: string;
  description?: string;
  body?: { schema: z.ZodType; example: unknown };
  /** Query parameters, from the zod object that parses them. */
  query?: z.ZodObject;
  /** Success status and reply schema (with an example when it helps). */
  ok: { status: number; schema?: z.ZodType; description?: string; example?: unknown };
  /** Error statuses the route can answer besides 401/403/429 (added by @Auth/@RateLimit) and 503/504. */
  errors?: [number, string][];
  /** Calls a service (adds 503/504). */
  forwards?: boolean;
}

export function Documented(doc: RouteDoc) {
  return applyDecorators(
    ApiOperation({ summary: doc.summary, description: doc.description }),
    HttpCode(doc.ok.status),
    ...queryParams(doc.query),
    ...(doc.body ? [ApiBody({ schema: { ...jsonSchema(doc.body.schema), example: doc.body.example } })] : []),
    ApiResponse({
      status: doc.ok.status,
      description: doc.ok.description ?? 'OK',
      ...(doc.ok.schema
        ? { schema: { ...jsonSchema(doc.ok.schema, 'output'), ...(doc.ok.example ? { example: doc.ok.example } : {}) } }
        : {}),
    }),
    ...(doc.errors ?? []).map(([status, why]) => ApiResponse(errorResponse(status, why))),
    ...(doc.forwards === false ? [] : DEPENDENCY_ERRORS.map((r) => ApiResponse(r))),
  );
}

function queryParams(query: z.ZodObject | undefined) {
  if (!query) return [];
  const schema = jsonSchema(query) as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, s]) =>
    ApiQuery({ name, required: schema.required?.includes(name) ?? false, schema: s, description: s.description as string | undefined }),
  );
}
