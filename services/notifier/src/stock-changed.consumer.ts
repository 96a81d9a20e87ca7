/**
 * The durable consumer of inventory.stock.changed, shared by every notifier instance. Messages
 * that queued up are handled as a batch, split by event; each event's part goes to the instance
 * that owns the event's partition (StockPartitions: here, forwarded, or a stand-in when the owner
 * is gone). A message is acked only after its event's changes were evaluated and written, so a
 * crash redelivers it; the alert ids (Create == 0) make the redelivery fire nothing twice.
 */
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Events } from '@ticketcd/contracts';
import { ConsumerRegistry } from '@ticketcd/platform';
import { PinoLogger } from 'nestjs-pino';
import type { StockChangedData } from './crossings.service.js';
import { NOTIFIER_CONFIG, type NotifierConfig } from './notifier.config.js';
import { StockPartitions } from './stock-partitions.service.js';

export const NOTIFIER_DURABLE = 'notifier-stock';

@Injectable()
export class StockChangedConsumer implements OnModuleInit {
  constructor(
    private readonly consumers: ConsumerRegistry,
    private readonly partitions: StockPartitions,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
    private readonly log: PinoLogger,
  ) {
    log.setContext('stock-changed');
  }

  onModuleInit(): void {
    const def = Events.inventory.stockChanged;
    this.consumers.register({
      stream: def.stream,
      durable: NOTIFIER_DURABLE,
      filterSubject: def.type,
      ackWaitMs: this.config.NOTIFIER_ACK_WAIT_MS,
      // Stock changes that queued up are split by event: one evaluation per event, by its owner.
      maxBatch: 128,
      batchHandler: async (items) => {
        const byEvent = new Map<string, StockChangedData[]>();
        for (const { event } of items) {
          const d = def.data.parse(event.data);
          byEvent.set(d.eventId, [...(byEvent.get(d.eventId) ?? []), d]);
        }
        // All settle before the batch fails, so a fallback to one message at a time races nothing of ours.
        const settled = await Promise.allSettled(
          [...byEvent].map(async ([eventId, changes]) => {
            const outcome = await this.partitions.handle(eventId, changes);
            if (outcome.fired || outcome.rearmed) this.log.info({ eventId, ...outcome, messages: changes.length }, 'limit crossings');
          }),
        );
        const failed = settled.find((s) => s.status === 'rejected');
        if (failed) throw failed.reason;
      },
      handler: async (event, info) => {
        const d = def.data.parse(event.data);
        const outcome = await this.partitions.handle(d.eventId, [d]);
        if (outcome.fired || outcome.rearmed)
          this.log.info({ eventId: d.eventId, ...outcome, delivery: info.deliveryCount }, 'limit crossings');
      },
    });
  }
}
