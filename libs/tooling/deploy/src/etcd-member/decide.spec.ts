/**
 * Issue 28.1: the membership decisions (pure) and the config file prepare writes. The same
 * programs run against real etcd in test/e2e/etcd-membership.e2e-spec.ts.
 */
import { bootstrapCluster, flagsToConfig, initialClusterOf, memberConfig, ordinalOfMember, type Layout } from './config.js';
import { decideLeave, decidePrepare, decideRun, type ClusterView, type MemberInfo } from './decide.js';

const layout: Layout = {
  prefix: 'ticketcd-etcd',
  peerUrl: 'http://{name}.h.ns.svc:2380',
  clientUrl: 'http://{name}.h.ns.svc:2379',
  listenPeerUrl: 'http://0.0.0.0:2380',
  listenClientUrl: 'http://0.0.0.0:2379',
  maxOrdinal: 9,
};
const peer = (i: number) => `http://ticketcd-etcd-${i}.h.ns.svc:2380`;
const member = (i: number, over: Partial<MemberInfo> = {}): MemberInfo => ({
  id: `id${i}`,
  name: `ticketcd-etcd-${i}`,
  peerUrls: [peer(i)],
  clientUrls: [`http://ticketcd-etcd-${i}.h.ns.svc:2379`],
  isLearner: false,
  ...over,
});
const view = (members: MemberInfo[], down: number[] = []): ClusterView => ({
  members,
  reachable: new Set(members.filter((m) => !down.some((d) => m.id === `id${d}`)).map((m) => m.id)),
});
const self = (i: number) => ({ name: `ticketcd-etcd-${i}`, ordinal: i, peerUrl: peer(i) });
const five = () => [0, 1, 2, 3, 4].map((i) => member(i));

describe('decidePrepare (issue 28.1: the state is detected, not a value)', () => {
  it('first install: no data, no member answers -> bootstrap a new cluster', () => {
    expect(decidePrepare({ self: self(0), hasData: false, cluster: null }).action).toBe('bootstrap');
  });

  it('a full restart: data, no member answers -> start as is (never bootstrap over data)', () => {
    expect(decidePrepare({ self: self(0), hasData: true, cluster: null }).action).toBe('start-as-is');
  });

  it('a restart with data the cluster lists (voter or learner) -> start as is', () => {
    expect(decidePrepare({ self: self(2), hasData: true, cluster: view(five(), [2]) }).action).toBe('start-as-is');
    const withLearner = [...five().slice(0, 4), member(4, { isLearner: true })];
    expect(decidePrepare({ self: self(4), hasData: true, cluster: view(withLearner, [4]) }).action).toBe('start-as-is');
  });

  it('a bootstrap in progress (listed by the initial cluster, named, never started) -> start with the listed members', () => {
    // Seen on a loaded machine: three members formed a quorum before pods 3 and 4 ran prepare. The
    // initial cluster names every member; only client URLs tell that one has started.
    const bootstrapping = [member(0), member(1), member(2), member(3, { clientUrls: [] }), member(4, { clientUrls: [] })];
    expect(decidePrepare({ self: self(3), hasData: false, cluster: view(bootstrapping, [3, 4]) }).action).toBe('start-listed');
  });

  it('our own earlier add (listed without a name, never started: prepare died after MemberAdd) -> start with the listed members', () => {
    const added = [...five(), member(5, { name: '', clientUrls: [], isLearner: true })];
    expect(decidePrepare({ self: self(5), hasData: false, cluster: view(added, [5]) }).action).toBe('start-listed');
  });

  it('a wiped data dir: the stale id is removed, then it joins as a learner', () => {
    const d = decidePrepare({ self: self(2), hasData: false, cluster: view(five(), [2]) });
    expect(d).toMatchObject({ action: 'join', moveDataAside: false, removeStale: { id: 'id2' } });
  });

  it('data of a member the cluster no longer lists (PVC kept after a scale-down) -> moved aside, joins as a learner', () => {
    const d = decidePrepare({ self: self(5), hasData: true, cluster: view(five()) });
    expect(d).toMatchObject({ action: 'join', moveDataAside: true });
    expect(d).not.toHaveProperty('removeStale');
  });

  it('refusal: another learner pending -> wait, naming it', () => {
    const cluster = view([...five(), member(5, { isLearner: true })]);
    const d = decidePrepare({ self: self(6), hasData: false, cluster });
    expect(d.action).toBe('wait');
    expect(d.reason).toMatch(/waiting: learner ticketcd-etcd-5 \(id5\) is not promoted yet/);
  });

  it('refusal: a member added but never started -> wait', () => {
    const cluster = view([...five(), member(5, { name: '', clientUrls: [] })]);
    expect(decidePrepare({ self: self(6), hasData: false, cluster }).reason).toMatch(
      /ticketcd-etcd-5\.h\.ns\.svc:2380 \(id5\) was added but has not started/,
    );
  });

  it('refusal: removing the stale id would cost quorum -> wait', () => {
    // Five voters, the wiped one and two more down: four left would need three up, two answer.
    const d = decidePrepare({ self: self(2), hasData: false, cluster: view(five(), [2, 3, 4]) });
    expect(d.action).toBe('wait');
    expect(d.reason).toMatch(/needs 3 of the other voters up, 2 answer/);
  });
});

