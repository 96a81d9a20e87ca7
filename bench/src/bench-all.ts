/**
 * `npm run bench` (issue 18 point 5): every `bench:*` script of package.json, one after the other.
 * It stops at nothing: a benchmark that fails is reported and the next one runs; the end lists
 * each one's exit code and time, and the exit code is 1 if any failed. It takes the machine for a
 * long time: run it on a quiet one.
 *   npm run bench [-- --only gateway,search] [-- --skip web --skip populate] [-- --list]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchScripts, selectBenchScripts, splitNames } from './bench-scripts.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    skip: { type: 'string', multiple: true },
    list: { type: 'boolean', default: false },
  },
});
const root = path.resolve(import.meta.dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const selected = selectBenchScripts(benchScripts(pkg.scripts), { only: splitNames(values.only), skip: splitNames(values.skip) });
if (values.list) {
  for (const name of selected) console.log(name);
  process.exit(0);
}

const npm = process.env.npm_execpath ? ([process.execPath, [process.env.npm_execpath]] as const) : (['npm', []] as const);
const results: { name: string; code: number | null; signal: string | null; seconds: number }[] = [];
for (const name of selected) {
  console.log(`\n=== npm run ${name} (${results.length + 1}/${selected.length}, ${new Date().toISOString()})`);
  const t0 = performance.now();
  const r = spawnSync(npm[0], [...npm[1], 'run', name], { cwd: root, stdio: 'inherit' });
  results.push({ name, code: r.status, signal: r.signal, seconds: (performance.now() - t0) / 1000 });
}
console.log('\n| benchmark | exit code | seconds |');
console.log('|---|---:|---:|');
for (const r of results) console.log(`| ${r.name} | ${r.code ?? `signal ${r.signal}`} | ${r.seconds.toFixed(0)} |`);
const failed = results.filter((r) => r.code !== 0);
console.log(
  failed.length
    ? `\n${failed.length} of ${results.length} failed: ${failed.map((r) => r.name).join(', ')}`
    : `\nall ${results.length} ran (exit code 0)`,
);
process.exit(failed.length ? 1 : 0);
