/** The buyer pages' shared reads of events: one event (with stock), and what a card shows of it. */
import { useQuery } from '@tanstack/react-query';
import { api, call, type GetResult } from '../api/client';

export type EventDetail = GetResult<'/api/events/{eventId}'>;
export type EventItem = GetResult<'/api/events'>['items'][number];
export type Ticket = EventDetail['tickets'][number];

export const eventKey = (eventId: string) => ['event', eventId] as const;

export function useEvent(eventId: string | undefined, opts: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: eventKey(eventId ?? ''),
    queryFn: () => call(api.GET('/api/events/{eventId}', { params: { path: { eventId: eventId! } } })),
    enabled: !!eventId && (opts.enabled ?? true),
    staleTime: 15_000,
  });
}

export function useStaticLists() {
  return useQuery({ queryKey: ['static'], queryFn: () => call(api.GET('/api/static')), staleTime: 5 * 60_000 });
}

/** "Few left" below this share of a type's total. */
export const FEW_LEFT_SHARE = 0.1;

export function isFewLeft(t: { total: number; remaining: number }): boolean {
  return t.remaining > 0 && t.total > 0 && t.remaining < t.total * FEW_LEFT_SHARE;
}

export interface Availability {
  fromPrice: number | null;
  remaining: number;
  total: number;
  soldOut: boolean;
  fewLeft: boolean;
}

/** What a card needs: the cheapest price still on sale, and how much is left overall. */
export function availability(tickets: Ticket[]): Availability {
  const onSale = tickets.filter((t) => t.remaining > 0);
  const remaining = tickets.reduce((s, t) => s + t.remaining, 0);
  const total = tickets.reduce((s, t) => s + t.total, 0);
  const prices = (onSale.length ? onSale : tickets).map((t) => t.price);
  return {
    fromPrice: prices.length ? Math.min(...prices) : null,
    remaining,
    total,
    soldOut: tickets.length > 0 && remaining === 0,
    fewLeft: remaining > 0 && total > 0 && remaining < total * FEW_LEFT_SHARE,
  };
}

/** The listing's availability summary ({fromPrice, remaining, total}) with its badges decided. */
export function summarise(a: { fromPrice: number | null; remaining: number; total: number }): Availability {
  return {
    ...a,
    soldOut: a.total > 0 && a.remaining === 0,
    fewLeft: a.remaining > 0 && a.total > 0 && a.remaining < a.total * FEW_LEFT_SHARE,
  };
}

export function isPast(date: string, now = Date.now()): boolean {
  return new Date(date).getTime() < now;
}

/** Display names of slugs ("rock-in-rio" → "Rock in rio"). */
export function label(slug: string): string {
  const s = slug.replace(/[-_]+/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}
