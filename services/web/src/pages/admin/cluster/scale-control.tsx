/**
 * Issue 15.3: a service's scale control on the cluster page. The desired count (stepper or typed,
 * within the API's limits) and Apply; pending until the live instances match it; refused plainly
 * when an HPA owns the count or no scaler is configured; errors with the API's message.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, call, isApiError, type GetResult } from '../../../api/client';
import { RequestId } from '../../../components/states';
import { Button, cx } from '../../../components/ui';
import { plural } from '../../../lib/format';
import { clusterKey, REFRESH_MS } from './cluster-data';

export type ServicesScale = GetResult<'/api/admin/services'>;
export type ServiceScaleRow = ServicesScale['services'][number];

export const servicesKey = ['admin', 'services'] as const;

/** GET /api/admin/services with the cluster page's rhythm: desired counts beside the live ones. */
export function useServicesScale() {
  return useQuery({
    queryKey: servicesKey,
    queryFn: () => call(api.GET('/api/admin/services')),
    refetchInterval: REFRESH_MS,
    retry: false,
    staleTime: 0,
  });
}

// Inside the clipped group a focus ring must sit inward to stay visible.
const inset = 'focus-visible:[outline-offset:-3px]';
const stepClass = `${inset} min-h-11 min-w-11 text-lg font-semibold text-ink hover:bg-muted disabled:cursor-not-allowed disabled:text-ink-soft disabled:hover:bg-transparent`;

const range = (hpa: ServiceScaleRow['hpa']) => (hpa ? ` (${hpa.min}–${hpa.max})` : '');

/** Why the control is off, in words (never by the disabled look alone). */
function disabledNote(row: ServiceScaleRow, scaler: ServicesScale['scaler']): string | null {
  if (row.autoscaled) return `Autoscaled by HPA${range(row.hpa)}`;
  if (scaler === 'none') return 'Scaling is not configured (SCALER=none)';
  return null;
}

export function ScaleControl({
  row,
  scaler,
  limits,
}: {
  row: ServiceScaleRow;
  scaler: ServicesScale['scaler'];
  limits: ServicesScale['limits'];
}) {
  const qc = useQueryClient();
  const id = useId();
  const live = row.instances.length;
  const current = row.desired ?? live;
  const [draft, setDraft] = useState(String(current));
  const [dirty, setDirty] = useState(false);
  // Follow the server's count until the admin starts editing (another admin may scale too):
  // adjusted while rendering, as React advises for state derived from props.
  const [seen, setSeen] = useState(current);
  if (seen !== current) {
    setSeen(current);
    if (!dirty) setDraft(String(current));
  }

  const apply = useMutation({
    mutationFn: (replicas: number) =>
      call(api.PUT('/api/admin/services/{service}/scale', { params: { path: { service: row.service } }, body: { replicas } })),
    onSuccess: () => setDirty(false),
    onSettled: () => Promise.all([qc.invalidateQueries({ queryKey: servicesKey }), qc.invalidateQueries({ queryKey: clusterKey })]),
  });

  const note = disabledNote(row, scaler);
  const n = Number(draft);
  const valid = /^\d+$/.test(draft) && n >= limits.min && n <= limits.max;
  const pending = row.desired !== null && row.desired !== live;
  const set = (v: number) => {
    setDirty(true);
    apply.reset();
    setDraft(String(Math.min(limits.max, Math.max(limits.min, v))));
  };
  const error = apply.error;

  return (
    <div className="mt-4 border-t border-line pt-4" data-testid="scale-control">
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          if (valid && !note) apply.mutate(n);
        }}
      >
        <div>
          <label htmlFor={id} className="mb-1 block text-sm font-medium text-ink">
            Desired instances
            <span className="sr-only"> of {row.service}</span>
          </label>
          <div
            className={cx(
              'flex w-fit items-stretch overflow-hidden rounded-xl bg-surface ring-1',
              valid ? 'ring-line' : 'ring-danger',
              note && 'opacity-60',
            )}
          >
            <button
              type="button"
              className={stepClass}
              aria-label={`One fewer ${row.service} instance`}
              disabled={!!note || !valid || n <= limits.min}
              onClick={() => set(n - 1)}
            >
              <span aria-hidden="true">−</span>
            </button>
            <input
              id={id}
              inputMode="numeric"
              className={`${inset} block min-h-11 w-14 border-x border-line bg-surface px-2 text-center font-semibold tabular-nums text-ink disabled:text-ink-soft`}
              value={draft}
              disabled={!!note}
              aria-invalid={!valid || undefined}
              aria-describedby={`${id}-status`}
              onChange={(e) => {
                setDirty(true);
                apply.reset();
                setDraft(e.target.value.trim());
              }}
            />
            <button
              type="button"
              className={stepClass}
              aria-label={`One more ${row.service} instance`}
              disabled={!!note || !valid || n >= limits.max}
              onClick={() => set(n + 1)}
            >
              <span aria-hidden="true">+</span>
            </button>
          </div>
        </div>
        <Button type="submit" busy={apply.isPending} disabled={!!note || !valid || n === row.desired}>
          Apply
        </Button>
      </form>

      <div id={`${id}-status`} className="mt-2 text-sm">
        {note ? (
          <p className="inline-block rounded-lg bg-muted px-2.5 py-1 font-medium text-ink" data-testid="scale-note">
            {note}
          </p>
        ) : !valid ? (
          <p className="text-danger">
            <span aria-hidden="true">⚠ </span>A whole number from {limits.min} to {limits.max}
          </p>
        ) : (
          <p role="status" className={cx('flex items-center gap-1.5', pending ? 'font-medium text-warn-ink' : 'text-ink-soft')}>
            {pending ? (
              <>
                <span className="size-3 animate-spin rounded-full border-2 border-current border-t-transparent" aria-hidden="true" />
                Scaling to {row.desired}: {live} of {row.desired} live
              </>
            ) : row.desired === null ? (
              'Desired count unknown'
            ) : (
              `${plural(live, 'instance')} live, as desired`
            )}
          </p>
        )}
      </div>

      {error && (
        <div role="alert" className="mt-3 rounded-xl bg-danger-soft p-3 text-sm text-danger-ink">
          <p className="font-semibold">Scaling {row.service} failed</p>
          <p className="mt-0.5">{error.message}</p>
          {isApiError(error) && <RequestId id={error.requestId} />}
        </div>
      )}
    </div>
  );
}
