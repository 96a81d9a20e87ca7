/**
 * The admin pages' reads: every event (the admin table searches, sorts and pages them in the
 * browser), the static lists, and the query keys the pages invalidate after a write.
 */
import { useQuery } from '@tanstack/react-query';
import { api, call, type GetResult } from '../../api/client';

export type EventSummary = GetResult<'/api/events'>['items'][number];
export type EventDetail = GetResult<'/api/events/{eventId}'>;
export type StaticLists = GetResult<'/api/static'>;
export type Stats = GetResult<'/api/admin/stats'>;

export const adminKeys = {
  events: ['admin', 'events'] as const,
  event: (id: string) => ['admin', 'event', id] as const,
  statics: ['static'] as const,
  stats: (id?: string) => ['admin', 'stats', id ?? 'all'] as const,
};

/** More than an admin table should hold: past it the list says it was cut. */
export const MAX_EVENTS = 2000;

/** Every event, page by page (200 a page, the API's maximum). */
export async function fetchAllEvents(): Promise<{ items: EventSummary[]; truncated: boolean }> {
  const items: EventSummary[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await call(api.GET('/api/events', { params: { query: { limit: 200, cursor } } }));
    items.push(...page.items);
    if (!page.nextCursor) return { items, truncated: false };
    if (items.length >= MAX_EVENTS) return { items, truncated: true };
    cursor = page.nextCursor;
  }
}

export function useAllEvents(options: { refetchInterval?: number } = {}) {
  return useQuery({ queryKey: adminKeys.events, queryFn: fetchAllEvents, staleTime: 5_000, ...options });
}

export function useStaticLists() {
  return useQuery({ queryKey: adminKeys.statics, queryFn: () => call(api.GET('/api/static')), staleTime: 30_000 });
}

export function useEventDetail(eventId: string) {
  return useQuery({
    queryKey: adminKeys.event(eventId),
    queryFn: () => call(api.GET('/api/events/{eventId}', { params: { path: { eventId } } })),
    // An edit form must not change under the admin's hands: refetch only when asked.
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    // ...and is read afresh each time the form is opened.
    gcTime: 0,
    retry: (n, e) => n < 2 && !(e as { status?: number }).status?.toString().startsWith('4'),
  });
}

/** "lisbon" → "Lisbon", "event-types" → "Event types". */
export function humanize(slug: string): string {
  const s = slug.replace(/-/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}
