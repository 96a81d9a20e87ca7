/** Unit tests of the quorum-loss rule (issue 25 point 1): sweeps in, verdict out, no I/O. */
import { GRPCDeadlineExceededError, GRPCUnavailableError } from 'etcd3';
import type { EtcdConnection } from './client.js';
import {
  classifyStatus,
  CONFIRM_MS,
  countAnswers,
  judgeQuorum,
  NO_LEADER_CONFIRM_MS,
  QuorumMonitor,
  QUORUM_OK,
  type MemberAnswer,
  type QuorumState,
} from './quorum.js';

const L: MemberAnswer = 'leader';
const N: MemberAnswer = 'no-leader';
const R: MemberAnswer = 'refused';
const S: MemberAnswer = 'silent';

/** Runs sweeps `every` ms apart from t=0 and returns the state after each. */
function run(sweeps: MemberAnswer[][], every = 500, from: QuorumState = QUORUM_OK): QuorumState[] {
  let state = from;
  return sweeps.map((answers, i) => (state = judgeQuorum(state, { at: 1_000_000 + i * every, answers })));
}
const lostAfter = (states: QuorumState[]) => states.map((s) => s.lost !== null);

describe('judgeQuorum', () => {
  it('a majority refusing on two consecutive sweeps ~500 ms apart is a loss, and says how many', () => {
    const states = run([
      [L, L, L, L, L],
      [R, R, R, L, L],
      [R, R, R, N, N],
    ]);
    expect(lostAfter(states)).toEqual([false, false, true]);
    expect(states[2]!.lost).toMatch(/^etcd quorum lost: 3 of 5 members refuse connections, 2 answer without a leader/);
  });

  it('one bad sweep is not enough, whatever it says', () => {
    expect(lostAfter(run([[R, R, R, R, R]]))).toEqual([false]);
    expect(
      lostAfter(
        run([
          [R, R, R, R, R],
          [L, L, L, R, R],
          [R, R, R, R, R],
        ]),
      ),
    ).toEqual([false, false, false]);
  });

  it('two bad sweeps closer together than ~500 ms are not two probes apart: a later one confirms', () => {
    expect(
      lostAfter(
        run(
          [
            [R, R, R, L, L],
            [R, R, R, L, L],
          ],
          CONFIRM_MS - 100,
        ),
      ),
    ).toEqual([false, false]);
    expect(
      lostAfter(
        run(
          [
            [R, R, R, L, L],
            [R, R, R, L, L],
            [R, R, R, L, L],
          ],
          CONFIRM_MS - 100,
        ),
      ),
    ).toEqual([false, false, true]);
  });

  it('timeouts alone never count: a busy cluster whose members all miss their deadlines keeps its quorum', () => {
    const silent = Array.from({ length: 20 }, () => [S, S, S, S, S]);
    expect(lostAfter(run(silent)).some(Boolean)).toBe(false);
    // Nor do timeouts make up a majority with refusals or leaderless answers.
    const mixed = Array.from({ length: 20 }, (_, i) => (i % 2 ? [R, N, S, S, S] : [R, R, S, S, L]));
    expect(lostAfter(run(mixed)).some(Boolean)).toBe(false);
  });

  it('a timeout in the middle breaks the run of bad sweeps', () => {
    expect(
      lostAfter(
        run([
          [R, R, R, L, L],
          [S, S, S, L, L],
          [R, R, R, L, L],
        ]),
      ),
    ).toEqual([false, false, false]);
  });

  it('an election (the leader killed, a member or two briefly without a leader) is ridden through', () => {
    const election = [
      [L, L, R, L, L],
      [L, L, R, N, L],
      [N, L, R, N, L],
      [L, L, R, L, L],
    ];
    expect(lostAfter(run(election)).some(Boolean)).toBe(false);
    // Even a split vote: most members leaderless for a round of 1-2 s.
    const splitVote = [
      [N, N, R, N, N],
      [N, N, R, N, N],
      [N, N, R, N, N],
      [N, N, R, N, N],
      [L, L, R, L, L],
    ];
    expect(lostAfter(run(splitVote)).some(Boolean)).toBe(false);
  });

  it('members that answer but stay leaderless (a partition) are a loss once that outlasts an election', () => {
    const sweeps = Array.from({ length: 8 }, () => [N, N, N, N, R]);
    const states = run(sweeps);
    const first = states.findIndex((s) => s.lost !== null);
    expect(first * 500).toBeGreaterThanOrEqual(NO_LEADER_CONFIRM_MS);
    expect(first * 500).toBeLessThanOrEqual(NO_LEADER_CONFIRM_MS + 500);
    expect(states[first]!.lost).toMatch(/1 of 5 members refuse connections, 4 answer without a leader/);
  });

  it('once lost, it stays lost until a majority answers with a leader', () => {
    const lost = run([
      [R, R, R, L, L],
      [R, R, R, N, N],
    ])[1]!;
    expect(lost.lost).not.toBeNull();
    const after = run(
      [
        [S, S, S, N, N],
        [N, N, N, N, N],
        [L, L, S, S, S],
        [L, L, L, N, N],
      ],
      500,
      lost,
    );
    expect(lostAfter(after)).toEqual([true, true, true, false]);
    expect(after[3]).toEqual(QUORUM_OK);
  });

  it('counts per member of the cluster: 2 of 3 refusing is a loss, 1 of 3 is not', () => {
    expect(
      lostAfter(
        run([
          [R, R, L],
          [R, R, L],
        ]),
      ),
    ).toEqual([false, true]);
    expect(
      lostAfter(
        run([
          [R, L, L],
          [R, L, L],
          [R, L, L],
        ]),
      ),
    ).toEqual([false, false, false]);
  });
});

