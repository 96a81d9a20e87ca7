/**
 * Issue 28 point 4, "backups that survive the cluster", as processes: the chart's backup and
 * defrag CronJobs run `etcd-backup.js` and `etcd-defrag.js` from the tools image; here the same
 * files run against a real five-member etcd 3.5 with auth on (Snapshot and Defragment need root)
 * and a local S3-compatible store (s3rver, its own process so it can be taken down).
 *  (a) retention 3: four runs under writes leave exactly the newest three objects, and the newest
 *      one downloaded is a valid snapshot of what the cluster had (etcdutl reads its revision;
 *      restored and started, it holds every key written);
 *  (b) the store down: a fast non-zero exit naming the store, nothing deleted; etcd down: the same;
 *  (c) the defrag program under writes defragments every member, followers first, the leader last.
 */
import { createEtcdConnection, type EtcdConnection } from '@ticketcd/etcd';
import { EtcdCluster, findBinary, findFreePortBlock, startProcess, stopProcess, type ManagedProcess } from '@ticketcd/stack';
import { waitFor } from '@ticketcd/testing';
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Etcd3 } from 'etcd3';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT_PASSWORD = 'root-pw-backup-e2e';
const BUCKET = 'etcd-backups';
const PREFIX = 'ticketcd/e2e/';

let dir: string;
let cluster: EtcdCluster;
let root: EtcdConnection;
let s3Port: number;
let store: ManagedProcess | null = null;
let storeStarts = 0;

async function startStore(): Promise<void> {
  store = startProcess(
    's3rver',
    process.execPath,
    [path.join(import.meta.dirname, 'etcd-backup.s3rver.mjs'), String(s3Port), path.join(dir, 's3'), BUCKET],
    {
      logFile: path.join(dir, 'logs', `s3rver-${++storeStarts}.log`),
    },
  );
  await waitFor(() => fs.readFileSync(store!.logFile, 'utf8').includes(`listening on 127.0.0.1:${s3Port}`), {
    timeoutMs: 20_000,
    what: 's3rver up',
  });
}

async function stopStore(): Promise<void> {
  if (store) await stopProcess(store, { graceMs: 3000 });
  store = null;
}

const s3 = () =>
  new S3Client({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${s3Port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });

async function listKeys(): Promise<string[]> {
  const client = s3();
  try {
    const res = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: PREFIX }));
    return (res.Contents ?? []).map((o) => o.Key!).sort();
  } finally {
    client.destroy();
  }
}

function run(file: 'etcd-backup' | 'etcd-defrag', env: Record<string, string> = {}, args: string[] = []) {
  const started = Date.now();
  return promisify(execFile)(process.execPath, [`libs/tooling/deploy/dist/${file}.js`, ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      ETCD_ENDPOINTS: cluster.endpoints.join(','),
      ETCD_ROOT_PASSWORD: ROOT_PASSWORD,
      BACKUP_S3_ENDPOINT: `http://127.0.0.1:${s3Port}`,
      BACKUP_S3_REGION: 'us-east-1',
      BACKUP_S3_BUCKET: BUCKET,
      BACKUP_S3_PREFIX: PREFIX,
      BACKUP_S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      BACKUP_RETENTION: '3',
      BACKUP_SCRATCH_DIR: path.join(dir, 'scratch'),
      ...env,
    },
    timeout: 90_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: e.code ?? -1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
      ms: Date.now() - started,
    }),
  );
}

/** Puts under bk/ as root until stopped; counts what etcd acknowledged. */
function startWriter() {
  let stop = false;
  let acked = 0;
  const done = (async () => {
    for (let i = 0; !stop; i++) {
      await root.kv
        .put(`bk/${String(i).padStart(6, '0')}`)
        .value(`v${i}`)
        .options(root.deadline(5000))
        .exec()
        .then(
          () => acked++,
          () => undefined,
        );
    }
  })();
  return {
    get acked() {
      return acked;
    },
    stop: async () => {
      stop = true;
      await done;
      return acked;
    },
  };
}

