/**
 * Admin: Key history. Pick a key (an event's own keys from a chosen event, the store-wide keys,
 * or any key typed in; user: and session: keys are never served), then see each revision newest
 * first: its value as pretty JSON, which fields changed, when (from the value's own time) and
 * deletions marked. GET /api/admin/keys/history, continued with `nextRevision`.
 */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, call, isApiError, type GetResult } from '../../api/client';
import { Notice } from '../../components/admin-ui';
import { EmptyState, ErrorState, LoadingList } from '../../components/states';
import { Badge, Button, Card, PageTitle, SelectField, TextField, cx } from '../../components/ui';
import { formatDate, formatRelative } from '../../lib/format';
import { humanize, useAllEvents } from './admin.queries';

type History = GetResult<'/api/admin/keys/history'>;
type Entry = History['items'][number];

const STORE_KEYS: [string, string][] = [
  ['static:locations', 'Locations list'],
  ['static:event-types', 'Event types list'],
  ['static:ticket-types', 'Ticket types list'],
];

function eventKeys(eventId: string, ticketTypes: string[]): [string, string][] {
  return [
    [`event:${eventId}`, 'Event record'],
    ...ticketTypes.map((t): [string, string] => [`ticket:${eventId}:${t}`, `Tickets: ${humanize(t)}`]),
    [`stats:${eventId}`, 'Sales figures'],
    [`favcount:${eventId}`, 'Favourite count'],
    [`search:meta:${eventId}`, 'Search index entry'],
  ];
}

export default function KeyHistoryPage() {
  const [params, setParams] = useSearchParams();
  const key = params.get('key') ?? '';
  const rev = params.get('revision') ?? '';
  const show = (k: string, revision = '') => setParams(revision ? { key: k, revision } : { key: k });

  return (
    <div>
      <PageTitle sub="Every stored value a key has had, newest first, read back from etcd's revisions.">Key history</PageTitle>
      <div className="grid gap-6 lg:grid-cols-[20rem_1fr]">
        <div id="key-picker" className="scroll-mt-20">
          <KeyPicker current={key} currentRevision={rev} onPick={show} />
        </div>
        {/* On a phone, the history of the chosen key comes first; the picker follows. */}
        <div className={cx('min-w-0', key && 'order-first lg:order-none')}>
          {key ? (
            <>
              <HistoryView key={`${key}@${rev}`} historyKey={key} revision={rev ? Number(rev) : undefined} />
              <p className="mt-4 text-center text-sm lg:hidden">
                <a href="#key-picker" className="underline">
                  Choose another key ↓
                </a>
              </p>
            </>
          ) : (
            <EmptyState title="Pick a key">
              Choose an event and one of its keys, or a store-wide key, to see how its value changed over time.
            </EmptyState>
          )}
        </div>
      </div>
    </div>
  );
}

function KeyButton({ k, label, active, onPick }: { k: string; label: string; active: boolean; onPick: (k: string) => void }) {
  return (
    <li>
      <button
        type="button"
        aria-current={active ? 'true' : undefined}
        onClick={() => onPick(k)}
        className={cx(
          'flex min-h-11 w-full flex-col items-start justify-center rounded-xl px-3 py-1.5 text-left',
          active ? 'bg-accent-soft text-accent-ink' : 'hover:bg-muted',
        )}
      >
        <span className="text-sm font-medium">{label}</span>
        <code className={cx('max-w-full truncate font-mono text-xs', active ? 'text-accent-ink' : 'text-ink-soft')}>{k}</code>
      </button>
    </li>
  );
}

