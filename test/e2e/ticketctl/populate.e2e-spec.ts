/**
 * Issue 16: `ticketctl populate` on a real stack (etcd x5, NATS, the services), run as the real
 * binary. Guards invariants 1 (stock == sales), 3 (a re-run sells nothing twice) and 4 (index ==
 * rebuild, one alert per crossing) for bulk-loaded data, at the report's size and at 10,000
 * users / 1,000 events: populate, then `ticketctl verify` finds no violation; populate again
 * writes nothing (no key moves, apart from the instances' liveness keys); generated accounts can log in.
 */
import { createEtcdConnection, type EtcdConnection } from '@ticketcd/etcd';
import { ApiClient, deployedInstances, keysWrittenSince, startPrivateStack, stopPrivateStack, ticketctl } from '@ticketcd/testing';
import type { Stack } from '@ticketcd/stack';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let stack: Stack;
let etcd: EtcdConnection;
let dir: string;
let target: { etcd: string[]; nats: string };

beforeAll(async () => {
  stack = await startPrivateStack({
    services: ['gateway', 'catalog', 'inventory', 'orders', 'search-indexer', 'notifier'],
    instances: deployedInstances(),
    env: { LOG_LEVEL: 'warn' },
  });
  etcd = createEtcdConnection({ endpoints: stack.etcd.endpoints, deadlineMs: 5000 });
  target = { etcd: stack.etcd.endpoints, nats: stack.nats.url };
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketctl-populate-'));
}, 180_000);

afterAll(async () => {
  etcd?.close();
  await stopPrivateStack(stack);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const revision = async () => Number((await etcd.kv.get('nothing').exec()).header.revision);

interface Report {
  keys: number;
  phases: { phase: string; planned: number; created: number; existing: number }[];
  sales: { sold: number; refused: Record<string, number>; existing: number };
  background: { pending: number; inventoryRunning: boolean };
}

async function populate(config: string, credentials: string): Promise<Report> {
  const r = await ticketctl(target, [
    'populate',
    '--config',
    config,
    '--seed',
    '7',
    '--credentials',
    credentials,
    '--json',
    '--wait',
    '120',
  ]);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(r.stdout) as Report;
}

async function verifyClean() {
  const v = await ticketctl(target, ['verify', '--settle', '30']);
  if (v.code !== 0) throw new Error(`verify found violations:\n${v.stdout}\n${v.stderr}`);
  return v.stdout;
}

describe.each([
  ['the report size (10 users, 10 events)', 'data/report.yaml'],
  ['10,000 users and 1,000 events', 'data/10k.yaml'],
])('populate at %s', (_label, config) => {
  const credentials = () => path.join(dir, `${path.basename(config)}.csv`);
  let first: Report;

  it('loads everything, and verify then reports no violation', async () => {
    first = await populate(config, credentials());
    const created = (p: string) => first.phases.find((x) => x.phase === p)!;
    // The 10,000-user run shares the store with the report-size run (same seed: same first usernames),
    // so some accounts may exist already; every other one is created, and its password written.
    const users = created('users');
    expect(users.created + users.existing).toBe(users.planned);
    expect(users.created).toBeGreaterThanOrEqual(users.planned - 10);
    expect(fs.readFileSync(credentials(), 'utf8').trim().split('\n').length - 1).toBe(users.created);
    expect(created('events').created).toBe(created('events').planned);
    expect(first.sales.sold).toBeGreaterThan(0);
    expect(first.background).toEqual({ pending: 0, inventoryRunning: true, waitedMs: expect.any(Number) });
    expect(await verifyClean()).toMatch(/OK/);
  }, 600_000);

  it('run again, it writes nothing: no key moves and nothing is sold twice', async () => {
    const before = await revision();
    const again = await populate(config, path.join(dir, 'again.csv'));
    expect(again.keys).toBe(0);
    expect(again.phases.every((p) => p.created === 0)).toBe(true);
    expect(again.sales.sold).toBe(0);
    expect(again.sales.existing).toBe(first.sales.sold);
    expect(await keysWrittenSince(etcd, before)).toEqual([]);
    // No new account was created, so no new password file either.
    expect(fs.existsSync(path.join(dir, 'again.csv'))).toBe(false);
  }, 300_000);

  it('created accounts log in with the passwords populate wrote (mode 600)', async () => {
    const file = credentials();
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const rows = fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    for (const [username, password] of [rows[0]!, rows[rows.length - 1]!]) {
      const api = new ApiClient(stack.gatewayUrl!);
      const login = await api.post('/api/auth/login', { username, password });
      expect(login.status).toBe(200);
      const wrong = await new ApiClient(stack.gatewayUrl!).post('/api/auth/login', { username, password: `${password}x` });
      expect(wrong.status).toBe(401);
    }
  }, 60_000);
});

describe('determinism and dry run', () => {
  it('the same config and seed plan the same key set; another seed a different one', async () => {
    const keysOf = async (seed: string) => {
      const r = await ticketctl(target, ['populate', '--config', 'data/report.yaml', '--seed', seed, '--dry-run', '--keys']);
      expect(r.code).toBe(0);
      return r.stdout;
    };
    const [a, b, c] = [await keysOf('11'), await keysOf('11'), await keysOf('12')];
    expect(a).toBe(b);
    expect(a.split('\n').length).toBeGreaterThan(100);
    expect(c).not.toBe(a);
  });

  it('--dry-run writes nothing and says what it would create', async () => {
    const before = await revision();
    const r = await ticketctl(target, ['populate', '--config', 'data/report.yaml', '--seed', '99', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/dry run: nothing written/);
    expect(r.stdout).toMatch(/users\s+10\s+0\s+10/);
    expect(await keysWrittenSince(etcd, before)).toEqual([]);
  });

  it('a bad config is refused with the field named, and nothing is written', async () => {
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, fs.readFileSync('data/report.yaml', 'utf8').replace(/adminProbability:.*$/m, 'adminProbability: 7'));
    const before = await revision();
    const r = await ticketctl(target, ['populate', '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/adminProbability/);
    expect(await keysWrittenSince(etcd, before)).toEqual([]);
  });
});
