/**
 * `npm run stack` (up), `npm run stack:down`, `npm run stack:status`.
 *   up     [--instances inventory=2,orders=3 | chart[,inventory=3]] [--no-services] [--fresh] [--gateway-port 8080] [--data data/demo.yaml|none] [--seed 1]
 *   down   stop everything `up` started (also from another terminal)
 *   status members, leader, raft term/index, live service instances
 *   reconcile [--fix]  recompute sales stats from the counted sale: records and print the differences
 *   search-verify      compare the search index with a rebuild from event: keys; print the differences
 *   search-rebuild [--dry-run]  repair what differs (event by event, through the indexer's fenced plan)
 *   parked list [--durable d]                 messages consumers parked, with why
 *   parked replay <seq...> | --all [--durable d]  publish them again to their subject, remove from PARKED
 *   outbox list [--service s]                 outbox backlog per service and the quarantined entries
 *   outbox requeue <service> <entryId...> | <service> --all  put quarantined entries back in the outbox
 * Common: [--dir .stack] [--port-base 23790]; parked/outbox also [--etcd host:port,...] [--nats url]
 * to work on another cluster than the local stack's.
 */
import { clusterStatus, createEtcdConnection, scanPrefix } from '@ticketcd/etcd';
// Not for logging: only to silence Nest's client, which logs its connection status itself.
// eslint-disable-next-line no-restricted-imports
import { Logger } from '@nestjs/common';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { outboxQuarantineRecord, Rpc } from '@ticketcd/contracts';
import { keys, parseKey, prefixes, SERVICE_NAMES, type ServiceName } from '@ticketcd/keys';
import { connectNats, listParked, replayParked, RpcClient } from '@ticketcd/messaging';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isAlive } from './process.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseInstanceCounts } from './chart-instances.js';
import { ALL_SERVICES } from './services.js';
import { readState, Stack, stopFromState } from './stack.js';

// Nest's client logs its connection status through its own logger; the CLI speaks for itself.
Logger.overrideLogger(false);

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    dir: { type: 'string', default: path.join(repoRoot, '.stack') },
    'port-base': { type: 'string', default: '23790' },
    'gateway-port': { type: 'string', default: '8080' },
    instances: { type: 'string', multiple: true },
    'no-services': { type: 'boolean', default: false },
    fresh: { type: 'boolean', default: false },
    fix: { type: 'boolean', default: false },
    'dry-run': { type: 'boolean', default: false },
    data: { type: 'string', default: path.join(repoRoot, 'data', 'demo.yaml') },
    seed: { type: 'string', default: '1' },
    durable: { type: 'string' },
    service: { type: 'string' },
    all: { type: 'boolean', default: false },
    etcd: { type: 'string' },
    nats: { type: 'string' },
  },
});

function fail(message: string): never {
  process.stderr.write(`stack: ${message}\n`);
  process.exit(2);
}

function parseInstances(specs: string[] = []): Record<string, number> {
  try {
    return parseInstanceCounts(specs, repoRoot);
  } catch (e) {
    fail((e as Error).message);
  }
}

const dir = path.resolve(values.dir);
const portBase = Number(values['port-base']);
if (!Number.isInteger(portBase) || portBase < 1024 || portBase > 65000) fail(`--port-base must be 1024..65000`);

/**
 * The first admin of a local stack: ADMIN_USERNAME/ADMIN_PASSWORD from the environment, else
 * "admin" with a random password generated once per stack directory (never in the repo).
 */
function adminCredentials(stackDir: string): { username: string; password: string; file?: string } {
  if (process.env.ADMIN_USERNAME && process.env.ADMIN_PASSWORD)
    return { username: process.env.ADMIN_USERNAME, password: process.env.ADMIN_PASSWORD };
  const file = path.join(stackDir, 'admin-password');
  fs.mkdirSync(stackDir, { recursive: true });
  if (!fs.existsSync(file)) fs.writeFileSync(file, `${randomBytes(15).toString('base64url')}\n`, { mode: 0o600 });
  return { username: 'admin', password: fs.readFileSync(file, 'utf8').trim(), file };
}

