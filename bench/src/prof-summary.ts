/**
 * Top self-time functions of a V8 .cpuprofile (node --cpu-prof), for docs/benchmarks.md.
 * Samples count from the first one whose stack runs code whose url contains `--from` (default
 * the inventory core), so process start-up (stack, imports) stays out of the table.
 *   node bench/dist/prof-summary.js tmp/prof/CPU....cpuprofile [--top 25] [--from inventory/core]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  options: { top: { type: 'string', default: '25' }, from: { type: 'string', default: 'inventory/core' } },
  allowPositionals: true,
});
for (const file of positionals) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inFrom = (id: number | undefined): boolean =>
    id !== undefined && (byId.get(id)!.callFrame.url.includes(values.from) || inFrom(parent.get(id)));
  const self = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  let started = false;
  prof.samples.forEach((id, i) => {
    started ||= inFrom(id);
    if (!started) return;
    const dt = prof.timeDeltas[i] ?? 0;
    total += dt;
    const f = byId.get(id)!.callFrame;
    const where = f.url
      ? `${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(libs|bench|services)\//, '$1/')}:${f.lineNumber + 1}`
      : '';
    const name = `${f.functionName || '(anonymous)'} ${where}`.trim();
    self.set(name, (self.get(name) ?? 0) + dt);
    const pkg =
      /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f.url)?.[1] ?? /\/(libs\/[^/]+\/[^/]+|bench)\//.exec(f.url)?.[1] ?? (f.url ? 'node' : name);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + dt);
  });
  const idle = (self.get('(idle)') ?? 0) + (self.get('(program)') ?? 0);
  console.log(`\n${path.basename(file)}: ${(total / 1e6).toFixed(1)} s sampled, idle+program ${((idle / total) * 100).toFixed(0)} %\n`);
  console.log('| self ms | self % | function |\n|--:|--:|---|');
  const pkgs = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 12);
  console.log(`by package: ${pkgs.map(([p, us]) => `${p} ${((us / total) * 100).toFixed(1)} %`).join(', ')}\n`);
  for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)))
    console.log(`| ${(us / 1000).toFixed(0)} | ${((us / total) * 100).toFixed(1)} | \`${name}\` |`);
}
