import { Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AccessGuard } from './access.guard.js';
import { ApiErrorFilter } from './api-error.filter.js';
import { Forwarder } from './forwarder.js';

/** What every gateway route shares: the error filter, the access guard, the forwarder. */
@Global()
@Module({
  providers: [Forwarder, { provide: APP_FILTER, useClass: ApiErrorFilter }, { provide: APP_GUARD, useClass: AccessGuard }],
  exports: [Forwarder],
})
export class HttpModule {}
