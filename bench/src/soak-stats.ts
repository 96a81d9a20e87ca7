/**
 * The soak's arithmetic (issue 18 point 4), apart from its I/O so a unit test can check it: the
 * phases of a run, the median of a sampling window, growth between two windows, which HTTP
 * answers count as errors, and the verdict.
 */

export interface MemorySample {
  /** Seconds since the traffic started. */
  t: number;
  /** Resident set size (/proc/<pid>/status VmRSS), bytes. */
  rss: number | null;
  /** V8 heap used (/metrics nodejs_heap_size_used_bytes), bytes. */
  heapUsed: number | null;
  /** Event-loop delay p99 (/metrics nodejs_eventloop_lag_p99_seconds), seconds: a stall shows here. */
  loopLagP99?: number | null;
}

export interface SoakPhases {
  totalS: number;
  warmupS: number;
  windowS: number;
}

/**
 * A run of `minutes`: the first minute (a fifth of a shorter run) warms up; "before" is the median
 * of the next `windowS` seconds and "after" that of the last `windowS` (30 s, or a quarter of what
 * follows the warm-up in a short run, so the two windows never overlap).
 */
export function soakPhases(minutes: number, warmupS?: number, windowS?: number): SoakPhases {
  if (!Number.isFinite(minutes) || minutes <= 0) throw new Error('--minutes must be a positive number');
  const totalS = minutes * 60;
  const warm = warmupS ?? Math.min(60, totalS / 5);
  const win = windowS ?? Math.min(30, (totalS - warm) / 4);
  if (warm < 0 || win <= 0 || warm + 2 * win > totalS)
    throw new Error(`the warm-up (${warm} s) and two ${win} s windows must fit in the run (${totalS} s)`);
  return { totalS, warmupS: warm, windowS: win };
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The medians of RSS and heap used over the samples taken in [from, to] seconds. */
export function windowMedian(
  samples: readonly MemorySample[],
  from: number,
  to: number,
): { rss: number | null; heapUsed: number | null; n: number } {
  const inWindow = samples.filter((s) => s.t >= from && s.t <= to);
  return {
    rss: median(inWindow.flatMap((s) => (s.rss === null ? [] : [s.rss]))),
    heapUsed: median(inWindow.flatMap((s) => (s.heapUsed === null ? [] : [s.heapUsed]))),
    n: inWindow.length,
  };
}

/** Relative growth after/before - 1 (0.1 = 10% more), null when either side has no sample. */
export function growth(before: number | null, after: number | null): number | null {
  if (before === null || after === null || before <= 0) return null;
  return after / before - 1;
}

/** An error: a network failure (status 0) or any 5xx. An expected 4xx (409 sold out, 429) is an answer. */
export const isError = (status: number): boolean => status === 0 || status >= 500;

/** A prometheus text exposition's first sample of `name` (unlabelled or not), or null. */
export function promValue(text: string, name: string): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    let rest = line.slice(name.length);
    if (rest[0] === '{') rest = rest.slice(rest.indexOf('}') + 1);
    else if (rest[0] !== ' ') continue; // a longer name with this prefix
    const v = Number(rest.trim().split(/\s+/)[0]);
    if (Number.isFinite(v)) return v;
  }
  return null;
}

export interface ServiceVerdict {
  instanceId: string;
  rssGrowth: number | null;
  heapGrowth: number | null;
  pass: boolean;
}

/** Memory growth below `maxGrowth` on both RSS and heap used (a missing figure fails: nothing measured). */
export function memoryVerdict(instanceId: string, rssGrowth: number | null, heapGrowth: number | null, maxGrowth: number): ServiceVerdict {
  const ok = (g: number | null) => g !== null && g < maxGrowth;
  return { instanceId, rssGrowth, heapGrowth, pass: ok(rssGrowth) && ok(heapGrowth) };
}
