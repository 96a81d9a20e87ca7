import { GroupCommitter } from './group-commit.js';

describe('GroupCommitter', () => {
  it('batches what arrives together, then everything that queued during a write, in arrival order', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const gc = new GroupCommitter<number, number>(100, async (_key, batch) => {
      batches.push(batch.map((b) => b.order));
      if (batches.length === 1) await gate;
      for (const b of batch) b.resolve(b.order * 10);
    });
    const first = Promise.all([0, 1].map((i) => gc.submit('event-1', i)));
    await new Promise((r) => setImmediate(r));
    // The first batch is being written: these queue behind it.
    const later = Promise.all([2, 3, 4, 5].map((i) => gc.submit('event-1', i)));
    expect(gc.pending).toBe(4);
    release();
    expect([...(await first), ...(await later)]).toEqual([0, 10, 20, 30, 40, 50]);
    expect(batches).toEqual([
      [0, 1],
      [2, 3, 4, 5],
    ]);
  });

  it('caps a batch and keeps events independent', async () => {
    const batches: [string, number[]][] = [];
    const gc = new GroupCommitter<number, number>(2, async (key, batch) => {
      batches.push([key, batch.map((b) => b.order)]);
      await Promise.resolve();
      for (const b of batch) b.resolve(b.order);
    });
    await Promise.all([1, 2, 3, 4, 5].map((n) => gc.submit('a', n)).concat([gc.submit('b', 9)]));
    expect(batches.filter(([k]) => k === 'a').map(([, b]) => b)).toEqual([[1, 2], [3, 4], [5]]);
    expect(batches.filter(([k]) => k === 'b').map(([, b]) => b)).toEqual([[9]]);
  });

  it('fails every order of a batch whose write failed, and goes on with the next', async () => {
    let calls = 0;
    const gc = new GroupCommitter<number, number>(10, async (_key, batch) => {
      calls++;
      if (calls === 1) throw new Error('store unavailable');
      for (const b of batch) b.resolve(b.order);
    });
    const first = gc.submit('e', 1);
    await expect(first).rejects.toThrow('store unavailable');
    await expect(gc.submit('e', 2)).resolves.toBe(2);
  });

  // Issue 13 point 7: a SIGTERM drain waits for the queued batches to be committed and answered.
  it('idle() resolves once every queued order of every event has been answered', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const answered: number[] = [];
    const gc = new GroupCommitter<number, number>(2, async (_key, batch) => {
      await gate;
      for (const b of batch) {
        answered.push(b.order);
        b.resolve(b.order);
      }
    });
    await gc.idle();
    const all = Promise.all([1, 2, 3].map((n) => gc.submit('a', n)).concat([gc.submit('b', 4)]));
    let idle = false;
    const waiting = gc.idle().then(() => (idle = true));
    await new Promise((r) => setImmediate(r));
    expect(idle).toBe(false);
    release();
    await waiting;
    expect(answered.sort()).toEqual([1, 2, 3, 4]);
    await all;
  });

  // Issue 17 point 1: with depth 2 the next batch of a key starts once the previous one has sent
  // its write (not when it is answered), batches still start in arrival order, and never more
  // than `depth` are in flight.
  it('pipelines up to `depth` batches of one key, each starting after the previous one sent', async () => {
    const started: number[][] = [];
    let inFlight = 0;
    let most = 0;
    const gates: (() => void)[] = [];
    const gc = new GroupCommitter<number, number>(
      2,
      async (_key, batch, sent) => {
        started.push(batch.map((b) => b.order));
        most = Math.max(most, ++inFlight);
        sent();
        await new Promise<void>((r) => gates.push(r));
        inFlight--;
        for (const b of batch) b.resolve(b.order);
      },
      2,
    );
    const all = Promise.all([1, 2, 3, 4, 5, 6].map((n) => gc.submit('e', n)));
    for (let i = 0; i < 20 && gates.length < 2; i++) await new Promise((r) => setImmediate(r));
    expect(started).toEqual([
      [1, 2],
      [3, 4],
    ]);
    while (started.flat().length < 6 || gates.length > 0) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect(await all).toEqual([1, 2, 3, 4, 5, 6]);
    expect(started.flat()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(most).toBe(2);
  });
});
