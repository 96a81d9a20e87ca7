/** The cluster page's data: GET /api/admin/cluster every 2.5 s, and how fresh what we show is. */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api, call, type GetResult } from '../../../api/client';

export type Cluster = GetResult<'/api/admin/cluster'>;
export type ClusterMember = Cluster['members'][number];
export type ServiceInstances = NonNullable<Cluster['services']>[number];

export const REFRESH_MS = 2500;
export const clusterKey = ['admin', 'cluster'] as const;

export function useCluster() {
  return useQuery({
    queryKey: clusterKey,
    queryFn: () => call(api.GET('/api/admin/cluster')),
    refetchInterval: REFRESH_MS,
    // A failed refresh shows at once (the data stays, marked stale); the interval is the retry.
    retry: false,
    staleTime: 0,
  });
}

/** Seconds since `at` (0 when unknown), ticking every second. */
export function useAgeSeconds(at: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return at ? Math.max(0, Math.floor((now - at) / 1000)) : 0;
}
