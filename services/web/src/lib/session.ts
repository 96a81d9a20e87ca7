/** Who is logged in: GET /api/auth/me, shared by every page through TanStack Query. */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call, isApiError, type GetResult } from '../api/client';

export type Me = GetResult<'/api/auth/me'>;

export const meKey = ['me'] as const;

export function useMe() {
  return useQuery({
    queryKey: meKey,
    queryFn: async (): Promise<Me | null> => {
      try {
        return await call(api.GET('/api/auth/me'));
      } catch (e) {
        if (isApiError(e) && e.status === 401) return null;
        throw e;
      }
    },
    staleTime: 60_000,
  });
}

/** After log-in, log-out or registration: forget everything cached for the previous user. */
export function useResetSession() {
  const qc = useQueryClient();
  return async () => {
    qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
    await qc.invalidateQueries({ queryKey: meKey });
  };
}
