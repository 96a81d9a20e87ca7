/**
 * Issue 28.1: the three commands of the membership program (the chart runs them in the tools
 * image beside etcd): `prepare` (init container: detect the state, act, write etcd's config
 * file), `run` (sidecar: promote our learner; on the leader, clean up members of pods that went
 * without preStop) and `leave` (preStop: remove our member when the pod goes for good).
 * Decisions are the pure functions of decide.ts; this file gathers state and acts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { bootstrapCluster, clientUrlOf, initialClusterOf, memberConfig, ordinalOfMember, type Layout } from './config.js';
import { decideLeave, decidePrepare, decideRun, findSelf, label, type ClusterView, type Self } from './decide.js';
import { readDesired, type DesiredSource } from './desired.js';
import {
  addLearner,
  clusterView,
  firstLine,
  isLearnerNotReady,
  isMemberNotFound,
  isTooManyLearners,
  memberStatus,
  promoteMember,
  removeMember,
  type EtcdAccess,
} from './etcd.js';

export interface MemberOptions {
  layout: Layout;
  self: Self;
  dataDir: string;
  /** Where prepare writes etcd's config file. */
  configOut: string;
  token: string;
  /** etcd settings shared by every member (the chart's ConfigMap) and the extra arguments. */
  base: Record<string, unknown>;
  extra: Record<string, unknown>;
  access: EtcdAccess;
  desired: DesiredSource;
  /** prepare: how long no member may answer before this is taken for a first install. */
  discoverMs: number;
  /** Pause between attempts (prepare waiting, the sidecar's tick). */
  intervalMs: number;
  /** leave: give up (and let the pod go) after this long. */
  leaveTimeoutMs: number;
  /** run: the leader removes a departed member only after it has been silent this long. */
  cleanupAfterMs: number;
  log: (line: string) => void;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** Every ordinal's client URL: where a running cluster may answer. */
const candidates = (o: MemberOptions) => Array.from({ length: o.layout.maxOrdinal }, (_, i) => clientUrlOf(o.layout, i));

/** The data dir holds a member: a WAL file exists. */
export function hasMemberData(dataDir: string): boolean {
  try {
    return fs.readdirSync(path.join(dataDir, 'member', 'wal')).some((f) => f.endsWith('.wal'));
  } catch {
    return false;
  }
}

/** Moves the data aside (kept for inspection: the newest one only, the volume is not infinite). */
function moveAside(dataDir: string, log: (line: string) => void): void {
  if (!fs.existsSync(dataDir)) return;
  const parent = path.dirname(dataDir);
  const base = path.basename(dataDir);
  for (const old of fs.readdirSync(parent).filter((f) => f.startsWith(`${base}.removed-`)))
    fs.rmSync(path.join(parent, old), { recursive: true, force: true });
  const target = `${dataDir}.removed-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  fs.renameSync(dataDir, target);
  log(`moved the old data dir aside to ${target}`);
}

function writeConfig(o: MemberOptions, state: 'new' | 'existing', initialCluster: string): void {
  const config = memberConfig({
    layout: o.layout,
    ordinal: o.self.ordinal,
    dataDir: o.dataDir,
    token: o.token,
    state,
    initialCluster,
    base: o.base,
    extra: o.extra,
  });
  fs.mkdirSync(path.dirname(o.configOut), { recursive: true });
  const tmp = `${o.configOut}.tmp`;
  fs.writeFileSync(tmp, `# written by etcd-member prepare (issue 28.1)\n${stringify(config)}`);
  fs.renameSync(tmp, o.configOut);
  o.log(`wrote ${o.configOut}: initial-cluster-state=${state} initial-cluster=${initialCluster}`);
}

/** The cluster as the other members see it; null when no one has answered for discoverMs. */
async function discover(o: MemberOptions): Promise<ClusterView | null> {
  const until = Date.now() + o.discoverMs;
  for (;;) {
    const view = await clusterView(o.access, candidates(o));
    if (view) return view;
    if (Date.now() >= until) return null;
    await sleep(Math.min(o.intervalMs, 1000));
  }
}

export type PrepareOutcome = 'start-as-is' | 'bootstrap' | 'start-listed' | 'join';

