import { Module } from '@nestjs/common';
import { InventoryRouter, OrderPlacer } from '@ticketcd/platform';
import { HistoryRepository } from './history/history.repository.js';
import { HistoryService } from './history/history.service.js';
import { SoldConsumer } from './history/sold.consumer.js';
import { OrdersHandler } from './orders.handler.js';
import { PlaceService } from './place/place.service.js';
import { StatsService } from './stats/stats.service.js';

@Module({
  controllers: [OrdersHandler],
  providers: [PlaceService, OrderPlacer, InventoryRouter, HistoryRepository, HistoryService, StatsService, SoldConsumer],
})
export class OrdersModule {}
