/**
 * How the tickets.sold consumer splits what queued up into etcd Txns (issue 17 point 4): each
 * group is one Txn that creates one purchase: key per order and updates one stats: key per event
 * of the group, so a group holds orders + distinct events <= etcd's 128 ops (and compares).
 * Pure, so the limits are unit tested.
 */
import { MAX_TXN_OPS } from '@ticketcd/etcd';

export interface SaleRef {
  eventId: string;
  orderId: string;
  username: string;
}

/** The same order twice in one batch (a redelivery next to its original) counts once: the first stays. */
export function uniqueSales<T extends SaleRef>(sales: readonly T[]): T[] {
  const seen = new Set<string>();
  return sales.filter((s) => {
    const id = `${s.username}:${s.eventId}:${s.orderId}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Groups in arrival order, each with orders + distinct events <= maxOps. */
export function txnGroups<T extends SaleRef>(sales: readonly T[], maxOps = MAX_TXN_OPS): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let events = new Set<string>();
  for (const s of sales) {
    const cost = 1 + (events.has(s.eventId) ? 0 : 1);
    if (current.length > 0 && current.length + events.size + cost > maxOps) {
      groups.push(current);
      current = [];
      events = new Set();
    }
    current.push(s);
    events.add(s.eventId);
  }
  if (current.length) groups.push(current);
  return groups;
}
