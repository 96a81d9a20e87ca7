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

/**
 * Calls `fn` for each event in every set, with how many text sets matched in its name. Plain
 * loops and no map built: this runs once per posting of the smallest set (thousands for a
 * common word).
 */
export function forEachMatch(sets: { hits: Map<string, boolean>; text: boolean }[], fn: (eventId: string, score: number) => void): void {
  let smallest = sets[0];
  if (!smallest) return;
  for (const s of sets) if (s.hits.size < smallest.hits.size) smallest = s;
  next: for (const id of smallest.hits.keys()) {
    let score = 0;
    for (const s of sets) {
      const inName = s.hits.get(id);
      if (inName === undefined) continue next;
      if (s.text && inName) score++;
    }
    fn(id, score);
  }
}

/** Events in every set, each with how many text sets matched in its name. */
export function intersect(sets: { hits: Map<string, boolean>; text: boolean }[]): Map<string, number> {
  const out = new Map<string, number>();
  forEachMatch(sets, (id, score) => out.set(id, score));
  return out;
}

export type RankKey = [score: number, ...ListingKey];

export const rankKey = (score: number, eventId: string, date: string, now: string): RankKey => [score, ...listingKey(eventId, date, now)];

/** Score first (more words in the name), then compareListingKeys' order, inlined (no slices: called per hit). */
export function compareRank(a: RankKey, b: RankKey): number {
  return compareToRank(a[0], a[1], a[2], a[3], b);
}

/** compareRank of the key [score, group, date, eventId] with b, without building the key. */
function compareToRank(score: number, group: number, date: string, eventId: string, b: RankKey): number {
  if (score !== b[0]) return b[0] - score;
  if (group !== b[1]) return group - b[1];
  const byDate = group === 0 ? compareDates(date, b[2]) : compareDates(b[2], date);
  return byDate || eventId.localeCompare(b[3]);
}

/**
 * localeCompare of two UTC ISO dates, which it equals: of one length (one format) they differ
 * first at a digit, where collation and code order agree; plain comparison costs a fraction of it.
 */
function compareDates(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length !== b.length) return a.localeCompare(b);
  return a < b ? -1 : 1;
}

/**
 * The first `n` hits in rank order after `after` (a cursor's last key), without sorting them
 * all: a query for a common word has thousands of hits and shows 20. Keeps a sorted array of at
 * most n; most hits are compared once with the last kept and build no key. Same order as sorting
 * every rankKey by compareRank (unit tested).
 */
export class TopRanked<T> {
  private readonly top: { key: RankKey; item: T }[] = [];
  /**
   * The soonest date offered that is still upcoming (null: none): until "now" passes it, no hit
   * changes group, so the same hits rank the same at a later now.
   */
  soonestUpcoming: string | null = null;

  constructor(
    private readonly n: number,
    /** The query's "now": events at or after it are upcoming. */
    private readonly now: string,
    private readonly after: RankKey | null = null,
  ) {}

  /** A hit; `utc`: its date normalised to UTC (`new Date(date).toISOString()`). */
  offer(score: number, utc: string, eventId: string, item: T): void {
    const group = utc >= this.now ? 0 : 1;
    if (group === 0 && (this.soonestUpcoming === null || compareDates(utc, this.soonestUpcoming) < 0)) this.soonestUpcoming = utc;
    if (this.after && compareToRank(score, group, utc, eventId, this.after) <= 0) return;
    const top = this.top;
    if (top.length === this.n && (this.n === 0 || compareToRank(score, group, utc, eventId, top[this.n - 1]!.key) >= 0)) return;
    const key: RankKey = [score, group, utc, eventId];
    let lo = 0;
    let hi = top.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareRank(top[mid]!.key, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    top.splice(lo, 0, { key, item });
    if (top.length > this.n) top.pop();
  }

  /** The kept hits, best first. */
  get ranked(): readonly { key: RankKey; item: T }[] {
    return this.top;
  }
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
