/**
 * Step 1 of a restore, per member: `etcdutl snapshot restore` of one snapshot into a fresh data
 * dir with the member's name, peer URL, the cluster's member list and token, the revision bumped
 * and marked compacted. The argv is built here only, so what the chart's restore pods run (the
 * etcd image runs etcdutl itself: it has no Node) is what `etcd-restore member` runs and the
 * test runs (`--print-args` prints it).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';

/**
 * How far the restored store's revision is moved past the snapshot's (`--bump-revision`). It must
 * exceed every revision the old cluster reached after the snapshot: services hold revisions in
 * memory (watch starts, compares, the notifier's `since`) and in JetStream message ids
 * (`stock:<event>:<type>:<revision>`, alert ids derived from a revision); a new commit reusing
 * one would be dropped as a duplicate, skipped by a watch or taken for an old crossing. 10^9 is
 * about 5.8 days of commits at 2,000 write Txns/s (far above what one etcd leader commits here,
 * docs/benchmarks.md) past a snapshot taken every 6 h; revisions are int64, so the gap costs
 * nothing. `realign` checks it: a revision in JetStream at or above the restored one fails it.
 */
export const DEFAULT_BUMP_REVISION = 1_000_000_000;

export interface MemberRestoreOptions {
  snapshot: string;
  name: string;
  dataDir: string;
  /** This member's peer URL (its `--initial-advertise-peer-urls`). */
  peerUrl: string;
  /** `name=peerURL,...` of every member, as the members start with. */
  initialCluster: string;
  token: string;
  bumpRevision?: number;
}

/** What a restore command refuses or fails on, with the exit code the CLI uses. */
export class RestoreError extends Error {
  override readonly name = 'RestoreError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Usage errors: the arguments cannot describe a member of that cluster. */
export function checkMemberOptions(o: MemberRestoreOptions): void {
  for (const [flag, v] of Object.entries({
    '--snapshot': o.snapshot,
    '--name': o.name,
    '--data-dir': o.dataDir,
    '--initial-advertise-peer-urls': o.peerUrl,
    '--initial-cluster': o.initialCluster,
    '--initial-cluster-token': o.token,
  }))
    if (!v) throw new RestoreError(`${flag} is required`, 64);
  const members = o.initialCluster.split(',').map((m) => m.trim().split('='));
  const bad = members.filter((m) => m.length !== 2 || !m[0] || !/^https?:\/\/[^/]+/.test(m[1] ?? ''));
  if (bad.length) throw new RestoreError(`--initial-cluster: not name=http(s)://host:port: ${bad.map((m) => m.join('=')).join(', ')}`, 64);
  const mine = members.find(([n]) => n === o.name);
  if (!mine) throw new RestoreError(`--name ${o.name} is not in --initial-cluster (${members.map(([n]) => n).join(', ')})`, 64);
  if (mine[1] !== o.peerUrl)
    throw new RestoreError(`--initial-advertise-peer-urls ${o.peerUrl} differs from ${o.name}'s URL in --initial-cluster (${mine[1]})`, 64);
  const bump = o.bumpRevision ?? DEFAULT_BUMP_REVISION;
  if (!Number.isSafeInteger(bump) || bump < 1) throw new RestoreError(`--bump-revision must be a whole number >= 1, got ${bump}`, 64);
}

export function etcdutlRestoreArgs(o: MemberRestoreOptions): string[] {
  return [
    'snapshot',
    'restore',
    o.snapshot,
    `--name=${o.name}`,
    `--data-dir=${o.dataDir}`,
    `--initial-cluster=${o.initialCluster}`,
    `--initial-cluster-token=${o.token}`,
    `--initial-advertise-peer-urls=${o.peerUrl}`,
    `--bump-revision=${o.bumpRevision ?? DEFAULT_BUMP_REVISION}`,
    '--mark-compacted',
  ];
}

function run(bin: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve({ stdout, stderr });
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      if (e.code === 'ENOENT') return reject(new RestoreError(`${bin} not found (give its path with --etcdutl)`, 69));
      if (e.killed) return reject(new RestoreError(`${bin} ${args.slice(0, 2).join(' ')} did not finish within ${timeoutMs} ms`, 75));
      reject(
        new RestoreError(
          `${bin} ${args.slice(0, 2).join(' ')} failed: ${(stderr || e.message).trim().split('\n').slice(-3).join(' | ')}`,
          1,
        ),
      );
    });
  });
}

export interface MemberRestoreResult {
  member: string;
  dataDir: string;
  /** The snapshot's revision (etcdutl snapshot status). */
  snapshotRevision: number;
  /** The restored store's revision: every later commit is above it. */
  restoredRevision: number;
  totalKeys: number;
}

/**
 * Checks the snapshot (its hash, through `snapshot status`), refuses a data dir that exists and
 * is not empty (never restores over data), then restores. Each etcdutl run has a deadline.
 */
export async function restoreMember(o: MemberRestoreOptions, etcdutl = 'etcdutl', timeoutMs = 600_000): Promise<MemberRestoreResult> {
  checkMemberOptions(o);
  try {
    fs.accessSync(o.snapshot, fs.constants.R_OK);
  } catch {
    throw new RestoreError(`snapshot ${o.snapshot} is not a readable file`, 66);
  }
  if (fs.existsSync(o.dataDir) && fs.readdirSync(o.dataDir).length > 0)
    throw new RestoreError(`data dir ${o.dataDir} exists and is not empty: a restore goes into a fresh one (move or delete it first)`, 73);
  if (fs.existsSync(o.dataDir)) fs.rmdirSync(o.dataDir); // etcdutl refuses an existing dir, even empty
  const status = await run(etcdutl, ['snapshot', 'status', o.snapshot, '--write-out=json'], timeoutMs);
  let parsed: { revision?: number; totalKey?: number };
  try {
    parsed = JSON.parse(status.stdout) as typeof parsed;
  } catch {
    throw new RestoreError(`etcdutl snapshot status: unexpected output: ${status.stdout.slice(0, 200)}`, 1);
  }
  await run(etcdutl, etcdutlRestoreArgs(o), timeoutMs);
  const snapshotRevision = Number(parsed.revision ?? 0);
  return {
    member: o.name,
    dataDir: o.dataDir,
    snapshotRevision,
    restoredRevision: snapshotRevision + (o.bumpRevision ?? DEFAULT_BUMP_REVISION),
    totalKeys: Number(parsed.totalKey ?? 0),
  };
}
