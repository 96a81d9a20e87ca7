/**
 * A small toast for each alert that arrives live, on any page but the notifications page (which
 * shows it in its list at once). The region is always in the page (role=status, polite), so a
 * screen reader announces what appears in it.
 */
import { useEffect, useRef } from 'react';
import { Link } from 'react-router';
import { BellIcon, XIcon } from './icons';
import { useAlertEvent, type LiveAlert } from '../lib/alerts';
import { plural } from '../lib/format';

const SHOW_MS = 8000;

function Toast({ alert, onClose }: { alert: LiveAlert; onClose: () => void }) {
  const ev = useAlertEvent(alert.eventId);
  // The timer starts once per toast, whatever the parent re-renders.
  const close = useRef(onClose);
  useEffect(() => {
    close.current = onClose;
  });
  useEffect(() => {
    const t = setTimeout(() => close.current(), SHOW_MS);
    return () => clearTimeout(t);
  }, []);
  const name = ev.data?.name ?? 'An event you follow';
  return (
    <div className="pointer-events-auto flex w-full items-start gap-3 rounded-2xl bg-surface p-4 shadow-lg ring-1 ring-line sm:w-96">
      <span aria-hidden="true" className="grid size-9 shrink-0 place-items-center rounded-full bg-warn-soft text-lg text-warn-ink">
        <BellIcon className="size-5" />
      </span>
      <div className="min-w-0 flex-1">
        <p className="text-sm font-semibold text-ink">Low stock alert</p>
        <p className="mt-0.5 text-sm text-ink-soft">
          <span className="font-medium text-ink">{name}</span>: {plural(alert.remaining, 'ticket')} left (your limit {alert.limit}).
        </p>
        <Link
          to="/me/notifications"
          className="mt-2 inline-flex min-h-11 items-center text-sm font-semibold text-accent underline-offset-2 hover:underline"
          onClick={onClose}
        >
          See my alerts
        </Link>
      </div>
      <button
        type="button"
        onClick={onClose}
        className="-m-1 grid size-11 shrink-0 place-items-center rounded-xl text-ink-soft hover:bg-muted"
        aria-label="Dismiss alert"
      >
        <XIcon className="size-5" />
      </button>
    </div>
  );
}

export function AlertToasts({ alerts, onClose }: { alerts: LiveAlert[]; onClose: (alertId: string) => void }) {
  return (
    <div
      role="status"
      aria-live="polite"
      aria-label="New alerts"
      className="pointer-events-none fixed inset-x-0 bottom-0 z-50 flex flex-col items-center gap-2 p-4 sm:items-end"
    >
      {alerts.slice(-3).map((a) => (
        <Toast key={a.alertId} alert={a} onClose={() => onClose(a.alertId)} />
      ))}
    </div>
  );
}
