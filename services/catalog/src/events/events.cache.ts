/**
 * An in-memory copy of every event, for listing without a range read per request. Loaded by a
 * range read at one revision, kept current by a watch from the next revision, and reloaded in
 * full every 30 s and after any watch error (etcd3's watcher can skip events while it
 * resumes), so it is never the only record and never drifts for long. Writes of this instance
 * are applied at once (read-your-writes).
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { eventRecord, type EventRecord } from '@ticketcd/contracts';
import { listPrefix, type EtcdConnection, type Page } from '@ticketcd/etcd';
import { parseKey, prefixes } from '@ticketcd/keys';
import { ETCD } from '@ticketcd/platform';
import type { Watcher } from 'etcd3';
import { PinoLogger } from 'nestjs-pino';

const RELOAD_MS = 30_000;

@Injectable()
export class EventsCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly events = new Map<string, EventRecord>();
  private watcher: Watcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private loaded = false;

  constructor(
    @Inject(ETCD) private readonly etcd: EtcdConnection,
    private readonly log: PinoLogger,
  ) {
    log.setContext('events-cache');
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.reload().catch((e: unknown) => this.log.warn({ err: (e as Error).message }, 'event cache load failed; will retry'));
    this.timer = setInterval(() => void this.reload().catch(() => undefined), RELOAD_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.watcher?.cancel().catch(() => undefined);
  }

  private apply(key: string, value: string | null) {
    const k = parseKey(key);
    if (k.kind !== 'event') return;
    if (value === null) this.events.delete(k.eventId);
    else this.events.set(k.eventId, eventRecord.parse(JSON.parse(value)));
  }

  private async reload(): Promise<void> {
    const fresh = new Map<string, string>();
    let after: string | null = null;
    let revision: number | undefined;
    do {
      const page: Page = await listPrefix(this.etcd.kv, prefixes.events(), { limit: 500, after, revision });
      revision ??= page.revision;
      for (const kv of page.items) fresh.set(kv.key, kv.value);
      after = page.next;
    } while (after);
    this.events.clear();
    for (const [key, value] of fresh) this.apply(key, value);
    this.loaded = true;
    await this.watcher?.cancel().catch(() => undefined);
    // Every change after the snapshot's revision, in order.
    this.watcher = await this.etcd.kv.watch().prefix(prefixes.events()).startRevision(String(revision! + 1)).create();
    this.watcher.on('put', (kv) => this.apply(this.unprefixed(kv.key), kv.value.toString()));
    this.watcher.on('delete', (kv) => this.apply(this.unprefixed(kv.key), null));
    this.watcher.on('error', () => void this.reload().catch(() => undefined));
  }

  private unprefixed(key: Buffer): string {
    const k = key.toString();
    return this.etcd.namespace && k.startsWith(this.etcd.namespace) ? k.slice(this.etcd.namespace.length) : k;
  }

  /** This instance's own write, visible at once. */
  remember(eventId: string, record: EventRecord): void {
    this.events.set(eventId, record);
  }

  get ready(): boolean {
    return this.loaded;
  }

  all(): [string, EventRecord][] {
    return [...this.events];
  }

  get(eventId: string): EventRecord | undefined {
    return this.events.get(eventId);
  }
}
