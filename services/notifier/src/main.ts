import { bootstrapService } from '@ticketcd/platform';
import { NotifierModule } from './notifier.module.js';

await bootstrapService({ service: 'notifier', imports: [NotifierModule] });
