import { bootstrapService } from '@ticketcd/platform';
import { InventoryModule } from './inventory.module.js';

await bootstrapService({ service: 'inventory', imports: [InventoryModule] });
