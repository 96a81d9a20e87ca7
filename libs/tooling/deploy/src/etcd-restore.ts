/**
 * Restoring etcd from a snapshot (docs/deploy.md, "Restore"). Two steps, each its own command:
 *
 *   etcd-restore member --snapshot FILE --name NAME --data-dir DIR --initial-cluster N=URL,...
 *       --initial-cluster-token TOKEN --initial-advertise-peer-urls URL
 *       [--bump-revision N] [--etcdutl PATH] [--timeout-ms MS] [--print-args]
 *     one member: `etcdutl snapshot restore` into a fresh data dir, revision bumped and marked
 *     compacted. --print-args prints etcdutl's argv as JSON and runs nothing (the chart's
 *     restore pods run etcdutl in the etcd image, which has no Node).
 *
 *   etcd-restore realign --since ISO-TIME [--margin-minutes 10] [--out DIR] [--dry-run] [--json]
 *       [--timeout-ms MS]
 *     with the restored members up and every service stopped: lists the sales JetStream holds
 *     that the store lost (table; DIR/lost-orders.json and .csv), deletes the messages of lost
 *     commits from their streams and restarts each durable consumer from the window (see
 *     restore/realign.ts). Environment: ETCD_ENDPOINTS, ETCD_NAMESPACE, ETCD_TLS_CA_FILE /
 *     _CERT_FILE / _KEY_FILE, ETCD_ROOT_PASSWORD (auth on: logs in as root), NATS_URL.
 *
 * Exit codes: 0 done, 64 usage, 65 bump too small (restore again), 66 snapshot unreadable,
 * 69 etcd / NATS / etcdutl unreachable or failing, 73 data dir not empty, 75 services still
 * running or deadline passed, 1 other.
 */
import { connect } from '@nats-io/transport-node';
import { createEtcdConnection } from '@ticketcd/etcd';
import { parseArgs } from 'node:util';
import { DEFAULT_BUMP_REVISION, etcdutlRestoreArgs, checkMemberOptions, restoreMember, RestoreError } from './restore/member.js';
import { lostOrdersTable, realign } from './restore/realign.js';

function fail(message: string, code: number): never {
  process.stderr.write(`etcd-restore: ${message}\n`);
  process.exit(code);
}

const out = (line: string) => process.stdout.write(`${line}\n`);

async function member(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      snapshot: { type: 'string' },
      name: { type: 'string' },
      'data-dir': { type: 'string' },
      'initial-cluster': { type: 'string' },
      'initial-cluster-token': { type: 'string' },
      'initial-advertise-peer-urls': { type: 'string' },
      'bump-revision': { type: 'string' },
      etcdutl: { type: 'string' },
      'timeout-ms': { type: 'string' },
      'print-args': { type: 'boolean' },
    },
  });
  const opts = {
    snapshot: values.snapshot ?? '',
    name: values.name ?? '',
    dataDir: values['data-dir'] ?? '',
    initialCluster: values['initial-cluster'] ?? '',
    token: values['initial-cluster-token'] ?? '',
    peerUrl: values['initial-advertise-peer-urls'] ?? '',
    bumpRevision: values['bump-revision'] === undefined ? DEFAULT_BUMP_REVISION : Number(values['bump-revision']),
  };
  if (values['print-args']) {
    checkMemberOptions(opts);
    out(JSON.stringify(['etcdutl', ...etcdutlRestoreArgs(opts)]));
    return;
  }
  const r = await restoreMember(opts, values.etcdutl ?? 'etcdutl', Number(values['timeout-ms'] ?? 600_000));
  out(
    `etcd-restore: ${r.member} restored into ${r.dataDir}: snapshot revision ${r.snapshotRevision}, ${r.totalKeys} keys, ` +
      `restored revision ${r.restoredRevision} (marked compacted)`,
  );
}

async function realignCmd(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      since: { type: 'string' },
      'margin-minutes': { type: 'string' },
      out: { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      'timeout-ms': { type: 'string' },
    },
  });
  const since = new Date(values.since ?? '');
  if (!values.since || Number.isNaN(since.getTime())) throw new RestoreError('--since is required: the snapshot time (ISO 8601)', 64);
  const margin = Number(values['margin-minutes'] ?? 10);
  if (!Number.isFinite(margin) || margin < 0) throw new RestoreError('--margin-minutes must be a number >= 0', 64);
  const env = process.env;
  const endpoints = (env.ETCD_ENDPOINTS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!endpoints.length) throw new RestoreError('ETCD_ENDPOINTS is required (comma-separated etcd client URLs)', 64);
  if (!env.NATS_URL) throw new RestoreError('NATS_URL is required', 64);
  const etcd = createEtcdConnection({
    endpoints,
    namespace: env.ETCD_NAMESPACE ?? '',
    deadlineMs: 5000,
    tls: { caFile: env.ETCD_TLS_CA_FILE, certFile: env.ETCD_TLS_CERT_FILE, keyFile: env.ETCD_TLS_KEY_FILE },
    ...(env.ETCD_ROOT_PASSWORD ? { auth: { username: 'root', password: env.ETCD_ROOT_PASSWORD } } : {}),
  });
  let nc;
  try {
    nc = await connect({ servers: env.NATS_URL.split(','), name: 'etcd-restore', timeout: 5000 });
  } catch (e) {
    etcd.close();
    throw new RestoreError(`NATS ${env.NATS_URL} unreachable: ${(e as Error).message}`, 69);
  }
  try {
    const report = await realign({
      etcd,
      nc,
      since,
      marginMs: margin * 60_000,
      outDir: values.out,
      dryRun: values['dry-run'],
      timeoutMs: Number(values['timeout-ms'] ?? 600_000),
      log: values.json ? undefined : (l) => out(`etcd-restore: ${l}`),
    });
    if (values.json) {
      out(JSON.stringify(report, null, 2));
      return;
    }
    out(`etcd-restore: ${report.lostOrders.length} order(s) sold after the snapshot are not in the restored store:`);
    if (report.lostOrders.length) out(lostOrdersTable(report.lostOrders));
    for (const f of report.files) out(`etcd-restore: wrote ${f}`);
    for (const c of report.consumers)
      out(
        `etcd-restore: durable ${c.durable} (${c.stream}, ${c.filter}): ` +
          (c.startSeq === null ? 'unchanged (nothing in the window)' : `${report.dryRun ? 'would restart' : 'restarts'} at #${c.startSeq}`),
      );
    out(
      report.dryRun
        ? `etcd-restore: dry run: nothing deleted or changed`
        : `etcd-restore: done: ${report.deleted} message(s) of lost commits deleted from their streams; start the services`,
    );
  } finally {
    await nc.close();
    etcd.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'member') return member(rest);
  if (command === 'realign') return realignCmd(rest);
  fail('usage: etcd-restore.js member ... | realign ... (see the file header or docs/deploy.md)', 64);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e: unknown) => {
    if (e instanceof RestoreError) fail(e.message, e.exitCode);
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) fail((e as Error).message, 64);
    fail((e as Error).message.split('\n')[0] ?? String(e), 1);
  },
);
