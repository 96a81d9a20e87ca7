/**
 * etcd-backup: one snapshot of the etcd cluster to an S3-compatible store, then retention (the
 * chart's backup CronJob runs it in the tools image; snapshot-backup.ts does the work).
 *   node libs/tooling/deploy/dist/etcd-backup.js            take, check, upload, prune
 *   node libs/tooling/deploy/dist/etcd-backup.js list       list the snapshot objects, oldest first
 *   node libs/tooling/deploy/dist/etcd-backup.js get <object key> <file>
 *       download one (for a restore), checked as before an upload; prints its time and revision
 * Environment:
 *   ETCD_ENDPOINTS (comma-separated), ETCD_TLS_CA_FILE / _CERT_FILE / _KEY_FILE, ETCD_ROOT_PASSWORD
 *     (with etcd auth on: Snapshot needs root), ETCD_DEADLINE_MS (each unary call, 5000),
 *     BACKUP_SNAPSHOT_TIMEOUT_S (the snapshot stream, 600)
 *   BACKUP_S3_ENDPOINT (empty: AWS), BACKUP_S3_REGION (us-east-1), BACKUP_S3_BUCKET (required),
 *     BACKUP_S3_PREFIX, BACKUP_S3_FORCE_PATH_STYLE (true|false), AWS_ACCESS_KEY_ID /
 *     AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (absent: the SDK's default chain),
 *     BACKUP_S3_TIMEOUT_S (each S3 request, 60), BACKUP_UPLOAD_TIMEOUT_S (the whole upload, 1800),
 *     BACKUP_S3_PART_MB (multipart part size, 16; at least 5)
 *   BACKUP_RETENTION (snapshot objects kept under the prefix, the new one included; 10),
 *   BACKUP_SCRATCH_DIR (where the snapshot is written and checked before the upload; os.tmpdir())
 * Exit codes: 0 done, 64 usage, 78 configuration, 69 etcd unreachable (or no member with a
 * leader), 77 etcd refused root, 74 the S3 store unreachable or refused (named; nothing deleted
 * when it fails before the upload), 65 the snapshot failed its check (nothing uploaded), 1 other.
 * No secret is ever printed.
 */
import os from 'node:os';
import { BackupError, downloadSnapshot, EXIT, listSnapshots, runBackup, s3Client, storeName, type S3Target } from './snapshot-backup.js';
import { etcdEnv, ConfigError } from './tool-env.js';

function fail(message: string, code: number): never {
  process.stderr.write(`etcd-backup: ${message}\n`);
  process.exit(code);
}

const positive = (env: NodeJS.ProcessEnv, name: string, dflt: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${name} must be a positive number (got "${raw}")`);
  return n;
};

export function s3Target(env: NodeJS.ProcessEnv): S3Target {
  const bucket = env.BACKUP_S3_BUCKET?.trim();
  if (!bucket) throw new ConfigError('BACKUP_S3_BUCKET is required');
  const endpoint = env.BACKUP_S3_ENDPOINT?.trim() || undefined;
  if (endpoint && !/^https?:\/\/[^/]+/.test(endpoint)) throw new ConfigError(`BACKUP_S3_ENDPOINT: not an http(s) URL: ${endpoint}`);
  const pathStyle = (env.BACKUP_S3_FORCE_PATH_STYLE ?? 'false').trim().toLowerCase();
  if (!['true', 'false'].includes(pathStyle))
    throw new ConfigError(`BACKUP_S3_FORCE_PATH_STYLE must be true or false (got "${pathStyle}")`);
  const id = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  if (Boolean(id) !== Boolean(secret)) throw new ConfigError('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together');
  return {
    endpoint,
    region: env.BACKUP_S3_REGION?.trim() || 'us-east-1',
    bucket,
    prefix: env.BACKUP_S3_PREFIX ?? '',
    forcePathStyle: pathStyle === 'true',
    ...(id && secret
      ? {
          credentials: {
            accessKeyId: id,
            secretAccessKey: secret,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {}),
    requestTimeoutMs: positive(env, 'BACKUP_S3_TIMEOUT_S', 60) * 1000,
  };
}

async function main(argv: string[]): Promise<void> {
  const env = process.env;
  const [command] = argv;
  const log = (line: string) => process.stdout.write(`etcd-backup: ${line}\n`);
  if (command === 'list') {
    const s3 = s3Target(env);
    const client = s3Client(s3);
    try {
      const objects = await listSnapshots(client, s3);
      for (const o of objects.sort((a, b) => a.Key!.localeCompare(b.Key!))) process.stdout.write(`${o.Key}\t${o.Size ?? '?'}\n`);
      log(`${objects.length} snapshot(s) in ${storeName(s3)}`);
    } catch (e) {
      throw new BackupError(
        `S3 store ${storeName(s3)}: listing failed: ${(e as Error).message.split('\n')[0] || (e as Error).name}`,
        EXIT.store,
        e,
      );
    } finally {
      client.destroy();
    }
    return;
  }
  if (command === 'get') {
    const [, key, file] = argv;
    if (!key || !file) fail('usage: etcd-backup.js get <object key> <file>', EXIT.usage);
    const s3 = s3Target(env);
    const got = await downloadSnapshot(s3, key, file, positive(env, 'BACKUP_UPLOAD_TIMEOUT_S', 1800) * 1000);
    // The time in the name is when the snapshot was taken: `etcd-restore.js realign --since` wants it.
    const at = got.stamp.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/, '$1-$2-$3T$4:$5:$6.$7Z');
    log(`${key} -> ${file}: ${got.bytes} bytes, checked; taken at ${at}, revision >= ${got.revision}`);
    return;
  }
  if (command !== undefined) fail('usage: etcd-backup.js [list | get <object key> <file>]', EXIT.usage);
  const etcd = etcdEnv(env);
  const s3 = s3Target(env);
  const retention = positive(env, 'BACKUP_RETENTION', 10);
  if (!Number.isInteger(retention)) throw new ConfigError(`BACKUP_RETENTION must be an integer >= 1 (got ${retention})`);
  const r = await runBackup({
    ...etcd,
    s3,
    retention,
    scratchDir: env.BACKUP_SCRATCH_DIR || os.tmpdir(),
    snapshotTimeoutMs: positive(env, 'BACKUP_SNAPSHOT_TIMEOUT_S', 600) * 1000,
    uploadTimeoutMs: positive(env, 'BACKUP_UPLOAD_TIMEOUT_S', 1800) * 1000,
    partBytes: positive(env, 'BACKUP_S3_PART_MB', 16) * 1024 * 1024,
    log,
  });
  log(`done: ${r.key} (${r.bytes} bytes, revision >= ${r.revision}, from ${r.member}); ${r.kept.length} kept, ${r.deleted.length} deleted`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e: unknown) => {
    if (e instanceof BackupError || e instanceof ConfigError) fail(e.message, e.exitCode);
    fail((e as Error).message?.split('\n')[0] ?? String(e), EXIT.other);
  },
);
