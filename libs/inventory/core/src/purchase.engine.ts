/**
 * The inventory core: purchases queue per event, each batch is decided in arrival order and
 * written as ONE Txn guarded by the ticket keys' mod revisions (group commit). A failed compare
 * means another writer committed first: re-read and re-decide, a bounded number of times.
 * An availability failure (deadline, dropped connection, leader change) is ambiguous, but the
 * compares make a resend safe: the batch is read and decided again (finding its own sales if
 * the first send committed) and resent, with a short jittered pause, until each order's
 * deadline, so a leader election costs the buyers a delay instead of a 503.
 * Correctness rests on the compares alone, never on a lock or on there being one instance.
 * Plain class (no Nest) so the service and the benchmark run the very same code.
 *
 * Issue 17: up to `pipeline` batches of one event are in flight at once, over a client pinned to
 * the raft leader: each batch decides against the state the previous one projects and compares
 * the ticket VALUES that batch writes (a failed or reordered one only costs a conflict and a
 * re-read). Once every type of an event is sold out, refusals are decided from memory with no
 * etcd round trip (point 6); a watch on the event's ticket keys drops that state when stock
 * changes anywhere, and a TTL bounds it should the watch miss an event. The watch lives only as
 * long as that state (issue 25.5): cancelled when the state expires or goes, and at most
 * `maxSoldOutWatches` at once (the oldest state goes first).
 */
import { AppError, buildEnvelope, Events, keyReused, MAX_TICKET_TYPES, type EventEnvelope } from '@ticketcd/contracts';
import {
  EtcdUnavailableError,
  GroupCommitter,
  LeaderPinned,
  MAX_TXN_OPS,
  MIN_ATTEMPT_MS,
  resendPause,
  type EtcdConnection,
  type Queued,
} from '@ticketcd/etcd';
import { keys, prefixes } from '@ticketcd/keys';
import type { Watcher } from 'etcd3';
import { currentDeadline, currentTraceId, newTraceId } from '@ticketcd/observability';
import {
  acceptedFromSale,
  decideBatch,
  type BatchDecision,
  type BatchState,
  type OrderRequest,
  type PurchaseOutcome,
  type Sale,
} from './decide.js';
import { soldMessageId, stockMessageId } from './message-ids.js';
import { PurchaseStore, ticketValue, type SoldBatch } from './purchase.store.js';

export interface PurchaseEngineOptions {
  /**
   * Most orders per Txn. Each sale costs two ops (its sale: and order: keys), each touched type
   * one, the outbox entry one: a batch also never takes more than its event's Txn holds (62
   * orders for 3 types).
   */
  batchMax: number;
  /** Failed compares tolerated per batch before answering UNAVAILABLE. */
  maxConflicts: number;
  /** How long a batch may decide against the state this instance last committed, unread. */
  stateTtlMs: number;
  /** Most time an order may take, resends included; a caller's shorter budget wins. */
  deadlineMs?: number;
  /** Deadline of one etcd call of a batch (shorter than the order's, so a call lost with a dead leader leaves time to resend). */
  attemptMs?: number;
  /** Called after each commit that wrote an outbox entry (the relay's kick). */
  onCommitted?: () => void;
  /**
   * Batches of one event in flight at once (default 1: one after the other). Deeper pipelines lost
   * on a 2-core machine (quiet runs: c/f at 100 buyers 1.5-1.7 at depth 1, 0.7 at 2 and 4), where
   * more, smaller Txns cost etcd more CPU than the overlap saves; kept for hosts with cores to spare.
   */
  pipeline?: number;
  /** How long a sold-out event's state answers from memory, should its watch miss a change (default 5 s). */
  soldOutTtlMs?: number;
  /**
   * Most sold-out states (each with its etcd watch) kept at once (default 1000); beyond it the
   * oldest is dropped, and its event's orders are decided from a read again.
   */
  maxSoldOutWatches?: number;
  /** Commits go to the raft leader directly (default true). */
  pinLeader?: boolean;
  /**
   * Why etcd's quorum is known lost, or null (the service's DependencyProbe, issue 25.1): a batch
   * whose send failed is then answered UNAVAILABLE at once instead of resent until its deadline.
   */
  quorumLost?: () => string | null;
}

