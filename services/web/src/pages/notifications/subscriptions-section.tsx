/**
 * My low-stock subscriptions: the event, its stock now, the limit (editable), the state
 * (watching / alert sent / paused), pause or resume (PUT with active), and delete with a
 * confirmation. The notifier decides at once against the stock: a limit already reached sends
 * its alert when saved, and we say so.
 */
import { label } from '../../lib/events';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, call, isApiError, type GetResult } from '../../api/client';
import { EmptyState, ErrorState, LoadingList } from '../../components/states';
import { BellIcon, CheckIcon, EyeIcon, PauseIcon, PlayIcon, TrashIcon } from '../../components/icons';
import { Badge, Button, ButtonLink, cx } from '../../components/ui';
import { alertsKey, remainingOf, subscriptionsKey, useAlertEvent } from '../../lib/alerts';
import { formatDate, formatRelative } from '../../lib/format';

type Subscription = GetResult<'/api/me/subscriptions'>['items'][number];

function StateBadge({ sub }: { sub: Subscription }) {
  const cls = 'shrink-0 whitespace-nowrap';
  if (!sub.active)
    return (
      <Badge tone="neutral" className={cls}>
        <PauseIcon className="size-3.5" /> Paused
      </Badge>
    );
  if (sub.state === 'fired')
    return (
      <Badge tone="warn" className={cls}>
        <BellIcon className="size-3.5" /> Alert sent
      </Badge>
    );
  return (
    <Badge tone="ok" className={cls}>
      <EyeIcon className="size-3.5" /> Watching
    </Badge>
  );
}

/** Remaining stock as a bar, with a tick where the limit is: how close the alert is, at a glance. */
function StockBar({ remaining, total, limit }: { remaining: number; total: number; limit: number }) {
  const pct = (n: number) => `${Math.min(100, Math.max(0, (n / total) * 100))}%`;
  const low = remaining <= limit;
  return (
    <div
      role="meter"
      aria-label="Tickets left"
      aria-valuemin={0}
      aria-valuemax={total}
      aria-valuenow={remaining}
      aria-valuetext={`${remaining} of ${total} left; alert at ${limit}`}
      className="relative mt-4 h-2 rounded-full bg-muted"
    >
      <div className={cx('h-full rounded-full', low ? 'bg-warn' : 'bg-ok')} style={{ width: pct(remaining) }} />
      {limit < total && (
        <div
          aria-hidden="true"
          title={`Alert at ${limit}`}
          className="absolute -top-1 h-4 w-0.5 rounded bg-ink"
          style={{ left: pct(limit) }}
        />
      )}
    </div>
  );
}

