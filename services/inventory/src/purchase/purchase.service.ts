/** The inventory core (libs/inventory/core) wired into the service: config, etcd, outbox relay. */
import { Inject, Injectable } from '@nestjs/common';
import type { EtcdConnection } from '@ticketcd/etcd';
import { PurchaseEngine, SOLD_BATCH, type OrderRequest, type PurchaseOutcome } from '@ticketcd/inventory-core';
import { Metrics } from '@ticketcd/observability';
import { DependencyProbe, ETCD, Lifecycle, OutboxRelay } from '@ticketcd/platform';
import { INVENTORY_CONFIG, type InventoryConfig } from '../inventory.config.js';

@Injectable()
export class PurchaseService {
  private readonly engine: PurchaseEngine;

  constructor(
    @Inject(ETCD) etcd: EtcdConnection,
    relay: OutboxRelay,
    @Inject(INVENTORY_CONFIG) config: InventoryConfig,
    lifecycle: Lifecycle,
    @Inject(Metrics) metrics: Metrics,
    probe: DependencyProbe,
  ) {
    this.engine = new PurchaseEngine(etcd, {
      batchMax: config.PURCHASE_BATCH_MAX,
      maxConflicts: config.PURCHASE_MAX_CONFLICTS,
      stateTtlMs: config.PURCHASE_STATE_TTL_MS,
      deadlineMs: config.PURCHASE_DEADLINE_MS,
      attemptMs: config.PURCHASE_ATTEMPT_MS,
      pipeline: config.PURCHASE_PIPELINE,
      soldOutTtlMs: config.PURCHASE_SOLD_OUT_TTL_MS,
      maxSoldOutWatches: config.PURCHASE_SOLD_OUT_MAX_WATCHES,
      pinLeader: config.PURCHASE_PIN_LEADER,
      onCommitted: () => relay.kick(),
      // Issue 25.1: with the quorum known lost, a failed batch is answered at once, not resent.
      quorumLost: () => probe.etcdQuorumLost,
    });
    relay.registerExpander(SOLD_BATCH, this.engine.expandSoldBatch);
    metrics.gaugeOf(
      'ticketcd_inventory_sold_out_watches',
      'Sold-out events answered from memory right now, each with an etcd watch on its ticket keys (at most PURCHASE_SOLD_OUT_MAX_WATCHES)',
      () => this.engine.soldOutWatchCount,
    );
    // SIGTERM: the queued orders are committed and answered before the process goes.
    lifecycle.onDrain('purchases', () => this.engine.drain());
  }

  purchase(order: OrderRequest): Promise<PurchaseOutcome> {
    return this.engine.purchase(order);
  }
}
