import { Module } from '@nestjs/common';

/** The orders service's features are added here as they land (see docs/architecture.md). */
@Module({})
export class OrdersModule {}
