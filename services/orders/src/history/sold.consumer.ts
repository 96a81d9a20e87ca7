/**
 * Durable consumer of inventory.tickets.sold: writes the buyer's history and the stats. It is
 * the only writer of purchase: keys, so history exists even if the orders instance that placed
 * the order died before it could write anything. What queued up is recorded in batches (one Txn
 * per group of orders, issue 17 point 4), acked after the write; a message alone (or one from a
 * batch that failed for another reason than a dependency) goes through the same code.
 */
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Events, type EventEnvelope } from '@ticketcd/contracts';
import { ConsumerRegistry } from '@ticketcd/platform';
import { HistoryRepository, type SoldOrder } from './history.repository.js';

/** Messages per batch: a hot event's orders fill a Txn (126 orders + 1 stats key <= 128 ops). */
const MAX_BATCH = 250;
/**
 * A group waits this long for more sales (issue 27): under load one Txn records many messages'
 * sales instead of one message's (these writes were a third of an HTTP sale's etcd writes);
 * history and stats lag the sale by this much more, well inside their 5 s target.
 */
const LINGER_MS = 100;

const soldOf = (event: EventEnvelope): SoldOrder => ({ ...Events.inventory.ticketsSold.data.parse(event.data), at: event.occurredAt });

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
      maxBatch: MAX_BATCH,
      lingerMs: LINGER_MS,
      handler: async (event) => {
        await this.repo.recordSales([soldOf(event)]);
      },
      batchHandler: async (items) => {
        await this.repo.recordSales(items.map((i) => soldOf(i.event)));
      },
    });
  }
}
