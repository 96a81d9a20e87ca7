/**
 * Admin: edit one event (`/admin/events/:eventId`). The PATCH carries the version the admin
 * opened; a 409 means someone saved meanwhile: the conflict view puts the newer version's values
 * beside the admin's own, and lets them load the newer version or apply their changes on top of
 * it (a new PATCH with the newer version). Ticket totals and prices are saved one type at a time
 * (PUT /api/events/:id/tickets/:type; a total below what is sold is refused with the API's words).
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { api, call, isApiError } from '../../api/client';
import { DataTable, Notice, Section, Td, Th } from '../../components/admin-ui';
import { ErrorState, LoadingList } from '../../components/states';
import { Badge, Button, ButtonLink, Card, PageTitle, TextField, cx } from '../../components/ui';
import { formatDate, formatMoney } from '../../lib/format';
import {
  adminKeys,
  humanize,
  useEventDetail,
  useStaticLists,
  type EventDetail,
  type EventSummary,
  type StaticLists,
} from './admin.queries';
import {
  SaveError,
  apiFieldErrors,
  centsToEuros,
  checkFields,
  eurosToCents,
  EventFields,
  FIELD_LABELS,
  FormActions,
  fromLocalInput,
  TicketTypeSelect,
  valuesOf,
  type EventFormValues,
  type FieldErrors,
} from './event-form';
import { DeleteEventDialog, type EventsFlash } from './event-delete';

export function EventEditPage() {
  const { eventId = '' } = useParams();
  const detail = useEventDetail(eventId);
  const lists = useStaticLists();
  const back = (
    <p className="mb-2 text-sm">
      <Link to="/admin/events" className="text-ink-soft hover:text-ink hover:underline">
        ← All events
      </Link>
    </p>
  );
  if (detail.isPending || lists.isPending)
    return (
      <div className="mx-auto max-w-4xl">
        {back}
        <LoadingList rows={3} label="Loading the event" />
      </div>
    );
  if (detail.isError || lists.isError)
    return (
      <div className="mx-auto max-w-4xl">
        {back}
        <PageTitle>Edit event</PageTitle>
        <ErrorState
          error={detail.error ?? lists.error}
          context="the event"
          onRetry={() => {
            void detail.refetch();
            void lists.refetch();
          }}
        />
      </div>
    );
  return (
    <div className="mx-auto max-w-4xl">
      {back}
      <EditForm event={detail.data} lists={lists.data} />
    </div>
  );
}

type FieldKey = keyof EventFormValues;
const FIELD_KEYS = Object.keys(FIELD_LABELS) as FieldKey[];

/** The fields the admin changed relative to what they opened. */
function changedFields(base: EventFormValues, values: EventFormValues): Partial<EventFormValues> {
  return Object.fromEntries(FIELD_KEYS.filter((k) => values[k] !== base[k]).map((k) => [k, values[k]]));
}

function patchBody(changes: Partial<EventFormValues>) {
  return {
    ...(changes.name !== undefined && { name: changes.name.trim() }),
    ...(changes.description !== undefined && { description: changes.description }),
    ...(changes.location !== undefined && { location: changes.location }),
    ...(changes.type !== undefined && { type: changes.type }),
    ...(changes.date !== undefined && { date: fromLocalInput(changes.date)! }),
    ...(changes.maxPerOrder !== undefined && { maxPerOrder: Number(changes.maxPerOrder) }),
  };
}

/** A field's value as a person reads it. */
function display(k: FieldKey, v: string | undefined): string {
  if (v === undefined) return '';
  if (k === 'date') {
    const iso = fromLocalInput(v);
    return iso ? formatDate(iso) : v;
  }
  if (k === 'location' || k === 'type') return humanize(v);
  return v;
}

interface Conflict {
  /** The values the admin opened (to show what the other edit changed). */
  opened: EventFormValues;
  theirs: EventDetail;
  mine: Partial<EventFormValues>;
  yourVersion: number;
}

interface TicketEdit {
  total: string;
  price: string;
}

