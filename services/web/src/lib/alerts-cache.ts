/**
 * The alert lists in TanStack Query's cache, updated from the live stream before the API is
 * re-read: a new alert goes on top once (never twice, whichever list already has it), a read
 * one stops counting. Pure functions of the cache, unit tested.
 */
import type { InfiniteData, QueryClient } from '@tanstack/react-query';

export const alertsKey = ['alerts'] as const;
/** The header's count: the newest alert and the unread count (limit 1). */
export const unreadKey = [...alertsKey, 'unread'] as const;
/** The notifications page's list, paged (useInfiniteQuery). */
export const alertListKey = [...alertsKey, 'list'] as const;
export const subscriptionsKey = ['subscriptions'] as const;

/** GET /api/me/alerts (spelled out so this file imports nothing of the app; alerts.ts checks it). */
export interface Alert {
  alertId: string;
  eventId: string;
  remaining: number;
  limit: number;
  at: string;
  read: boolean;
}
export interface AlertsPage {
  items: Alert[];
  nextCursor: string | null;
  unread: number;
}
/** An alert as the stream carries it. */
export type LiveAlert = Omit<Alert, 'read'>;

/**
 * Puts a new alert at the top of the cached lists and counts it unread, unless a list already
 * holds it. Returns whether it was new to the cache.
 */
export function addAlertToCache(qc: QueryClient, a: LiveAlert): boolean {
  const item: Alert = { alertId: a.alertId, eventId: a.eventId, remaining: a.remaining, limit: a.limit, at: a.at, read: false };
  let known = false;
  qc.setQueryData<InfiniteData<AlertsPage>>(alertListKey, (d) => {
    if (!d?.pages[0]) return d;
    if (d.pages.some((p) => p.items.some((i) => i.alertId === a.alertId))) {
      known = true;
      return d;
    }
    const [first, ...rest] = d.pages;
    return { ...d, pages: [{ ...first, items: [item, ...first.items], unread: first.unread + 1 }, ...rest] };
  });
  qc.setQueryData<AlertsPage>(unreadKey, (d) => {
    if (!d || known || d.items.some((i) => i.alertId === a.alertId)) return d;
    return { ...d, items: [item], unread: d.unread + 1 };
  });
  return !known;
}

/** After a mark-read: the alert read in every cached list, the count one less if it was unread. */
export function markReadInCache(qc: QueryClient, alertId: string): void {
  const unreadIn = (p: AlertsPage) => p.items.some((i) => i.alertId === alertId && !i.read);
  const list = qc.getQueryData<InfiniteData<AlertsPage>>(alertListKey);
  const head = qc.getQueryData<AlertsPage>(unreadKey);
  const wasUnread = !!(list?.pages.some(unreadIn) || (head && unreadIn(head)));
  const mark = (p: AlertsPage, counts: boolean): AlertsPage => ({
    ...p,
    items: p.items.map((i) => (i.alertId === alertId ? { ...i, read: true } : i)),
    unread: wasUnread && counts ? Math.max(0, p.unread - 1) : p.unread,
  });
  qc.setQueryData<AlertsPage>(unreadKey, (d) => (d ? mark(d, true) : d));
  qc.setQueryData<InfiniteData<AlertsPage>>(alertListKey, (d) => (d ? { ...d, pages: d.pages.map((p, i) => mark(p, i === 0)) } : d));
}
