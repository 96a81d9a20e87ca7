// Issue 14 (web UI), the live unread count: an alert pushed by GET /api/me/live goes into the
// cached lists once (a replay after a reconnect, or an alert the list already read, never
// counts twice), and marking it read stops it counting, on a real TanStack QueryClient.
import { QueryClient, type InfiniteData } from '@tanstack/react-query';
import { addAlertToCache, alertListKey, markReadInCache, unreadKey, type AlertsPage } from '../src/lib/alerts-cache.js';

const alert = (n: number, read = false) => ({
  alertId: `A${n}`,
  eventId: 'E1',
  remaining: 10 - n,
  limit: 10,
  at: new Date(Date.UTC(2026, 0, 1, 12, n)).toISOString(),
  read,
});

function client(list: AlertsPage['items'], unread: number) {
  const qc = new QueryClient();
  qc.setQueryData<InfiniteData<AlertsPage>>(alertListKey, { pages: [{ items: list, nextCursor: null, unread }], pageParams: [''] });
  qc.setQueryData<AlertsPage>(unreadKey, { items: list.slice(0, 1), nextCursor: null, unread });
  return qc;
}
const listOf = (qc: QueryClient) => qc.getQueryData<InfiniteData<AlertsPage>>(alertListKey)!.pages[0]!;
const headOf = (qc: QueryClient) => qc.getQueryData<AlertsPage>(unreadKey)!;

describe('alerts in the query cache', () => {
  it('a new alert goes on top of the list, unread, and the count rises once', () => {
    const qc = client([alert(1, true)], 0);
    const { read: _read, ...live } = alert(2);
    expect(addAlertToCache(qc, live)).toBe(true);
    expect(listOf(qc).items.map((a) => [a.alertId, a.read])).toEqual([
      ['A2', false],
      ['A1', true],
    ]);
    expect(listOf(qc).unread).toBe(1);
    expect(headOf(qc)).toMatchObject({ unread: 1, items: [{ alertId: 'A2' }] });
    // The same alert again (a replay from Last-Event-ID, or the re-read list already had it).
    expect(addAlertToCache(qc, live)).toBe(false);
    expect(listOf(qc).items).toHaveLength(2);
    expect(headOf(qc).unread).toBe(1);
  });

  it('with no list cached (another page), the header count still rises, once per alert', () => {
    const qc = new QueryClient();
    qc.setQueryData<AlertsPage>(unreadKey, { items: [], nextCursor: null, unread: 0 });
    const { read: _read, ...live } = alert(3);
    expect(addAlertToCache(qc, live)).toBe(true);
    addAlertToCache(qc, live);
    expect(headOf(qc).unread).toBe(1);
  });

  it('marking read stops it counting, once, in every list', () => {
    const qc = client([alert(2), alert(1)], 2);
    markReadInCache(qc, 'A2');
    expect(listOf(qc).items.map((a) => a.read)).toEqual([true, false]);
    expect(listOf(qc).unread).toBe(1);
    expect(headOf(qc).unread).toBe(1);
    markReadInCache(qc, 'A2');
    expect(listOf(qc).unread).toBe(1);
    expect(headOf(qc).unread).toBe(1);
  });
});
