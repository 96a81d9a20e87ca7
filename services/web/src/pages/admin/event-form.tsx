/**
 * The event form shared by create and edit: name, description, location and type from the static
 * lists, the date in the admin's own time zone (sent as ISO), max per order; and the ticket-type
 * rows (type, total, price in euros, sent as integer cents).
 */
import type { ReactNode } from 'react';
import { isApiError } from '../../api/client';
import { ErrorState } from '../../components/states';
import { Button, SelectField, TextField, cx } from '../../components/ui';
import { formatMoney } from '../../lib/format';
import { humanize, type EventSummary, type StaticLists } from './admin.queries';

export interface EventFormValues {
  name: string;
  description: string;
  location: string;
  type: string;
  /** `YYYY-MM-DDTHH:mm` in the admin's time zone (a datetime-local input's value). */
  date: string;
  maxPerOrder: string;
}

export const FIELD_LABELS: Record<keyof EventFormValues, string> = {
  name: 'Name',
  description: 'Description',
  location: 'Location',
  type: 'Event type',
  date: 'Date and time',
  maxPerOrder: 'Max tickets per order',
};

export const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

const pad = (n: number) => String(n).padStart(2, '0');

/** An ISO instant as the admin's local wall-clock time, for a datetime-local input. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The admin's local wall-clock time (datetime-local value) as an ISO instant; null if not a date. */
export function fromLocalInput(local: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(local)) return null;
  const d = new Date(local); // a datetime-local value without offset is read as local time
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** "45", "45.5", "45,50" → 4550 cents; null if not a price. */
export function eurosToCents(v: string): number | null {
  const t = v.trim().replace(',', '.');
  if (!/^\d+(\.\d{0,2})?$/.test(t)) return null;
  return Math.round(Number(t) * 100);
}

export const centsToEuros = (c: number) => (c / 100).toFixed(2);

export function valuesOf(e: EventSummary): EventFormValues {
  return {
    name: e.name,
    description: e.description,
    location: e.location,
    type: e.type,
    date: toLocalInput(e.date),
    maxPerOrder: String(e.maxPerOrder),
  };
}

export type FieldErrors = Partial<Record<string, string>>;

/** Client-side checks (the API checks again; its field messages are shown the same way). */
export function checkFields(v: EventFormValues): FieldErrors {
  const errors: FieldErrors = {};
  if (!v.name.trim()) errors.name = 'Give the event a name.';
  if (!v.location) errors.location = 'Pick a location.';
  if (!v.type) errors.type = 'Pick an event type.';
  if (!fromLocalInput(v.date)) errors.date = 'Pick a date and a time.';
  const m = Number(v.maxPerOrder);
  if (!Number.isInteger(m) || m < 1 || m > 100) errors.maxPerOrder = 'A whole number from 1 to 100.';
  return errors;
}

/** The API's field errors ("fields": [{ path: "date", ... }]) keyed by field path. */
export function apiFieldErrors(e: unknown): FieldErrors {
  if (!isApiError(e) || !e.fields) return {};
  return Object.fromEntries(e.fields.map((f) => [f.path.replace(/^body\./, ''), f.message]));
}

/** A static-list select that keeps a value no longer in the list (so an old event still shows it). */
function ListSelect({
  label,
  value,
  options,
  onChange,
  error,
  name,
  className,
}: {
  className?: string;
  label: string;
  value: string;
  options: string[];
  onChange: (v: string) => void;
  error?: string;
  name: string;
}) {
  const all = value && !options.includes(value) ? [value, ...options] : options;
  return (
    <SelectField
      className={className}
      label={label}
      name={name}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      error={error}
      required
    >
      <option value="" disabled>
        Choose…
      </option>
      {all.map((o) => (
        <option key={o} value={o}>
          {humanize(o)}
        </option>
      ))}
    </SelectField>
  );
}

