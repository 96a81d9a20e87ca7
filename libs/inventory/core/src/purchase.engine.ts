/**
 * The inventory core: purchases queue per event, each batch is decided in arrival order and
 * written as ONE Txn guarded by the ticket keys' mod revisions (group commit). A failed compare
 * means another writer committed first: re-read and re-decide, a bounded number of times.
 * Correctness rests on the compares alone, never on a lock or on there being one instance.
 * Plain class (no Nest) so the service and the benchmark run the very same code.
 */
import { AppError, buildEnvelope, Events, type EventEnvelope } from '@ticketcd/contracts';
import { EtcdUnavailableError, GroupCommitter, type EtcdConnection, type Queued } from '@ticketcd/etcd';
import { currentTraceId, newTraceId } from '@ticketcd/observability';
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
  /** Called after each commit that wrote an outbox entry (the relay's kick). */
  onCommitted?: () => void;
}

type Pending = OrderRequest;

export class PurchaseEngine {
  private readonly store: PurchaseStore;
  private readonly committer: GroupCommitter<Pending, PurchaseOutcome>;
  /**
   * The ticket state this instance last committed, per event. The next batch decides against it
   * without a read; its compares prove it is still current, and any failed compare falls back
   * to a fresh read. Entries expire so that an edit of the event (maxPerOrder) shows soon.
   */
  private readonly known = new Map<string, { state: BatchState; at: number }>();
  readonly stats = { batches: 0, orders: 0, conflicts: 0, reads: 0 };

  constructor(
    etcd: EtcdConnection,
    private readonly opts: PurchaseEngineOptions,
  ) {
    this.store = new PurchaseStore(etcd);
    this.committer = new GroupCommitter(opts.batchMax, (eventId, batch) => this.processBatch(eventId, batch));
  }

  purchase(order: OrderRequest): Promise<PurchaseOutcome> {
    return this.committer.submit(order.eventId, { ...order, traceId: order.traceId ?? currentTraceId() ?? newTraceId() });
  }

  private async state(eventId: string, orderIds: string[], attempt: number): Promise<{ state: BatchState; cachedAt?: number }> {
    const cached = attempt === 1 ? this.known.get(eventId) : undefined;
    if (cached && Date.now() - cached.at < this.opts.stateTtlMs) return { state: cached.state, cachedAt: cached.at };
    this.stats.reads++;
    // After a failed compare, also look for these orders' sales: some may be retries of sold orders.
    return { state: await this.store.readBatchState(eventId, orderIds, attempt > 1) };
  }

  private async processBatch(eventId: string, batch: Queued<Pending, PurchaseOutcome>[]): Promise<void> {
    const orders = batch.map((b) => b.order);
    const orderIds = [...new Set(orders.map((o) => o.orderId))];
    for (let attempt = 1; ; attempt++) {
      const { state, cachedAt } = await this.state(eventId, orderIds, attempt);
      const decision = decideBatch(orders, state, new Date());
      let revision = 0;
      if (decision.sales.length > 0) {
        const result = await this.commit(eventId, decision).catch((e: unknown) => {
          this.known.delete(eventId);
          throw e;
        });
        if (!result.committed) {
          this.known.delete(eventId);
          this.stats.conflicts++;
          if (attempt >= this.opts.maxConflicts) {
            throw AppError.unavailable('inventory', `event ${eventId} is too contended right now (${attempt} conflicting writes); retry with the same orderId`);
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

  private async commit(eventId: string, decision: BatchDecision) {
    try {
      return await this.store.commitBatch(eventId, decision.touched, decision.sales, new Date());
    } catch (e) {
      if (e instanceof EtcdUnavailableError) {
        // The Txn may have committed (ambiguous): a retry with the same orderId finds out safely.
        throw AppError.unavailable('etcd', `store unavailable: ${e.message}; retry with the same orderId, it will not sell twice`);
      }
      throw e;
    }
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
