/**
 * Admin: Events (`/admin/events/*`): the table (search, sort by name or date, paging), the create
 * form (POST /api/events), the edit form with conflict handling (event-edit.tsx), and delete with
 * a confirmation (DELETE with the version shown: sales are kept, new purchases refused).
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo, useRef, useState } from 'react';
import { Link, Route, Routes, useLocation, useNavigate, useSearchParams } from 'react-router';
import { api, call } from '../../api/client';
import { DataTable, Notice, SortTh, Td, Th, type SortDir } from '../../components/admin-ui';
import { EmptyState, ErrorState, LoadingList } from '../../components/states';
import { Badge, Button, ButtonLink, Card, PageTitle, TextField } from '../../components/ui';
import { formatDate, plural } from '../../lib/format';
import { adminKeys, humanize, useAllEvents, useStaticLists, type EventSummary } from './admin.queries';
import { DeleteEventDialog } from './event-delete';
import { EventEditPage } from './event-edit';
import {
  SaveError,
  apiFieldErrors,
  checkFields,
  checkTicketRows,
  eurosToCents,
  EventFields,
  FormActions,
  fromLocalInput,
  TicketRows,
  type EventFormValues,
  type FieldErrors,
  type TicketRow,
} from './event-form';

export default function EventsAdminPage() {
  return (
    <Routes>
      <Route index element={<EventsTable />} />
      <Route path="new" element={<EventCreatePage />} />
      <Route path=":eventId" element={<EventEditPage />} />
    </Routes>
  );
}

const PAGE_SIZE = 20;

function EventsTable() {
  const events = useAllEvents();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const sort = (params.get('sort') === 'name' ? 'name' : 'date') as 'name' | 'date';
  const dir = (params.get('dir') === 'desc' ? 'desc' : 'asc') as SortDir;
  const page = Math.max(1, Number(params.get('page')) || 1);
  const location = useLocation();
  const [flash, setFlash] = useState((location.state as { flash?: string } | null)?.flash);
  const [toDelete, setToDelete] = useState<EventSummary | null>(null);
  const [now] = useState(Date.now);

  const set = (patch: Record<string, string | null>) =>
    setParams(
      (p) => {
        const n = new URLSearchParams(p);
        for (const [k, v] of Object.entries(patch)) {
          if (v === null || v === '') n.delete(k);
          else n.set(k, v);
        }
        return n;
      },
      { replace: true },
    );

  const rows = useMemo(() => {
    const words = q.toLowerCase().split(/\s+/).filter(Boolean);
    const all = events.data?.items ?? [];
    const hit = all.filter((e) => {
      const text = `${e.name} ${e.location} ${e.type}`.toLowerCase();
      return words.every((w) => text.includes(w));
    });
    const sign = dir === 'asc' ? 1 : -1;
    return hit.sort((a, b) => sign * (sort === 'name' ? a.name.localeCompare(b.name) : a.date.localeCompare(b.date)));
  }, [events.data, q, sort, dir]);

  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  const current = Math.min(page, pages);
  const shown = rows.slice((current - 1) * PAGE_SIZE, current * PAGE_SIZE);

  const toggleSort = (col: 'name' | 'date') => set({ sort: col, dir: sort === col && dir === 'asc' ? 'desc' : 'asc', page: null });

  return (
    <div>
      <PageTitle
        sub="Create, edit and delete events. Edits are checked against the version you opened."
        actions={<ButtonLink to="new">+ New event</ButtonLink>}
      >
        Events
      </PageTitle>
      {flash && (
        <div className="mb-4">
          <Notice>
            {flash}{' '}
            <button type="button" className="ml-2 underline" onClick={() => setFlash(undefined)}>
              Dismiss
            </button>
          </Notice>
        </div>
      )}
      <div className="mb-4 flex flex-wrap items-end gap-3">
        <TextField
          className="w-full sm:w-80"
          label="Search events"
          type="search"
          placeholder="Name, location or type"
          value={q}
          onChange={(e) => set({ q: e.target.value, page: null })}
        />
        {events.data && (
          <p className="pb-3 text-sm text-ink-soft tabular-nums" aria-live="polite">
            {rows.length === events.data.items.length
              ? plural(rows.length, 'event')
              : `${rows.length.toLocaleString()} of ${plural(events.data.items.length, 'event')}`}
          </p>
        )}
      </div>
      {events.isPending ? (
        <LoadingList rows={4} label="Loading events" />
      ) : events.isError ? (
        <ErrorState error={events.error} context="the events" onRetry={() => events.refetch()} />
      ) : events.data.items.length === 0 ? (
        <EmptyState title="No events yet" action={<ButtonLink to="new">Create the first event</ButtonLink>}>
          Buyers see events here as soon as you create them.
        </EmptyState>
      ) : rows.length === 0 ? (
        <EmptyState
          title={`No event matches “${q}”`}
          action={
            <Button variant="secondary" onClick={() => set({ q: null })}>
              Clear the search
            </Button>
          }
        >
          Search looks at names, locations and types.
        </EmptyState>
      ) : (
        <>
          <DataTable caption="Events, sortable by name and date">
            <thead>
              <tr>
                <SortTh label="Name" active={sort === 'name'} dir={dir} onSort={() => toggleSort('name')} />
                <SortTh label="Date" active={sort === 'date'} dir={dir} onSort={() => toggleSort('date')} />
                <Th className="hidden md:table-cell">Location</Th>
                <Th className="hidden md:table-cell">Type</Th>
                <Th numeric className="hidden lg:table-cell">
                  Max / order
                </Th>
                <Th numeric className="hidden lg:table-cell">
                  Version
                </Th>
                <Th>
                  <span className="sr-only">Actions</span>
                </Th>
              </tr>
            </thead>
            <tbody>
              {shown.map((e) => {
                const past = new Date(e.date).getTime() < now;
                return (
                  <tr key={e.eventId} className="group hover:bg-muted/40">
                    <Td className="max-w-[16rem]">
                      <Link to={e.eventId} className="font-medium text-ink hover:underline">
                        {e.name}
                      </Link>
                      <span className="block text-xs text-ink-soft md:hidden">
                        {humanize(e.location)} · {humanize(e.type)}
                      </span>
                    </Td>
                    <Td className="tabular-nums sm:whitespace-nowrap">
                      {formatDate(e.date)}
                      {past && (
                        <Badge className="ml-2" tone="neutral">
                          Past
                        </Badge>
                      )}
                    </Td>
                    <Td className="hidden md:table-cell">{humanize(e.location)}</Td>
                    <Td className="hidden md:table-cell">{humanize(e.type)}</Td>
                    <Td numeric className="hidden lg:table-cell">
                      {e.maxPerOrder}
                    </Td>
                    <Td numeric className="hidden text-ink-soft lg:table-cell">
                      v{e.version}
                    </Td>
                    <Td className="text-right">
                      <div className="flex flex-col items-end sm:flex-row sm:justify-end">
                        <ButtonLink to={e.eventId} variant="ghost" className="min-h-9 px-3" aria-label={`Edit ${e.name}`}>
                          Edit
                        </ButtonLink>
                        <Button variant="ghost" className="min-h-9 px-3" onClick={() => setToDelete(e)} aria-label={`Delete ${e.name}`}>
                          Delete
                        </Button>
                      </div>
                    </Td>
                  </tr>
                );
              })}
            </tbody>
          </DataTable>
          {pages > 1 && (
            <nav aria-label="Pages" className="mt-4 flex items-center justify-between gap-2 text-sm">
              <Button variant="secondary" disabled={current <= 1} onClick={() => set({ page: String(current - 1) })}>
                ← Previous
              </Button>
              <span className="tabular-nums text-ink-soft">
                Page {current} of {pages} · {(current - 1) * PAGE_SIZE + 1}–{Math.min(current * PAGE_SIZE, rows.length)} of {rows.length}
              </span>
              <Button variant="secondary" disabled={current >= pages} onClick={() => set({ page: String(current + 1) })}>
                Next →
              </Button>
            </nav>
          )}
          {events.data.truncated && (
            <p className="mt-2 text-sm text-ink-soft">Showing the first {events.data.items.length.toLocaleString()} events.</p>
          )}
        </>
      )}
      <DeleteEventDialog
        event={toDelete}
        onClose={() => setToDelete(null)}
        onDeleted={(name) => {
          setToDelete(null);
          setFlash(`Deleted “${name}”. Its sales are kept; new purchases are refused.`);
        }}
      />
    </div>
  );
}

let rowSeq = 0;
const newRowKey = () => `row-${++rowSeq}`;

function EventCreatePage() {
  const lists = useStaticLists();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [values, setValues] = useState<EventFormValues>({
    name: '',
    description: '',
    location: '',
    type: '',
    date: '',
    maxPerOrder: '6',
  });
  const [rows, setRows] = useState<TicketRow[]>(() => [{ key: newRowKey(), type: '', total: '100', price: '' }]);
  const [errors, setErrors] = useState<FieldErrors>({});
  const formRef = useRef<HTMLFormElement>(null);

  const create = useMutation({
    mutationFn: () =>
      call(
        api.POST('/api/events', {
          body: {
            name: values.name.trim(),
            description: values.description,
            location: values.location,
            type: values.type,
            date: fromLocalInput(values.date)!,
            maxPerOrder: Number(values.maxPerOrder),
            ticketTypes: rows.map((r) => ({ type: r.type, total: Number(r.total), price: eurosToCents(r.price)! })),
          },
        }),
      ),
    onSuccess: async (e) => {
      await qc.invalidateQueries({ queryKey: adminKeys.events });
      navigate(`/admin/events/${e.eventId}`, { state: { flash: `Created “${e.name}”. It is on sale now.` } });
    },
    onError: (e) => setErrors(apiFieldErrors(e)),
  });

  const submit = (ev: React.FormEvent) => {
    ev.preventDefault();
    const found = { ...checkFields(values), ...checkTicketRows(rows) };
    setErrors(found);
    if (Object.keys(found).length > 0) {
      // Take the admin to the first field that needs attention.
      requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    create.mutate();
  };

  return (
    <div className="mx-auto max-w-3xl">
      <p className="mb-2 text-sm">
        <Link to="/admin/events" className="text-ink-soft hover:text-ink hover:underline">
          ← All events
        </Link>
      </p>
      <PageTitle sub="Everything but the ticket types can be changed later.">New event</PageTitle>
      {lists.isPending ? (
        <LoadingList rows={3} label="Loading the form" />
      ) : lists.isError ? (
        <ErrorState error={lists.error} context="the static lists" onRetry={() => lists.refetch()} />
      ) : (
        <Card>
          <form ref={formRef} onSubmit={submit} noValidate className="space-y-6">
            <EventFields values={values} onChange={setValues} lists={lists.data} errors={errors} disabled={create.isPending} />
            <TicketRows rows={rows} onChange={setRows} options={lists.data.ticketTypes} errors={errors} newKey={newRowKey} />
            {create.isError && <SaveError error={create.error} what="The event was not created" />}
            <FormActions>
              <ButtonLink to="/admin/events" variant="ghost">
                Cancel
              </ButtonLink>
              <Button type="submit" busy={create.isPending}>
                Create event
              </Button>
            </FormActions>
          </form>
        </Card>
      )}
    </div>
  );
}
