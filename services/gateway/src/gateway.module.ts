import { Module } from '@nestjs/common';
import { AdminModule } from './admin/admin.module.js';
import { AuthModule } from './auth/auth.module.js';
import { CatalogModule } from './catalog/catalog.module.js';
import { HttpModule } from './http/http.module.js';
import { LiveModule } from './live/live.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { OrdersModule } from './orders/orders.module.js';
import { SystemController } from './system/system.controller.js';
import { SystemRepository } from './system/system.repository.js';
import { SystemService } from './system/system.service.js';

@Module({
  imports: [HttpModule, AuthModule, CatalogModule, OrdersModule, NotificationsModule, LiveModule, AdminModule],
  controllers: [SystemController],
  providers: [SystemService, SystemRepository],
  exports: [SystemService],
})
export class GatewayModule {}
