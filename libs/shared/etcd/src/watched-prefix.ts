/**
 * An in-memory copy of every key under a prefix, for hot reads without a range read per
 * request. Loaded by a range read at one revision, kept current by a watch from the next
 * revision, and reloaded in full after any watch error or reconnect (etcd3's watcher can skip
 * events while it resumes) and every `reloadMs` (default 5 min) as a backstop, so it is never
 * the only record and never drifts for long. Not more often: a reload reads every value, which
 * at 10,000 events cost enough CPU to show in query latencies at 30 s.
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
}

export class WatchedPrefix<T> {
  private readonly entries = new Map<string, T>();
  private watcher: Watcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private loaded = false;
  private stopped = false;

  constructor(
    private readonly etcd: EtcdConnection,
    private readonly opts: WatchedPrefixOptions<T>,
  ) {}

  /** First load (failures are reported and retried by the periodic reload). */
  async start(): Promise<void> {
    await this.reload().catch((e: unknown) => this.opts.onError?.(e as Error, 'initial load'));
    this.timer = setInterval(() => void this.reload().catch((e: unknown) => this.opts.onError?.(e as Error, 'reload')), this.opts.reloadMs ?? 300_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.watcher?.cancel().catch(() => undefined);
  }

  get ready(): boolean {
    return this.loaded;
  }

  get(id: string): T | undefined {
    return this.entries.get(id);
  }

  all(): [string, T][] {
    return [...this.entries];
  }

  get size(): number {
    return this.entries.size;
  }

  /** A write of this process, visible at once (read-your-writes). */
  set(id: string, value: T): void {
    this.entries.set(id, value);
  }

  private apply(key: string, value: string | null): void {
    const id = this.opts.idOf(key);
    if (id === null) return;
    if (value === null) {
      this.entries.delete(id);
      return;
    }
    try {
      this.entries.set(id, this.opts.decode(value));
    } catch (e) {
      this.opts.onError?.(e as Error, `decoding ${key}`);
    }
  }

  private reloading: Promise<void> | null = null;

  /** One reload at a time (each replaces the watcher: two at once could leak one). */
  private reload(): Promise<void> {
    this.reloading ??= this.load().finally(() => {
      this.reloading = null;
    });
    return this.reloading;
  }

  private async load(): Promise<void> {
    if (this.stopped) return;
    const fresh = new Map<string, string>();
    let after: string | null = null;
    let revision: number | undefined;
    do {
      // Every page at the first page's revision: one consistent snapshot.
      const page: Page = await listPrefix(this.etcd.kv, this.opts.prefix, { limit: 1000, after, revision });
      revision ??= page.revision;
      for (const kv of page.items) fresh.set(kv.key, kv.value);
      after = page.next;
    } while (after);
    this.entries.clear();
    for (const [key, value] of fresh) this.apply(key, value);
    this.loaded = true;
    await this.watcher?.cancel().catch(() => undefined);
    if (this.stopped) return;
    // Every change after the snapshot's revision, in order.
    this.watcher = await this.etcd.kv.watch().prefix(this.opts.prefix).startRevision(String(revision! + 1)).create();
    this.watcher.on('put', (kv) => this.apply(localKey(this.etcd, kv.key), kv.value.toString()));
    this.watcher.on('delete', (kv) => this.apply(localKey(this.etcd, kv.key), null));
    // create() resolved on the first 'connected': another one is a resumed watch.
    this.watcher.on('connected', () => void this.reload().catch((e: unknown) => this.opts.onError?.(e as Error, 'reload after reconnect')));
    this.watcher.on('error', (e: Error) => {
      this.opts.onError?.(e, 'watch');
      void this.reload().catch(() => undefined);
    });
  }
}
