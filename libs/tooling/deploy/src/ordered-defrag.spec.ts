/** Issue 28 point 4: defragment learners and followers one at a time, the leader last. */
import { nextToDefragment, type DefragMember } from './ordered-defrag.js';

const m = (name: string, role: 'leader' | 'follower' | 'learner'): DefragMember => ({
  id: name,
  name,
  url: `http://${name}:2379`,
  isLeader: role === 'leader',
  isLearner: role === 'learner',
});

function order(members: DefragMember[], leaderAfter?: (step: number) => string): string[] {
  const done = new Set<string>();
  const out: string[] = [];
  let current = members;
  for (let step = 0; ; step++) {
    if (leaderAfter) current = current.map((x) => ({ ...x, isLeader: x.name === leaderAfter(step) }));
    const next = nextToDefragment(current, done);
    if (!next) return out;
    out.push(next.name);
    done.add(next.id);
  }
}

describe('defrag order (issue 28: followers first, the leader last)', () => {
  it('a leader listed first still goes last; followers in name order', () => {
    expect(order([m('etcd-0', 'leader'), m('etcd-3', 'follower'), m('etcd-1', 'follower'), m('etcd-2', 'follower')])).toEqual([
      'etcd-1',
      'etcd-2',
      'etcd-3',
      'etcd-0',
    ]);
  });

  it('learners first (they have no vote), the leader last', () => {
    expect(order([m('a', 'follower'), m('b', 'leader'), m('c', 'learner')])).toEqual(['c', 'a', 'b']);
  });

  it('re-asked every step: when leadership moves, the leader of the moment is left for last', () => {
    // b leads at first; after the first step c leads (b was not defragmented yet: it is a follower now).
    const seen = order([m('a', 'follower'), m('b', 'leader'), m('c', 'follower')], (step) => (step === 0 ? 'b' : 'c'));
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('a single member is its own leader, done last and alone', () => {
    expect(order([m('only', 'leader')])).toEqual(['only']);
    expect(nextToDefragment([m('only', 'leader')], new Set(['only']))).toBeNull();
  });
});