export function EventFields({
  values,
  onChange,
  lists,
  errors,
  disabled,
}: {
  values: EventFormValues;
  onChange: (v: EventFormValues) => void;
  lists: StaticLists;
  errors: FieldErrors;
  disabled?: boolean;
}) {
  const set = (k: keyof EventFormValues) => (v: string) => onChange({ ...values, [k]: v });
  const iso = fromLocalInput(values.date);
  return (
    <fieldset disabled={disabled} className="grid gap-4 sm:grid-cols-6">
      <legend className="sr-only">Event details</legend>
      <TextField
        className="sm:col-span-6"
        label={FIELD_LABELS.name}
        name="name"
        value={values.name}
        maxLength={200}
        required
        onChange={(e) => set('name')(e.target.value)}
        error={errors.name}
      />
      <div className="sm:col-span-6">
        <label htmlFor="event-description" className="mb-1 block text-sm font-medium text-ink">
          {FIELD_LABELS.description}
        </label>
        <textarea
          id="event-description"
          name="description"
          rows={3}
          maxLength={5000}
          value={values.description}
          onChange={(e) => set('description')(e.target.value)}
          aria-invalid={errors.description ? true : undefined}
          aria-describedby={errors.description ? 'event-description-err' : undefined}
          className={cx(
            'block w-full rounded-xl border bg-surface px-3 py-2 text-ink',
            errors.description ? 'border-danger' : 'border-line',
          )}
        />
        {errors.description && (
          <p id="event-description-err" className="mt-1 text-sm text-danger">
            {errors.description}
          </p>
        )}
      </div>
      <ListSelect
        className="sm:col-span-3"
        label={FIELD_LABELS.location}
        name="location"
        value={values.location}
        options={lists.locations}
        onChange={set('location')}
        error={errors.location}
      />
      <ListSelect
        className="sm:col-span-3"
        label={FIELD_LABELS.type}
        name="type"
        value={values.type}
        options={lists.eventTypes}
        onChange={set('type')}
        error={errors.type}
      />
      <TextField
        className="sm:col-span-3"
        label={FIELD_LABELS.date}
        name="date"
        type="datetime-local"
        value={values.date}
        required
        onChange={(e) => set('date')(e.target.value)}
        error={errors.date}
        hint={
          <>
            Your time ({timeZone.replace(/_/g, ' ')}).
            {iso && <span className="tabular-nums"> Saved as {iso.slice(0, 16).replace('T', ' ')} UTC.</span>}
          </>
        }
      />
      <TextField
        className="sm:col-span-3"
        label={FIELD_LABELS.maxPerOrder}
        name="maxPerOrder"
        type="number"
        inputMode="numeric"
        min={1}
        max={100}
        required
        value={values.maxPerOrder}
        onChange={(e) => set('maxPerOrder')(e.target.value)}
        error={errors.maxPerOrder}
      />
    </fieldset>
  );
}

export interface TicketRow {
  key: string;
  type: string;
  total: string;
  price: string;
}

export function checkTicketRows(rows: TicketRow[]): FieldErrors {
  const errors: FieldErrors = {};
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    if (!r.type) errors[`ticketTypes.${i}.type`] = 'Pick a ticket type.';
    else if (seen.has(r.type)) errors[`ticketTypes.${i}.type`] = 'Already in the list.';
    seen.add(r.type);
    const t = Number(r.total);
    if (!Number.isInteger(t) || t < 1 || t > 1_000_000) errors[`ticketTypes.${i}.total`] = '1 to 1,000,000.';
    if (eurosToCents(r.price) === null) errors[`ticketTypes.${i}.price`] = 'A price like 45 or 45.50.';
  });
  if (rows.length === 0) errors.ticketTypes = 'Add at least one ticket type.';
  return errors;
}

