/**
 * Admin: Static lists (locations, event types, ticket types): add and remove values
 * (PATCH /api/static/:list). A value an event uses cannot be removed: the API's message says
 * which, shown in the list's own card.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, call, isApiError } from '../../api/client';
import { Notice } from '../../components/admin-ui';
import { ErrorState, LoadingList } from '../../components/states';
import { Button, PageTitle, TextField } from '../../components/ui';
import { adminKeys, humanize, useStaticLists, type StaticLists } from './admin.queries';

const LISTS = [
  { list: 'locations', field: 'locations', title: 'Locations', one: 'location', example: 'porto' },
  { list: 'event-types', field: 'eventTypes', title: 'Event types', one: 'event type', example: 'festival' },
  { list: 'ticket-types', field: 'ticketTypes', title: 'Ticket types', one: 'ticket type', example: 'vip' },
] as const;

type ListDef = (typeof LISTS)[number];

/** What the API accepts (a slug): lower-case letters, digits and dashes, 1-32 characters. */
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,31})$/;

/** "São Paulo" → "sao-paulo": a friendly start, the admin still sees and edits it. */
export function toSlug(v: string): string {
  return v
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .trim()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32);
}

export default function StaticListsPage() {
  const lists = useStaticLists();
  return (
    <div>
      <PageTitle sub="The choices the event form offers. A value an event uses cannot be removed.">Static lists</PageTitle>
      {lists.isPending ? (
        <LoadingList rows={3} label="Loading the lists" />
      ) : lists.isError ? (
        <ErrorState error={lists.error} context="the static lists" onRetry={() => lists.refetch()} />
      ) : (
        <div className="grid gap-4 lg:grid-cols-3">
          {LISTS.map((def) => (
            <ListCard key={def.list} def={def} values={lists.data[def.field]} />
          ))}
        </div>
      )}
    </div>
  );
}

function ListCard({ def, values }: { def: ListDef; values: string[] }) {
  const qc = useQueryClient();
  const headingId = useId();
  const [draft, setDraft] = useState('');
  const [inputError, setInputError] = useState<string>();
  const [message, setMessage] = useState<{ tone: 'ok' | 'warn'; text: string }>();

  const patch = useMutation({
    mutationFn: (body: { add?: string[]; remove?: string[] }) =>
      call(api.PATCH('/api/static/{list}', { params: { path: { list: def.list } }, body })),
    onSuccess: (r, body) => {
      qc.setQueryData<StaticLists>(adminKeys.statics, (old) => (old ? { ...old, [def.field]: r.values } : old));
      if (body.add?.length) {
        setDraft('');
        setMessage({ tone: 'ok', text: `Added ${body.add.join(', ')}.` });
      } else setMessage({ tone: 'ok', text: `Removed ${body.remove?.join(', ')}.` });
    },
    onError: (e, body) => {
      // A value in use (409) or a malformed one (400): the API's own words.
      const text = isApiError(e) ? e.message : String(e);
      if (body.add?.length) setInputError(isApiError(e) ? (e.fieldMessage('add') ?? text) : text);
      else setMessage({ tone: 'warn', text: `Not removed: ${text}.` });
    },
  });

  const add = (ev: React.FormEvent) => {
    ev.preventDefault();
    setMessage(undefined);
    const v = draft.trim();
    if (!SLUG.test(v)) {
      setInputError(`Use lower-case letters, digits and dashes, up to 32 characters${toSlug(v) ? `: try “${toSlug(v)}”` : ''}.`);
      return;
    }
    if (values.includes(v)) {
      setInputError(`“${v}” is already in the list.`);
      return;
    }
    setInputError(undefined);
    patch.mutate({ add: [v] });
  };

  const removing = patch.isPending && patch.variables?.remove?.[0];

  return (
    <section aria-labelledby={headingId} className="flex flex-col rounded-2xl bg-surface shadow-sm ring-1 ring-line">
      <div className="flex items-baseline justify-between border-b border-line px-4 py-3">
        <h2 id={headingId} className="font-semibold text-ink">
          {def.title}
        </h2>
        <span className="text-sm tabular-nums text-ink-soft">{values.length}</span>
      </div>
      {values.length === 0 ? (
        <p className="px-4 py-6 text-sm text-ink-soft">No {def.one} yet: add the first below.</p>
      ) : (
        <ul className="divide-y divide-line" aria-label={def.title}>
          {values.map((v) => (
            <li key={v} className="flex items-center justify-between gap-2 px-4 py-1.5">
              <span className="min-w-0">
                <span className="font-medium text-ink">{humanize(v)}</span>{' '}
                <code className="ml-1 font-mono text-xs text-ink-soft">{v}</code>
              </span>
              <Button
                variant="ghost"
                className="min-h-9 shrink-0 px-3 text-sm font-medium text-danger"
                aria-label={`Remove ${v} from ${def.title.toLowerCase()}`}
                busy={removing === v}
                disabled={patch.isPending}
                onClick={() => {
                  setMessage(undefined);
                  patch.mutate({ remove: [v] });
                }}
              >
                Remove
              </Button>
            </li>
          ))}
        </ul>
      )}
      <div className="mt-auto space-y-3 border-t border-line p-4">
        {message && <Notice tone={message.tone}>{message.text}</Notice>}
        <form onSubmit={add} noValidate className="flex items-start gap-2">
          <TextField
            className="min-w-0 flex-1"
            label={`New ${def.one}`}
            placeholder={`e.g. ${def.example}`}
            value={draft}
            maxLength={64}
            autoCapitalize="none"
            spellCheck={false}
            onChange={(e) => {
              setDraft(e.target.value);
              setInputError(undefined);
            }}
            error={inputError}
          />
          <Button type="submit" variant="secondary" className="mt-6 shrink-0" busy={patch.isPending && !!patch.variables?.add}>
            Add
          </Button>
        </form>
      </div>
    </section>
  );
}
