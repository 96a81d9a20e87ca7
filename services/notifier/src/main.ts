import { bootstrapService } from '@ticketcd/platform';
import { notifierConfig } from './notifier.config.js';
import { NotifierModule } from './notifier.module.js';

await bootstrapService({ service: 'notifier', configSchema: notifierConfig, imports: [NotifierModule] });
