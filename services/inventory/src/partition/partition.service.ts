/**
 * Issue 17 point 5: this instance's share of the event partitions, and where a purchase goes.
 *
 * Each partition held (an etcd lease, PartitionOwnership) gets a NATS subscription on its own
 * subject (`inventory.purchase.p<n>`): orders sends there, so all orders of one event meet in
 * one instance's group commit instead of failing each other's compares across instances.
 * The plain `inventory.purchase` subject (any instance, queue group) stays: a purchase for a
 * partition held elsewhere is forwarded once to the owner's subject; only when nobody listens
 * there (a dead owner, before its lease ran out) is it decided here. A forward that may have
 * arrived (a timeout) is never decided here too: the caller retries with the same orderId.
 * Correctness never rests on ownership: the engine's compares (Mod on the ticket keys, Create==0
 * on every sale key) make two deciders harmless, ownership only keeps them apart for speed.
 */
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { headers as natsHeaders, type Msg, type Subscription } from '@nats-io/nats-core';
import {
  AppError,
  HEADERS,
  INVENTORY_PARTITIONS,
  inventoryPurchaseSubject,
  partitionOf,
  Rpc,
  zodFields,
  type RpcReply,
  type RpcRequest,
  type RpcResult,
} from '@ticketcd/contracts';
import { PartitionOwnership, type EtcdConnection } from '@ticketcd/etcd';
import { keys, prefixes } from '@ticketcd/keys';
import { isNoResponders, type NatsConnection } from '@ticketcd/messaging';
import { currentDeadline, currentTraceId, Metrics, newTraceId, runWithTrace } from '@ticketcd/observability';
import { ETCD, Lifecycle, NATS, OutboxRelay, SERVICE_CONFIG, SERVICE_IDENTITY, toRpcError, type ServiceIdentity } from '@ticketcd/platform';
import { SOLD_BATCH } from '@ticketcd/inventory-core';
import type { BaseServiceConfig } from '@ticketcd/config';
import { PinoLogger } from 'nestjs-pino';
import { INVENTORY_CONFIG, type InventoryConfig } from '../inventory.config.js';
import { PurchaseService } from '../purchase/purchase.service.js';

/** How often partitions held elsewhere are asked whether anybody listens. */
const PROBE_MS = 1000;

type Purchase = RpcRequest<typeof Rpc.inventory.purchase>;
type Outcome = RpcResult<typeof Rpc.inventory.purchase>;

/** Nest's NATS wire format (what RpcClient sends and expects back). */
interface NestPacket {
  id?: string;
  data?: unknown;
}

@Injectable()
export class PartitionService implements OnApplicationBootstrap {
  private readonly ownership: PartitionOwnership;
  private readonly subs = new Map<number, { sub: Subscription; since: number }>();
  /** Partitions served for a holder that no longer listens (crashed, lease not yet run out): partition -> its key's mod revision then. */
  private readonly standIns = new Map<number, number>();
  private probeTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly encoder = new TextEncoder();

  constructor(
    @Inject(ETCD) etcd: EtcdConnection,
    @Inject(NATS) private readonly nats: NatsConnection,
    @Inject(INVENTORY_CONFIG) config: InventoryConfig,
    @Inject(SERVICE_CONFIG) private readonly base: BaseServiceConfig,
    @Inject(SERVICE_IDENTITY) identity: ServiceIdentity,
    @Inject(Metrics) private readonly metrics: Metrics,
    private readonly purchases: PurchaseService,
    private readonly lifecycle: Lifecycle,
    relay: OutboxRelay,
    private readonly log: PinoLogger,
  ) {
    log.setContext('partitions');
    this.ownership = new PartitionOwnership(etcd, {
      partitions: INVENTORY_PARTITIONS,
      instanceId: identity.instanceId,
      ttlSeconds: config.PARTITION_LEASE_TTL_S,
      keyOf: (p) => keys.partition('inventory', p),
      prefix: prefixes.partitionsOf('inventory'),
      memberKey: keys.partitionMember('inventory', identity.instanceId),
      membersPrefix: prefixes.partitionMembersOf('inventory'),
      onAcquire: (p) => {
        this.listen(p);
        // A previous owner may have left committed sales unrelayed.
        relay.kick();
      },
      onRelease: (p) => this.unlisten(p),
      log: { info: (o, m) => log.info(o, m), warn: (o, m) => log.warn(o, m) },
    });
    // One relay per outbox partition: a purchase batch's entry is relayed by its event's owner.
    relay.setResponsibility((kind, payload) => {
      const eventId = (payload as { eventId?: unknown } | null)?.eventId;
      return kind !== SOLD_BATCH || typeof eventId !== 'string' || this.ownership.isOwned(partitionOf(eventId));
    });
    // SIGTERM: stop listening on our partitions, then revoke the lease so the others take them at once.
    lifecycle.onDrain('partitions', async () => {
      this.stopped = true;
      if (this.probeTimer) clearTimeout(this.probeTimer);
      for (const p of [...this.standIns.keys()]) await this.unlisten(p);
      this.standIns.clear();
      await this.ownership.stop();
    });
  }

