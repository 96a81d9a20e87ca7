/** Issue 29.2: the flags of `etcd-secrets.js ensure` (listed in etcd-secrets.ts) to the Secrets to ensure. */
import { SERVICE_NAMES } from '@ticketcd/keys';
import { EtcdSecretsError, type SecretPlan } from './ensure.js';

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function parseFlags(argv: string[]): Map<string, string[]> {
  const flags = new Map<string, string[]>();
  for (const a of argv) {
    const m = /^--([a-z-]+)=(.*)$/s.exec(a);
    if (!m) throw new EtcdSecretsError(`argument "${a}" is not --flag=value`, 64);
    flags.set(m[1]!, [...(flags.get(m[1]!) ?? []), m[2]!]);
  }
  return flags;
}

const KNOWN = new Set([
  'namespace',
  'root',
  'users',
  'services',
  'jwt',
  'admin',
  'ca',
  'ca-cn',
  'peer',
  'peer-san',
  'server',
  'server-san',
  'client',
  'ca-days',
  'cert-days',
  'label',
  'copy',
  'timeout-ms',
]);

export interface EnsureCommand {
  namespace?: string;
  plans: SecretPlan[];
  labels: Record<string, string>;
  copies: { secret: string; dir: string }[];
  caDays: number;
  certDays: number;
  timeoutMs: number;
}

/** The plans of `ensure`'s flags; EtcdSecretsError 64/78 on a malformed or incomplete command. */
export function parseEnsure(argv: string[], env: NodeJS.ProcessEnv): EnsureCommand {
  const flags = parseFlags(argv);
  for (const k of flags.keys()) if (!KNOWN.has(k)) throw new EtcdSecretsError(`unknown flag --${k}`, 64);
  const one = (k: string) => flags.get(k)?.at(-1) || undefined;
  const list = (k: string) =>
    (one(k) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const name = (k: string, v: string | undefined) => {
    if (v !== undefined && !NAME.test(v)) throw new EtcdSecretsError(`--${k}: "${v}" is not a Secret name`, 64);
    return v;
  };
  const num = (k: string, fallback: number) => {
    const n = Number(one(k) ?? fallback);
    if (!Number.isInteger(n) || n <= 0) throw new EtcdSecretsError(`--${k} must be a positive integer`, 64);
    return n;
  };
  const plans: SecretPlan[] = [];
  const root = name('root', one('root'));
  if (root) plans.push({ kind: 'root', name: root });
  const users = name('users', one('users'));
  if (users) {
    const services = flags.has('services') ? list('services') : [...SERVICE_NAMES];
    if (!services.length) throw new EtcdSecretsError('--services is empty', 64);
    plans.push({ kind: 'users', name: users, services });
  }
  const jwt = name('jwt', one('jwt'));
  if (jwt) plans.push({ kind: 'jwt', name: jwt });
  const admin = name('admin', one('admin'));
  if (admin) {
    const username = env.ADMIN_USERNAME?.trim();
    if (!username) throw new EtcdSecretsError("--admin needs ADMIN_USERNAME (the first admin's name)", 78);
    plans.push({ kind: 'admin', name: admin, username });
  }
  const ca = name('ca', one('ca'));
  const certs: SecretPlan[] = [];
  const peer = name('peer', one('peer'));
  if (peer) certs.push({ kind: 'cert', name: peer, ca: ca ?? '', role: 'peer', commonName: peer, sans: list('peer-san') });
  const server = name('server', one('server'));
  if (server) certs.push({ kind: 'cert', name: server, ca: ca ?? '', role: 'server', commonName: server, sans: list('server-san') });
  for (const c of flags.get('client') ?? []) {
    const m = /^([^:]+):(.+)$/.exec(c);
    if (!m) throw new EtcdSecretsError(`--client=${c}: expected <secret>:<CN>`, 64);
    certs.push({ kind: 'cert', name: name('client', m[1])!, ca: ca ?? '', role: 'client', commonName: m[2]!, sans: [] });
  }
  if (certs.length && !ca) throw new EtcdSecretsError('--peer, --server and --client need --ca (the CA Secret that signs them)', 64);
  for (const c of certs)
    if (c.kind === 'cert' && c.role !== 'client' && !c.sans.length)
      throw new EtcdSecretsError(`--${c.role}-san is required with --${c.role}`, 64);
  if (ca) plans.push({ kind: 'ca', name: ca, commonName: one('ca-cn') ?? ca });
  plans.push(...certs);
  const labels: Record<string, string> = {};
  for (const l of flags.get('label') ?? []) {
    const m = /^([^=]+)=(.*)$/.exec(l);
    if (!m) throw new EtcdSecretsError(`--label=${l}: expected <key>=<value>`, 64);
    labels[m[1]!] = m[2]!;
  }
  const copies = (flags.get('copy') ?? []).map((c) => {
    const m = /^([^:]+):(\/.+)$/.exec(c);
    if (!m) throw new EtcdSecretsError(`--copy=${c}: expected <secret>:<absolute dir>`, 64);
    return { secret: name('copy', m[1])!, dir: m[2]! };
  });
  if (!plans.length && !copies.length)
    throw new EtcdSecretsError('nothing to do: name at least one Secret (see the header of etcd-secrets.ts)', 64);
  return {
    namespace: one('namespace') ?? env.POD_NAMESPACE,
    plans,
    labels,
    copies,
    caDays: num('ca-days', 3650),
    certDays: num('cert-days', 1825),
    timeoutMs: num('timeout-ms', 10_000),
  };
}