/** Sales this instance committed lately (all events): a retry of one, and the relay, find them in memory. */
const RECENT_SALES_MAX = 20_000;

/** Kept for the answer to travel back to the caller before it gives up. */
const REPLY_MARGIN_MS = 250;

const DEFAULT_SOLD_OUT_TTL_MS = 5000;
const DEFAULT_MAX_SOLD_OUT_WATCHES = 1000;
/**
 * A sold-out event with more sales than this keeps no set of its order ids: its orders are then
 * decided from a read (a retry must find its sale), as before the set.
 */
const SOLD_OUT_SALE_IDS_MAX = 20_000;

/** The state an event's next batch decides on; a sold-out one also answers orders from memory. */
interface KnownState {
  state: BatchState;
  at: number;
  soldOut?: boolean;
  /**
   * Sold out only: the order ids of all the event's sales, read once after the state (none can be
   * added while it stays sold out: a sale moves a ticket key, which drops the state). An order not
   * in it is a first send, refused from memory; undefined until read (or too many): decided from a read.
   */
  soldIds?: Set<string>;
}

/** One sold-out event's watch (its identity tells a late event of a cancelled watch from the current one's). */
interface SoldOutWatch {
  watcher: Promise<Watcher | null>;
}

type Pending = OrderRequest & { deadlineAt: number };

export class PurchaseEngine {
  private readonly store: PurchaseStore;
  private readonly committer: GroupCommitter<Pending, PurchaseOutcome>;
  /**
   * The ticket state this instance last committed, per event. The next batch decides against it
   * without a read; its compares prove it is still current, and any failed compare falls back
   * to a fresh read. Entries expire so that an edit of the event (maxPerOrder) shows soon.
   */
  private readonly known = new Map<string, KnownState>();
  private readonly recent = new Map<string, Map<string, { sale: Sale; revision: number }>>();
  private recentCount = 0;
  /**
   * Per sold-out event, the watch that drops its state from memory when its stock changes; in the
   * order the states were made (oldest first), for the cap. A watch whose state expired or went
   * is cancelled on the next look at the event or by the sweep.
   */
  private readonly soldOutWatches = new Map<string, SoldOutWatch>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly leader: LeaderPinned | undefined;
  /** Per event, the last commit sent (a periodic re-read waits for it, or it would read stale). */
  private readonly lastCommit = new Map<string, Promise<boolean>>();
  /**
   * Per event, whose turn it is to read-decide-send. Batches take turns in arrival order, and so
   * do their retries after a failed compare: two retries deciding on the same fresh read would
   * fail each other's compares, round after round.
   */
  private readonly turns = new Map<string, Promise<void>>();
  readonly stats = { batches: 0, orders: 0, conflicts: 0, reads: 0, resends: 0, reorders: 0, soldOutRefusals: 0 };
  private draining = false;

  constructor(
    private readonly etcd: EtcdConnection,
    private readonly opts: PurchaseEngineOptions,
  ) {
    this.leader = opts.pinLeader === false ? undefined : new LeaderPinned(etcd);
    this.store = new PurchaseStore(etcd, this.leader);
    void this.leader?.kv; // starts looking the leader up
    this.committer = new GroupCommitter(
      (eventId) => this.batchMaxOf(eventId),
      (eventId, batch, sent) => this.processBatch(eventId, batch, sent),
      opts.pipeline ?? 1,
    );
  }

  /**
   * The most orders of one event a Txn holds: its sales, a put per type it touches, the outbox
   * entry. Sized on the event's known types (a full Txn is the cheapest per order: etcd's cost is
   * mostly per Txn); the worst case when they are not known yet.
   */
  private batchMaxOf(eventId: string): number {
    return Math.min(this.opts.batchMax, ordersThatFit(this.known.get(eventId)?.state.tickets.size ?? MAX_TICKET_TYPES));
  }

