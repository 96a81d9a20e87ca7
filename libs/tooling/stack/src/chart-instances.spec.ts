/** Issue 25: the local stack's and the tests' deployed shape is the chart's, read from values.yaml. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkPinnedVersions } from './binaries.js';
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

it('the etcd and nats-server on this machine are the pinned versions the chart deploys (else the tiers refuse to start)', () => {
  expect(() => checkPinnedVersions(root)).not.toThrow();
});

it('other versions than the pinned ones: refused, naming what is needed and what was found', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pinned-'));
  try {
    fs.mkdirSync(path.join(dir, 'scripts'));
    fs.writeFileSync(path.join(dir, 'scripts/ensure-deps.sh'), 'ETCD_VERSION=9.9.9\nNATS_VERSION=9.9.8\n');
    expect(() => checkPinnedVersions(dir)).toThrow(/need etcd 9\.9\.9 \(found 3\.5\.\d+\) and nats-server 9\.9\.8 \(found 2\.10\.\d+\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
