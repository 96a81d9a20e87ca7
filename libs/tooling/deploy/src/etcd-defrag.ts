/**
 * etcd-defrag: defragments every member in a safe order (the chart's defrag CronJob runs it in
 * the tools image; ordered-defrag.ts does the work): learners and followers one at a time, each
 * back in step with the leader before the next, the leader last (asked again right before it).
 * Every step and the final order are logged.
 *   node libs/tooling/deploy/dist/etcd-defrag.js
 * Environment: ETCD_ENDPOINTS (comma-separated), ETCD_TLS_CA_FILE / _CERT_FILE / _KEY_FILE,
 *   ETCD_ROOT_PASSWORD (with etcd auth on: Defragment needs root), ETCD_DEADLINE_MS (each unary
 *   call, 5000), DEFRAG_TIMEOUT_S (one member's Defragment, 300), DEFRAG_HEALTHY_TIMEOUT_S (how
 *   long a member may take to be back in step before the run stops, 60).
 * Exit codes: 0 done, 64 usage, 78 configuration, 69 etcd unreachable or a Defragment failed,
 * 77 etcd refused root, 75 a member is down, not started or not back in step (the run stops
 * there: the rest are left alone), 1 other.
 */
import { DEFRAG_EXIT, DefragError, runOrderedDefrag } from './ordered-defrag.js';
import { ConfigError, etcdEnv } from './tool-env.js';

function fail(message: string, code: number): never {
  process.stderr.write(`etcd-defrag: ${message}\n`);
  process.exit(code);
}

const seconds = (name: string, dflt: number): number => {
  const raw = process.env[name];
  const n = raw ? Number(raw) : dflt;
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${name} must be a positive number of seconds (got "${raw}")`);
  return n * 1000;
};

async function main(argv: string[]): Promise<void> {
  if (argv.length) fail('usage: etcd-defrag.js (no arguments; see the file header for the environment)', DEFRAG_EXIT.usage);
  const etcd = etcdEnv(process.env);
  await runOrderedDefrag({
    endpoints: etcd.endpoints,
    tls: etcd.tls,
    rootPassword: etcd.rootPassword,
    deadlineMs: etcd.etcdDeadlineMs,
    defragTimeoutMs: seconds('DEFRAG_TIMEOUT_S', 300),
    healthyTimeoutMs: seconds('DEFRAG_HEALTHY_TIMEOUT_S', 60),
    log: (line) => process.stdout.write(`etcd-defrag: ${line}\n`),
  });
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e: unknown) => {
    if (e instanceof DefragError || e instanceof ConfigError) fail(e.message, e.exitCode);
    fail((e as Error).message?.split('\n')[0] ?? String(e), DEFRAG_EXIT.other);
  },
);
