import { Module } from '@nestjs/common';
import { SERVICE_CONFIG } from '@ticketcd/platform';
import { AlertsService } from './alerts.service.js';
import { CrossingsService } from './crossings.service.js';
import { NOTIFIER_CONFIG } from './notifier.config.js';
import { NotifierHandler } from './notifier.handler.js';
import { StockChangedConsumer } from './stock-changed.consumer.js';
import { StockPartitions } from './stock-partitions.service.js';
import { SubscriptionsRepository } from './subscriptions/subscriptions.repository.js';
import { SubscriptionsService } from './subscriptions/subscriptions.service.js';

@Module({
  controllers: [NotifierHandler],
  providers: [
    { provide: NOTIFIER_CONFIG, useExisting: SERVICE_CONFIG },
    SubscriptionsRepository,
    SubscriptionsService,
    AlertsService,
    CrossingsService,
    StockPartitions,
    StockChangedConsumer,
  ],
})
export class NotifierModule {}
