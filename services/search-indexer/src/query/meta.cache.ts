/**
 * The indexed version and fields of every event, in memory, so that ranking a query's hits by
 * date and showing them costs no read per hit. Watch-fed (WatchedPrefix); a hit missing from it
 * (written a moment ago) is read from etcd.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { EventFields } from '@ticketcd/contracts';
import { WatchedPrefix, type EtcdConnection } from '@ticketcd/etcd';
import { parseKey, prefixes } from '@ticketcd/keys';
import { ETCD } from '@ticketcd/platform';
import { PinoLogger } from 'nestjs-pino';
import { decodeMeta } from '@ticketcd/search-text';

export interface IndexedEvent {
  version: number;
  /** Null when deleted. */
  fields: EventFields | null;
  /** fields.date normalised to UTC, computed once (ranking compares it per hit). */
  utc?: string;
}

@Injectable()
export class MetaCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly metas: WatchedPrefix<IndexedEvent>;
  private changed = 0;

  constructor(@Inject(ETCD) etcd: EtcdConnection, log: PinoLogger) {
    log.setContext('meta-cache');
    this.metas = new WatchedPrefix(etcd, {
      prefix: prefixes.searchMeta(),
      idOf: (key) => {
        const k = parseKey(key);
        return k.kind === 'searchMeta' ? k.eventId : null;
      },
      decode: (value) => {
        const m = decodeMeta(value);
        return { version: m.v, fields: m.fields, ...(m.fields ? { utc: new Date(m.fields.date).toISOString() } : {}) };
      },
      onError: (err, what) => log.warn({ err: err.message, what }, 'search meta cache: will reload'),
      onApply: () => this.changed++,
    });
  }

  onApplicationBootstrap(): Promise<void> {
    return this.metas.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.metas.stop();
  }

  /** Moves with every meta applied (the query's page cache is exact while it stands still). */
  get changes(): number {
    return this.changed;
  }

  get(eventId: string): IndexedEvent | undefined {
    return this.metas.get(eventId);
  }
}
