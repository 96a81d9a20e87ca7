/** Parsing of HTTP input with zod: a failure is a 400 naming each field and what is wrong with it. */
import type { z } from 'zod';
import { ApiError } from './api-error.js';

export function fieldsOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(body)', message: i.message }));
}

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what = 'request body'): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw ApiError.badRequest(`invalid ${what}`, fieldsOf(r.error));
  return r.data;
}
