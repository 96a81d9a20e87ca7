import { cents, eventFields, MAX_TICKET_TYPES, slug, ticketTypeSpec } from '@ticketcd/contracts';
import { z } from 'zod';
import { pageQuery } from '../http/params.js';

export const listQuery = pageQuery.extend({ type: slug.optional(), location: slug.optional() });
export const searchQuery = listQuery.extend({
  q: z.string().max(200).optional().describe('Words to find; the last may be a prefix ("con" finds Concert).'),
});

export const createEventBody = eventFields.extend({ ticketTypes: z.array(ticketTypeSpec).min(1).max(MAX_TICKET_TYPES) }).strict();
export const updateEventBody = eventFields
  .partial()
  .extend({ expectedVersion: z.number().int().positive().describe('The version you read: a stale one gets 409.') })
  .strict();
export const deleteEventQuery = z.object({ expectedVersion: z.coerce.number<string>().int().positive().optional() });
export const adjustTicketsBody = z.strictObject({ total: z.number().int().min(0).max(1_000_000).optional(), price: cents.optional() });
export const staticListBody = z.strictObject({ add: z.array(slug).max(100).default([]), remove: z.array(slug).max(100).default([]) });

export const EVENT_EXAMPLE = {
  eventId: '01JD6Z8Q1V6N4X2K7T3R5M9B0C',
  version: 1,
  name: 'Rock in the Park',
  description: 'Three bands, one night.',
  location: 'lisbon',
  type: 'concert',
  date: '2027-06-12T20:00:00.000Z',
  maxPerOrder: 6,
};
