import { Module } from '@nestjs/common';

/** Admin routes (stats, cluster status, key history): filled in by the admin work. */
@Module({})
export class AdminModule {}
