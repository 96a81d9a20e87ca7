/**
 * My alerts, newest first, paged; unread ones marked by a "New" label (and a bar, and weight:
 * never colour alone). New alerts arrive through the layout's live stream into the same cache,
 * so they appear here at once. Marking read is explicit (one, or all), so the header's count
 * means "not yet seen and dismissed".
 */
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api, call } from '../../api/client';
import { EmptyState, ErrorState, LoadingList } from '../../components/states';
import { BellIcon } from '../../components/icons';
import { Badge, Button, cx } from '../../components/ui';
import { alertListKey, alertsKey, markReadInCache, useAlertEvent, type Alert } from '../../lib/alerts';
import { formatDate, formatRelative, plural } from '../../lib/format';

const PAGE = 20;
/** "Mark all as read" reads at most this many pages of 100 (a bounded walk). */
const MARK_ALL_PAGES = 10;

/** Re-renders every 30 s so "3 minutes ago" stays true. */
function useNow(everyMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

function AlertItem({ alert, now }: { alert: Alert; now: number }) {
  const qc = useQueryClient();
  const ev = useAlertEvent(alert.eventId);
  const read = useMutation({
    mutationFn: () => call(api.POST('/api/me/alerts/{alertId}/read', { params: { path: { alertId: alert.alertId } } })),
    onSuccess: () => markReadInCache(qc, alert.alertId),
  });
  const unread = !alert.read;
  const name = ev.data === null ? 'A removed event' : (ev.data?.name ?? 'Loading event…');
  return (
    <li
      data-testid="alert"
      data-unread={unread || undefined}
      className={cx(
        'relative flex flex-col gap-3 overflow-hidden rounded-2xl p-4 ring-1 sm:flex-row sm:items-start sm:p-5',
        unread ? 'bg-accent-soft/40 ring-accent/30' : 'bg-surface ring-line',
      )}
    >
      {unread && <span aria-hidden="true" className="absolute inset-y-0 left-0 w-1 bg-accent" />}
      <span
        aria-hidden="true"
        className={cx(
          'hidden size-10 shrink-0 place-items-center rounded-full text-lg sm:grid',
          unread ? 'bg-warn-soft text-warn-ink' : 'bg-muted text-ink-soft',
        )}
      >
        <BellIcon className="size-5" />
      </span>
      <div className="min-w-0 flex-1">
        <div className="flex flex-wrap items-center gap-2">
          {unread ? <Badge tone="accent">New</Badge> : <span className="sr-only">Read:</span>}
          <h3 className={cx('min-w-0 break-words text-base text-ink', unread ? 'font-bold' : 'font-semibold')}>
            {ev.data ? (
              <Link to={`/events/${alert.eventId}`} className="underline-offset-2 hover:underline">
                {name}
              </Link>
            ) : (
              name
            )}
          </h3>
        </div>
        <p className="mt-1 text-sm text-ink">
          <strong>{alert.remaining === 0 ? 'Sold out.' : `${plural(alert.remaining, 'ticket')} left.`}</strong>{' '}
          <span className="text-ink-soft">You asked to hear at {alert.limit} or fewer.</span>
        </p>
        <p className="mt-1 text-xs text-ink-soft">
          <time dateTime={alert.at} title={formatDate(alert.at)}>
            {/* Clamped: a clock a little behind the server's would say "in 1 second". */}
            {formatRelative(Math.min(Date.parse(alert.at), now), now)}
          </time>
        </p>
        {read.isError && (
          <p role="alert" className="mt-2 text-sm text-danger">
            Could not mark it read: {(read.error as Error).message}
          </p>
        )}
      </div>
      {unread && (
        <Button variant="secondary" className="shrink-0 self-start" busy={read.isPending} onClick={() => read.mutate()}>
          Mark read<span className="sr-only">: {name}</span>
        </Button>
      )}
    </li>
  );
}

export function AlertsSection() {
  const qc = useQueryClient();
  const now = useNow();
  const q = useInfiniteQuery({
    queryKey: alertListKey,
    queryFn: ({ pageParam }) =>
      call(api.GET('/api/me/alerts', { params: { query: { limit: PAGE, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const unread = q.data?.pages[0]?.unread ?? 0;
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];

  const markAll = useMutation({
    mutationFn: async () => {
      let cursor: string | undefined;
      for (let i = 0; i < MARK_ALL_PAGES; i++) {
        const page = await call(api.GET('/api/me/alerts', { params: { query: { limit: 100, ...(cursor ? { cursor } : {}) } } }));
        const todo = page.items.filter((a) => !a.read);
        // A few at a time: quick for a handful, gentle on the API for many.
        for (let j = 0; j < todo.length; j += 4) {
          await Promise.all(
            todo.slice(j, j + 4).map(async (a) => {
              await call(api.POST('/api/me/alerts/{alertId}/read', { params: { path: { alertId: a.alertId } } }));
              markReadInCache(qc, a.alertId);
            }),
          );
        }
        if (!page.nextCursor || page.unread === 0) break;
        cursor = page.nextCursor;
      }
    },
    onSettled: () => qc.invalidateQueries({ queryKey: alertsKey }),
  });

  return (
    <section aria-labelledby="alerts-h" className="min-w-0">
      <div className="mb-4 flex flex-wrap items-center justify-between gap-3">
        <div className="flex items-center gap-3">
          <h2 id="alerts-h" className="text-xl font-semibold text-ink">
            Alerts
          </h2>
          {unread > 0 && <Badge tone="accent">{unread} unread</Badge>}
        </div>
        {unread > 0 && (
          <Button variant="ghost" busy={markAll.isPending} onClick={() => markAll.mutate()}>
            Mark all as read
          </Button>
        )}
      </div>
      {markAll.isError && (
        <div className="mb-4">
          <ErrorState error={markAll.error} context="your alerts" onRetry={() => markAll.mutate()} />
        </div>
      )}
      {q.isPending ? (
        <LoadingList rows={3} label="Loading your alerts" />
      ) : q.isError && !q.data ? (
        <ErrorState error={q.error} context="your alerts" onRetry={() => q.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title="No alerts yet">
          When an event you follow runs low on tickets, the alert appears here at once, and the count in the header rises on every page.
        </EmptyState>
      ) : (
        <>
          <ul className="space-y-3" aria-label="Alerts, newest first">
            {items.map((a) => (
              <AlertItem key={a.alertId} alert={a} now={now} />
            ))}
          </ul>
          {q.hasNextPage && (
            <div className="mt-4 text-center">
              <Button variant="secondary" busy={q.isFetchingNextPage} onClick={() => q.fetchNextPage()}>
                Show older alerts
              </Button>
            </div>
          )}
          {q.isFetchNextPageError && (
            <div className="mt-4">
              <ErrorState error={q.error} context="older alerts" onRetry={() => q.fetchNextPage()} />
            </div>
          )}
        </>
      )}
    </section>
  );
}
