/**
 * Issue 25 point 2: one notifier instance at a time evaluates an event's stock changes.
 *
 * Events are hashed onto the same partitions as inventory's (`partitionOf`); each instance holds
 * a share of them on an etcd lease (PartitionOwnership, `partition:notifier:<nn>`) and listens on
 * `notifier.stock.p<n>` for the partitions it holds. The durable consumer stays shared (any
 * instance receives any message); an instance that receives changes of an event it does not own
 * forwards them (that event's part of the batch) to the owner and acks only once the owner
 * answered. Nobody listening there (no responders: a dead owner whose lease has not run out, or
 * a handover gap): it evaluates them itself, a stand-in. A timeout: the owner may still be at it,
 * so the failure is transient (UNAVAILABLE): the consumer pauses and naks, the message comes
 * again later, never parked for it.
 *
 * Ownership only keeps instances from racing on the same subscriptions (and keeps an event's
 * batches in order): correctness rests on the alert ids (Create == 0) and the subscriptions' mod
 * revision guards, so a stand-in and an owner acting at once are harmless.
 */
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { headers as natsHeaders, type Msg, type Subscription } from '@nats-io/nats-core';
import {
  AppError,
  HEADERS,
  NOTIFIER_PARTITIONS,
  notifierStockSubject,
  partitionOf,
  stockChangesForward,
  zodFields,
  type RpcReply,
} from '@ticketcd/contracts';
import { PartitionOwnership, type EtcdConnection } from '@ticketcd/etcd';
import { keys, prefixes } from '@ticketcd/keys';
import { isNoResponders, type NatsConnection } from '@ticketcd/messaging';
import { currentTraceId, newTraceId, runWithTrace } from '@ticketcd/observability';
import { classifyFailure, ETCD, Lifecycle, NATS, SERVICE_IDENTITY, toRpcError, type ServiceIdentity } from '@ticketcd/platform';
import { PinoLogger } from 'nestjs-pino';
import { CrossingsService, type CrossingOutcome, type StockChangedData } from './crossings.service.js';
import { NOTIFIER_CONFIG, type NotifierConfig } from './notifier.config.js';

@Injectable()
export class StockPartitions implements OnApplicationBootstrap {
  private readonly ownership: PartitionOwnership;
  private readonly subs = new Map<number, Subscription>();
  private readonly encoder = new TextEncoder();
  readonly stats = { local: 0, forwarded: 0, standIn: 0, served: 0 };

  constructor(
    @Inject(ETCD) etcd: EtcdConnection,
    @Inject(NATS) private readonly nats: NatsConnection,
    @Inject(NOTIFIER_CONFIG) private readonly config: NotifierConfig,
    @Inject(SERVICE_IDENTITY) identity: ServiceIdentity,
    private readonly crossings: CrossingsService,
    private readonly lifecycle: Lifecycle,
    private readonly log: PinoLogger,
  ) {
    log.setContext('stock-partitions');
    this.ownership = new PartitionOwnership(etcd, {
      partitions: NOTIFIER_PARTITIONS,
      instanceId: identity.instanceId,
      ttlSeconds: config.PARTITION_LEASE_TTL_S,
      keyOf: (p) => keys.partition('notifier', p),
      prefix: prefixes.partitionsOf('notifier'),
      memberKey: keys.partitionMember('notifier', identity.instanceId),
      membersPrefix: prefixes.partitionMembersOf('notifier'),
      onAcquire: (p) => this.listen(p),
      onRelease: (p) => this.unlisten(p),
      log: { info: (o, m) => log.info(o, m), warn: (o, m) => log.warn(o, m) },
    });
    // SIGTERM: stop listening, then revoke the lease so the others take the partitions at once.
    lifecycle.onDrain('stock-partitions', () => this.ownership.stop());
  }

  /** The first share is taken before the consumer's messages arrive in earnest (a lone instance owns all). */
  async onApplicationBootstrap(): Promise<void> {
    await this.ownership.start();
  }

  ownedPartitions(): number[] {
    return this.ownership.ownedPartitions();
  }

