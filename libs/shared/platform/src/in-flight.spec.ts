import { InFlight } from './in-flight.js';

// Issue 13 point 7: the SIGTERM drain waits on these counters.
describe('InFlight', () => {
  it('idle() resolves at once when nothing is in flight, else when the last one leaves', async () => {
    const f = new InFlight();
    await f.idle();
    f.enter();
    f.enter();
    let idle = false;
    const waiting = f.idle().then(() => (idle = true));
    f.leave();
    await Promise.resolve();
    expect(idle).toBe(false);
    f.leave();
    await waiting;
    expect(f.count).toBe(0);
  });
});
