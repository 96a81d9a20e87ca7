/** Issue 18 point 4: the soak's arithmetic (phases, window medians, growth, what is an error, the verdict). */
import { growth, isError, median, memoryVerdict, promValue, soakPhases, windowMedian } from './soak-stats.js';

describe('soak arithmetic', () => {
  it('phases: a warm-up minute and 30 s windows in a 10 minute run; scaled down in a short one', () => {
    expect(soakPhases(10)).toEqual({ totalS: 600, warmupS: 60, windowS: 30 });
    expect(soakPhases(0.5)).toEqual({ totalS: 30, warmupS: 6, windowS: 6 });
    expect(() => soakPhases(0)).toThrow('--minutes');
    expect(() => soakPhases(1, 50, 10)).toThrow('must fit');
  });

  it('window medians ignore samples outside the window and missing figures', () => {
    const samples = [
      { t: 1, rss: 1000, heapUsed: 10 },
      { t: 60, rss: 100, heapUsed: 10 },
      { t: 70, rss: 300, heapUsed: null },
      { t: 80, rss: 200, heapUsed: 30 },
      { t: 95, rss: 9999, heapUsed: 9999 },
    ];
    expect(windowMedian(samples, 60, 90)).toEqual({ rss: 200, heapUsed: 20, n: 3 });
    expect(median([])).toBeNull();
  });

  it('growth and verdict: below the limit on both RSS and heap passes; a missing figure fails', () => {
    expect(growth(100, 114)).toBeCloseTo(0.14);
    expect(growth(null, 1)).toBeNull();
    expect(memoryVerdict('x', 0.14, -0.2, 0.15).pass).toBe(true);
    expect(memoryVerdict('x', 0.14, 0.15, 0.15).pass).toBe(false);
    expect(memoryVerdict('x', null, 0, 0.15).pass).toBe(false);
  });

  it('errors are 5xx and network failures, not expected 4xx', () => {
    expect([0, 500, 503].map(isError)).toEqual([true, true, true]);
    expect([200, 201, 404, 409, 429].map(isError)).toEqual([false, false, false, false, false]);
  });

  it('reads a gauge from a prometheus exposition, not a longer name sharing its prefix', () => {
    const text =
      '# HELP x\nnodejs_heap_size_used_bytes_total 1\nnodejs_heap_size_used_bytes 123456\nprocess_resident_memory_bytes{a="b"} 789\n';
    expect(promValue(text, 'nodejs_heap_size_used_bytes')).toBe(123456);
    expect(promValue(text, 'process_resident_memory_bytes')).toBe(789);
    expect(promValue(text, 'missing')).toBeNull();
  });
});
