/**
 * Postings of the query path in memory, per range prefix (a word, a word prefix, a type, a
 * location), so that a repeated query costs no etcd read (issue 27). One watch on `search:` is
 * the feed: it starts at a revision W read first, every change it brings is applied to the held
 * ranges in order (PostingsLru), and W follows the revision of each watch response (progress
 * notifications included). A range not held is read at revision W, so it joins the others in
 * step: every query is answered from ranges of one revision, the newest the watch delivered.
 *
 * Never the only record: a watch error, a disconnect or a resumed watch (etcd3 can skip events
 * while it resumes) drops everything and restarts the feed from a fresh revision, and so does a
 * timer every SEARCH_POSTINGS_CACHE_MAX_AGE_MS (a backstop, like the catalog listing's reload):
 * a page is at most that old even if a watch stalled silently. While the feed is not live,
 * `hits` answers null and the caller reads etcd as before.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { localKey, toStoreError, unconditionalTxn, type EtcdConnection } from '@ticketcd/etcd';
import { Metrics } from '@ticketcd/observability';
import { ETCD } from '@ticketcd/platform';
import type { Watcher } from 'etcd3';
import { PinoLogger } from 'nestjs-pino';
import { SEARCH_CONFIG, type SearchConfig } from '../search.config.js';
import { PostingsLru, type Hits } from './postings.lru.js';

const FEED_PREFIX = 'search:';
const COMPACTED = /required revision has been compacted/;

@Injectable()
export class PostingsCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly lru: PostingsLru;
  /** The revision every held range is current at (the watch's newest). */
  private revision = 0;
  private isLive = false;
  /** Bumped by every restart: a read begun under an older feed is not held. */
  private epoch = 0;
  private watcher: Watcher | null = null;
  private readonly loading = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private restarting: Promise<void> | null = null;
  private stopped = false;
  private restarts = 0;
  /**
   * Queries by where their postings came from: memory (all held), loaded (some read from etcd
   * at the feed's revision, then held), etcd (the cache could not answer: read as before).
   */
  private readonly queries = { memory: 0, loaded: 0, etcd: 0 };

  constructor(
    @Inject(ETCD) private readonly etcd: EtcdConnection,
    @Inject(SEARCH_CONFIG) private readonly cfg: SearchConfig,
    private readonly log: PinoLogger,
    @Inject(Metrics) metrics: Metrics,
  ) {
    log.setContext('postings-cache');
    this.lru = new PostingsLru({ maxTerms: cfg.SEARCH_POSTINGS_CACHE_TERMS, maxPostings: cfg.SEARCH_POSTINGS_CACHE_POSTINGS });
    for (const source of ['memory', 'loaded', 'etcd'] as const)
      metrics.gaugeOf(
        `ticketcd_search_postings_queries_${source}`,
        `search.query calls whose postings came from ${source} (a count)`,
        () => this.queries[source],
      );
    metrics.gaugeOf('ticketcd_search_postings_cache_terms', 'Posting ranges held in memory', () => this.lru.terms);
    metrics.gaugeOf('ticketcd_search_postings_cache_postings', 'Postings held in memory', () => this.lru.size);
    metrics.gaugeOf('ticketcd_search_postings_cache_restarts', 'Times the cache feed was (re)started', () => this.restarts);
  }

  /** Whether the feed is up (while not, `hits` answers null). */
  get live(): boolean {
    return this.isLive;
  }

  /** See PostingsLru.changes: stands still while every held range answers the same. */
  get changes(): number {
    return this.lru.changes;
  }

  get enabled(): boolean {
    return this.cfg.SEARCH_POSTINGS_CACHE_TERMS > 0;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    this.restart('start');
    this.timer = setInterval(() => this.restart('backstop'), this.cfg.SEARCH_POSTINGS_CACHE_MAX_AGE_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.isLive = false;
    await this.watcher?.cancel().catch(() => undefined);
  }

  /**
   * The postings of each prefix, all at one revision (the watch's newest), or null when the
   * cache cannot answer (off, feed not live, a range too large to hold): read etcd instead.
   * A failed read (etcd unavailable) throws, as the uncached read would.
   */
  async hits(ranges: readonly string[]): Promise<Hits[] | null> {
    for (let attempt = 0; attempt < 3 && this.isLive; attempt++) {
      const got = this.lru.peek(ranges);
      if (got) {
        this.queries[attempt === 0 ? 'memory' : 'loaded']++;
        return got;
      }
      if (ranges.some((p) => this.lru.isTooLarge(p))) break;
      const waits: Promise<void>[] = [];
      const toLoad: string[] = [];
      for (const p of new Set(ranges)) {
        if (this.lru.has(p)) continue;
        const l = this.loading.get(p);
        if (l) waits.push(l);
        else toLoad.push(p);
      }
      if (toLoad.length) waits.push(this.load(toLoad));
      await Promise.all(waits);
      // No await between here and peek: no watch change can land in between.
    }
    this.queries.etcd++;
    return null;
  }

  /** Reads ranges not held at the feed's revision, in one Txn; the feed's changes meanwhile are buffered. */
  private load(ranges: string[]): Promise<void> {
    const epoch = this.epoch;
    const revision = this.revision;
    for (const p of ranges) this.lru.beginLoad(p, revision);
    const ns = this.etcd.kv;
    const done = (async () => {
      try {
        const res = await unconditionalTxn(ns)
          .then(...ranges.map((p) => ns.getAll().prefix(p).revision(revision)))
          .commit();
        if (epoch !== this.epoch) return; // the feed restarted meanwhile: these are of an old revision
        res.responses.forEach((r, i) =>
          this.lru.finishLoad(
            ranges[i]!,
            (r.response_range?.kvs ?? []).map((kv) => ({ key: localKey(this.etcd, kv.key), value: kv.value.toString() })),
          ),
        );
      } catch (e) {
        for (const p of ranges) if (epoch === this.epoch) this.lru.abortLoad(p);
        // History compacted past the feed's revision (a long quiet watch): start afresh; this query reads etcd.
        if (COMPACTED.test((e as Error).message)) return this.restart('compacted');
        throw toStoreError(e, 'reading search postings');
      }
    })();
    for (const p of ranges) this.loading.set(p, done);
    const settled = () => {
      for (const p of ranges) if (this.loading.get(p) === done) this.loading.delete(p);
    };
    done.then(settled, settled);
    return done;
  }

  /** Drops everything and starts the feed again from a fresh revision (one restart at a time). */
  private restart(why: string): void {
    if (this.stopped) return;
    this.epoch++;
    this.isLive = false;
    this.lru.clear();
    this.restarts++;
    if (why !== 'start' && why !== 'backstop') this.log.warn({ why }, 'search postings cache: restarting its feed');
    const epoch = this.epoch;
    const previous = this.restarting ?? Promise.resolve();
    this.restarting = previous
      .then(() => (epoch === this.epoch ? this.startFeed(epoch) : undefined))
      .catch((e: unknown) => {
        this.log.warn({ err: (e as Error).message }, 'search postings cache: feed not started, retrying');
        if (epoch === this.epoch) setTimeout(() => epoch === this.epoch && this.restart('retry'), 1000).unref();
      })
      .finally(() => {
        if (this.epoch === epoch) this.restarting = null;
      });
  }

  private async startFeed(epoch: number): Promise<void> {
    const old = this.watcher;
    this.watcher = null;
    await old?.cancel().catch(() => undefined);
    // The feed's first revision: the store's now (a point read answers with its header).
    const at = Number((await this.etcd.kv.get(FEED_PREFIX).exec()).header.revision);
    const w = await this.etcd.kv
      .watch()
      .prefix(FEED_PREFIX)
      .startRevision(String(at + 1))
      .create();
    if (epoch !== this.epoch || this.stopped) {
      await w.cancel().catch(() => undefined);
      return;
    }
    this.watcher = w;
    this.revision = at;
    w.on('data', (res) => {
      if (this.watcher !== w || epoch !== this.epoch) return;
      for (const ev of res.events) {
        const revision = Number(ev.kv.mod_revision);
        this.lru.apply({ key: localKey(this.etcd, ev.kv.key), value: ev.type === 'Put' ? ev.kv.value.toString() : null, revision });
        if (revision > this.revision) this.revision = revision;
      }
      // A response holds every change up to its header's revision (progress notifications: none).
      const header = Number(res.header.revision);
      if (header > this.revision) this.revision = header;
    });
    // create() resolved on the first 'connected': another is a resumed watch, which may have skipped events.
    w.on('connected', () => this.watcher === w && this.restart('reconnect'));
    w.on('disconnected', () => {
      if (this.watcher !== w) return;
      // Nothing held is followed any more: drop it (pages computed from it go with the change count).
      this.isLive = false;
      this.lru.clear();
    });
    w.on('error', (e: Error) => this.watcher === w && this.restart(`watch error: ${e.message}`));
    this.isLive = true;
  }
}