/** Each member's view: name, whether it leads, its revision. */
async function members(): Promise<{ name: string; url: string; isLeader: boolean; revision: number }[]> {
  const { members: list } = await root.client.cluster.memberList({}, root.deadline());
  return Promise.all(
    list.map(async (m) => {
      const one = new Etcd3({ hosts: m.clientURLs });
      try {
        const s = await one.maintenance.status({ deadline: new Date(Date.now() + 3000) });
        return {
          name: m.name,
          url: m.clientURLs[0]!,
          isLeader: String(s.leader) === String(s.header.member_id),
          revision: Number(s.header.revision),
        };
      } finally {
        one.close();
      }
    }),
  );
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketcd-etcd-backup-'));
  const base = await findFreePortBlock(20);
  s3Port = base + 15;
  cluster = new EtcdCluster({ dir: path.join(dir, 'etcd'), clientBasePort: base, peerBasePort: base + 5, token: `backup-${process.pid}` });
  await cluster.start(60_000);
  // Auth on, as in the chart: the programs must work as root.
  const plain = createEtcdConnection({ endpoints: cluster.endpoints, deadlineMs: 5000 });
  await plain.client.auth.userAdd({ name: 'root', password: ROOT_PASSWORD }, plain.deadline());
  await plain.client.auth.userGrantRole({ user: 'root', role: 'root' }, plain.deadline());
  await plain.client.auth.authEnable(plain.deadline());
  plain.close();
  root = createEtcdConnection({ endpoints: cluster.endpoints, deadlineMs: 5000, auth: { username: 'root', password: ROOT_PASSWORD } });
  await startStore();
}, 120_000);

