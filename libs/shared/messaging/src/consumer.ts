/**
 * Durable JetStream consumer with at-least-once handling:
 *  - a message is acked only after the handler resolved (i.e. after its etcd write);
 *  - a failure is classified (failures.ts). A dependency down (transient) is retried for as long
 *    as it takes, never parked (invariant 5): the whole consumer pauses with a capped, growing
 *    delay, messages that arrive meanwhile go back with a nak for the rest of the pause, and the
 *    first message after it is the probe. One failure does not cost every buffered message a
 *    deadline, and no message uses up attempts while etcd or NATS is away;
 *  - a permanent failure (unparseable data) is parked at once; an unknown one after
 *    `maxAttempts` failures, with growing delays between them. Parking copies the message to
 *    the PARKED stream with the error, then terminates it: kept, visible, re-playable
 *    (`npm run parked`), never silently dropped;
 *  - a crash before the ack leaves the message unacked; it is delivered again after `ackWaitMs`.
 *  - batches (`batchHandler`): messages that queued up are handed over in groups of up to
 *    `maxBatch`, each group acked only after the batch handler resolved (one etcd Txn per group
 *    instead of one per message). A transient failure pauses and naks the whole group; any other
 *    failure hands the group's messages to `handler` one by one, so one bad message is retried
 *    and parked on its own and the others still go through (handlers are idempotent).
 * The server-side max_deliver is unlimited on purpose, so the attempt bound is enforced only
 * here, where parking happens (a server-side bound would drop the message unparked). Attempts
 * are counted here too, not from the delivery count: naks during a pause are not attempts.
 * Handlers must be idempotent: redelivery is normal.
 */
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, nanos, type NatsConnection } from '@nats-io/nats-core';
import { envelopeSchema, HEADERS, PARKED_STREAM, parkedSubject, type EventEnvelope } from '@ticketcd/contracts';
import { runWithTrace, type Logger } from '@ticketcd/observability';
import { classifyMessagingFailure, type FailureClassifier, type FailureKind } from './failures.js';

export interface DeliveryInfo {
  deliveryCount: number;
  streamSequence: number;
  subject: string;
}

export type EventHandler = (event: EventEnvelope, info: DeliveryInfo) => Promise<void>;

export interface BatchItem {
  event: EventEnvelope;
  info: DeliveryInfo;
}

/** Handles a group of messages at once; resolves only when every item's write is done. */
export type BatchHandler = (items: BatchItem[]) => Promise<void>;

export interface DurableConsumerOptions {
  stream: string;
  durable: string;
  /** One subject filter, or none for the whole stream (one filter per consumer: the 2.9 servers took no more). */
  filterSubject?: string;
  handler: EventHandler;
  /**
   * Optional: messages that queued up go here in groups (in stream order within a group; with
   * `concurrency` above 1, several groups at once). `handler` still handles a message alone when
   * its group failed for a reason other than a dependency being down.
   */
  batchHandler?: BatchHandler;
  /** Messages per batchHandler call, at most (default 100). */
  maxBatch?: number;
  /**
   * Batch mode: a group smaller than `maxBatch` waits until its oldest message has queued this
   * long (default 0: at once). For consumers whose writes can wait a little: under load each
   * group's Txn then carries many messages instead of one or two (issue 27).
   */
  lingerMs?: number;
  /** Failures of unknown cause before the message is parked (transient ones never count). */
  maxAttempts?: number;
  /** After the n-th failure of unknown cause, the message comes back after backoffMs[n-1] (the last value repeats). */
  backoffMs?: number[];
  /** After the n-th transient failure in a row, the consumer pauses pauseMs[n-1] (the last value repeats: the cap). */
  pauseMs?: number[];
  /** Default: classifyMessagingFailure; the platform adds etcd's and the domain's errors. */
  classify?: FailureClassifier;
  ackWaitMs?: number;
  /** Messages buffered per pull. */
  batch?: number;
  /**
   * Messages handled at once (default 1: in stream order). Above 1, messages finish in any
   * order: only for handlers that are correct under reordering (e.g. version-guarded writes).
   */
  concurrency?: number;
  /** acked; retried (failed, back later); deferred (not tried: the consumer is pausing); parked. */
  onOutcome?: (outcome: ConsumerOutcome, failure?: FailureKind) => void;
}

