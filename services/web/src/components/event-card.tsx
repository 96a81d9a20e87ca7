/** An event as a card on the home page: name, date, place, type, "from" price and a stock badge. */
import { Link } from 'react-router';
import { availability, isPast, label, summarise, useEvent, type Availability, type EventItem } from '../lib/events';
import { formatDate, formatMoney } from '../lib/format';
import { PinIcon, TagIcon } from './icons';
import { Badge, Skeleton, cx } from './ui';

function Stock({ a }: { a: Availability }) {
  return (
    <div className="flex flex-wrap items-center justify-between gap-2">
      <span className="text-sm text-ink-soft">
        {a.fromPrice === null ? (
          'No tickets yet'
        ) : (
          <>
            from <span className="text-base font-bold text-ink">{formatMoney(a.fromPrice)}</span>
          </>
        )}
      </span>
      {a.soldOut ? (
        <Badge tone="danger">Sold out</Badge>
      ) : a.fewLeft ? (
        <Badge tone="warn">Only {a.remaining} left</Badge>
      ) : (
        a.total > 0 && <Badge tone="ok">On sale</Badge>
      )}
    </div>
  );
}

/** When the listing could not say (its availability left out): read the event itself (cached, shared with its page). */
function LazyStock({ eventId }: { eventId: string }) {
  const q = useEvent(eventId);
  if (q.isLoading) return <Skeleton className="h-5 w-24" />;
  if (!q.data) return null;
  return <Stock a={availability(q.data.tickets)} />;
}

export function EventCard({ event }: { event: EventItem }) {
  const past = isPast(event.date);
  const d = new Date(event.date);
  return (
    <li className="list-none">
      <article
        className={cx(
          'group relative flex h-full flex-col overflow-hidden rounded-2xl bg-surface shadow-sm ring-1 ring-line transition hover:shadow-md hover:ring-accent/40 focus-within:ring-2 focus-within:ring-accent',
          past && 'opacity-80',
        )}
      >
        <div className="flex items-start gap-4 p-4 sm:p-5">
          <div
            className="grid w-14 shrink-0 place-items-center rounded-xl bg-accent-soft py-2 text-center text-accent-ink"
            aria-hidden="true"
          >
            <span className="text-xs font-semibold uppercase">{d.toLocaleString(undefined, { month: 'short' })}</span>
            <span className="text-2xl font-bold leading-none">{d.getDate()}</span>
          </div>
          <div className="min-w-0 flex-1">
            <h3 className="text-lg font-semibold leading-snug text-ink">
              <Link to={`/events/${event.eventId}`} className="after:absolute after:inset-0 focus-visible:outline-none">
                {event.name}
              </Link>
            </h3>
            <p className="mt-1 text-sm text-ink-soft">
              <time dateTime={event.date}>{formatDate(event.date)}</time>
            </p>
            <p className="mt-1 flex flex-wrap gap-x-3 text-sm text-ink-soft">
              <span className="inline-flex items-center gap-1">
                <PinIcon />
                {label(event.location)}
              </span>
              <span className="inline-flex items-center gap-1">
                <TagIcon />
                {label(event.type)}
              </span>
            </p>
          </div>
        </div>
        <div className="mt-auto border-t border-line px-4 py-3 sm:px-5">
          {past ? (
            <Badge tone="neutral">Took place</Badge>
          ) : event.availability ? (
            <Stock a={summarise(event.availability)} />
          ) : (
            <LazyStock eventId={event.eventId} />
          )}
        </div>
      </article>
    </li>
  );
}
