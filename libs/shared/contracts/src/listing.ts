/**
 * The order of every event listing (catalog lists, search hits of equal rank): upcoming events
 * first, soonest first, then past ones, latest first; the event id breaks ties, so a cursor
 * that names the last key seen is stable.
 */
export type ListingKey = [group: 0 | 1, date: string, eventId: string];

/** `now` is an ISO instant; dates are normalised to UTC so offsets compare correctly. */
export function listingKey(eventId: string, date: string, now: string): ListingKey {
  const utc = new Date(date).toISOString();
  return [utc >= now ? 0 : 1, utc, eventId];
}

export function compareListingKeys(a: ListingKey, b: ListingKey): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  const byDate = a[0] === 0 ? a[1].localeCompare(b[1]) : b[1].localeCompare(a[1]);
  return byDate || a[2].localeCompare(b[2]);
}

export const isListingKey = (k: unknown): k is ListingKey =>
  Array.isArray(k) && k.length === 3 && (k[0] === 0 || k[0] === 1) && typeof k[1] === 'string' && typeof k[2] === 'string';
