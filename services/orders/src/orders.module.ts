import { Module } from '@nestjs/common';
import { HistoryRepository } from './history/history.repository.js';
import { HistoryService } from './history/history.service.js';
import { SoldConsumer } from './history/sold.consumer.js';
import { OrdersHandler } from './orders.handler.js';
import { InventoryRouter } from './place/inventory.router.js';
import { PlaceRepository } from './place/place.repository.js';
import { PlaceService } from './place/place.service.js';
import { StatsService } from './stats/stats.service.js';

@Module({
  controllers: [OrdersHandler],
  providers: [PlaceService, PlaceRepository, InventoryRouter, HistoryRepository, HistoryService, StatsService, SoldConsumer],
})
export class OrdersModule {}
