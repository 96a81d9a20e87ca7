/**
 * The few building blocks every page uses, on the design tokens in index.css: one accent
 * colour, neutral greys, 8-px grid, rounded cards, 44-px touch targets, visible focus rings.
 */
import { forwardRef, useId, type ButtonHTMLAttributes, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from 'react';
import { Link, type LinkProps } from 'react-router';

type Variant = 'primary' | 'secondary' | 'danger' | 'ghost';
const variants: Record<Variant, string> = {
  primary: 'bg-accent text-white hover:bg-accent-strong disabled:bg-accent/50',
  secondary: 'bg-surface text-ink ring-1 ring-line hover:bg-muted disabled:text-ink-soft',
  danger: 'bg-danger text-white hover:bg-danger/90 disabled:bg-danger/50',
  ghost: 'text-ink hover:bg-muted disabled:text-ink-soft',
};

export function cx(...parts: (string | false | null | undefined)[]): string {
  return parts.filter(Boolean).join(' ');
}

export const Button = forwardRef<HTMLButtonElement, ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; busy?: boolean }>(
  function Button({ variant = 'primary', busy, className, children, disabled, ...rest }, ref) {
    return (
      <button
        ref={ref}
        className={cx(
          'inline-flex min-h-11 items-center justify-center gap-2 rounded-xl px-4 text-sm font-semibold transition-colors disabled:cursor-not-allowed',
          variants[variant],
          className,
        )}
        disabled={disabled || busy}
        aria-busy={busy || undefined}
        {...rest}
      >
        {busy && <span className="size-4 animate-spin rounded-full border-2 border-current border-t-transparent" aria-hidden="true" />}
        {children}
      </button>
    );
  },
);

export function ButtonLink({ variant = 'primary', className, ...rest }: LinkProps & { variant?: Variant }) {
  return (
    <Link
      className={cx(
        'inline-flex min-h-11 items-center justify-center gap-2 rounded-xl px-4 text-sm font-semibold transition-colors',
        variants[variant],
        className,
      )}
      {...rest}
    />
  );
}

export function Card({
  className,
  children,
  as: As = 'div',
}: {
  className?: string;
  children: ReactNode;
  as?: 'div' | 'section' | 'article' | 'li';
}) {
  return <As className={cx('rounded-2xl bg-surface p-4 shadow-sm ring-1 ring-line sm:p-6', className)}>{children}</As>;
}

export function PageTitle({ children, sub, actions }: { children: ReactNode; sub?: ReactNode; actions?: ReactNode }) {
  return (
    <div className="mb-6 flex flex-wrap items-end justify-between gap-4">
      <div>
        <h1 className="text-2xl font-bold tracking-tight text-ink sm:text-3xl">{children}</h1>
        {sub && <p className="mt-1 text-ink-soft">{sub}</p>}
      </div>
      {actions && <div className="flex flex-wrap gap-2">{actions}</div>}
    </div>
  );
}

type FieldProps = { label: string; error?: string; hint?: ReactNode };

/** A labelled input with its hint and its error inline under it (aria-describedby, aria-invalid). */
export const TextField = forwardRef<HTMLInputElement, InputHTMLAttributes<HTMLInputElement> & FieldProps>(function TextField(
  { label, error, hint, className, id, ...rest },
  ref,
) {
  const auto = useId();
  const fid = id ?? auto;
  return (
    <div className={className}>
      <label htmlFor={fid} className="mb-1 block text-sm font-medium text-ink">
        {label}
      </label>
      <input
        ref={ref}
        id={fid}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${fid}-err` : hint ? `${fid}-hint` : undefined}
        className={cx(
          'block min-h-11 w-full rounded-xl border bg-surface px-3 text-ink placeholder:text-ink-soft',
          error ? 'border-danger' : 'border-line',
        )}
        {...rest}
      />
      {error ? (
        <p id={`${fid}-err`} className="mt-1 text-sm text-danger">
          <span aria-hidden="true">⚠ </span>
          {error}
        </p>
      ) : (
        hint && (
          <p id={`${fid}-hint`} className="mt-1 text-sm text-ink-soft">
            {hint}
          </p>
        )
      )}
    </div>
  );
});

export function SelectField({
  label,
  error,
  hint,
  className,
  id,
  children,
  ...rest
}: SelectHTMLAttributes<HTMLSelectElement> & FieldProps) {
  const auto = useId();
  const fid = id ?? auto;
  return (
    <div className={className}>
      <label htmlFor={fid} className="mb-1 block text-sm font-medium text-ink">
        {label}
      </label>
      <select
        id={fid}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${fid}-err` : undefined}
        className={cx('block min-h-11 w-full rounded-xl border bg-surface px-3 text-ink', error ? 'border-danger' : 'border-line')}
        {...rest}
      >
        {children}
      </select>
      {error ? (
        <p id={`${fid}-err`} className="mt-1 text-sm text-danger">
          {error}
        </p>
      ) : (
        hint && <p className="mt-1 text-sm text-ink-soft">{hint}</p>
      )}
    </div>
  );
}

type Tone = 'neutral' | 'accent' | 'warn' | 'danger' | 'ok';
const tones: Record<Tone, string> = {
  neutral: 'bg-muted text-ink',
  accent: 'bg-accent-soft text-accent-ink',
  warn: 'bg-warn-soft text-warn-ink',
  danger: 'bg-danger-soft text-danger-ink',
  ok: 'bg-ok-soft text-ok-ink',
};

/** A small label; the text always says what the colour means. */
export function Badge({ tone = 'neutral', children, className }: { tone?: Tone; children: ReactNode; className?: string }) {
  return (
    <span className={cx('inline-flex items-center gap-1 rounded-full px-2.5 py-0.5 text-xs font-semibold', tones[tone], className)}>
      {children}
    </span>
  );
}

export function Skeleton({ className }: { className?: string }) {
  return <div data-skeleton className={cx('animate-pulse rounded-xl bg-muted', className)} aria-hidden="true" />;
}
