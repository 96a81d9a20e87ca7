import { bootstrapService } from '@ticketcd/platform';
import { OrdersModule } from './orders.module.js';

await bootstrapService({ service: 'orders', imports: [OrdersModule] });
