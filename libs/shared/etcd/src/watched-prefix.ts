/**
 * An in-memory copy of every key under a prefix, for hot reads without a range read per
 * request. Loaded by a range read at one revision, kept current by a watch from the next
 * revision, and reloaded in full after any watch error or reconnect (etcd3's watcher can skip
 * events while it resumes) and every `reloadMs` (default 5 min) as a backstop, so it is never
 * the only record and never drifts for long. Not more often: a reload reads every value, which
 * at 10,000 events cost enough CPU to show in query latencies at 30 s.
 *
 * Never older over newer: each entry keeps the mod revision of its value, and a deleted one a
 * tombstone with the revision of its deletion. A value (from the watch, a reload's snapshot, a
 * resumed or replaced watcher replaying, or this process's own write) is applied only when its
 * revision is newer than what the entry holds. A reload merges its snapshot instead of
 * replacing the copy: an entry the snapshot lacks is dropped only if its value is no newer than
 * the snapshot (else the watch brought it after the snapshot was read).
 *
 * Fresh (`fresh`): loaded and its watch connected since the last load, so the copy trails the
 * store only by the watch's delivery. From a watch error or a broken stream until the reload that
 * follows has succeeded it is not (a resumed watch may have skipped events): readers that need
 * current values then read the store instead. A failed reload of that kind is retried with growing
 * pauses, not left to the periodic one.
 */
import type { Watcher } from 'etcd3';
import { localKey, type EtcdConnection } from './client.js';
import { listPrefix, type Page } from './paging.js';

export interface WatchedPrefixOptions<T> {
  prefix: string;
  /** The entry's id for a key of the prefix, or null to ignore the key. */
  idOf: (key: string) => string | null;
  /** Decodes a stored value (throwing skips the key, reported to onError). */
  decode: (value: string) => T;
  reloadMs?: number;
  onError?: (err: Error, what: string) => void;
  /** Every change applied to an entry, with the store revision it came from (null: deleted). */
  onApply?: (id: string, revision: number, value: T | null) => void;
  /** Each full reload asked for, and why (for logs, metrics and tests). */
  onReload?: (why: 'start' | 'periodic' | 'reconnect' | 'watch error') => void;
  /** The watch's stream broke (its member went away); a reconnect and a reload follow. */
  onDisconnect?: () => void;
}

export class WatchedPrefix<T> {
  private readonly entries = new Map<string, { value: T; revision: number }>();
  /** id -> revision of its deletion (an upper bound when a reload found it gone). */
  private readonly tombstones = new Map<string, number>();
  /** Tombstones at or below this revision can go: every source left reads above it. */
  private prunableAt = 0;
  private watcher: Watcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private loaded = false;
  private stopped = false;
  /** The current watcher is connected and nothing it may have missed is pending a reload. */
  private watching = false;

  constructor(
    private readonly etcd: EtcdConnection,
    private readonly opts: WatchedPrefixOptions<T>,
  ) {}

  /** First load (failures are reported and retried by the periodic reload). */
  async start(): Promise<void> {
    await this.reload('start').catch((e: unknown) => {
      this.opts.onError?.(e as Error, 'initial load');
      this.retryInitialLoad(500);
    });
    this.timer = setInterval(
      () => void this.reload('periodic').catch((e: unknown) => this.reloadFailed(e, 'reload')),
      this.opts.reloadMs ?? 300_000,
    );
    this.timer.unref();
  }

  /**
   * etcd unreachable at start, or refusing our user until the auth setup Job has run (issue 15):
   * load again soon, with growing pauses, rather than only at the next periodic reload.
   */
  private retryInitialLoad(pauseMs: number): void {
    this.retryUntilFresh('start', pauseMs);
  }

  /** Reloads with growing pauses (up to 10 s) until fresh again: at start, or after a failed reload that followed a watch problem. */
  private retryUntilFresh(why: 'start' | 'watch error', pauseMs: number): void {
    if (this.stopped || this.fresh) return;
    setTimeout(() => {
      if (this.stopped || this.fresh) return;
      this.reload(why).catch((e: unknown) => {
        this.opts.onError?.(e as Error, why === 'start' ? 'initial load' : 'reload');
        this.retryUntilFresh(why, Math.min(10_000, pauseMs * 2));
      });
    }, pauseMs).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.watcher?.cancel().catch(() => undefined);
  }

  get ready(): boolean {
    return this.loaded;
  }

  /** Loaded, and the watch has delivered every change since (connected, no reload pending after an error). */
  get fresh(): boolean {
    return this.loaded && this.watching && !this.stopped;
  }

  get(id: string): T | undefined {
    return this.entries.get(id)?.value;
  }

