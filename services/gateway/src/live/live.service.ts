/**
 * The live streams' fan-out. One core NATS subscription per subject per gateway instance
 * (inventory.stock.changed, notifier.alert.fired; JetStream publishes reach core subscribers
 * too), each message decoded with the contracts' schemas (a malformed one is ignored) and handed
 * to the connected streams of its event or user, in memory.
 *
 * A core subscription misses what is published while NATS is unreachable, so after a NATS
 * reconnect every stream is ended: clients reconnect and resynchronise (a fresh snapshot, or a
 * replay from Last-Event-ID). At shutdown every stream is ended too, or the HTTP server would
 * wait on them forever and SIGTERM would hang.
 */
import { Inject, Injectable, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { envelopeSchema, Events } from '@ticketcd/contracts';
import type { NatsConnection } from '@ticketcd/messaging';
import { Metrics } from '@ticketcd/observability';
import { Lifecycle, NATS, SERVICE_CONFIG } from '@ticketcd/platform';
import { PinoLogger } from 'nestjs-pino';
import type { FastifyReply } from 'fastify';
import { Gauge } from 'prom-client';
import type { z } from 'zod';
import type { GatewayConfig } from '../gateway.config.js';
import { ApiError } from '../http/api-error.js';
import { SseConnection } from './sse-connection.js';

export type StockChange = z.output<typeof Events.inventory.stockChanged.data>;
export type AlertFired = z.output<typeof Events.notifier.alertFired.data>;
/** An alert as a user's stream carries it (live, or replayed from the stored list). */
export type LiveAlert = Pick<AlertFired, 'alertId' | 'eventId' | 'remaining' | 'limit' | 'at'>;

type Subscription = ReturnType<NatsConnection['subscribe']>;

@Injectable()
export class LiveService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly byEvent = new Map<string, Set<SseConnection<StockChange>>>();
  private readonly byUser = new Map<string, Set<SseConnection<LiveAlert>>>();
  private readonly subscriptions: Subscription[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private clients = 0;
  private stopping = false;

  constructor(
    @Inject(NATS) private readonly nats: NatsConnection,
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
    @Inject(Metrics) metrics: Metrics,
    lifecycle: Lifecycle,
    private readonly log: PinoLogger,
  ) {
    log.setContext(LiveService.name);
    // The drain waits for every HTTP request to end: streams end then, not at the close.
    lifecycle.onDrain('live streams', () => this.beforeApplicationShutdown());
    const gauge: Gauge<'kind'> = new Gauge({
      name: 'ticketcd_gateway_live_streams',
      help: 'Open live (SSE) streams in this gateway instance, by kind',
      labelNames: ['kind'],
      registers: [metrics.registry],
      collect: () => {
        gauge.set({ kind: 'event' }, this.count(this.byEvent));
        gauge.set({ kind: 'user' }, this.count(this.byUser));
      },
    });
  }

  onModuleInit() {
    this.subscribe(Events.inventory.stockChanged, (d) => this.fanOut(this.byEvent, d.eventId, d));
    this.subscribe(Events.notifier.alertFired, (d) => this.fanOut(this.byUser, d.username, d));
    this.heartbeat = setInterval(() => this.beat(), this.config.SSE_HEARTBEAT_MS);
    this.heartbeat.unref();
    void this.watchReconnects();
  }

  beforeApplicationShutdown() {
    this.stopping = true;
    clearInterval(this.heartbeat);
    for (const sub of this.subscriptions.splice(0)) {
      try {
        sub.unsubscribe();
      } catch {
        // the connection is already closing
      }
    }
    this.endAll();
  }

  /**
   * A new stream for `key` (an event id or a username), registered at once so no message is
   * missed while the route prepares its first messages. 429 beyond SSE_MAX_CLIENTS; 503 while
   * shutting down.
   */
  connectEvent(eventId: string, res: FastifyReply): SseConnection<StockChange> {
    return this.connect(this.byEvent, eventId, res);
  }

  connectUser(username: string, res: FastifyReply): SseConnection<LiveAlert> {
    return this.connect(this.byUser, username, res);
  }

  private connect<T>(registry: Map<string, Set<SseConnection<T>>>, key: string, res: FastifyReply): SseConnection<T> {
    if (this.stopping) throw ApiError.unavailable('gateway', 'this gateway instance is shutting down; reconnect');
    if (this.clients >= this.config.SSE_MAX_CLIENTS) {
      throw ApiError.rateLimited(`this gateway instance already serves ${this.config.SSE_MAX_CLIENTS} live streams: retry after 5 s`, 5);
    }
    this.clients++;
    const conn: SseConnection<T> = new SseConnection<T>(res, () => {
      this.clients--;
      const set = registry.get(key);
      set?.delete(conn);
      if (set?.size === 0) registry.delete(key);
    });
    let set = registry.get(key);
    if (!set) registry.set(key, (set = new Set()));
    set.add(conn);
    return conn;
  }

  private subscribe<S extends z.ZodType>(def: { type: string; data: S }, handle: (data: z.output<S>) => void) {
    const sub = this.nats.subscribe(def.type, {
      callback: (err, msg) => {
        if (err) return;
        let raw: unknown;
        try {
          raw = JSON.parse(new TextDecoder().decode(msg.data));
        } catch {
          return; // not JSON: ignored
        }
        const env = envelopeSchema.safeParse(raw);
        if (!env.success || env.data.type !== def.type) return;
        const data = def.data.safeParse(env.data.data);
        if (!data.success) return;
        try {
          handle(data.data);
        } catch (e) {
          this.log.warn({ err: e, type: def.type }, 'live fan-out failed');
        }
      },
    });
    this.subscriptions.push(sub);
  }

  private fanOut<T>(registry: Map<string, Set<SseConnection<T>>>, key: string, msg: T) {
    const set = registry.get(key);
    if (!set) return;
    for (const conn of [...set]) conn.push(msg);
  }

  private beat() {
    for (const registry of [this.byEvent, this.byUser] as Map<string, Set<SseConnection<unknown>>>[]) {
      for (const set of registry.values()) for (const conn of [...set]) if (conn.isOpen) conn.comment('keep-alive');
    }
  }

  private endAll() {
    for (const registry of [this.byEvent, this.byUser] as Map<string, Set<SseConnection<unknown>>>[]) {
      for (const set of [...registry.values()]) for (const conn of [...set]) conn.end();
    }
  }

  private async watchReconnects() {
    try {
      for await (const status of this.nats.status()) {
        if (status.type === 'reconnect' && !this.stopping) {
          this.log.warn({}, 'NATS reconnected: ending live streams so their clients resynchronise');
          this.endAll();
        }
      }
    } catch {
      // the connection closed
    }
  }

  private count(registry: Map<string, Set<unknown>>) {
    let n = 0;
    for (const set of registry.values()) n += set.size;
    return n;
  }
}
