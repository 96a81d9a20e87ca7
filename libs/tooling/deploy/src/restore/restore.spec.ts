/** Issue 28.5: the restore's etcdutl argv and its refusals, and the lost-orders CSV (pure parts). */
import { checkMemberOptions, DEFAULT_BUMP_REVISION, etcdutlRestoreArgs, RestoreError, type MemberRestoreOptions } from './member.js';
import { lostOrdersCsv, type LostOrder } from './realign.js';

const member: MemberRestoreOptions = {
  snapshot: '/backups/s.db',
  name: 'etcd-1',
  dataDir: '/var/lib/etcd/data',
  peerUrl: 'http://m1:2380',
  initialCluster: 'etcd-0=http://m0:2380,etcd-1=http://m1:2380,etcd-2=http://m2:2380',
  token: 'tok',
};

const code = (f: () => void) => {
  try {
    f();
    return 0;
  } catch (e) {
    return e instanceof RestoreError ? e.exitCode : -1;
  }
};

describe('etcd-restore member', () => {
  it('restores with the member, the cluster, the token, a large bump and mark-compacted', () => {
    expect(etcdutlRestoreArgs(member)).toEqual([
      'snapshot',
      'restore',
      '/backups/s.db',
      '--name=etcd-1',
      '--data-dir=/var/lib/etcd/data',
      `--initial-cluster=${member.initialCluster}`,
      '--initial-cluster-token=tok',
      '--initial-advertise-peer-urls=http://m1:2380',
      `--bump-revision=${DEFAULT_BUMP_REVISION}`,
      '--mark-compacted',
    ]);
  });

  it('refuses a member not in the cluster, another peer URL, a bad list or bump (exit 64)', () => {
    expect(code(() => checkMemberOptions(member))).toBe(0);
    expect(code(() => checkMemberOptions({ ...member, name: 'etcd-9' }))).toBe(64);
    expect(code(() => checkMemberOptions({ ...member, peerUrl: 'http://other:2380' }))).toBe(64);
    expect(code(() => checkMemberOptions({ ...member, initialCluster: 'etcd-1' }))).toBe(64);
    expect(code(() => checkMemberOptions({ ...member, bumpRevision: 0 }))).toBe(64);
    expect(code(() => checkMemberOptions({ ...member, token: '' }))).toBe(64);
  });
});

describe('lost orders CSV', () => {
  it('quotes what needs quoting and leaves a lost account e-mail empty', () => {
    const o: LostOrder = {
      orderId: 'o1',
      username: 'ann',
      email: null,
      name: 'Ann, "A"',
      eventId: 'e1',
      eventName: null,
      lines: [{ type: 'pink', quantity: 2, unitPrice: 1000 }],
      total: 2000,
      at: '2026-12-07T18:00:00.000Z',
      stream: 'INVENTORY',
      seq: 7,
    };
    expect(lostOrdersCsv([o]).split('\n')).toEqual([
      'orderId,username,email,name,eventId,eventName,lines,total,at',
      'o1,ann,,"Ann, ""A""",e1,,pink x2 @1000,2000,2026-12-07T18:00:00.000Z',
      '',
    ]);
  });
});
