/**
 * The durable consumer of inventory.stock.changed, shared by every notifier instance. A message
 * is acked only after its transitions are written, so a crash redelivers it; the revision guard
 * makes the redelivery change nothing.
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
      handler: async (event, info) => {
        const d = def.data.parse(event.data);
        const outcome = await this.crossings.onStockChanged(d.eventId, d.revision);
        if (outcome.fired || outcome.rearmed)
          this.log.info({ eventId: d.eventId, ...outcome, delivery: info.deliveryCount }, 'limit crossings');
      },
    });
  }
}