function SubscriptionItem({ sub }: { sub: Subscription }) {
  const qc = useQueryClient();
  const ev = useAlertEvent(sub.eventId);
  const fid = useId();
  const [limit, setLimit] = useState(String(sub.limit));
  const [confirming, setConfirming] = useState(false);
  const [note, setNote] = useState<string | null>(null);

  const save = useMutation({
    mutationFn: (body: { limit: number; active: boolean }) =>
      call(api.PUT('/api/me/subscriptions/{eventId}', { params: { path: { eventId: sub.eventId } }, body })),
    onSuccess: (r, body) => {
      setLimit(String(r.limit));
      if (body.active !== sub.active) setNote(body.active ? 'Resumed.' : 'Paused: no alerts until you resume.');
      else if (r.state === 'fired' && sub.state !== 'fired')
        setNote(`Saved. ${r.remaining} left is already within your limit: the alert was sent.`);
      else setNote('Saved.');
      qc.setQueryData<GetResult<'/api/me/subscriptions'>>(subscriptionsKey, (d) =>
        d ? { items: d.items.map((s) => (s.eventId === r.eventId ? { ...s, ...r } : s)) } : d,
      );
      void qc.invalidateQueries({ queryKey: subscriptionsKey });
      if (r.state === 'fired') void qc.invalidateQueries({ queryKey: alertsKey });
    },
  });
  const remove = useMutation({
    mutationFn: () => call(api.DELETE('/api/me/subscriptions/{eventId}', { params: { path: { eventId: sub.eventId } } })),
    onSuccess: () => {
      qc.setQueryData<GetResult<'/api/me/subscriptions'>>(subscriptionsKey, (d) =>
        d ? { items: d.items.filter((s) => s.eventId !== sub.eventId) } : d,
      );
      void qc.invalidateQueries({ queryKey: subscriptionsKey });
    },
  });

  const parsed = Number(limit);
  const valid = /^\d+$/.test(limit.trim()) && parsed >= 1 && parsed <= 1_000_000;
  const changed = valid && parsed !== sub.limit;
  const apiErr = isApiError(save.error) ? save.error : null;
  const fieldError = !valid && limit !== '' ? 'A whole number of at least 1' : (apiErr?.fieldMessage('limit') ?? undefined);
  const stock = ev.data ? remainingOf(ev.data) : null;
  const name = ev.data === null ? 'A removed event' : (ev.data?.name ?? null);

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (!changed) return;
    setNote(null);
    save.mutate({ limit: parsed, active: sub.active });
  };

  return (
    <li data-testid="subscription" className="rounded-2xl bg-surface p-4 shadow-sm ring-1 ring-line sm:p-5">
      <div className="flex items-start justify-between gap-3">
        <div className="min-w-0">
          <h3 className="break-words font-semibold text-ink">
            {name === null ? (
              <span data-skeleton className="inline-block h-5 w-40 animate-pulse rounded-lg bg-muted align-middle">
                <span className="sr-only">Loading the event…</span>
              </span>
            ) : ev.data ? (
              <Link to={`/events/${sub.eventId}`} className="underline-offset-2 hover:underline">
                {name}
              </Link>
            ) : (
              name
            )}
          </h3>
          {ev.data && (
            <p className="mt-0.5 text-sm text-ink-soft">
              {formatDate(ev.data.date)} · {label(ev.data.location)}
            </p>
          )}
        </div>
        <StateBadge sub={sub} />
      </div>

      {stock && stock.total > 0 && <StockBar remaining={stock.remaining} total={stock.total} limit={sub.limit} />}
      {stock && (
        <p className="mt-2 text-sm text-ink">
          <strong>{stock.remaining.toLocaleString()}</strong> of {stock.total.toLocaleString()} tickets left now
          {sub.state === 'fired' && sub.firedAt && (
            <span className="text-ink-soft">
              {' '}
              · alerted <time dateTime={sub.firedAt}>{formatRelative(sub.firedAt)}</time>
            </span>
          )}
        </p>
      )}

      <form onSubmit={onSubmit} className="mt-4" aria-label={`Alert limit for ${name ?? 'this event'}`}>
        <label htmlFor={fid} className="mb-1 block text-sm font-medium text-ink">
          Alert me at
        </label>
        <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
          <div className="flex items-center gap-2">
            <input
              id={fid}
              type="number"
              inputMode="numeric"
              min={1}
              max={1_000_000}
              required
              value={limit}
              onChange={(e) => {
                setLimit(e.target.value);
                setNote(null);
              }}
              aria-invalid={fieldError ? true : undefined}
              aria-describedby={`${fid}-unit${fieldError ? ` ${fid}-err` : ''}`}
              className={cx(
                'block min-h-11 w-20 rounded-xl border bg-surface px-3 tabular-nums text-ink',
                fieldError ? 'border-danger' : 'border-line',
              )}
            />
            <span id={`${fid}-unit`} className="text-sm text-ink-soft">
              or fewer left
            </span>
          </div>
          <Button
            type="submit"
            variant={changed ? 'primary' : 'secondary'}
            disabled={!changed}
            busy={save.isPending && save.variables?.active === sub.active}
          >
            Save limit
          </Button>
        </div>
        {fieldError && (
          <p id={`${fid}-err`} className="mt-1 text-sm text-danger">
            <span aria-hidden="true">⚠ </span>
            {fieldError}
          </p>
        )}
      </form>
      {save.isError && !apiErr?.fieldMessage('limit') && (
        <div className="mt-3">
          <ErrorState error={save.error} context="your subscription" />
        </div>
      )}
      {/* Always in the page, so what appears in it is announced. */}
      <p role="status" className="empty:hidden mt-2 flex items-center gap-1.5 text-sm text-ok-ink">
        {note && (
          <>
            <CheckIcon /> {note}
          </>
        )}
      </p>

      <div className="mt-4 flex flex-wrap items-center gap-2 border-t border-line pt-4">
        <Button
          variant="secondary"
          busy={save.isPending && save.variables?.active !== sub.active}
          onClick={() => {
            setNote(null);
            save.mutate({ limit: sub.limit, active: !sub.active });
          }}
        >
          {sub.active ? <PauseIcon /> : <PlayIcon />}
          {sub.active ? 'Pause alerts' : 'Resume alerts'}
        </Button>
        {!confirming ? (
          <button
            type="button"
            className="inline-flex min-h-11 items-center gap-2 rounded-xl px-4 text-sm font-semibold text-danger hover:bg-danger-soft"
            onClick={() => setConfirming(true)}
          >
            <TrashIcon />
            Delete
          </button>
        ) : (
          <div role="group" aria-label="Confirm delete" className="flex flex-wrap items-center gap-2">
            <span className="text-sm text-ink">Stop following? Alerts you got stay.</span>
            <Button variant="danger" busy={remove.isPending} onClick={() => remove.mutate()} autoFocus>
              Delete subscription
            </Button>
            <Button variant="ghost" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
          </div>
        )}
      </div>
      {remove.isError && (
        <div className="mt-3">
          <ErrorState error={remove.error} context="your subscription" onRetry={() => remove.mutate()} />
        </div>
      )}
    </li>
  );
}

export function SubscriptionsSection() {
  const q = useQuery({ queryKey: subscriptionsKey, queryFn: () => call(api.GET('/api/me/subscriptions')) });
  const items = q.data?.items ?? [];
  return (
    <section aria-labelledby="subs-h" className="min-w-0">
      <div className="mb-4">
        <h2 id="subs-h" className="text-xl font-semibold text-ink">
          Following
        </h2>
        <p className="mt-1 text-sm text-ink-soft">Events we watch for you. We count all ticket types together.</p>
      </div>
      {q.isPending ? (
        <LoadingList rows={2} label="Loading your subscriptions" />
      ) : q.isError && !q.data ? (
        <ErrorState error={q.error} context="your subscriptions" onRetry={() => q.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title="Not following any event" action={<ButtonLink to="/events">Browse events</ButtonLink>}>
          On an event's page, ask to be alerted when few tickets remain: we tell you here, live.
        </EmptyState>
      ) : (
        <ul className="space-y-3" aria-label="My subscriptions">
          {items.map((s) => (
            <SubscriptionItem key={s.eventId} sub={s} />
          ))}
        </ul>
      )}
    </section>
  );
}
