/**
 * Issue 15, point 6: docs/deploy.md stays true to the code and the chart. Every ticketcd_* metric
 * the services export is explained there, and every chart value it names exists in
 * helm/ticketcd/values.yaml (a renamed value or a new metric fails here).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './ship-helpers.js';

const doc = fs.readFileSync(path.join(ROOT, 'docs/deploy.md'), 'utf8');

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!['node_modules', 'dist', 'test'].includes(entry.name)) sources(file, out);
    } else if (entry.name.endsWith('.ts') && !/\.(spec|int-spec|e2e-spec)\.ts$/.test(entry.name)) out.push(file);
  }
  return out;
}

describe('docs/deploy.md', () => {
  it('explains every ticketcd_* metric the services export', () => {
    const files = [...sources(path.join(ROOT, 'libs/shared')), ...sources(path.join(ROOT, 'services'))];
    const metrics = new Set<string>();
    for (const file of files) {
      const src = fs.readFileSync(file, 'utf8');
      // names given to prom-client (`name: '...', help:`) or to the registry's gauge helper
      for (const m of src.matchAll(/(?:name:\s*'(ticketcd_[a-z_]+)',\s*help:|gauge\(\s*'(ticketcd_[a-z_]+)')/g)) {
        metrics.add((m[1] ?? m[2])!);
      }
    }
    expect(metrics.size).toBeGreaterThan(5);
    const missing = [...metrics].filter((name) => {
      // `ticketcd_outbox_quarantined` / `_total` counts for both
      const short = name.replace(/^ticketcd_outbox_quarantined_total$/, '_total');
      return !doc.includes(`\`${name}\``) && !doc.includes(`\`${short}\``);
    });
    expect(missing).toEqual([]);
  });

  it('names only chart values that exist', () => {
    const values = parse(fs.readFileSync(path.join(ROOT, 'helm/ticketcd/values.yaml'), 'utf8')) as Record<string, unknown>;
    const has = (dotted: string): boolean => {
      let node: unknown = values;
      for (const part of dotted.replace(/^services\.<s>/, 'services.gateway').split('.')) {
        if (node === null || typeof node !== 'object' || !(part in node)) return false;
        node = (node as Record<string, unknown>)[part];
      }
      return true;
    };
    const roots = Object.keys(values);
    const named = [...doc.matchAll(/`([a-z][A-Za-z]*(?:\.(?:<s>|[a-zA-Z-]+))+)`/g)]
      .map((m) => m[1]!)
      .filter((p) => roots.includes(p.split('.')[0]!) && !p.includes('/'));
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((p) => !has(p))).toEqual([]);
  });
});