describe('classifyStatus', () => {
  it('reads a Status answer and tells a refused connection from silence', () => {
    expect(classifyStatus({ leader: '8211f1d0f64f3269' })).toBe('leader');
    expect(classifyStatus({ leader: '0' })).toBe('no-leader');
    const refused = new GRPCUnavailableError(
      '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:2379',
    );
    expect(classifyStatus({ error: refused })).toBe('refused');
    expect(
      classifyStatus({ error: new GRPCUnavailableError('14 UNAVAILABLE: Name resolution failed for target dns:etcd-3.etcd:2379') }),
    ).toBe('refused');
    expect(classifyStatus({ error: new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED: Deadline exceeded after 0.401s') })).toBe('silent');
    expect(classifyStatus({ error: new GRPCUnavailableError('14 UNAVAILABLE: Connection dropped') })).toBe('silent');
    expect(classifyStatus({ error: new Error('anything else') })).toBe('silent');
  });
});

describe('QuorumMonitor cadence (issue 27)', () => {
  const monitor = () =>
    new QuorumMonitor({ endpoints: ['http://127.0.0.1:1'] } as unknown as EtcdConnection, { sweepMs: 250, healthySweepMs: 1000 });
  const sweep = (answers: MemberAnswer[]) => ({ at: Date.now(), answers, counts: countAnswers(answers) });

  it('sweeps every healthySweepMs while every member answers with a leader, every sweepMs as soon as one does not', () => {
    const m = monitor();
    // Nothing known yet: the fast cadence.
    expect(m.nextSweepMs()).toBe(250);
    m.lastSweep = sweep(['leader', 'leader', 'leader', 'leader', 'leader']);
    expect(m.nextSweepMs()).toBe(1000);
    // One member refusing (the first of a majority going down): back to the fast cadence at once.
    m.lastSweep = sweep(['leader', 'refused', 'leader', 'leader', 'leader']);
    expect(m.nextSweepMs()).toBe(250);
    m.lastSweep = sweep(['leader', 'silent', 'leader', 'leader', 'leader']);
    expect(m.nextSweepMs()).toBe(250);
    m.close();
  });
});
