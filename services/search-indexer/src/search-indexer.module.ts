import { Module } from '@nestjs/common';
import { SERVICE_CONFIG } from '@ticketcd/platform';
import { CatalogEventsConsumer } from './index/catalog-events.consumer.js';
import { IndexRepository } from './index/index.repository.js';
import { IndexerService } from './index/indexer.service.js';
import { MetaCache } from './query/meta.cache.js';
import { PostingsCache } from './query/postings.cache.js';
import { QueryRepository } from './query/query.repository.js';
import { QueryService } from './query/query.service.js';
import { SEARCH_CONFIG } from './search.config.js';
import { SearchHandler } from './search.handler.js';

@Module({
  controllers: [SearchHandler],
  providers: [
    { provide: SEARCH_CONFIG, useExisting: SERVICE_CONFIG },
    IndexRepository,
    IndexerService,
    CatalogEventsConsumer,
    MetaCache,
    PostingsCache,
    QueryRepository,
    QueryService,
  ],
})
export class SearchIndexerModule {}
