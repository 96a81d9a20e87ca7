/**
 * Applies the role table (libs/shared/keys/src/roles.ts) to an etcd cluster, idempotently:
 * the root user with the root role, one role and one user per service named after it, exactly
 * the table's permissions on each role (any other is revoked), the passwords, then auth on.
 * Run again with auth already on, it authenticates as root and converges the same way. The
 * chart's post-install/post-upgrade hook Job runs it (`etcd-auth apply`).
 */
import { createEtcdConnection, type EtcdConnection, type EtcdTlsFiles } from '@ticketcd/etcd';
import { roleGrants, SERVICE_NAMES, type PrefixGrant, type ServiceName } from '@ticketcd/keys';
import { EtcdAuthenticationFailedError, EtcdRoleExistsError, EtcdUserExistsError, Range, type IPermission } from 'etcd3';

export const ROOT = 'root';

export interface ApplyOptions {
  endpoints: string[];
  tls?: EtcdTlsFiles;
  rootPassword: string;
  /** One password per service (the service's etcd user is the service name). */
  passwords: Record<ServiceName, string>;
  /** ETCD_NAMESPACE of the services: the grants are put under it. */
  namespace?: string;
  deadlineMs?: number;
  /** Progress lines (never a password). */
  log?: (line: string) => void;
}

export interface RoleChange {
  service: ServiceName;
  granted: string[];
  revoked: string[];
  userCreated: boolean;
}

export interface ApplyResult {
  /** Auth was already on before this run. */
  wasEnabled: boolean;
  rootCreated: boolean;
  roles: RoleChange[];
}

