import { Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AccessGuard } from './access.guard.js';
import { ApiErrorFilter } from './api-error.filter.js';
import { Forwarder } from './forwarder.js';
import { QuorumLostInterceptor } from './quorum-lost.interceptor.js';

/** What every gateway route shares: the error filter, the access guard, the quorum-lost interceptor, the forwarder. */
@Global()
@Module({
  providers: [
    Forwarder,
    { provide: APP_FILTER, useClass: ApiErrorFilter },
    { provide: APP_GUARD, useClass: AccessGuard },
    { provide: APP_INTERCEPTOR, useClass: QuorumLostInterceptor },
  ],
  exports: [Forwarder],
})
export class HttpModule {}
