/**
 * Readiness means "this instance can serve" (issue 13.9): it has started, is not draining, and
 * its NATS connection answers. etcd is reported beside it, never a reason to be unready: with
 * quorum lost every instance would turn unready at once, a Kubernetes Service would drop every
 * endpoint, and clients would get connection errors instead of the API's JSON 503 naming etcd.
 */
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { checkQuorum, QuorumMonitor, type EtcdConnection } from '@ticketcd/etcd';
import { prefixes } from '@ticketcd/keys';
import { checkNats, type NatsConnection } from '@ticketcd/messaging';
import { Metrics } from '@ticketcd/observability';
import { PinoLogger } from 'nestjs-pino';
import { ETCD, NATS, SERVICE_IDENTITY, type ServiceIdentity } from './tokens.js';

export const READINESS_TIMEOUT_MS = 1000;
/** How often each instance probes etcd on its own, for the gauge and to see the quorum's return (issue 18.2). */
export const ETCD_MONITOR_MS = 1000;

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
  /** etcd only: this instance's quorum verdict and the last sweep of the members behind it (issue 25.1). */
  quorum?: QuorumReport;
}

export interface QuorumReport {
  /** Why the quorum is known lost (writes refused at once), or absent. */
  lost?: string;
  /** Since when (epoch ms) it is known lost. */
  lostSince?: number;
  /** The last sweep: how many members answered with a leader, without one, refused, or stayed silent. */
  members?: { leader: number; noLeader: number; refused: number; silent: number; ageMs: number };
  /** Times this instance declared the quorum lost since it started. */
  declared: number;
}

export interface DependencyStatus {
  etcd: DependencyCheck;
  nats: DependencyCheck;
}

/**
 * Checks etcd (a linearizable read: needs quorum) and NATS (a round trip), each within
 * READINESS_TIMEOUT_MS, and keeps `ticketcd_dependency_up` current. /readyz and /metrics both
 * call it; callers at the same moment share one probe; it also runs every ETCD_MONITOR_MS.
 *
 * Whether etcd's quorum is known lost (`etcdQuorumLost`, issues 18.2 and 25.1) is a QuorumMonitor's
 * verdict, not this probe's: a failed read or a timeout proves nothing (a busy cluster misses
 * deadlines), a majority of members refusing connections or leaderless does. While it is lost,
 * requests fail (writes) or fall back to member-local reads at once instead of each waiting out a
 * deadline; a successful read here ends it as surely as the members' own answers.
 */
@Injectable()
export class DependencyProbe implements OnApplicationBootstrap, OnApplicationShutdown {
  private inFlight: Promise<DependencyStatus> | null = null;
  private monitor: NodeJS.Timeout | null = null;
  private readonly quorum: QuorumMonitor;

  constructor(
    @Inject(ETCD) private readonly etcd: EtcdConnection,
    @Inject(NATS) private readonly nats: NatsConnection,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
    private readonly log: PinoLogger,
  ) {
    log.setContext('etcd-quorum');
    this.quorum = new QuorumMonitor(etcd);
    this.metrics.quorumLost.set(0);
    this.quorum.onChange((lost) => {
      this.metrics.quorumLost.set(lost ? 1 : 0);
      if (lost) this.metrics.quorumLostTotal.inc();
      if (lost) this.log.warn({ reason: lost }, 'etcd quorum lost: writes are refused until it is back');
      else this.log.warn('etcd quorum back');
    });
  }

  onApplicationBootstrap(): void {
    this.quorum.start();
    const tick = () => {
      this.monitor = setTimeout(() => void this.check().finally(tick), ETCD_MONITOR_MS);
      this.monitor.unref();
    };
    tick();
  }

  onApplicationShutdown(): void {
    if (this.monitor) clearTimeout(this.monitor);
    this.monitor = null;
    this.quorum.close();
  }

  /** Why etcd's quorum is known lost (writes cannot succeed; reads may only be member-local), or null. */
  get etcdQuorumLost(): string | null {
    return this.quorum.lost;
  }

  /**
   * Calls `listener` with the reason each time the quorum is declared lost (the gateway answers
   * the writes in flight then); returns the function that stops it.
   */
  onQuorumLost(listener: (reason: string) => void): () => void {
    return this.quorum.onChange((lost) => {
      if (lost) listener(lost);
    });
  }

  /**
   * `work`, or as soon as the quorum is declared lost the error `onLost` makes, whichever comes
   * first (a write in flight then is answered at once; `work` goes on, unobserved).
   */
  raceQuorumLoss<T>(work: Promise<T>, onLost: (reason: string) => Error): Promise<T> {
    let stop: () => void = () => undefined;
    const lost = new Promise<never>((_, reject) => {
      const now = this.quorum.lost;
      if (now) return reject(onLost(now));
      stop = this.onQuorumLost((reason) => reject(onLost(reason)));
    });
    return Promise.race([work, lost]).finally(() => stop());
  }

  check(): Promise<DependencyStatus> {
    this.inFlight ??= this.run().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async run(): Promise<DependencyStatus> {
    const sent = Date.now();
    const [e, n] = await Promise.all([
      checkQuorum(this.etcd, READINESS_TIMEOUT_MS, prefixes.svcOf(this.identity.service)),
      checkNats(this.nats, READINESS_TIMEOUT_MS),
    ]);
    if (e.ok) this.quorum.reachable(sent);
    this.metrics.ready.set({ dependency: 'etcd' }, e.ok ? 1 : 0);
    this.metrics.ready.set({ dependency: 'nats' }, n.ok ? 1 : 0);
    const quorum = this.quorumReport();
    return {
      etcd: e.ok
        ? { status: 'up', latencyMs: e.latencyMs, revision: e.revision, quorum }
        : {
            status: 'unavailable',
            message: e.reason,
            latencyMs: e.latencyMs,
            ...(e.authFailed ? { authFailed: true } : {}),
            quorum,
          },
      nats: n.ok ? { status: 'up', rttMs: n.rttMs } : { status: 'unavailable', message: n.reason },
    };
  }

  private quorumReport(): QuorumReport {
    const last = this.quorum.lastSweep;
    const lost = this.quorum.lost;
    return {
      ...(lost ? { lost, lostSince: this.quorum.lostSince } : {}),
      ...(last
        ? {
            members: {
              leader: last.counts.leader,
              noLeader: last.counts['no-leader'],
              refused: last.counts.refused,
              silent: last.counts.silent,
              ageMs: Date.now() - last.at,
            },
          }
        : {}),
      declared: this.quorum.declared,
    };
  }
}
