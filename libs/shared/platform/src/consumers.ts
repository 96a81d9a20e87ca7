/**
 * Services declare their durable consumers here (in a module's constructor or onModuleInit);
 * the lifecycle starts them once streams exist and stops them first on shutdown.
 */
import { Inject, Injectable } from '@nestjs/common';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { PARKED_STREAM, parkedSubject } from '@ticketcd/contracts';
import { DurableConsumer, type DurableConsumerOptions, type NatsConnection } from '@ticketcd/messaging';
import { Metrics } from '@ticketcd/observability';
import { PinoLogger } from 'nestjs-pino';
import { classifyFailure } from './failures.js';
import { NATS } from './tokens.js';

@Injectable()
export class ConsumerRegistry {
  private readonly consumers: DurableConsumer[] = [];
  private readonly registered: DurableConsumerOptions[] = [];
  private started = false;
  private jsm: JetStreamManager | null = null;

  constructor(
    @Inject(NATS) private readonly nats: NatsConnection,
    @Inject(Metrics) private readonly metrics: Metrics,
    private readonly log: PinoLogger,
  ) {
    log.setContext('consumers');
    metrics.onScrape(() => this.refreshMetrics());
  }

  register(opts: DurableConsumerOptions): void {
    if (this.started) throw new Error(`consumer ${opts.durable} registered after start`);
    const counted: DurableConsumerOptions = {
      classify: classifyFailure,
      ...opts,
      onOutcome: (outcome, failure) => {
        this.metrics.messagesHandled.inc({ durable: opts.durable, outcome });
        opts.onOutcome?.(outcome, failure);
      },
    };
    this.registered.push(opts);
    this.consumers.push(new DurableConsumer(this.nats, counted, this.log.logger));
  }

  /** Pending, redelivered and parked counts of this service's durables, from JetStream. */
  private async refreshMetrics(): Promise<void> {
    if (!this.started || this.registered.length === 0) return;
    this.jsm ??= await jetstreamManager(this.nats, { timeout: 1000 });
    const jsm = this.jsm;
    await Promise.all([
      ...this.registered.map(async ({ stream, durable }) => {
        const info = await jsm.consumers.info(stream, durable);
        this.metrics.consumerPending.set({ durable }, info.num_pending);
        this.metrics.consumerAckPending.set({ durable }, info.num_ack_pending);
        this.metrics.consumerRedelivered.set({ durable }, info.num_redelivered);
      }),
      (async () => {
        const info = await jsm.streams.info(PARKED_STREAM, { subjects_filter: parkedSubject('>') });
        const bySubject = (info.state.subjects ?? {}) as Record<string, number>;
        for (const { durable } of this.registered) this.metrics.consumerParked.set({ durable }, bySubject[parkedSubject(durable)] ?? 0);
      })(),
    ]);
  }

  async startAll(): Promise<void> {
    this.started = true;
    for (const c of this.consumers) await c.start();
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
  }
}
