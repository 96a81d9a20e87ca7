/**
 * The pure part of the postings cache (no etcd): posting ranges held per range prefix, kept
 * current by the changes of one ordered feed (the watch on `search:`), bounded by an LRU on the
 * count of ranges and of postings held.
 *
 * Consistency: every change is applied in revision order to every entry it touches, so at any
 * synchronous point all entries equal an etcd read at the feed's revision. A range read for an
 * entry not held is made at that revision (see PostingsCache), and the changes the feed brings
 * while it is in flight are buffered and applied on top, so a new entry joins in step with the
 * others. A query therefore intersects ranges of one revision.
 */
import { IN_NAME } from '@ticketcd/search-text';

/** eventId -> whether the word is in the event's name (the shape ranking.ts's `intersect` takes). */
export type Hits = Map<string, boolean>;

/** One posting put (value: its stored value) or deleted (value: null), at a store revision. */
export interface PostingChange {
  key: string;
  value: string | null;
  revision: number;
}

const TEXT = 'search:text:';

class Entry {
  readonly hits: Hits = new Map();
  /**
   * Word-prefix ranges only: eventId -> word -> in name. One event can hold several words
   * with the prefix ("rock", "rocket"); its hit stays while any remains.
   */
  private readonly words: Map<string, Map<string, boolean>> | null;
  /** Postings held (keys of the range). */
  size = 0;

  constructor(readonly prefix: string) {
    this.words = prefix.endsWith(':') ? null : new Map();
  }

  /** A posting of this range, put (inName) or deleted (null). */
  apply(word: string, eventId: string, inName: boolean | null): void {
    if (!this.words) {
      const had = this.hits.has(eventId);
      if (inName === null) {
        if (had) this.size--;
        this.hits.delete(eventId);
      } else {
        if (!had) this.size++;
        this.hits.set(eventId, inName);
      }
      return;
    }
    let ws = this.words.get(eventId);
    if (inName === null) {
      if (!ws?.delete(word)) return;
      this.size--;
    } else {
      if (!ws) this.words.set(eventId, (ws = new Map()));
      if (!ws.has(word)) this.size++;
      ws.set(word, inName);
    }
    if (ws.size === 0) {
      this.words.delete(eventId);
      this.hits.delete(eventId);
    } else {
      let any = false;
      for (const n of ws.values()) any ||= n;
      this.hits.set(eventId, any);
    }
  }
}

/** A range being read at `revision`: the feed's changes meanwhile wait here. */
interface Pending {
  revision: number;
  buffer: { word: string; eventId: string; inName: boolean | null; revision: number }[];
}

export interface PostingsLruOptions {
  /** Ranges held at most (0: none, the cache is off). */
  maxTerms: number;
  /** Postings held at most, over all ranges; a range larger than this alone is never held. */
  maxPostings: number;
}

/** Splits `search:<field>:<value>:<eventId>`; null for anything else (metas). */
function splitPosting(key: string): { head: string; word: string | null; eventId: string } | null {
  if (key.startsWith('search:meta:')) return null;
  const i = key.lastIndexOf(':');
  if (i <= 0) return null;
  const head = key.slice(0, i + 1);
  return { head, word: head.startsWith(TEXT) ? key.slice(TEXT.length, i) : null, eventId: key.slice(i + 1) };
}

export class PostingsLru {
  /** Insertion order is recency: a used entry is moved to the end, eviction takes the front. */
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Pending>();
  /** Ranges found larger than maxPostings (queries using them read etcd), until the next clear. */
  private readonly tooLarge = new Set<string>();
  private postings = 0;
  private changed = 0;

  constructor(private readonly opts: PostingsLruOptions) {}

  /**
   * Moves whenever what a held range answers may have changed: a change applied to one, a range
   * held or dropped (evicted: no longer followed), a clear. A result computed from held ranges
   * stays exact while it stands still.
   */
  get changes(): number {
    return this.changed;
  }

  get terms(): number {
    return this.entries.size;
  }

  get size(): number {
    return this.postings;
  }

  has(prefix: string): boolean {
    return this.entries.has(prefix);
  }

