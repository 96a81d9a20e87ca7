/** Issue 25: the local stack's and the tests' deployed shape is the chart's, read from values.yaml. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chartInstances, parseInstanceCounts } from './chart-instances.js';
import { ALL_SERVICES } from './services.js';

const root = path.resolve(import.meta.dirname, '../../../..');

it("reads every service's instance count from the chart: two or more of each, as deployed", () => {
  const counts = chartInstances(root);
  expect(Object.keys(counts).sort()).toEqual([...ALL_SERVICES].sort());
  for (const service of ALL_SERVICES) expect(counts[service]).toBeGreaterThanOrEqual(2);
});

it('takes the HPA minimum when autoscaling owns the count, and names a bad value', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-instances-'));
  try {
    fs.mkdirSync(path.join(dir, 'helm/ticketcd'), { recursive: true });
    const svc = (s: string) =>
      s === 'orders'
        ? `  ${s}:\n    replicaCount: 2\n    autoscaling:\n      enabled: true\n      minReplicas: 4\n`
        : `  ${s}:\n    replicaCount: 3\n`;
    fs.writeFileSync(path.join(dir, 'helm/ticketcd/values.yaml'), `services:\n${ALL_SERVICES.map(svc).join('')}`);
    expect(chartInstances(dir)).toMatchObject({ orders: 4, gateway: 3 });
    fs.writeFileSync(path.join(dir, 'helm/ticketcd/values.yaml'), 'services:\n  gateway:\n    replicaCount: two\n');
    expect(() => chartInstances(dir)).toThrow(/services\.gateway\.replicaCount/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

it("--instances: the README's forms (`chart`, `chart,inventory=3`, `inventory=3,orders=2`) and clear refusals", () => {
  const chart = chartInstances(root);
  expect(parseInstanceCounts(['chart'], root)).toEqual(chart);
  expect(parseInstanceCounts(['chart,inventory=3'], root)).toEqual({ ...chart, inventory: 3 });
  expect(parseInstanceCounts(['inventory=3,orders=2'], root)).toEqual({ inventory: 3, orders: 2 });
  expect(() => parseInstanceCounts(['payments=2'], root)).toThrow(/unknown service "payments"/);
  expect(() => parseInstanceCounts(['orders=9'], root)).toThrow(/orders needs a count from 1 to 8/);
});
