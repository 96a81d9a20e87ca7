/**
 * Issue 16 point 1, through the real binary (built: `npm run build` first): the same config, seed
 * and anchor give identical files; a bad config names the field, exits 2, prints no stack trace.
 * Every example in docs/ticketctl.md is run here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../../../../..');
const CLI = join(ROOT, 'libs/tooling/ticketctl/dist/cli.js');

function ticketctl(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ticketctl generate (CLI)', () => {
  let dir: string;

  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
    dir = mkdtempSync(join(tmpdir(), 'ticketctl-generate-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes identical files for the same config, seed and anchor', () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    const first = ticketctl('generate', '--config', 'data/report.yaml', '--seed', '7', '--anchor', '2026-12-01', '--out', a);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(
      /^generated 10 users \(\d+ admins\), 10 events, \d+ ticket types, \d+ favourites, \d+ subscriptions, \d+ purchases/,
    );
    expect(ticketctl('generate', '--config', 'data/report.yaml', '--seed', '7', '--anchor', '2026-12-01', '--out', b).code).toBe(0);
    expect(readFileSync(a, 'utf8')).toBe(readFileSync(b, 'utf8'));
    const d = JSON.parse(readFileSync(a, 'utf8'));
    expect(d.seed).toBe(7);
    expect(d.anchor).toBe('2026-12-01T00:00:00.000Z');
    expect(d.users).toHaveLength(10);
    // stdout carries the same bytes as --out.
    const piped = ticketctl('generate', '--config', 'data/report.yaml', '--seed', '7', '--anchor', '2026-12-01');
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe(readFileSync(a, 'utf8'));
  });

  it("uses the config's seed by default, and --pretty only changes the layout", () => {
    const out = ticketctl('generate', '--config', 'data/demo.yaml', '--anchor', '2026-12-01', '--pretty');
    expect(out.code).toBe(0);
    expect(out.stdout.split('\n').length).toBeGreaterThan(1000);
    const d = JSON.parse(out.stdout);
    expect(d.seed).toBe(1);
    expect(d.users).toHaveLength(200);
    expect(d.events).toHaveLength(24);
    const compact = ticketctl('generate', '--config', 'data/demo.yaml', '--anchor', '2026-12-01');
    expect(JSON.stringify(JSON.parse(compact.stdout))).toBe(JSON.stringify(d));
  });

  it('exits 2 on a bad config, naming every bad field, one per line, no stack trace', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      [
        'users: { count: 10, adminProbability: 2 }',
        'events: { count: 10, colour: red }',
        'ticketTypes:',
        '  - { name: pink, price: { min: 1, max: 2 } }',
        '  - { name: blue, price: { min: -5, max: 2 } }',
        '',
      ].join('\n'),
    );
    const r = ticketctl('generate', '--config', bad);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([
      `ticketctl: invalid data config ${bad}:`,
      '  users.adminProbability: must be between 0 and 1',
      '  events.colour: unknown field',
      '  ticketTypes[1].price.min: must be >= 0',
      '',
    ]);
  });

  it('exits 2 on a missing config file, a bad --seed or a bad --anchor', () => {
    const missing = ticketctl('generate', '--config', join(dir, 'nope.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read data config .*nope\.yaml: ENOENT/);
    const seed = ticketctl('generate', '--config', 'data/report.yaml', '--seed', 'abc');
    expect(seed.code).toBe(2);
    expect(seed.stderr).toMatch(/--seed: must be a whole number/);
    const anchor = ticketctl('generate', '--config', 'data/report.yaml', '--anchor', 'next monday');
    expect(anchor.code).toBe(2);
    expect(anchor.stderr).toMatch(/--anchor: must be an ISO date/);
  });
});