async function up() {
  const existing = readState(dir);
  if (existing && existing.processes.some((p) => isAlive(p.pid)))
    fail(`a stack is already running from ${dir}; stop it with: npm run stack:down`);
  if (values.fresh) fs.rmSync(dir, { recursive: true, force: true });
  const admin = adminCredentials(dir);
  const stack = new Stack({
    env: { ADMIN_USERNAME: admin.username, ADMIN_PASSWORD: admin.password },
    dir,
    portBase,
    gatewayPort: Number(values['gateway-port']),
    services: values['no-services'] ? false : ALL_SERVICES,
    instances: parseInstances(values.instances),
    repoRoot,
    // The admin page's scale control starts and drains instances through it (SCALER=local).
    control: !values['no-services'],
  });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the stack…\n`);
    await stack.stop();
    process.stdout.write('stopped; no process left behind\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.stdout.write(`starting etcd x5, nats-server -js and ${stack.services.length} service instance(s) in ${dir}\n`);
  try {
    await stack.start();
  } catch (e) {
    process.stderr.write(`stack failed to start: ${(e as Error).message}\n`);
    await stack.stop();
    process.exit(1);
  }
  const seeded = stack.services.some((s) => s.spec.service === 'catalog') && values.data !== 'none' ? await seed(stack) : null;
  const lines = [
    '',
    'TickETCD is running.',
    seeded ?? '  data:        not seeded (--data none)',
    stack.gatewayUrl ? `  UI and API:  ${stack.gatewayUrl}/   (API docs: ${stack.gatewayUrl}/api/docs)` : '  (no services started)',
    stack.gatewayUrl ? `  admin:       ${admin.username} / ${admin.password}${admin.file ? `   (kept in ${admin.file})` : ''}` : '',
    `  etcd:        ${stack.etcd.endpoints.join(',')}`,
    `  NATS:        ${stack.nats.url}`,
    `  logs:        ${path.join(dir, 'logs')}`,
    stack.gatewayUrl ? `  scaling:     from the admin page (${stack.gatewayUrl}/admin/cluster)` : '',
    '  status:      npm run stack:status',
    '  stop:        Ctrl-C here, or npm run stack:down',
    '',
  ];
  process.stdout.write(lines.join('\n'));
  // Report (not hide) a service that dies; the developer decides what to do.
  const reported = new Set<string>();
  setInterval(() => {
    for (const s of stack.services) {
      if (!s.isRunning() && !reported.has(s.instanceId) && !stopping && !stack.isRetiring(s)) {
        reported.add(s.instanceId);
        process.stderr.write(`warning: ${s.instanceId} exited; see ${s.logFile}\n`);
      }
    }
  }, 2000);
}

/**
 * Demo data through `ticketctl populate` (its own process: the stack lib does not import the
 * tool). Idempotent: a restart with the same --data and --seed creates nothing new.
 */
async function seed(stack: Stack): Promise<string> {
  const seedNo = Number(values.seed);
  if (!Number.isInteger(seedNo) || seedNo < 0) fail(`--seed must be a whole number >= 0, got "${values.seed}"`);
  const dataFile = path.resolve(values.data);
  if (!fs.existsSync(dataFile)) fail(`--data ${values.data}: no such file (or --data none to skip seeding)`);
  const credentials = path.join(dir, 'credentials.csv');
  const cli = path.join(repoRoot, 'libs/tooling/ticketctl/dist/cli.js');
  process.stdout.write(`seeding ${path.relative(process.cwd(), dataFile)} (seed ${seedNo}) with ticketctl populate…\n`);
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        cli,
        '--etcd',
        stack.etcd.endpoints.join(','),
        '--nats',
        stack.nats.url,
        'populate',
        '--config',
        dataFile,
        '--seed',
        String(seedNo),
      ].concat(['--credentials', credentials, '--wait', '60', '--json']),
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const report = JSON.parse(stdout) as {
      keys: number;
      ms: number;
      phases: { phase: string; created: number }[];
      credentialsFile: string | null;
    };
    const created = (phase: string) => report.phases.find((p) => p.phase === phase)?.created ?? 0;
    if (report.keys === 0) return `  data:        ${path.basename(dataFile)} (seed ${seedNo}) already loaded (--fresh to start empty)`;
    const sample = fs.existsSync(credentials) ? fs.readFileSync(credentials, 'utf8').split('\n')[1]?.split(',') : undefined;
    return (
      `  seeded:      ${created('users')} users, ${created('events')} events, ${created('purchases')} sales from ${path.basename(dataFile)} (seed ${seedNo}) in ${(report.ms / 1000).toFixed(1)} s\n` +
      (report.credentialsFile ? `  accounts:    passwords in ${credentials}${sample ? ` (e.g. ${sample[0]} / ${sample[1]})` : ''}` : '')
    );
  } catch (e) {
    const err = e as Error & { stderr?: string };
    process.stderr.write(`warning: seeding failed: ${(err.stderr || err.message).trim()}\n`);
    return '  data:        seeding failed (see above); the stack runs without demo data';
  }
}

async function down() {
  const n = await stopFromState(dir);
  process.stdout.write(n > 0 ? `stopped ${n} process(es)\n` : `no running stack in ${dir}\n`);
}

async function status() {
  const state = readState(dir);
  if (!state) fail(`no stack state in ${dir}; start one with: npm run stack`);
  const conn = createEtcdConnection({ endpoints: state.etcdEndpoints, deadlineMs: 1500 });
  try {
    const cluster = await clusterStatus(conn).catch((e) => fail(`etcd member list failed: ${(e as Error).message}`));
    process.stdout.write(`etcd: ${cluster.members.length} members, quorum ${cluster.quorum ? 'yes' : 'NO'}\n`);
    for (const a of cluster.alarms) process.stdout.write(`  ALARM ${a.alarm} on member ${a.memberId}\n`);
    for (const m of cluster.members) {
      const role = m.isLeader ? 'leader  ' : m.reachable ? 'follower' : 'DOWN    ';
      const extra = m.reachable
        ? `term ${m.raftTerm} index ${m.raftIndex} db ${Math.round((m.dbSizeBytes ?? 0) / 1024)} KiB v${m.version}`
        : (m.error ?? '');
      process.stdout.write(`  ${m.name.padEnd(8)} ${role} ${m.clientUrls.join(',').padEnd(24)} ${extra}\n`);
    }
    process.stdout.write(`NATS: ${state.natsUrl}\nlive service instances (svc: keys):\n`);
    let count = 0;
    for await (const kv of scanPrefix(conn.kv, prefixes.svc())) {
      const k = parseKey(kv.key);
      if (k.kind !== 'svc') continue;
      const v = JSON.parse(kv.value) as { httpPort?: number; pid?: number; startedAt?: string };
      process.stdout.write(`  ${k.service.padEnd(15)} ${k.instanceId.padEnd(20)} port ${v.httpPort} pid ${v.pid} since ${v.startedAt}\n`);
      count++;
    }
    if (count === 0) process.stdout.write('  (none)\n');
  } finally {
    conn.close();
  }
}

/** Runs one admin request against the running stack's NATS. */
async function adminRequest<T>(run: (rpc: RpcClient) => Promise<T>): Promise<T> {
  const state = readState(dir);
  if (!state) fail(`no stack state in ${dir}; start one with: npm run stack`);
  const proxy = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [state.natsUrl], name: 'stack-cli' } });
  try {
    return await run(new RpcClient(proxy, 120_000));
  } finally {
    await proxy.close();
  }
}

async function reconcile() {
  const reply = await adminRequest((rpc) => rpc.request(Rpc.orders.reconcile, { fix: values.fix }));
  if (!reply.ok) fail(`${reply.error.code}: ${reply.error.message}`);
  const { events, differences, fixed, uncounted } = reply.data;
  process.stdout.write(
    `stats of ${events} event(s) recomputed from counted sale: records: ${differences.length} difference(s)${fixed ? ', fixed' : ''}\n`,
  );
  if (uncounted > 0) process.stdout.write(`${uncounted} sale(s) not counted yet: left to the orders consumer\n`);
  for (const d of differences)
    process.stdout.write(`  ${d.key}\n    kept:       ${JSON.stringify(d.kept)}\n    recomputed: ${JSON.stringify(d.recomputed)}\n`);
  if (differences.length > 0 && !fixed) process.exitCode = 1;
}

/** search-verify: the live index against a rebuild; search-rebuild [--dry-run]: repair what differs. */
async function searchIndex(rebuild: boolean) {
  const reply = await adminRequest((rpc) =>
    rebuild ? rpc.request(Rpc.search.rebuild, { dryRun: values['dry-run'] }) : rpc.request(Rpc.search.verify, {}),
  );
  if (!reply.ok) fail(`${reply.error.code}: ${reply.error.message}`);
  const r = reply.data;
  process.stdout.write(
    `search index at revision ${r.revision}: ${r.events} event(s), ${r.keys} key(s); ${r.differing} differ from a rebuild\n`,
  );
  for (const d of r.differences)
    process.stdout.write(`  ${d.key}\n    live:     ${d.live ?? '(absent)'}\n    expected: ${d.expected ?? '(absent)'}\n`);
  if (r.differing > r.differences.length) process.stdout.write(`  ... and ${r.differing - r.differences.length} more\n`);
  if ('repairedEvents' in r) {
    const { repairedEvents, skippedEvents } = r as typeof r & { repairedEvents: number; skippedEvents: string[] };
    if (values['dry-run']) process.stdout.write('dry run: nothing written\n');
    else
      process.stdout.write(
        `repaired ${repairedEvents} event(s)${skippedEvents.length ? `; ${skippedEvents.length} not repaired (still contended, or a store error), run again: ${skippedEvents.join(', ')}` : ''}\n`,
      );
    if (skippedEvents.length > 0 || (values['dry-run'] && r.differing > 0)) process.exitCode = 1;
  } else if (r.differing > 0) process.exitCode = 1;
}

function endpoints(): { etcd: string[]; nats: string } {
  const state = values.etcd && values.nats ? null : readState(dir);
  if (!state && !(values.etcd && values.nats)) fail(`no stack state in ${dir}; start one with: npm run stack, or give --etcd and --nats`);
  return { etcd: values.etcd ? values.etcd.split(',') : state!.etcdEndpoints, nats: values.nats ?? state!.natsUrl };
}

/** parked list | parked replay <seq...> | --all: what durable consumers gave up on (issue 13). */
async function parked() {
  const [, sub = 'list', ...rest] = positionals;
  const nc = await connectNats({ servers: [endpoints().nats], name: 'stack-cli' });
  try {
    if (sub === 'list') {
      const list = await listParked(nc, { durable: values.durable });
      process.stdout.write(`${list.length} parked message(s)${values.durable ? ` of ${values.durable}` : ''}\n`);
      for (const p of list) {
        process.stdout.write(
          `  #${p.seq}  ${p.durable}  ${p.subject ?? '?'} (${p.stream ?? '?'} #${p.originalSeq ?? '?'})  id ${p.envelopeId ?? '(not an envelope)'}\n` +
            `      parked ${p.parkedAt.toISOString()} after ${p.attempts ?? '?'} attempt(s), ${p.deliveries ?? '?'} deliveries, ${p.failure ?? 'unknown'}: ${p.error ?? ''}\n`,
        );
      }
      return;
    }
    if (sub !== 'replay') fail(`parked: unknown subcommand "${sub}" (list, replay)`);
    const seqs = rest.map(Number);
    if (!values.all && (seqs.length === 0 || seqs.some((n) => !Number.isInteger(n) || n < 1)))
      fail('parked replay: give PARKED sequence numbers (see parked list), or --all');
    const results = await replayParked(nc, values.all ? { all: true, durable: values.durable } : { seqs });
    for (const r of results)
      process.stdout.write(
        r.replayed ? `  #${r.seq} replayed to ${r.subject} (for ${r.durable})\n` : `  #${r.seq} not replayed: ${r.reason}\n`,
      );
    process.stdout.write(`${results.filter((r) => r.replayed).length} message(s) replayed\n`);
    if (results.some((r) => !r.replayed)) process.exitCode = 1;
  } finally {
    await nc.drain();
  }
}

