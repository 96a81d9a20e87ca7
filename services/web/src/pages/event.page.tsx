/**
 * Event (/events/:eventId): details, the ticket table with remaining counts following the live
 * stream, quantity steppers (capped by maxPerOrder and by what remains), favourite, low-stock
 * alert. The order summary and Buy stay at the bottom of the screen on a phone. Anonymous
 * visitors see everything and are asked to log in to act.
 */
import { useState } from 'react';
import { useNavigate, useParams, useSearchParams } from 'react-router';
import { CalendarIcon, PinIcon } from '../components/icons';
import { ErrorState, LiveIndicator, LoadingList, StaleNotice } from '../components/states';
import { Badge, Button, Skeleton, cx } from '../components/ui';
import { availability, isFewLeft, isPast, label, useEvent, type EventDetail } from '../lib/events';
import { formatDate, formatMoney, plural } from '../lib/format';
import { useMe } from '../lib/session';
import { AlertForm, FavouriteToggle } from './event/engage';
import { useLiveStock } from './event/live-stock';
import { capFor, quantitiesQuery, readQuantities, totalQuantity, type Quantities } from './event/quantities';
import { Stepper } from './event/stepper';

function TicketTable({
  event,
  quantities,
  setQuantity,
  canBuy,
}: {
  event: EventDetail;
  quantities: Quantities;
  setQuantity: (type: string, n: number) => void;
  canBuy: boolean;
}) {
  return (
    <ul className="divide-y divide-line">
      {event.tickets.map((t) => {
        const q = quantities[t.type] ?? 0;
        const max = capFor(t.type, quantities, t.remaining, event.maxPerOrder);
        const few = isFewLeft(t);
        return (
          <li key={t.type} className="flex flex-wrap items-center gap-x-4 gap-y-2 py-4" data-testid={`ticket-${t.type}`}>
            <div className="min-w-0 flex-1">
              <p className="font-semibold text-ink">{label(t.type)}</p>
              <p className="mt-0.5 flex flex-wrap items-center gap-2 text-sm text-ink-soft">
                <span data-testid={`remaining-${t.type}`}>
                  {t.remaining === 0 ? 'None left' : `${t.remaining.toLocaleString()} of ${t.total.toLocaleString()} left`}
                </span>
                {t.remaining === 0 ? <Badge tone="danger">Sold out</Badge> : few && <Badge tone="warn">Few left</Badge>}
              </p>
            </div>
            <p className="text-lg font-bold tabular-nums text-ink">{formatMoney(t.price)}</p>
            {canBuy && t.remaining > 0 && (
              <Stepper
                name={label(t.type)}
                value={q}
                max={Math.max(q, max)}
                onChange={(n) => setQuantity(t.type, Math.max(0, Math.min(n, Math.max(q, max))))}
              />
            )}
          </li>
        );
      })}
    </ul>
  );
}

function OrderSummary({
  event,
  quantities,
  loggedIn,
  soldOut,
  past,
}: {
  event: EventDetail;
  quantities: Quantities;
  loggedIn: boolean;
  soldOut: boolean;
  past: boolean;
}) {
  const navigate = useNavigate();
  const count = totalQuantity(quantities);
  const total = event.tickets.reduce((s, t) => s + (quantities[t.type] ?? 0) * t.price, 0);
  const target = `/events/${event.eventId}/tickets?${quantitiesQuery(quantities)}`;
  const buy = () => navigate(loggedIn ? target : `/?next=${encodeURIComponent(target)}`);
  return (
    <div className="flex items-center gap-4 lg:flex-col lg:items-stretch">
      <div className="min-w-0 flex-1">
        <p className="text-sm text-ink-soft">
          {past ? 'This event has taken place' : soldOut ? 'No tickets left' : count ? plural(count, 'ticket') : 'Choose your tickets'}
        </p>
        {!past && !soldOut && (
          <p className="text-2xl font-bold tabular-nums text-ink" aria-live="polite">
            {formatMoney(total)}
          </p>
        )}
        {!past && !soldOut && (
          <p className="hidden text-xs text-ink-soft lg:block">Up to {plural(event.maxPerOrder, 'ticket')} per order. All fees included.</p>
        )}
      </div>
      <Button onClick={buy} disabled={!count || past || soldOut} className="min-h-12 px-6 text-base lg:w-full">
        {past ? 'Sales closed' : soldOut ? 'Sold out' : loggedIn ? 'Buy tickets' : 'Log in to buy'}
      </Button>
    </div>
  );
}

