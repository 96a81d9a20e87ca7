/**
 * Building blocks of the admin pages (desks, not phones first): dense tables with right-aligned
 * tabular numbers, sortable headers, big-number figures, a modal confirmation dialog.
 */
import { useEffect, useId, useRef, useState, type ReactNode, type TdHTMLAttributes, type ThHTMLAttributes } from 'react';
import { Button, cx } from './ui';

/**
 * A table in a card that scrolls sideways on a phone instead of overflowing the page; when it
 * does scroll it becomes a focusable, named region so keyboard users can scroll it too.
 */
export function DataTable({ caption, children, className }: { caption: string; children: ReactNode; className?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const check = () => setScrolls(el.scrollWidth > el.clientWidth + 1);
    check();
    const ro = new ResizeObserver(check);
    ro.observe(el);
    if (el.firstElementChild) ro.observe(el.firstElementChild);
    return () => ro.disconnect();
  }, []);
  return (
    <div
      ref={ref}
      tabIndex={scrolls ? 0 : undefined}
      role={scrolls ? 'region' : undefined}
      aria-label={scrolls ? `${caption} (scrolls sideways)` : undefined}
      className={cx('overflow-x-auto rounded-2xl bg-surface shadow-sm ring-1 ring-line', className)}
    >
      <table className="w-full border-collapse text-left text-sm">
        <caption className="sr-only">{caption}</caption>
        {children}
      </table>
    </div>
  );
}

export function Th({ className, numeric, ...rest }: ThHTMLAttributes<HTMLTableCellElement> & { numeric?: boolean }) {
  return (
    <th
      scope="col"
      className={cx(
        'whitespace-nowrap border-b border-line bg-muted/60 px-3 py-2 text-xs font-semibold uppercase tracking-wide text-ink-soft first:pl-4 last:pr-4',
        numeric && 'text-right',
        className,
      )}
      {...rest}
    />
  );
}

export function Td({ className, numeric, children, ...rest }: TdHTMLAttributes<HTMLTableCellElement> & { numeric?: boolean }) {
  return (
    <td
      className={cx(
        'border-b border-line px-3 py-2.5 align-middle first:pl-4 last:pr-4 group-last:border-b-0',
        numeric && 'text-right tabular-nums',
        className,
      )}
      {...rest}
    >
      {children}
    </td>
  );
}

export type SortDir = 'asc' | 'desc';

/** A column header that sorts: a button inside the th, aria-sort on the th (screen readers say the order). */
export function SortTh({
  label,
  active,
  dir,
  onSort,
  numeric,
}: {
  label: string;
  active: boolean;
  dir: SortDir;
  onSort: () => void;
  numeric?: boolean;
}) {
  return (
    <Th numeric={numeric} aria-sort={active ? (dir === 'asc' ? 'ascending' : 'descending') : 'none'} className="p-0!">
      <button
        type="button"
        onClick={onSort}
        className={cx(
          'inline-flex min-h-9 w-full items-center gap-1 px-3 py-2 text-xs font-semibold uppercase tracking-wide hover:text-ink',
          numeric && 'justify-end',
          active ? 'text-ink' : 'text-ink-soft',
        )}
      >
        {label}
        <span aria-hidden="true" className={cx('text-[10px]', !active && 'opacity-40')}>
          {active ? (dir === 'asc' ? '▲' : '▼') : '↕'}
        </span>
        <span className="sr-only">{active ? `, sorted ${dir === 'asc' ? 'ascending' : 'descending'}` : ', sort'}</span>
      </button>
    </Th>
  );
}

/** A headline figure: label above, the number big and tabular. */
export function Figure({ label, value, sub, testId }: { label: string; value: ReactNode; sub?: ReactNode; testId?: string }) {
  return (
    <div className="rounded-2xl bg-surface p-4 shadow-sm ring-1 ring-line sm:p-5">
      <dt className="text-sm font-medium text-ink-soft">{label}</dt>
      <dd data-testid={testId} className="mt-1 text-2xl font-bold tabular-nums tracking-tight text-ink sm:text-3xl">
        {value}
      </dd>
      {sub && <dd className="mt-1 text-xs text-ink-soft">{sub}</dd>}
    </div>
  );
}

/** A section of a page with its heading (h2) and optional actions on the right. */
export function Section({
  title,
  actions,
  children,
  className,
  sub,
}: {
  title: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  sub?: ReactNode;
}) {
  const id = useId();
  return (
    <section aria-labelledby={id} className={cx('mt-8', className)}>
      <div className="mb-3 flex flex-wrap items-end justify-between gap-2">
        <div>
          <h2 id={id} className="text-lg font-semibold text-ink">
            {title}
          </h2>
          {sub && <p className="text-sm text-ink-soft">{sub}</p>}
        </div>
        {actions}
      </div>
      {children}
    </section>
  );
}

/**
 * A modal confirmation (the native <dialog>: focus is trapped, Escape cancels, focus returns to
 * the opener). The confirm button says what it does.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  onConfirm,
  onCancel,
  busy,
  danger,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
  danger?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onCancel();
      }}
      className="m-auto w-[min(32rem,calc(100vw-2rem))] rounded-2xl bg-surface p-0 text-ink shadow-xl ring-1 ring-line backdrop:bg-black/40"
    >
      {open && (
        <div className="p-5 sm:p-6">
          <h2 id={titleId} className="text-lg font-semibold">
            {title}
          </h2>
          <div className="mt-2 space-y-2 text-sm text-ink-soft">{children}</div>
          <div className="mt-6 flex flex-wrap justify-end gap-2">
            <Button variant="secondary" onClick={onCancel} disabled={busy} autoFocus>
              Cancel
            </Button>
            <Button variant={danger ? 'danger' : 'primary'} onClick={onConfirm} busy={busy}>
              {confirmLabel}
            </Button>
          </div>
        </div>
      )}
    </dialog>
  );
}

/** A short message after a write ("Saved"), announced politely. */
export function Notice({ tone = 'ok', children }: { tone?: 'ok' | 'warn' | 'danger'; children: ReactNode }) {
  return (
    <div
      role={tone === 'danger' ? 'alert' : 'status'}
      className={cx(
        'rounded-xl px-4 py-3 text-sm ring-1',
        tone === 'ok' && 'bg-ok-soft text-ok-ink ring-ok/30',
        tone === 'warn' && 'bg-warn-soft text-warn-ink ring-warn/30',
        tone === 'danger' && 'bg-danger-soft text-danger-ink ring-danger/30',
      )}
    >
      {children}
    </div>
  );
}