function KeyPicker({
  current,
  currentRevision,
  onPick,
}: {
  current: string;
  currentRevision: string;
  onPick: (k: string, r?: string) => void;
}) {
  const events = useAllEvents();
  const fromKey = /^(?:event|stats|favcount|search:meta|ticket):([0-9a-zA-Z-]{26,36})/.exec(current)?.[1];
  const [eventId, setEventId] = useState(fromKey ?? '');
  const storeHeading = useId();
  const eventHeading = useId();
  const detail = useQuery({
    queryKey: ['admin', 'event-tickets', eventId],
    queryFn: () => call(api.GET('/api/events/{eventId}', { params: { path: { eventId } } })),
    enabled: !!eventId,
    staleTime: 30_000,
  });
  const sorted = [...(events.data?.items ?? [])].sort((a, b) => a.name.localeCompare(b.name));

  return (
    <Card className="self-start p-4! sm:p-4!">
      <SelectField
        label="Event"
        value={eventId}
        onChange={(e) => setEventId(e.target.value)}
        hint={events.isError ? 'The events could not be loaded: type a key below.' : undefined}
      >
        <option value="">{events.isPending ? 'Loading events…' : 'Choose an event…'}</option>
        {sorted.map((e) => (
          <option key={e.eventId} value={e.eventId}>
            {e.name}
          </option>
        ))}
      </SelectField>
      {eventId && (
        <div className="mt-3">
          <h2 id={eventHeading} className="px-3 text-xs font-semibold uppercase tracking-wide text-ink-soft">
            Keys of this event
          </h2>
          <ul aria-labelledby={eventHeading} className="mt-1 space-y-0.5">
            {eventKeys(eventId, detail.data?.tickets.map((t) => t.type) ?? []).map(([k, label]) => (
              <KeyButton key={k} k={k} label={label} active={k === current} onPick={onPick} />
            ))}
          </ul>
        </div>
      )}
      <div className="mt-4 border-t border-line pt-3">
        <h2 id={storeHeading} className="px-3 text-xs font-semibold uppercase tracking-wide text-ink-soft">
          Store-wide
        </h2>
        <ul aria-labelledby={storeHeading} className="mt-1 space-y-0.5">
          {STORE_KEYS.map(([k, label]) => (
            <KeyButton key={k} k={k} label={label} active={k === current} onPick={onPick} />
          ))}
        </ul>
      </div>
      <TypedKey key={`${current}@${currentRevision}`} current={current} currentRevision={currentRevision} onPick={onPick} />
    </Card>
  );
}

/** Any key typed in (and a revision to look back from); follows the key shown. */
function TypedKey({
  current,
  currentRevision,
  onPick,
}: {
  current: string;
  currentRevision: string;
  onPick: (k: string, r?: string) => void;
}) {
  const [typed, setTyped] = useState(current);
  const [typedRev, setTypedRev] = useState(currentRevision);
  const [typedError, setTypedError] = useState<string>();
  return (
    <form
      className="mt-4 space-y-3 border-t border-line pt-4"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const k = typed.trim();
        if (!k) return setTypedError('Type a key, e.g. event:<id>.');
        if (/^(user|session):/.test(k)) return setTypedError('user: and session: keys are never shown: they hold secrets.');
        if (typedRev && !/^\d+$/.test(typedRev)) return setTypedError('The revision is a whole number.');
        setTypedError(undefined);
        onPick(k, typedRev);
      }}
    >
      <TextField
        label="Any key"
        placeholder="ticket:<event id>:<type>"
        value={typed}
        spellCheck={false}
        autoCapitalize="none"
        className="[&_input]:font-mono [&_input]:text-sm"
        onChange={(e) => setTyped(e.target.value)}
        error={typedError}
        hint="Not user: or session: keys (they hold secrets)."
      />
      <TextField
        label="From revision (optional)"
        inputMode="numeric"
        value={typedRev}
        onChange={(e) => setTypedRev(e.target.value)}
        hint="To see a deleted key's past: a revision when it existed."
      />
      <Button type="submit" variant="secondary" className="w-full">
        Show history
      </Button>
    </form>
  );
}

/** Top-level fields whose value differs from the older entry (what this revision changed). */
function changedFields(entry: Entry, older?: Entry): string[] {
  const a = entry.value;
  const b = older?.value;
  if (!older || typeof a !== 'object' || a === null || typeof b !== 'object' || b === null || Array.isArray(a)) return [];
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const fields = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  return [...fields].filter((f) => f !== 'updatedAt' && f !== 'version' && JSON.stringify(ra[f]) !== JSON.stringify(rb[f]));
}

