import { Module } from '@nestjs/common';
import { SERVICE_CONFIG } from '@ticketcd/platform';
import type { GatewayConfig } from '../gateway.config.js';
import { EventsController } from './events.controller.js';
import { ReplyCache } from './reply-cache.js';

@Module({
  controllers: [EventsController],
  providers: [
    { provide: ReplyCache, useFactory: (config: GatewayConfig) => new ReplyCache(config.READ_CACHE_MS), inject: [SERVICE_CONFIG] },
  ],
})
export class CatalogModule {}
