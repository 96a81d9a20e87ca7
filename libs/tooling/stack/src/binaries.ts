/** Finds etcd and nats-server; Debian puts nats-server in /usr/sbin, often not on a user's PATH. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin'];

export function findBinary(name: string): string {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...EXTRA_DIRS].filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new Error(
    `${name} not found; install it with: sudo apt-get install -y etcd-server etcd-client nats-server (or run scripts/ensure-deps.sh)`,
  );
}

/**
 * The etcd and nats-server versions the chart deploys, pinned in scripts/ensure-deps.sh (one
 * source; test/deploy/chart.spec.ts ties the chart's image tags to it). The tests run on these
 * and no other: a machine with other versions fails at once, saying so, never silently.
 */
export function checkPinnedVersions(repoRoot: string): void {
  const deps = fs.readFileSync(path.join(repoRoot, 'scripts/ensure-deps.sh'), 'utf8');
  const pinned = (name: string) => new RegExp(`^${name}=([0-9.]+)$`, 'm').exec(deps)?.[1];
  const found = (bin: string, pattern: RegExp) => {
    const r = spawnSync(findBinary(bin), ['--version'], { encoding: 'utf8' });
    return pattern.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'unknown';
  };
  const problems: string[] = [];
  const etcd = found('etcd', /etcd Version: ([0-9.]+)/);
  if (etcd !== pinned('ETCD_VERSION')) problems.push(`etcd ${pinned('ETCD_VERSION')} (found ${etcd})`);
  const nats = found('nats-server', /nats-server: v([0-9.]+)/);
  if (nats !== pinned('NATS_VERSION')) problems.push(`nats-server ${pinned('NATS_VERSION')} (found ${nats})`);
  if (problems.length)
    throw new Error(`the tests run on the versions the chart deploys: need ${problems.join(' and ')}; run scripts/ensure-deps.sh`);
}
