/**
 * Admin: Cluster. The five etcd members (role, leader star, raft term and index, db size against
 * the quota, alarms, reachable or not) and the live service instances per service, refreshed
 * every 2.5 s. A failed refresh keeps what was last seen and says how old it is; with nothing
 * to show, a 503 (etcd down) gets the recovering state and the page keeps retrying by itself.
 */
import { ErrorState, LoadingList } from '../../components/states';
import { WarnIcon } from '../../components/icons';
import { Card, PageTitle, Skeleton, cx } from '../../components/ui';
import { isApiError } from '../../api/client';
import { plural } from '../../lib/format';
import { REFRESH_MS, useAgeSeconds, useCluster, type Cluster } from './cluster/cluster-data';
import { MemberTile } from './cluster/member-tile';
import { useServicesScale } from './cluster/scale-control';
import { ServicesPanel } from './cluster/services-panel';

/** "no member answered" → "no member answered." (API messages have no final stop). */
const sentence = (m: string) => (/[.!?]$/.test(m) ? m : `${m}.`);

function Freshness({ updatedAt, failed }: { updatedAt: number; failed: boolean }) {
  const age = useAgeSeconds(updatedAt);
  const stale = failed || age * 1000 > REFRESH_MS * 3;
  const text = !updatedAt
    ? failed
      ? `No status yet: retrying every ${REFRESH_MS / 1000} s`
      : 'Loading…'
    : stale
      ? `Stale: last updated ${age} s ago`
      : `Live · updated ${age} s ago`;
  return (
    <span
      data-stale={stale}
      className={cx('inline-flex min-h-11 items-center gap-2 text-sm font-medium', stale ? 'text-warn-ink' : 'text-ink-soft')}
    >
      <span aria-hidden="true" className={cx('size-2 rounded-full', stale ? 'bg-warn' : 'bg-ok')} />
      {/* Announced when it turns stale or live again, not every second as the age ticks. */}
      <span role="status" className="sr-only">
        {stale
          ? `The cluster status is stale${failed ? ': the last refresh failed' : ''}.`
          : updatedAt
            ? 'The cluster status is live.'
            : ''}
      </span>
      <span aria-hidden="true">{text}</span>
    </span>
  );
}

function Summary({ c }: { c: Cluster }) {
  const reachable = c.members.filter((m) => m.reachable).length;
  const leader = c.members.find((m) => m.isLeader);
  const instances = c.services?.reduce((n, s) => n + s.instances.length, 0);
  const items: [string, string, boolean][] = [
    ['Quorum', c.quorum ? 'Healthy' : 'Lost', c.quorum],
    ['Members reachable', `${reachable} of ${c.members.length}`, reachable === c.members.length],
    ['Leader', leader ? leader.name : 'None', !!leader],
    ['Alarms', c.alarmsError ? 'Unknown' : c.alarms.length ? plural(c.alarms.length, 'alarm') : 'None', !c.alarmsError && !c.alarms.length],
    ['Service instances', instances === undefined ? 'Unknown' : String(instances), !!instances],
  ];
  return (
    <Card className="mb-6 !p-0">
      <dl className="grid grid-cols-2 divide-line sm:grid-cols-3 lg:grid-cols-5 lg:divide-x">
        {items.map(([label, value, ok]) => (
          <div key={label} className="p-4">
            <dt className="text-xs font-medium uppercase tracking-wide text-ink-soft">{label}</dt>
            <dd className={cx('mt-1 text-lg font-semibold', ok ? 'text-ink' : 'text-danger')}>
              {!ok && <WarnIcon className="mr-1 inline size-4 align-[-1px]" />}
              {value}
            </dd>
          </div>
        ))}
      </dl>
    </Card>
  );
}

export default function ClusterPage() {
  const q = useCluster();
  const scale = useServicesScale();
  const c = q.data;
  const failedRefresh = q.isError && !!c;
  const alarmsOf = (id: string) => c?.alarms.filter((a) => a.memberId === id).map((a) => a.alarm) ?? [];
  const members = c ? [...c.members].sort((a, b) => a.name.localeCompare(b.name)) : [];

  return (
    <>
      <PageTitle
        sub="The etcd members that hold every ticket, and the services running on them."
        actions={<Freshness updatedAt={q.dataUpdatedAt} failed={q.isError} />}
      >
        Cluster
      </PageTitle>

      {failedRefresh && (
        <div role="alert" className="mb-6 rounded-2xl bg-warn-soft p-4 text-warn-ink ring-1 ring-warn/30">
          <p className="font-semibold">Refresh failed: showing the last status we had</p>
          <p className="mt-1 text-sm">
            {isApiError(q.error) && q.error.dependency ? `${q.error.dependency} is unavailable: ` : ''}
            {sentence((q.error as Error).message)} Retrying every {REFRESH_MS / 1000} s.
          </p>
        </div>
      )}

      {q.isPending ? (
        <>
          <Skeleton className="mb-6 h-20 w-full" />
          <LoadingList rows={2} label="Loading the cluster status" />
        </>
      ) : !c ? (
        <ErrorState error={q.error} context="the cluster status" onRetry={() => q.refetch()} />
      ) : (
        <div className={cx(failedRefresh && 'opacity-80')}>
          <Summary c={c} />
          {c.alarmsError && (
            <p role="note" className="mb-4 rounded-xl bg-warn-soft p-3 text-sm text-warn-ink">
              Alarms could not be read: {c.alarmsError}
            </p>
          )}
          <section aria-labelledby="members-h">
            <h2 id="members-h" className="mb-3 text-xl font-semibold text-ink">
              etcd members
            </h2>
            <ul className="grid grid-cols-2 gap-3 sm:gap-4 lg:grid-cols-3 xl:grid-cols-5" aria-label="etcd members">
              {members.map((m) => (
                <MemberTile key={m.id} member={m} alarms={alarmsOf(m.id)} quota={c.quotaBytes} />
              ))}
            </ul>
          </section>
          <section aria-labelledby="services-h" className="mt-10">
            <h2 id="services-h" className="mb-3 text-xl font-semibold text-ink">
              Service instances
            </h2>
            <ServicesPanel services={c.services} error={c.servicesError} now={q.dataUpdatedAt} scale={scale.data} />
          </section>
        </div>
      )}
    </>
  );
}
