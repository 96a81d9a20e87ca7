/** Checks of invariant 1 read straight from etcd, shared by the inventory tests. */
import { saleRecord, ticketRecord, type SaleRecord, type TicketRecord } from '@ticketcd/contracts';
import { scanPrefix, type EtcdConnection } from '@ticketcd/etcd';
import { parseKey, prefixes } from '@ticketcd/keys';

export async function readTickets(conn: EtcdConnection, eventId: string): Promise<Map<string, TicketRecord>> {
  const out = new Map<string, TicketRecord>();
  for await (const kv of scanPrefix(conn.kv, prefixes.ticketsOf(eventId))) {
    const k = parseKey(kv.key);
    if (k.kind === 'ticket') out.set(k.ticketType, ticketRecord.parse(JSON.parse(kv.value)));
  }
  return out;
}

export async function readSales(conn: EtcdConnection, eventId: string): Promise<Map<string, SaleRecord>> {
  const out = new Map<string, SaleRecord>();
  for await (const kv of scanPrefix(conn.kv, prefixes.salesOf(eventId))) {
    const k = parseKey(kv.key);
    if (k.kind === 'sale') out.set(k.orderId, saleRecord.parse(JSON.parse(kv.value)));
  }
  return out;
}

/** Invariant 1: 0 <= remaining <= total, and total - remaining = the quantities in sale: records. */
export async function expectStockMatchesSales(
  conn: EtcdConnection,
  eventId: string,
): Promise<{ tickets: Map<string, TicketRecord>; sales: Map<string, SaleRecord> }> {
  const tickets = await readTickets(conn, eventId);
  const sales = await readSales(conn, eventId);
  for (const [type, t] of tickets) {
    const sold = [...sales.values()]
      .flatMap((s) => s.lines)
      .filter((l) => l.type === type)
      .reduce((n, l) => n + l.quantity, 0);
    expect({
      type,
      remaining: t.remaining,
      nonNegative: t.remaining >= 0,
      withinTotal: t.remaining <= t.total,
      sold: t.total - t.remaining,
    }).toEqual({
      type,
      remaining: t.remaining,
      nonNegative: true,
      withinTotal: true,
      sold,
    });
  }
  return { tickets, sales };
}
