import { Module } from '@nestjs/common';
import { SERVICE_CONFIG } from '@ticketcd/platform';
import { CatalogEventsConsumer } from './events/catalog-events.consumer.js';
import { InventoryHandler } from './inventory.handler.js';
import { INVENTORY_CONFIG } from './inventory.config.js';
import { PartitionService } from './partition/partition.service.js';
import { PurchaseService } from './purchase/purchase.service.js';
import { StockRepository } from './stock/stock.repository.js';
import { StockService } from './stock/stock.service.js';

@Module({
  controllers: [InventoryHandler],
  providers: [
    // The config was parsed once at start with the inventory schema.
    { provide: INVENTORY_CONFIG, useExisting: SERVICE_CONFIG },
    PurchaseService,
    PartitionService,
    StockRepository,
    StockService,
    CatalogEventsConsumer,
  ],
})
export class InventoryModule {}