describe('decideLeave (preStop)', () => {
  const seven = () => [0, 1, 2, 3, 4, 5, 6].map((i) => member(i));

  it('ordinal below the desired size: a restart, the member stays', () => {
    expect(decideLeave({ self: self(4), desired: 5, cluster: view(five()) }).action).toBe('skip');
  });

  it('scaled to 0 (a stop before a restore or maintenance): no member leaves, the leader cleans up nothing', () => {
    for (const desired of [0, 1, 2]) {
      expect([desired, decideLeave({ self: self(0), desired, cluster: view(five()) }).action]).toEqual([desired, 'skip']);
      expect([desired, decideLeave({ self: self(4), desired, cluster: view(five()) }).action]).toEqual([desired, 'skip']);
    }
  });

  it('desired size unreadable: refuse (never remove a member on a guess)', () => {
    expect(decideLeave({ self: self(6), desired: null, cluster: view(seven()) }).action).toBe('refuse');
  });

  it('scale-down: ordinal >= desired -> remove itself', () => {
    expect(decideLeave({ self: self(6), desired: 5, cluster: view(seven(), [6]) })).toMatchObject({
      action: 'remove',
      member: { id: 'id6' },
    });
  });

  it('already removed -> skip', () => {
    expect(decideLeave({ self: self(6), desired: 5, cluster: view(five()) }).action).toBe('skip');
  });

  it('refusal: another learner pending', () => {
    const d = decideLeave({
      self: self(6),
      desired: 5,
      cluster: view([...seven().slice(0, 6), member(7, { isLearner: true }), member(6)]),
    });
    expect(d.action).toBe('refuse');
    expect(d.reason).toMatch(/learner ticketcd-etcd-7 .* is not promoted yet/);
  });

  it('refusal: it would cost quorum', () => {
    // Seven voters, three others down: six left need four up, three answer.
    const d = decideLeave({ self: self(6), desired: 5, cluster: view(seven(), [2, 3, 4]) });
    expect(d).toMatchObject({ action: 'refuse' });
    expect(d.reason).toMatch(/would cost quorum \(6 voters left need 4 up, 3 answer\)/);
  });

  it('a learner leaves without quorum arithmetic', () => {
    const d = decideLeave({ self: self(5), desired: 5, cluster: view([...five(), member(5, { isLearner: true })], [1, 2, 3]) });
    expect(d.action).toBe('remove');
  });
});