  /** The hits of every prefix, all as of the feed's revision, if every one is held (each marked used); else null. */
  peek(prefixes: readonly string[]): Hits[] | null {
    const out: Hits[] = [];
    for (const p of prefixes) {
      const e = this.entries.get(p);
      if (!e) return null;
      out.push(e.hits);
    }
    for (const p of prefixes) {
      const e = this.entries.get(p)!;
      this.entries.delete(p);
      this.entries.set(p, e);
    }
    return out;
  }

  /** A read of `prefix` at `revision` is starting: buffer the feed's changes to it until finishLoad. */
  beginLoad(prefix: string, revision: number): void {
    this.pending.set(prefix, { revision, buffer: [] });
  }

  isLoading(prefix: string): boolean {
    return this.pending.has(prefix);
  }

  /** A range last read larger than maxPostings: not worth reading into memory again (until a clear). */
  isTooLarge(prefix: string): boolean {
    return this.tooLarge.has(prefix);
  }

  /**
   * The read of `prefix` at its revision returned `kvs` (full keys and values): the entry is
   * that plus the changes buffered since, so it is as current as every other entry. Held only
   * if it fits the bounds (older entries are evicted to make room). False when not held.
   */
  finishLoad(prefix: string, kvs: readonly { key: string; value: string }[]): boolean {
    const p = this.pending.get(prefix);
    if (!p) return false; // cleared meanwhile (the feed restarted): the read is of an old feed
    this.pending.delete(prefix);
    const e = new Entry(prefix);
    for (const { key, value } of kvs) {
      const s = splitPosting(key);
      if (s) e.apply(s.word ?? '', s.eventId, value === IN_NAME);
    }
    for (const c of p.buffer) if (c.revision > p.revision) e.apply(c.word, c.eventId, c.inName);
    if (this.opts.maxTerms <= 0) return false;
    if (e.size > this.opts.maxPostings) {
      if (this.tooLarge.size >= 1000) this.tooLarge.clear();
      this.tooLarge.add(prefix);
      return false;
    }
    this.drop(prefix);
    this.entries.set(prefix, e);
    this.postings += e.size;
    this.changed++;
    this.evict();
    return true;
  }

  /** The read failed: nothing is held for it. */
  abortLoad(prefix: string): void {
    this.pending.delete(prefix);
  }

  /** Applies one change of the feed (in revision order) to every entry and pending read it falls in. */
  apply(c: PostingChange): void {
    const s = splitPosting(c.key);
    if (!s) return;
    const inName = c.value === null ? null : c.value === IN_NAME;
    const word = s.word ?? '';
    this.route(s.head, word, s.eventId, inName, c.revision);
    // A text word also falls in every word-prefix range it starts with, itself included.
    if (s.word !== null)
      for (let j = 1; j <= s.word.length; j++) this.route(TEXT + s.word.slice(0, j), word, s.eventId, inName, c.revision);
    if (this.postings > this.opts.maxPostings) this.evict();
  }

  private route(prefix: string, word: string, eventId: string, inName: boolean | null, revision: number): void {
    const e = this.entries.get(prefix);
    if (e) {
      const before = e.size;
      e.apply(word, eventId, inName);
      this.postings += e.size - before;
      this.changed++;
    }
    this.pending.get(prefix)?.buffer.push({ word, eventId, inName, revision });
  }

  /** Everything dropped, reads in flight included (the feed is being restarted). */
  clear(): void {
    this.entries.clear();
    this.pending.clear();
    this.tooLarge.clear();
    this.postings = 0;
    this.changed++;
  }

  private drop(prefix: string): void {
    const e = this.entries.get(prefix);
    if (!e) return;
    this.entries.delete(prefix);
    this.postings -= e.size;
    this.changed++;
  }

  /** Least recently used first, until within both bounds. Growth by the feed is trimmed here too. */
  evict(): void {
    for (const p of this.entries.keys()) {
      if (this.entries.size <= this.opts.maxTerms && this.postings <= this.opts.maxPostings) return;
      this.drop(p);
    }
  }
}
