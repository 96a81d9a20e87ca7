import { Module } from '@nestjs/common';
import { SystemController } from './system/system.controller.js';
import { SystemRepository } from './system/system.repository.js';
import { SystemService } from './system/system.service.js';

@Module({ controllers: [SystemController], providers: [SystemService, SystemRepository] })
export class GatewayModule {}
