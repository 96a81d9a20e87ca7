/** The event page's personal controls: the favourite toggle with its count, and the low-stock alert. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useLocation } from 'react-router';
import { api, call, isApiError } from '../../api/client';
import { BellIcon, HeartIcon } from '../../components/icons';
import { Button, ButtonLink, TextField, cx } from '../../components/ui';
import { eventKey, type EventDetail } from '../../lib/events';
import { plural } from '../../lib/format';

export const favouritesKey = ['favourites'] as const;
export const subscriptionsKey = ['subscriptions'] as const;

function useLoginHref() {
  const l = useLocation();
  return `/?next=${encodeURIComponent(l.pathname + l.search)}`;
}

export function FavouriteToggle({ event, loggedIn }: { event: EventDetail; loggedIn: boolean }) {
  const qc = useQueryClient();
  const loginHref = useLoginHref();
  const mine = useQuery({
    queryKey: [...favouritesKey, 'all'],
    queryFn: () => call(api.GET('/api/me/favourites', { params: { query: { limit: 200 } } })),
    enabled: loggedIn,
  });
  const on = !!mine.data?.items.some((e) => e.eventId === event.eventId);
  const toggle = useMutation({
    mutationFn: async (next: boolean) => {
      const path = { params: { path: { eventId: event.eventId } } };
      return call(next ? api.PUT('/api/me/favourites/{eventId}', path) : api.DELETE('/api/me/favourites/{eventId}', path));
    },
    onSuccess: async () => {
      await Promise.all([qc.invalidateQueries({ queryKey: favouritesKey }), qc.invalidateQueries({ queryKey: eventKey(event.eventId) })]);
    },
  });
  const pendingOn = toggle.isPending ? toggle.variables : on;
  const count = event.favourites + (toggle.isPending ? (toggle.variables ? 1 : -1) * (on === toggle.variables ? 0 : 1) : 0);
  const countText = plural(Math.max(0, count), 'person', 'people');
  if (!loggedIn)
    return (
      <Link
        to={loginHref}
        className="inline-flex min-h-11 items-center gap-2 rounded-xl bg-surface px-4 text-sm font-semibold text-ink ring-1 ring-line hover:bg-muted"
      >
        <HeartIcon /> Log in to save · {countText}
      </Link>
    );
  return (
    <div className="flex flex-col items-start gap-1">
      <button
        type="button"
        aria-pressed={pendingOn}
        disabled={toggle.isPending || mine.isLoading}
        onClick={() => toggle.mutate(!on)}
        className={cx(
          'inline-flex min-h-11 items-center gap-2 rounded-xl px-4 text-sm font-semibold ring-1 transition-colors disabled:cursor-wait',
          pendingOn ? 'bg-danger-soft text-danger-ink ring-danger/30' : 'bg-surface text-ink ring-line hover:bg-muted',
        )}
      >
        <HeartIcon filled={pendingOn} />
        {pendingOn ? 'Saved to favourites' : 'Add to favourites'}
        <span className="font-normal opacity-80">· {countText}</span>
      </button>
      {toggle.isError && (
        <p role="alert" className="text-sm text-danger">
          {isApiError(toggle.error) ? toggle.error.message : 'Could not save.'} Try again.
        </p>
      )}
    </div>
  );
}

export function AlertForm({ event, loggedIn }: { event: EventDetail; loggedIn: boolean }) {
  const qc = useQueryClient();
  const loginHref = useLoginHref();
  const subs = useQuery({
    queryKey: subscriptionsKey,
    queryFn: () => call(api.GET('/api/me/subscriptions')),
    enabled: loggedIn,
  });
  const current = subs.data?.items.find((s) => s.eventId === event.eventId);
  const [value, setValue] = useState<string | null>(null);
  const shown = value ?? String(current?.limit ?? 20);
  const save = useMutation({
    mutationFn: () =>
      call(
        api.PUT('/api/me/subscriptions/{eventId}', {
          params: { path: { eventId: event.eventId } },
          body: { limit: Number(shown), active: true },
        }),
      ),
    onSuccess: async () => {
      setValue(null);
      await qc.invalidateQueries({ queryKey: subscriptionsKey });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const err = isApiError(save.error) ? save.error : null;
  const inputError =
    shown !== '' && !(Number.isInteger(Number(shown)) && Number(shown) > 0) ? 'A whole number above 0.' : err?.fieldMessage('limit');
  return (
    <section aria-labelledby="alert-h" className="rounded-2xl bg-surface p-4 ring-1 ring-line sm:p-5">
      <h2 id="alert-h" className="flex items-center gap-2 font-semibold text-ink">
        <BellIcon />
        Low-stock alert
      </h2>
      {!loggedIn ? (
        <>
          <p className="mt-1 text-sm text-ink-soft">Get a message the moment tickets run low.</p>
          <ButtonLink to={loginHref} variant="secondary" className="mt-3">
            Log in to set an alert
          </ButtonLink>
        </>
      ) : (
        <form onSubmit={submit} className="mt-2" noValidate>
          {current && (
            <p className="mb-2 text-sm text-ink-soft" data-testid="alert-status">
              {current.state === 'fired'
                ? `Sent: fewer than ${current.limit + 1} remained.`
                : current.active
                  ? `Set: we alert you when ${current.limit} or fewer remain.`
                  : 'Paused.'}
            </p>
          )}
          <div className="flex items-end gap-2">
            <TextField
              label="Alert me when this many or fewer remain"
              type="number"
              inputMode="numeric"
              min={1}
              className="flex-1"
              value={shown}
              onChange={(e) => setValue(e.target.value)}
              error={inputError}
            />
            <Button type="submit" variant="secondary" busy={save.isPending} disabled={!!inputError || shown === ''} className="mb-px">
              {current ? 'Update' : 'Alert me'}
            </Button>
          </div>
          {save.isSuccess && (
            <p role="status" className="mt-2 text-sm text-ok-ink">
              <span aria-hidden="true">✓ </span>Saved. Alerts arrive in{' '}
              <Link className="underline" to="/me/notifications">
                your alerts
              </Link>
              .
            </p>
          )}
          {err && !err.fields && (
            <p role="alert" className="mt-2 text-sm text-danger">
              {err.message}
            </p>
          )}
        </form>
      )}
    </section>
  );
}
