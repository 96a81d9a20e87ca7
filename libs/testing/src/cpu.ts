/**
 * CPU time of a stack's processes (issue 27): what a benchmark's load costs, by process, from
 * /proc/<pid>/stat (utime + stime), so a figure measured on a shared machine still counts the
 * work done rather than the time waited. Groups: each service (all its instances), `nats`,
 * `etcd x5`; a benchmark adds its own process separately and leaves it out of the tiers.
 */
import type { Stack } from '@ticketcd/stack';
import fs from 'node:fs';

/** CPU ms so far of one process (utime + stime, at the usual 100 ticks per second); 0 once it is gone. */
export function cpuMsOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces: the fields are counted from after its closing parenthesis.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

/** The group of etcd's five members. */
export const ETCD_GROUP = 'etcd x5';

/** The group a benchmark's own process (the load generator) is reported under by default. */
export const LOAD_GROUP = 'bench (load)';

/**
 * CPU ms so far of every process of the stack, by group: each service (its instances summed),
 * `nats`, `etcd x5`; with `self`, this process too under that name (left out of the tiers by
 * passing it to cpuTiers' `exclude`).
 */
export function stackCpu(stack: Pick<Stack, 'services' | 'nats' | 'etcd'>, self?: string): Map<string, number> {
  const m = new Map<string, number>();
  const add = (k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (const s of stack.services) if (s.process) add(s.spec.service, cpuMsOf(s.process.pid));
  if (stack.nats.process) add('nats', cpuMsOf(stack.nats.process.pid));
  for (const p of stack.etcd.processes) add(ETCD_GROUP, cpuMsOf(p.pid));
  if (self) {
    const own = process.cpuUsage();
    add(self, (own.user + own.system) / 1000);
  }
  return m;
}

/** Per group, the CPU ms between two snapshots divided by `per` (e.g. the sales in between). */
export function cpuPer(before: Map<string, number>, after: Map<string, number>, per: number): Map<string, number> {
  return new Map([...after].map(([k, v]) => [k, (v - (before.get(k) ?? 0)) / Math.max(1, per)]));
}

/**
 * The two tiers issue 27 reports: the app tier (every service and nats-server) and etcd; groups
 * named in `exclude` (the load generator) count in neither.
 */
export function cpuTiers(perGroup: Map<string, number>, exclude: readonly string[] = []): { app: number; etcd: number; total: number } {
  let app = 0;
  let etcd = 0;
  for (const [k, v] of perGroup) {
    if (exclude.includes(k)) continue;
    if (k === ETCD_GROUP) etcd += v;
    else app += v;
  }
  return { app, etcd, total: app + etcd };
}
