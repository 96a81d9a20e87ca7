import { Module } from '@nestjs/common';
import { LiveController } from './live.controller.js';
import { LiveService } from './live.service.js';

/** Live streams (SSE): an event's stock as it changes, a user's alerts as they fire. */
@Module({ controllers: [LiveController], providers: [LiveService] })
export class LiveModule {}
