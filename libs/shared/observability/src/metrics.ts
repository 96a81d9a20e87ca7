/**
 * Prometheus metrics: one registry per process with service and instance as default labels,
 * Node's default metrics, and the platform's own counters and histograms.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();

  readonly rpcDuration: Histogram<'subject' | 'outcome'>;
  readonly messagesHandled: Counter<'durable' | 'outcome'>;
  readonly ready: Gauge<'dependency'>;

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
    this.messagesHandled = new Counter({
      name: 'ticketcd_jetstream_messages_total',
      help: 'JetStream deliveries handled by durable consumers: acked, retried (nak) or parked',
      labelNames: ['durable', 'outcome'],
      registers: [this.registry],
    });
    this.ready = new Gauge({
      name: 'ticketcd_dependency_up',
      help: '1 when the dependency answered the last check (/readyz or a /metrics scrape)',
      labelNames: ['dependency'],
      registers: [this.registry],
    });
  }
}
