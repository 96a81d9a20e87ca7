/**
 * etcd snapshots off the cluster (issue 28, point 4): one member's snapshot stream into a scratch
 * file, checked (size, etcd's trailing SHA-256, bbolt's meta pages), uploaded to an S3-compatible
 * store, then retention: the newest N snapshot objects under the prefix stay, the rest go, and the
 * one just written never does. The CLI is etcd-backup.ts; the chart's CronJob runs it.
 *
 * Why the stream and not `etcdctl snapshot save` in an init container: one image and one program
 * that knows the member, the revision and the checksum it verified, no shared emptyDir between
 * two containers, and the same code runs in the tests as processes.
 */
import { createEtcdConnection, type EtcdConnection, type EtcdTlsFiles } from '@ticketcd/etcd';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
  type _Object,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Etcd3, EtcdAuthenticationFailedError, type IResponseStream, type ISnapshotResponse } from 'etcd3';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';

/** Why a backup stopped, with the exit code the CLI uses (see etcd-backup.ts). */
export class BackupError extends Error {
  override readonly name = 'BackupError';
  constructor(
    message: string,
    readonly exitCode: number,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

export const EXIT = { usage: 64, config: 78, etcdDown: 69, etcdAuth: 77, store: 74, badSnapshot: 65, other: 1 } as const;

export interface S3Target {
  /** Empty: AWS's own endpoint for the region. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Object name prefix, e.g. `ticketcd/prod/` (a trailing slash is added when missing). */
  prefix: string;
  forcePathStyle: boolean;
  /** Absent: the SDK's default chain (web identity, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Deadline of each S3 request (not of a whole multipart upload). */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface BackupOptions {
  endpoints: string[];
  tls?: EtcdTlsFiles;
  /** With etcd auth on: Snapshot is an admin RPC, it needs root. */
  rootPassword?: string;
  s3: S3Target;
  /** Snapshot objects kept under the prefix, the new one included (>= 1). */
  retention: number;
  /** Where the snapshot is written before it is checked and uploaded (needs the db's size free). */
  scratchDir: string;
  /** Deadline of each unary etcd call. */
  etcdDeadlineMs?: number;
  /** Deadline of the whole snapshot stream. */
  snapshotTimeoutMs?: number;
  /** Deadline of the whole upload. */
  uploadTimeoutMs?: number;
  /** Multipart part size (S3's minimum is 5 MiB; a smaller snapshot goes in one PUT). */
  partBytes?: number;
  log?: (line: string) => void;
  now?: () => Date;
}

export interface BackupResult {
  key: string;
  bytes: number;
  revision: number;
  member: string;
  kept: string[];
  deleted: string[];
}

const SNAPSHOT_NAME = /^etcd-snapshot-(\d{8}T\d{9}Z)-rev(\d+)\.db$/;

export function normalizePrefix(prefix: string): string {
  const p = prefix.replace(/^\/+/, '');
  return p === '' || p.endsWith('/') ? p : `${p}/`;
}

/**
 * `<prefix>etcd-snapshot-20261207T175012345Z-rev1234.db`: the UTC time first so that the names
 * sort by time (S3 lists keys in lexical order), then the revision the snapshot holds at least.
 */
export function snapshotKey(prefix: string, at: Date, revision: number): string {
  const stamp = at.toISOString().replace(/[-:.]/g, ''); // 20261207T175012345Z
  return `${normalizePrefix(prefix)}etcd-snapshot-${stamp}-rev${revision}.db`;
}

export function parseSnapshotKey(prefix: string, key: string): { stamp: string; revision: number } | null {
  const p = normalizePrefix(prefix);
  if (!key.startsWith(p)) return null;
  const m = SNAPSHOT_NAME.exec(key.slice(p.length));
  return m ? { stamp: m[1]!, revision: Number(m[2]) } : null;
}

/**
 * Which snapshot objects retention deletes: of the objects under the prefix named like ours
 * (anything else is left alone), all but the newest `keep` by name; the one just written is never
 * among them, even when clocks disagree and an older run's name sorts after it.
 */
export function selectForDeletion(prefix: string, keys: string[], keep: number, justWritten: string): string[] {
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`retention must be an integer >= 1 (got ${keep})`);
  const ours = [...new Set(keys.filter((k) => parseSnapshotKey(prefix, k) && k !== justWritten))].sort().reverse();
  // The fresh one takes one of the `keep` places.
  return ours.slice(keep - 1);
}

// ---------------------------------------------------------------- snapshot file checks

/** bbolt's meta page checksum: FNV-1a 64 over the meta fields before it. */
function fnv1a64(buf: Buffer): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of buf) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

const BOLT_MAGIC = 0xed0cdaed;
const PAGE_HEADER = 16;
const META_CHECKSUMMED = 56; // magic..txid, then the u64 checksum

/**
 * What can be checked without etcdutl: etcd appends the SHA-256 of the db to the stream (as
 * `etcdctl snapshot save` stores it, and `etcdutl snapshot restore` checks it), the db is whole
 * pages, and both bbolt meta pages carry the magic, version 2 and a valid checksum, and point
 * inside the file. Returns the db size (without the hash).
 */
export async function verifySnapshotFile(file: string): Promise<{ dbBytes: number; pageSize: number; sha256: string }> {
  const size = fs.statSync(file).size;
  if (size === 0) throw new BackupError(`snapshot ${file} is empty`, EXIT.badSnapshot);
  if (size % 512 !== 32) throw new BackupError(`snapshot ${file}: ${size} bytes is not a db plus its 32-byte SHA-256`, EXIT.badSnapshot);
  const dbBytes = size - 32;
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file, { end: dbBytes - 1 }), hash);
  const want = Buffer.alloc(32);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, want, 0, 32, dbBytes);
    const got = hash.digest();
    if (!got.equals(want)) throw new BackupError(`snapshot ${file}: SHA-256 mismatch (the stream was cut or corrupted)`, EXIT.badSnapshot);
    const head = Buffer.alloc(PAGE_HEADER + 64);
    fs.readSync(fd, head, 0, head.length, 0);
    const pageSize = head.readUInt32LE(PAGE_HEADER + 8);
    if (![4096, 8192, 16384, 65536].includes(pageSize) || dbBytes % pageSize !== 0)
      throw new BackupError(`snapshot ${file}: not a bbolt db (page size ${pageSize})`, EXIT.badSnapshot);
    for (const page of [0, 1]) {
      const meta = Buffer.alloc(64);
      fs.readSync(fd, meta, 0, 64, page * pageSize + PAGE_HEADER);
      const what = `snapshot ${file}: bbolt meta page ${page}`;
      if (meta.readUInt32LE(0) !== BOLT_MAGIC) throw new BackupError(`${what} has no bbolt magic`, EXIT.badSnapshot);
      if (meta.readUInt32LE(4) !== 2) throw new BackupError(`${what}: version ${meta.readUInt32LE(4)}, not 2`, EXIT.badSnapshot);
      if (fnv1a64(meta.subarray(0, META_CHECKSUMMED)) !== meta.readBigUInt64LE(META_CHECKSUMMED))
        throw new BackupError(`${what}: checksum mismatch`, EXIT.badSnapshot);
      const highWater = meta.readBigUInt64LE(40); // pgid: the first page past the data
      if (highWater * BigInt(pageSize) > BigInt(dbBytes))
        throw new BackupError(`${what}: claims ${highWater} pages, the file holds ${dbBytes / pageSize}`, EXIT.badSnapshot);
    }
    return { dbBytes, pageSize, sha256: got.toString('hex') };
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------- etcd side

