/**
 * Issue 17 point 5: inventory scales out by event. Events are hashed onto a fixed number of
 * partitions; each partition is held by one inventory instance (an etcd lease), which alone
 * listens on the partition's purchase subject. Callers (orders) send a purchase to the subject
 * of its event's partition, so one event's orders reach one instance and its group commit.
 *
 * The count is a contract, not a per-service setting: callers and inventory must agree on it,
 * and changing it moves most events to another partition (a redeploy of both, like any contract
 * change). Correctness never rests on it: the engine's compares decide, ownership only routes.
 */
import { z } from 'zod';
import { Events } from './events.js';
import { Rpc, type RpcDef } from './rpc.js';
import { id } from './schemas.js';

export const INVENTORY_PARTITIONS = 16;

/** The partition of an event: FNV-1a of its id, stable across processes and versions. */
export function partitionOf(eventId: string, partitions: number = INVENTORY_PARTITIONS): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < eventId.length; i++) {
    h ^= eventId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % partitions;
}

/** `inventory.purchase.p<n>`: only the owner of partition n listens on it. */
export function inventoryPurchaseSubject(partition: number): string {
  return `${Rpc.inventory.purchase.subject}.p${partition}`;
}

const byPartition = Array.from({ length: INVENTORY_PARTITIONS }, (_, p) => ({
  ...Rpc.inventory.purchase,
  subject: inventoryPurchaseSubject(p),
}));

/**
 * inventory.purchase sent straight to the owner of the event's partition. The plain
 * `inventory.purchase` subject still works (any instance; it forwards to the owner).
 */
export function inventoryPurchaseFor(eventId: string): RpcDef<typeof Rpc.inventory.purchase.request, typeof Rpc.inventory.purchase.reply> {
  return byPartition[partitionOf(eventId)]!;
}

/**
 * Issue 25 point 2: the notifier evaluates each event's stock changes in one instance at a time.
 * Events go to the same partitions as inventory's (the same hash and count); the owner of
 * partition n listens on `notifier.stock.p<n>`, where an instance that received an event's stock
 * changes from the shared durable consumer forwards them. Not a stream subject (no stream may
 * capture a request subject) and not in `Rpc` (no gateway route, no Nest handler).
 */
export const NOTIFIER_PARTITIONS = INVENTORY_PARTITIONS;

export function notifierStockSubject(partition: number): string {
  return `notifier.stock.p${partition}`;
}

/** The request on `notifier.stock.p<n>`: stock changes of one event, as the stream delivered them. */
export const stockChangesForward = z.object({
  eventId: id,
  changes: z.array(Events.inventory.stockChanged.data).min(1).max(1000),
});
export type StockChangesForward = z.infer<typeof stockChangesForward>;
