/**
 * Every event in memory, for listing without a range read per request: a watch-fed copy of
 * `event:` (see WatchedPrefix: reloaded in full periodically and after watch errors, so it never
 * drifts for long; each entry keeps its mod revision, so an older value never replaces a newer).
 * Writes of this instance are applied at once (read-your-writes) with their commit revision.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { eventRecord, type EventRecord } from '@ticketcd/contracts';
import { WatchedPrefix, type EtcdConnection } from '@ticketcd/etcd';
import { parseKey, prefixes } from '@ticketcd/keys';
import { ETCD } from '@ticketcd/platform';
import { PinoLogger } from 'nestjs-pino';

@Injectable()
export class EventsCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly events: WatchedPrefix<EventRecord>;

  constructor(@Inject(ETCD) etcd: EtcdConnection, log: PinoLogger) {
    log.setContext('events-cache');
    this.events = new WatchedPrefix(etcd, {
      prefix: prefixes.events(),
      idOf: (key) => {
        const k = parseKey(key);
        return k.kind === 'event' ? k.eventId : null;
      },
      decode: (value) => eventRecord.parse(JSON.parse(value)),
      onError: (err, what) => log.warn({ err: err.message, what }, 'event cache: will reload'),
    });
  }

  onApplicationBootstrap(): Promise<void> {
    return this.events.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.events.stop();
  }

  /** This instance's own write (committed at `revision`), visible at once unless a newer one is in. */
  remember(eventId: string, record: EventRecord, revision: number): void {
    this.events.set(eventId, record, revision);
  }

  get ready(): boolean {
    return this.events.ready;
  }

  all(): [string, EventRecord][] {
    return this.events.all();
  }

  get(eventId: string): EventRecord | undefined {
    return this.events.get(eventId);
  }
}