function serviceArg(name: string | undefined): ServiceName {
  if (!name || !(SERVICE_NAMES as readonly string[]).includes(name)) fail(`unknown service "${name}" (one of ${SERVICE_NAMES.join(', ')})`);
  return name as ServiceName;
}

/** outbox list | outbox requeue <service> <entryId...> | <service> --all: the relay's backlog and quarantine. */
async function outbox() {
  const [, sub = 'list', ...rest] = positionals;
  const conn = createEtcdConnection({ endpoints: endpoints().etcd, deadlineMs: 5000 });
  try {
    const quarantined = async (service: ServiceName) =>
      Object.entries(await conn.kv.getAll().prefix(prefixes.outboxQuarantineOf(service)).strings()).map(([key, value]) => ({
        key,
        entryId: key.slice(key.lastIndexOf(':') + 1),
        ...outboxQuarantineRecord.parse(JSON.parse(value)),
      }));
    if (sub === 'list') {
      for (const service of values.service ? [serviceArg(values.service)] : SERVICE_NAMES) {
        const backlog = await conn.kv.getAll().prefix(prefixes.outboxOf(service)).count();
        const q = await quarantined(service);
        if (values.service || backlog > 0 || q.length > 0)
          process.stdout.write(`${service}: ${backlog} entr${backlog === 1 ? 'y' : 'ies'} waiting, ${q.length} quarantined\n`);
        for (const e of q)
          process.stdout.write(
            `  ${e.entryId}  quarantined ${e.quarantinedAt} after ${e.attempts} attempt(s) (${e.failure}): ${e.reason}\n      value: ${e.value.slice(0, 300)}\n`,
          );
      }
      return;
    }
    if (sub !== 'requeue') fail(`outbox: unknown subcommand "${sub}" (list, requeue)`);
    const [name, ...ids] = rest;
    const service = serviceArg(name);
    if (!values.all && ids.length === 0) fail('outbox requeue <service> <entryId...> | <service> --all');
    const wanted = (await quarantined(service)).filter((e) => values.all || ids.includes(e.entryId));
    let moved = 0;
    for (const e of wanted) {
      // Only if still quarantined and its outbox key is free: one Txn, so a repeat does nothing.
      const res = await conn.kv
        .if(e.key, 'Create', '>', 0)
        .and(keys.outbox(service, e.entryId), 'Create', '==', 0)
        .then(conn.kv.put(keys.outbox(service, e.entryId)).value(e.value), conn.kv.delete().key(e.key))
        .commit();
      if (res.succeeded) moved++;
    }
    const missing = values.all ? [] : ids.filter((id) => !wanted.some((e) => e.entryId === id));
    process.stdout.write(
      `${moved} entr${moved === 1 ? 'y' : 'ies'} put back in the outbox of ${service}${missing.length ? `; not quarantined: ${missing.join(', ')}` : ''}\n`,
    );
    if (missing.length > 0) process.exitCode = 1;
  } finally {
    conn.close();
  }
}

const command = positionals[0] ?? 'up';
const commands: Record<string, () => Promise<void>> = {
  up,
  down,
  status,
  reconcile,
  'search-verify': () => searchIndex(false),
  'search-rebuild': () => searchIndex(true),
  parked,
  outbox,
};
if (!commands[command]) fail(`unknown command "${command}" (${Object.keys(commands).join(', ')})`);
await commands[command]!();
