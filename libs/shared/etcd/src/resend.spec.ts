/** Unit tests of the pause between resends of guarded writes through a leader election (issue 13 point 8): no I/O. */
import { resendPause } from './resend.js';

describe('resendPause', () => {
  it('pauses 50 ms doubling to 400 ms, jittered by half either way', () => {
    expect(resendPause(0, () => 0.5)).toBe(50);
    expect(resendPause(2, () => 0.5)).toBe(200);
    expect(resendPause(9, () => 0.5)).toBe(400);
    expect(resendPause(9, () => 0)).toBe(200);
  });
});