/** Why apply could not finish, with the exit code the CLI uses. */
export class EtcdAuthSetupError extends Error {
  override readonly name = 'EtcdAuthSetupError';
  constructor(
    message: string,
    readonly exitCode: number,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

const AUTH_NOT_ENABLED = /authentication is not enabled/;
const PERM: Record<PrefixGrant['permission'], IPermission['permType']> = { read: 'Read', readwrite: 'Readwrite' };

/** etcd returns the type as a name or a number depending on the loader: one spelling. */
function permName(t: unknown): string {
  return typeof t === 'number' ? (['Read', 'Write', 'Readwrite'][t] ?? String(t)) : String(t);
}

function permId(key: Buffer, end: Buffer, type: unknown): string {
  return `${permName(type)} ${key.toString('hex')}..${end.toString('hex')}`;
}

/** A permission as an operator reads it: `readwrite catalog:` or `read [a, b)`. */
function describe(key: Buffer, end: Buffer, type: unknown): string {
  const prefix = Range.prefix(key);
  const range = prefix.end.equals(end) ? `${key.toString()}*` : `[${key.toString()}, ${end.toString()})`;
  return `${permName(type).toLowerCase()} ${range}`;
}

export async function applyEtcdAuth(opts: ApplyOptions): Promise<ApplyResult> {
  const log = opts.log ?? (() => undefined);
  const missing = SERVICE_NAMES.filter((s) => !opts.passwords[s]);
  if (missing.length) throw new EtcdAuthSetupError(`no password for the etcd user of ${missing.join(', ')}`, 78);
  if (!opts.rootPassword) throw new EtcdAuthSetupError('no root password', 78);

  const { conn, wasEnabled } = await connect(opts);
  try {
    const auth = conn.client.auth;
    const call = () => conn.deadline();
    log(wasEnabled ? 'auth is enabled: authenticated as root' : 'auth is not enabled yet: setting it up');

    const users = new Set((await auth.userList(call())).users);
    const roles = new Set((await auth.roleList(call())).roles);

    let rootCreated = false;
    if (!users.has(ROOT)) {
      await auth.userAdd({ name: ROOT, password: opts.rootPassword }, call());
      rootCreated = true;
      log('root user created');
    } else if (!wasEnabled) {
      // With auth on we just authenticated with it; with auth off, make it the one given.
      await auth.userChangePassword({ name: ROOT, password: opts.rootPassword }, call());
    }
    await auth.userGrantRole({ user: ROOT, role: ROOT }, call());

    const changes: RoleChange[] = [];
    for (const service of SERVICE_NAMES) {
      changes.push(await applyService(conn, service, opts, users.has(service), roles.has(service)));
      const c = changes[changes.length - 1]!;
      log(
        `${service}: role ${c.granted.length ? `granted ${c.granted.join(', ')}` : 'unchanged'}` +
          `${c.revoked.length ? `; revoked ${c.revoked.join(', ')}` : ''}; user ${c.userCreated ? 'created' : 'password set'}`,
      );
    }

    if (!wasEnabled) {
      await auth.authEnable(call());
      log('auth enabled');
    }
    return { wasEnabled, rootCreated, roles: changes };
  } catch (e) {
    if (e instanceof EtcdAuthSetupError) throw e;
    throw new EtcdAuthSetupError(`etcd auth setup failed: ${(e as Error).message.split('\n')[0]}`, 1, e);
  } finally {
    conn.close();
  }
}

async function applyService(
  conn: EtcdConnection,
  service: ServiceName,
  opts: ApplyOptions,
  userExists: boolean,
  roleExists: boolean,
): Promise<RoleChange> {
  const auth = conn.client.auth;
  const call = () => conn.deadline();
  if (!roleExists) await auth.roleAdd({ name: service }, call()).catch(ignore(EtcdRoleExistsError));

  const wanted = new Map(
    roleGrants(service, opts.namespace ?? '').map((g) => {
      const r = Range.prefix(g.prefix);
      return [permId(r.start, r.end, PERM[g.permission]), { key: r.start, end: r.end, type: PERM[g.permission], prefix: g.prefix }];
    }),
  );
  const have = (await auth.roleGet({ role: service }, call())).perm ?? [];
  const revoked: string[] = [];
  for (const p of have) {
    const end = p.range_end ?? Buffer.alloc(0);
    if (wanted.has(permId(p.key, end, p.permType))) {
      wanted.delete(permId(p.key, end, p.permType));
      continue;
    }
    await auth.roleRevokePermission({ role: service, key: p.key, range_end: end }, call());
    revoked.push(describe(p.key, end, p.permType));
  }
  const granted: string[] = [];
  for (const w of wanted.values()) {
    await auth.roleGrantPermission({ name: service, perm: { permType: w.type, key: w.key, range_end: w.end } }, call());
    granted.push(`${permName(w.type).toLowerCase()} ${w.prefix}*`);
  }

  let userCreated = false;
  if (!userExists) {
    userCreated = await auth.userAdd({ name: service, password: opts.passwords[service] }, call()).then(
      () => true,
      (e: unknown) => ignore(EtcdUserExistsError)(e).then(() => false),
    );
  }
  if (!userCreated) await auth.userChangePassword({ name: service, password: opts.passwords[service] }, call());
  // The user has its own role and no other.
  const userRoles = (await auth.userGet({ name: service }, call())).roles ?? [];
  for (const r of userRoles) if (r !== service) await auth.userRevokeRole({ name: service, role: r }, call());
  if (!userRoles.includes(service)) await auth.userGrantRole({ user: service, role: service }, call());
  return { service, granted, revoked, userCreated };
}

function ignore(type: new (...args: never[]) => Error) {
  return async (e: unknown): Promise<void> => {
    if (!(e instanceof type)) throw e;
  };
}

/**
 * Connects as root when auth is on, without a user when it is off (etcd refuses a token request
 * then). A wrong root password with auth on is an error of its own.
 */
async function connect(opts: ApplyOptions): Promise<{ conn: EtcdConnection; wasEnabled: boolean }> {
  const base = { endpoints: opts.endpoints, tls: opts.tls, deadlineMs: opts.deadlineMs ?? 5000 };
  const asRoot = createEtcdConnection({ ...base, auth: { username: ROOT, password: opts.rootPassword } });
  try {
    await asRoot.client.auth.userList(asRoot.deadline());
    return { conn: asRoot, wasEnabled: true };
  } catch (e) {
    asRoot.close();
    const message = (e as Error).message.split('\n')[0];
    if (e instanceof EtcdAuthenticationFailedError)
      throw new EtcdAuthSetupError(`etcd auth is enabled and refused the root user: wrong ETCD_ROOT_PASSWORD? (${message})`, 77, e);
    if (!AUTH_NOT_ENABLED.test((e as Error).message))
      throw new EtcdAuthSetupError(`etcd is not reachable at ${opts.endpoints.join(', ')}: ${message}`, 69, e);
  }
  const plain = createEtcdConnection(base);
  return { conn: plain, wasEnabled: false };
}
