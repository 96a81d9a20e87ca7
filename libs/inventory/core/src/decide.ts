/**
 * The purchase decision for one batch of orders of one event, in arrival order, against the
 * ticket state read at one revision. Pure: no I/O, so every rule is unit tested here and the
 * repository only reads and commits. An order takes all its lines or none.
 */
import { sameOrder, type OrderClaimRecord, type RpcResult, type SaleRecord, type TicketRecord } from '@ticketcd/contracts';
import type { Rpc } from '@ticketcd/contracts';
import { keys } from '@ticketcd/keys';

export type PurchaseOutcome = RpcResult<typeof Rpc.inventory.purchase>;
export type RefusalReason = Extract<PurchaseOutcome, { status: 'refused' }>['reason'];

export interface OrderRequest {
  orderId: string;
  username: string;
  eventId: string;
  lines: { type: string; quantity: number }[];
  /** Recorded on the sale, and so on its tickets.sold event. */
  traceId?: string;
  /** No earlier send of this orderId exists (see the contract): a refusal need not look for its sale. */
  firstSend?: boolean;
}

/** An `order:` key found for an order of the batch: the order its idempotency key sold (or, in older data, claimed). */
export interface BoundOrder {
  claim: OrderClaimRecord;
  modRevision: number;
}

/** A sale as the core handles it: the stored record plus the ids its key carries. */
export type Sale = SaleRecord & { orderId: string; eventId: string };

export interface TicketState extends TicketRecord {
  modRevision: number;
  /** When the key was created (read from etcd; kept by projections): bounds which keys a commit knows of. */
  createRevision?: number;
  /**
   * The exact value this instance wrote (or is writing) for the key, when the state is its own
   * projection rather than a read: the next commit then compares the value instead of the mod
   * revision, which lets it be sent before the previous batch's revision is known (pipelining).
   */
  written?: string;
}

export interface BatchState {
  /** null when there is no `event:` key (unknown or removed event). */
  event: { maxPerOrder: number; deleted: boolean } | null;
  tickets: Map<string, TicketState>;
  /** Sales already recorded for orders of this batch (retries). */
  existingSales: Map<string, { sale: Sale; revision: number }>;
  /**
   * `order:` keys of orders of this batch (by key: `keys.order(username, orderId)`), read with
   * their sales after a failed compare; absent on a first try (the commit's Create == 0 on each
   * order key catches one that exists) and in any state kept for later batches.
   */
  orderKeys?: Map<string, BoundOrder>;
}

export interface BatchDecision {
  /** Outcome per order id; a sale's `revision` is filled in at commit. */
  outcomes: Map<string, PurchaseOutcome>;
  /** New sales to create, in arrival order. */
  sales: Sale[];
  /** Ticket types whose remaining count changed, with the new record. */
  touched: Map<string, TicketState>;
  /**
   * Orders whose idempotency key already sold another order (another event or other lines): no
   * outcome, the caller answers CONFLICT naming that order (invariant 3).
   */
  reused: Map<string, OrderClaimRecord>;
}

/** Lines of one type are added up: an order for 2 + 1 "vip" is an order for 3. */
export function mergeLines(lines: OrderRequest['lines']): OrderRequest['lines'] {
  const byType = new Map<string, number>();
  for (const l of lines) byType.set(l.type, (byType.get(l.type) ?? 0) + l.quantity);
  return [...byType].map(([type, quantity]) => ({ type, quantity }));
}

function remainingOf(tickets: Map<string, TicketState>): Record<string, number> {
  return Object.fromEntries([...tickets].map(([type, t]) => [type, t.remaining]));
}

export function acceptedFromSale(sale: Sale, revision: number): PurchaseOutcome {
  return {
    status: 'accepted',
    orderId: sale.orderId,
    eventId: sale.eventId,
    lines: sale.lines,
    total: sale.total,
    remaining: sale.remaining,
    revision,
  };
}

