/**
 * search.query: every word must match (the last one as a word prefix: an etcd prefix range),
 * combined with type and location; ranked and paged (see ranking.ts). Postings come from the
 * watch-fed postings cache (all ranges at one revision) or etcd in one Txn; the hits' dates and
 * fields from the watch-fed meta cache. A query with
 * no words (empty, or no letters or digits) but a filter lists that filter's postings in listing
 * order; with no filter either, it is the catalog's listing of upcoming events.
 */
import { Injectable } from '@nestjs/common';
import { AppError, Rpc, type RpcRequest, type RpcResult } from '@ticketcd/contracts';
import { EtcdUnavailableError } from '@ticketcd/etcd';
import { RpcClient } from '@ticketcd/messaging';
import { DependencyProbe } from '@ticketcd/platform';
import { tokenize } from '@ticketcd/search-text';
import { MetaCache, type IndexedEvent } from './meta.cache.js';
import { PostingsCache } from './postings.cache.js';
import type { Hits } from './postings.lru.js';
import { QueryRepository } from './query.repository.js';
import {
  compareRank,
  decodeCursor,
  encodeCursor,
  hitsOf,
  intersect,
  passesFilters,
  rangesOf,
  rankKey,
  rankKeyUtc,
  topRanked,
  type QueryPlan,
  type RankKey,
} from './ranking.js';

type Page = RpcResult<typeof Rpc.search.query>;

@Injectable()
export class QueryService {
  constructor(
    private readonly repo: QueryRepository,
    private readonly cache: MetaCache,
    private readonly postings: PostingsCache,
    private readonly rpc: RpcClient,
    private readonly probe: DependencyProbe,
  ) {}

  /**
   * Issue 18.2: with etcd's quorum known lost, the search reads member-local (serializable)
   * ranges at once and says the page may be stale; a normal read failing for availability falls
   * back the same way.
   */
  async query(req: RpcRequest<typeof Rpc.search.query>): Promise<Page> {
    const lost = this.probe.etcdQuorumLost;
    if (lost) return { ...(await this.search(req, true)), stale: lost };
    try {
      return await this.search(req, false);
    } catch (e) {
      if (!(e instanceof EtcdUnavailableError)) throw e;
      return { ...(await this.search(req, true)), stale: `etcd quorum lost? ${e.message}` };
    }
  }

  private async search(req: RpcRequest<typeof Rpc.search.query>, local: boolean): Promise<Page> {
    const limit = req.limit ?? 20;
    const words = tokenize(req.text ?? '');
    if (words.length === 0 && !req.type && !req.location) return this.rpc.call(Rpc.catalog.listEvents, { limit, cursor: req.cursor });
    const cursor = req.cursor ? decodeCursor(req.cursor) : null;
    if (req.cursor && !cursor)
      throw AppError.badRequest('invalid cursor', [{ path: 'cursor', message: 'not a cursor this search returned' }]);
    const now = cursor?.now ?? new Date().toISOString();
    const plan: QueryPlan = {
      words: [...new Set(words.slice(0, -1))],
      prefix: words.at(-1) ?? null,
      type: req.type,
      location: req.location,
    };
    const ranges = rangesOf(plan);
    const hits = await this.postingsOf(
      ranges.map((r) => r.prefix),
      local,
    );
    // Synchronously after: cached hits are live maps, which only the watch changes (between awaits).
    const scores = intersect(ranges.map((r, i) => ({ hits: hits[i]!, text: r.text })));
    const extra = await this.uncachedMetas(scores.keys(), local);
    const ranked: { key: RankKey; eventId: string; e: IndexedEvent }[] = [];
    for (const [eventId, score] of scores) {
      const e = this.cache.get(eventId) ?? extra.get(eventId);
      // No fields: deleted, or postings written a moment before their meta; not a hit.
      if (!e?.fields || !passesFilters(plan, e.fields)) continue;
      const key = e.utc ? rankKeyUtc(score, eventId, e.utc, now) : rankKey(score, eventId, e.fields.date, now);
      if (!cursor || compareRank(key, cursor.last) > 0) ranked.push({ key, eventId, e });
    }
    // One more than the page: whether there is a next page.
    const top = topRanked(ranked, limit + 1);
    const page = top.slice(0, limit);
    return {
      items: page.map(({ eventId, e }) => ({ eventId, version: e.version, ...e.fields! })),
      nextCursor: top.length > limit ? encodeCursor({ now, last: page[page.length - 1]!.key }) : null,
    };
  }

  /**
   * Each range's hits, all at one revision: from the watch-fed postings cache, else (cache off
   * or not live, a range too large to hold, a read without quorum) one etcd Txn as before.
   */
  private async postingsOf(prefixes: string[], local: boolean): Promise<Hits[]> {
    const cached = local ? null : await this.postings.hits(prefixes);
    return cached ?? (await this.repo.ranges(prefixes, local)).map(hitsOf);
  }

  /** The metas the cache has not seen yet (written a moment ago), read from etcd. */
  private async uncachedMetas(eventIds: Iterable<string>, local: boolean): Promise<Map<string, IndexedEvent>> {
    const out = new Map<string, IndexedEvent>();
    const missing: string[] = [];
    for (const id of eventIds) if (!this.cache.get(id)) missing.push(id);
    if (missing.length) for (const [id, m] of await this.repo.metas(missing, local)) out.set(id, { version: m.v, fields: m.fields });
    return out;
  }
}
