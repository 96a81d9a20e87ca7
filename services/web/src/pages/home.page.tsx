/**
 * Home (/events?q=&type=&location=): search as you type (word prefixes, several words; debounced,
 * the URL kept in sync so a search can be shared or reloaded), type and location chips, upcoming
 * events as cards, "Load more" paging by cursor, past events apart.
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, call } from '../api/client';
import { EventCard } from '../components/event-card';
import { SearchIcon } from '../components/icons';
import { EmptyState, ErrorState, LoadingList, StaleNotice } from '../components/states';
import { Button, PageTitle, cx } from '../components/ui';
import { isPast, label, useStaticLists, type EventItem } from '../lib/events';
import { plural } from '../lib/format';

const PAGE = 12;
const DEBOUNCE_MS = 250;

const words = (text: string) => text.trim().replace(/\s+/g, ' ');

function Chips({
  legend,
  options,
  value,
  onChange,
}: {
  legend: string;
  options: string[];
  value: string | null;
  onChange: (v: string | null) => void;
}) {
  if (!options.length) return null;
  return (
    <fieldset className="min-w-0">
      <legend className="mb-2 text-sm font-medium text-ink-soft">{legend}</legend>
      <div className="-mx-1 flex gap-2 overflow-x-auto px-1 pb-1 sm:flex-wrap">
        {[null, ...options].map((o) => {
          const on = value === o;
          return (
            <button
              key={o ?? '*'}
              type="button"
              aria-pressed={on}
              onClick={() => onChange(o)}
              className={cx(
                'inline-flex min-h-11 shrink-0 items-center gap-1 rounded-full px-4 text-sm font-medium ring-1 transition-colors',
                on ? 'bg-accent text-white ring-accent' : 'bg-surface text-ink ring-line hover:bg-muted',
              )}
            >
              {on && <span aria-hidden="true">✓</span>}
              {o === null ? 'All' : label(o)}
            </button>
          );
        })}
      </div>
    </fieldset>
  );
}

export default function HomePage() {
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const type = params.get('type');
  const location = params.get('location');
  const [text, setText] = useState(q);
  // The URL changed from outside the box (Back, the header's Events link): the box follows it.
  const [seenQ, setSeenQ] = useState(q);
  if (q !== seenQ) {
    setSeenQ(q);
    if (q !== words(text)) setText(q);
  }
  const searchId = useId();
  const lists = useStaticLists();

  // The URL follows the box after a short pause (replace: typing is not a history of pages).
  useEffect(() => {
    const t = setTimeout(() => {
      const w = words(text);
      if (w === q) return;
      setParams(
        (p) => {
          const n = new URLSearchParams(p);
          if (w) n.set('q', w);
          else n.delete('q');
          return n;
        },
        { replace: true },
      );
    }, DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [text, q, setParams]);

  const setFilter = (k: 'type' | 'location') => (v: string | null) =>
    setParams(
      (p) => {
        const n = new URLSearchParams(p);
        if (v) n.set(k, v);
        else n.delete(k);
        return n;
      },
      { replace: true },
    );

  const events = useInfiniteQuery({
    queryKey: ['events', { q, type, location }],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => {
      const query = { limit: PAGE, cursor: pageParam, type: type ?? undefined, location: location ?? undefined };
      return q ? call(api.GET('/api/search', { params: { query: { ...query, q } } })) : call(api.GET('/api/events', { params: { query } }));
    },
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: (prev) => prev,
    staleTime: 10_000,
  });

  const items: EventItem[] = events.data?.pages.flatMap((p) => p.items) ?? [];
  const upcoming = items.filter((e) => !isPast(e.date));
  const past = items.filter((e) => isPast(e.date));
  const filtered = !!(q || type || location);
  const clear = () => {
    setText('');
    setParams(new URLSearchParams(), { replace: true });
  };

  return (
    <div>
      <PageTitle sub="Concerts, theatre, festivals and more. Prices include all fees.">Events</PageTitle>
      <StaleNotice reason={events.data?.pages.find((p) => p.stale)?.stale} />
      <div className="mb-8 space-y-4">
        <div className="relative">
          <label htmlFor={searchId} className="sr-only">
            Search events
          </label>
          <span className="pointer-events-none absolute inset-y-0 left-4 grid place-items-center text-ink-soft">
            <SearchIcon className="size-5" />
          </span>
          <input
            id={searchId}
            type="search"
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder="Search events, artists, places"
            autoComplete="off"
            className="block min-h-12 w-full rounded-2xl border border-line bg-surface pl-11 pr-4 text-base text-ink shadow-sm placeholder:text-ink-soft"
          />
        </div>
        <div className="grid gap-4 md:grid-cols-2">
          <Chips legend="Type" options={lists.data?.eventTypes ?? []} value={type} onChange={setFilter('type')} />
          <Chips legend="Location" options={lists.data?.locations ?? []} value={location} onChange={setFilter('location')} />
        </div>
      </div>

      <div aria-live="polite" className="sr-only">
        {events.isSuccess && `${plural(items.length, 'event')} found`}
      </div>

      {events.isLoading ? (
        <LoadingList rows={3} label="Loading events" />
      ) : events.isError && !items.length ? (
        <ErrorState error={events.error} context="the events" onRetry={() => void events.refetch()} />
      ) : !items.length ? (
        <EmptyState
          title={filtered ? 'No events match' : 'No events on sale yet'}
          action={
            filtered ? (
              <Button variant="secondary" onClick={clear}>
                Clear search and filters
              </Button>
            ) : undefined
          }
        >
          {filtered
            ? `Nothing found${q ? ` for “${q}”` : ''}${type ? ` of type ${label(type)}` : ''}${location ? ` in ${label(location)}` : ''}. Try fewer words, or the start of a word.`
            : 'New events appear here as soon as organisers publish them. Check back soon.'}
        </EmptyState>
      ) : (
        <div
          className={cx('space-y-10 transition-opacity', events.isPlaceholderData && 'opacity-60')}
          aria-busy={events.isPlaceholderData || undefined}
        >
          <section aria-labelledby="upcoming-h">
            <h2 id="upcoming-h" className="mb-4 text-lg font-semibold text-ink">
              {q ? `Results for “${q}”` : 'Upcoming'}{' '}
              <span className="font-normal text-ink-soft">
                ({upcoming.length}
                {events.hasNextPage ? '+' : ''})
              </span>
            </h2>
            {upcoming.length ? (
              <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
                {upcoming.map((e) => (
                  <EventCard key={e.eventId} event={e} />
                ))}
              </ul>
            ) : (
              <p className="text-ink-soft">No upcoming event here; past ones are below.</p>
            )}
          </section>
          {events.hasNextPage && (
            <div className="text-center">
              <Button variant="secondary" onClick={() => void events.fetchNextPage()} busy={events.isFetchingNextPage}>
                Load more events
              </Button>
            </div>
          )}
          {events.isError && <ErrorState error={events.error} context="more events" onRetry={() => void events.fetchNextPage()} />}
          {past.length > 0 && (
            <section aria-labelledby="past-h">
              <h2 id="past-h" className="mb-4 text-lg font-semibold text-ink">
                Past events
              </h2>
              <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
                {past.map((e) => (
                  <EventCard key={e.eventId} event={e} />
                ))}
              </ul>
            </section>
          )}
        </div>
      )}
    </div>
  );
}
