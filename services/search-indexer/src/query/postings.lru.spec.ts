// Issue 27 (search from memory): the postings cache's pure core. Guards that a held range always
// equals a read of etcd at the feed's revision (changes applied in order, a range read while
// changes arrive joins in step) and that memory stays within its bounds.
import { keys, prefixes } from '@ticketcd/keys';
import { IN_NAME } from '@ticketcd/search-text';
import { PostingsLru } from './postings.lru.js';

const A = '01J00000000000000000000AAA';
const B = '01J00000000000000000000BBB';
const C = '01J00000000000000000000CCC';
const NOT_IN_NAME = '{"n":0}';

const text = (w: string, id: string) => keys.search('text', w, id);
const rock = prefixes.searchExact('text', 'rock');
const ro = prefixes.searchTextPrefix('ro');
const lisbon = prefixes.searchExact('location', 'lisbon');

const lru = (maxTerms = 100, maxPostings = 1000) => new PostingsLru({ maxTerms, maxPostings });
const load = (c: PostingsLru, prefix: string, kvs: [string, string][], revision = 10) => {
  c.beginLoad(prefix, revision);
  return c.finishLoad(
    prefix,
    kvs.map(([key, value]) => ({ key, value })),
  );
};
const entries = (m: Map<string, boolean> | undefined) => [...(m ?? new Map<string, boolean>())].sort();

describe('PostingsLru: invalidation by the feed', () => {
  it('a put, an edit of in-name and a delete change an exact word range as etcd would', () => {
    const c = lru();
    expect(load(c, rock, [[text('rock', A), IN_NAME]])).toBe(true);
    c.apply({ key: text('rock', B), value: NOT_IN_NAME, revision: 11 });
    c.apply({ key: text('rock', A), value: NOT_IN_NAME, revision: 12 });
    expect(entries(c.peek([rock])?.[0])).toEqual([
      [A, false],
      [B, false],
    ]);
    c.apply({ key: text('rock', A), value: null, revision: 13 });
    expect(entries(c.peek([rock])?.[0])).toEqual([[B, false]]);
    expect(c.size).toBe(1);
  });

  it('a word-prefix range keeps an event while any of its words with the prefix remains', () => {
    const c = lru();
    load(c, ro, [
      [text('rock', A), IN_NAME],
      [text('rocket', A), NOT_IN_NAME],
    ]);
    expect(entries(c.peek([ro])?.[0])).toEqual([[A, true]]);
    c.apply({ key: text('rock', A), value: null, revision: 11 });
    expect(entries(c.peek([ro])?.[0])).toEqual([[A, false]]);
    // A new word falls in every prefix range it starts with; an unrelated one in none.
    c.apply({ key: text('roma', B), value: IN_NAME, revision: 12 });
    c.apply({ key: text('jazz', C), value: IN_NAME, revision: 13 });
    expect(entries(c.peek([ro])?.[0])).toEqual([
      [A, false],
      [B, true],
    ]);
    c.apply({ key: text('rocket', A), value: null, revision: 14 });
    expect(entries(c.peek([ro])?.[0])).toEqual([[B, true]]);
    expect(c.size).toBe(1);
  });

  it('a range whose word equals the prefix is both exact and prefix-matched; metas and other fields are ignored', () => {
    const c = lru();
    load(c, rock, []);
    load(c, prefixes.searchTextPrefix('rock'), []);
    load(c, lisbon, []);
    c.apply({ key: text('rock', A), value: IN_NAME, revision: 11 });
    c.apply({ key: keys.search('location', 'lisbon', B), value: NOT_IN_NAME, revision: 12 });
    c.apply({ key: keys.searchMeta(C), value: '{}', revision: 13 });
    const [exact, prefix, loc] = c.peek([rock, prefixes.searchTextPrefix('rock'), lisbon])!;
    expect(entries(exact)).toEqual([[A, true]]);
    expect(entries(prefix)).toEqual([[A, true]]);
    expect(entries(loc)).toEqual([[B, false]]);
  });

  it('changes arriving while a range is read at revision R are applied on top, those at or before R are not', () => {
    const c = lru();
    c.beginLoad(rock, 20);
    c.apply({ key: text('rock', B), value: IN_NAME, revision: 21 });
    c.apply({ key: text('rock', A), value: null, revision: 22 });
    // The read at 20 still had A and not B.
    c.finishLoad(rock, [{ key: text('rock', A), value: IN_NAME }]);
    expect(entries(c.peek([rock])?.[0])).toEqual([[B, true]]);
  });

  it('a read begun before the feed restarted (clear) is not held', () => {
    const c = lru();
    c.beginLoad(rock, 20);
    c.clear();
    expect(c.finishLoad(rock, [{ key: text('rock', A), value: IN_NAME }])).toBe(false);
    expect(c.peek([rock])).toBeNull();
  });

  it('peek answers only when every range of the query is held', () => {
    const c = lru();
    load(c, rock, [[text('rock', A), IN_NAME]]);
    expect(c.peek([rock, ro])).toBeNull();
    load(c, ro, []);
    expect(c.peek([rock, ro])).toHaveLength(2);
  });
});

describe('PostingsLru: bounds', () => {
  const word = (i: number) => prefixes.searchExact('text', `w${i}`);
  const one = (i: number): [string, string][] => [[text(`w${i}`, A), IN_NAME]];

  it('holds at most maxTerms ranges, evicting the least recently used', () => {
    const c = lru(3);
    for (const i of [1, 2, 3]) load(c, word(i), one(i));
    c.peek([word(1)]); // 1 used: 2 is now the least recent
    load(c, word(4), one(4));
    expect([1, 2, 3, 4].map((i) => c.has(word(i)))).toEqual([true, false, true, true]);
    expect(c.terms).toBe(3);
  });

  it('holds at most maxPostings postings; a range larger than that alone is not held', () => {
    const c = lru(100, 3);
    const many = (w: string, ids: string[]): [string, string][] => ids.map((id) => [text(w, id), IN_NAME]);
    expect(load(c, word(1), many('w1', [A, B]))).toBe(true);
    expect(load(c, word(2), many('w2', [A, B]))).toBe(true); // 4 > 3: w1 goes
    expect(c.has(word(1))).toBe(false);
    expect(c.size).toBe(2);
    expect(load(c, word(3), many('w3', [A, B, C, '01J00000000000000000000DDD']))).toBe(false);
    expect(c.has(word(3))).toBe(false);
    expect(c.isTooLarge(word(3))).toBe(true); // queries with it read etcd rather than read it again here
    // Growth by the feed is trimmed too.
    load(c, word(5), one(5));
    c.apply({ key: text('w5', B), value: IN_NAME, revision: 11 });
    expect(c.size).toBeLessThanOrEqual(3);
  });

  it('maxTerms 0 holds nothing', () => {
    const c = lru(0);
    expect(load(c, rock, [[text('rock', A), IN_NAME]])).toBe(false);
    expect(c.peek([rock])).toBeNull();
  });
});
