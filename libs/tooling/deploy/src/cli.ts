/**
 * Deployment tooling (the tools image runs it; the chart's etcd-auth Job calls `etcd-auth apply`).
 *   etcd-auth apply   apply the role table to etcd (root, a role + user per service, auth on)
 *       ETCD_ENDPOINTS (comma-separated), ETCD_TLS_CA_FILE / _CERT_FILE / _KEY_FILE, ETCD_NAMESPACE,
 *       ETCD_ROOT_PASSWORD, and per service ETCD_PASSWORDS_DIR/<service> (one file each) or
 *       ETCD_PASSWORD_<SERVICE_IN_UPPER_SNAKE> (e.g. ETCD_PASSWORD_SEARCH_INDEXER);
 *       ETCD_AUTH_REVOKE_WAIT_S (default 600): how long to wait for the instances of an older role
 *       table to stop before revoking what only they need.
 *   etcd-auth show    print the role table
 *   etcd-auth docs [--check]  write the table into docs/architecture.md (or only check it)
 *   etcd-auth chart [--check] write the table into the chart (helm/ticketcd/files/etcd-roles.txt)
 * Exit codes: 0 done, 64 usage, 78 configuration, 69 etcd unreachable, 77 root refused, 75 instances
 * of an older role table still ran at the end of the wait (the new table is granted), 1 other.
 * No password is ever printed.
 */
import { SERVICE_NAMES, type ServiceName } from '@ticketcd/keys';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyEtcdAuth, EtcdAuthSetupError } from './etcd-auth.js';
import { CHART_ROLES_FILE, renderRolesFile, renderRolesTable, rolesFileSha256, withRolesTable } from './roles-doc.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

function fail(message: string, code: number): never {
  process.stderr.write(`etcd-auth: ${message}\n`);
  process.exit(code);
}

const envName = (service: string) => `ETCD_PASSWORD_${service.toUpperCase().replace(/-/g, '_')}`;

/** Every service's password, from the directory's files or the variables; names what is missing. */
export function readPasswords(env: NodeJS.ProcessEnv): Record<ServiceName, string> {
  const dir = env.ETCD_PASSWORDS_DIR;
  const out: Partial<Record<ServiceName, string>> = {};
  const missing: string[] = [];
  for (const s of SERVICE_NAMES) {
    const file = dir ? path.join(dir, s) : null;
    const fromFile = file && fs.existsSync(file) ? fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '') : undefined;
    const value = fromFile ?? env[envName(s)];
    if (value) out[s] = value;
    else missing.push(dir ? `${file} (or ${envName(s)})` : envName(s));
  }
  if (missing.length) throw new EtcdAuthSetupError(`no password for: ${missing.join(', ')}`, 78);
  return out as Record<ServiceName, string>;
}

function endpointsOf(env: NodeJS.ProcessEnv): string[] {
  const list = (env.ETCD_ENDPOINTS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!list.length) throw new EtcdAuthSetupError('ETCD_ENDPOINTS is required (comma-separated etcd client URLs)', 78);
  const bad = list.filter((u) => !/^https?:\/\/[^/]+/.test(u));
  if (bad.length) throw new EtcdAuthSetupError(`ETCD_ENDPOINTS: not http(s) URLs: ${bad.join(', ')}`, 78);
  const tls = ['ETCD_TLS_CA_FILE', 'ETCD_TLS_CERT_FILE', 'ETCD_TLS_KEY_FILE'].filter((v) => env[v]);
  for (const v of tls) if (!fs.existsSync(env[v]!)) throw new EtcdAuthSetupError(`${v}: ${env[v]} is not a readable file`, 78);
  if (tls.length && list.some((u) => !u.startsWith('https:')))
    throw new EtcdAuthSetupError(`ETCD_ENDPOINTS must be https URLs when ${tls.join(', ')} is set`, 78);
  return list;
}

async function apply(env: NodeJS.ProcessEnv): Promise<void> {
  const endpoints = endpointsOf(env);
  if (!env.ETCD_ROOT_PASSWORD) throw new EtcdAuthSetupError('ETCD_ROOT_PASSWORD is required', 78);
  const wait = env.ETCD_AUTH_REVOKE_WAIT_S ?? '600';
  if (!/^\d{1,6}$/.test(wait)) throw new EtcdAuthSetupError(`ETCD_AUTH_REVOKE_WAIT_S: not a number of seconds: ${wait}`, 78);
  // The chart names the Job by a hash covering its table: say so when this image applies another.
  if (env.ETCD_ROLES_SHA256 && env.ETCD_ROLES_SHA256 !== rolesFileSha256())
    process.stdout.write(
      `etcd-auth: warning: the chart was made for another role table (${CHART_ROLES_FILE} sha256 ${env.ETCD_ROLES_SHA256.slice(0, 12)}, ` +
        `this image's ${rolesFileSha256().slice(0, 12)}): applying this image's; is the tools image of the chart's version?\n`,
    );
  const result = await applyEtcdAuth({
    endpoints,
    tls: { caFile: env.ETCD_TLS_CA_FILE, certFile: env.ETCD_TLS_CERT_FILE, keyFile: env.ETCD_TLS_KEY_FILE },
    rootPassword: env.ETCD_ROOT_PASSWORD,
    passwords: readPasswords(env),
    namespace: env.ETCD_NAMESPACE ?? '',
    revokeWaitMs: Number(wait) * 1000,
    log: (line) => process.stdout.write(`etcd-auth: ${line}\n`),
  });
  process.stdout.write(`etcd-auth: done (${result.roles.length} service users${result.wasEnabled ? '' : ', auth enabled'})\n`);
}

async function main(argv: string[]): Promise<void> {
  const [group, command, ...rest] = argv;
  if (group !== 'etcd-auth' || !command) fail('usage: cli.js etcd-auth apply | show | docs [--check] | chart [--check]', 64);
  if (command === 'apply') return apply(process.env);
  if (command === 'show') {
    process.stdout.write(`${renderRolesTable()}\n`);
    return;
  }
  if (command === 'chart') {
    const file = path.join(repoRoot, CHART_ROLES_FILE);
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (rest.includes('--check')) {
      if (current !== renderRolesFile()) fail(`${CHART_ROLES_FILE}: the role table is stale: run npm run chart:roles`, 1);
      return;
    }
    if (current !== renderRolesFile()) fs.writeFileSync(file, renderRolesFile());
    process.stdout.write(`etcd-auth: ${CHART_ROLES_FILE} ${current === renderRolesFile() ? 'already current' : 'updated'}\n`);
    return;
  }
  if (command === 'docs') {
    const file = path.join(repoRoot, 'docs/architecture.md');
    const page = fs.readFileSync(file, 'utf8');
    const next = withRolesTable(page);
    if (rest.includes('--check')) {
      if (next !== page) fail('docs/architecture.md: the roles table is stale: run npm run docs:roles', 1);
      return;
    }
    if (next !== page) fs.writeFileSync(file, next);
    process.stdout.write(`etcd-auth: docs/architecture.md ${next === page ? 'already current' : 'updated'}\n`);
    return;
  }
  fail(`unknown command "${command}" (apply, show, docs, chart)`, 64);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof EtcdAuthSetupError) fail(e.message, e.exitCode);
  fail((e as Error).message.split('\n')[0] ?? String(e), 1);
});
