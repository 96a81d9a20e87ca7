/**
 * One etcd member: name, role (a leader star and the word), raft term and index, db size
 * against the quota (a bar with the numbers), its alarms, reachable or not. Every signal is in
 * words as well as colour.
 */
import { CheckIcon, StarIcon, WarnIcon, XIcon } from '../../../components/icons';
import { Badge, cx } from '../../../components/ui';
import { formatBytes } from '../../../lib/format';
import type { ClusterMember } from './cluster-data';

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium uppercase tracking-wide text-ink-soft">{label}</dt>
      <dd className="truncate font-mono text-sm tabular-nums text-ink" title={value}>
        {value}
      </dd>
    </div>
  );
}

function DbBar({ bytes, quota }: { bytes?: number; quota: number }) {
  if (bytes === undefined) {
    return <p className="text-sm text-ink-soft">DB size unknown</p>;
  }
  const pct = Math.min(100, (bytes / quota) * 100);
  const tone = pct >= 90 ? 'bg-danger' : pct >= 70 ? 'bg-warn' : 'bg-accent';
  const shown = pct < 0.1 ? '<0.1' : pct.toFixed(pct < 10 ? 1 : 0);
  return (
    <div>
      <p className="text-xs font-medium uppercase tracking-wide text-ink-soft">DB size</p>
      <div
        role="meter"
        aria-label="DB size against the quota"
        aria-valuemin={0}
        aria-valuemax={quota}
        aria-valuenow={bytes}
        aria-valuetext={`${formatBytes(bytes)} of ${formatBytes(quota)}`}
        className="mt-1 h-2 overflow-hidden rounded-full bg-muted"
      >
        <div className={cx('h-full rounded-full', tone)} style={{ width: `${Math.max(pct, 1.5)}%` }} />
      </div>
      <p className="mt-1 text-sm tabular-nums text-ink">
        <span className="font-semibold">{formatBytes(bytes)}</span> <span className="text-ink-soft">of {formatBytes(quota)}</span>
      </p>
      <p className="text-xs tabular-nums text-ink-soft">{shown}% of the quota</p>
    </div>
  );
}

export function MemberTile({ member, alarms, quota }: { member: ClusterMember; alarms: string[]; quota: number }) {
  const m = member;
  const host = m.clientUrls[0]?.replace(/^https?:\/\//, '') ?? '';
  return (
    <li
      data-testid="member"
      data-leader={m.isLeader || undefined}
      data-reachable={m.reachable}
      className={cx(
        'flex min-w-0 flex-col gap-4 rounded-2xl bg-surface p-3 shadow-sm ring-1 sm:p-4',
        m.isLeader ? 'ring-2 ring-accent' : m.reachable ? 'ring-line' : 'ring-danger/50',
      )}
    >
      <div>
        <div className="flex flex-wrap items-center justify-between gap-x-2 gap-y-1">
          <h3 className="truncate font-semibold text-ink">{m.name || `member ${m.id}`}</h3>
          {m.isLeader ? (
            <Badge tone="accent" className="shrink-0">
              <StarIcon className="size-3.5" /> leader
            </Badge>
          ) : m.reachable ? (
            <Badge className="shrink-0">follower</Badge>
          ) : (
            <Badge tone="danger" className="shrink-0">
              role unknown
            </Badge>
          )}
        </div>
        <p className="mt-0.5 truncate font-mono text-xs text-ink-soft" title={m.clientUrls.join(', ')}>
          {host}
        </p>
      </div>

      {m.reachable ? (
        <p className="text-sm font-medium text-ok-ink">
          <CheckIcon className="mr-1 inline size-4 align-[-2px]" />
          Reachable
        </p>
      ) : (
        <div className="rounded-xl bg-danger-soft p-2 text-sm text-danger-ink">
          <p className="font-semibold">
            <XIcon className="mr-1 inline size-4 align-[-2px]" />
            Unreachable
          </p>
          {m.error && (
            <p className="mt-0.5 line-clamp-3 break-words text-xs" title={m.error}>
              {m.error}
            </p>
          )}
        </div>
      )}

      <dl className="grid grid-cols-2 gap-3">
        <Stat label="Raft term" value={m.raftTerm?.toLocaleString() ?? '–'} />
        <Stat label="Raft index" value={m.raftIndex?.toLocaleString() ?? '–'} />
      </dl>

      <DbBar bytes={m.dbSizeBytes} quota={quota} />

      <div className="mt-auto border-t border-line pt-3 text-sm">
        {alarms.length === 0 ? (
          <p className="text-ink-soft">
            <CheckIcon className="mr-1 inline size-4 align-[-2px]" />
            No alarms
          </p>
        ) : (
          <p className="flex flex-wrap items-center gap-1">
            <span className="sr-only">Alarms:</span>
            {alarms.map((a) => (
              <Badge key={a} tone="danger">
                <WarnIcon className="size-3.5" /> {a}
              </Badge>
            ))}
          </p>
        )}
        {m.version && <p className="mt-1 text-xs text-ink-soft">etcd {m.version}</p>}
      </div>
    </li>
  );
}
