/**
 * Checkout (/events/:eventId/tickets?pink=2&blue=1): review the lines and the total, confirm once.
 * One Idempotency-Key per order (IdempotencyKeys): every retry of the same order (a double click,
 * a 503 while the ticket store recovers, a network drop) sends the same key, so it can never buy
 * twice; the key is dropped once the order has a final answer. A 503/504/network failure retries
 * by itself; SOLD_OUT shows what is left and offers to take it; 429 counts Retry-After down.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { Link, Navigate, useLocation, useNavigate, useParams, useSearchParams } from 'react-router';
import { api, call, isApiError, type ApiError } from '../api/client';
import { EmptyState, ErrorState, LoadingList, RequestId, useCountdown } from '../components/states';
import { Badge, Button, ButtonLink, Card, PageTitle } from '../components/ui';
import { eventKey, label, useEvent, type EventDetail } from '../lib/events';
import { formatDate, formatMoney, plural } from '../lib/format';
import { IdempotencyKeys, type OrderLine } from '../lib/idempotency';
import { meKey, useMe } from '../lib/session';
import { quantitiesQuery, readQuantities, type Quantities } from './event/quantities';

type Accepted = {
  status: 'accepted';
  orderId: string;
  eventId: string;
  lines: { type: string; quantity: number; unitPrice: number }[];
  total: number;
  remaining: Record<string, number>;
};
type Phase =
  | { kind: 'review' }
  | { kind: 'placing' }
  | { kind: 'done'; order: Accepted }
  | { kind: 'recovering'; error: ApiError; retryAt: number; retryInS: number; attempt: number }
  | { kind: 'failed'; error: unknown };

/** The ticket store may come back: 503, 504, a timeout or the network. The same key is retried. */
function mayPass(e: unknown): e is ApiError {
  return isApiError(e) && (e.status === 503 || e.status === 504 || e.status === 0 || e.code === 'TIMEOUT');
}

const retryDelayMs = (attempt: number) => Math.min(10_000, 2000 * 1.5 ** attempt);

