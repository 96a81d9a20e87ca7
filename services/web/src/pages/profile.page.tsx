/** Profile (/me): who I am, my purchases newest first (paged), my favourites. */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, call, type GetResult } from '../api/client';
import { EmptyState, ErrorState, LoadingList } from '../components/states';
import { Badge, Button, ButtonLink, Card, PageTitle, Skeleton } from '../components/ui';
import { isPast, label, useEvent } from '../lib/events';
import { formatDate, formatDateShort, formatMoney, formatRelative, plural } from '../lib/format';
import { useMe } from '../lib/session';
import { favouritesKey } from './event/engage';

const memberSince = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric' });

type Purchase = GetResult<'/api/me/purchases'>['items'][number];

function EventName({ eventId }: { eventId: string }) {
  // Purchases carry the event id only: the name comes from the (cached) event.
  const q = useEvent(eventId);
  if (q.isLoading) return <Skeleton className="inline-block h-5 w-48 align-middle" />;
  if (!q.data) return <span className="text-ink-soft">An event no longer listed</span>;
  return (
    <>
      <Link to={`/events/${eventId}`} className="underline-offset-4 hover:underline">
        {q.data.name}
      </Link>
      <span className="block text-sm font-normal text-ink-soft">
        {formatDate(q.data.date)} · {label(q.data.location)}
      </span>
    </>
  );
}

function PurchaseCard({ p }: { p: Purchase }) {
  const count = p.lines.reduce((s, l) => s + l.quantity, 0);
  return (
    <li>
      <Card as="article" className="sm:flex sm:items-start sm:justify-between sm:gap-6">
        <div className="min-w-0">
          <h3 className="font-semibold text-ink">
            <EventName eventId={p.eventId} />
          </h3>
          <ul className="mt-3 flex flex-wrap gap-2" aria-label="Tickets">
            {p.lines.map((l) => (
              <li key={l.type}>
                <Badge tone="accent">
                  {l.quantity} × {label(l.type)} · {formatMoney(l.unitPrice)}
                </Badge>
              </li>
            ))}
          </ul>
          <p className="mt-3 text-xs text-ink-soft">
            Order <code className="font-mono">{p.orderId}</code>
          </p>
        </div>
        <div className="mt-3 shrink-0 sm:mt-0 sm:text-right">
          <p className="text-xl font-bold tabular-nums text-ink">{formatMoney(p.total)}</p>
          <p className="text-sm text-ink-soft">{plural(count, 'ticket')}</p>
          <p className="text-sm text-ink-soft">
            <time dateTime={p.at} title={formatDate(p.at)}>
              Bought {formatRelative(p.at)}
            </time>
          </p>
        </div>
      </Card>
    </li>
  );
}

