/** How a verify report reads: a table with one row per check, then the first violations of each. */
import { table } from '../output.js';
import type { CheckReport, VerifyReport } from './runner.js';

export function statusText(c: CheckReport): string {
  return c.status === 'OK' && c.waited ? 'PENDING->OK' : c.status;
}

export function formatReport(report: VerifyReport, maxDetails: number, elapsedMs: number): string {
  const revisions = [...new Set(report.checks.map((c) => c.revision))];
  const head = `ticketctl verify: ${report.checks.length} check(s) at revision ${revisions.join(', ')} in ${(elapsedMs / 1000).toFixed(1)} s\n`;
  const rows = report.checks.map((c) => [c.name, c.examined, c.violations.length, c.pending.length, statusText(c)]);
  let out = head + table(['check', 'keys examined', 'violations', 'pending', 'status'], rows);
  for (const c of report.checks) {
    const lines: string[] = [];
    for (const v of c.violations.slice(0, maxDetails)) lines.push(`  ${v.key}: ${v.message}`);
    if (c.violations.length > maxDetails) lines.push(`  ... and ${c.violations.length - maxDetails} more violation(s)`);
    for (const p of c.pending.slice(0, maxDetails)) lines.push(`  pending ${p.key}: ${p.message}`);
    if (c.pending.length > maxDetails) lines.push(`  ... and ${c.pending.length - maxDetails} more pending`);
    for (const n of c.notes) lines.push(`  note: ${n}`);
    if (lines.length) out += `\n${c.name} (${statusText(c)}):\n${lines.join('\n')}\n`;
  }
  out += `\n${report.ok ? 'OK: no violation' : `FAIL: ${report.checks.reduce((n, c) => n + c.violations.length, 0)} violation(s)`}\n`;
  return out;
}

/** The --json shape: {checks: [{name, examined, violations, status, ...}], ok}; lists capped at maxDetails. */
export function jsonReport(report: VerifyReport, maxDetails: number) {
  return {
    checks: report.checks.map((c) => ({
      name: c.name,
      examined: c.examined,
      status: c.status,
      waited: c.waited,
      passes: c.passes,
      revision: c.revision,
      violationCount: c.violations.length,
      violations: c.violations.slice(0, maxDetails),
      pendingCount: c.pending.length,
      pending: c.pending.slice(0, maxDetails).map(({ key, message }) => ({ key, message })),
      notes: c.notes,
    })),
    ok: report.ok,
  };
}
