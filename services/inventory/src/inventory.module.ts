import { Module } from '@nestjs/common';

/** The inventory service's features are added here as they land (see docs/architecture.md). */
@Module({})
export class InventoryModule {}