  purchase(order: OrderRequest): Promise<PurchaseOutcome> {
    if (this.draining) {
      return Promise.reject(
        AppError.unavailable(
          'inventory',
          'this inventory instance is shutting down; retry with the same orderId, another instance will answer',
        ),
      );
    }
    // The caller's budget, but never past our own bound (a caller may wait a minute; a store
    // that has not answered in seconds has lost its quorum, and the buyer should hear so).
    const deadlineAt = Math.min(currentDeadline() ?? Infinity, Date.now() + (this.opts.deadlineMs ?? 4500)) - REPLY_MARGIN_MS;
    const soldOut = this.soldOutState(order.eventId);
    // Decided from memory: a first send (an order id none of the event's sales has, or a caller that
    // knows), or a retry of a sale this instance remembers. A retry of a sale made elsewhere, or
    // any order while the sale ids are not known, is decided from a read: it must get its sale
    // (invariant 3), not a refusal.
    const firstSend = order.firstSend || (soldOut?.soldIds !== undefined && !soldOut.soldIds.has(order.orderId));
    if (soldOut && (firstSend || soldOut.state.existingSales.has(order.orderId))) {
      // Point 6: nothing is left to sell, so nothing to write: decided here, no queue, no etcd.
      // A retry of a sale this instance made still gets its sale (recent sales are in the state).
      this.stats.soldOutRefusals++;
      return Promise.resolve(decideBatch([order], soldOut.state, new Date()).outcomes.get(order.orderId)!);
    }
    return this.committer.submit(order.eventId, { ...order, traceId: order.traceId ?? currentTraceId() ?? newTraceId(), deadlineAt });
  }

  private async state(
    eventId: string,
    orders: OrderRequest[],
    attempt: number,
    deadline: Date,
  ): Promise<{ state: BatchState; cachedAt?: number }> {
    const cached = attempt === 1 ? this.known.get(eventId) : undefined;
    const ttl = cached?.soldOut ? this.soldOutTtlMs : this.opts.stateTtlMs;
    if (cached && Date.now() - cached.at < ttl) return { state: cached.state, cachedAt: cached.at };
    // A read while this instance's own commit is in flight would miss it, and fail the next compare.
    const inFlight = this.lastCommit.get(eventId);
    if (inFlight) await inFlight;
    this.stats.reads++;
    // After a failed compare or a failed send, also look for these orders' sales: some may be
    // retries of sold orders, or sold by the send that seemed to fail.
    const state = await this.store.readBatchState(eventId, orderRefs(orders), attempt > 1, deadline);
    // Retries of sales this instance committed are answered without a failed commit first.
    if (state.existingSales.size === 0) state.existingSales = this.recentOf(eventId);
    return { state };
  }

  private get soldOutTtlMs(): number {
    return this.opts.soldOutTtlMs ?? DEFAULT_SOLD_OUT_TTL_MS;
  }

  /** Sold-out states held in memory right now, each with its etcd watch (for metrics and tests). */
  get soldOutWatchCount(): number {
    return this.soldOutWatches.size;
  }

  /** The event's state when it is known sold out (and still fresh), else null; a watch no state uses goes. */
  private soldOutState(eventId: string): KnownState | null {
    if (this.soldOutInUse(eventId)) return this.known.get(eventId)!;
    if (this.soldOutWatches.has(eventId)) this.unwatchSoldOut(eventId);
    return null;
  }

  private soldOutInUse(eventId: string): boolean {
    const k = this.known.get(eventId);
    return k?.soldOut === true && Date.now() - k.at < this.soldOutTtlMs;
  }

