/**
 * Admin: Statistics. Totals as big numbers (revenue, orders, tickets), revenue and orders per
 * event (bar chart), sales by ticket type (doughnut), each chart with a table of the same numbers
 * (its text alternative), and a per-event drill-down: the event's sales, newest first. Refetched
 * every 5 s and on focus, so a purchase shows within seconds.
 */
import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type { ChartConfiguration } from 'chart.js';
import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, call } from '../../api/client';
import { DataTable, Figure, Section, Td, Th } from '../../components/admin-ui';
import { EmptyState, ErrorState, LiveIndicator, LoadingList } from '../../components/states';
import { Button, Card, PageTitle, Skeleton, cx } from '../../components/ui';
import { formatDate, formatDateShort, formatMoney, formatRelative, plural } from '../../lib/format';
import { ChartCanvas, PALETTE } from './admin-charts';
import { adminKeys, humanize, useAllEvents, type EventSummary, type Stats } from './admin.queries';

/** How often the figures refresh: a purchase shows within this. */
const REFRESH_MS = 5_000;
const ZERO: Stats = { revenue: 0, orders: 0, soldByType: {} };
/** The per-event table shows the events with the most revenue (the selected one always). */
const TABLE_ROWS = 50;
const BAR_EVENTS = 10;

const sumTickets = (s: Stats) => Object.values(s.soldByType).reduce((a, b) => a + b, 0);
const short = (s: string, n = 22) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

interface EventRow {
  event: EventSummary;
  stats?: Stats;
}

export default function StatsPage() {
  const [params, setParams] = useSearchParams();
  const selected = params.get('event');
  const totals = useQuery({
    queryKey: adminKeys.stats(),
    queryFn: () => call(api.GET('/api/admin/stats')),
    refetchInterval: REFRESH_MS,
    refetchOnWindowFocus: true,
  });
  const events = useAllEvents({ refetchInterval: 30_000 });
  const listed = useMemo(() => events.data?.items ?? [], [events.data]);
  // Every event's figures in one call, refetched when the totals move (a sale happened), not every tick.
  const generation = totals.data ? `${totals.data.orders}:${totals.data.revenue}` : 'none';
  const perEvent = useQuery({
    queryKey: [...adminKeys.stats(), 'events', generation],
    queryFn: () => call(api.GET('/api/admin/stats/events')),
    placeholderData: keepPreviousData,
    enabled: !!totals.data,
    refetchInterval: 30_000,
  });
  const rows: EventRow[] = listed.map((event) => ({
    event,
    stats: perEvent.data ? (perEvent.data.items[event.eventId] ?? ZERO) : undefined,
  }));
  const updatedAt = totals.dataUpdatedAt;

  const status = totals.isError ? 'reconnecting' : totals.isSuccess ? 'live' : 'connecting';

  return (
    <div>
      <PageTitle
        sub={
          <span className="inline-flex flex-wrap items-center gap-x-3">
            <span>Revenue, orders and tickets sold; refreshed every {REFRESH_MS / 1000} s.</span>
            <LiveIndicator status={status} />
            {updatedAt > 0 && <span className="text-xs tabular-nums">Updated {new Date(updatedAt).toLocaleTimeString()}</span>}
          </span>
        }
      >
        Statistics
      </PageTitle>

      {totals.isPending ? (
        <div className="grid grid-cols-2 gap-3 lg:grid-cols-4" role="status" aria-label="Loading the totals">
          {[0, 1, 2, 3].map((i) => (
            <Skeleton key={i} className="h-24" />
          ))}
        </div>
      ) : totals.isError && !totals.data ? (
        <ErrorState error={totals.error} context="the statistics" onRetry={() => totals.refetch()} />
      ) : (
        <Totals stats={totals.data!} />
      )}

      <div className="mt-6 grid gap-4 lg:grid-cols-5">
        <Card className="min-w-0 lg:col-span-3">
          <h2 className="font-semibold text-ink">Revenue and orders per event</h2>
          <p className="mb-3 text-sm text-ink-soft">The {BAR_EVENTS} events with the most revenue.</p>
          {events.isPending ? <Skeleton className="h-72" /> : <PerEventChart rows={rows} />}
        </Card>
        <Card className="min-w-0 lg:col-span-2">
          <h2 className="font-semibold text-ink">Sales by ticket type</h2>
          <p className="mb-3 text-sm text-ink-soft">Tickets sold, all events.</p>
          {totals.data ? <TypeChart stats={totals.data} /> : <Skeleton className="h-72" />}
        </Card>
      </div>

      <Section
        title="Per event"
        sub={
          rows.length > TABLE_ROWS
            ? `The ${TABLE_ROWS} events with the most revenue of ${rows.length}; deleted events count in the totals only.`
            : 'Deleted events count in the totals only. Choose an event to see its sales.'
        }
      >
        {events.isPending ? (
          <LoadingList rows={2} label="Loading the events" />
        ) : events.isError ? (
          <ErrorState error={events.error} context="the events" onRetry={() => events.refetch()} />
        ) : rows.length === 0 ? (
          <EmptyState
            title="No events yet"
            action={
              <Link className="underline" to="/admin/events/new">
                Create an event
              </Link>
            }
          >
            Figures appear here once events sell tickets.
          </EmptyState>
        ) : (
          <EventTable rows={rows} selected={selected} onSelect={(id) => setParams(id ? { event: id } : {}, { replace: true })} />
        )}
      </Section>

      {selected && <SalesPanel eventId={selected} event={rows.find((r) => r.event.eventId === selected)?.event} />}
    </div>
  );
}

