import { bootstrapService } from '@ticketcd/platform';
import { inventoryConfig } from './inventory.config.js';
import { InventoryModule } from './inventory.module.js';

await bootstrapService({ service: 'inventory', configSchema: inventoryConfig, imports: [InventoryModule] });
