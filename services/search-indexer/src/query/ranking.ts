/**
 * Pure query logic: which postings ranges a query reads, how the hits intersect, how they rank
 * (more query words in the event's name first, then the listing order: upcoming soonest, then
 * past latest) and the stable cursor (it carries the query's "now", so an event that starts
 * while someone pages does not move between pages).
 */
import { isListingKey, listingKey, type ListingKey } from '@ticketcd/contracts';
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
  // Plain loops: this runs once per posting of the smallest set (thousands for a common word).
  next: for (const id of smallest.hits.keys()) {
    for (const s of rest) if (!s.hits.has(id)) continue next;
    let score = 0;
    for (const s of sets) if (s.text && s.hits.get(id)) score++;
    out.set(id, score);
  }
  return out;
}

export type RankKey = [score: number, ...ListingKey];

export const rankKey = (score: number, eventId: string, date: string, now: string): RankKey => [score, ...listingKey(eventId, date, now)];

/**
 * rankKey for a date already normalised to UTC (`new Date(date).toISOString()`, as the meta
 * cache keeps it): the same key without parsing a date per hit (unit tested against rankKey).
 */
export const rankKeyUtc = (score: number, eventId: string, utc: string, now: string): RankKey => [score, utc >= now ? 0 : 1, utc, eventId];

/** Score first (more words in the name), then compareListingKeys' order, inlined (no slices: called per hit). */
export function compareRank(a: RankKey, b: RankKey): number {
  if (a[0] !== b[0]) return b[0] - a[0];
  if (a[1] !== b[1]) return a[1] - b[1];
  const byDate = a[1] === 0 ? a[2].localeCompare(b[2]) : b[2].localeCompare(a[2]);
  return byDate || a[3].localeCompare(b[3]);
}

/**
 * The first `n` items in rank order, without sorting them all: a query for a common word has
 * thousands of hits and shows 20. Keeps a sorted array of at most n; most items are compared
 * once, with the last kept. Same order as sorting everything by compareRank.
 */
export function topRanked<T extends { key: RankKey }>(items: Iterable<T>, n: number): T[] {
  const top: T[] = [];
  if (n <= 0) return top;
  for (const item of items) {
    if (top.length === n && compareRank(item.key, top[n - 1]!.key) >= 0) continue;
    let lo = 0;
    let hi = top.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareRank(top[mid]!.key, item.key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    top.splice(lo, 0, item);
    if (top.length > n) top.pop();
  }
  return top;
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
