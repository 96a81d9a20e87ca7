/**
 * CPU time of a stack's processes from /proc, for CPU-per-request figures (not wall time: on a
 * shared machine the rate moves with the neighbours, CPU per request much less).
 */
import type { Stack } from '@ticketcd/testing';
import fs from 'node:fs';

/** CPU time (ms) of a process from /proc (utime + stime, at the usual 100 ticks per second). */
export function cpuMsOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

/** CPU ms so far of every process of the stack, grouped: each service (its instances summed), nats, etcd (5 members), this process. */
export function cpuSnapshot(stack: Stack, ownLabel = 'bench (load)'): Map<string, number> {
  const m = new Map<string, number>();
  const add = (k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (const s of stack.services) if (s.process) add(s.spec.service, cpuMsOf(s.process.pid));
  if (stack.nats.process) add('nats', cpuMsOf(stack.nats.process.pid));
  for (const p of stack.etcd.processes) add('etcd x5', cpuMsOf(p.pid));
  const own = process.cpuUsage();
  add(ownLabel, (own.user + own.system) / 1000);
  return m;
}

/** Per-unit CPU ms of each group between two snapshots. */
export const cpuPer = (before: Map<string, number>, after: Map<string, number>, units: number) =>
  new Map([...after].map(([k, v]) => [k, (v - (before.get(k) ?? 0)) / Math.max(1, units)]));
