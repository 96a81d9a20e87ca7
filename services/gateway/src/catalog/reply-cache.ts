/**
 * Serialized replies of the pages everyone refreshes (the event page, the listing), kept for
 * READ_CACHE_MS (issue 27): at an on-sale thousands of views a second of one event cost one
 * catalog call per period per instance, not one each, and no JSON serialisation or ETag hashing
 * per request. Concurrent misses of one key share one call. Only successes are kept (an error is
 * answered to the requests that shared its call, then forgotten). Stock shown is then at most
 * READ_CACHE_MS plus the catalog's watch delivery behind the store (<= 1 s by the rule).
 * A write through this instance (admin edits) drops everything: its author sees it at once here.
 */
import { createHash } from 'node:crypto';

export interface CachedReply {
  body: Buffer;
  /** A weak validator of the body: a client's If-None-Match gets a 304 without the body. */
  etag: string;
  stale?: string;
}

interface Entry extends CachedReply {
  at: number;
}

export class ReplyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<CachedReply>>();
  /** Bumped by each invalidation: a call that started before it is answered but not kept. */
  private generation = 0;

  constructor(
    readonly ttlMs: number,
    private readonly maxEntries = 5000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async get(key: string, produce: () => Promise<object>): Promise<CachedReply> {
    const hit = this.entries.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit;
    const shared = this.pending.get(key);
    if (shared) return shared;
    // Its age counts from the call, not from the answer.
    const at = this.now();
    const generation = this.generation;
    const call = produce()
      .then((reply): CachedReply => {
        const body = Buffer.from(JSON.stringify(reply));
        const stale = (reply as { stale?: unknown }).stale;
        const entry: Entry = {
          body,
          etag: `W/"${createHash('sha1').update(body).digest('base64url')}"`,
          ...(typeof stale === 'string' && stale ? { stale } : {}),
          at,
        };
        if (this.ttlMs > 0 && generation === this.generation) this.keep(key, entry);
        return entry;
      })
      .finally(() => {
        if (this.pending.get(key) === call) this.pending.delete(key);
      });
    if (this.ttlMs > 0) this.pending.set(key, call);
    return call;
  }

  /** Forgets one key's reply and call in flight (a write to it through this instance); a call in flight elsewhere is not kept either. */
  forget(key: string): void {
    this.generation++;
    this.entries.delete(key);
    this.pending.delete(key);
  }

  /** Forgets every reply and every call in flight (a write through this instance). */
  clear(): void {
    this.generation++;
    this.entries.clear();
    this.pending.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private keep(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    // Oldest first (insertion order): many distinct keys (ids, filters, cursors) cannot grow it without bound.
    if (this.entries.size > this.maxEntries) {
      const now = this.now();
      for (const [k, e] of this.entries) {
        if (this.entries.size <= this.maxEntries && now - e.at < this.ttlMs) break;
        this.entries.delete(k);
      }
    }
  }
}
