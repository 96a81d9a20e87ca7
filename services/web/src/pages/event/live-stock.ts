/**
 * The event's stock, live: GET /api/events/:id/live sends a snapshot on every (re)connection, then
 * each change of one type's remaining count. Both are written into the event's cached detail, so
 * every view of it (the ticket table, the summary, a card) follows.
 */
import { useQueryClient } from '@tanstack/react-query';
import { eventKey, type EventDetail, type Ticket } from '../../lib/events';
import { useEventStream, type StreamStatus } from '../../lib/sse';

interface Snapshot {
  eventId: string;
  tickets: Ticket[];
  revision: number;
}
interface Stock {
  eventId: string;
  ticketType: string;
  total: number;
  remaining: number;
  revision: number;
}

export function useLiveStock(eventId: string | undefined, enabled: boolean): StreamStatus {
  const qc = useQueryClient();
  const patch = (f: (tickets: Ticket[]) => Ticket[]) =>
    qc.setQueryData<EventDetail>(eventKey(eventId ?? ''), (d) => (d ? { ...d, tickets: f(d.tickets) } : d));
  return useEventStream(
    eventId ? `/api/events/${encodeURIComponent(eventId)}/live` : null,
    {
      snapshot: (data) => {
        const s = data as Snapshot;
        patch((old) => {
          const byType = new Map(s.tickets.map((t) => [t.type, t]));
          // Keep the known order of types; add any new ones at the end.
          return [
            ...old.filter((t) => byType.has(t.type)).map((t) => byType.get(t.type)!),
            ...s.tickets.filter((t) => !old.some((o) => o.type === t.type)),
          ];
        });
      },
      stock: (data) => {
        const s = data as Stock;
        patch((old) => old.map((t) => (t.type === s.ticketType ? { ...t, total: s.total, remaining: s.remaining } : t)));
      },
    },
    { enabled },
  );
}
