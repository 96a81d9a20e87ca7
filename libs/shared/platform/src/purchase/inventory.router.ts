/**
 * Where an order goes in inventory (used by the gateway, which asks inventory itself since issue
 * 27, and by orders.place), and what happens when the instance that got it dies (issue 25
 * point 6). An order is sent on its event's partition subject, where only the partition's owner
 * listens; a kill -9 of that owner loses every order it held, and nats.js would only time them
 * out: a buyer's 504 after the whole budget. So an order unanswered after SUSPECT_MS has its
 * partition probed (one probe per partition at a time, shared by every waiting order): the
 * listener answers with how long it has listened there. Nobody listening, or a listener that
 * started after the order was sent (a stand-in or a new owner), means the order went to another
 * instance, which may have died with it: the order is sent again. Resending is safe (the sale: key
 * is Create==0, a second decision finds the first sale); a probe that times out proves nothing and
 * changes nothing, like every other timeout. The first definite answer of any send wins.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Msg } from '@nats-io/nats-core';
import {
  AppError,
  HEADERS,
  inventoryPurchaseFor,
  inventoryPurchaseSubject,
  partitionOf,
  Rpc,
  type RpcReply,
  type RpcRequest,
  type RpcResult,
} from '@ticketcd/contracts';
import { isNoResponders, RpcClient, wasNotDelivered, type NatsConnection } from '@ticketcd/messaging';
import { NATS } from '../tokens.js';

type Purchase = RpcRequest<typeof Rpc.inventory.purchase>;
type Outcome = RpcResult<typeof Rpc.inventory.purchase>;

/** An order unanswered this long has its partition probed. Normal answers come in well under it. */
export const SUSPECT_MS = 750;
/** How often a partition with a waiting order is probed, and how long a probe may take. */
export const PROBE_MS = 300;

/** What a probe found: the listener's start (in our clock), nobody, or nothing known (timeout). */
export type ProbeResult = { listeningSince: number } | 'nobody' | 'unknown';

/** The transport, apart from the rule: a send and a probe (real NATS in the service, fakes in unit tests). */
export interface RouterTransport {
  send(order: Purchase, plain: boolean, timeoutMs: number): Promise<RpcReply<Outcome>>;
  probe(partition: number): Promise<ProbeResult>;
}

/** A failure that another send still in flight may turn into an answer. */
const transient = (e: { code: string }) => e.code === 'TIMEOUT' || e.code === 'UNAVAILABLE';

/** The routing rule itself, over any transport. */
export async function routePurchase(
  t: RouterTransport,
  order: Purchase,
  timeoutMs: number,
  probeOf: (p: number) => Promise<ProbeResult>,
): Promise<Outcome> {
  const endAt = Date.now() + timeoutMs;
  const p = partitionOf(order.eventId);
  type Settled = { reply: RpcReply<Outcome>; plain: boolean; attempt: Promise<Settled> };
  const pending = new Set<Promise<Settled>>();
  let lastSentAt = 0;
  let plainPending = 0;
  const send = (plain: boolean) => {
    lastSentAt = Date.now();
    if (plain) plainPending++;
    const attempt: Promise<Settled> = t.send(order, plain, Math.max(1, endAt - Date.now())).then(
      (reply) => ({ reply, plain, attempt }),
      (e: unknown) => ({ reply: failed(e), plain, attempt }),
    );
    pending.add(attempt);
  };
  send(false);
  let lastError: RpcReply<Outcome> | null = null;
  let nextProbeAt = Date.now() + SUSPECT_MS;
  while (pending.size > 0) {
    let timer: NodeJS.Timeout | undefined;
    const wake = Math.min(nextProbeAt, endAt) - Date.now();
    const tick = new Promise<'tick'>((r) => (timer = setTimeout(() => r('tick'), Math.max(0, wake))));
    const first = await Promise.race([...pending, tick]);
    clearTimeout(timer);
    if (first !== 'tick') {
      pending.delete(first.attempt);
      if (first.plain) plainPending--;
      const { reply } = first;
      if (reply.ok) return reply.data;
      // Nobody listens on the partition (its owner just died, before a stand-in): nothing was
      // delivered, so the plain subject (any instance: it forwards or decides) is safe.
      if (!first.plain && wasNotDelivered(reply.error)) {
        send(true);
        continue;
      }
      lastError = reply;
      if (transient(reply.error) && pending.size > 0) continue;
      throw new AppError(reply.error);
    }
    if (Date.now() >= endAt) continue; // the sends time out on their own now
    nextProbeAt = Date.now() + PROBE_MS;
    const found = await probeOf(p);
    // Nobody listening: one send on the plain subject at a time (any live instance takes it).
    if (found === 'nobody' ? plainPending === 0 : found !== 'unknown' && found.listeningSince > lastSentAt) send(found === 'nobody');
  }
  throw new AppError(lastError && !lastError.ok ? lastError.error : AppError.timeout('inventory', 'no answer to the purchase').error);
}

function failed(e: unknown): RpcReply<Outcome> {
  return { ok: false, error: AppError.unavailable('inventory', `purchase send failed: ${(e as Error)?.message ?? String(e)}`).error };
}

@Injectable()
export class InventoryRouter implements RouterTransport {
  /** One probe per partition at a time; a fresh result is shared by every order waiting on it. */
  private readonly probes = new Map<number, { at: number; result: Promise<ProbeResult> }>();

  constructor(
    private readonly rpc: RpcClient,
    @Inject(NATS) private readonly nats: NatsConnection,
  ) {}

  purchase(order: Purchase, timeoutMs: number): Promise<Outcome> {
    return routePurchase(this, order, timeoutMs, (p) => this.sharedProbe(p));
  }

  send(order: Purchase, plain: boolean, timeoutMs: number): Promise<RpcReply<Outcome>> {
    // Idempotent by order id: a request lost with a NATS restart is sent again by the client too.
    const def = plain ? Rpc.inventory.purchase : inventoryPurchaseFor(order.eventId);
    return this.rpc.request(def, order, { timeoutMs, resendOnReconnect: true });
  }

  async probe(partition: number): Promise<ProbeResult> {
    let msg: Msg;
    try {
      msg = await this.nats.request(inventoryPurchaseSubject(partition), new Uint8Array(0), { timeout: PROBE_MS });
    } catch (e) {
      return isNoResponders(e) ? 'nobody' : 'unknown';
    }
    const ms = Number(msg.headers?.get(HEADERS.listeningMs));
    // An inventory that does not say (an older version) is taken as listening all along.
    return Number.isFinite(ms) && ms >= 0 ? { listeningSince: Date.now() - ms } : { listeningSince: 0 };
  }

  private sharedProbe(p: number): Promise<ProbeResult> {
    const cached = this.probes.get(p);
    if (cached && Date.now() - cached.at < PROBE_MS) return cached.result;
    const result = this.probe(p);
    this.probes.set(p, { at: Date.now(), result });
    return result;
  }
}
