/**
 * The top self-time functions of .cpuprofile files (node --cpu-prof), one table per file, and
 * the share of each package (node_modules/<pkg>, our libs, node: internals) in it.
 *   node bench/dist/cpuprofile-top.js tmp/prof/*.cpuprofile [--top 25]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });

/** Where a function lives: a package, one of our projects, node internals, or the VM. */
function owner(url: string): string {
  if (!url) return '(vm)';
  if (url.startsWith('node:')) return 'node:internal';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const m = /\/(libs\/[^/]+\/[^/]+|services\/[^/]+)\//.exec(url);
  return m ? m[1]! : path.basename(url);
}

for (const file of positionals) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, number>();
  const owners = new Map<string, number>();
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${owner(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    fns.set(name, (fns.get(name) ?? 0) + us);
    owners.set(owner(f.url), (owners.get(owner(f.url)) ?? 0) + us);
  }
  const pct = (us: number) => `${((us / total) * 100).toFixed(1)}%`;
  console.log(`\n${path.basename(file)}: ${(total / 1000).toFixed(0)} ms sampled\n`);
  console.log('| self | function |\n|---:|---|');
  for (const [name, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`| ${pct(us)} | ${name} |`);
  console.log('\n| self | where |\n|---:|---|');
  for (const [name, us] of [...owners].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`| ${pct(us)} | ${name} |`);
}