const firstLine = (e: unknown) => (e as Error)?.message?.split('\n')[0] ?? String(e);

const isAuthRefusal = (e: unknown) =>
  e instanceof EtcdAuthenticationFailedError || /authentication failed|permission denied|user name is empty/i.test(firstLine(e));

function connect(opts: BackupOptions, hosts: string[]): EtcdConnection {
  return createEtcdConnection({
    endpoints: hosts,
    tls: opts.tls,
    deadlineMs: opts.etcdDeadlineMs ?? 5000,
    ...(opts.rootPassword ? { auth: { username: 'root', password: opts.rootPassword } } : {}),
  });
}

interface Candidate {
  url: string;
  name: string;
  revision: number;
  isLeader: boolean;
}

/**
 * The member to snapshot: a voting follower if one answers (the leader keeps its disk for the
 * writes), else the leader; learners refuse the Snapshot RPC.
 */
async function pickMember(conn: EtcdConnection, opts: BackupOptions): Promise<Candidate> {
  const deadlineMs = opts.etcdDeadlineMs ?? 5000;
  let members;
  try {
    members = (await conn.client.cluster.memberList({ linearizable: false }, conn.deadline())).members;
  } catch (e) {
    if (isAuthRefusal(e))
      throw new BackupError(`etcd refused the root user (wrong ETCD_ROOT_PASSWORD?): ${firstLine(e)}`, EXIT.etcdAuth, e);
    if (/authentication is not enabled/i.test(firstLine(e)))
      throw new BackupError('ETCD_ROOT_PASSWORD is set but etcd auth is not enabled: unset it', EXIT.config, e);
    throw new BackupError(`etcd is not reachable at ${opts.endpoints.join(', ')}: ${firstLine(e)}`, EXIT.etcdDown, e);
  }
  const statuses = await Promise.all(
    members
      .filter((m) => !m.isLearner && m.clientURLs.length > 0)
      .map(async (m): Promise<Candidate | null> => {
        const one = new Etcd3({ credentials: conn.clientOptions.credentials, hosts: m.clientURLs, dialTimeout: deadlineMs });
        try {
          const s = await one.maintenance.status({ deadline: new Date(Date.now() + deadlineMs) });
          if (String(s.leader) === '0') return null; // no leader seen: its data may be behind
          return {
            url: m.clientURLs[0]!,
            name: m.name,
            revision: Number(s.header.revision),
            isLeader: String(s.leader) === String(s.header.member_id),
          };
        } catch {
          return null;
        } finally {
          one.close();
        }
      }),
  );
  const up = statuses.filter((s): s is Candidate => s !== null);
  const pick = up.find((s) => !s.isLeader) ?? up[0];
  if (!pick)
    throw new BackupError(`etcd: no member with a leader answers (members: ${members.map((m) => m.name).join(', ')})`, EXIT.etcdDown);
  return pick;
}