  /** The first share is taken before the app answers: a lone instance owns every partition once ready. */
  async onApplicationBootstrap(): Promise<void> {
    await this.ownership.start();
    this.scheduleProbe();
  }

  private scheduleProbe() {
    if (this.stopped) return;
    this.probeTimer = setTimeout(() => {
      void this.probe()
        .catch((e: unknown) => this.log.warn({ err: (e as Error).message }, 'partition probe failed'))
        .finally(() => this.scheduleProbe());
    }, PROBE_MS);
    this.probeTimer.unref();
  }

  /**
   * A crashed owner's keys live until its lease runs out (PARTITION_LEASE_TTL_S), and all that
   * time nobody would listen on its partitions: orders would get 503s. NATS knows sooner (the
   * connection is gone, a request finds no responders), so each second every instance asks each
   * partition held elsewhere; one nobody answers is served here (stand-in) until its key changes
   * hands. Two servers of a partition for a moment are harmless: the engine's compares decide.
   */
  private async probe(): Promise<void> {
    const probes: Promise<void>[] = [];
    for (let p = 0; p < INVENTORY_PARTITIONS; p++) {
      if (this.ownership.isOwned(p)) {
        this.standIns.delete(p);
        continue;
      }
      const holder = this.ownership.holderOf(p);
      const revision = this.ownership.holderRevisionOf(p);
      const standingFor = this.standIns.get(p);
      if (standingFor !== undefined) {
        // Until the key changes hands (someone acquired it, or its holder restarted and took it back).
        if (revision !== null && revision !== standingFor) {
          this.standIns.delete(p);
          await this.unlisten(p);
        }
        continue;
      }
      if (holder === null || revision === null || this.subs.has(p)) continue;
      const subject = inventoryPurchaseSubject(p);
      probes.push(
        this.nats.request(subject, new Uint8Array(0), { timeout: 500 }).then(
          () => undefined,
          (e: unknown) => {
            if (!isNoResponders(e) || this.stopped || this.ownership.isOwned(p) || this.ownership.holderRevisionOf(p) !== revision) return;
            this.log.warn({ partition: p, holder }, 'partition holder does not answer: serving it until its key changes hands');
            this.standIns.set(p, revision);
            this.listen(p);
          },
        ),
      );
    }
    await Promise.all(probes);
  }

  ownedPartitions(): number[] {
    return this.ownership.ownedPartitions();
  }

  /** A purchase on the plain subject: ours, forwarded to the owner, or (nobody listening) decided here. */
  async purchase(order: Purchase): Promise<Outcome> {
    const p = partitionOf(order.eventId);
    if (this.ownership.isOwned(p)) return this.purchases.purchase(order);
    const forwarded = await this.forward(p, order);
    return forwarded ?? this.purchases.purchase(order);
  }