  /** One event's stock changes from the consumer: evaluated here if ours, else by the owner. */
  async handle(eventId: string, changes: StockChangedData[]): Promise<CrossingOutcome & { where: 'here' | 'owner' | 'stand-in' }> {
    const p = partitionOf(eventId, NOTIFIER_PARTITIONS);
    if (this.ownership.isOwned(p)) {
      this.stats.local++;
      return { ...(await this.crossings.onStockChanges(eventId, changes)), where: 'here' };
    }
    const answered = await this.forward(p, eventId, changes);
    if (answered) {
      this.stats.forwarded++;
      return { ...answered, where: 'owner' };
    }
    this.stats.standIn++;
    return { ...(await this.crossings.onStockChanges(eventId, changes)), where: 'stand-in' };
  }

  /** The owner's outcome, or null when nobody listens on the partition (nothing was delivered). */
  private async forward(p: number, eventId: string, changes: StockChangedData[]): Promise<CrossingOutcome | null> {
    const subject = notifierStockSubject(p);
    const ms = this.config.NOTIFIER_FORWARD_TIMEOUT_MS;
    let msg: Msg;
    try {
      // The batch's trace goes with it, so the owner's logs join the consumer's.
      const h = natsHeaders();
      h.set(HEADERS.traceId, currentTraceId() ?? newTraceId());
      msg = await this.nats.request(subject, this.encoder.encode(JSON.stringify({ eventId, changes })), { timeout: ms, headers: h });
    } catch (e) {
      if (isNoResponders(e)) return null;
      // It may have arrived: the owner may still be evaluating. Transient: retried later, never parked.
      throw AppError.unavailable('notifier', `the owner of partition ${p} did not answer in ${ms} ms (${(e as Error).message})`);
    }
    const reply = msg.json<RpcReply<CrossingOutcome>>();
    if (!reply.ok) throw new AppError(reply.error);
    return reply.data;
  }

  private listen(p: number): void {
    if (this.subs.has(p)) return;
    const subject = notifierStockSubject(p);
    // Queue group: during a handover two instances may briefly both listen; one of them answers.
    const sub = this.nats.subscribe(subject, {
      queue: 'notifier',
      callback: (err, msg) => {
        if (!err) void this.serve(subject, msg);
      },
    });
    this.subs.set(p, sub);
  }

  private async unlisten(p: number): Promise<void> {
    const sub = this.subs.get(p);
    if (!sub) return;
    this.subs.delete(p);
    // Requests already delivered are still answered.
    await sub.drain().catch(() => undefined);
  }

  /** Changes forwarded by another instance: evaluated here (in the event's turn), answered with the outcome or the error. */
  private async serve(subject: string, msg: Msg): Promise<void> {
    this.lifecycle.rpcInFlight.enter();
    let reply: RpcReply<CrossingOutcome>;
    try {
      const parsed = stockChangesForward.safeParse(msg.json());
      if (!parsed.success) {
        reply = { ok: false, error: { code: 'BAD_REQUEST', message: `invalid ${subject} request`, fields: zodFields(parsed.error) } };
      } else {
        try {
          this.stats.served++;
          const { eventId, changes } = parsed.data;
          const traceId = msg.headers?.get(HEADERS.traceId) || undefined;
          reply = { ok: true, data: await runWithTrace(traceId, () => this.crossings.onStockChanges(eventId, changes)) };
        } catch (e) {
          const { error, unexpected } = toRpcError(e);
          // What the forwarder's consumer should wait out (subscriptions kept changing, etcd down) stays transient over the wire.
          if (unexpected && classifyFailure(e) === 'transient')
            reply = { ok: false, error: { code: 'UNAVAILABLE', dependency: 'notifier', message: (e as Error).message } };
          else {
            if (unexpected) this.log.error({ err: e, subject }, 'forwarded stock changes failed');
            reply = { ok: false, error };
          }
        }
      }
    } catch (e) {
      reply = { ok: false, error: { code: 'BAD_REQUEST', message: `unreadable ${subject} request: ${(e as Error).message}` } };
    }
    try {
      if (msg.reply) msg.respond(JSON.stringify(reply));
    } finally {
      this.lifecycle.rpcInFlight.leave();
    }
  }
}