export function decideBatch(orders: OrderRequest[], state: BatchState, now: Date): BatchDecision {
  const tickets = new Map([...state.tickets].map(([k, v]) => [k, { ...v }]));
  const outcomes = new Map<string, PurchaseOutcome>();
  const sales: Sale[] = [];
  const touched = new Map<string, TicketState>();
  const reused = new Map<string, OrderClaimRecord>();
  const at = now.toISOString();

  const refuse = (o: OrderRequest, reason: RefusalReason, message: string, problems: Map<string, string> = new Map()): PurchaseOutcome => ({
    status: 'refused',
    orderId: o.orderId,
    eventId: o.eventId,
    reason,
    message,
    lines: mergeLines(o.lines).map((l) => ({ ...l, ...(problems.has(l.type) ? { problem: problems.get(l.type) } : {}) })),
    remaining: remainingOf(tickets),
  });

  for (const order of orders) {
    // A retry of an order already sold (earlier, or earlier in this batch) gets the first reply.
    const previous = state.existingSales.get(order.orderId);
    if (previous) {
      outcomes.set(order.orderId, acceptedFromSale(previous.sale, previous.revision));
      continue;
    }
    if (outcomes.has(order.orderId) || reused.has(order.orderId)) continue;
    // The key sold another order (its order: key is written with the sale, in one Txn): 409, nothing sells.
    const bound = state.orderKeys?.get(keys.order(order.username, order.orderId));
    if (bound && !sameOrder(bound.claim, order)) {
      reused.set(order.orderId, bound.claim);
      continue;
    }

    const lines = mergeLines(order.lines);
    if (!state.event || tickets.size === 0) {
      outcomes.set(order.orderId, refuse(order, 'unknown_event', `event ${order.eventId} does not exist`));
      continue;
    }
    if (state.event.deleted || [...tickets.values()].some((t) => t.closed)) {
      outcomes.set(order.orderId, refuse(order, 'event_deleted', `event ${order.eventId} was deleted and is no longer on sale`));
      continue;
    }
    const unknown = lines.filter((l) => !tickets.has(l.type));
    if (unknown.length > 0) {
      const problems = new Map(unknown.map((l) => [l.type, 'no such ticket type for this event']));
      outcomes.set(
        order.orderId,
        refuse(
          order,
          'unknown_type',
          `unknown ticket type(s): ${unknown.map((l) => l.type).join(', ')}; this event sells ${[...tickets.keys()].join(', ')}`,
          problems,
        ),
      );
      continue;
    }
    const bad = lines.filter((l) => !Number.isInteger(l.quantity) || l.quantity < 1);
    if (bad.length > 0) {
      outcomes.set(
        order.orderId,
        refuse(
          order,
          'invalid_quantity',
          'each quantity must be a whole number of at least 1',
          new Map(bad.map((l) => [l.type, 'not a positive whole number'])),
        ),
      );
      continue;
    }
    const count = lines.reduce((n, l) => n + l.quantity, 0);
    if (count > state.event.maxPerOrder) {
      outcomes.set(
        order.orderId,
        refuse(
          order,
          'over_max_per_order',
          `at most ${state.event.maxPerOrder} tickets per order for this event; this order asks for ${count}`,
        ),
      );
      continue;
    }
    const short = lines.filter((l) => tickets.get(l.type)!.remaining < l.quantity);
    if (short.length > 0) {
      const problems = new Map(short.map((l) => [l.type, `only ${tickets.get(l.type)!.remaining} left`]));
      outcomes.set(
        order.orderId,
        refuse(
          order,
          'sold_out',
          `not enough tickets: ${short.map((l) => `${l.type} has ${tickets.get(l.type)!.remaining} left, ${l.quantity} asked`).join('; ')}`,
          problems,
        ),
      );
      continue;
    }

    const sold = lines.map((l) => ({ type: l.type, quantity: l.quantity, unitPrice: tickets.get(l.type)!.price }));
    for (const l of lines) {
      const t = tickets.get(l.type)!;
      t.remaining -= l.quantity;
      touched.set(l.type, t);
    }
    const sale: Sale = {
      orderId: order.orderId,
      eventId: order.eventId,
      username: order.username,
      lines: sold,
      total: sold.reduce((sum, l) => sum + l.quantity * l.unitPrice, 0),
      remaining: Object.fromEntries(lines.map((l) => [l.type, tickets.get(l.type)!.remaining])),
      at,
      ...(order.traceId ? { traceId: order.traceId } : {}),
    };
    sales.push(sale);
    outcomes.set(order.orderId, acceptedFromSale(sale, 0));
  }
  return { outcomes, sales, touched, reused };
}
