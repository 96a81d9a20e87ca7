/**
 * Pure query logic: which postings ranges a query reads, how the hits intersect, how they rank
 * (more query words in the event's name first, then the listing order: upcoming soonest, then
 * past latest) and the stable cursor (it carries the query's "now", so an event that starts
 * while someone pages does not move between pages).
 */
import { compareListingKeys, isListingKey, listingKey, type ListingKey } from '@ticketcd/contracts';
import { parseKey, prefixes } from '@ticketcd/keys';
import { IN_NAME } from '@ticketcd/search-text';

export interface QueryPlan {
  /** Whole words: each must match exactly. */
  words: string[];
  /** The last word: matched as a prefix of an indexed word (null: no words). */
  prefix: string | null;
  type?: string;
  location?: string;
}

/**
 * One range read per dimension. With words, only the text ranges are read and type and location
 * are checked on each candidate's indexed fields: a type or location posting list holds a share
 * of all events (a third of them for a city), so reading it would cost more than the words'
 * own lists. Without words the filters' posting lists are the candidates.
 */
export function rangesOf(q: QueryPlan): { prefix: string; text: boolean }[] {
  if (q.prefix === null) {
    return [
      ...(q.type ? [{ prefix: prefixes.searchExact('type', q.type), text: false }] : []),
      ...(q.location ? [{ prefix: prefixes.searchExact('location', q.location), text: false }] : []),
    ];
  }
  return [
    ...q.words.map((w) => ({ prefix: prefixes.searchExact('text', w), text: true })),
    { prefix: prefixes.searchTextPrefix(q.prefix), text: true },
  ];
}

/** Whether an event's indexed fields pass the plan's type and location filters. */
export const passesFilters = (q: QueryPlan, fields: { type: string; location: string }): boolean =>
  (!q.type || fields.type === q.type) && (!q.location || fields.location === q.location);

/** eventId -> whether the word is in its name, for one range's postings. */
export function hitsOf(postings: { key: string; value: string }[]): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const { key, value } of postings) {
    const k = parseKey(key);
    if (k.kind !== 'search') continue;
    out.set(k.eventId, (out.get(k.eventId) ?? false) || value === IN_NAME);
  }
  return out;
}

/** Events in every set, each with how many text sets matched in its name. */
export function intersect(sets: { hits: Map<string, boolean>; text: boolean }[]): Map<string, number> {
  const [smallest, ...rest] = [...sets].sort((a, b) => a.hits.size - b.hits.size);
  const out = new Map<string, number>();
  if (!smallest) return out;
  for (const id of smallest.hits.keys()) {
    if (!rest.every((s) => s.hits.has(id))) continue;
    out.set(id, sets.filter((s) => s.text && s.hits.get(id)).length);
  }
  return out;
}

export type RankKey = [score: number, ...ListingKey];

export const rankKey = (score: number, eventId: string, date: string, now: string): RankKey => [score, ...listingKey(eventId, date, now)];

export function compareRank(a: RankKey, b: RankKey): number {
  return b[0] - a[0] || compareListingKeys(a.slice(1) as ListingKey, b.slice(1) as ListingKey);
}

interface Cursor {
  now: string;
  last: RankKey;
}

export const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify([c.now, c.last])).toString('base64url');

export function decodeCursor(cursor: string): Cursor | null {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown;
    if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || Number.isNaN(Date.parse(v[0]))) return null;
    const last = v[1] as unknown[];
    if (!Array.isArray(last) || last.length !== 4 || !Number.isInteger(last[0]) || !isListingKey(last.slice(1))) return null;
    return { now: v[0], last: last as RankKey };
  } catch {
    return null;
  }
}
