import { baseServiceConfig, env } from '@ticketcd/config';
import type { z } from 'zod';

export const inventoryConfig = baseServiceConfig.extend({
  /**
   * Most orders decided and written in one Txn. Each accepted order costs one op (its sale:
   * key), each touched ticket type one, the outbox entry one: whatever this says, a batch never
   * takes more than its event's Txn holds within etcd's 128 ops (124 orders for 3 types).
   */
  PURCHASE_BATCH_MAX: env.int(1, 126).default(126),
  /** Re-reads after a failed compare (another writer committed first) before giving up. */
  PURCHASE_MAX_CONFLICTS: env.int(1, 1000).default(50),
  /** How long a batch may decide against the state this instance last committed without re-reading. */
  PURCHASE_STATE_TTL_MS: env.int(0, 60_000).default(1000),
  /** Most time one order may take, resends through a leader election included; the caller's
   *  deadline (its RPC budget) wins when shorter. */
  PURCHASE_DEADLINE_MS: env.int(200, 60_000).default(4500),
  /** Deadline of one etcd call of a purchase batch: a call lost with a dead leader is resent after it. */
  PURCHASE_ATTEMPT_MS: env.int(50, 60_000).default(1000),
  /**
   * Batches of one event in flight at once. 1 on small hosts: on 2 cores a deeper pipeline lost
   * (more, smaller Txns cost etcd more CPU than the overlap saves; docs/benchmarks.md).
   */
  PURCHASE_PIPELINE: env.int(1, 8).default(1),
  /** How long a sold-out event's refusals come from memory, should the watch on its stock miss a change. */
  PURCHASE_SOLD_OUT_TTL_MS: env.int(0, 60_000).default(5000),
  /** Most sold-out events answered from memory at once, each with an etcd watch (issue 25.5); the oldest goes first. */
  PURCHASE_SOLD_OUT_MAX_WATCHES: env.int(1, 100_000).default(1000),
  /** Commits go straight to the raft leader over a second connection (one hop less, in order). */
  PURCHASE_PIN_LEADER: env.bool().default(true),
  /** Lease TTL of this instance's event partitions (issue 17): how long a killed instance's events wait for another owner. */
  PARTITION_LEASE_TTL_S: env.int(2, 60).default(5),
});
export type InventoryConfig = z.output<typeof inventoryConfig>;
export const INVENTORY_CONFIG = Symbol('inventory-config');
