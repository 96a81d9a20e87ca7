/**
 * Instances per service as the chart deploys them (helm/ticketcd/values.yaml: each service's
 * replicaCount, or its HPA minimum when autoscaling is on). `npm run stack -- --instances chart`
 * and the tests' deployed shape read them here, so the local stack and the chart cannot drift.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ALL_SERVICES } from './services.js';

export const CHART_VALUES = 'helm/ticketcd/values.yaml';

interface ServiceValues {
  replicaCount?: unknown;
  autoscaling?: { enabled?: unknown; minReplicas?: unknown };
}

export function chartInstances(repoRoot: string): Record<string, number> {
  const file = path.join(repoRoot, CHART_VALUES);
  const values = parse(fs.readFileSync(file, 'utf8')) as { services?: Record<string, ServiceValues> };
  const out: Record<string, number> = {};
  for (const service of ALL_SERVICES) {
    const v = values.services?.[service];
    const n = v?.autoscaling?.enabled === true ? v.autoscaling.minReplicas : v?.replicaCount;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
      throw new Error(`${file}: services.${service}.replicaCount is not a whole number >= 1 (${JSON.stringify(n)})`);
    out[service] = n;
  }
  return out;
}

/**
 * `--instances` of the launcher: `name=n` pairs (1..8), and `chart` for every service's count from
 * the chart; later entries win (`chart,inventory=3`). Throws with a message naming the bad entry.
 */
export function parseInstanceCounts(specs: string[], repoRoot: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const spec of specs.flatMap((s) => s.split(','))) {
    if (spec === 'chart') {
      Object.assign(out, chartInstances(repoRoot));
      continue;
    }
    const [name, count] = spec.split('=');
    if (!name || !(ALL_SERVICES as readonly string[]).includes(name))
      throw new Error(`--instances: unknown service "${name}" (one of ${ALL_SERVICES.join(', ')}, or "chart" for the chart's counts)`);
    const n = Number(count);
    if (!Number.isInteger(n) || n < 1 || n > 8) throw new Error(`--instances: ${name} needs a count from 1 to 8, got "${count}"`);
    out[name] = n;
  }
  return out;
}