export type ConsumerOutcome = 'acked' | 'retried' | 'deferred' | 'parked';

export const DEFAULT_BACKOFF_MS = [200, 1000, 5000, 15_000];
export const DEFAULT_PAUSE_MS = [250, 500, 1000, 2000, 5000];
/** Unknown-cause failure counts kept per stream sequence, at most (oldest forgotten first). */
const MAX_TRACKED = 10_000;

export class DurableConsumer {
  private messages: ConsumerMessages | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;
  /** While now < pausedUntil, a dependency was found down: messages are not tried. */
  private pausedUntil = 0;
  private transientInARow = 0;
  private readonly failures = new Map<number, number>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly opts: DurableConsumerOptions,
    private readonly log: Logger,
  ) {}

  get maxAttempts() {
    return this.opts.maxAttempts ?? 5;
  }

  /** Creates or updates the durable consumer, then starts pulling. */
  async start(): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    const config = {
      durable_name: this.opts.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ...(this.opts.filterSubject ? { filter_subject: this.opts.filterSubject } : {}),
      ack_wait: nanos(this.opts.ackWaitMs ?? 30_000),
      max_deliver: -1,
      max_ack_pending: 1000,
    };
    try {
      await jsm.consumers.info(this.opts.stream, this.opts.durable);
      await jsm.consumers.update(this.opts.stream, this.opts.durable, {
        ...(this.opts.filterSubject ? { filter_subject: this.opts.filterSubject } : {}),
        ack_wait: config.ack_wait,
        max_deliver: config.max_deliver,
        max_ack_pending: config.max_ack_pending,
      });
    } catch (e) {
      if (!/not found/i.test((e as Error).message)) throw e;
      try {
        await jsm.consumers.add(this.opts.stream, config);
      } catch (addErr) {
        // Another instance created it first: same durable, shared work.
        if (!/already (in use|exists)/i.test((addErr as Error).message)) throw addErr;
      }
    }
    const consumer = await jetstream(this.nc).consumers.get(this.opts.stream, this.opts.durable);
    const maxBatch = this.opts.batchHandler ? Math.max(1, this.opts.maxBatch ?? 100) : 0;
    this.messages = await consumer.consume({ max_messages: Math.max(this.opts.batch ?? 64, maxBatch) });
    this.loop = this.opts.batchHandler ? this.runBatches(this.messages, maxBatch) : this.run(this.messages);
  }

  /**
   * Batch mode: a pump moves delivered messages into a queue (bounded: it stops taking more at
   * two groups' worth), workers take whatever has queued up, up to `maxBatch`, as one group. A
   * worker that finds fewer than a group yields once first, so the rest of a burst the client
   * already holds joins the group instead of starting the next one.
   */
  private async runBatches(messages: ConsumerMessages, maxBatch: number) {
    const queue: JsMsg[] = [];
    /** When each queued message arrived (ms), in queue order: the linger counts from the oldest. */
    const arrived: number[] = [];
    const lingerMs = this.opts.lingerMs ?? 0;
    const waiting: (() => void)[] = [];
    let room: (() => void) | null = null;
    let ended = false;
    const wakeAll = () => waiting.splice(0).forEach((w) => w());
    const pump = (async () => {
      try {
        for await (const msg of messages) {
          queue.push(msg);
          arrived.push(Date.now());
          wakeAll();
          while (queue.length >= 2 * maxBatch && !this.stopping) await new Promise<void>((r) => (room = r));
          if (this.stopping) break;
        }
      } finally {
        ended = true;
        wakeAll();
      }
    })();
    const worker = async () => {
      for (;;) {
        if (this.stopping) return;
        if (queue.length === 0) {
          if (ended) return;
          await new Promise<void>((r) => waiting.push(r));
          continue;
        }
        if (queue.length < maxBatch) await new Promise<void>((r) => setImmediate(r));
        // Lingering: wait for more until the group is full or its oldest message has waited enough.
        for (let left = arrived[0]! + lingerMs - Date.now(); left > 0 && queue.length < maxBatch && !ended && !this.stopping;) {
          await new Promise<void>((r) => {
            const t = setTimeout(r, left);
            waiting.push(() => {
              clearTimeout(t);
              r();
            });
          });
          left = (arrived[0] ?? 0) + lingerMs - Date.now();
        }
        arrived.splice(0, maxBatch);
        const group = queue.splice(0, maxBatch);
        if (group.length === 0) continue;
        (room as (() => void) | null)?.();
        room = null;
        await this.handleGroup(group).catch((e: unknown) =>
          this.log.error({ durable: this.opts.durable, err: (e as Error).message }, 'batch handling failed; it will be redelivered'),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.opts.concurrency ?? 1) }, worker));
    // Stopping: what was taken but not tried goes back now rather than after the ack wait.
    for (const msg of queue.splice(0)) msg.nak();
    (room as (() => void) | null)?.();
    await pump;
  }

  private async handleGroup(msgs: JsMsg[]): Promise<void> {
    const items: (BatchItem & { msg: JsMsg })[] = [];
    for (const msg of msgs) {
      const info: DeliveryInfo = { deliveryCount: msg.info.deliveryCount, streamSequence: msg.info.streamSequence, subject: msg.subject };
      try {
        items.push({ msg, info, event: envelopeSchema.parse(msg.json()) as EventEnvelope });
      } catch (e) {
        await this.park(msg, `malformed envelope: ${(e as Error).message.slice(0, 500)}`, 'permanent', 1);
      }
    }
    if (items.length === 0) return;
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) {
      for (const { msg } of items) {
        msg.nak(wait + Math.floor(Math.random() * 250));
        this.opts.onOutcome?.('deferred');
      }
      return;
    }
    try {
      await runWithTrace(items[0]!.event.traceId, () => this.opts.batchHandler!(items.map(({ event, info }) => ({ event, info }))));
    } catch (e) {
      const kind = (this.opts.classify ?? classifyMessagingFailure)(e);
      const log = { durable: this.opts.durable, messages: items.length, failure: kind, err: (e as Error)?.message ?? String(e) };
      if (kind === 'transient') {
        const wait = this.pause(log, 'the messages will be retried');
        for (const { msg } of items) {
          msg.nak(wait);
          this.opts.onOutcome?.('retried', kind);
        }
        return;
      }
      // Not a dependency: find the message(s) at fault by handling each on its own.
      this.log.warn(log, 'batch failed; handling its messages one by one');
      for (const { msg, event, info } of items) await this.handleOne(msg, event, info);
      return;
    }
    for (const { msg, info } of items) {
      msg.ack();
      this.failures.delete(info.streamSequence);
      this.opts.onOutcome?.('acked');
    }
    this.transientInARow = 0;
  }

  private async run(messages: ConsumerMessages) {
    const limit = Math.max(1, this.opts.concurrency ?? 1);
    const inFlight = new Set<Promise<void>>();
    for await (const msg of messages) {
      const p: Promise<void> = this.handle(msg)
        .catch((e: unknown) =>
          this.log.error({ durable: this.opts.durable, err: (e as Error).message }, 'message handling failed; it will be redelivered'),
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (inFlight.size >= limit) await Promise.race(inFlight);
      if (this.stopping) break;
    }
    await Promise.all(inFlight);
  }

  private async handle(msg: JsMsg): Promise<void> {
    const info: DeliveryInfo = { deliveryCount: msg.info.deliveryCount, streamSequence: msg.info.streamSequence, subject: msg.subject };
    let envelope: EventEnvelope;
    try {
      envelope = envelopeSchema.parse(msg.json()) as EventEnvelope;
    } catch (e) {
      // Not an envelope at all: retrying cannot help.
      await this.park(msg, `malformed envelope: ${(e as Error).message.slice(0, 500)}`, 'permanent', 1);
      return;
    }
    await this.handleOne(msg, envelope, info);
  }

  /**
   * A dependency is down: pause the consumer (growing with failures in a row) and return how long
   * to defer a message. Failures of messages already in flight when a pause began do not lengthen it.
   */
  private pause(log: Record<string, unknown>, what: string): number {
    const now = Date.now();
    if (now >= this.pausedUntil) {
      const pause = this.opts.pauseMs ?? DEFAULT_PAUSE_MS;
      const delay = pause[Math.min(this.transientInARow, pause.length - 1)] ?? 1000;
      this.transientInARow++;
      this.pausedUntil = now + delay;
      this.log.warn({ ...log, pauseMs: delay }, `a dependency is unavailable; pausing the consumer, ${what}`);
    }
    return this.pausedUntil - now;
  }

  private async handleOne(msg: JsMsg, envelope: EventEnvelope, info: DeliveryInfo): Promise<void> {
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) {
      // Spread the returns a little, so the end of a pause is one probe, not a thundering herd.
      msg.nak(wait + Math.floor(Math.random() * 250));
      this.opts.onOutcome?.('deferred');
      return;
    }
    await runWithTrace(envelope.traceId, async () => {
      try {
        await this.opts.handler(envelope, info);
        msg.ack();
        this.transientInARow = 0;
        this.failures.delete(info.streamSequence);
        this.opts.onOutcome?.('acked');
      } catch (e) {
        const error = (e as Error)?.message ?? String(e);
        const kind = (this.opts.classify ?? classifyMessagingFailure)(e);
        const log = {
          durable: this.opts.durable,
          eventId: envelope.id,
          type: envelope.type,
          seq: info.streamSequence,
          delivery: info.deliveryCount,
          failure: kind,
          err: error,
        };
        if (kind === 'transient') {
          msg.nak(this.pause(log, 'the message will be retried'));
          this.opts.onOutcome?.('retried', kind);
          return;
        }
        const attempts = (this.failures.get(info.streamSequence) ?? 0) + 1;
        if (kind === 'permanent' || attempts >= this.maxAttempts) {
          this.failures.delete(info.streamSequence);
          await this.park(msg, error, kind, attempts);
          return;
        }
        this.failures.delete(info.streamSequence);
        this.failures.set(info.streamSequence, attempts);
        if (this.failures.size > MAX_TRACKED) this.failures.delete(this.failures.keys().next().value!);
        const backoff = this.opts.backoffMs ?? DEFAULT_BACKOFF_MS;
        const delay = backoff[Math.min(attempts - 1, backoff.length - 1)] ?? 1000;
        this.log.warn({ ...log, attempt: attempts, delayMs: delay }, 'event handler failed; will retry');
        msg.nak(delay);
        this.opts.onOutcome?.('retried', kind);
      }
    });
  }

  /** Copies the message to the PARKED stream with why, then terminates it. */
  private async park(msg: JsMsg, error: string, kind: FailureKind, attempts: number): Promise<void> {
    const h = natsHeaders();
    h.set(HEADERS.parkedError, error.replace(/[\r\n]+/g, ' ').slice(0, 1000));
    h.set(HEADERS.parkedStream, this.opts.stream);
    h.set(HEADERS.parkedSeq, String(msg.info.streamSequence));
    h.set(HEADERS.parkedSubject, msg.subject);
    h.set(HEADERS.parkedDeliveries, String(msg.info.deliveryCount));
    h.set(HEADERS.parkedAttempts, String(attempts));
    h.set(HEADERS.parkedFailure, kind);
    try {
      await jetstream(this.nc).publish(parkedSubject(this.opts.durable), msg.data, {
        msgID: `${this.opts.stream}:${msg.info.streamSequence}:${this.opts.durable}`,
        headers: h,
        expect: { streamName: PARKED_STREAM },
      });
    } catch (e) {
      // Parking failed: keep the message (it comes back after a delay) rather than lose it.
      this.log.error(
        { durable: this.opts.durable, seq: msg.info.streamSequence, err: (e as Error).message },
        'could not park message; will retry',
      );
      msg.nak(5000);
      return;
    }
    // No reason string: a bare +TERM, understood by every nats-server (2.9 took no reason).
    msg.term();
    this.opts.onOutcome?.('parked', kind);
    this.log.error(
      {
        durable: this.opts.durable,
        stream: this.opts.stream,
        seq: msg.info.streamSequence,
        subject: msg.subject,
        deliveries: msg.info.deliveryCount,
        attempts,
        failure: kind,
        err: error,
      },
      kind === 'permanent' ? 'message parked: it can never be handled as it is' : 'message parked after its last attempt',
    );
  }

  /** Stops pulling and waits for the message in hand to finish (ack or nak). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.messages?.close();
    await this.loop?.catch(() => undefined);
  }
}