function Lines({ event, lines }: { event: EventDetail; lines: { type: string; quantity: number; unitPrice: number }[] }) {
  const total = lines.reduce((s, l) => s + l.quantity * l.unitPrice, 0);
  return (
    <table className="w-full text-left">
      <caption className="sr-only">Tickets for {event.name}</caption>
      <thead className="text-sm text-ink-soft">
        <tr className="border-b border-line">
          <th scope="col" className="py-2 font-medium">
            Ticket
          </th>
          <th scope="col" className="py-2 text-right font-medium">
            Qty
          </th>
          <th scope="col" className="hidden py-2 text-right font-medium sm:table-cell">
            Price
          </th>
          <th scope="col" className="py-2 text-right font-medium">
            Amount
          </th>
        </tr>
      </thead>
      <tbody>
        {lines.map((l) => (
          <tr key={l.type} className="border-b border-line">
            <td className="py-3 font-medium text-ink">{label(l.type)}</td>
            <td className="py-3 text-right tabular-nums">{l.quantity}</td>
            <td className="hidden py-3 text-right tabular-nums sm:table-cell">{formatMoney(l.unitPrice)}</td>
            <td className="py-3 text-right tabular-nums">{formatMoney(l.quantity * l.unitPrice)}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row" colSpan={2} className="pt-3 text-left font-semibold text-ink sm:hidden">
            Total
          </th>
          <th scope="row" colSpan={3} className="hidden pt-3 text-left font-semibold text-ink sm:table-cell">
            Total
          </th>
          <td className="pt-3 text-right text-xl font-bold tabular-nums text-ink" data-testid="order-total">
            {formatMoney(total)}
          </td>
        </tr>
      </tfoot>
    </table>
  );
}

function EventLine({ event }: { event: EventDetail }) {
  return (
    <p className="text-ink-soft">
      <Link to={`/events/${event.eventId}`} className="font-medium text-ink underline-offset-4 hover:underline">
        {event.name}
      </Link>{' '}
      · {formatDate(event.date)} · {label(event.location)}
    </p>
  );
}

function Recovering({ phase, onNow }: { phase: Extract<Phase, { kind: 'recovering' }>; onNow: () => void }) {
  const seconds = useCountdown(phase.retryInS);
  return (
    <div role="alert" data-state="checkout-503" className="rounded-2xl bg-warn-soft p-4 text-warn-ink ring-1 ring-warn/30 sm:p-6">
      <h2 className="flex items-center gap-2 text-lg font-semibold">
        <span className="size-4 animate-spin rounded-full border-2 border-current border-t-transparent" aria-hidden="true" />
        The ticket store is recovering
      </h2>
      <p className="mt-1">
        Your order was not placed. Try again in a moment: we retry by ourselves, and the same order is never bought twice.
      </p>
      <p className="mt-2 text-sm" aria-live="off">
        {seconds > 0 ? `Trying again in ${seconds} s` : 'Trying again…'} (attempt {phase.attempt + 1})
        {phase.error.dependency ? ` · unavailable: ${phase.error.dependency}` : ''}
      </p>
      {phase.error.requestId && (
        <p className="mt-1 text-xs">
          Request id <code className="rounded bg-surface/60 px-1 font-mono">{phase.error.requestId}</code>
        </p>
      )}
      <Button variant="secondary" className="mt-3" onClick={onNow}>
        Try now
      </Button>
    </div>
  );
}

function SoldOut({ event, asked, remaining }: { event: EventDetail; asked: OrderLine[]; remaining: Record<string, number> }) {
  const navigate = useNavigate();
  const fit: Quantities = Object.fromEntries(asked.map((l) => [l.type, Math.min(l.quantity, remaining[l.type] ?? 0)]));
  const any = Object.values(fit).some((n) => n > 0);
  return (
    <div role="alert" data-state="sold-out" className="rounded-2xl bg-danger-soft p-4 text-danger-ink ring-1 ring-danger/30 sm:p-6">
      <h2 className="text-lg font-semibold">Not enough tickets left</h2>
      <p className="mt-1">Someone was faster for part of your order. Nothing was bought and you were not charged.</p>
      <ul className="mt-3 space-y-1">
        {asked.map((l) => (
          <li key={l.type} className="flex justify-between gap-4 rounded-lg bg-surface/70 px-3 py-2 text-ink">
            <span className="font-medium">{label(l.type)}</span>
            <span>
              you asked {l.quantity} ·{' '}
              <strong>
                {(remaining[l.type] ?? 0) < l.quantity && <span aria-hidden="true">⚠ </span>}
                {(remaining[l.type] ?? 0) === 0 ? 'none left' : `${remaining[l.type]} left`}
                {(remaining[l.type] ?? 0) < l.quantity && <span className="sr-only"> (not enough)</span>}
              </strong>
            </span>
          </li>
        ))}
      </ul>
      <div className="mt-4 flex flex-wrap gap-2">
        {any && (
          <Button onClick={() => navigate(`?${quantitiesQuery(fit)}`, { replace: true })}>
            Take what is left (
            {plural(
              Object.values(fit).reduce((s, n) => s + n, 0),
              'ticket',
            )}
            )
          </Button>
        )}
        <ButtonLink variant="secondary" to={`/events/${event.eventId}?${quantitiesQuery(fit)}`}>
          Change quantities
        </ButtonLink>
      </div>
    </div>
  );
}

function RateLimited({ error, onRetry }: { error: ApiError; onRetry: () => void }) {
  const seconds = useCountdown(error.retryAfter ?? 5);
  return (
    <div role="alert" data-state="error-429" className="rounded-2xl bg-warn-soft p-4 text-warn-ink ring-1 ring-warn/30 sm:p-6">
      <h2 className="text-lg font-semibold">Too many orders at once</h2>
      <p className="mt-1">Your order was not placed. {seconds > 0 ? `You can try again in ${seconds} s.` : 'You can try again now.'}</p>
      <RequestId id={error.requestId} />
      <Button variant="secondary" className="mt-3" disabled={seconds > 0} onClick={onRetry}>
        Try again
      </Button>
    </div>
  );
}

function Done({ event, order }: { event: EventDetail; order: Accepted }) {
  return (
    <div className="space-y-6" data-state="checkout-done">
      <div role="status" className="rounded-2xl bg-ok-soft p-4 text-ok-ink ring-1 ring-ok/30 sm:p-6">
        <h2 className="text-xl font-semibold">
          <span aria-hidden="true">✓ </span>You have your tickets
        </h2>
        <p className="mt-1">
          Order{' '}
          <code className="rounded bg-surface/70 px-1.5 py-0.5 font-mono text-sm" data-testid="order-id">
            {order.orderId}
          </code>{' '}
          is confirmed. It is in your purchases.
        </p>
      </div>
      <Card>
        <EventLine event={event} />
        <div className="mt-4">
          <Lines event={event} lines={order.lines} />
        </div>
      </Card>
      <div className="flex flex-wrap gap-2">
        <ButtonLink to="/me">See my purchases</ButtonLink>
        <ButtonLink variant="secondary" to="/events">
          Find more events
        </ButtonLink>
      </div>
    </div>
  );
}

export default function CheckoutPage() {
  const { eventId } = useParams();
  const [params] = useSearchParams();
  const location = useLocation();
  const navigate = useNavigate();
  const me = useMe();
  const q = useEvent(eventId);
  const qc = useQueryClient();
  const keys = useRef(new IdempotencyKeys());
  const sending = useRef(false);
  const [phase, setPhase] = useState<Phase>({ kind: 'review' });

  const event = q.data;
  const quantities = event
    ? readQuantities(
        params,
        event.tickets.map((t) => t.type),
      )
    : {};
  const lines = event
    ? event.tickets.filter((t) => quantities[t.type]).map((t) => ({ type: t.type, quantity: quantities[t.type]!, unitPrice: t.price }))
    : [];
  const orderLines: OrderLine[] = lines.map(({ type, quantity }) => ({ type, quantity }));

  const place = async () => {
    if (sending.current || !eventId || !orderLines.length) return;
    sending.current = true;
    const key = keys.current.keyFor(eventId, orderLines);
    setPhase((p) => (p.kind === 'recovering' ? p : { kind: 'placing' }));
    try {
      const order = (await call(
        api.POST('/api/orders', { params: { header: { 'Idempotency-Key': key } }, body: { eventId, lines: orderLines } }),
      )) as Accepted;
      keys.current.settle();
      setPhase({ kind: 'done', order });
      // Kept in the history entry: a reload or Back shows the confirmation, not the Confirm button again.
      navigate({ pathname: location.pathname, search: location.search }, { replace: true, state: { order } });
      void qc.invalidateQueries({ queryKey: eventKey(eventId) });
      void qc.invalidateQueries({ queryKey: ['purchases'] });
    } catch (e) {
      if (mayPass(e)) {
        // Not a final answer: the same key goes again, by itself.
        setPhase((p) => {
          const attempt = p.kind === 'recovering' ? p.attempt + 1 : 0;
          const delay = retryDelayMs(attempt);
          return { kind: 'recovering', error: e, attempt, retryAt: Date.now() + delay, retryInS: Math.ceil(delay / 1000) };
        });
      } else {
        // Logged out meanwhile: the session check sends the buyer to log in and back here.
        if (isApiError(e) && e.status === 401) void qc.invalidateQueries({ queryKey: meKey });
        if (!(isApiError(e) && e.status === 429)) keys.current.settle();
        if (isApiError(e) && e.code === 'SOLD_OUT') void qc.invalidateQueries({ queryKey: eventKey(eventId) });
        setPhase({ kind: 'failed', error: e });
      }
    } finally {
      sending.current = false;
    }
  };

  // The recovering state retries on its own, with the same key.
  const placeRef = useRef(place);
  useEffect(() => {
    placeRef.current = place;
  });
  useEffect(() => {
    if (phase.kind !== 'recovering') return;
    const t = setTimeout(() => void placeRef.current(), Math.max(0, phase.retryAt - Date.now()));
    return () => clearTimeout(t);
  }, [phase]);

  // Quantities changed (e.g. "take what is left"): a new order, back to review.
  const fingerprint = params.toString();
  const [seen, setSeen] = useState(fingerprint);
  if (seen !== fingerprint) {
    setSeen(fingerprint);
    setPhase({ kind: 'review' });
  }

  if (me.isLoading || q.isLoading) return <LoadingList rows={2} label="Loading your order" />;
  if (!me.data) return <Navigate to={`/?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  if (!event) return <ErrorState error={q.error} context="the event" onRetry={() => void q.refetch()} />;

  const doneOrder = phase.kind === 'done' ? phase.order : (location.state as { order?: Accepted } | null)?.order;
  if (doneOrder && doneOrder.eventId === event.eventId)
    return (
      <div className="mx-auto max-w-2xl">
        <PageTitle>Order confirmed</PageTitle>
        <Done event={event} order={doneOrder} />
      </div>
    );

  if (!lines.length)
    return (
      <div className="mx-auto max-w-2xl">
        <PageTitle>Checkout</PageTitle>
        <EmptyState title="No tickets chosen" action={<ButtonLink to={`/events/${event.eventId}`}>Choose tickets</ButtonLink>}>
          Pick the tickets you want on the event page first.
        </EmptyState>
      </div>
    );

  const err = phase.kind === 'failed' && isApiError(phase.error) ? phase.error : null;
  const busy = phase.kind === 'placing';
  const soldOutRemaining =
    err?.code === 'SOLD_OUT'
      ? ((err.details?.remaining as Record<string, number> | undefined) ??
        Object.fromEntries(event.tickets.map((t) => [t.type, t.remaining])))
      : null;
  const total = lines.reduce((s, l) => s + l.quantity * l.unitPrice, 0);

  return (
    <div className="mx-auto max-w-2xl">
      <PageTitle sub={<EventLine event={event} />}>Review your order</PageTitle>
      <div className="space-y-6">
        {phase.kind === 'recovering' && <Recovering key={phase.attempt} phase={phase} onNow={() => void place()} />}
        {soldOutRemaining && <SoldOut event={event} asked={orderLines} remaining={soldOutRemaining} />}
        {err?.status === 429 && <RateLimited error={err} onRetry={() => void place()} />}
        {phase.kind === 'failed' && !soldOutRemaining && err?.status !== 429 && (
          <ErrorState error={phase.error} context="your order" order onRetry={() => void place()} />
        )}
        <Card>
          <Lines event={event} lines={lines} />
          <p className="mt-4 text-sm text-ink-soft">
            All fees included. Up to {plural(event.maxPerOrder, 'ticket')} per order.{' '}
            <Link
              to={`/events/${event.eventId}?${quantitiesQuery(quantities)}`}
              className="font-medium text-accent underline underline-offset-4"
            >
              Change quantities
            </Link>
          </p>
        </Card>
        {!soldOutRemaining && (
          <div className="sticky bottom-0 z-30 -mx-4 border-t border-line bg-surface/95 px-4 py-3 backdrop-blur sm:static sm:mx-0 sm:border-0 sm:bg-transparent sm:p-0">
            <Button
              className="min-h-12 w-full text-base"
              busy={busy}
              disabled={phase.kind === 'recovering' || err?.status === 429}
              onClick={() => void place()}
            >
              {busy
                ? 'Placing your order…'
                : phase.kind === 'recovering'
                  ? 'Waiting for the ticket store…'
                  : `Confirm and pay ${formatMoney(total)}`}
            </Button>
            <p className="mt-2 text-center text-xs text-ink-soft">
              <Badge tone="neutral">Safe to retry</Badge> Clicking twice never buys twice.
            </p>
          </div>
        )}
      </div>
    </div>
  );
}