function Totals({ stats }: { stats: Stats }) {
  const tickets = sumTickets(stats);
  return (
    <dl className="grid grid-cols-2 gap-3 lg:grid-cols-4">
      <Figure label="Revenue" value={formatMoney(stats.revenue)} testId="total-revenue" />
      <Figure label="Orders" value={stats.orders.toLocaleString()} testId="total-orders" />
      <Figure label="Tickets sold" value={tickets.toLocaleString()} testId="total-tickets" />
      <Figure label="Average order" value={stats.orders ? formatMoney(Math.round(stats.revenue / stats.orders)) : '–'} />
    </dl>
  );
}

function PerEventChart({ rows }: { rows: EventRow[] }) {
  const top = useMemo(
    () =>
      rows
        .filter((r) => r.stats && r.stats.orders > 0)
        .sort((a, b) => b.stats!.revenue - a.stats!.revenue)
        .slice(0, BAR_EVENTS),
    [rows],
  );
  const config = useMemo(
    (): ChartConfiguration<'bar'> => ({
      type: 'bar',
      data: {
        labels: top.map((r) => short(r.event.name)),
        datasets: [
          {
            label: 'Revenue (€)',
            data: top.map((r) => r.stats!.revenue / 100),
            backgroundColor: PALETTE[0],
            borderRadius: 4,
            maxBarThickness: 56,
            categoryPercentage: 0.6,
            yAxisID: 'y',
          },
          {
            label: 'Orders',
            data: top.map((r) => r.stats!.orders),
            backgroundColor: PALETTE[1],
            borderRadius: 4,
            maxBarThickness: 56,
            categoryPercentage: 0.6,
            yAxisID: 'y1',
          },
        ],
      },
      options: {
        plugins: {
          legend: { position: 'bottom', labels: { boxWidth: 12 } },
          tooltip: {
            callbacks: {
              label: (c) => (c.dataset.yAxisID === 'y' ? `Revenue ${formatMoney(Math.round(c.parsed.y! * 100))}` : `${c.parsed.y} orders`),
            },
          },
        },
        scales: {
          x: { grid: { display: false } },
          y: {
            beginAtZero: true,
            position: 'left',
            title: { display: true, text: 'Revenue' },
            ticks: { callback: (v) => formatMoney(Number(v) * 100).replace(/[.,]00(?=\D*$)/, '') },
          },
          y1: {
            beginAtZero: true,
            position: 'right',
            title: { display: true, text: 'Orders' },
            grid: { display: false },
            ticks: { precision: 0 },
          },
        },
      },
    }),
    [top],
  );
  if (top.length === 0)
    return (
      <div className="grid h-72 place-items-center rounded-xl bg-muted/50 text-center text-sm text-ink-soft">
        <p>No sales yet. Bars appear with the first order.</p>
      </div>
    );
  const summary = `Bar chart of revenue and orders per event: ${top
    .map((r) => `${r.event.name} ${formatMoney(r.stats!.revenue)}, ${plural(r.stats!.orders, 'order')}`)
    .join('; ')}.`;
  return <ChartCanvas config={config} label={summary} testId="chart-per-event" />;
}

