import { bootstrapService } from '@ticketcd/platform';
import { CatalogModule } from './catalog.module.js';

await bootstrapService({ service: 'catalog', imports: [CatalogModule] });
