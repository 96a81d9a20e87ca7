import { Module } from '@nestjs/common';
import { AdminModule } from './admin/admin.module.js';
import { AuthModule } from './auth/auth.module.js';
import { CatalogModule } from './catalog/catalog.module.js';
import { HttpModule } from './http/http.module.js';
import { LiveModule } from './live/live.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { OrdersModule } from './orders/orders.module.js';
import { ScalingModule } from './scaling/scaling.module.js';
import { SystemModule } from './system/system.module.js';

@Module({
  imports: [HttpModule, AuthModule, SystemModule, CatalogModule, OrdersModule, NotificationsModule, LiveModule, AdminModule, ScalingModule],
})
export class GatewayModule {}
