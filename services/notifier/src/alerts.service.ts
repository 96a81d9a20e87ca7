/** A user's alerts: newest first, with the unread count; marking one read. */
import { Injectable } from '@nestjs/common';
import { AppError, type Rpc, type RpcRequest, type RpcResult } from '@ticketcd/contracts';
import { CONFLICT, decodeKeyCursor, encodeKeyCursor, retryOnConflict } from '@ticketcd/etcd';
import { SubscriptionsRepository } from './subscriptions/subscriptions.repository.js';

type AlertPage = RpcResult<typeof Rpc.notifier.listAlerts>;

/** Newest first; alerts of one instant by id, so the order is total and a cursor is stable. */
const sortKey = (a: { at: string; alertId: string }) => `${a.at}|${a.alertId}`;

@Injectable()
export class AlertsService {
  constructor(private readonly repo: SubscriptionsRepository) {}

  async list(req: RpcRequest<typeof Rpc.notifier.listAlerts>): Promise<AlertPage> {
    const limit = req.limit ?? 20;
    // A user's alerts are few (one per crossing of their own limits): read all, sort by time.
    const all = (await this.repo.alertsOf(req.username)).map((s) => s.value).sort((a, b) => (sortKey(a) < sortKey(b) ? 1 : -1));
    let start = 0;
    if (req.cursor) {
      const after = decodeKeyCursor(req.cursor, '');
      if (!after || !after.includes('|'))
        throw AppError.badRequest('invalid cursor', [{ path: 'cursor', message: 'not a cursor this list returned' }]);
      start = all.findIndex((a) => sortKey(a) < after);
      if (start < 0) start = all.length;
    }
    const items = all.slice(start, start + limit);
    const more = start + limit < all.length;
    return {
      items,
      nextCursor: more ? encodeKeyCursor(sortKey(items[items.length - 1]!)) : null,
      unread: all.filter((a) => !a.read).length,
    };
  }

  async markRead(username: string, alertId: string): Promise<{ read: boolean }> {
    return retryOnConflict(
      { attempts: 20, what: `alert ${alertId}`, onExhausted: (what) => AppError.unavailable('notifier', `${what} keeps changing; retry`) },
      async () => {
        const stored = await this.repo.alert(username, alertId);
        if (!stored) throw AppError.notFound(`alert ${alertId} of ${username} does not exist`);
        if (stored.value.read) return { read: true };
        return (await this.repo.putAlert(username, stored, { ...stored.value, read: true })) ? { read: true } : CONFLICT;
      },
    );
  }
}
