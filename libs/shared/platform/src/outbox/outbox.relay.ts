/**
 * Publishes outbox entries to JetStream, then deletes them (only if unchanged). It runs after
 * every local commit (kick) and on a timer, so entries left by a crashed instance go out too.
 * Envelope ids are the message ids: an entry published twice (two relays, or a crash between
 * publish and delete) is stored once by the stream within its duplicate window.
 *
 * Failures are isolated per entry (issue 13): an entry that cannot be expanded or published is
 * left in place and the rest of the page goes out. Each entry is judged by its own error alone
 * (issue 25.3): a transient one (a dependency down: etcd, a NATS timeout or 503) costs it no
 * attempt, whatever the other entries of the page did. Any other failure is retried with growing
 * spacing, and after OUTBOX_MAX_ATTEMPTS the entry is moved, in one guarded Txn, to
 * `outbox-quarantine:<service>:<id>` with its reason: kept, counted, logged, never blocking.
 * A subject no stream takes also fails with a 503, so it is caught elsewhere: an envelope of a
 * type this service does not publish cannot be expanded (quarantined), and a published type
 * without its stream keeps the instance unready (PublishedSubjects).
 */
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { BaseServiceConfig } from '@ticketcd/config';
import { eventsPublishedBy, type EventEnvelope, type OutboxQuarantineRecord } from '@ticketcd/contracts';
import { listPrefix, toStoreError, type EtcdConnection, type KeyValue } from '@ticketcd/etcd';
import { keys, prefixes, type ServiceName } from '@ticketcd/keys';
import { JetStreamPublisher, type FailureKind } from '@ticketcd/messaging';
import { Metrics } from '@ticketcd/observability';
import { PinoLogger } from 'nestjs-pino';
import { decodeTime } from 'ulid';
import type { z } from 'zod';
import { classifyFailure } from '../failures.js';
import { ETCD, SERVICE_CONFIG, SERVICE_IDENTITY, type ServiceIdentity } from '../tokens.js';
import { outboxEntrySchema, type OutboxExpander } from './outbox.js';

/** Entries per page: one delete Txn each, within etcd's 128 ops. */
const PAGE = 64;

/** Failed attempts of one entry (at one mod revision), in this instance's memory. */
interface Attempts {
  modRevision: number;
  count: number;
  nextAt: number;
}

/** True when this instance relays an entry of this kind and payload. */
export type OutboxResponsibility = (kind: string, payload: unknown) => boolean;

type Outcome = { kv: KeyValue; published: number } | { kv: KeyValue; error: unknown; stage: 'expand' | 'publish' };

