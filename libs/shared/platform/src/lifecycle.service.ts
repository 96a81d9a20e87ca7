/**
 * Start-up and shutdown order. Start: streams exist (and take this service's events), consumers
 * pull, svc: key registered.
 * SIGTERM, first the drain (`drain()`): readiness turns 503 and request-reply stops taking new
 * requests (the queue group sends them to other instances); after SHUTDOWN_READY_DELAY_MS (load
 * balancers have seen readiness fail) the HTTP listener closes; then the services' drainers run
 * (inventory commits and answers its queued batches, the gateway ends its live streams) and
 * every HTTP request and RPC handler in flight is answered. Then the close: consumers stop
 * (in-flight message finishes), the svc: lease is revoked so the instance leaves the list at
 * once, NATS drains and etcd closes. SHUTDOWN_GRACE_MS bounds it all.
 */
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { STREAMS } from '@ticketcd/contracts';
import { LeasedKey, type EtcdConnection } from '@ticketcd/etcd';
import { grantsHash, keys, roleGrants, SERVICE_NAMES, type ServiceName } from '@ticketcd/keys';
import { ensureStreams, streamSettings, type NatsConnection } from '@ticketcd/messaging';
import { PinoLogger } from 'nestjs-pino';
import type { Server } from 'node:http';
import os from 'node:os';
import { ConsumerRegistry } from './consumers.js';
import { InFlight } from './in-flight.js';
import { PublishedSubjects } from './published-subjects.js';
import { ReadinessState } from './readiness.state.js';
import { ETCD, NATS, RPC_PROXY, SERVICE_CONFIG, SERVICE_IDENTITY, type ServiceIdentity } from './tokens.js';
import type { BaseServiceConfig } from '@ticketcd/config';

@Injectable()
export class Lifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private registration: LeasedKey | null = null;
  readonly httpInFlight = new InFlight();
  readonly rpcInFlight = new InFlight();
  private readonly drainers: { name: string; drain: () => Promise<void> }[] = [];
  private targets: { http?: Server; rpc?: { stopAccepting(): Promise<void> } } = {};

  constructor(
    @Inject(ETCD) private readonly etcd: EtcdConnection,
    @Inject(NATS) private readonly nats: NatsConnection,
    @Inject(RPC_PROXY) private readonly rpcProxy: ClientProxy,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
    @Inject(SERVICE_CONFIG) private readonly config: BaseServiceConfig,
    private readonly consumers: ConsumerRegistry,
    private readonly readiness: ReadinessState,
    private readonly subjects: PublishedSubjects,
    private readonly log: PinoLogger,
  ) {
    log.setContext('lifecycle');
  }

  async onApplicationBootstrap(): Promise<void> {
    await ensureStreams(this.nats, STREAMS, streamSettings(this.config.NATS_STREAM_REPLICAS));
    // Each event this service publishes has its stream (else unready, checked until it does).
    await this.subjects.start();
    await this.consumers.startAll();
    const { service, instanceId } = this.identity;
    // The fingerprint of the role this code needs: `etcd-auth apply` keeps the permissions of an
    // older table until no instance reports another one (issue 29.1).
    const grants = SERVICE_NAMES.includes(service as ServiceName) ? grantsHash(roleGrants(service as ServiceName)) : undefined;
    this.registration = new LeasedKey(
      this.etcd,
      keys.svc(service, instanceId),
      () =>
        JSON.stringify({
          ...this.identity,
          host: os.hostname(),
          pid: process.pid,
          httpPort: this.config.HTTP_PORT,
          grants,
        }),
      this.config.SVC_LEASE_TTL_S,
      { info: (o, m) => this.log.info(o, m), warn: (o, m) => this.log.warn(o, m) },
    );
    // Registration retries in the background if etcd is down at start; readiness reports it.
    await this.registration.start().catch(() => undefined);
  }

  /** What the drain stops accepting on: the HTTP listener and the request-reply server. */
  useDrainTargets(targets: { http?: Server; rpc?: { stopAccepting(): Promise<void> } }): void {
    this.targets = targets;
  }

  /** Work a service finishes during the drain, after new work has stopped (e.g. queued orders). */
  onDrain(name: string, drain: () => Promise<void> | void): void {
    this.drainers.push({ name, drain: async () => drain() });
  }

  /** The first part of a SIGTERM: stop taking work, finish and answer what was taken. */
  async drain(): Promise<void> {
    const started = Date.now();
    this.readiness.draining = true;
    const { SHUTDOWN_READY_DELAY_MS: delay, SHUTDOWN_GRACE_MS: grace } = this.config;
    this.log.info({ readyDelayMs: delay, http: this.httpInFlight.count, rpc: this.rpcInFlight.count }, 'draining');
    const finished = (async () => {
      // Request-reply has no load balancer to wait for: stop at once, other instances answer.
      await Promise.all([this.targets.rpc?.stopAccepting(), new Promise((r) => setTimeout(r, delay))]);
      // Load balancers have seen readiness fail: take no new connection. Idle keep-alive
      // connections close now, busy ones after their response (which says Connection: close).
      this.targets.http?.close();
      await Promise.all(
        this.drainers.map((d) => d.drain().catch((err: unknown) => this.log.warn({ err, drainer: d.name }, 'drainer failed'))),
      );
      await Promise.all([this.httpInFlight.idle(), this.rpcInFlight.idle()]);
    })();
    // Keep a second of the grace period for the close.
    const left = Math.max(0, grace - (Date.now() - started) - 1000);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      finished.then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), left))),
    ]);
    clearTimeout(timer);
    if (timedOut)
      this.log.warn({ http: this.httpInFlight.count, rpc: this.rpcInFlight.count }, 'drain incomplete at the end of the grace period');
    else this.log.info({ ms: Date.now() - started }, 'drained');
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
