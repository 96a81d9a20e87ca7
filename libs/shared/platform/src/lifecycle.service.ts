/**
 * Start-up and shutdown order. Start: streams exist, consumers pull, svc: key registered.
 * SIGTERM: readiness turns 503, consumers stop (in-flight message finishes), the svc: lease is
 * revoked so the instance leaves the list at once, then NATS drains and etcd closes.
 */
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { STREAMS } from '@ticketcd/contracts';
import { LeasedKey, type EtcdConnection } from '@ticketcd/etcd';
import { keys } from '@ticketcd/keys';
import { ensureStreams, type NatsConnection } from '@ticketcd/messaging';
import { PinoLogger } from 'nestjs-pino';
import os from 'node:os';
import { ConsumerRegistry } from './consumers.js';
import { ReadinessState } from './readiness.state.js';
import { ETCD, NATS, RPC_PROXY, SERVICE_CONFIG, SERVICE_IDENTITY, type ServiceIdentity } from './tokens.js';
import type { BaseServiceConfig } from '@ticketcd/config';

@Injectable()
export class Lifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private registration: LeasedKey | null = null;

  constructor(
    @Inject(ETCD) private readonly etcd: EtcdConnection,
    @Inject(NATS) private readonly nats: NatsConnection,
    @Inject(RPC_PROXY) private readonly rpcProxy: ClientProxy,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
    @Inject(SERVICE_CONFIG) private readonly config: BaseServiceConfig,
    private readonly consumers: ConsumerRegistry,
    private readonly readiness: ReadinessState,
    private readonly log: PinoLogger,
  ) {
    log.setContext('lifecycle');
  }

  async onApplicationBootstrap(): Promise<void> {
    await ensureStreams(this.nats, STREAMS);
    await this.consumers.startAll();
    const { service, instanceId } = this.identity;
    this.registration = new LeasedKey(
      this.etcd,
      keys.svc(service, instanceId),
      () =>
        JSON.stringify({
          ...this.identity,
          host: os.hostname(),
          pid: process.pid,
          httpPort: this.config.HTTP_PORT,
        }),
      this.config.SVC_LEASE_TTL_S,
      { info: (o, m) => this.log.info(o, m), warn: (o, m) => this.log.warn(o, m) },
    );
    // Registration retries in the background if etcd is down at start; readiness reports it.
    await this.registration.start().catch(() => undefined);
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.readiness.draining = true;
    this.log.info({ signal }, 'shutting down');
    await this.consumers.stopAll();
    await this.registration?.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.rpcProxy.close();
    await this.nats.drain().catch(() => undefined);
    this.etcd.close();
    this.log.info({}, 'stopped');
  }
}
