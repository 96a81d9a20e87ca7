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
          const page = await listPrefix(this.etcd.kv, prefixes.outboxOf(this.identity.service as ServiceName), { limit: 50, after });
          for (const kv of page.items) {
            if (this.stopped) return;
            await this.relay(kv);
          }
          after = page.next;
        } while (after);
      } while (this.again && !this.stopped);
      this.failures = 0;
    } catch (e) {
      this.failures++;
      this.log.warn({ err: (e as Error).message, failures: this.failures }, 'outbox relay failed; will retry');
    }
  }

  private async relay(kv: KeyValue): Promise<void> {
    let entry: z.output<typeof outboxEntrySchema>;
    let expand: OutboxExpander | undefined;
    try {
      entry = outboxEntrySchema.parse(JSON.parse(kv.value));
      if ('kind' in entry && !(expand = this.expanders.get(entry.kind))) throw new Error(`no expander for outbox entries of kind ${entry.kind}`);
    } catch (e) {
      // Never delete what we cannot read: leave it and say so.
      this.log.error({ key: kv.key, err: (e as Error).message }, 'unreadable outbox entry left in place');
      return;
    }
    let envelopes: EventEnvelope[];
    if ('kind' in entry) {
      envelopes = await expand!(entry.payload, kv.createRevision);
    } else {
      const stamp = entry.stampRevision;
      envelopes = (entry.envelopes as EventEnvelope[]).map((env) => (stamp ? { ...env, data: { ...(env.data as object), revision: kv.createRevision } } : env));
    }
    await Promise.all(envelopes.map((env) => this.publisher.publish(env)));
    try {
      await this.etcd.kv.if(kv.key, 'Mod', '==', kv.modRevision).then(this.etcd.kv.delete().key(kv.key)).commit();
    } catch (e) {
      throw toStoreError(e, 'outbox delete');
    }
    this.published += envelopes.length;
  }
}
