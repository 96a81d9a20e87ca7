/**
 * Readiness means "this instance can serve" (issue 13.9): it has started, is not draining, and
 * its NATS connection answers. etcd is reported beside it, never a reason to be unready: with
 * quorum lost every instance would turn unready at once, a Kubernetes Service would drop every
 * endpoint, and clients would get connection errors instead of the API's JSON 503 naming etcd.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { checkQuorum, reachableMembers, type EtcdConnection } from '@ticketcd/etcd';
import { prefixes } from '@ticketcd/keys';
import { checkNats, type NatsConnection } from '@ticketcd/messaging';
import { Metrics } from '@ticketcd/observability';
import { ETCD, NATS, SERVICE_IDENTITY, type ServiceIdentity } from './tokens.js';

export const READINESS_TIMEOUT_MS = 1000;
/** How often each instance probes etcd on its own (issue 18.2: quorum loss noticed, and its end, within about a second). */
export const ETCD_MONITOR_MS = 1000;
/** A failing probe counts as a quorum loss after this long even when members answer (a partition, one endpoint). */
const QUORUM_LOST_AFTER_MS = 5000;

export type ProcessState = 'starting' | 'started' | 'draining';

/** The process's own part of readiness: `bootstrapService` sets `started`, the lifecycle `draining`. */
@Injectable()
export class ReadinessState {
  /** Every listener is up (HTTP and NATS) and the start-up hooks have run. */
  started = false;
  /** SIGTERM arrived: take no new traffic while in-flight work finishes. */
  draining = false;
  /**
   * A configuration error of this deployment found at start-up and checked again until it is
   * fixed (issue 25.3: an event subject of this service that no stream takes), else null.
   */
  misconfigured: string | null = null;

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
 *
 * Issue 18.2: it also runs every ETCD_MONITOR_MS and says whether etcd's quorum is known lost
 * (`etcdQuorumLost`), so requests fail (writes) or fall back to member-local reads at once
 * instead of each waiting out a deadline. Known lost = the probe failed and most members do not
 * answer at all, or it has failed for QUORUM_LOST_AFTER_MS: during a leader election the members
 * answer, and orders keep waiting the election out instead of failing fast.
 */
@Injectable()
export class DependencyProbe implements OnApplicationBootstrap, OnApplicationShutdown {
  private inFlight: Promise<DependencyStatus> | null = null;
  private monitor: NodeJS.Timeout | null = null;
  private failingSince: number | null = null;
  private lost: string | null = null;

  constructor(
    @Inject(ETCD) private readonly etcd: EtcdConnection,
    @Inject(NATS) private readonly nats: NatsConnection,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
  ) {}

  onApplicationBootstrap(): void {
    const tick = () => {
      this.monitor = setTimeout(() => void this.check().finally(tick), ETCD_MONITOR_MS);
      this.monitor.unref();
    };
    tick();
  }

  onApplicationShutdown(): void {
    if (this.monitor) clearTimeout(this.monitor);
    this.monitor = null;
  }

  /** Why etcd's quorum is known lost (writes cannot succeed; reads may only be member-local), or null. */
  get etcdQuorumLost(): string | null {
    return this.lost;
  }

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
    this.track(e.ok, e.authFailed === true);
    this.metrics.ready.set({ dependency: 'etcd' }, e.ok ? 1 : 0);
    this.metrics.ready.set({ dependency: 'nats' }, n.ok ? 1 : 0);
    return {
      etcd: e.ok
        ? { status: 'up', latencyMs: e.latencyMs, revision: e.revision }
        : { status: 'unavailable', message: e.reason, latencyMs: e.latencyMs, ...(e.authFailed ? { authFailed: true } : {}) },
      nats: n.ok ? { status: 'up', rttMs: n.rttMs } : { status: 'unavailable', message: n.reason },
    };
  }

  private assessing = false;

  /** Beside the probe, not in it: /readyz does not wait for the members' count. */
  private track(ok: boolean, authFailed: boolean): void {
    if (ok || authFailed) {
      this.failingSince = null;
      this.lost = null;
      return;
    }
    this.failingSince ??= Date.now();
    if (this.assessing) return;
    this.assessing = true;
    void reachableMembers(this.etcd, 500)
      .catch(() => ({ reachable: 0, total: 0 }))
      .then((m) => {
        if (this.failingSince === null) return; // the probe succeeded meanwhile
        const electing = m.total > 0 && m.reachable > m.total / 2 && Date.now() - this.failingSince < QUORUM_LOST_AFTER_MS;
        if (!electing) this.lost = `etcd quorum lost: ${m.reachable} of ${m.total || '?'} members reachable`;
      })
      .finally(() => {
        this.assessing = false;
      });
  }
}
