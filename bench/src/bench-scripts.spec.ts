/**
 * Issue 18 point 5: `npm run bench` runs every benchmark. The runner reads the bench:* scripts
 * from package.json, so one added later is covered; these check that reading and the selection.
 */
import fs from 'node:fs';
import path from 'node:path';
import { benchScripts, selectBenchScripts, splitNames } from './bench-scripts.js';

const pkg = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};

describe('npm run bench', () => {
  it('runs the runner, which covers every bench:* script of package.json', () => {
    expect(pkg.scripts.bench).toMatch(/node bench\/dist\/bench-all\.js$/);
    const every = Object.keys(pkg.scripts).filter((n) => /^bench:/.test(n));
    expect(selectBenchScripts(benchScripts(pkg.scripts))).toEqual(every);
    // The benchmarks the issue names, so a rename that drops one shows here.
    for (const name of [
      'inventory',
      'gateway',
      'search',
      'notifier',
      'populate',
      'order-claim',
      'sustained',
      'inventory-scale',
      'web',
      'reads',
      'burst',
      'http-edge',
    ])
      expect(every).toContain(`bench:${name}`);
  });

  it('a new bench:* script is picked up without touching the runner', () => {
    expect(benchScripts({ build: 'x', bench: 'runner', 'bench:a': 'a', soak: 's', 'bench:new-one': 'n' })).toEqual([
      'bench:a',
      'bench:new-one',
    ]);
  });

  it('--only and --skip select, with or without the bench: prefix; an unknown name is an error', () => {
    const all = ['bench:a', 'bench:b', 'bench:c'];
    expect(selectBenchScripts(all, { only: ['a', 'bench:c'] })).toEqual(['bench:a', 'bench:c']);
    expect(selectBenchScripts(all, { skip: ['b'] })).toEqual(['bench:a', 'bench:c']);
    expect(selectBenchScripts(all, { only: ['a', 'b'], skip: ['a'] })).toEqual(['bench:b']);
    expect(() => selectBenchScripts(all, { skip: ['typo'] })).toThrow('no such benchmark: bench:typo');
    expect(splitNames(['a,b', 'c'])).toEqual(['a', 'b', 'c']);
  });
});