afterAll(async () => {
  root?.close();
  await stopStore();
  await cluster?.stop({ discard: true });
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('etcd backups to an S3-compatible store (issue 28 point 4)', () => {
  it('(a) retention 3: four runs under writes leave exactly the newest three, and the newest is a valid snapshot of what the cluster had', async () => {
    // 12 MiB of values first: the snapshot is uploaded in parts (5 MiB each below), as a big one would.
    for (let i = 0; i < 12; i++)
      await root.kv
        .put(`big/${i}`)
        .value(Buffer.alloc(1024 * 1024, i))
        .options(root.deadline(10_000))
        .exec();
    const writer = startWriter();
    const written: string[] = [];
    for (let i = 0; i < 3; i++) {
      await waitFor(() => writer.acked > (i + 1) * 20, { timeoutMs: 30_000, what: 'writes between backups' });
      const r = await run('etcd-backup');
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      written.push(/uploaded (\S+)/.exec(r.stdout)![1]!);
    }
    const acked = await writer.stop();
    // The fourth with writes paused, once every member applied the last one: its revision is exact.
    const now = await root.client.kv.range({ key: Buffer.from('bk/'), range_end: Buffer.from('bk0'), count_only: true }, root.deadline());
    const revision = Number(now.header.revision);
    expect(Number(now.count)).toBe(acked);
    await waitFor(async () => (await members()).every((m) => m.revision === revision), {
      timeoutMs: 20_000,
      what: 'every member at the last revision',
    });
    const last = await run('etcd-backup', { BACKUP_S3_PART_MB: '5' });
    expect({ code: last.code, stderr: last.stderr }).toEqual({ code: 0, stderr: '' });
    expect(last.stdout).toMatch(/bytes, multipart, [3-9] parts\)/);
    const newest = /uploaded (\S+)/.exec(last.stdout)![1]!;
    written.push(newest);
    expect(newest).toMatch(new RegExp(`^${PREFIX}etcd-snapshot-\\d{8}T\\d{9}Z-rev${revision}\\.db$`));
    expect(last.stdout).toContain(`retention: deleted ${written[0]}`);

    // Exactly the newest three remain, the fresh one among them.
    expect(await listKeys()).toEqual(written.slice(1).sort());

    // Downloaded with `etcd-backup.js get` (what a restore runs: checked, its time named): etcdutl
    // reads it (revision as the cluster had), restore checks its SHA-256, and an etcd started on
    // the restored data holds every key the writer got acknowledged.
    const file = path.join(dir, 'downloaded.db');
    const got = await run('etcd-backup', {}, ['get', newest, file]);
    expect([got.code, got.stderr]).toEqual([0, '']);
    expect(got.stdout).toMatch(new RegExp(`taken at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z, revision >= ${revision}`));
    // A cut copy in the store is refused (65) and not left behind for etcdutl.
    const cut = `${PREFIX}etcd-snapshot-20000101T000000000Z-rev1.db`;
    const put = s3();
    try {
      await put.send(new PutObjectCommand({ Bucket: BUCKET, Key: cut, Body: fs.readFileSync(file).subarray(0, 8192 + 32) }));
    } finally {
      put.destroy();
    }
    const bad = await run('etcd-backup', {}, ['get', cut, path.join(dir, 'cut.db')]);
    expect([bad.code, bad.stderr]).toEqual([65, expect.stringContaining('SHA-256 mismatch')]);
    expect(fs.existsSync(path.join(dir, 'cut.db'))).toBe(false);
    const del = s3();
    try {
      await del.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: cut }));
    } finally {
      del.destroy();
    }
    const status = spawnSync(findBinary('etcdutl'), ['snapshot', 'status', file, '-w', 'json'], { encoding: 'utf8' });
    expect(status.status).toBe(0);
    const parsed = JSON.parse(status.stdout) as { revision: number; totalKey: number };
    expect(parsed.revision).toBe(revision);
    // totalKey counts bbolt entries: one per revision written plus etcd's own (members, auth, meta).
    expect(parsed.totalKey).toBeGreaterThanOrEqual(acked);
    const restored = path.join(dir, 'restored');
    const port = s3Port + 1;
    const peer = `http://127.0.0.1:${port + 1}`;
    const restore = spawnSync(
      findBinary('etcdutl'),
      [
        'snapshot',
        'restore',
        file,
        `--data-dir=${restored}`,
        '--name=restored',
        `--initial-cluster=restored=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
      ],
      { encoding: 'utf8' },
    );
    expect({ status: restore.status, stderr: restore.status === 0 ? '' : restore.stderr }).toEqual({ status: 0, stderr: '' });
    const single = startProcess(
      'etcd-restored',
      findBinary('etcd'),
      [
        '--name=restored',
        `--data-dir=${restored}`,
        `--listen-client-urls=http://127.0.0.1:${port}`,
        `--advertise-client-urls=http://127.0.0.1:${port}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=restored=${peer}`,
      ],
      { logFile: path.join(dir, 'logs', 'etcd-restored.log') },
    );
    const check = createEtcdConnection({
      endpoints: [`http://127.0.0.1:${port}`],
      deadlineMs: 3000,
      auth: { username: 'root', password: ROOT_PASSWORD },
    });
    try {
      const res = await waitFor(
        () => check.client.kv.range({ key: Buffer.from('bk/'), range_end: Buffer.from('bk0'), count_only: true }, check.deadline()),
        { timeoutMs: 30_000, what: 'the restored etcd answering' },
      );
      expect({ count: Number(res.count), revision: Number(res.header.revision) }).toEqual({ count: acked, revision });
    } finally {
      check.close();
      await stopProcess(single, { graceMs: 3000 });
    }
  });

  it('(b) the store down: a fast non-zero exit naming the store, nothing deleted; etcd down: the same, naming etcd', async () => {
    const before = await listKeys();
    expect(before).toHaveLength(3);
    await stopStore();
    const r = await run('etcd-backup');
    expect(r.code).toBe(74);
    expect(r.stderr).toContain(`S3 store s3://${BUCKET}/${PREFIX} at http://127.0.0.1:${s3Port}`);
    expect(r.ms).toBeLessThan(20_000);
    await startStore();
    expect(await listKeys()).toEqual(before);

    const down = await run('etcd-backup', { ETCD_ENDPOINTS: `http://127.0.0.1:${s3Port + 3}` });
    expect(down.code).toBe(69);
    expect(down.stderr).toContain(`etcd is not reachable at http://127.0.0.1:${s3Port + 3}`);
    expect(down.ms).toBeLessThan(20_000);
    const refused = await run('etcd-backup', { ETCD_ROOT_PASSWORD: 'wrong' });
    expect(refused.code).toBe(77);
    expect(refused.stderr).toContain('etcd refused the root user');
    expect(await listKeys()).toEqual(before);
  });

  it('(c) defrag under writes: every member once, followers first, the leader (asked at the time) last', async () => {
    const writer = startWriter();
    try {
      await waitFor(() => writer.acked > 20, { timeoutMs: 30_000, what: 'writes before the defrag' });
      const all = await members();
      const r = await run('etcd-defrag');
      const leaderAfter = (await members()).find((m) => m.isLeader)!.name;
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      const steps = [...r.stdout.matchAll(/defragmented (\S+) \((leader|follower|learner)\)/g)].map((m) => ({ name: m[1]!, role: m[2]! }));
      expect(steps.map((s) => s.name).sort()).toEqual(all.map((m) => m.name).sort());
      expect(steps.slice(0, -1).every((s) => s.role === 'follower')).toBe(true);
      expect(steps[steps.length - 1]).toEqual({ name: leaderAfter, role: 'leader' });
      expect(r.stdout).toContain(`order: ${steps.map((s) => `${s.name} (${s.role})`).join(', ')}`);
      const progressed = writer.acked;
      await waitFor(() => writer.acked > progressed + 10, { timeoutMs: 30_000, what: 'writes going on after the defrag' });
    } finally {
      await writer.stop();
    }
  });
});
