import fs from 'node:fs';
import type { Stack } from '@ticketcd/testing';

/** Closed-loop load: `concurrency` workers each send the next order as soon as the last is answered. */
export interface RunResult<R> {
  orders: number;
  elapsedMs: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  results: R[];
  /** Sends that threw (e.g. etcd timing out under overload). */
  errors: number;
}

export async function closedLoop<R>(opts: {
  concurrency: number;
  maxOrders: number;
  maxMs: number;
  send: (i: number) => Promise<R>;
}): Promise<RunResult<R>> {
  let issued = 0;
  const latencies: number[] = [];
  const results: R[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + opts.maxMs;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (issued < opts.maxOrders && performance.now() < deadline) {
        const i = issued++;
        const t0 = performance.now();
        try {
          results.push(await opts.send(i));
          latencies.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return {
    orders: results.length,
    elapsedMs,
    perSecond: (results.length / elapsedMs) * 1000,
    p50Ms: pct(50),
    p99Ms: pct(99),
    results,
    errors,
  };
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The p-th percentile (nearest rank) of unsorted samples; 0 for none. */
export const percentile = (xs: readonly number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

/** CPU time (ms) of a process from /proc (utime + stime, at the usual 100 ticks per second); 0 once it is gone. */
export function cpuMsOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

/** CPU ms so far of every process of a stack, grouped: each service (its instances summed), nats, etcd (5 members), this process. */
export function stackCpuSnapshot(stack: Pick<Stack, 'services' | 'nats' | 'etcd'>, self = 'bench (load)'): Map<string, number> {
  const m = new Map<string, number>();
  const add = (k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (const s of stack.services) if (s.process) add(s.spec.service, cpuMsOf(s.process.pid));
  if (stack.nats.process) add('nats', cpuMsOf(stack.nats.process.pid));
  for (const p of stack.etcd.processes) add('etcd x5', cpuMsOf(p.pid));
  const own = process.cpuUsage();
  add(self, (own.user + own.system) / 1000);
  return m;
}

/** CPU ms per unit of work (requests, sales) by process group between two snapshots. */
export const cpuPerUnit = (before: Map<string, number>, after: Map<string, number>, units: number): Map<string, number> =>
  new Map([...after].map(([k, v]) => [k, (v - (before.get(k) ?? 0)) / Math.max(1, units)]));
