/**
 * Readiness means "this instance can serve" (issue 13.9): it has started, is not draining, and
 * its NATS connection answers. etcd is reported beside it, never a reason to be unready: with
 * quorum lost every instance would turn unready at once, a Kubernetes Service would drop every
 * endpoint, and clients would get connection errors instead of the API's JSON 503 naming etcd.
 */
import { Inject, Injectable } from '@nestjs/common';
import { checkQuorum, type EtcdConnection } from '@ticketcd/etcd';
import { prefixes } from '@ticketcd/keys';
import { checkNats, type NatsConnection } from '@ticketcd/messaging';
import { Metrics } from '@ticketcd/observability';
import { ETCD, NATS, SERVICE_IDENTITY, type ServiceIdentity } from './tokens.js';

export const READINESS_TIMEOUT_MS = 1000;

export type ProcessState = 'starting' | 'started' | 'draining';

/** The process's own part of readiness: `bootstrapService` sets `started`, the lifecycle `draining`. */
@Injectable()
export class ReadinessState {
  /** Every listener is up (HTTP and NATS) and the start-up hooks have run. */
  started = false;
  /** SIGTERM arrived: take no new traffic while in-flight work finishes. */
  draining = false;

  get process(): ProcessState {
    return this.draining ? 'draining' : this.started ? 'started' : 'starting';
  }
}

export interface DependencyCheck {
  status: 'up' | 'unavailable';
  message?: string;
  latencyMs?: number;
  revision?: number;
  rttMs?: number;
  /** etcd refused this instance's user: unlike an outage, this makes the instance unready. */
  authFailed?: boolean;
}

export interface DependencyStatus {
  etcd: DependencyCheck;
  nats: DependencyCheck;
}

/**
 * Checks etcd (a linearizable read: needs quorum) and NATS (a round trip), each within
 * READINESS_TIMEOUT_MS, and keeps `ticketcd_dependency_up` current. /readyz and /metrics both
 * call it; callers at the same moment share one probe.
 */
@Injectable()
export class DependencyProbe {
  private inFlight: Promise<DependencyStatus> | null = null;

  constructor(
    @Inject(ETCD) private readonly etcd: EtcdConnection,
    @Inject(NATS) private readonly nats: NatsConnection,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
  ) {}

  check(): Promise<DependencyStatus> {
    this.inFlight ??= this.run().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async run(): Promise<DependencyStatus> {
    const [e, n] = await Promise.all([
      checkQuorum(this.etcd, READINESS_TIMEOUT_MS, prefixes.svcOf(this.identity.service)),
      checkNats(this.nats, READINESS_TIMEOUT_MS),
    ]);
    this.metrics.ready.set({ dependency: 'etcd' }, e.ok ? 1 : 0);
    this.metrics.ready.set({ dependency: 'nats' }, n.ok ? 1 : 0);
    return {
      etcd: e.ok
        ? { status: 'up', latencyMs: e.latencyMs, revision: e.revision }
        : { status: 'unavailable', message: e.reason, latencyMs: e.latencyMs, ...(e.authFailed ? { authFailed: true } : {}) },
      nats: n.ok ? { status: 'up', rttMs: n.rttMs } : { status: 'unavailable', message: n.reason },
    };
  }
}