function EditForm({ event, lists }: { event: EventDetail; lists: StaticLists }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();
  const [base, setBase] = useState<EventSummary>(event);
  const [values, setValues] = useState<EventFormValues>(() => valuesOf(event));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [gone, setGone] = useState(false);
  const [notice, setNotice] = useState<string | undefined>((location.state as EventsFlash | null)?.flash);
  const [deleting, setDeleting] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const conflictRef = useRef<HTMLElement>(null);

  const baseValues = valuesOf(base);
  const mine = changedFields(baseValues, values);
  const dirty = Object.keys(mine).length > 0;

  const accept = (saved: EventSummary) => {
    setBase(saved);
    setValues(valuesOf(saved));
    qc.setQueryData<EventDetail>(adminKeys.event(saved.eventId), (old) => (old ? { ...old, ...saved } : old));
    void qc.invalidateQueries({ queryKey: adminKeys.events });
  };

  /** PATCH the changes against `version`; a 409 opens the conflict view with the newer version. */
  const save = useMutation({
    mutationFn: async ({ changes, version }: { changes: Partial<EventFormValues>; version: number }) => {
      try {
        const saved = await call(
          api.PATCH('/api/events/{eventId}', {
            params: { path: { eventId: base.eventId } },
            body: { expectedVersion: version, ...patchBody(changes) },
          }),
        );
        return { kind: 'saved', saved } as const;
      } catch (e) {
        if (!isApiError(e) || e.status !== 409) throw e;
        try {
          const theirs = await call(api.GET('/api/events/{eventId}', { params: { path: { eventId: base.eventId } } }));
          return { kind: 'conflict', conflict: { opened: valuesOf(base), theirs, mine: changes, yourVersion: version } } as const;
        } catch (g) {
          if (isApiError(g) && g.status === 404) return { kind: 'gone' } as const;
          throw g;
        }
      }
    },
    onSuccess: (r) => {
      if (r.kind === 'saved') {
        accept(r.saved);
        setConflict(null);
        setNotice(`Saved. “${r.saved.name}” is now version ${r.saved.version}.`);
      } else if (r.kind === 'conflict') {
        setConflict(r.conflict);
        setNotice(undefined);
        requestAnimationFrame(() => conflictRef.current?.focus());
      } else {
        setGone(true);
      }
    },
    onError: (e) => setErrors(apiFieldErrors(e)),
  });

  const submit = (ev: React.FormEvent) => {
    ev.preventDefault();
    setNotice(undefined);
    const found = checkFields(values);
    setErrors(found);
    if (Object.keys(found).length > 0) {
      requestAnimationFrame(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    if (!dirty) {
      setNotice('Nothing to save: no field differs from version ' + base.version + '.');
      return;
    }
    save.mutate({ changes: mine, version: base.version });
  };

  if (gone)
    return (
      <>
        <PageTitle>{base.name}</PageTitle>
        <Notice tone="warn">
          This event was deleted while you were editing it; your changes were not saved.{' '}
          <Link className="underline" to="/admin/events">
            Back to the events
          </Link>
        </Notice>
      </>
    );

  return (
    <>
      <PageTitle
        sub={
          <>
            Version {base.version} · {formatDate(base.date)} ·{' '}
            <Link className="underline hover:text-ink" to={`/events/${base.eventId}`}>
              view on the site
            </Link>{' '}
            ·{' '}
            <Link className="underline hover:text-ink" to={`/admin/keys?key=${encodeURIComponent(`event:${base.eventId}`)}`}>
              history
            </Link>
          </>
        }
        actions={
          <Button variant="secondary" className="text-danger" onClick={() => setDeleting(true)}>
            Delete…
          </Button>
        }
      >
        Edit “{base.name}”
      </PageTitle>

      {notice && (
        <div className="mb-4">
          <Notice>{notice}</Notice>
        </div>
      )}

      {conflict && (
        <ConflictView
          ref={conflictRef}
          conflict={conflict}
          busy={save.isPending}
          onReload={() => {
            accept(conflict.theirs);
            setConflict(null);
            setNotice(`Loaded version ${conflict.theirs.version}. Your changes were discarded.`);
          }}
          onReapply={() => save.mutate({ changes: conflict.mine, version: conflict.theirs.version })}
        />
      )}

      <Card className={cx(conflict && 'opacity-60')}>
        <form ref={formRef} onSubmit={submit} noValidate className="space-y-6" aria-label="Event details">
          <EventFields values={values} onChange={setValues} lists={lists} errors={errors} disabled={save.isPending || !!conflict} />
          {save.isError && <SaveError error={save.error} what="Your changes were not saved" />}
          <FormActions>
            {dirty && !conflict && (
              <span className="mr-auto text-sm text-ink-soft">
                Unsaved:{' '}
                {Object.keys(mine)
                  .map((k) => FIELD_LABELS[k as FieldKey].toLowerCase())
                  .join(', ')}
              </span>
            )}
            <Button type="button" variant="ghost" disabled={!dirty || save.isPending || !!conflict} onClick={() => setValues(baseValues)}>
              Undo changes
            </Button>
            <Button type="submit" busy={save.isPending && !conflict} disabled={!!conflict}>
              Save changes
            </Button>
          </FormActions>
        </form>
      </Card>

      <TicketsEditor eventId={base.eventId} tickets={event.tickets} options={lists.ticketTypes} />

      <DeleteEventDialog
        event={deleting ? base : null}
        onClose={() => setDeleting(false)}
        onDeleted={(name) =>
          navigate('/admin/events', { state: { flash: `Deleted “${name}”. Its sales are kept; new purchases are refused.` } })
        }
      />
    </>
  );
}

function ConflictView({
  conflict,
  busy,
  onReload,
  onReapply,
  ref,
}: {
  conflict: Conflict;
  busy: boolean;
  onReload: () => void;
  onReapply: () => void;
  ref: React.Ref<HTMLElement>;
}) {
  const headingId = useId();
  const theirs = valuesOf(conflict.theirs);
  const v = conflict.theirs.version;
  return (
    <section
      ref={ref}
      tabIndex={-1}
      aria-labelledby={headingId}
      data-testid="edit-conflict"
      className="mb-6 rounded-2xl bg-warn-soft p-4 text-warn-ink ring-1 ring-warn/30 sm:p-6"
    >
      <h2 id={headingId} className="text-lg font-semibold">
        Someone saved this event while you were editing
      </h2>
      <p className="mt-1 text-sm">
        You opened version {conflict.yourVersion}; version {v} is now current. Nothing of yours was saved yet. Compare, then choose.
      </p>
      <div className="mt-4 hidden sm:block">
        <DataTable caption={`Version ${v} compared with your changes`} className="text-ink">
          <thead>
            <tr>
              <Th>Field</Th>
              <Th>Version {v} (saved)</Th>
              <Th>Your change</Th>
            </tr>
          </thead>
          <tbody>
            {FIELD_KEYS.map((k) => {
              const yours = conflict.mine[k];
              const differs = yours !== undefined && yours !== theirs[k];
              const theyChanged = theirs[k] !== conflict.opened[k];
              return (
                <tr key={k} className={cx('group', differs && 'bg-warn-soft/40')}>
                  <Td className="font-medium">
                    <span className="whitespace-nowrap">{FIELD_LABELS[k]}</span>
                    <span className="ml-2 inline-flex flex-wrap gap-1 align-middle">
                      {theyChanged && <Badge tone="accent">Changed in v{v}</Badge>}
                      {differs && <Badge tone="warn">Differs from yours</Badge>}
                    </span>
                  </Td>
                  <Td className="max-w-xs break-words">{display(k, theirs[k]) || <span className="text-ink-soft">(empty)</span>}</Td>
                  <Td className="max-w-xs break-words">
                    {yours === undefined ? (
                      <span className="text-ink-soft">not changed</span>
                    ) : (
                      display(k, yours) || <span className="text-ink-soft">(empty)</span>
                    )}
                  </Td>
                </tr>
              );
            })}
          </tbody>
        </DataTable>
      </div>
      <dl className="mt-4 space-y-2 sm:hidden">
        {FIELD_KEYS.map((k) => {
          const yours = conflict.mine[k];
          const differs = yours !== undefined && yours !== theirs[k];
          const theyChanged = theirs[k] !== conflict.opened[k];
          return (
            <div key={k} className="rounded-xl bg-surface px-3 py-2 text-sm text-ink ring-1 ring-line">
              <dt className="flex flex-wrap items-center gap-1 font-medium">
                {FIELD_LABELS[k]}
                {theyChanged && <Badge tone="accent">Changed in v{v}</Badge>}
                {differs && <Badge tone="warn">Differs from yours</Badge>}
              </dt>
              <dd className="mt-1 break-words">
                <span className="text-ink-soft">v{v}: </span>
                {display(k, theirs[k]) || '(empty)'}
              </dd>
              {yours !== undefined && (
                <dd className="break-words">
                  <span className="text-ink-soft">Yours: </span>
                  {display(k, yours) || '(empty)'}
                </dd>
              )}
            </div>
          );
        })}
      </dl>
      <div className="mt-4 flex flex-wrap gap-2">
        <Button variant="secondary" onClick={onReload} disabled={busy}>
          Load version {v}, discard mine
        </Button>
        <Button onClick={onReapply} busy={busy}>
          Apply my changes to version {v}
        </Button>
      </div>
    </section>
  );
}

type Ticket = EventDetail['tickets'][number];

/** Totals and prices per ticket type, each saved on its own; plus adding a type. */
function TicketsEditor({ eventId, tickets, options }: { eventId: string; tickets: Ticket[]; options: string[] }) {
  const qc = useQueryClient();
  const [rows, setRows] = useState<Ticket[]>(tickets);
  const [edits, setEdits] = useState<Record<string, TicketEdit>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string>();
  const [adding, setAdding] = useState<{ type: string; total: string; price: string }>({ type: '', total: '100', price: '' });
  const [addError, setAddError] = useState<FieldErrors>({});

  const edit = (type: string, patch: Partial<TicketEdit>) =>
    setEdits((e) => {
      const row = rows.find((r) => r.type === type)!;
      return { ...e, [type]: { total: String(row.total), price: centsToEuros(row.price), ...e[type], ...patch } };
    });

  const changes = rows.flatMap((r) => {
    const e = edits[r.type];
    if (!e) return [];
    const total = Number(e.total);
    const price = eurosToCents(e.price);
    const body = {
      ...(total !== r.total && { total }),
      ...(price !== null && price !== r.price && { price }),
    };
    return Object.keys(body).length ? [{ type: r.type, body, bad: !Number.isInteger(total) || total < 0 || price === null }] : [];
  });

  const put = async (type: string, body: { total?: number; price?: number }) =>
    call(api.PUT('/api/events/{eventId}/tickets/{type}', { params: { path: { eventId, type } }, body }));

  const saveAll = useMutation({
    mutationFn: async () => {
      const failed: Record<string, string> = {};
      const done: Ticket[] = [];
      for (const c of changes) {
        if (c.bad) {
          failed[c.type] = 'Give a whole number of tickets and a price like 45 or 45.50.';
          continue;
        }
        try {
          const r = await put(c.type, c.body);
          done.push({ type: r.type, total: r.total, remaining: r.remaining, price: r.price });
        } catch (e) {
          failed[c.type] = e instanceof Error ? e.message : String(e);
        }
      }
      return { failed, done };
    },
    onSuccess: ({ failed, done }) => {
      setErrors(failed);
      setRows((rs) => rs.map((r) => done.find((d) => d.type === r.type) ?? r));
      setEdits((e) => Object.fromEntries(Object.entries(e).filter(([t]) => failed[t])));
      if (done.length) setSaved(`Saved ${done.map((d) => humanize(d.type)).join(', ')}.`);
      void qc.invalidateQueries({ queryKey: adminKeys.event(eventId) });
    },
  });

  const add = useMutation({
    mutationFn: () => put(adding.type, { total: Number(adding.total), price: eurosToCents(adding.price)! }),
    onSuccess: (r) => {
      setRows((rs) =>
        [...rs, { type: r.type, total: r.total, remaining: r.remaining, price: r.price }].sort((a, b) => a.type.localeCompare(b.type)),
      );
      setAdding({ type: '', total: '100', price: '' });
      setAddError({});
      setSaved(`Added ${humanize(r.type)}.`);
    },
    onError: (e) => setAddError({ form: e instanceof Error ? e.message : String(e) }),
  });

  const unused = options.filter((o) => !rows.some((r) => r.type === o));

  return (
    <Section title="Tickets" sub="Totals and prices change at once for new orders; a total cannot go below what is sold.">
      {saved && (
        <div className="mb-3">
          <Notice>{saved}</Notice>
        </div>
      )}
      <DataTable caption="Ticket types with sold, remaining, total and price">
        <thead>
          <tr>
            <Th>Type</Th>
            <Th numeric className="hidden sm:table-cell">
              Sold
            </Th>
            <Th numeric className="hidden sm:table-cell">
              Remaining
            </Th>
            <Th numeric>Total</Th>
            <Th numeric>Price (€)</Th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const e = edits[r.type];
            const err = errors[r.type];
            return (
              <tr key={r.type} className="group">
                <Td className="font-medium">
                  {humanize(r.type)}
                  <span className="block text-xs font-normal tabular-nums text-ink-soft sm:hidden">
                    {(r.total - r.remaining).toLocaleString()} sold · {r.remaining.toLocaleString()} left
                  </span>
                  {err && (
                    <p role="alert" className="mt-1 text-xs font-normal text-danger">
                      <span aria-hidden="true">⚠ </span>
                      {err}
                    </p>
                  )}
                </Td>
                <Td numeric className="hidden sm:table-cell">
                  {(r.total - r.remaining).toLocaleString()}
                </Td>
                <Td numeric className="hidden sm:table-cell">
                  {r.remaining.toLocaleString()}
                </Td>
                <Td numeric className="w-24 sm:w-32">
                  <input
                    aria-label={`Total ${humanize(r.type)} tickets`}
                    type="number"
                    inputMode="numeric"
                    min={r.total - r.remaining}
                    value={e?.total ?? String(r.total)}
                    onChange={(ev) => edit(r.type, { total: ev.target.value })}
                    className="ml-auto block min-h-9 w-20 rounded-lg border border-line bg-surface px-2 text-right tabular-nums sm:w-28"
                  />
                </Td>
                <Td numeric className="w-24 sm:w-32">
                  <input
                    aria-label={`Price of ${humanize(r.type)} in euros`}
                    inputMode="decimal"
                    value={e?.price ?? centsToEuros(r.price)}
                    onChange={(ev) => edit(r.type, { price: ev.target.value })}
                    className="ml-auto block min-h-9 w-20 rounded-lg border border-line bg-surface px-2 text-right tabular-nums sm:w-28"
                  />
                </Td>
              </tr>
            );
          })}
        </tbody>
      </DataTable>
      <div className="mt-3 flex flex-wrap items-center justify-end gap-2">
        {changes.length > 0 && <span className="mr-auto text-sm text-ink-soft">{changes.length} ticket type(s) changed</span>}
        <Button variant="ghost" disabled={changes.length === 0 || saveAll.isPending} onClick={() => setEdits({})}>
          Undo
        </Button>
        <Button disabled={changes.length === 0} busy={saveAll.isPending} onClick={() => saveAll.mutate()}>
          Save tickets
        </Button>
      </div>
      {unused.length > 0 && (
        <form
          className="mt-6 grid items-start gap-3 rounded-xl bg-muted/50 p-3 ring-1 ring-line sm:grid-cols-[1fr_9rem_9rem_auto]"
          aria-label="Add a ticket type"
          onSubmit={(ev) => {
            ev.preventDefault();
            const errs: FieldErrors = {};
            if (!adding.type) errs.type = 'Pick a ticket type.';
            const t = Number(adding.total);
            if (!Number.isInteger(t) || t < 1) errs.total = 'At least 1.';
            if (eurosToCents(adding.price) === null) errs.price = 'A price like 45 or 45.50.';
            setAddError(errs);
            if (Object.keys(errs).length === 0) add.mutate();
          }}
        >
          <TicketTypeSelect
            label="Add a ticket type"
            value={adding.type}
            options={unused}
            onChange={(type) => setAdding({ ...adding, type })}
            error={addError.type}
          />
          <TextField
            label="Tickets"
            type="number"
            min={1}
            className="[&_input]:text-right [&_input]:tabular-nums"
            value={adding.total}
            onChange={(e) => setAdding({ ...adding, total: e.target.value })}
            error={addError.total}
          />
          <TextField
            label="Price (€)"
            inputMode="decimal"
            className="[&_input]:text-right [&_input]:tabular-nums"
            value={adding.price}
            onChange={(e) => setAdding({ ...adding, price: e.target.value })}
            error={addError.price}
            hint={eurosToCents(adding.price) !== null && adding.price ? formatMoney(eurosToCents(adding.price)!) : undefined}
          />
          <Button type="submit" variant="secondary" className="self-end" busy={add.isPending}>
            Add
          </Button>
          {addError.form && (
            <p role="alert" className="text-sm text-danger sm:col-span-4">
              {addError.form}
            </p>
          )}
        </form>
      )}
      {unused.length === 0 && (
        <p className="mt-3 text-sm text-ink-soft">
          Every ticket type of the list is on sale.{' '}
          <ButtonLink variant="ghost" to="/admin/static">
            Add ticket types
          </ButtonLink>
        </p>
      )}
    </Section>
  );
}
