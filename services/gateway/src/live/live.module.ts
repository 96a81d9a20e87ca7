import { Module } from '@nestjs/common';

/** Live streams (SSE): filled in by the live-stream work. */
@Module({})
export class LiveModule {}
