/**
 * Prometheus metrics: one registry per process with service and instance as default labels,
 * Node's default metrics, and the platform's own counters and histograms.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();

  readonly rpcDuration: Histogram<'subject' | 'outcome'>;
  /** HTTP requests answered by this process (the gateway), from arrival to the response's end. */
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly messagesHandled: Counter<'durable' | 'outcome'>;
  readonly ready: Gauge<'dependency'>;
  /** 1 while this instance holds etcd's quorum lost (writes refused at once), and how often it declared so. */
  readonly quorumLost: Gauge;
  readonly quorumLostTotal: Counter;
  /** Durable consumers, read from JetStream at scrape time (shared state: every instance reports the same). */
  readonly consumerPending: Gauge<'durable'>;
  readonly consumerAckPending: Gauge<'durable'>;
  readonly consumerRedelivered: Gauge<'durable'>;
  readonly consumerParked: Gauge<'durable'>;
  /** The service's outbox: entries waiting, age of the oldest, entries set aside as poison. */
  readonly outboxBacklog: Gauge;
  readonly outboxOldestAge: Gauge;
  readonly outboxQuarantined: Gauge;
  readonly outboxQuarantinedTotal: Counter;
  private readonly refreshers: (() => Promise<void>)[] = [];

  constructor(service: string, instance: string) {
    this.registry.setDefaultLabels({ service, instance });
    collectDefaultMetrics({ register: this.registry });
    this.rpcDuration = new Histogram({
      name: 'ticketcd_rpc_handler_seconds',
      help: 'Time spent answering a NATS request, by subject and outcome',
      labelNames: ['subject', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'ticketcd_http_request_seconds',
      help: 'Time from a request reaching the gateway to its response sent, by method, route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.messagesHandled = new Counter({
      name: 'ticketcd_jetstream_messages_total',
      help: 'JetStream deliveries handled by durable consumers: acked, retried (failed, nak), deferred (not tried while the consumer pauses for a dependency) or parked',
      labelNames: ['durable', 'outcome'],
      registers: [this.registry],
    });
    this.ready = new Gauge({
      name: 'ticketcd_dependency_up',
      help: '1 when the dependency answered the last check (/readyz or a /metrics scrape)',
      labelNames: ['dependency'],
      registers: [this.registry],
    });
    this.quorumLost = new Gauge({
      name: 'ticketcd_etcd_quorum_lost',
      help: '1 while this instance holds etcd quorum lost: most members refuse connections or have no leader (writes refused at once)',
      registers: [this.registry],
    });
    this.quorumLostTotal = new Counter({
      name: 'ticketcd_etcd_quorum_lost_total',
      help: 'Times this instance declared etcd quorum lost',
      registers: [this.registry],
    });
    const gauge = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Gauge<L>({ name, help, labelNames, registers: [this.registry] });
    this.consumerPending = gauge(
      'ticketcd_consumer_pending',
      'Messages of the stream not yet delivered to the durable consumer (num_pending)',
      ['durable'],
    );
    this.consumerAckPending = gauge(
      'ticketcd_consumer_ack_pending',
      'Messages delivered to the durable consumer and not acked yet, including those waiting to be retried (num_ack_pending)',
      ['durable'],
    );
    this.consumerRedelivered = gauge(
      'ticketcd_consumer_redelivered',
      'Messages of the durable consumer delivered more than once and not acked yet (num_redelivered)',
      ['durable'],
    );
    this.consumerParked = gauge(
      'ticketcd_consumer_parked',
      'Messages the durable consumer parked, still in the PARKED stream (npm run parked -- list)',
      ['durable'],
    );
    this.outboxBacklog = gauge('ticketcd_outbox_backlog', 'Outbox entries of this service left after the last relay sweep', []);
    this.outboxOldestAge = gauge(
      'ticketcd_outbox_oldest_age_seconds',
      "Age of the oldest entry left in this service's outbox (0 when empty)",
      [],
    );
    this.outboxQuarantined = gauge(
      'ticketcd_outbox_quarantined',
      'Outbox entries of this service in quarantine (npm run outbox -- list)',
      [],
    );
    this.outboxQuarantinedTotal = new Counter({
      name: 'ticketcd_outbox_quarantined_total',
      help: 'Outbox entries this instance moved to the quarantine (could not be expanded or published)',
      registers: [this.registry],
    });
  }

  /** A service's own gauge, read from memory at each scrape (e.g. inventory's sold-out watches). */
  gaugeOf(name: string, help: string, read: () => number): Gauge {
    return new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** Runs before each scrape, to read values that live elsewhere (JetStream, etcd). */
  onScrape(refresh: () => Promise<void>): void {
    this.refreshers.push(refresh);
  }

  /** Runs the scrape hooks, each bounded by `timeoutMs`: a dependency down leaves the last values. */
  async refresh(timeoutMs = 1000): Promise<void> {
    await Promise.all(
      this.refreshers.map((fn) => {
        let timer: NodeJS.Timeout | undefined;
        const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
        return Promise.race([fn().catch(() => undefined), bound]).finally(() => clearTimeout(timer));
      }),
    );
  }
}
