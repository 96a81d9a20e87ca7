/** A buyer's purchase history, newest first, in pages with a stable cursor. */
import { Injectable } from '@nestjs/common';
import { AppError, type Rpc, type RpcRequest, type RpcResult } from '@ticketcd/contracts';
import { decodeKeyCursor, encodeKeyCursor } from '@ticketcd/etcd';
import { prefixes } from '@ticketcd/keys';
import { HistoryRepository, type Purchase } from './history.repository.js';

const newestFirst = (a: Purchase, b: Purchase) => b.at.localeCompare(a.at) || b.orderId.localeCompare(a.orderId);
const cursorOf = (p: Purchase) => Buffer.from(`${p.at}|${p.orderId}`).toString('base64url');

@Injectable()
export class HistoryService {
  constructor(private readonly repo: HistoryRepository) {}

  async eventSales(req: RpcRequest<typeof Rpc.orders.eventSales>): Promise<RpcResult<typeof Rpc.orders.eventSales>> {
    const after = req.cursor ? decodeKeyCursor(req.cursor, prefixes.salesOf(req.eventId)) : null;
    if (req.cursor && !after) throw AppError.badRequest('invalid cursor', [{ path: 'cursor', message: 'not a cursor this API returned' }]);
    const page = await this.repo.salesOf(req.eventId, req.limit ?? 20, after);
    return { items: page.items, nextCursor: page.next ? encodeKeyCursor(page.next) : null };
  }

  async list(req: RpcRequest<typeof Rpc.orders.history>): Promise<RpcResult<typeof Rpc.orders.history>> {
    const all = (await this.repo.purchasesOf(req.username)).sort(newestFirst);
    let start = 0;
    if (req.cursor) {
      const [at, orderId] = Buffer.from(req.cursor, 'base64url').toString().split('|');
      if (!at || !orderId) throw AppError.badRequest('invalid cursor', [{ path: 'cursor', message: 'not a cursor this API returned' }]);
      const after = { at, orderId } as Purchase;
      start = all.findIndex((p) => newestFirst(p, after) > 0);
      if (start < 0) start = all.length;
    }
    const limit = req.limit ?? 20;
    const page = all.slice(start, start + limit);
    return {
      items: page.map(({ orderId, eventId, lines, total, at }) => ({ orderId, eventId, lines, total, at })),
      nextCursor: start + limit < all.length ? cursorOf(page[page.length - 1]!) : null,
    };
  }
}
