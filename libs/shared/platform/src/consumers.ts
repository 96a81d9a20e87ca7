/**
 * Services declare their durable consumers here (in a module's constructor or onModuleInit);
 * the lifecycle starts them once streams exist and stops them first on shutdown.
 */
import { Inject, Injectable } from '@nestjs/common';
import { DurableConsumer, type DurableConsumerOptions, type NatsConnection } from '@ticketcd/messaging';
import { Metrics } from '@ticketcd/observability';
import { PinoLogger } from 'nestjs-pino';
import { NATS } from './tokens.js';

@Injectable()
export class ConsumerRegistry {
  private readonly consumers: DurableConsumer[] = [];
  private started = false;

  constructor(
    @Inject(NATS) private readonly nats: NatsConnection,
    @Inject(Metrics) private readonly metrics: Metrics,
    private readonly log: PinoLogger,
  ) {
    log.setContext('consumers');
  }

  register(opts: DurableConsumerOptions): void {
    if (this.started) throw new Error(`consumer ${opts.durable} registered after start`);
    const counted: DurableConsumerOptions = {
      ...opts,
      onOutcome: (outcome) => {
        this.metrics.messagesHandled.inc({ durable: opts.durable, outcome });
        opts.onOutcome?.(outcome);
      },
    };
    this.consumers.push(new DurableConsumer(this.nats, counted, this.log.logger));
  }

  async startAll(): Promise<void> {
    this.started = true;
    for (const c of this.consumers) await c.start();
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
  }
}
