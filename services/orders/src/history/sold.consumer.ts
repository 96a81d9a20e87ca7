/**
 * Durable consumer of inventory.tickets.sold: writes the buyer's history and the stats. It is
 * the only writer of purchase: keys, so history exists even if the orders instance that placed
 * the order died before it could write anything.
 */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Events } from '@ticketcd/contracts';
import { ConsumerRegistry } from '@ticketcd/platform';
import { HistoryRepository } from './history.repository.js';

@Injectable()
export class SoldConsumer implements OnModuleInit {
  constructor(
    private readonly consumers: ConsumerRegistry,
    private readonly repo: HistoryRepository,
  ) {}

  onModuleInit(): void {
    this.consumers.register({
      stream: Events.inventory.ticketsSold.stream,
      durable: 'orders-tickets-sold',
      filterSubject: Events.inventory.ticketsSold.type,
      handler: async (event) => {
        const sold = Events.inventory.ticketsSold.data.parse(event.data);
        await this.repo.recordSale({ ...sold, at: event.occurredAt });
      },
    });
  }
}
