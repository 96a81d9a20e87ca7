/** Reacts to catalog.event.deleted: the event stops selling (durable, idempotent). */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Events } from '@ticketcd/contracts';
import { ConsumerRegistry } from '@ticketcd/platform';
import { StockService } from '../stock/stock.service.js';

@Injectable()
export class CatalogEventsConsumer implements OnModuleInit {
  constructor(
    private readonly consumers: ConsumerRegistry,
    private readonly stock: StockService,
  ) {}

  onModuleInit(): void {
    this.consumers.register({
      stream: Events.catalog.eventDeleted.stream,
      durable: 'inventory-event-deleted',
      filterSubject: Events.catalog.eventDeleted.type,
      handler: async (event) => {
        const { eventId } = Events.catalog.eventDeleted.data.parse(event.data);
        await this.stock.closeEvent(eventId);
      },
    });
  }
}
