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
 */
import { AppError, buildEnvelope, Events, type EventEnvelope } from '@ticketcd/contracts';
import { EtcdUnavailableError, GroupCommitter, MIN_ATTEMPT_MS, resendPause, type EtcdConnection, type Queued } from '@ticketcd/etcd';
import { currentDeadline, currentTraceId, newTraceId } from '@ticketcd/observability';
import { decideBatch, type BatchDecision, type BatchState, type OrderRequest, type PurchaseOutcome } from './decide.js';
import { soldMessageId, stockMessageId } from './message-ids.js';
import { PurchaseStore, type SoldBatch } from './purchase.store.js';

export interface PurchaseEngineOptions {
  /** Most orders per Txn: each accepted order costs one op, each touched type one, the outbox entry one. */
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
}

/** Kept for the answer to travel back to the caller before it gives up. */
const REPLY_MARGIN_MS = 250;

type Pending = OrderRequest & { deadlineAt: number };

export class PurchaseEngine {
  private readonly store: PurchaseStore;
  private readonly committer: GroupCommitter<Pending, PurchaseOutcome>;
  /**
   * The ticket state this instance last committed, per event. The next batch decides against it
   * without a read; its compares prove it is still current, and any failed compare falls back
   * to a fresh read. Entries expire so that an edit of the event (maxPerOrder) shows soon.
   */
  private readonly known = new Map<string, { state: BatchState; at: number }>();
  readonly stats = { batches: 0, orders: 0, conflicts: 0, reads: 0, resends: 0 };
  private draining = false;

  constructor(
    etcd: EtcdConnection,
    private readonly opts: PurchaseEngineOptions,
  ) {
    this.store = new PurchaseStore(etcd);
    this.committer = new GroupCommitter(opts.batchMax, (eventId, batch) => this.processBatch(eventId, batch));
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
    return this.committer.submit(order.eventId, { ...order, traceId: order.traceId ?? currentTraceId() ?? newTraceId(), deadlineAt });
  }

  private async state(
    eventId: string,
    orderIds: string[],
    attempt: number,
    deadline: Date,
  ): Promise<{ state: BatchState; cachedAt?: number }> {
    const cached = attempt === 1 ? this.known.get(eventId) : undefined;
    if (cached && Date.now() - cached.at < this.opts.stateTtlMs) return { state: cached.state, cachedAt: cached.at };
    this.stats.reads++;
    // After a failed compare or a failed send, also look for these orders' sales: some may be
    // retries of sold orders, or sold by the send that seemed to fail.
    return { state: await this.store.readBatchState(eventId, orderIds, attempt > 1, deadline) };
  }

  private async processBatch(eventId: string, all: Queued<Pending, PurchaseOutcome>[]): Promise<void> {
    let batch = all;
    let conflicts = 0;
    let failures = 0;
    for (let attempt = 1; ; attempt++) {
      const orders = batch.map((b) => b.order);
      const orderIds = [...new Set(orders.map((o) => o.orderId))];
      const deadline = new Date(Math.min(Math.max(...orders.map((o) => o.deadlineAt)), Date.now() + (this.opts.attemptMs ?? 1000)));
      let attemptResult: Awaited<ReturnType<PurchaseEngine['attempt']>>;
      try {
        attemptResult = await this.attempt(eventId, orders, orderIds, attempt, deadline);
      } catch (e) {
        this.known.delete(eventId);
        if (!(e instanceof EtcdUnavailableError)) throw e;
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
      const { decision, state, cachedAt, result } = attemptResult;
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
        this.opts.onCommitted?.();
        // Every key a Txn writes gets the Txn's revision.
        const tickets = new Map(state.tickets);
        for (const [type, t] of decision.touched) tickets.set(type, { ...t, modRevision: revision });
        this.known.set(eventId, { state: { event: state.event, tickets, existingSales: new Map() }, at: cachedAt ?? Date.now() });
      }
      this.stats.batches++;
      this.stats.orders += batch.length;
      for (const item of batch) {
        const outcome = decision.outcomes.get(item.order.orderId)!;
        item.resolve(outcome.status === 'accepted' && outcome.revision === 0 ? { ...outcome, revision } : outcome);
      }
      return;
    }
  }

  /** One read-decide-commit round; no commit when the batch sells nothing. */
  private async attempt(eventId: string, orders: Pending[], orderIds: string[], attempt: number, deadline: Date) {
    const { state, cachedAt } = await this.state(eventId, orderIds, attempt, deadline);
    const decision: BatchDecision = decideBatch(orders, state, new Date());
    const result =
      decision.sales.length > 0 ? await this.store.commitBatch(eventId, decision.touched, decision.sales, new Date(), deadline) : null;
    return { state, cachedAt, decision, result };
  }

  /**
   * Shutdown: take no new order (UNAVAILABLE, to be retried elsewhere) and resolve once every
   * queued batch has been committed and answered.
   */
  drain(): Promise<void> {
    this.draining = true;
    return this.committer.idle();
  }

  /**
   * The relay's expander for this engine's outbox entries: one tickets.sold per order (read back
   * from its sale key) and one stock.changed per touched type, with the commit revision. Ids
   * derive from the sale and the revision, so a re-relay is de-duplicated by the stream.
   */
  expandSoldBatch = async (payload: unknown, revision: number): Promise<EventEnvelope[]> => {
    const batch = payload as SoldBatch;
    const sales = await this.store.readSales(batch.eventId, batch.orderIds);
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
          { eventId: batch.eventId, ticketType: t.type, total: t.total, remaining: t.remaining, revision },
          { source: 'inventory', traceId: sales[0]?.traceId ?? newTraceId(), occurredAt },
        ),
      ),
    ];
  };
}
