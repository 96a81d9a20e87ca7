/**
 * bench:inventory cell (f), the baseline of issue 17: the smallest correct group commit. One
 * writer per event, up to 126 orders per Txn, ONE Mod compare on the event's single ticket key
 * (all types' remaining counts in one value) with the revision cached from its last commit, a
 * tiny `sale` key per order, no outbox, no schema, no per-order compare. A failed compare
 * re-reads. Not the service's code: only what the engine must be at least as fast as.
 */
import { scanPrefix, type EtcdConnection } from '@ticketcd/etcd';

const MAX_ORDERS = 126;

interface Order {
  orderId: string;
  type: string;
  quantity: number;
  resolve: (accepted: boolean) => void;
  reject: (e: unknown) => void;
}

export const minimalTicketKey = (eventId: string) => `bench:min:${eventId}:tickets`;
export const minimalSalePrefix = (eventId: string) => `bench:min:${eventId}:sale:`;

export class MinimalGroupCommit {
  private readonly queues = new Map<string, Order[]>();
  private readonly state = new Map<string, { remaining: Record<string, number>; mod: string }>();

  constructor(private readonly etcd: EtcdConnection) {}

  static async seed(etcd: EtcdConnection, eventId: string, remaining: Record<string, number>): Promise<void> {
    await etcd.kv.put(minimalTicketKey(eventId)).value(JSON.stringify(remaining));
  }

  purchase(eventId: string, orderId: string, type: string, quantity: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      let q = this.queues.get(eventId);
      const idle = !q;
      if (!q) this.queues.set(eventId, (q = []));
      q.push({ orderId, type, quantity, resolve, reject });
      if (idle) void this.writer(eventId);
    });
  }

  private async writer(eventId: string): Promise<void> {
    const ns = this.etcd.kv;
    const key = minimalTicketKey(eventId);
    const q = this.queues.get(eventId)!;
    while (q.length > 0) {
      const batch = q.splice(0, MAX_ORDERS);
      try {
        for (;;) {
          let s = this.state.get(eventId);
          if (!s) {
            const kv = (await ns.get(key).exec()).kvs[0]!;
            s = { remaining: JSON.parse(kv.value.toString()) as Record<string, number>, mod: kv.mod_revision };
          }
          const remaining = { ...s.remaining };
          const sold = batch.map((o) => {
            if ((remaining[o.type] ?? 0) < o.quantity) return false;
            remaining[o.type]! -= o.quantity;
            return true;
          });
          const puts = batch.flatMap((o, i) =>
            sold[i] ? [ns.put(`${minimalSalePrefix(eventId)}${o.orderId}`).value(`${o.type}:${o.quantity}`)] : [],
          );
          const res = await ns
            .if(key, 'Mod', '==', s.mod)
            .then(ns.put(key).value(JSON.stringify(remaining)), ...puts)
            .commit();
          if (!res.succeeded) {
            this.state.delete(eventId);
            continue;
          }
          this.state.set(eventId, { remaining, mod: res.header.revision });
          batch.forEach((o, i) => o.resolve(sold[i]!));
          break;
        }
      } catch (e) {
        this.state.delete(eventId);
        for (const o of batch) o.reject(e);
      }
    }
    this.queues.delete(eventId);
  }

  /** Tickets recorded in sale keys minus tickets taken off the counts: > 0 means oversold. */
  static async oversold(etcd: EtcdConnection, eventId: string, total: number): Promise<number> {
    const counts = JSON.parse((await etcd.kv.get(minimalTicketKey(eventId)).string())!) as Record<string, number>;
    const sold: Record<string, number> = {};
    for await (const kv of scanPrefix(etcd.kv, minimalSalePrefix(eventId), 2000)) {
      const [type, q] = kv.value.split(':');
      sold[type!] = (sold[type!] ?? 0) + Number(q);
    }
    return Object.entries(counts).reduce((over, [type, left]) => over + Math.max(0, (sold[type] ?? 0) - (total - left)), 0);
  }
}
