/**
 * The durable consumer of inventory.stock.changed, shared by every notifier instance. A message
 * is acked only after its transitions are written, so a crash redelivers it; the revision guard
 * makes the redelivery change nothing. Messages that queued up are handled as a batch: one folded
 * evaluation per event (CrossingsService.onStockChanges).
 */
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Events } from '@ticketcd/contracts';
import { ConsumerRegistry } from '@ticketcd/platform';
import { PinoLogger } from 'nestjs-pino';
import { CrossingsService } from './crossings.service.js';
import { NOTIFIER_CONFIG, type NotifierConfig } from './notifier.config.js';

export const NOTIFIER_DURABLE = 'notifier-stock';

@Injectable()
export class StockChangedConsumer implements OnModuleInit {
  constructor(
    private readonly consumers: ConsumerRegistry,
    private readonly crossings: CrossingsService,
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
      // Stock changes that queued up are folded per event: one evaluation, not one per message.
      maxBatch: 128,
      batchHandler: async (items) => {
        const byEvent = new Map<string, number[]>();
        for (const { event } of items) {
          const d = def.data.parse(event.data);
          byEvent.set(d.eventId, [...(byEvent.get(d.eventId) ?? []), d.revision]);
        }
        // All settle before the batch fails, so a fallback to one message at a time races nothing of ours.
        const settled = await Promise.allSettled(
          [...byEvent].map(async ([eventId, revisions]) => {
            const outcome = await this.crossings.onStockChanges(eventId, revisions);
            if (outcome.fired || outcome.rearmed) this.log.info({ eventId, ...outcome, messages: revisions.length }, 'limit crossings');
          }),
        );
        const failed = settled.find((s) => s.status === 'rejected');
        if (failed) throw failed.reason;
      },
      handler: async (event, info) => {
        const d = def.data.parse(event.data);
        const outcome = await this.crossings.onStockChanged(d.eventId, d.revision);
        if (outcome.fired || outcome.rearmed)
          this.log.info({ eventId: d.eventId, ...outcome, delivery: info.deliveryCount }, 'limit crossings');
      },
    });
  }
}
