/**
 * Every state a person can reach has a look: loading (skeletons), empty (why, and the next
 * step), error (the API's message and its request id, a retry), store unavailable (503),
 * rate-limited (429 with a countdown), and live data that may be stale.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { isApiError } from '../api/client';
import type { StreamStatus } from '../lib/sse';
import { Button, Card, Skeleton, cx } from './ui';

export function LoadingList({ rows = 3, label = 'Loading' }: { rows?: number; label?: string }) {
  return (
    <div role="status" aria-live="polite" className="space-y-3">
      <span className="sr-only">{label}…</span>
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} className="h-24 w-full" />
      ))}
    </div>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <Card className="text-center">
      <div className="mx-auto mb-3 grid size-12 place-items-center rounded-full bg-accent-soft text-accent-ink" aria-hidden="true">
        <svg viewBox="0 0 24 24" className="size-6" fill="none" stroke="currentColor" strokeWidth={2} strokeLinejoin="round">
          <path d="M3 8h18v3a2 2 0 0 0 0 4v3H3v-3a2 2 0 0 0 0-4z" />
          <path d="M14 8v10" strokeDasharray="2 2" />
        </svg>
      </div>
      <h2 className="text-lg font-semibold text-ink">{title}</h2>
      {children && <div className="mx-auto mt-1 max-w-prose text-ink-soft">{children}</div>}
      {action && <div className="mt-4">{action}</div>}
    </Card>
  );
}

/** Seconds left of a wait of `seconds` that started when the value was first seen; `onDone` once at 0. */
export function useCountdown(seconds: number | undefined, onDone?: () => void): number {
  const [start, setStart] = useState(() => ({ seconds, at: Date.now() }));
  const [now, setNow] = useState(start.at);
  if (start.seconds !== seconds) setStart({ seconds, at: now });
  const done = useRef(onDone);
  useEffect(() => {
    done.current = onDone;
  });
  useEffect(() => {
    if (!seconds) return;
    const t = setInterval(() => {
      const n = Date.now();
      setNow(n);
      if (n - start.at >= seconds * 1000) {
        clearInterval(t);
        done.current?.();
      }
    }, 250);
    return () => clearInterval(t);
  }, [seconds, start.at]);
  return seconds ? Math.max(0, Math.ceil(seconds - (now - start.at) / 1000)) : 0;
}

export function RequestId({ id }: { id?: string }) {
  if (!id) return null;
  return (
    <p className="mt-2 text-xs text-ink-soft">
      Request id <code className="rounded bg-muted px-1 py-0.5 font-mono">{id}</code>: quote it if you contact support.
    </p>
  );
}

/**
 * The look of a failed request. `context` names what failed ("the event", "your order"); for an
 * order, say plainly that nothing was bought.
 */
export function ErrorState({
  error,
  onRetry,
  context,
  order,
}: {
  error: unknown;
  onRetry?: () => void;
  context?: string;
  order?: boolean;
}) {
  const e = isApiError(error) ? error : null;
  const countdown = useCountdown(e?.status === 429 ? (e.retryAfter ?? 5) : undefined);
  let tone = 'danger';
  let title = `Something went wrong${context ? ` loading ${context}` : ''}`;
  let body: ReactNode = e?.message ?? (error instanceof Error ? error.message : String(error));
  if (e?.status === 503 || e?.code === 'TIMEOUT' || e?.status === 504) {
    tone = 'warn';
    title = 'The ticket store is recovering';
    body = (
      <>
        {order ? 'Your order was not placed. ' : ''}Try again in a moment; this page retries by itself.
        {e.dependency && <span className="block text-sm">Unavailable: {e.dependency}.</span>}
        <span className="block text-sm text-ink-soft">{e.message}</span>
      </>
    );
  } else if (e?.status === 429) {
    tone = 'warn';
    title = 'Too many requests';
    body = countdown > 0 ? `Please wait ${countdown} s before trying again.` : 'You can try again now.';
  } else if (e?.status === 404) {
    tone = 'neutral';
    title = `Not found`;
  } else if (e?.code === 'NETWORK') {
    tone = 'warn';
    title = 'You seem to be offline';
  }
  return (
    <div
      role="alert"
      data-state={e ? `error-${e.status}` : 'error'}
      className={cx(
        'rounded-2xl p-4 ring-1 sm:p-6',
        tone === 'danger' && 'bg-danger-soft text-danger-ink ring-danger/30',
        tone === 'warn' && 'bg-warn-soft text-warn-ink ring-warn/30',
        tone === 'neutral' && 'bg-muted text-ink ring-line',
      )}
    >
      <h2 className="font-semibold">{title}</h2>
      <div className="mt-1">{body}</div>
      <RequestId id={e?.requestId} />
      {onRetry && (
        <Button variant="secondary" className="mt-3" onClick={onRetry} disabled={e?.status === 429 && countdown > 0}>
          Try again
        </Button>
      )}
    </div>
  );
}

/** Whether what a live panel shows is current: a dot plus words (never colour alone). */
export function LiveIndicator({ status, className }: { status: StreamStatus; className?: string }) {
  const label = status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : 'Reconnecting: figures may be out of date';
  return (
    <span
      role="status"
      aria-live="polite"
      data-live={status}
      className={cx('inline-flex items-center gap-2 text-xs font-medium text-ink-soft', className)}
    >
      <span
        aria-hidden="true"
        className={cx(
          'size-2 rounded-full',
          status === 'live' ? 'bg-ok animate-pulse' : status === 'connecting' ? 'bg-ink-soft' : 'bg-warn',
        )}
      />
      {label}
    </span>
  );
}

/**
 * Issue 18.2: the API answered without the store's quorum (its `stale` field, also the
 * X-Data-Stale header): the page shows what it has, says it may be behind, and that changes wait.
 */
export function StaleNotice({ reason }: { reason?: string }) {
  if (!reason) return null;
  return (
    <p role="status" data-testid="stale-notice" title={reason} className="mb-4 rounded-xl bg-warn-soft px-4 py-3 text-sm text-warn-ink">
      The ticket store is partly unavailable: what you see may be out of date, and purchases and other changes are paused. Try again in a
      moment.
    </p>
  );
}
