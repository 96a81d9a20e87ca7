/**
 * Purchases: validate, queue per event, decide each batch in arrival order against a fresh read,
 * and write it as one Txn guarded by the ticket keys' mod revisions. A failed compare means
 * another writer (this instance's other batches never overlap; another instance may) committed
 * first: re-read and re-decide, a bounded number of times. Correctness rests on the compares
 * alone, never on a lock or on there being one instance.
 */
import { Inject, Injectable } from '@nestjs/common';
import { AppError, Events, type EventEnvelope } from '@ticketcd/contracts';
import { EtcdUnavailableError } from '@ticketcd/etcd';
import { JetStreamPublisher } from '@ticketcd/messaging';
import { currentTraceId, newTraceId } from '@ticketcd/observability';
import { OutboxRelay } from '@ticketcd/platform';
import { INVENTORY_CONFIG, type InventoryConfig } from '../inventory.config.js';
import { decideBatch, type OrderRequest, type PurchaseOutcome } from './decide.js';
import { GroupCommitter, type Queued } from './group-commit.js';
import { PurchaseRepository } from './purchase.repository.js';

interface Pending extends OrderRequest {
  traceId: string;
}

@Injectable()
export class PurchaseService {
  private readonly committer: GroupCommitter<Pending, PurchaseOutcome>;
  /** Counters for metrics and the benchmark. */
  readonly stats = { batches: 0, orders: 0, conflicts: 0 };

  constructor(
    private readonly repo: PurchaseRepository,
    private readonly publisher: JetStreamPublisher,
    private readonly relay: OutboxRelay,
    @Inject(INVENTORY_CONFIG) private readonly config: InventoryConfig,
  ) {
    this.committer = new GroupCommitter(config.PURCHASE_BATCH_MAX, (eventId, batch) => this.processBatch(eventId, batch));
  }

  purchase(order: OrderRequest): Promise<PurchaseOutcome> {
    return this.committer.submit(order.eventId, { ...order, traceId: currentTraceId() ?? newTraceId() });
  }

  private async processBatch(eventId: string, batch: Queued<Pending, PurchaseOutcome>[]): Promise<void> {
    const orders = batch.map((b) => b.order);
    const orderIds = [...new Set(orders.map((o) => o.orderId))];
    for (let attempt = 1; ; attempt++) {
      const state = await this.repo.readBatchState(eventId, orderIds);
      const decision = decideBatch(orders, state, new Date());
      let revision = 0;
      if (decision.sales.length > 0) {
        const result = await this.commit(eventId, decision, orders);
        if (!result.committed) {
          this.stats.conflicts++;
          if (attempt >= this.config.PURCHASE_MAX_CONFLICTS) {
            throw AppError.unavailable('inventory', `event ${eventId} is too contended right now (${attempt} conflicting writes); retry with the same orderId`);
          }
          // Someone else committed first; a short random pause spreads competing writers.
          await new Promise((r) => setTimeout(r, Math.random() * Math.min(20, attempt * 2)));
          continue;
        }
        revision = result.revision;
        this.relay.kick();
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

  private async commit(eventId: string, decision: ReturnType<typeof decideBatch>, orders: Pending[]) {
    const traceOf = new Map(orders.map((o) => [o.orderId, o.traceId]));
    const occurredAt = new Date();
    const envelopes: EventEnvelope[] = [
      ...decision.sales.map((sale) => ({
        ...this.publisher.envelope(Events.inventory.ticketsSold, `sold:${sale.orderId}`, { orderId: sale.orderId, eventId, username: sale.username, lines: sale.lines, total: sale.total, revision: 0 }, occurredAt),
        traceId: traceOf.get(sale.orderId)!,
      })),
      ...[...decision.touched].map(([type, t]) =>
        // The id is unique per commit; the relay stamps the commit revision into `revision`.
        this.publisher.envelope(Events.inventory.stockChanged, `stock:${eventId}:${type}:${decision.sales[0]!.orderId}`, { eventId, ticketType: type, total: t.total, remaining: t.remaining, revision: 0 }, occurredAt),
      ),
    ];
    try {
      return await this.repo.commitBatch(eventId, decision.touched, decision.sales, envelopes);
    } catch (e) {
      if (e instanceof EtcdUnavailableError) {
        // The Txn may have committed (ambiguous); a retry with the same orderId finds out safely.
        throw AppError.unavailable('etcd', `store unavailable: ${e.message}; retry with the same orderId, it will not sell twice`);
      }
      throw e;
    }
  }
}
