import { keys } from '@ticketcd/keys';
import { IN_DESCRIPTION, IN_NAME } from '@ticketcd/search-text';
import { compareListingKeys, type ListingKey } from '@ticketcd/contracts';
import {
  compareRank,
  decodeCursor,
  encodeCursor,
  hitsOf,
  intersect,
  passesFilters,
  rangesOf,
  rankKey,
  TopRanked,
  type RankKey,
} from './ranking.js';

const A = '01JD6Z3M4X1V2B3N4M5K6J7H8A';
const B = '01JD6Z3M4X1V2B3N4M5K6J7H8B';
const C = '01JD6Z3M4X1V2B3N4M5K6J7H8C';

describe('query ranking', () => {
  it('reads whole words exactly and the last word as a prefix range', () => {
    expect(rangesOf({ words: ['rock'], prefix: 'lon', type: 'concert' })).toEqual([
      { prefix: 'search:text:rock:', text: true },
      { prefix: 'search:text:lon', text: true },
    ]);
  });

  it('with words, checks type and location on the candidates; without, reads their postings', () => {
    const q = { words: [], prefix: 'rock', type: 'concert', location: 'porto' };
    expect(passesFilters(q, { type: 'concert', location: 'porto' })).toBe(true);
    expect(passesFilters(q, { type: 'concert', location: 'lisbon' })).toBe(false);
    expect(passesFilters({ words: [], prefix: 'rock' }, { type: 'dance', location: 'lisbon' })).toBe(true);
    expect(rangesOf({ words: [], prefix: null, type: 'concert', location: 'porto' })).toEqual([
      { prefix: 'search:type:concert:', text: false },
      { prefix: 'search:location:porto:', text: false },
    ]);
  });

  it('keeps events in every set and counts the words found in their names', () => {
    const rock = hitsOf([
      { key: keys.search('text', 'rock', A), value: IN_NAME },
      { key: keys.search('text', 'rock', B), value: IN_DESCRIPTION },
      { key: keys.search('text', 'rock', C), value: IN_NAME },
    ]);
    // A prefix range: one event may match through several words; in-name if any is.
    const lon = hitsOf([
      { key: keys.search('text', 'london', A), value: IN_DESCRIPTION },
      { key: keys.search('text', 'long', A), value: IN_NAME },
      { key: keys.search('text', 'london', B), value: IN_NAME },
    ]);
    const type = hitsOf([
      { key: keys.search('type', 'concert', A), value: '1' },
      { key: keys.search('type', 'concert', B), value: '1' },
    ]);
    expect(
      intersect([
        { hits: rock, text: true },
        { hits: lon, text: true },
        { hits: type, text: false },
      ]),
    ).toEqual(
      new Map([
        [A, 2],
        [B, 1],
      ]),
    );
  });

  it('ranks more name matches first, then upcoming soonest, then past latest', () => {
    const now = '2026-06-01T00:00:00.000Z';
    const ranked = [
      rankKey(1, 'past-old', '2026-01-01T00:00:00.000Z', now),
      rankKey(1, 'soon', '2026-07-01T00:00:00.000Z', now),
      rankKey(2, 'late', '2027-07-01T00:00:00.000Z', now),
      rankKey(1, 'past-recent', '2026-05-01T00:00:00+02:00', now),
      rankKey(1, 'later', '2026-09-01T00:00:00.000Z', now),
    ].sort(compareRank);
    expect(ranked.map((k) => k[3])).toEqual(['late', 'soon', 'later', 'past-recent', 'past-old']);
  });

  it('round-trips cursors and refuses forged ones', () => {
    const c = { now: '2026-06-01T00:00:00.000Z', last: rankKey(1, A, '2026-07-01T00:00:00.000Z', '2026-06-01T00:00:00.000Z') };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    expect(decodeCursor('garbage')).toBeNull();
    expect(decodeCursor(Buffer.from('["x",[1,0,"d","id"]]').toString('base64url'))).toBeNull();
    expect(decodeCursor(Buffer.from('["2026-06-01T00:00:00.000Z",[1,2,"d","id"]]').toString('base64url'))).toBeNull();
  });

  // Issue 27: the per-hit shortcuts must give exactly the order of the plain sort.
  it('TopRanked gives the first n of sorting every rankKey by the listing order, after a cursor', () => {
    const now = '2026-06-01T00:00:00.000Z';
    let seed = 7;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const items = Array.from({ length: 500 }, (_, i) => {
      const date = new Date(Date.UTC(2026, 0, 1) + rnd(365) * 86400_000 + rnd(3) * 3600_000).toISOString().replace('Z', '+00:00');
      const id = `01JD6Z3M4X1V2B3N4M5K6J${String(rnd(10_000)).padStart(4, '0')}`;
      return { key: rankKey(rnd(3), id, date, now), date, i };
    });
    const byListing = (a: RankKey, b: RankKey) => b[0] - a[0] || compareListingKeys(a.slice(1) as ListingKey, b.slice(1) as ListingKey);
    const sorted = [...items].sort((a, b) => byListing(a.key, b.key));
    expect([...items].sort((a, b) => compareRank(a.key, b.key)).map((x) => x.i)).toEqual(sorted.map((x) => x.i));
    for (const [n, after] of [
      [0, null],
      [1, null],
      [21, null],
      [500, null],
      [600, null],
      [21, sorted[100]!.key],
    ] as const) {
      const top = new TopRanked<number>(n, now, after);
      for (const x of items) top.offer(x.key[0], new Date(x.date).toISOString(), x.key[3], x.i);
      const from = after ? sorted.findIndex((x) => x.key === after) + 1 : 0;
      expect(top.ranked.map((x) => x.item)).toEqual(sorted.slice(from, from + n).map((x) => x.i));
    }
  });

  it('TopRanked knows the soonest upcoming date offered, until which no hit changes group', () => {
    const top = new TopRanked<number>(1, '2026-06-01T00:00:00.000Z');
    expect(top.soonestUpcoming).toBeNull();
    top.offer(0, '2026-01-01T00:00:00.000Z', 'a', 1); // past
    expect(top.soonestUpcoming).toBeNull();
    top.offer(0, '2026-09-01T00:00:00.000Z', 'b', 2);
    top.offer(0, '2026-07-01T00:00:00.000Z', 'c', 3);
    top.offer(1, '2026-08-01T00:00:00.000Z', 'd', 4); // a name match ranks first: the others are not kept, but counted
    expect(top.soonestUpcoming).toBe('2026-07-01T00:00:00.000Z');
    expect(top.ranked.map((x) => x.item)).toEqual([4]);
  });
});
