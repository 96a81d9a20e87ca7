/**
 * /healthz: the process is alive (no dependency checked, so a store outage never gets pods
 * restarted in a loop). /readyz: etcd has quorum and NATS answers; 503 names what is down.
 */
import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { checkQuorum, type EtcdConnection } from '@ticketcd/etcd';
import { checkNats, type NatsConnection } from '@ticketcd/messaging';
import { Metrics } from '@ticketcd/observability';
import { Lifecycle } from './lifecycle.service.js';
import { ETCD, NATS, SERVICE_IDENTITY, type ServiceIdentity } from './tokens.js';

export const READINESS_TIMEOUT_MS = 1000;

@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(ETCD) private readonly etcd: EtcdConnection,
    @Inject(NATS) private readonly nats: NatsConnection,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
    @Inject(Metrics) private readonly metrics: Metrics,
    private readonly lifecycle: Lifecycle,
  ) {}

  @Get('healthz')
  healthz() {
    return { status: 'ok', service: this.identity.service, instance: this.identity.instanceId, version: this.identity.version };
  }

  @Get('readyz')
  @HealthCheck()
  readyz() {
    return this.health.check([
      async () => {
        const i = this.indicators.check('service');
        return this.lifecycle.shuttingDown ? i.down({ message: 'shutting down' }) : i.up({ instance: this.identity.instanceId });
      },
      async () => {
        const i = this.indicators.check('etcd');
        const r = await checkQuorum(this.etcd, READINESS_TIMEOUT_MS);
        this.metrics.ready.set({ dependency: 'etcd' }, r.ok ? 1 : 0);
        return r.ok ? i.up({ latencyMs: r.latencyMs, revision: r.revision }) : i.down({ message: r.reason });
      },
      async () => {
        const i = this.indicators.check('nats');
        const r = await checkNats(this.nats, READINESS_TIMEOUT_MS);
        this.metrics.ready.set({ dependency: 'nats' }, r.ok ? 1 : 0);
        return r.ok ? i.up({ rttMs: r.rttMs }) : i.down({ message: r.reason });
      },
    ]);
  }
}
