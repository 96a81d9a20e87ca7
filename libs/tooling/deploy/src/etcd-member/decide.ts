/**
 * Issue 28.1: the membership decisions of an etcd member in the chart's StatefulSet, as pure
 * functions (no I/O: the caller gathers the state, decides, then acts). Members are named
 * `<statefulset>-<ordinal>` and each ordinal has a fixed peer URL, so a member is identified by
 * its peer URL (an added member has no name until it has started once).
 */

export interface MemberInfo {
  id: string;
  /** Empty for a member added (MemberAdd) that has not started; set from the start for the initial cluster's. */
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

export interface ClusterView {
  members: MemberInfo[];
  /** Ids of the members that answered a status request just now. */
  reachable: ReadonlySet<string>;
  /** The leader as those members see it (null: none known). */
  leaderId?: string | null;
}

export interface Self {
  name: string;
  ordinal: number;
  peerUrl: string;
}

/** floor(n/2)+1 */
export const quorumOf = (voters: number): number => Math.floor(voters / 2) + 1;

/**
 * A member publishes its client URLs when it first starts. Its name is no sign: members of the
 * initial cluster are named by it before they ever ran (only a MemberAdd leaves the name empty).
 */
export const hasStarted = (m: MemberInfo): boolean => m.clientUrls.length > 0;

export const findSelf = (members: MemberInfo[], peerUrl: string): MemberInfo | undefined =>
  members.find((m) => m.peerUrls.includes(peerUrl));

/** How a member is named in logs: its name, or its peer URL before it has started. */
export const label = (m: MemberInfo): string => `${m.name || m.peerUrls[0] || '?'} (${m.id})`;

/**
 * A change that would have to wait for another one: a learner not yet promoted (etcd 3.5 allows
 * one at a time) or a member added but never started (it counts as a voter that is down).
 */
export function pendingChange(members: MemberInfo[], exceptPeerUrl?: string): string | null {
  const others = members.filter((m) => !exceptPeerUrl || !m.peerUrls.includes(exceptPeerUrl));
  const learner = others.find((m) => m.isLearner);
  if (learner) return `learner ${label(learner)} is not promoted yet`;
  const unstarted = others.find((m) => !hasStarted(m));
  if (unstarted) return `member ${label(unstarted)} was added but has not started`;
  return null;
}

export type PrepareDecision =
  /** The data dir holds this member and the cluster lists it (or no one answers: a full restart). */
  | { action: 'start-as-is'; reason: string }
  /** First install: no data, no cluster. `new` with the initial cluster of the bootstrap size. */
  | { action: 'bootstrap'; reason: string }
  /** The cluster lists this peer URL but it never started (bootstrap in progress, or our own earlier add). */
  | { action: 'start-listed'; reason: string }
  /** Join as a learner: move stale data aside, remove the stale member id first if given. */
  | { action: 'join'; reason: string; moveDataAside: boolean; removeStale?: MemberInfo }
  /** Not now: try again (another change pending, a quorum that the change would cost). */
  | { action: 'wait'; reason: string };

export interface PrepareInput {
  self: Self;
  /** The data dir holds a member (member/wal has files). */
  hasData: boolean;
  /** null: no member answered. */
  cluster: ClusterView | null;
}

export function decidePrepare({ self, hasData, cluster }: PrepareInput): PrepareDecision {
  if (!cluster) {
    return hasData
      ? { action: 'start-as-is', reason: 'no member answers and the data dir holds a member: start it (a full restart)' }
      : { action: 'bootstrap', reason: 'no member answers and the data dir is empty: bootstrap a new cluster' };
  }
  const listed = findSelf(cluster.members, self.peerUrl);
  if (hasData && listed)
    return { action: 'start-as-is', reason: `the data dir holds ${self.name} and the cluster lists it as ${label(listed)}` };
  if (!hasData && listed && !hasStarted(listed)) {
    return { action: 'start-listed', reason: `the cluster lists ${self.peerUrl} as ${label(listed)}, never started: start with it` };
  }
  const pending = pendingChange(cluster.members, self.peerUrl);
  if (pending) return { action: 'wait', reason: `waiting: ${pending} (one membership change at a time)` };
  if (listed) {
    // Our own old id, its data gone: remove it (a voter that is down) before adding us again.
    if (!listed.isLearner) {
      const voters = cluster.members.filter((m) => !m.isLearner);
      const up = voters.filter((m) => m.id !== listed.id && cluster.reachable.has(m.id)).length;
      const need = quorumOf(voters.length - 1);
      if (up < need) {
        return {
          action: 'wait',
          reason: `waiting: removing the stale ${label(listed)} needs ${need} of the other voters up, ${up} answer`,
        };
      }
    }
    return {
      action: 'join',
      moveDataAside: hasData,
      removeStale: listed,
      reason: `the data dir is empty but the cluster lists ${label(listed)}: remove that stale id, join as a learner`,
    };
  }
  return {
    action: 'join',
    moveDataAside: hasData,
    reason: hasData
      ? `the data dir holds a member the cluster no longer lists (removed earlier): move it aside, join as a learner`
      : `the cluster does not list ${self.name}: join as a learner`,
  };
}

export type LeaveDecision =
  { action: 'skip'; reason: string } | { action: 'refuse'; reason: string } | { action: 'remove'; member: MemberInfo; reason: string };

export interface LeaveInput {
  self: Self;
  /** spec.replicas of the StatefulSet; null when it could not be read. */
  desired: number | null;
  cluster: ClusterView;
}

/**
 * The chart never runs fewer members (it refuses replicaCount < 3): a desired size below it is a
 * stop (`kubectl scale --replicas=0` before a restore or maintenance), not a shrink. Removing
 * members then would shrink the cluster to one member on the way down.
 */
export const MIN_MEMBERS = 3;

/** preStop: leave the cluster only when this pod goes away for good (its ordinal >= the desired size). */
export function decideLeave({ self, desired, cluster }: LeaveInput): LeaveDecision {
  if (desired === null) return { action: 'refuse', reason: 'the desired size could not be read: not leaving (a restart keeps the member)' };
  if (desired < MIN_MEMBERS)
    return {
      action: 'skip',
      reason: `desired size ${desired} < ${MIN_MEMBERS}: the cluster is being stopped, not shrunk; the member stays`,
    };
  if (self.ordinal < desired)
    return { action: 'skip', reason: `ordinal ${self.ordinal} < desired size ${desired}: a restart, the member stays` };
  const listed = findSelf(cluster.members, self.peerUrl);
  if (!listed) return { action: 'skip', reason: `${self.name} is not a member (already removed)` };
  return removable(listed, cluster, `ordinal ${self.ordinal} >= desired size ${desired}`);
}

/** One removal, if it is safe now: no other change pending, a quorum of the remaining voters up. */
export function removable(
  member: MemberInfo,
  cluster: ClusterView,
  why: string,
): { action: 'refuse'; reason: string } | { action: 'remove'; member: MemberInfo; reason: string } {
  const pending = pendingChange(cluster.members, member.peerUrls[0]);
  if (pending) return { action: 'refuse', reason: `not removing ${label(member)}: ${pending} (one membership change at a time)` };
  if (member.isLearner) return { action: 'remove', member, reason: `${why}: remove learner ${label(member)}` };
  const voters = cluster.members.filter((m) => !m.isLearner);
  const up = voters.filter((m) => m.id !== member.id && cluster.reachable.has(m.id)).length;
  const need = quorumOf(voters.length - 1);
  if (voters.length - 1 < 1 || up < need) {
    return {
      action: 'refuse',
      reason: `not removing ${label(member)}: it would cost quorum (${voters.length - 1} voters left need ${need} up, ${up} answer)`,
    };
  }
  return { action: 'remove', member, reason: `${why}: remove ${label(member)} (${voters.length - 1} voters left, ${up} up)` };
}

export type RunDecision =
  | { action: 'idle'; reason: string }
  | { action: 'promote'; member: MemberInfo; reason: string }
  | { action: 'remove'; member: MemberInfo; reason: string }
  | { action: 'refuse'; reason: string };

export interface RunInput {
  self: Self;
  /** This member leads the cluster (the one sidecar that cleans up). */
  isLeader: boolean;
  desired: number | null;
  cluster: ClusterView;
  /** The ordinal a member's peer URL belongs to (null: not one of the StatefulSet's). */
  ordinalOf: (m: MemberInfo) => number | null;
  /** How long each member has not answered (ms; absent: it answers). */
  silentForMs: (m: MemberInfo) => number;
  /** Leave a member's own preStop `leave` this long to remove it before the leader does. */
  graceMs: number;
}

/**
 * The sidecar's tick: promote our own learner (etcd refuses until it has caught up); on the
 * leader, remove one member a force-deleted pod left behind (ordinal >= desired, silent for
 * longer than a preStop `leave` takes: that one is the normal path).
 */
export function decideRun({ self, isLeader, desired, cluster, ordinalOf, silentForMs, graceMs }: RunInput): RunDecision {
  const me = findSelf(cluster.members, self.peerUrl);
  if (me?.isLearner) return { action: 'promote', member: me, reason: `${label(me)} is a learner: promote it once caught up` };
  if (!isLeader) return { action: 'idle', reason: 'not the leader' };
  if (desired === null) return { action: 'idle', reason: 'desired size unknown: no cleanup' };
  if (desired < MIN_MEMBERS)
    return { action: 'idle', reason: `desired size ${desired} < ${MIN_MEMBERS}: the cluster is being stopped, no cleanup` };
  const stale = cluster.members
    .filter((m) => m !== me && !cluster.reachable.has(m.id) && silentForMs(m) >= graceMs)
    .map((m) => ({ m, ordinal: ordinalOf(m) }))
    .filter((x): x is { m: MemberInfo; ordinal: number } => x.ordinal !== null && x.ordinal >= desired)
    .sort((a, b) => b.ordinal - a.ordinal);
  if (!stale.length) return { action: 'idle', reason: 'nothing to clean up' };
  const first = stale[0]!;
  return removable(first.m, cluster, `ordinal ${first.ordinal} >= desired size ${desired} and not answering (pod gone without preStop)`);
}
