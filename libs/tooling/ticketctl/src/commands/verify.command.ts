/**
 * `ticketctl verify`: every invariant check in one place, reading etcd directly (no service
 * needs to run). Exit 0: no violation; 1: a violation; 2: bad usage; 3: etcd unreachable.
 */
import { isAvailabilityError, toStoreError } from '@ticketcd/etcd';
import type { Command } from 'commander';
import { connect, resolveEndpoints, type GlobalOptions } from '../endpoints.js';
import { CliError, printJson } from '../output.js';
import { CHECKS, type CheckName } from '../verify/checks.js';
import { formatReport, jsonReport } from '../verify/report.js';
import { runVerify } from '../verify/runner.js';

interface VerifyFlags {
  json?: boolean;
  settle: string;
  only?: string;
  maxDetails: string;
}

export function parseOnly(only: string | undefined): CheckName[] {
  if (!only) return [...CHECKS];
  const names = only
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(CHECKS as readonly string[]).includes(n));
  if (unknown.length || names.length === 0)
    throw new CliError(`--only: unknown check(s) ${unknown.join(', ') || '(none given)'}; the checks are ${CHECKS.join(', ')}`, 2);
  // In the table's order, each once.
  return CHECKS.filter((c) => names.includes(c));
}

function nonNegative(flag: string, value: string, integer: boolean): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n)))
    throw new CliError(`${flag} must be a ${integer ? 'whole ' : ''}number >= 0, got ${JSON.stringify(value)}`, 2);
  return n;
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('check every invariant against the store (stock, stats, purchases, search, alerts, favourites, orphans)')
    .option('--json', 'print {checks: [{name, examined, violations, status}], ok}')
    .option('--settle <seconds>', 'how long to wait for background consumers before pending work is a violation', '10')
    .option('--only <checks>', `comma-separated subset of: ${CHECKS.join(', ')}`)
    .option('--max-details <n>', 'violation lines listed per check', '20')
    .action(async (flags: VerifyFlags, cmd: Command) => {
      const settleMs = nonNegative('--settle', flags.settle, false) * 1000;
      const maxDetails = nonNegative('--max-details', flags.maxDetails, true);
      const checks = parseOnly(flags.only);
      let endpoints;
      try {
        endpoints = resolveEndpoints(cmd.optsWithGlobals<GlobalOptions>());
      } catch (e) {
        throw new CliError((e as Error).message, 2);
      }
      // A page of 10,000 keys from a big range can take seconds on etcd 3.4 under load; the first
      // read (the revision) has its own 5 s deadline, so an unreachable store still fails fast.
      const conn = connect(endpoints, 30_000);
      const started = Date.now();
      try {
        const report = await runVerify(conn, {
          checks,
          settleMs,
          onPass: (pass, running) => {
            if (pass > 1 && !flags.json) process.stderr.write(`verify: pass ${pass}, waiting on ${running.join(', ')}\n`);
          },
        });
        if (flags.json) printJson(jsonReport(report, maxDetails));
        else process.stdout.write(formatReport(report, maxDetails, Date.now() - started));
        process.exitCode = report.ok ? 0 : 1;
      } catch (e) {
        const err = toStoreError(e, 'verify');
        if (isAvailabilityError(err))
          throw new CliError(`etcd unavailable at ${endpoints.etcd.join(',')} (${endpoints.source}): ${(err as Error).message}`, 3);
        throw e;
      } finally {
        conn.close();
      }
    });
}
