import { Module } from '@nestjs/common';
import { SystemModule } from '../system/system.module.js';
import { AdminController } from './admin.controller.js';
import { AdminRepository } from './admin.repository.js';
import { AdminService } from './admin.service.js';

/** Admin routes: sales stats, cluster status, key revision history. */
@Module({ imports: [SystemModule], controllers: [AdminController], providers: [AdminService, AdminRepository] })
export class AdminModule {}
