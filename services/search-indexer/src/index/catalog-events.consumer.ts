/**
 * The durable consumer of catalog.event.*: every instance pulls from the same durable, so the
 * work is shared; the meta guard makes the order in which instances apply changes irrelevant.
 * A message is acked only after its postings are written (DurableConsumer).
 */
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Events, type EventEnvelope } from '@ticketcd/contracts';
import { ConsumerRegistry } from '@ticketcd/platform';
import { PinoLogger } from 'nestjs-pino';
import { SEARCH_CONFIG, type SearchConfig } from '../search.config.js';
import { IndexerService } from './indexer.service.js';
import { canonicalFields, type IndexChange } from '@ticketcd/search-text';

export const SEARCH_DURABLE = 'search-indexer-catalog';

/** The index change a catalog event asks for, or null for an event type the index ignores. */
export function changeFromEvent(event: EventEnvelope): IndexChange | null {
  const c = Events.catalog;
  switch (event.type) {
    case c.eventCreated.type: {
      const d = c.eventCreated.data.parse(event.data);
      return { eventId: d.eventId, version: d.version, fields: canonicalFields(d.fields) };
    }
    case c.eventUpdated.type: {
      const d = c.eventUpdated.data.parse(event.data);
      return { eventId: d.eventId, version: d.version, fields: canonicalFields(d.after) };
    }
    case c.eventDeleted.type: {
      const d = c.eventDeleted.data.parse(event.data);
      return { eventId: d.eventId, version: d.version, fields: null };
    }
    default:
      return null;
  }
}

@Injectable()
export class CatalogEventsConsumer implements OnModuleInit {
  constructor(
    private readonly consumers: ConsumerRegistry,
    private readonly indexer: IndexerService,
    @Inject(SEARCH_CONFIG) private readonly config: SearchConfig,
    private readonly log: PinoLogger,
  ) {
    log.setContext('catalog-events');
  }

  onModuleInit(): void {
    this.consumers.register({
      stream: Events.catalog.eventCreated.stream,
      durable: SEARCH_DURABLE,
      ackWaitMs: this.config.SEARCH_ACK_WAIT_MS,
      // Safe out of order: every write is guarded by the event's index meta and its version.
      concurrency: this.config.SEARCH_CONCURRENCY,
      handler: async (event, info) => {
        const change = changeFromEvent(event);
        if (!change) return;
        const outcome = await this.indexer.apply(change);
        this.log.debug(
          { eventId: change.eventId, version: change.version, outcome, delivery: info.deliveryCount },
          'catalog change indexed',
        );
      },
    });
  }
}
