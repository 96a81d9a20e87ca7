import { bootstrapService } from '@ticketcd/platform';
import { SearchIndexerModule } from './search-indexer.module.js';

await bootstrapService({ service: 'search-indexer', imports: [SearchIndexerModule] });