/**
 * etcd3 1.1.2's `maintenance.snapshot()` passes the call's metadata where grpc-js expects the
 * request, so the auth token never reaches etcd ("auth: user name is empty" with auth on). The
 * same call made through its connection pool with the arguments in grpc-js's order.
 */
function snapshotStream(client: Etcd3, deadline: Date): Promise<IResponseStream<ISnapshotResponse>> {
  type Pool = {
    withConnection<T>(service: string, fn: (c: { client: Record<string, (...a: unknown[]) => T>; metadata: unknown }) => T): Promise<T>;
  };
  const pool = (client.maintenance as unknown as { client: Pool }).client;
  return pool.withConnection('Maintenance', ({ client: grpc, metadata }) => grpc.snapshot!({}, metadata, { deadline })) as Promise<
    IResponseStream<ISnapshotResponse>
  >;
}

async function saveSnapshot(opts: BackupOptions, member: Candidate, file: string): Promise<number> {
  const conn = connect(opts, [member.url]);
  const timeoutMs = opts.snapshotTimeoutMs ?? 600_000;
  try {
    const stream = await snapshotStream(conn.client, new Date(Date.now() + timeoutMs));
    let bytes = 0;
    // grpc-js's response stream is an object-mode Readable: piped, the file's pace holds it back.
    const blobs = new Transform({
      writableObjectMode: true,
      transform(d: ISnapshotResponse, _enc, done) {
        bytes += d.blob.length;
        done(null, d.blob);
      },
    });
    await pipeline(stream as unknown as Readable, blobs, fs.createWriteStream(file, { mode: 0o600 }));
    return bytes;
  } catch (e) {
    if (isAuthRefusal(e))
      throw new BackupError(`etcd refused the snapshot as root (wrong ETCD_ROOT_PASSWORD?): ${firstLine(e)}`, EXIT.etcdAuth, e);
    throw new BackupError(`etcd: the snapshot from ${member.name} (${member.url}) failed: ${firstLine(e)}`, EXIT.etcdDown, e);
  } finally {
    conn.close();
  }
}