function TypeChart({ stats }: { stats: Stats }) {
  const entries = useMemo(() => Object.entries(stats.soldByType).sort((a, b) => b[1] - a[1]), [stats]);
  const total = entries.reduce((a, [, n]) => a + n, 0);
  const config = useMemo(
    (): ChartConfiguration<'doughnut'> => ({
      type: 'doughnut',
      data: {
        labels: entries.map(([t]) => humanize(t)),
        datasets: [
          { data: entries.map(([, n]) => n), backgroundColor: entries.map((_, i) => PALETTE[i % PALETTE.length]!), borderWidth: 2 },
        ],
      },
      options: { cutout: '62%', plugins: { legend: { display: false } } },
    }),
    [entries],
  );
  if (total === 0)
    return (
      <div className="grid h-72 place-items-center rounded-xl bg-muted/50 text-center text-sm text-ink-soft">
        <p>No tickets sold yet.</p>
      </div>
    );
  const summary = `Doughnut chart of tickets sold by type: ${entries.map(([t, n]) => `${humanize(t)} ${n}`).join(', ')}.`;
  return (
    <div className="grid items-center gap-4 sm:grid-cols-[minmax(0,11rem)_1fr] lg:grid-cols-1 xl:grid-cols-[minmax(0,11rem)_1fr]">
      <ChartCanvas config={config} label={summary} height={176} testId="chart-by-type" />
      <table className="w-full text-sm">
        <caption className="sr-only">Tickets sold by type</caption>
        <thead>
          <tr className="text-left text-xs uppercase tracking-wide text-ink-soft">
            <th scope="col" className="pb-1 font-semibold">
              Type
            </th>
            <th scope="col" className="pb-1 text-right font-semibold">
              Sold
            </th>
            <th scope="col" className="pb-1 text-right font-semibold">
              Share
            </th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([t, n], i) => (
            <tr key={t} className="border-t border-line">
              <th scope="row" className="py-1.5 text-left font-medium text-ink">
                <span
                  aria-hidden="true"
                  className="mr-2 inline-block size-2.5 rounded-sm align-middle"
                  style={{ background: PALETTE[i % PALETTE.length] }}
                />
                {humanize(t)}
              </th>
              <td className="py-1.5 text-right tabular-nums">{n.toLocaleString()}</td>
              <td className="py-1.5 text-right tabular-nums text-ink-soft">{Math.round((n / total) * 100)}%</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function EventTable({ rows, selected, onSelect }: { rows: EventRow[]; selected: string | null; onSelect: (id: string | null) => void }) {
  const sorted = [...rows]
    .sort((a, b) => (b.stats?.revenue ?? -1) - (a.stats?.revenue ?? -1))
    .filter((r, i) => i < TABLE_ROWS || r.event.eventId === selected);
  return (
    <DataTable caption="Revenue, orders and tickets sold per event (the bar chart's numbers)">
      <thead>
        <tr>
          <Th>Event</Th>
          <Th className="hidden sm:table-cell">Date</Th>
          <Th numeric>Orders</Th>
          <Th numeric className="hidden sm:table-cell">
            Tickets
          </Th>
          <Th numeric>Revenue</Th>
          <Th>
            <span className="sr-only">Sales</span>
          </Th>
        </tr>
      </thead>
      <tbody>
        {sorted.map(({ event, stats }) => {
          const active = selected === event.eventId;
          return (
            <tr key={event.eventId} className={cx('group', active ? 'bg-accent-soft/50' : 'hover:bg-muted/40')}>
              <Td className="max-w-[14rem] font-medium text-ink">{event.name}</Td>
              <Td className="hidden whitespace-nowrap tabular-nums text-ink-soft sm:table-cell">{formatDateShort(event.date)}</Td>
              <Td numeric>{stats ? stats.orders.toLocaleString() : '…'}</Td>
              <Td numeric className="hidden sm:table-cell">
                {stats ? sumTickets(stats).toLocaleString() : '…'}
              </Td>
              <Td numeric className="font-medium">
                {stats ? formatMoney(stats.revenue) : '…'}
              </Td>
              <Td className="text-right">
                <Button
                  variant={active ? 'secondary' : 'ghost'}
                  className="min-h-9 px-3"
                  aria-pressed={active}
                  aria-label={`Sales of ${event.name}`}
                  onClick={() => onSelect(active ? null : event.eventId)}
                >
                  Sales
                </Button>
              </Td>
            </tr>
          );
        })}
      </tbody>
    </DataTable>
  );
}

function SalesPanel({ eventId, event }: { eventId: string; event?: EventSummary }) {
  const sales = useInfiniteQuery({
    queryKey: ['admin', 'sales', eventId],
    queryFn: ({ pageParam }) =>
      call(api.GET('/api/admin/events/{eventId}/sales', { params: { path: { eventId }, query: { limit: 25, cursor: pageParam } } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: REFRESH_MS,
  });
  const items = sales.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Section
      title={<>Sales of {event ? `“${event.name}”` : 'the event'}</>}
      sub={event ? `${formatDate(event.date)} · newest first` : 'Newest first'}
    >
      {sales.isPending ? (
        <LoadingList rows={2} label="Loading the sales" />
      ) : sales.isError ? (
        <ErrorState error={sales.error} context="the sales" onRetry={() => sales.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title="No sales yet">Orders appear here within seconds of a purchase.</EmptyState>
      ) : (
        <>
          <DataTable caption="Sales of the event, newest first">
            <thead>
              <tr>
                <Th>When</Th>
                <Th className="hidden sm:table-cell">Buyer</Th>
                <Th>Tickets</Th>
                <Th numeric>Total</Th>
              </tr>
            </thead>
            <tbody>
              {items.map((s) => (
                <tr key={s.orderId} className="group">
                  <Td className="whitespace-nowrap tabular-nums">
                    <time dateTime={s.at} title={formatDate(s.at)}>
                      {formatDateShort(s.at)}
                    </time>
                    <span className="block text-xs text-ink-soft">{formatRelative(s.at)}</span>
                    <Link to={`/admin/users/${s.username}`} className="block font-medium underline-offset-4 hover:underline sm:hidden">
                      {s.username}
                    </Link>
                  </Td>
                  <Td className="hidden font-medium sm:table-cell">
                    <Link to={`/admin/users/${s.username}`} className="underline-offset-4 hover:underline">
                      {s.username}
                    </Link>
                  </Td>
                  <Td>
                    {s.lines.map((l) => (
                      <span key={l.type} className="mr-3 inline-block tabular-nums">
                        {l.quantity} × {humanize(l.type)} <span className="text-ink-soft">@ {formatMoney(l.unitPrice)}</span>
                      </span>
                    ))}
                  </Td>
                  <Td numeric className="font-medium">
                    {formatMoney(s.total)}
                  </Td>
                </tr>
              ))}
            </tbody>
          </DataTable>
          {sales.hasNextPage && (
            <div className="mt-3 text-center">
              <Button variant="secondary" busy={sales.isFetchingNextPage} onClick={() => sales.fetchNextPage()}>
                Load older sales
              </Button>
            </div>
          )}
        </>
      )}
    </Section>
  );
}
