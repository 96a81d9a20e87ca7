/** Listing order (shared with search, see contracts' listing.ts) and this list's cursors. */
import { compareListingKeys, isListingKey, listingKey, type EventRecord, type ListingKey } from '@ticketcd/contracts';

export type SortKey = ListingKey;

export const sortKey = (eventId: string, e: EventRecord, now: string): SortKey => listingKey(eventId, e.date, now);

export const compareKeys = compareListingKeys;

export const encodeCursor = (k: SortKey) => Buffer.from(JSON.stringify(k)).toString('base64url');

export function decodeCursor(cursor: string): SortKey | null {
  try {
    const k = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown;
    if (isListingKey(k)) return k;
  } catch {
    // fall through
  }
  return null;
}