/** `username`: another user's, for an admin (the report's /profile?username=); else mine. */
function Purchases({ username }: { username?: string }) {
  const q = useInfiniteQuery({
    queryKey: username ? ['admin', 'users', username, 'purchases'] : ['purchases'],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      username
        ? call(
            api.GET('/api/admin/users/{username}/purchases', { params: { path: { username }, query: { limit: 10, cursor: pageParam } } }),
          )
        : call(api.GET('/api/me/purchases', { params: { query: { limit: 10, cursor: pageParam } } })),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = q.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section aria-labelledby="purchases-h">
      <h2 id="purchases-h" className="mb-4 text-xl font-semibold text-ink">
        {username ? 'Purchases' : 'My purchases'}
      </h2>
      {q.isLoading ? (
        <LoadingList rows={2} label="Loading purchases" />
      ) : q.isError && !items.length ? (
        <ErrorState error={q.error} context="the purchases" onRetry={() => void q.refetch()} />
      ) : !items.length ? (
        username ? (
          <EmptyState title="No purchases">{username} has not bought anything yet.</EmptyState>
        ) : (
          <EmptyState title="No purchases yet" action={<ButtonLink to="/events">Find an event</ButtonLink>}>
            Tickets you buy show up here, newest first.
          </EmptyState>
        )
      ) : (
        <>
          <ul className="space-y-3">
            {items.map((p) => (
              <PurchaseCard key={p.orderId} p={p} />
            ))}
          </ul>
          {q.hasNextPage && (
            <div className="mt-4 text-center">
              <Button variant="secondary" busy={q.isFetchingNextPage} onClick={() => void q.fetchNextPage()}>
                Show older purchases
              </Button>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function Favourites({ username }: { username?: string }) {
  const q = useQuery({
    queryKey: username ? ['admin', 'users', username, 'favourites'] : [...favouritesKey, 'all'],
    queryFn: () =>
      username
        ? call(api.GET('/api/admin/users/{username}/favourites', { params: { path: { username }, query: { limit: 200 } } }))
        : call(api.GET('/api/me/favourites', { params: { query: { limit: 200 } } })),
  });
  const items = q.data?.items ?? [];
  return (
    <section aria-labelledby="favourites-h">
      <h2 id="favourites-h" className="mb-4 text-xl font-semibold text-ink">
        {username ? 'Favourites' : 'My favourites'}
      </h2>
      {q.isLoading ? (
        <LoadingList rows={2} label="Loading favourites" />
      ) : q.isError ? (
        <ErrorState error={q.error} context="the favourites" onRetry={() => void q.refetch()} />
      ) : !items.length ? (
        <Card className="text-sm text-ink-soft">
          {username ? (
            <p>{username} has no favourites.</p>
          ) : (
            <p>
              No favourites yet. Tap <strong className="text-ink">Add to favourites</strong> on an event to keep it here.
            </p>
          )}
        </Card>
      ) : (
        <ul className="divide-y divide-line overflow-hidden rounded-2xl bg-surface shadow-sm ring-1 ring-line">
          {items.map((e) => (
            <li key={e.eventId}>
              <Link to={`/events/${e.eventId}`} className="flex min-h-11 items-center justify-between gap-3 px-4 py-3 hover:bg-muted">
                <span className="min-w-0">
                  <span className="block truncate font-medium text-ink">{e.name}</span>
                  <span className="block text-sm text-ink-soft">
                    {formatDateShort(e.date)} · {label(e.location)}
                  </span>
                </span>
                {isPast(e.date) ? (
                  <Badge>Past</Badge>
                ) : (
                  <span aria-hidden="true" className="text-ink-soft">
                    ›
                  </span>
                )}
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

type Account = NonNullable<ReturnType<typeof useMe>['data']>;

function AccountCard({ who, mine }: { who: Account; mine: boolean }) {
  const initials = (who.name || who.username)
    .split(/[\s._-]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]!.toUpperCase())
    .join('');
  return (
    <Card className="mb-8 flex flex-wrap items-center gap-4">
      <div className="grid size-14 place-items-center rounded-full bg-accent text-xl font-bold text-white" aria-hidden="true">
        {initials}
      </div>
      <div className="min-w-0 flex-1">
        <p className="text-lg font-semibold text-ink">{who.name || who.username}</p>
        <p className="text-sm text-ink-soft">
          @{who.username}
          {who.email && <> · {who.email}</>} · member since {memberSince.format(new Date(who.createdAt))}
        </p>
      </div>
      {who.role === 'admin' && <Badge tone="accent">Administrator</Badge>}
      {mine && (
        <ButtonLink variant="secondary" to="/me/notifications">
          My alerts
        </ButtonLink>
      )}
    </Card>
  );
}

export default function ProfilePage() {
  const me = useMe().data!;
  return (
    <div>
      <PageTitle>My account</PageTitle>
      <AccountCard who={me} mine />
      <div className="grid gap-8 lg:grid-cols-[minmax(0,1fr)_360px]">
        <Purchases />
        <Favourites />
      </div>
    </div>
  );
}

/** An admin's view of another user's profile (/admin/users/:username). */
export function UserProfile({ username }: { username: string }) {
  const q = useQuery({
    queryKey: ['admin', 'users', username],
    queryFn: () => call(api.GET('/api/admin/users/{username}', { params: { path: { username } } })),
  });
  return (
    <div>
      <PageTitle sub="What this buyer sees on their own profile.">{username}</PageTitle>
      {q.isLoading ? (
        <LoadingList rows={1} label="Loading the account" />
      ) : q.isError ? (
        <ErrorState error={q.error} context="the account" onRetry={() => void q.refetch()} />
      ) : (
        <>
          <AccountCard who={q.data!} mine={false} />
          <div className="grid gap-8 lg:grid-cols-[minmax(0,1fr)_360px]">
            <Purchases username={username} />
            <Favourites username={username} />
          </div>
        </>
      )}
    </div>
  );
}
