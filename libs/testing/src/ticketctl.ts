/**
 * Runs the built `ticketctl` (libs/tooling/ticketctl/dist/cli.js) as a subprocess, as a user
 * would: tests and benchmarks seed and inspect stacks through the real tool.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';

export const TICKETCTL_CLI = path.resolve('libs/tooling/ticketctl/dist/cli.js');
/** The demo data `npm run stack` seeds. */
export const DEMO_DATA = path.resolve('data/demo.yaml');

export interface TicketctlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `ticketctl <args>` against a cluster (and namespace, if given); never throws on a non-zero exit. */
export function ticketctl(
  target: { etcd: string[]; nats?: string; namespace?: string },
  args: string[],
  opts: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<TicketctlResult> {
  const globals = ['--etcd', target.etcd.join(',')];
  if (target.nats) globals.push('--nats', target.nats);
  if (target.namespace) globals.push('--namespace', target.namespace);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [TICKETCTL_CLI, ...globals, ...args],
      { timeout: opts.timeoutMs ?? 300_000, maxBuffer: 256 * 1024 * 1024, cwd: opts.cwd, env: { ...process.env, ...opts.env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** What `npm run stack` does: populate the demo data (seed 1), waiting for the services to record the sales. */
export async function seedDemo(target: { etcd: string[]; nats: string }, cwd: string): Promise<{ events: number; users: number }> {
  const r = await ticketctl(target, [
    'populate',
    '--config',
    DEMO_DATA,
    '--seed',
    '1',
    '--credentials',
    path.join(cwd, 'credentials.csv'),
    '--json',
  ]);
  if (r.code !== 0) throw new Error(`ticketctl populate failed (${r.code}): ${r.stderr}`);
  const report = JSON.parse(r.stdout) as { phases: { phase: string; planned: number }[] };
  const planned = (p: string) => report.phases.find((x) => x.phase === p)?.planned ?? 0;
  return { events: planned('events'), users: planned('users') };
}
