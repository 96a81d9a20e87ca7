/** Listing order and cursors: upcoming events first (soonest first), then past ones (latest first). */
import type { EventRecord } from '@ticketcd/contracts';

export type SortKey = [group: 0 | 1, date: string, eventId: string];

export function sortKey(eventId: string, e: EventRecord, now: string): SortKey {
  return [e.date >= now ? 0 : 1, e.date, eventId];
}

export function compareKeys(a: SortKey, b: SortKey): number {
  if (a[0] !== b[0]) return a[0] - b[0];
  const byDate = a[0] === 0 ? a[1].localeCompare(b[1]) : b[1].localeCompare(a[1]);
  return byDate || a[2].localeCompare(b[2]);
}

export const encodeCursor = (k: SortKey) => Buffer.from(JSON.stringify(k)).toString('base64url');

export function decodeCursor(cursor: string): SortKey | null {
  try {
    const k = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown;
    if (Array.isArray(k) && k.length === 3 && (k[0] === 0 || k[0] === 1) && typeof k[1] === 'string' && typeof k[2] === 'string') return k as SortKey;
  } catch {
    // fall through
  }
  return null;
}