// ---------------------------------------------------------------- S3 side

export function storeName(s3: S3Target): string {
  return `s3://${s3.bucket}/${normalizePrefix(s3.prefix)} at ${s3.endpoint || `AWS ${s3.region}`}`;
}

export function s3Client(s3: S3Target): S3Client {
  return new S3Client({
    region: s3.region,
    ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
    forcePathStyle: s3.forcePathStyle,
    ...(s3.credentials ? { credentials: s3.credentials } : {}),
    // One retry at most: a store that is down must fail the Job in seconds, not minutes.
    maxAttempts: 2,
    requestHandler: { connectionTimeout: s3.connectTimeoutMs ?? 5000, requestTimeout: s3.requestTimeoutMs ?? 60_000 },
  });
}

function storeError(s3: S3Target, what: string, e: unknown): BackupError {
  const status = e instanceof S3ServiceException ? e.$metadata.httpStatusCode : undefined;
  const hint =
    status === 404
      ? what.startsWith('downloading')
        ? ': no such bucket or object'
        : ': no such bucket'
      : status === 403
        ? ': access denied (credentials or policy)'
        : '';
  const message = firstLine(e) === 'UnknownError' ? '' : `: ${firstLine(e)}`;
  const detail = e instanceof S3ServiceException ? `${e.name} (HTTP ${status ?? '?'})${hint}${message}` : firstLine(e);
  return new BackupError(`S3 store ${storeName(s3)}: ${what} failed: ${detail || (e as Error).name}`, EXIT.store, e);
}

/** Every object key under the prefix (paged). */
export async function listSnapshots(client: S3Client, s3: S3Target): Promise<_Object[]> {
  const out: _Object[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: normalizePrefix(s3.prefix), ContinuationToken: token }),
      { abortSignal: AbortSignal.timeout(s3.requestTimeoutMs ?? 60_000) },
    );
    out.push(...(page.Contents ?? []));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.filter((o) => o.Key && parseSnapshotKey(s3.prefix, o.Key));
}

/**
 * Downloads one snapshot object to `file` (for a restore) and checks it as a backup is checked
 * before its upload: a copy that fails is removed, never handed to etcdutl.
 */
export async function downloadSnapshot(
  s3: S3Target,
  key: string,
  file: string,
  timeoutMs: number,
): Promise<{ bytes: number; stamp: string; revision: number }> {
  const named = parseSnapshotKey(s3.prefix, key);
  if (!named)
    throw new BackupError(`${key}: not a snapshot object of ours (etcd-snapshot-<time>-rev<revision>.db under the prefix)`, EXIT.usage);
  const client = s3Client(s3);
  try {
    const obj = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }), { abortSignal: AbortSignal.timeout(timeoutMs) });
    await pipeline(obj.Body as Readable, fs.createWriteStream(file, { mode: 0o600 }), { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    fs.rmSync(file, { force: true });
    throw storeError(s3, `downloading ${key}`, e);
  } finally {
    client.destroy();
  }
  try {
    await verifySnapshotFile(file);
  } catch (e) {
    fs.rmSync(file, { force: true });
    throw e instanceof BackupError ? e : new BackupError(`${key}: ${(e as Error).message}`, EXIT.badSnapshot, e);
  }
  return { bytes: fs.statSync(file).size, ...named };
}

// ---------------------------------------------------------------- the whole run