/** Decides and acts until etcd can start; writes its config file. */
export async function prepare(o: MemberOptions): Promise<PrepareOutcome> {
  let lastWait = '';
  for (;;) {
    const hasData = hasMemberData(o.dataDir);
    const cluster = await discover(o);
    const d = decidePrepare({ self: o.self, hasData, cluster });
    if (d.action === 'wait') {
      if (d.reason !== lastWait) o.log(d.reason);
      lastWait = d.reason;
      await sleep(o.intervalMs);
      continue;
    }
    o.log(d.reason);
    if (d.action === 'start-as-is') {
      writeConfig(o, 'existing', cluster ? initialClusterOf(o.layout, cluster.members) : `${o.self.name}=${o.self.peerUrl}`);
      return d.action;
    }
    if (d.action === 'bootstrap') {
      const size = await readDesired(o.desired, o.log);
      if (size === null) throw new Error('bootstrap needs the desired size (the StatefulSet spec.replicas): not readable');
      if (o.self.ordinal >= size) throw new Error(`ordinal ${o.self.ordinal} is outside the desired size ${size}: nothing to bootstrap`);
      writeConfig(o, 'new', bootstrapCluster(o.layout, size));
      return d.action;
    }
    if (d.action === 'start-listed') {
      writeConfig(o, 'existing', initialClusterOf(o.layout, cluster!.members));
      return d.action;
    }
    // join
    try {
      if (d.removeStale) {
        o.log(`removing the stale member ${label(d.removeStale)}`);
        await removeMember(o.access, cluster!.members, d.removeStale.id).catch((e: unknown) => {
          if (!isMemberNotFound(e)) throw e;
        });
      }
      if (d.moveDataAside) moveAside(o.dataDir, o.log);
      const after = cluster!.members.filter((m) => m.id !== d.removeStale?.id);
      const members = await addLearner(o.access, after, o.self.peerUrl);
      const me = findSelf(members, o.self.peerUrl);
      o.log(`added ${o.self.name} as learner ${me?.id ?? '?'}; starting with initial-cluster-state=existing`);
      writeConfig(o, 'existing', initialClusterOf(o.layout, members));
      return 'join';
    } catch (e) {
      // Another joiner got its learner in first, or the change timed out (it may have applied:
      // the next round reads the member list again and sees it).
      const reason = isTooManyLearners(e)
        ? 'waiting: etcd already has a learner (one at a time)'
        : `membership change failed, retrying: ${firstLine(e)}`;
      if (reason !== lastWait) o.log(reason);
      lastWait = reason;
      await sleep(o.intervalMs);
    }
  }
}

/** The sidecar: ticks until `signal` aborts. */
export async function run(o: MemberOptions, signal: AbortSignal): Promise<void> {
  let last = '';
  const say = (line: string) => {
    if (line !== last) o.log(line);
    last = line;
  };
  const silentSince = new Map<string, number>();
  while (!signal.aborted) {
    try {
      await tick(o, say, silentSince);
    } catch (e) {
      say(`tick failed: ${firstLine(e)}`);
    }
    await sleep(o.intervalMs, signal);
  }
}

async function tick(o: MemberOptions, say: (line: string) => void, silentSince: Map<string, number>): Promise<void> {
  const cluster = await clusterView(o.access, candidates(o));
  if (!cluster) return say('no member answers');
  const now = Date.now();
  for (const m of cluster.members) {
    if (cluster.reachable.has(m.id)) silentSince.delete(m.id);
    else if (!silentSince.has(m.id)) silentSince.set(m.id, now);
  }
  const me = findSelf(cluster.members, o.self.peerUrl);
  if (!me) return say(`${o.self.name} is not a member (removed?)`);
  const status = me.isLearner ? null : await memberStatus(o.access, clientUrlOf(o.layout, o.self.ordinal));
  const isLeader = status !== null && status.memberId === status.leaderId;
  const desired = isLeader ? await readDesired(o.desired, say) : null;
  const d = decideRun({
    self: o.self,
    isLeader,
    desired,
    cluster,
    ordinalOf: (m) => ordinalOfMember(o.layout, m),
    silentForMs: (m) => (silentSince.has(m.id) ? now - silentSince.get(m.id)! : 0),
    graceMs: o.cleanupAfterMs,
  });
  if (d.action === 'idle') return say(`idle: ${d.reason}`);
  if (d.action === 'refuse') return say(d.reason);
  if (d.action === 'promote') {
    try {
      await promoteMember(o.access, cluster.members, d.member.id, cluster.leaderId ?? null);
      o.log(`promoted ${label(d.member)} to voter`);
    } catch (e) {
      say(
        isLearnerNotReady(e)
          ? `learner ${label(d.member)} not caught up yet: etcd refuses the promotion (${firstLine(e)})`
          : `promote failed: ${firstLine(e)}`,
      );
    }
    return;
  }
  o.log(d.reason);
  await removeMember(o.access, cluster.members, d.member.id).catch((e: unknown) => {
    if (!isMemberNotFound(e)) throw e;
  });
  o.log(`removed ${label(d.member)}`);
}

export type LeaveOutcome = 'skipped' | 'removed' | 'refused';

/** preStop: removes this member when its ordinal >= the desired size; never blocks the pod past the timeout. */
export async function leave(o: MemberOptions): Promise<LeaveOutcome> {
  const until = Date.now() + o.leaveTimeoutMs;
  let reason = '';
  for (;;) {
    const desired = await readDesired(o.desired, o.log);
    const cluster = await clusterView(o.access, candidates(o));
    if (!cluster) reason = 'no member answers: cannot leave';
    else {
      const d = decideLeave({ self: o.self, desired, cluster });
      if (d.action === 'skip') {
        o.log(d.reason);
        return 'skipped';
      }
      if (d.action === 'remove') {
        o.log(d.reason);
        try {
          await removeMember(o.access, cluster.members, d.member.id);
          o.log(`removed ${label(d.member)}`);
          return 'removed';
        } catch (e) {
          if (isMemberNotFound(e)) return 'removed';
          reason = `remove failed (another change in progress?): ${firstLine(e)}`;
        }
      } else reason = d.reason;
    }
    if (Date.now() + o.intervalMs >= until) {
      o.log(`giving up: ${reason} (the leader's sidecar removes the member once this pod is gone)`);
      return 'refused';
    }
    o.log(`${reason}; retrying`);
    // Jitter: two members leaving at once do not collide again.
    await sleep(o.intervalMs / 2 + Math.random() * o.intervalMs);
  }
}
