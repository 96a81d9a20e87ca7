/** The user's alerts and their unread count (the header shows it on every page). */
import { useQuery } from '@tanstack/react-query';
import { api, call } from '../api/client';

export const alertsKey = ['alerts'] as const;

export function useUnreadCount(enabled: boolean): number {
  const q = useQuery({
    queryKey: [...alertsKey, 'unread'],
    queryFn: () => call(api.GET('/api/me/alerts', { params: { query: { limit: 1 } } })),
    enabled,
    refetchInterval: 60_000,
  });
  return q.data?.unread ?? 0;
}