function HistoryView({ historyKey, revision }: { historyKey: string; revision?: number }) {
  const history = useInfiniteQuery({
    queryKey: ['admin', 'history', historyKey, revision ?? 'now'],
    queryFn: ({ pageParam }) =>
      call(api.GET('/api/admin/keys/history', { params: { query: { key: historyKey, limit: 20, revision: pageParam } } })),
    initialPageParam: revision,
    getNextPageParam: (last) => last.nextRevision ?? undefined,
    retry: (n, e) => n < 2 && !(isApiError(e) && e.status < 500),
  });
  const first = history.data?.pages[0];
  const items = history.data?.pages.flatMap((p) => p.items) ?? [];
  const last = history.data?.pages[history.data.pages.length - 1];

  return (
    <section aria-labelledby="history-heading">
      <div className="mb-4 flex flex-wrap items-baseline justify-between gap-2">
        <h2 id="history-heading" className="min-w-0 break-all font-mono text-base font-semibold text-ink">
          {historyKey}
        </h2>
        {first && (
          <span className="flex items-center gap-2 text-sm text-ink-soft">
            <Badge tone="accent">{first.kind}</Badge>
            <span className="tabular-nums">read at revision {first.readAt.toLocaleString()}</span>
            <Button variant="ghost" className="min-h-9 px-3" onClick={() => history.refetch()} busy={history.isRefetching}>
              Refresh
            </Button>
          </span>
        )}
      </div>
      {history.isPending ? (
        <LoadingList rows={3} label="Loading the history" />
      ) : history.isError ? (
        isApiError(history.error) && history.error.status === 404 ? (
          <EmptyState title="No such key now">
            {history.error.message}. A deleted event keeps its record (marked deleted); other keys may never have existed.
          </EmptyState>
        ) : (
          <ErrorState error={history.error} context="the key's history" onRetry={() => history.refetch()} />
        )
      ) : items.length === 0 ? (
        <EmptyState title="Nothing to show">
          {first?.compacted ? 'The store compacted the revisions asked for: older values are gone.' : 'This key has no past values.'}
        </EmptyState>
      ) : (
        <>
          <ol className="space-y-3">
            {items.map((entry, i) => {
              const changed = changedFields(entry, items[i + 1]);
              return (
                <li key={entry.revision}>
                  <article
                    aria-label={`Version ${entry.version}, revision ${entry.revision}${entry.deleted ? ', deleted' : ''}`}
                    className={cx('rounded-2xl bg-surface shadow-sm ring-1', entry.deleted ? 'ring-danger/40' : 'ring-line')}
                  >
                    <header className="flex flex-wrap items-center gap-x-3 gap-y-1 border-b border-line px-4 py-2.5 text-sm">
                      <span className="font-semibold text-ink">Version {entry.version}</span>
                      <span className="tabular-nums text-ink-soft">revision {entry.revision.toLocaleString()}</span>
                      {i === 0 && !revision && <Badge tone="ok">Current</Badge>}
                      {entry.version === 1 && <Badge>Created</Badge>}
                      {entry.deleted && <Badge tone="danger">Deleted</Badge>}
                      <span className="ml-auto text-ink-soft">
                        {entry.modTime ? (
                          <time dateTime={entry.modTime} title={formatDate(entry.modTime)}>
                            {formatDate(entry.modTime)} · {formatRelative(entry.modTime)}
                          </time>
                        ) : (
                          'time not recorded in the value'
                        )}
                      </span>
                    </header>
                    {changed.length > 0 && (
                      <p className="border-b border-line px-4 py-2 text-xs text-ink-soft">
                        Changed:{' '}
                        {changed.map((f) => (
                          <code key={f} className="mr-1 rounded bg-muted px-1.5 py-0.5 font-mono text-ink">
                            {f}
                          </code>
                        ))}
                      </p>
                    )}
                    <pre
                      tabIndex={0}
                      aria-label={`Value at revision ${entry.revision}`}
                      className="max-h-80 overflow-auto px-4 py-3 font-mono text-xs leading-relaxed text-ink"
                    >
                      {typeof entry.value === 'string' ? entry.value : JSON.stringify(entry.value, null, 2)}
                    </pre>
                  </article>
                </li>
              );
            })}
          </ol>
          <div className="mt-4 space-y-2 text-center">
            {history.hasNextPage ? (
              <Button variant="secondary" busy={history.isFetchingNextPage} onClick={() => history.fetchNextPage()}>
                Load older values
              </Button>
            ) : last?.compacted ? (
              <Notice tone="warn">Older values were compacted away by the store.</Notice>
            ) : (
              <p className="text-sm text-ink-soft">That is the key's first value (its creation).</p>
            )}
          </div>
        </>
      )}
    </section>
  );
}