  /** Cancels the event's sold-out watch, and forgets its sold-out state (useless without the watch). */
  private unwatchSoldOut(eventId: string): void {
    const w = this.soldOutWatches.get(eventId);
    if (this.known.get(eventId)?.soldOut) this.known.delete(eventId);
    if (!w) return;
    this.soldOutWatches.delete(eventId);
    void w.watcher.then((x) => x?.cancel()).catch(() => undefined);
    if (this.soldOutWatches.size === 0 && this.sweepTimer) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = null;
    }
  }

  /** Cancels the watches whose state expired or went; runs while any watch lives. */
  private sweepSoldOut(): void {
    for (const eventId of [...this.soldOutWatches.keys()]) if (!this.soldOutInUse(eventId)) this.unwatchSoldOut(eventId);
  }

  private recentOf(eventId: string): Map<string, { sale: Sale; revision: number }> {
    let r = this.recent.get(eventId);
    if (!r) this.recent.set(eventId, (r = new Map()));
    return r;
  }

  private remember(eventId: string, sales: Sale[], revision: number): void {
    const r = this.recentOf(eventId);
    // The event selling last goes last: the oldest events' sales are forgotten first.
    this.recent.delete(eventId);
    this.recent.set(eventId, r);
    for (const sale of sales) {
      if (!r.has(sale.orderId)) this.recentCount++;
      r.set(sale.orderId, { sale, revision });
    }
    for (const [id, m] of this.recent) {
      if (this.recentCount <= RECENT_SALES_MAX) break;
      for (const orderId of m.keys()) {
        if (this.recentCount <= RECENT_SALES_MAX) break;
        m.delete(orderId);
        this.recentCount--;
      }
      if (m.size === 0 && id !== eventId) this.recent.delete(id);
    }
  }

  /**
   * The sold-out state's set of the event's sale ids, read once (in the background: until it is
   * there, orders are decided from a read). A failed read leaves it unknown.
   */
  private loadSoldIds(eventId: string, entry: KnownState): void {
    this.stats.reads++;
    this.store.saleIdsOf(eventId, SOLD_OUT_SALE_IDS_MAX, new Date(Date.now() + (this.opts.attemptMs ?? 1000))).then(
      (ids) => {
        if (ids && this.known.get(eventId) === entry) entry.soldIds = ids;
      },
      () => undefined,
    );
  }

  /**
   * Every type of the event sold out: its state now answers from memory until stock changes.
   * The watch starts just after the newest ticket change the state knows, so no change between
   * the read and the watch goes unseen; any change (or a watch failure) drops the state.
   */
  private watchSoldOut(eventId: string, state: BatchState): void {
    if (this.closed || this.soldOutTtlMs <= 0) return;
    const current = this.soldOutWatches.get(eventId);
    if (current) {
      // Still watching from an older revision, which covers this state too: now the newest.
      this.soldOutWatches.delete(eventId);
      this.soldOutWatches.set(eventId, current);
      return;
    }
    // The cap: the oldest sold-out state goes first (its orders read again, as before point 6).
    const max = Math.max(1, this.opts.maxSoldOutWatches ?? DEFAULT_MAX_SOLD_OUT_WATCHES);
    for (const oldest of this.soldOutWatches.keys()) {
      if (this.soldOutWatches.size < max) break;
      this.unwatchSoldOut(oldest);
    }
    const from = Math.max(0, ...[...state.tickets.values()].map((t) => t.modRevision)) + 1;
    const entry: SoldOutWatch = { watcher: Promise.resolve(null) };
    const drop = () => {
      // A late event of a watch already cancelled says nothing about a newer state.
      if (this.soldOutWatches.get(eventId) !== entry) return;
      this.known.delete(eventId);
      this.unwatchSoldOut(eventId);
    };
    entry.watcher = this.etcd.kv
      .watch()
      .prefix(prefixes.ticketsOf(eventId))
      .startRevision(String(from))
      .create()
      .then(
        (w) => {
          w.on('put', drop);
          w.on('delete', drop);
          w.on('disconnected', drop);
          w.on('error', drop);
          return w;
        },
        () => {
          drop();
          return null;
        },
      );
    this.soldOutWatches.set(eventId, entry);
    if (!this.sweepTimer) {
      this.sweepTimer = setInterval(() => this.sweepSoldOut(), Math.min(Math.max(this.soldOutTtlMs, 100), 5000));
      this.sweepTimer.unref();
    }
  }

  private async processBatch(eventId: string, all: Queued<Pending, PurchaseOutcome>[], sent: () => void): Promise<void> {
    try {
      await this.decideAndCommit(eventId, all, sent);
    } finally {
      sent();
    }
  }

  private async decideAndCommit(eventId: string, all: Queued<Pending, PurchaseOutcome>[], sent: () => void): Promise<void> {
    let batch = all;
    let conflicts = 0;
    let failures = 0;
    for (let attempt = 1; ; attempt++) {
      const orders = batch.map((b) => b.order);
      let latest = 0;
      for (const o of orders) if (o.deadlineAt > latest) latest = o.deadlineAt;
      const deadline = new Date(Math.min(latest, Date.now() + (this.opts.attemptMs ?? 1000)));
      let attemptResult: Awaited<ReturnType<PurchaseEngine['attempt']>>;
      try {
        attemptResult = await this.attempt(eventId, orders, attempt, deadline, sent);
      } catch (e) {
        this.known.delete(eventId);
        if (!(e instanceof EtcdUnavailableError)) throw e;
        this.leader?.unpin();
        const lost = this.opts.quorumLost?.();
        if (lost) {
          const unavailable = AppError.unavailable('etcd', `${lost}; retry with the same orderId, it will not sell twice`);
          for (const item of batch) item.reject(unavailable);
          return;
        }
        // Ambiguous or not, resending is safe (see commitBatch). Pause briefly (a leader election
        // takes 1-2 s) and go on with the orders whose callers still wait; answer the others.
        this.stats.resends++;
        const pause = resendPause(failures++);
        const cutoff = Date.now() + pause + MIN_ATTEMPT_MS;
        const late = batch.filter((b) => b.order.deadlineAt < cutoff);
        const unavailable = AppError.unavailable(
          'etcd',
          `store unavailable: ${e.message}; retry with the same orderId, it will not sell twice`,
        );
        for (const item of late) item.reject(unavailable);
        batch = batch.filter((b) => b.order.deadlineAt >= cutoff);
        if (batch.length === 0) return;
        await new Promise((r) => setTimeout(r, pause));
        continue;
      }
      const { decision, result, deferred } = attemptResult;
      if (deferred.size > 0) {
        // The event gained types since the batch was sized: what the Txn could not hold queues again.
        const later = batch.filter((b) => deferred.has(b.order));
        batch = batch.filter((b) => !deferred.has(b.order));
        for (const item of later) this.committer.submit(eventId, item.order).then(item.resolve, item.reject);
      }
      let revision = 0;
      if (result) {
        if (!result.committed) {
          this.known.delete(eventId);
          this.stats.conflicts++;
          if (++conflicts >= this.opts.maxConflicts) {
            throw AppError.unavailable(
              'inventory',
              `event ${eventId} is too contended right now (${conflicts} conflicting writes); retry with the same orderId`,
            );
          }
          // Another writer committed first; a short random pause spreads competing writers.
          await new Promise((r) => setTimeout(r, Math.random() * Math.min(20, attempt * 2)));
          continue;
        }
        revision = result.revision;
        this.remember(eventId, decision.sales, revision);
        this.opts.onCommitted?.();
      } else if (attemptResult.soldOut) this.stats.soldOutRefusals += batch.length;
      this.stats.batches++;
      this.stats.orders += batch.length;
      // A first try decides without looking up the orders' sales (its commit's Create==0 compares
      // catch a sold one). A refusal commits nothing, so a refused order that may be a retry is
      // looked up now: if it was sold (here or by another instance), it gets its sale.
      // A decision on a read that had the orders' sales (a re-read) is exact already.
      const unchecked: typeof batch = [];
      for (const item of batch) {
        const first = decision.reused.get(item.order.orderId);
        if (first) {
          item.reject(keyReused(item.order.orderId, first));
          continue;
        }
        const outcome = decision.outcomes.get(item.order.orderId)!;
        if (outcome.status === 'refused' && !attemptResult.salesRead && !item.order.firstSend) unchecked.push(item);
        else item.resolve(outcome.status === 'accepted' && outcome.revision === 0 ? { ...outcome, revision } : outcome);
      }
      if (unchecked.length > 0) await this.answerRefusals(eventId, unchecked, decision, deadline);
      return;
    }
  }

  /** Refusals of orders that may be retries: each gets its sale if it has one, else the refusal. */
  private async answerRefusals(eventId: string, items: Queued<Pending, PurchaseOutcome>[], decision: BatchDecision, deadline: Date) {
    this.stats.reads++;
    let sold: Map<string, { sale: Sale; revision: number }>;
    try {
      sold = await this.store.findSales(eventId, [...new Set(items.map((i) => i.order.orderId))], deadline);
    } catch (e) {
      const error =
        e instanceof EtcdUnavailableError
          ? AppError.unavailable('etcd', `store unavailable: ${e.message}; retry with the same orderId, it will not sell twice`)
          : e;
      for (const item of items) item.reject(error);
      return;
    }
    for (const item of items) {
      const found = sold.get(item.order.orderId);
      item.resolve(found ? acceptedFromSale(found.sale, found.revision) : decision.outcomes.get(item.order.orderId)!);
    }
  }

  /**
   * One read-decide-commit round; no commit when the batch sells nothing. Before it sends its
   * Txn it leaves the state it will write as the event's known state, and calls `sent`: the next
   * batch of the event may decide on it and send while this one is in flight.
   */
  private async attempt(eventId: string, orders: Pending[], attempt: number, deadline: Date, sent: () => void) {
    const previous = this.turns.get(eventId) ?? Promise.resolve();
    let release!: () => void;
    const mine = previous.then(() => new Promise<void>((r) => (release = r)));
    this.turns.set(eventId, mine);
    await previous;
    let released = false;
    const done = () => {
      if (released) return;
      released = true;
      release();
      if (this.turns.get(eventId) === mine) this.turns.delete(eventId);
      sent();
    };
    try {
      return await this.attemptInTurn(eventId, orders, attempt, deadline, done);
    } finally {
      done();
    }
  }

  private async attemptInTurn(eventId: string, all: Pending[], attempt: number, deadline: Date, sent: () => void) {
    let { state, cachedAt } = await this.state(eventId, all, attempt, deadline);
    // Sized on fewer types than the state has (types added meanwhile): the rest waits for the next Txn.
    const fit = (s: BatchState) => all.slice(0, ordersThatFit(s.tickets.size));
    let orders = fit(state);
    let decision: BatchDecision = decideBatch(orders, state, new Date());
    if (cachedAt !== undefined && [...decision.outcomes.values()].some((o) => o.status === 'refused' && o.reason === 'sold_out')) {
      // A refusal commits nothing, so no compare would catch a cached state gone stale (stock added
      // back meanwhile, by any instance): a batch that refuses for stock is decided on a fresh read.
      ({ state, cachedAt } = await this.state(eventId, all, attempt + 1, deadline));
      orders = fit(state);
      decision = decideBatch(orders, state, new Date());
    }
    const deferred = new Set(all.slice(orders.length));
    const at = cachedAt ?? Date.now();
    const soldOut = state.tickets.size > 0 && [...state.tickets.values()].every((t) => t.remaining === 0 && !t.closed);
    if (decision.sales.length === 0) {
      // Nothing sold: the state stays as it was. A sold-out one just read stays in memory (point
      // 6); not a projection, whose last commit may still fail and leave stock unsold.
      // Kept without this batch's order keys: later batches' first tries must not take them for a read of theirs.
      const kept: BatchState = { event: state.event, tickets: state.tickets, existingSales: state.existingSales };
      if (soldOut && cachedAt === undefined && state.event && !state.event.deleted) {
        const entry: KnownState = { state: kept, at, soldOut: true };
        this.known.set(eventId, entry);
        this.watchSoldOut(eventId, kept);
        this.loadSoldIds(eventId, entry);
      } else if (cachedAt === undefined) this.known.set(eventId, { state: kept, at });
      sent();
      return { decision, result: null, soldOut, deferred, salesRead: cachedAt === undefined && state.orderKeys !== undefined };
    }
    const values = new Map<string, string>();
    const tickets = new Map(state.tickets);
    for (const [type, t] of decision.touched) {
      const value = ticketValue(t);
      values.set(type, value);
      tickets.set(type, { ...t, written: value });
    }
    this.known.set(eventId, { state: { event: state.event, tickets, existingSales: this.recentOf(eventId) }, at });
    // The batch whose projection this one builds on, if its commit is still out.
    const previous = cachedAt !== undefined ? this.lastCommit.get(eventId) : undefined;
    // Order keys a re-read found naming these very orders (older data): compared as read, not created.
    const bound = new Map<string, number>();
    for (const sale of decision.sales) {
      const k = state.orderKeys?.get(keys.order(sale.username, sale.orderId));
      if (k) bound.set(sale.orderId, k.modRevision);
    }
    const send = () =>
      this.store.commitBatch(eventId, state.tickets, decision.touched, values, decision.sales, new Date(), deadline, bound);
    let settle!: (committed: boolean) => void;
    const settled = new Promise<boolean>((r) => (settle = r));
    this.lastCommit.set(eventId, settled);
    void settled.then(() => {
      if (this.lastCommit.get(eventId) === settled) this.lastCommit.delete(eventId);
    });
    const first = send();
    sent();
    try {
      let result = await first;
      if (!result.committed && previous && (await previous)) {
        // Sent right behind a batch still in flight, it can reach raft first (the leader serves
        // each request on its own goroutine) and fail the compare that batch makes true. Once
        // that batch committed, the very same Txn may be current: resend it before re-reading.
        this.stats.reorders++;
        result = await send();
      }
      settle(result.committed);
      return { decision, result, soldOut: false, deferred, salesRead: cachedAt === undefined && state.orderKeys !== undefined };
    } catch (e) {
      settle(false);
      throw e;
    }
  }

  /**
   * Shutdown: take no new order (UNAVAILABLE, to be retried elsewhere) and resolve once every
   * queued batch has been committed and answered.
   */
  drain(): Promise<void> {
    this.draining = true;
    return this.committer.idle().then(() => this.close());
  }

  /** Stops the sold-out watches and the leader's client (after drain, or when done with the engine). */
  close(): void {
    this.closed = true;
    for (const eventId of [...this.soldOutWatches.keys()]) this.unwatchSoldOut(eventId);
    this.leader?.close();
  }

  /**
   * The relay's expander for this engine's outbox entries: one tickets.sold per order (read back
   * from its sale key) and one stock.changed per touched type, with the commit revision and the
   * stock before and after it (type and event-wide, recorded in the entry at commit). Ids
   * derive from the sale and the revision, so a re-relay is de-duplicated by the stream.
   */
  expandSoldBatch = async (payload: unknown, revision: number): Promise<EventEnvelope[]> => {
    const batch = payload as SoldBatch;
    // Sales this instance committed are in memory: no read back (relay work off the hot path).
    const recent = this.recent.get(batch.eventId);
    const known = recent ? batch.orderIds.map((id) => recent.get(id)?.sale) : [];
    const sales =
      known.length > 0 && known.every((x) => x !== undefined)
        ? (known as Sale[])
        : await this.store.readSales(batch.eventId, batch.orderIds);
    if (sales.length !== batch.orderIds.length) throw new Error(`outbox entry at revision ${revision} names sales that do not exist`);
    const occurredAt = new Date(batch.occurredAt);
    return [
      ...sales.map((sale) =>
        buildEnvelope(
          Events.inventory.ticketsSold,
          soldMessageId(sale.eventId, sale.orderId),
          { orderId: sale.orderId, eventId: sale.eventId, username: sale.username, lines: sale.lines, total: sale.total, revision },
          { source: 'inventory', traceId: sale.traceId ?? newTraceId(), occurredAt },
        ),
      ),
      ...batch.stock.map((t) =>
        buildEnvelope(
          Events.inventory.stockChanged,
          stockMessageId(batch.eventId, t.type, revision),
          {
            eventId: batch.eventId,
            ticketType: t.type,
            total: t.total,
            remaining: t.remaining,
            revision,
            // Absent in an entry written by an older inventory: the notifier reads the stock instead.
            ...(t.remainingBefore !== undefined ? { remainingBefore: t.remainingBefore } : {}),
            ...(batch.eventRemainingBefore !== undefined && batch.eventRemainingAfter !== undefined
              ? { eventRemainingBefore: batch.eventRemainingBefore, eventRemainingAfter: batch.eventRemainingAfter }
              : {}),
          },
          { source: 'inventory', traceId: sales[0]?.traceId ?? newTraceId(), occurredAt },
        ),
      ),
    ];
  };
}

/**
 * Orders whose sales (two puts each: sale: and order:) fit one Txn beside a put per ticket type and
 * the outbox entry; the compares (one per type, the no-new-type range compare, two per sale) then
 * fit too (issue 25).
 */
function ordersThatFit(types: number): number {
  // Each sale is two keys (sale: and order:), so two compares and two puts.
  return Math.max(1, Math.floor((MAX_TXN_OPS - 1 - types) / 2));
}

/** The batch's orders as their keys name them, once each. */
function orderRefs(orders: OrderRequest[]): { orderId: string; username: string }[] {
  const seen = new Map<string, { orderId: string; username: string }>();
  for (const o of orders) if (!seen.has(o.orderId)) seen.set(o.orderId, { orderId: o.orderId, username: o.username });
  return [...seen.values()];
}
