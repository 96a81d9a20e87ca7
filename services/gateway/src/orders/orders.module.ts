import { Module } from '@nestjs/common';
import { InventoryRouter, OrderPlacer } from '@ticketcd/platform';
import { OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';

@Module({ controllers: [OrdersController], providers: [OrdersService, OrderPlacer, InventoryRouter] })
export class OrdersModule {}
