/**
 * The user's alerts and their unread count (the header shows it on every page), kept current by
 * ONE live stream (GET /api/me/live) that the layout opens for a logged-in user.
 *
 * Every alert the stream brings goes straight into TanStack Query's cache (the header's count,
 * the notifications page's list), then the stored list is re-read shortly after: the cache is a
 * fast guess, the API the truth. The stream is a trigger, not a record: on a reopen (the browser's
 * own reconnect replays from Last-Event-ID, a fresh open after a refusal does not) and on an
 * `event: gap`, the alerts are re-read.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useRef } from 'react';
import { api, call, isApiError, type GetResult } from '../api/client';
import {
  addAlertToCache,
  alertListKey,
  alertsKey,
  markReadInCache,
  subscriptionsKey,
  unreadKey,
  type Alert,
  type AlertsPage,
  type LiveAlert,
} from './alerts-cache';
import { useEventStream, type StreamStatus } from './sse';

export { alertsKey, unreadKey, alertListKey, subscriptionsKey, addAlertToCache, markReadInCache };
export type { AlertsPage, Alert, LiveAlert };

// The cache's types are the API's: this stops compiling if GET /api/me/alerts changes shape.
const _sameShape = (p: GetResult<'/api/me/alerts'>): AlertsPage => p;
void _sameShape;

export function useUnreadCount(enabled: boolean): number {
  const q = useQuery({
    queryKey: unreadKey,
    queryFn: () => call(api.GET('/api/me/alerts', { params: { query: { limit: 1 } } })),
    enabled,
    refetchInterval: 60_000,
  });
  return q.data?.unread ?? 0;
}

function isLiveAlert(d: unknown): d is LiveAlert {
  const a = d as Partial<LiveAlert> | null;
  return !!a && typeof a.alertId === 'string' && typeof a.eventId === 'string' && typeof a.remaining === 'number';
}

export interface AlertStreamState {
  status: StreamStatus;
}

/** The status of the app's one alert stream (the layout provides it; pages show it). */
export const AlertStreamContext = createContext<AlertStreamState>({ status: 'connecting' });

export function useAlertStreamStatus(): StreamStatus {
  return useContext(AlertStreamContext).status;
}

/** How long after the last live alert the stored list is re-read (several alerts, one read). */
const RESYNC_MS = 800;

/**
 * Opens GET /api/me/live while `enabled` (a user is logged in) and feeds the cache. `onAlert`
 * hears each alert new to this page (for a toast).
 */
export function useAlertStream(enabled: boolean, onAlert?: (a: LiveAlert) => void): StreamStatus {
  const qc = useQueryClient();
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const seen = useRef(new Set<string>());

  const resync = (delay: number) => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      void qc.invalidateQueries({ queryKey: alertsKey });
      void qc.invalidateQueries({ queryKey: subscriptionsKey });
    }, delay);
  };

  return useEventStream(
    enabled ? '/api/me/live' : null,
    {
      alert: (data) => {
        if (!isLiveAlert(data) || seen.current.has(data.alertId)) return;
        seen.current.add(data.alertId);
        if (addAlertToCache(qc, data)) onAlert?.(data);
        // The event's stock changed too: its cached figures (names, remaining) are refreshed.
        void qc.invalidateQueries({ queryKey: alertEventKey(data.eventId) });
        resync(RESYNC_MS);
      },
      gap: () => resync(0),
    },
    {
      enabled,
      // An open may follow missed alerts (the first one: those since the page read its list;
      // a fresh one after a refusal: everything while away): re-read. One GET per open.
      onOpen: () => resync(0),
    },
  );
}

/** The event an alert or subscription is about (its name, date and stock), cached apart. */
export const alertEventKey = (eventId: string) => ['alert-event', eventId] as const;

export type AlertEvent = GetResult<'/api/events/{eventId}'>;

/** The event's name, date and stock; null when it is gone (404: deleted). */
export function useAlertEvent(eventId: string) {
  return useQuery({
    queryKey: alertEventKey(eventId),
    queryFn: async (): Promise<AlertEvent | null> => {
      try {
        return await call(api.GET('/api/events/{eventId}', { params: { path: { eventId } } }));
      } catch (e) {
        if (isApiError(e) && e.status === 404) return null;
        throw e;
      }
    },
    staleTime: 30_000,
  });
}

/** Remaining tickets of an event, all types together (what a subscription's limit is about). */
export function remainingOf(ev: AlertEvent): { remaining: number; total: number } {
  return ev.tickets.reduce((s, t) => ({ remaining: s.remaining + t.remaining, total: s.total + t.total }), { remaining: 0, total: 0 });
}
