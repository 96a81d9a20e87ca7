import { bootstrapService } from '@ticketcd/platform';
import { searchConfig } from './search.config.js';
import { SearchIndexerModule } from './search-indexer.module.js';

await bootstrapService({ service: 'search-indexer', configSchema: searchConfig, imports: [SearchIndexerModule] });
