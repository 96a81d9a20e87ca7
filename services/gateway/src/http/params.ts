/** Query and path parameters shared by several routes, parsed with the contracts' field rules. */
import { cursor, id, slug, username } from '@ticketcd/contracts';
import { z } from 'zod';
import { parseInput } from './validation.js';

export const pageQuery = z.object({
  limit: z.coerce.number<string>().int('must be a whole number').min(1).max(200).default(20),
  cursor,
});

// One schema per parameter name: zod compiles every new schema, which costs on a hot route.
const schemas = new Map<string, z.ZodObject>();
function paramSchema(what: string, field: z.ZodType, kind: string): z.ZodObject {
  let s = schemas.get(`${kind}:${what}`);
  if (!s) schemas.set(`${kind}:${what}`, (s = z.object({ [what]: field })));
  return s;
}

export function parseId(value: string, what = 'id'): string {
  return parseInput(paramSchema(what, id, 'id'), { [what]: value }, 'path')[what] as string;
}

export function parseSlug(value: string, what: string): string {
  return parseInput(paramSchema(what, slug, 'slug'), { [what]: value }, 'path')[what] as string;
}

export function parseUsername(value: string, what = 'username'): string {
  return parseInput(paramSchema(what, username, 'username'), { [what]: value }, 'path')[what] as string;
}
