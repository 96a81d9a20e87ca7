/** Unit tests of resending guarded writes through a leader election (issue 13 point 8): no I/O. */
import { EtcdUnavailableError } from './errors.js';
import { resendGuarded, resendPause } from './resend.js';

const lost = () => new EtcdUnavailableError('etcd unavailable during a claim: etcdserver: leader changed', true);

describe('resendGuarded', () => {
  it('resends after availability errors until the write answers, each send with its own short deadline', async () => {
    const deadlines: number[] = [];
    const started = Date.now();
    const out = await resendGuarded({ deadlineAt: started + 5000, attemptMs: 1000 }, async (d) => {
      deadlines.push(d.getTime() - Date.now());
      if (deadlines.length < 3) throw lost();
      return 'answered';
    });
    expect(out).toBe('answered');
    expect(deadlines).toHaveLength(3);
    for (const d of deadlines) expect(d).toBeLessThanOrEqual(1000);
  });

  it('gives up with the last availability error when the deadline leaves no time for another send', async () => {
    let sends = 0;
    const failing = async () => {
      sends++;
      throw lost();
    };
    await expect(resendGuarded({ deadlineAt: Date.now() + 300, attemptMs: 1000 }, failing)).rejects.toBeInstanceOf(EtcdUnavailableError);
    expect(sends).toBeGreaterThanOrEqual(1);
    expect(sends).toBeLessThan(6);
  });

  it('never resends other errors (a bad request, a failed decision)', async () => {
    let sends = 0;
    const bad = async () => {
      sends++;
      throw new RangeError('too many keys');
    };
    await expect(resendGuarded({ deadlineAt: Date.now() + 5000, attemptMs: 1000 }, bad)).rejects.toThrow(RangeError);
    expect(sends).toBe(1);
  });

  it('pauses 50 ms doubling to 400 ms, jittered by half either way', () => {
    expect(resendPause(0, () => 0.5)).toBe(50);
    expect(resendPause(2, () => 0.5)).toBe(200);
    expect(resendPause(9, () => 0.5)).toBe(400);
    expect(resendPause(9, () => 0)).toBe(200);
  });

  it('stops resending as soon as stopIf names a reason (issue 25.1: quorum known lost), keeping the error ambiguous', async () => {
    let sends = 0;
    let lostNow: string | null = null;
    const started = Date.now();
    const failing = async () => {
      sends++;
      if (sends === 2) lostNow = 'etcd quorum lost: 3 of 5 members refuse connections';
      throw lost();
    };
    const err = await resendGuarded({ deadlineAt: started + 5000, attemptMs: 1000, stopIf: () => lostNow }, failing).catch((e) => e);
    expect(err).toBeInstanceOf(EtcdUnavailableError);
    expect({ sends, message: (err as Error).message, ambiguous: (err as EtcdUnavailableError).ambiguous }).toEqual({
      sends: 2,
      message: expect.stringMatching(/^etcd quorum lost: 3 of 5 members refuse connections \(etcd unavailable during a claim/),
      ambiguous: true,
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
