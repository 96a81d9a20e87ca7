/**
 * Publishes outbox entries to JetStream, then deletes them (only if unchanged). It runs after
 * every local commit (kick) and on a timer, so entries left by a crashed instance go out too.
 * Envelope ids are the message ids: an entry published twice (two relays, or a crash between
 * publish and delete) is stored once by the stream within its duplicate window.
 */
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { BaseServiceConfig } from '@ticketcd/config';
import type { EventEnvelope } from '@ticketcd/contracts';
import { listPrefix, toStoreError, type EtcdConnection, type KeyValue } from '@ticketcd/etcd';
import { prefixes, type ServiceName } from '@ticketcd/keys';
import { JetStreamPublisher } from '@ticketcd/messaging';
import { PinoLogger } from 'nestjs-pino';
import type { z } from 'zod';
import { ETCD, SERVICE_CONFIG, SERVICE_IDENTITY, type ServiceIdentity } from '../tokens.js';
import { outboxEntrySchema, type OutboxExpander } from './outbox.js';

/** Entries per page: one delete Txn each, within etcd's 128 ops. */
const PAGE = 64;

@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private failures = 0;
  private readonly expanders = new Map<string, OutboxExpander>();
  /** Events published since start (for metrics and tests). */
  published = 0;

  constructor(
    @Inject(ETCD) private readonly etcd: EtcdConnection,
    @Inject(SERVICE_CONFIG) private readonly config: BaseServiceConfig,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
    private readonly publisher: JetStreamPublisher,
    private readonly log: PinoLogger,
  ) {
    log.setContext('outbox');
  }

  get enabled(): boolean {
    return this.config.OUTBOX_RELAY;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) {
      this.log.warn({}, 'outbox relay disabled (OUTBOX_RELAY=false): committed events wait in etcd');
      return;
    }
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** How entries of `kind` become envelopes (register before the app starts). */
  registerExpander(kind: string, expander: OutboxExpander): void {
    this.expanders.set(kind, expander);
  }

  /** Relay soon: called after a commit that wrote an outbox entry. */
  kick(): void {
    if (!this.enabled || this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.sweep().finally(() => {
      this.running = null;
    });
  }

  private schedule(delayMs: number) {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
      this.schedule(this.failures > 0 ? Math.min(10_000, 500 * 2 ** this.failures) : this.config.OUTBOX_SWEEP_MS);
    }, delayMs);
    this.timer.unref();
  }

  private async sweep(): Promise<void> {
    try {
      do {
        this.again = false;
        let after: string | null = null;
        do {
          if (this.stopped) return;
          const page = await listPrefix(this.etcd.kv, prefixes.outboxOf(this.identity.service as ServiceName), { limit: PAGE, after });
          await this.relayPage(page.items);
          after = page.next;
        } while (after);
      } while (this.again && !this.stopped);
      this.failures = 0;
    } catch (e) {
      this.failures++;
      this.log.warn({ err: (e as Error).message, failures: this.failures }, 'outbox relay failed; will retry');
    }
  }

  /**
   * A page at a time: publishes pipelined on one connection (issued in entry order; consumers
   * must not rely on order anyway), then one guarded delete for the page. One round trip per
   * page instead of two per entry is what lets the relay keep up with a busy writer.
   */
  private async relayPage(items: KeyValue[]): Promise<void> {
    const ready = (await Promise.all(items.map((kv) => this.expand(kv)))).filter((r) => r !== null);
    if (ready.length === 0) return;
    await Promise.all(ready.flatMap((r) => r.envelopes.map((env) => this.publisher.publish(env))));
    try {
      // Only entries unchanged since read are deleted; if any changed, each is tried on its own.
      const txn = this.etcd.kv.if(ready[0]!.kv.key, 'Mod', '==', ready[0]!.kv.modRevision);
      for (const { kv } of ready.slice(1)) txn.and(kv.key, 'Mod', '==', kv.modRevision);
      const res = await txn.then(...ready.map(({ kv }) => this.etcd.kv.delete().key(kv.key))).commit();
      if (!res.succeeded) {
        for (const { kv } of ready) await this.etcd.kv.if(kv.key, 'Mod', '==', kv.modRevision).then(this.etcd.kv.delete().key(kv.key)).commit();
      }
    } catch (e) {
      throw toStoreError(e, 'outbox delete');
    }
    this.published += ready.reduce((n, r) => n + r.envelopes.length, 0);
  }

  /** The envelopes of one entry, or null for an entry that cannot be read (left in place). */
  private async expand(kv: KeyValue): Promise<{ kv: KeyValue; envelopes: EventEnvelope[] } | null> {
    let entry: z.output<typeof outboxEntrySchema>;
    let expand: OutboxExpander | undefined;
    try {
      entry = outboxEntrySchema.parse(JSON.parse(kv.value));
      if ('kind' in entry && !(expand = this.expanders.get(entry.kind))) throw new Error(`no expander for outbox entries of kind ${entry.kind}`);
    } catch (e) {
      // Never delete what we cannot read: leave it and say so.
      this.log.error({ key: kv.key, err: (e as Error).message }, 'unreadable outbox entry left in place');
      return null;
    }
    if ('kind' in entry) return { kv, envelopes: await expand!(entry.payload, kv.createRevision) };
    const stamp = entry.stampRevision;
    return { kv, envelopes: (entry.envelopes as EventEnvelope[]).map((env) => (stamp ? { ...env, data: { ...(env.data as object), revision: kv.createRevision } } : env)) };
  }
}