  /** The owner's answer, or null when no instance listens on the partition (nothing was delivered). */
  private async forward(p: number, order: Purchase): Promise<Outcome | null> {
    const deadline = currentDeadline();
    const ms = Math.floor(Math.min(this.base.RPC_TIMEOUT_MS, deadline === undefined ? Infinity : deadline - Date.now()));
    if (ms < 1) throw AppError.timeout('inventory', 'no time left to forward the purchase to the owner of its partition');
    const subject = inventoryPurchaseSubject(p);
    const h = natsHeaders();
    h.set(HEADERS.traceId, currentTraceId() ?? newTraceId());
    h.set(HEADERS.budgetMs, String(ms));
    let msg: Msg;
    try {
      msg = await this.nats.request(subject, this.encoder.encode(JSON.stringify({ pattern: subject, data: order, id: newTraceId() })), {
        timeout: ms,
        headers: h,
      });
    } catch (e) {
      if (isNoResponders(e)) return null;
      // It may have arrived and sold: deciding here too would be a second decision.
      throw AppError.unavailable(
        'inventory',
        `the owner of partition ${p} did not answer in ${ms} ms (${(e as Error).message}): retry with the same orderId`,
      );
    }
    const packet = msg.json<{ response?: RpcReply<Outcome>; err?: unknown }>();
    const reply = packet.response;
    if (!reply) throw AppError.unavailable('inventory', `the owner of partition ${p} sent no reply`);
    if (!reply.ok) throw new AppError(reply.error);
    return reply.data;
  }

  private listen(p: number): void {
    if (this.subs.has(p)) return;
    const subject = inventoryPurchaseSubject(p);
    // Queue group: during a handover two instances may briefly both listen; one of them answers.
    const since = Date.now();
    const sub = this.nats.subscribe(subject, {
      queue: 'inventory',
      callback: (err, msg) => {
        if (!err) void this.serve(subject, msg, since);
      },
    });
    this.subs.set(p, { sub, since });
  }

  private async unlisten(p: number): Promise<void> {
    const held = this.subs.get(p);
    if (!held) return;
    this.subs.delete(p);
    // Requests the server already sent are still answered.
    await held.sub.drain().catch(() => undefined);
  }

  /** One purchase on a partition subject, answered like a Nest handler behind RpcInterceptor. */
  private async serve(subject: string, msg: Msg, since: number): Promise<void> {
    // A probe (is anybody listening, and since when?): an empty answer saying how long we have
    // listened here. Orders resends a purchase it sent before we started listening: it went to the
    // previous listener, which may have died with it (issue 25 point 6).
    if (msg.data.length === 0) {
      const h = natsHeaders();
      h.set(HEADERS.listeningMs, String(Date.now() - since));
      if (msg.reply) msg.respond(new Uint8Array(0), { headers: h });
      return;
    }
    const started = performance.now();
    this.lifecycle.rpcInFlight.enter();
    let reply: RpcReply<Outcome>;
    let id: string | undefined;
    try {
      const packet = msg.json<NestPacket>();
      id = packet.id;
      const traceId = msg.headers?.get(HEADERS.traceId) || undefined;
      const budgetMs = Number(msg.headers?.get(HEADERS.budgetMs));
      const deadlineAt = Number.isFinite(budgetMs) && budgetMs > 0 ? Date.now() + budgetMs : undefined;
      const parsed = Rpc.inventory.purchase.request.safeParse(packet.data);
      if (!parsed.success) {
        reply = { ok: false, error: { code: 'BAD_REQUEST', message: `invalid ${subject} request`, fields: zodFields(parsed.error) } };
      } else {
        reply = await runWithTrace(
          traceId,
          async (): Promise<RpcReply<Outcome>> => {
            try {
              return { ok: true, data: await this.purchases.purchase(parsed.data) };
            } catch (e) {
              const { error, unexpected } = toRpcError(e);
              if (unexpected) this.log.error({ err: e, subject }, 'rpc handler failed');
              return { ok: false, error };
            }
          },
          deadlineAt,
        );
      }
    } catch (e) {
      reply = { ok: false, error: { code: 'BAD_REQUEST', message: `unreadable ${subject} request: ${(e as Error).message}` } };
    }
    try {
      if (msg.reply) msg.respond(JSON.stringify({ id, response: reply, isDisposed: true }));
    } finally {
      this.metrics.rpcDuration.observe({ subject, outcome: reply.ok ? 'ok' : reply.error.code }, (performance.now() - started) / 1000);
      this.lifecycle.rpcInFlight.leave();
    }
  }
}
