import { Module } from '@nestjs/common';
import { SystemController } from './system.controller.js';
import { SystemRepository } from './system.repository.js';
import { SystemService } from './system.service.js';

/** Live service instances from svc: keys (admins only): /api/system/instances and the admin cluster page. */
@Module({ controllers: [SystemController], providers: [SystemService, SystemRepository], exports: [SystemService] })
export class SystemModule {}
