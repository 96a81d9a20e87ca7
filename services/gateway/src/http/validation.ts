/** Parsing of HTTP input with zod: a failure is a 400 naming each field and what is wrong with it. */
import { zodFields } from '@ticketcd/contracts';
import type { z } from 'zod';
import { ApiError } from './api-error.js';

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what = 'request body'): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw ApiError.badRequest(`invalid ${what}`, zodFields(r.error));
  return r.data;
}