  /** The mod revision of the entry's value (or of its deletion), 0 when never seen. */
  revisionOf(id: string): number {
    return this.entries.get(id)?.revision ?? this.tombstones.get(id) ?? 0;
  }

  all(): [string, T][] {
    return [...this.entries].map(([id, e]) => [id, e.value]);
  }

  get size(): number {
    return this.entries.size;
  }

  /** A write of this process at `revision`, visible at once (read-your-writes), unless a newer one is in. */
  set(id: string, value: T, revision: number): void {
    this.put(id, revision, () => value);
  }

  private put(id: string, revision: number, value: () => T): void {
    if (revision <= this.revisionOf(id)) return;
    const v = value();
    this.entries.set(id, { value: v, revision });
    this.tombstones.delete(id);
    this.opts.onApply?.(id, revision, v);
  }

  private remove(id: string, revision: number): void {
    if (revision <= this.revisionOf(id)) return;
    this.entries.delete(id);
    this.tombstones.set(id, revision);
    this.opts.onApply?.(id, revision, null);
  }

  private applyPut(key: string, raw: string, revision: number): void {
    const id = this.opts.idOf(key);
    if (id === null) return;
    try {
      this.put(id, revision, () => this.opts.decode(raw));
    } catch (e) {
      this.opts.onError?.(e as Error, `decoding ${key}`);
    }
  }

  private applyDelete(key: string, revision: number): void {
    const id = this.opts.idOf(key);
    if (id !== null) this.remove(id, revision);
  }

  private reloading: Promise<void> | null = null;

  private reloadFailed(e: unknown, what: string): void {
    this.opts.onError?.(e as Error, what);
    this.retryUntilFresh('watch error', 500);
  }

  /** One reload at a time (each replaces the watcher: two at once could leak one). */
  private reload(why: 'start' | 'periodic' | 'reconnect' | 'watch error'): Promise<void> {
    this.opts.onReload?.(why);
    // What the watch may have missed is in the store, not here, until this reload is done.
    if (why === 'reconnect' || why === 'watch error') this.watching = false;
    this.reloading ??= this.load().finally(() => {
      this.reloading = null;
    });
    return this.reloading;
  }

  private async load(): Promise<void> {
    if (this.stopped) return;
    const fresh: Page['items'] = [];
    let after: string | null = null;
    let revision: number | undefined;
    do {
      // Every page at the first page's revision: one consistent snapshot.
      const page: Page = await listPrefix(this.etcd.kv, this.opts.prefix, { limit: 1000, after, revision });
      revision ??= page.revision;
      fresh.push(...page.items);
      after = page.next;
    } while (after);
    const seen = new Set<string>();
    for (const kv of fresh) {
      const id = this.opts.idOf(kv.key);
      if (id !== null) seen.add(id);
      this.applyPut(kv.key, kv.value, kv.modRevision);
    }
    // Gone by the snapshot, unless the watch brought a value after it.
    for (const [id, e] of [...this.entries]) if (!seen.has(id) && e.revision <= revision!) this.remove(id, revision!);
    for (const [id, r] of this.tombstones) if (r <= this.prunableAt) this.tombstones.delete(id);
    this.prunableAt = revision!;
    this.loaded = true;
    const old = this.watcher;
    this.watcher = null;
    this.watching = false;
    await old?.cancel().catch(() => undefined);
    if (this.stopped) return;
    // Every change after the snapshot's revision, in order; a replaced watcher's late events are ignored.
    const w = await this.etcd.kv
      .watch()
      .prefix(this.opts.prefix)
      .startRevision(String(revision! + 1))
      .create();
    if (this.stopped) {
      await w.cancel().catch(() => undefined);
      return;
    }
    this.watcher = w;
    this.watching = true;
    w.on('put', (kv) => this.watcher === w && this.applyPut(localKey(this.etcd, kv.key), kv.value.toString(), Number(kv.mod_revision)));
    w.on('delete', (kv) => this.watcher === w && this.applyDelete(localKey(this.etcd, kv.key), Number(kv.mod_revision)));
    // create() resolved on the first 'connected': another one is a resumed watch.
    w.on('disconnected', () => {
      if (this.watcher === w) this.watching = false;
      this.opts.onDisconnect?.();
    });
    w.on('connected', () => void this.reload('reconnect').catch((e: unknown) => this.reloadFailed(e, 'reload after reconnect')));
    w.on('error', (e: Error) => {
      this.opts.onError?.(e, 'watch');
      void this.reload('watch error').catch((err: unknown) => this.reloadFailed(err, 'reload after watch error'));
    });
  }
}
