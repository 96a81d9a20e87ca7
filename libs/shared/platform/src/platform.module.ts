/**
 * Everything a service gets for free: config, logger, metrics, etcd and NATS connections, the
 * request-reply client, the JetStream publisher, consumer registry, health, readiness and lifecycle.
 */
import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import type { BaseServiceConfig } from '@ticketcd/config';
import { createEtcdConnection } from '@ticketcd/etcd';
import { connectNats, JetStreamPublisher, RECONNECT_OPTIONS, RpcClient, type NatsConnection } from '@ticketcd/messaging';
import { Metrics, pinoOptions } from '@ticketcd/observability';
import { LoggerModule } from 'nestjs-pino';
import type { ClientProxy } from '@nestjs/microservices';
import { ConsumerRegistry } from './consumers.js';
import { HealthController } from './health.controller.js';
import { KeyHistory } from './key-history.js';
import { Lifecycle } from './lifecycle.service.js';
import { MetricsController } from './metrics.controller.js';
import { OutboxRelay } from './outbox/outbox.relay.js';
import { PublishedSubjects } from './published-subjects.js';
import { DependencyProbe, ReadinessState } from './readiness.state.js';
import { RpcInterceptor } from './rpc.interceptor.js';
import { ETCD, NATS, RPC_PROXY, SERVICE_CONFIG, SERVICE_IDENTITY, type ServiceIdentity } from './tokens.js';

@Global()
@Module({})
export class PlatformModule {
  static forRoot(config: BaseServiceConfig, identity: ServiceIdentity): DynamicModule {
    const base = pinoOptions({ service: identity.service, instance: identity.instanceId, level: config.LOG_LEVEL });
    return {
      module: PlatformModule,
      global: true,
      imports: [
        LoggerModule.forRoot({
          // No per-request middleware: pino-http built a child logger for every request whether or
          // not it logged anything (issue 27); bootstrap's AccessLog writes the request lines, and
          // the trace id reaches every line through the logger's mixin.
          forRoutes: [],
          pinoHttp: base,
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: SERVICE_CONFIG, useValue: config },
        { provide: SERVICE_IDENTITY, useValue: identity },
        { provide: Metrics, useValue: new Metrics(identity.service, identity.instanceId) },
        {
          provide: ETCD,
          useFactory: () =>
            createEtcdConnection({
              endpoints: config.ETCD_ENDPOINTS,
              namespace: config.ETCD_NAMESPACE,
              deadlineMs: config.ETCD_DEADLINE_MS,
              ...(config.ETCD_USERNAME ? { auth: { username: config.ETCD_USERNAME, password: config.ETCD_PASSWORD ?? '' } } : {}),
              tls: {
                caFile: config.ETCD_TLS_CA_FILE,
                certFile: config.ETCD_TLS_CERT_FILE,
                keyFile: config.ETCD_TLS_KEY_FILE,
                reloadIntervalMs: config.ETCD_TLS_RELOAD_MS,
              },
            }),
        },
        { provide: NATS, useFactory: () => connectNats({ servers: config.NATS_URL, name: `${identity.service}:${identity.instanceId}` }) },
        {
          provide: RPC_PROXY,
          useFactory: () =>
            ClientProxyFactory.create({
              transport: Transport.NATS,
              // RECONNECT_OPTIONS' noAsyncTraces: no Error (with its stack) captured per request for a nicer trace of a failure.
              options: {
                servers: config.NATS_URL,
                name: `${identity.service}:${identity.instanceId}:rpc`,
                ...RECONNECT_OPTIONS,
              },
            }),
        },
        { provide: RpcClient, useFactory: (proxy: ClientProxy) => new RpcClient(proxy, config.RPC_TIMEOUT_MS), inject: [RPC_PROXY] },
        { provide: JetStreamPublisher, useFactory: (nc: NatsConnection) => new JetStreamPublisher(nc, identity.service), inject: [NATS] },
        ConsumerRegistry,
        ReadinessState,
        DependencyProbe,
        Lifecycle,
        OutboxRelay,
        PublishedSubjects,
        KeyHistory,
        { provide: APP_INTERCEPTOR, useClass: RpcInterceptor },
      ],
      exports: [
        SERVICE_CONFIG,
        SERVICE_IDENTITY,
        Metrics,
        ETCD,
        NATS,
        RPC_PROXY,
        RpcClient,
        JetStreamPublisher,
        ConsumerRegistry,
        ReadinessState,
        DependencyProbe,
        Lifecycle,
        OutboxRelay,
        PublishedSubjects,
        KeyHistory,
      ],
    };
  }
}
