/** Query and path parameters shared by several routes, parsed with the contracts' field rules. */
import { cursor, id, slug } from '@ticketcd/contracts';
import { z } from 'zod';
import { parseInput } from './validation.js';

export const pageQuery = z.object({
  limit: z.coerce.number<string>().int('must be a whole number').min(1).max(200).default(20),
  cursor,
});

export function parseId(value: string, what = 'id'): string {
  return parseInput(z.object({ [what]: id }), { [what]: value }, 'path')[what] as string;
}

export function parseSlug(value: string, what: string): string {
  return parseInput(z.object({ [what]: slug }), { [what]: value }, 'path')[what] as string;
}