/** Ticket-type rows of the create form: type, how many, price in euros. */
export function TicketRows({
  rows,
  onChange,
  options,
  errors,
  newKey,
}: {
  rows: TicketRow[];
  onChange: (rows: TicketRow[]) => void;
  options: string[];
  errors: FieldErrors;
  newKey: () => string;
}) {
  const update = (i: number, patch: Partial<TicketRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const unused = options.filter((o) => !rows.some((r) => r.type === o));
  return (
    <fieldset>
      <legend className="mb-2 text-base font-semibold text-ink">Ticket types</legend>
      {errors.ticketTypes && (
        <p className="mb-2 text-sm text-danger" role="alert">
          {errors.ticketTypes}
        </p>
      )}
      <ul className="space-y-3">
        {rows.map((r, i) => {
          const cents = eurosToCents(r.price);
          return (
            <li
              key={r.key}
              className="grid items-start gap-3 rounded-xl bg-muted/50 p-3 ring-1 ring-line sm:grid-cols-[1fr_9rem_9rem_auto]"
            >
              <TicketTypeSelect
                label={`Ticket type ${i + 1}`}
                value={r.type}
                options={options}
                onChange={(type) => update(i, { type })}
                error={errors[`ticketTypes.${i}.type`]}
              />
              <TextField
                label="Tickets"
                type="number"
                inputMode="numeric"
                min={1}
                className="[&_input]:text-right [&_input]:tabular-nums"
                value={r.total}
                onChange={(e) => update(i, { total: e.target.value })}
                error={errors[`ticketTypes.${i}.total`]}
              />
              <TextField
                label="Price (€)"
                inputMode="decimal"
                className="[&_input]:text-right [&_input]:tabular-nums"
                value={r.price}
                onChange={(e) => update(i, { price: e.target.value })}
                error={errors[`ticketTypes.${i}.price`]}
                hint={cents !== null && r.price ? formatMoney(cents) : undefined}
              />
              <Button
                type="button"
                variant="ghost"
                className="self-end"
                onClick={() => onChange(rows.filter((_, j) => j !== i))}
                disabled={rows.length === 1}
                aria-label={`Remove ticket type ${i + 1}${r.type ? ` (${humanize(r.type)})` : ''}`}
              >
                Remove
              </Button>
            </li>
          );
        })}
      </ul>
      <Button
        type="button"
        variant="secondary"
        className="mt-3"
        disabled={unused.length === 0}
        onClick={() => onChange([...rows, { key: newKey(), type: unused[0] ?? '', total: '100', price: '' }])}
      >
        + Add a ticket type
      </Button>
    </fieldset>
  );
}

export function FormActions({ children }: { children: ReactNode }) {
  return <div className="flex flex-wrap items-center justify-end gap-2 border-t border-line pt-4">{children}</div>;
}

/**
 * Why a save failed: a 400 with fields points at the fields marked (their messages sit under
 * them); anything else is the API's message with its request id.
 */
export function SaveError({ error, what }: { error: unknown; what: string }) {
  const fields = isApiError(error) && error.status === 400 ? (error.fields ?? []) : [];
  if (fields.length === 0) return <ErrorState error={error} />;
  return (
    <div role="alert" className="rounded-xl bg-danger-soft px-4 py-3 text-sm text-danger-ink ring-1 ring-danger/30">
      <p className="font-semibold">{what}: fix the fields marked.</p>
      <ul className="mt-1 list-disc pl-5">
        {fields.map((f) => (
          <li key={f.path}>
            {(FIELD_LABELS as Record<string, string>)[f.path] ?? f.path}: {f.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** A ticket type picked from the static list (none chosen at first). */
export function TicketTypeSelect(props: {
  label: string;
  value: string;
  options: string[];
  onChange: (type: string) => void;
  error?: string;
}) {
  return (
    <SelectField label={props.label} value={props.value} onChange={(e) => props.onChange(e.target.value)} error={props.error}>
      <option value="" disabled>
        Choose…
      </option>
      {props.options.map((o) => (
        <option key={o} value={o}>
          {humanize(o)}
        </option>
      ))}
    </SelectField>
  );
}
