/** The live instances of each service (from their svc: keys, which expire with their lease). */
import { XIcon } from '../../../components/icons';
import { Badge, cx } from '../../../components/ui';
import { formatRelative, plural } from '../../../lib/format';
import type { ServiceInstances } from './cluster-data';
import { ScaleControl, type ServicesScale } from './scale-control';

export function ServicesPanel({
  services,
  error,
  now,
  scale,
}: {
  services: ServiceInstances[] | null;
  error?: string;
  now: number;
  /** Desired counts and the scale control (GET /api/admin/services); absent until it loads. */
  scale?: ServicesScale;
}) {
  if (!services) {
    return (
      <div role="note" className="rounded-2xl bg-warn-soft p-4 text-warn-ink ring-1 ring-warn/30">
        <p className="font-semibold">Service instances cannot be read right now</p>
        <p className="mt-1 text-sm">{error ?? 'They are stored in etcd, which needs a quorum to answer.'}</p>
      </div>
    );
  }
  return (
    <>
      {scale?.scaler === 'none' && (
        <p role="note" className="mb-4 rounded-xl bg-muted p-3 text-sm text-ink">
          Scaling is not configured (SCALER=none): set SCALER=kubernetes in a cluster; <code>npm run stack</code> scales locally.
        </p>
      )}
      {scale?.scalerError && (
        <p role="note" className="mb-4 rounded-xl bg-warn-soft p-3 text-sm text-warn-ink">
          Desired counts are unknown right now: {scale.scalerError}
        </p>
      )}
      <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3" aria-label="Services">
        {services.map((s) => (
          <li
            key={s.service}
            data-testid="service"
            data-service={s.service}
            className={cx('min-w-0 rounded-2xl bg-surface p-4 shadow-sm ring-1', s.instances.length ? 'ring-line' : 'ring-danger/50')}
          >
            <div className="flex items-center justify-between gap-2">
              <h3 className="truncate font-semibold text-ink">{s.service}</h3>
              {s.instances.length ? (
                <Badge tone="ok">
                  <span aria-hidden="true" className="size-1.5 rounded-full bg-current" />
                  {plural(s.instances.length, 'instance')}
                </Badge>
              ) : (
                <Badge tone="danger">
                  <XIcon className="size-3.5" /> none running
                </Badge>
              )}
            </div>
            {s.instances.length > 0 && (
              <ul className="mt-3 divide-y divide-line">
                {s.instances.map((i) => (
                  <li key={i.instanceId} className="py-2 text-sm">
                    <p className="truncate font-mono text-xs text-ink" title={i.instanceId}>
                      {i.instanceId}
                    </p>
                    <p className="mt-0.5 text-xs text-ink-soft">
                      {[
                        i.host && `${i.host}${i.httpPort ? `:${i.httpPort}` : ''}`,
                        i.pid && `pid ${i.pid}`,
                        i.startedAt && `started ${formatRelative(i.startedAt, now)}`,
                        i.version && `v${i.version}`,
                      ]
                        .filter(Boolean)
                        .join(' · ')}
                    </p>
                  </li>
                ))}
              </ul>
            )}
            {scale && scale.scaler !== 'none' && scale.services.some((r) => r.service === s.service) && (
              <ScaleControl row={scale.services.find((r) => r.service === s.service)!} scaler={scale.scaler} limits={scale.limits} />
            )}
          </li>
        ))}
      </ul>
    </>
  );
}