export default function EventPage() {
  const { eventId } = useParams();
  const me = useMe();
  const loggedIn = !!me.data;
  const q = useEvent(eventId);
  const live = useLiveStock(eventId, q.isSuccess);
  const [params] = useSearchParams();
  const [quantities, setQuantities] = useState<Quantities | null>(null);

  if (q.isLoading)
    return (
      <div className="space-y-4">
        <Skeleton className="h-10 w-2/3" />
        <Skeleton className="h-5 w-1/3" />
        <LoadingList rows={3} label="Loading the event" />
      </div>
    );
  if (!q.data) return <ErrorState error={q.error} context="the event" onRetry={() => void q.refetch()} />;

  const event = q.data;
  const chosen =
    quantities ??
    readQuantities(
      params,
      event.tickets.map((t) => t.type),
    );
  // Never hold more than is left (the live count may drop under a chosen quantity).
  const held: Quantities = Object.fromEntries(
    Object.entries(chosen).map(([t, n]) => [t, Math.min(n, event.tickets.find((x) => x.type === t)?.remaining ?? 0)]),
  );
  const a = availability(event.tickets);
  const past = isPast(event.date);
  const canBuy = !past && !a.soldOut;
  const setQuantity = (type: string, n: number) => setQuantities({ ...held, [type]: n });

  return (
    <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_340px] lg:gap-8">
      <div className="min-w-0 space-y-6">
        <header>
          <StaleNotice reason={event.stale} />
          <div className="mb-3 flex flex-wrap gap-2">
            <Badge tone="accent">{label(event.type)}</Badge>
            {past ? (
              <Badge>Took place</Badge>
            ) : a.soldOut ? (
              <Badge tone="danger">Sold out</Badge>
            ) : (
              a.fewLeft && <Badge tone="warn">Selling fast: {a.remaining} left</Badge>
            )}
          </div>
          <h1 className="text-3xl font-bold tracking-tight text-ink sm:text-4xl">{event.name}</h1>
          <dl className="mt-4 grid gap-3 text-ink sm:grid-cols-2">
            <div className="flex gap-3">
              <dt className="text-ink-soft">
                <CalendarIcon className="mt-1 size-5" />
                <span className="sr-only">When</span>
              </dt>
              <dd>
                <time dateTime={event.date} className="font-medium">
                  {formatDate(event.date)}
                </time>
                <span className="block text-sm text-ink-soft">Your time zone ({Intl.DateTimeFormat().resolvedOptions().timeZone})</span>
              </dd>
            </div>
            <div className="flex gap-3">
              <dt className="text-ink-soft">
                <PinIcon className="mt-1 size-5" />
                <span className="sr-only">Where</span>
              </dt>
              <dd className="font-medium">{label(event.location)}</dd>
            </div>
          </dl>
          <div className="mt-4">
            <FavouriteToggle event={event} loggedIn={loggedIn} />
          </div>
        </header>

        {event.description && (
          <section aria-labelledby="about-h">
            <h2 id="about-h" className="mb-2 text-lg font-semibold text-ink">
              About this event
            </h2>
            <p className="max-w-prose whitespace-pre-line text-ink">{event.description}</p>
          </section>
        )}

        <section aria-labelledby="tickets-h" className="rounded-2xl bg-surface px-4 pt-4 shadow-sm ring-1 ring-line sm:px-6 sm:pt-5">
          <div className="flex flex-wrap items-center justify-between gap-2">
            <h2 id="tickets-h" className="text-lg font-semibold text-ink">
              Tickets
            </h2>
            <LiveIndicator status={live} />
          </div>
          {a.soldOut && !past && (
            <div className="mt-3 rounded-xl bg-danger-soft p-3 text-sm text-danger-ink" data-testid="sold-out">
              <p className="font-semibold">Sold out</p>
              <p>
                Every ticket for this event has been sold, and a ticket is never sold twice. Save it as a favourite to find it again if the
                organiser adds more.
              </p>
            </div>
          )}
          {event.tickets.length === 0 ? (
            <p className="py-4 text-ink-soft">Tickets are not on sale yet.</p>
          ) : (
            <TicketTable event={event} quantities={held} setQuantity={setQuantity} canBuy={canBuy} />
          )}
        </section>

        {canBuy && <AlertForm event={event} loggedIn={loggedIn} />}
      </div>

      <aside
        aria-label="Order summary"
        className={cx(
          // On a phone the summary and Buy stay at the bottom of the screen (not when there is nothing to buy).
          canBuy && 'sticky bottom-0 z-30',
          '-mx-4 border-t border-line bg-surface/95 px-4 py-3 backdrop-blur lg:sticky',
          'lg:bottom-auto lg:top-24 lg:mx-0 lg:self-start lg:rounded-2xl lg:border-0 lg:p-6 lg:shadow-sm lg:ring-1 lg:ring-line',
        )}
      >
        <h2 className="mb-2 hidden text-lg font-semibold text-ink lg:block">Your order</h2>
        {totalQuantity(held) > 0 && (
          <ul className="mb-3 hidden space-y-1 text-sm lg:block">
            {event.tickets
              .filter((t) => held[t.type])
              .map((t) => (
                <li key={t.type} className="flex justify-between gap-2">
                  <span>
                    {held[t.type]} × {label(t.type)}
                  </span>
                  <span className="tabular-nums">{formatMoney(held[t.type]! * t.price)}</span>
                </li>
              ))}
          </ul>
        )}
        <OrderSummary event={event} quantities={held} loggedIn={loggedIn} soldOut={a.soldOut} past={past} />
      </aside>
    </div>
  );
}