export async function runBackup(opts: BackupOptions): Promise<BackupResult> {
  const log = opts.log ?? (() => undefined);
  if (!Number.isInteger(opts.retention) || opts.retention < 1)
    throw new BackupError(`retention must be >= 1 (got ${opts.retention})`, EXIT.config);
  const s3 = opts.s3;
  const client = s3Client(s3);
  const conn = connect(opts, opts.endpoints);
  let file: string | undefined;
  try {
    // The store first: when it is down there is no point loading etcd with a snapshot.
    await client
      .send(new HeadBucketCommand({ Bucket: s3.bucket }), { abortSignal: AbortSignal.timeout((s3.connectTimeoutMs ?? 5000) + 5000) })
      .catch((e: unknown) => {
        throw storeError(s3, 'HeadBucket', e);
      });
    log(`store ${storeName(s3)} answers`);

    const member = await pickMember(conn, opts);
    log(
      `snapshot from ${member.name} (${member.url}${member.isLeader ? ', the leader: no follower answered' : ''}) at revision >= ${member.revision}`,
    );
    fs.mkdirSync(opts.scratchDir, { recursive: true });
    file = path.join(opts.scratchDir, `etcd-snapshot-${process.pid}-${Date.now()}.db.part`);
    const bytes = await saveSnapshot(opts, member, file);
    const check = await verifySnapshotFile(file);
    log(
      `snapshot: ${bytes} bytes, db ${check.dbBytes} bytes (pages of ${check.pageSize}), sha256 ${check.sha256.slice(0, 16)}... verified`,
    );

    const key = snapshotKey(s3.prefix, (opts.now ?? (() => new Date()))(), member.revision);
    const upload = new Upload({
      client,
      params: {
        Bucket: s3.bucket,
        Key: key,
        Body: fs.createReadStream(file),
        ContentType: 'application/octet-stream',
        Metadata: { 'etcd-revision': String(member.revision), 'etcd-member': member.name, sha256: check.sha256 },
      },
      // Parts of 16 MiB, two at a time: a 2 GiB db is 128 parts, and the memory stays small.
      partSize: Math.max(opts.partBytes ?? 16 * 1024 * 1024, 5 * 1024 * 1024),
      queueSize: 2,
      leavePartsOnError: false,
    });
    let parts = 0;
    upload.on('httpUploadProgress', (p) => (parts = Math.max(parts, p.part ?? 0)));
    const timer = setTimeout(() => void upload.abort(), opts.uploadTimeoutMs ?? 1_800_000);
    try {
      await upload.done();
    } catch (e) {
      throw storeError(s3, `upload of ${key}`, e);
    } finally {
      clearTimeout(timer);
    }
    log(`uploaded ${key} (${bytes} bytes, ${parts > 1 ? `multipart, ${parts} parts` : 'one PUT'})`);

    let objects: _Object[];
    try {
      objects = await listSnapshots(client, s3);
    } catch (e) {
      throw storeError(s3, `listing for retention (the snapshot ${key} is stored)`, e);
    }
    const keys = objects.map((o) => o.Key!);
    if (!keys.includes(key)) throw storeError(s3, `listing`, new Error(`${key} was uploaded but is not listed`));
    const doomed = selectForDeletion(s3.prefix, keys, opts.retention, key);
    const deleted: string[] = [];
    for (const k of doomed) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: k }), {
          abortSignal: AbortSignal.timeout(s3.requestTimeoutMs ?? 60_000),
        });
      } catch (e) {
        throw storeError(s3, `retention: deleting ${k} (the snapshot ${key} is stored)`, e);
      }
      deleted.push(k);
      log(`retention: deleted ${k}`);
    }
    const kept = keys.filter((k) => !deleted.includes(k)).sort();
    log(`retention ${opts.retention}: ${kept.length} snapshot(s) kept, ${deleted.length} deleted`);
    return { key, bytes, revision: member.revision, member: member.name, kept, deleted };
  } finally {
    if (file) fs.rmSync(file, { force: true });
    conn.close();
    client.destroy();
  }
}
