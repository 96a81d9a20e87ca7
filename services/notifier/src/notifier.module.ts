import { Module } from '@nestjs/common';

/** The notifier service's features are added here as they land (see docs/architecture.md). */
@Module({})
export class NotifierModule {}