describe('decideRun (sidecar)', () => {
  const base = { desired: 5, ordinalOf: (m: MemberInfo) => ordinalOfMember(layout, m), silentForMs: () => 120_000, graceMs: 60_000 };

  it('our own learner: promote (etcd refuses until it has caught up)', () => {
    const cluster = view([...five(), member(5, { isLearner: true })]);
    expect(decideRun({ ...base, self: self(5), isLeader: false, cluster })).toMatchObject({ action: 'promote', member: { id: 'id5' } });
  });

  it('the leader removes one member of a pod gone without preStop, highest ordinal first', () => {
    const cluster = view([...five(), member(5), member(6)], [5, 6]);
    expect(decideRun({ ...base, self: self(0), isLeader: true, cluster })).toMatchObject({ action: 'remove', member: { id: 'id6' } });
  });

  it('not the leader, or within the grace of a preStop leave, or ordinal below desired: nothing', () => {
    const cluster = view([...five(), member(5), member(6)], [5, 6]);
    expect(decideRun({ ...base, self: self(1), isLeader: false, cluster }).action).toBe('idle');
    expect(decideRun({ ...base, self: self(0), isLeader: true, cluster, silentForMs: () => 5000 }).action).toBe('idle');
    expect(decideRun({ ...base, self: self(0), isLeader: true, cluster: view(five(), [3]) }).action).toBe('idle');
    expect(decideRun({ ...base, self: self(0), isLeader: true, desired: null, cluster }).action).toBe('idle');
    // Scaled to 0 (a stop): members going silent are not removed.
    expect(decideRun({ ...base, self: self(0), isLeader: true, desired: 0, cluster: view(five(), [1, 2]) }).action).toBe('idle');
  });

  it('refusal: a learner pending blocks the cleanup', () => {
    const cluster = view([...five(), member(5, { isLearner: true }), member(6)], [6]);
    expect(decideRun({ ...base, self: self(0), isLeader: true, cluster, desired: 6 }).action).toBe('refuse');
  });
});

describe('the config file prepare writes', () => {
  it('per-member keys from the layout; shared settings and extra arguments typed as etcd expects', () => {
    const c = memberConfig({
      layout,
      ordinal: 3,
      dataDir: '/var/lib/etcd/data',
      token: 'ticketcd-etcd',
      state: 'new',
      initialCluster: bootstrapCluster(layout, 3),
      base: { 'quota-backend-bytes': 2147483648 },
      extra: flagsToConfig(['--log-level=debug', '--experimental-max-learners=1', '--strict-reconfig-check']),
    });
    expect(c).toMatchObject({
      name: 'ticketcd-etcd-3',
      'initial-advertise-peer-urls': peer(3),
      'advertise-client-urls': 'http://ticketcd-etcd-3.h.ns.svc:2379',
      'listen-peer-urls': 'http://0.0.0.0:2380',
      'initial-cluster': `ticketcd-etcd-0=${peer(0)},ticketcd-etcd-1=${peer(1)},ticketcd-etcd-2=${peer(2)}`,
      'initial-cluster-state': 'new',
      'quota-backend-bytes': 2147483648,
      'log-level': 'debug',
      'experimental-max-learners': 1,
      'strict-reconfig-check': true,
    });
    expect(() =>
      memberConfig({ layout, ordinal: 0, dataDir: '/d', token: 't', state: 'new', initialCluster: '', base: { name: 'x' }, extra: {} }),
    ).toThrow(/name are set per member/);
  });

  it('the initial cluster of a join names members that have not started by their ordinal', () => {
    expect(initialClusterOf(layout, [member(0), member(5, { name: '', clientUrls: [] })])).toBe(
      `ticketcd-etcd-0=${peer(0)},ticketcd-etcd-5=${peer(5)}`,
    );
    expect(ordinalOfMember(layout, { peerUrls: ['http://elsewhere:2380'] })).toBeNull();
  });
});
