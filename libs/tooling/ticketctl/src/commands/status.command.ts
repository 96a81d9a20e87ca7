/** status: etcd members and alarms, the live service instances (svc: keys), NATS. Exit 1 without a quorum. */
import type { Command } from 'commander';
import { connect } from '../endpoints.js';
import { printJson, table } from '../output.js';
import { bytes } from '../query/format.js';
import { gatherStatus, type StatusReport } from '../query/status.js';
import { endpointsOf } from './query.command.js';

/** Per call: a member that does not answer within it is DOWN (the whole command stays within seconds). */
const STATUS_DEADLINE_MS = 1500;

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('etcd members (leader, raft term and index, db size), alarms, live service instances, NATS; exit 1 without a quorum')
    .option('--json', 'print the whole report as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const ep = endpointsOf(cmd);
      const conn = connect(ep, STATUS_DEADLINE_MS);
      let report: StatusReport;
      try {
        report = await gatherStatus(conn, ep.nats, STATUS_DEADLINE_MS);
      } finally {
        conn.close();
      }
      if (opts.json) printJson(report);
      else process.stdout.write(renderStatus(report));
      if (!report.etcd.quorum) process.exitCode = 1;
    });
}

export function renderStatus(r: StatusReport): string {
  const e = r.etcd;
  const up = e.members.filter((m) => m.reachable).length;
  let s = `etcd: ${e.members.length} member(s), ${up} reachable, quorum ${e.quorum ? 'yes' : 'NO'}\n`;
  if (e.memberListError) s += `  member list failed: ${e.memberListError}\n`;
  if (e.members.length > 0) {
    s += table(
      ['NAME', 'ID', 'STATE', 'CLIENT URLS', 'TERM', 'INDEX', 'DB', 'VERSION'],
      e.members.map((m) => [
        m.name || '(unstarted)',
        BigInt(m.id).toString(16),
        m.isLeader ? 'leader' : m.reachable ? 'follower' : 'DOWN',
        m.clientUrls.join(','),
        m.raftTerm ?? '-',
        m.raftIndex ?? '-',
        m.reachable ? bytes(m.dbSizeBytes) : '-',
        m.version ?? (m.error ? `(${m.error.slice(0, 40)})` : '-'),
      ]),
    )
      .split('\n')
      .map((l) => (l ? `  ${l}` : l))
      .join('\n');
  }
  s += e.alarmsError
    ? `alarms: unreadable (${e.alarmsError})\n`
    : `alarms: ${e.alarms.length ? e.alarms.map((a) => `${a.alarm} on ${BigInt(a.memberId).toString(16)}`).join(', ') : 'none'}\n`;
  const svc = r.services;
  s += `service instances (svc: keys): ${svc.error ?? svc.instances.length}\n`;
  if (svc.instances.length > 0) {
    s += table(
      ['SERVICE', 'INSTANCE', 'PORT', 'PID', 'SINCE'],
      svc.instances.map((i) => [i.service, i.instanceId, i.port ?? '-', i.pid ?? '-', i.since ?? '-']),
    )
      .split('\n')
      .map((l) => (l ? `  ${l}` : l))
      .join('\n');
    s += `  per service: ${Object.entries(svc.perService)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}\n`;
  }
  s += `NATS ${r.nats.url}: ${r.nats.ok ? `ok${r.nats.version ? ` (server ${r.nats.version})` : ''}` : `UNREACHABLE (${r.nats.error})`}\n`;
  return s;
}