@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running: Promise<void> | null = null;
  private again = false;
  /** When the last sweep started (ms), and the timer of a kick held back by OUTBOX_GAP_MS. */
  private lastSweepAt = 0;
  private gapTimer: NodeJS.Timeout | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private failures = 0;
  private readonly expanders = new Map<string, OutboxExpander>();
  /** Which `kind` entries this instance relays (issue 17: one relay per outbox partition); default all. */
  private responsible: OutboxResponsibility = () => true;
  private readonly attempts = new Map<string, Attempts>();
  /** Creation time (ms) of the oldest entry left after the last sweep; null when none. */
  private oldestAt: number | null = null;
  /** Events published since start (for metrics and tests). */
  published = 0;

  constructor(
    @Inject(ETCD) private readonly etcd: EtcdConnection,
    @Inject(SERVICE_CONFIG) private readonly config: BaseServiceConfig,
    @Inject(SERVICE_IDENTITY) private readonly identity: ServiceIdentity,
    @Inject(Metrics) private readonly metrics: Metrics,
    private readonly publisher: JetStreamPublisher,
    private readonly log: PinoLogger,
  ) {
    log.setContext('outbox');
    metrics.onScrape(async () => {
      this.metrics.outboxOldestAge.set(this.oldestAt === null ? 0 : Math.max(0, (Date.now() - this.oldestAt) / 1000));
      this.metrics.outboxQuarantined.set(await this.etcd.kv.getAll().prefix(prefixes.outboxQuarantineOf(this.service)).count());
    });
  }

  private get service(): ServiceName {
    return this.identity.service as ServiceName;
  }

  /** The event types this service publishes: an envelope of any other type has no stream to go to. */
  private publishes: ReadonlySet<string> | null = null;
  private publishesType(type: string): boolean {
    this.publishes ??= new Set(eventsPublishedBy(this.service).map((e) => e.type));
    return this.publishes.has(type);
  }

  get enabled(): boolean {
    return this.config.OUTBOX_RELAY;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) {
      this.log.warn({}, 'outbox relay disabled (OUTBOX_RELAY=false): committed events wait in etcd');
      return;
    }
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.gapTimer) clearTimeout(this.gapTimer);
    await this.running?.catch(() => undefined);
  }

  /** How entries of `kind` become envelopes (register before the app starts). */
  registerExpander(kind: string, expander: OutboxExpander): void {
    this.expanders.set(kind, expander);
  }

  /**
   * Partitioned work (issue 17): relay only the `kind` entries this instance answers for, e.g.
   * the partitions of events it holds; the others are left to their partition's owner (a new
   * owner kicks the relay when it takes a partition over, so a dead owner's entries go out).
   * Entries that are not `kind` entries, or cannot be read, are every instance's as before.
   */
  setResponsibility(responsible: OutboxResponsibility): void {
    this.responsible = responsible;
  }

  private mine(kv: KeyValue): boolean {
    let entry: unknown;
    try {
      entry = JSON.parse(kv.value);
    } catch {
      return true;
    }
    const { kind, payload } = (entry ?? {}) as { kind?: unknown; payload?: unknown };
    return typeof kind !== 'string' || this.responsible(kind, payload);
  }

  /**
   * Relay soon: called after a commit that wrote an outbox entry. Sweeps start at least
   * OUTBOX_GAP_MS apart (issue 27): a kick sooner than that waits for the gap, so under load one
   * sweep's range read and delete Txn carry many commits' entries instead of one each (the
   * outbox deletes were a third of the etcd writes of an HTTP sale). A quiet relay sweeps at once.
   */
  kick(): void {
    if (!this.enabled || this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const wait = this.lastSweepAt + this.config.OUTBOX_GAP_MS - Date.now();
    if (wait > 0) {
      this.gapTimer ??= setTimeout(() => {
        this.gapTimer = null;
        this.kick();
      }, wait);
      return;
    }
    this.lastSweepAt = Date.now();
    this.running = this.sweep().finally(() => {
      this.running = null;
    });
  }

  private schedule(delayMs: number) {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
      this.schedule(this.failures > 0 ? Math.min(10_000, 500 * 2 ** this.failures) : this.config.OUTBOX_SWEEP_MS);
    }, delayMs);
    this.timer.unref();
  }

  private async sweep(): Promise<void> {
    try {
      let stalled = false;
      do {
        this.again = false;
        let after: string | null = null;
        let left = 0;
        let oldestAt: number | null = null;
        const seen = new Set<string>();
        do {
          if (this.stopped) return;
          const page = await listPrefix(this.etcd.kv, prefixes.outboxOf(this.service), { limit: PAGE, after });
          const result = await this.relayPage(page.items.filter((kv) => this.mine(kv)));
          for (const kv of page.items) seen.add(kv.key);
          left += result.left.length;
          oldestAt ??= result.left.length ? entryTime(result.left[0]!) : null;
          stalled = result.stalled;
          after = stalled ? null : page.next;
        } while (after);
        if (!stalled) {
          this.metrics.outboxBacklog.set(left);
          this.oldestAt = oldestAt;
          for (const key of this.attempts.keys()) if (!seen.has(key)) this.attempts.delete(key);
        }
        // Commits during the sweep: the next one after the gap (kick), not at once.
        if (this.again && !stalled && !this.stopped && this.config.OUTBOX_GAP_MS > 0) {
          this.again = false;
          setTimeout(() => this.kick(), 0);
          break;
        }
      } while (this.again && !stalled && !this.stopped);
      this.failures = stalled ? this.failures + 1 : 0;
    } catch (e) {
      this.failures++;
      this.log.warn({ err: (e as Error).message, failures: this.failures }, 'outbox relay failed; will retry');
    }
  }

  /**
   * A page at a time: publishes pipelined on one connection (issued in entry order; consumers
   * must not rely on order anyway), then one guarded delete for the entries that went out. One
   * round trip per page instead of two per entry is what lets the relay keep up with a busy
   * writer. Returns the entries left in the outbox, and whether nothing could go out because a
   * dependency is down (the sweep then backs off).
   */
  private async relayPage(items: KeyValue[]): Promise<{ left: KeyValue[]; stalled: boolean }> {
    const now = Date.now();
    const due = items.filter((kv) => {
      const a = this.attempts.get(kv.key);
      return !a || a.modRevision !== kv.modRevision || a.nextAt <= now;
    });
    const outcomes = await Promise.all(due.map((kv) => this.relayEntry(kv)));
    const done = outcomes.filter((o): o is Extract<Outcome, { published: number }> => 'published' in o);
    const failed = outcomes.filter((o): o is Extract<Outcome, { error: unknown }> => 'error' in o);
    const deleted = new Set<string>();
    if (done.length > 0) {
      try {
        // Only entries unchanged since read are deleted; if any changed, each is tried on its own.
        const txn = this.etcd.kv.if(done[0]!.kv.key, 'Mod', '==', done[0]!.kv.modRevision);
        for (const { kv } of done.slice(1)) txn.and(kv.key, 'Mod', '==', kv.modRevision);
        const res = await txn.then(...done.map(({ kv }) => this.etcd.kv.delete().key(kv.key))).commit();
        if (res.succeeded) done.forEach(({ kv }) => deleted.add(kv.key));
        else {
          for (const { kv } of done) {
            const one = await this.etcd.kv.if(kv.key, 'Mod', '==', kv.modRevision).then(this.etcd.kv.delete().key(kv.key)).commit();
            if (one.succeeded) deleted.add(kv.key);
          }
        }
      } catch (e) {
        throw toStoreError(e, 'outbox delete');
      }
      this.published += done.reduce((n, r) => n + r.published, 0);
      for (const { kv } of done) this.attempts.delete(kv.key);
    }
    let unavailable = 0;
    for (const f of failed) {
      // By this entry's own error only: a publish that timed out or got a 503 says nothing about
      // the entry, even when others of the page went out (one stream's leader may be moving, one
      // publish may be slow). Counting it quarantined valid sales (issue 25.3).
      const kind = classifyFailure(f.error);
      if (kind === 'transient') {
        unavailable++;
        continue;
      }
      if (await this.attemptFailed(f.kv, f.error, kind, f.stage)) deleted.add(f.kv.key);
    }
    return { left: items.filter((kv) => !deleted.has(kv.key)), stalled: unavailable > 0 && done.length === 0 };
  }

  private async relayEntry(kv: KeyValue): Promise<Outcome> {
    let envelopes: EventEnvelope[];
    try {
      envelopes = await this.expand(kv);
    } catch (error) {
      return { kv, error, stage: 'expand' };
    }
    const settled = await Promise.allSettled(envelopes.map((env) => this.publisher.publish(env)));
    const rejected = settled.find((r) => r.status === 'rejected');
    return rejected ? { kv, error: rejected.reason, stage: 'publish' } : { kv, published: envelopes.length };
  }

  /** Counts a failed attempt; quarantines the entry after the last one. True when it left the outbox. */
  private async attemptFailed(kv: KeyValue, error: unknown, kind: FailureKind, stage: 'expand' | 'publish'): Promise<boolean> {
    const prior = this.attempts.get(kv.key);
    const count = (prior && prior.modRevision === kv.modRevision ? prior.count : 0) + 1;
    const reason = ((error as Error)?.message ?? String(error)).slice(0, 1000);
    if (count < this.config.OUTBOX_MAX_ATTEMPTS) {
      const delay = Math.min(10_000, 500 * 2 ** (count - 1));
      this.attempts.set(kv.key, { modRevision: kv.modRevision, count, nextAt: Date.now() + delay });
      this.log.warn(
        { key: kv.key, attempt: count, failure: kind, stage, retryInMs: delay, err: reason },
        'outbox entry failed; will retry',
      );
      return false;
    }
    this.attempts.delete(kv.key);
    return this.quarantine(kv, reason, kind, count);
  }

  private async quarantine(kv: KeyValue, reason: string, failure: FailureKind, attempts: number): Promise<boolean> {
    const entryId = kv.key.slice(prefixes.outboxOf(this.service).length);
    const record: OutboxQuarantineRecord = {
      value: kv.value,
      reason,
      failure,
      attempts,
      createRevision: kv.createRevision,
      quarantinedAt: new Date().toISOString(),
      instance: this.identity.instanceId,
    };
    try {
      const ns = this.etcd.kv;
      const res = await ns
        .if(kv.key, 'Mod', '==', kv.modRevision)
        .then(ns.delete().key(kv.key), ns.put(keys.outboxQuarantine(this.service, entryId)).value(JSON.stringify(record)))
        .commit();
      if (!res.succeeded) return false;
    } catch (e) {
      this.log.warn({ key: kv.key, err: (e as Error).message }, 'could not quarantine the outbox entry; will retry');
      return false;
    }
    this.metrics.outboxQuarantinedTotal.inc();
    this.metrics.outboxQuarantined.inc();
    this.log.error(
      { key: kv.key, attempts, failure, reason },
      'outbox entry quarantined: it could not be expanded or published (npm run outbox -- list)',
    );
    return true;
  }

  /** The envelopes of one entry; throws for an entry that cannot be read or expanded. */
  private async expand(kv: KeyValue): Promise<EventEnvelope[]> {
    const envelopes = await this.expandEntry(kv);
    // Its publish would fail with a 503 like JetStream being away, and be retried forever.
    const foreign = envelopes.find((env) => !this.publishesType(env.type));
    if (foreign) throw new Error(`outbox entry holds a ${foreign.type} event, which ${this.service} does not publish (no stream takes it)`);
    return envelopes;
  }

  private async expandEntry(kv: KeyValue): Promise<EventEnvelope[]> {
    let entry: z.output<typeof outboxEntrySchema>;
    try {
      entry = outboxEntrySchema.parse(JSON.parse(kv.value));
    } catch (e) {
      throw new Error(`unreadable outbox entry: ${(e as Error).message.slice(0, 300)}`, { cause: e });
    }
    if ('kind' in entry) {
      const expand = this.expanders.get(entry.kind);
      if (!expand) throw new Error(`no expander for outbox entries of kind ${entry.kind}`);
      return expand(entry.payload, kv.createRevision);
    }
    const stamp = entry.stampRevision;
    return (entry.envelopes as EventEnvelope[]).map((env) =>
      stamp ? { ...env, data: { ...(env.data as object), revision: kv.createRevision } } : env,
    );
  }
}

/** Entry ids are ULIDs: their creation time, for the oldest-entry age. */
function entryTime(kv: KeyValue): number | null {
  try {
    return decodeTime(kv.key.slice(kv.key.lastIndexOf(':') + 1));
  } catch {
    return null;
  }
}
