/**
 * search.query: every word must match (the last one as a word prefix: an etcd prefix range),
 * combined with type and location; ranked and paged (see ranking.ts). Postings come from the
 * watch-fed postings cache (all ranges at one revision) or etcd in one Txn; the hits' dates and
 * fields from the watch-fed meta cache. A query with
 * no words (empty, or no letters or digits) but a filter lists that filter's postings in listing
 * order; with no filter either, it is the catalog's listing of upcoming events.
 */
import { Inject, Injectable } from '@nestjs/common';
import { AppError, Rpc, type RpcRequest, type RpcResult } from '@ticketcd/contracts';
import { EtcdUnavailableError } from '@ticketcd/etcd';
import { RpcClient } from '@ticketcd/messaging';
import { Metrics } from '@ticketcd/observability';
import { DependencyProbe } from '@ticketcd/platform';
import { tokenize } from '@ticketcd/search-text';
import { SEARCH_CONFIG, type SearchConfig } from '../search.config.js';
import { MetaCache, type IndexedEvent } from './meta.cache.js';
import { PostingsCache } from './postings.cache.js';
import type { Hits } from './postings.lru.js';
import { QueryRepository } from './query.repository.js';
import { decodeCursor, encodeCursor, forEachMatch, hitsOf, passesFilters, rangesOf, TopRanked, type QueryPlan } from './ranking.js';

type Page = RpcResult<typeof Rpc.search.query>;

/** A page computed from memory, the stamp it was computed at, and until when its hits keep their groups. */
interface KnownPage {
  stamp: string;
  /** The soonest upcoming hit's date: at a later "now" a hit turns past (null: none upcoming). */
  until: string | null;
  page: Page;
}

@Injectable()
export class QueryService {
  constructor(
    private readonly repo: QueryRepository,
    private readonly cache: MetaCache,
    private readonly postings: PostingsCache,
    private readonly rpc: RpcClient,
    private readonly probe: DependencyProbe,
    @Inject(SEARCH_CONFIG) private readonly cfg: SearchConfig,
    @Inject(Metrics) metrics: Metrics,
  ) {
    metrics.gaugeOf(
      'ticketcd_search_pages_cached',
      'search.query calls answered with a page kept in memory (a count)',
      () => this.pagesServed,
    );
  }

  private pagesServed = 0;

  /**
   * Issue 27: the pages last computed from memory, by query (ranges, filters, limit, cursor): a
   * common word asked again costs no ranking of its thousands of hits while nothing it depends
   * on changed (see stamp). LRU, at most SEARCH_PAGE_CACHE_PAGES.
   */
  private readonly pages = new Map<string, KnownPage>();

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
    const pageKey = JSON.stringify([ranges.map((r) => r.prefix), plan.type, plan.location, limit, req.cursor ?? null]);
    const known = local ? undefined : this.pages.get(pageKey);
    if (known && known.stamp === this.stamp() && (known.until === null || now <= known.until)) {
      this.pages.delete(pageKey); // most recently used last
      this.pages.set(pageKey, known);
      this.pagesServed++;
      return known.page;
    }
    const { hits, fromMemory } = await this.postingsOf(
      ranges.map((r) => r.prefix),
      local,
    );
    // Taken with the hits (no await between): the page computed from them is exact while it holds.
    const stamp = fromMemory ? this.stamp() : null;
    // One more than the page: whether there is a next page.
    const top = new TopRanked<{ eventId: string; e: IndexedEvent }>(limit + 1, now, cursor?.last ?? null);
    const offer = (eventId: string, score: number, e: IndexedEvent | undefined) => {
      // No fields: deleted, or postings written a moment before their meta; not a hit.
      if (!e?.fields || !passesFilters(plan, e.fields)) return;
      top.offer(score, e.utc ?? new Date(e.fields.date).toISOString(), eventId, { eventId, e });
    };
    // Synchronously after the await: cached hits are live maps, which the watch changes between awaits.
    const unseen: [string, number][] = [];
    forEachMatch(
      ranges.map((r, i) => ({ hits: hits[i]!, text: r.text })),
      (eventId, score) => {
        const e = this.cache.get(eventId);
        if (e) offer(eventId, score, e);
        else unseen.push([eventId, score]);
      },
    );
    if (unseen.length) {
      const metas = await this.uncachedMetas(
        unseen.map(([id]) => id),
        local,
      );
      for (const [id, score] of unseen) offer(id, score, this.cache.get(id) ?? metas.get(id));
    }
    const page = top.ranked.slice(0, limit);
    const result: Page = {
      items: page.map(({ item: { eventId, e } }) => ({ eventId, version: e.version, ...e.fields! })),
      nextCursor: top.ranked.length > limit ? encodeCursor({ now, last: page[page.length - 1]!.key }) : null,
    };
    if (stamp !== null && unseen.length === 0 && this.cfg.SEARCH_PAGE_CACHE_PAGES > 0) {
      this.pages.delete(pageKey);
      this.pages.set(pageKey, { stamp, until: top.soonestUpcoming, page: result });
      if (this.pages.size > this.cfg.SEARCH_PAGE_CACHE_PAGES) this.pages.delete(this.pages.keys().next().value!);
    }
    return result;
  }

  /**
   * Where the index in memory stands: moves with every posting change to a held range, every
   * range held or dropped, every meta applied, and while the postings feed is not live it never
   * matches. A cached page is served only while it is the stamp the page was computed at.
   */
  private stamp(): string {
    return this.postings.live ? `${this.postings.changes}/${this.cache.changes}` : 'not live';
  }

  /**
   * Each range's hits, all at one revision: from the watch-fed postings cache, else (cache off
   * or not live, a range too large to hold, a read without quorum) one etcd Txn as before.
   */
  private async postingsOf(prefixes: string[], local: boolean): Promise<{ hits: Hits[]; fromMemory: boolean }> {
    const cached = local ? null : await this.postings.hits(prefixes);
    if (cached) return { hits: cached, fromMemory: true };
    return { hits: (await this.repo.ranges(prefixes, local)).map(hitsOf), fromMemory: false };
  }

  /** The metas the cache has not seen yet (written a moment ago), read from etcd. */
  private async uncachedMetas(eventIds: string[], local: boolean): Promise<Map<string, IndexedEvent>> {
    const out = new Map<string, IndexedEvent>();
    for (const [id, m] of await this.repo.metas(eventIds, local)) out.set(id, { version: m.v, fields: m.fields });
    return out;
  }
}
