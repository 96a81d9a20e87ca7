/**
 * Applies the role table (libs/shared/keys/src/roles.ts) to an etcd cluster, idempotently: the
 * root user with the root role, one role and one user per service named after it, the table's
 * permissions on each role, the passwords, then auth on. Run again with auth already on, it
 * authenticates as root and converges the same way. The chart's etcd-auth Job runs it
 * (`etcd-auth apply`) beside the pods, on every install and on every upgrade that changes it.
 *
 * Rolling upgrades (issue 29.1): the new table's permissions are granted first, without taking
 * any away, so old and new pods both work (the union). What only the old table had is revoked
 * once no live instance of that service reports another table: each instance publishes the
 * fingerprint of its own role in its `svc:` value (`grants`, see grantsHash); an instance that
 * publishes none (a release before this one) counts as old, and a service with no instance running
 * has no old one. The wait is bounded (revokeWaitMs); past it, apply fails with 75 and the
 * permissions stay, which is the safe side.
 *
 * Tokens: every change to etcd's auth store (a grant, a revoke, a password) makes it issue new
 * tokens, and a password change drops that user's tokens at once. So nothing is written that is
 * already so: a password is set only when logging in with the Secret's value fails, a role is
 * granted only when missing. A second run changes nothing and invalidates no token.
 */
import { createEtcdConnection, scanPrefix, type EtcdConnection, type EtcdTlsFiles } from '@ticketcd/etcd';
import { grantsHash, prefixes, roleGrants, SERVICE_NAMES, type PrefixGrant, type ServiceName } from '@ticketcd/keys';
import { EtcdAuthenticationFailedError, EtcdRoleExistsError, EtcdUserExistsError, Range, type IPermission } from 'etcd3';

export const ROOT = 'root';

export interface ApplyOptions {
  endpoints: string[];
  tls?: EtcdTlsFiles;
  rootPassword: string;
  /** One password per service (the service's etcd user is the service name). */
  passwords: Record<ServiceName, string>;
  /** ETCD_NAMESPACE of the services: the grants are put under it, and their `svc:` keys are read there. */
  namespace?: string;
  deadlineMs?: number;
  /** Progress lines (never a password). */
  log?: (line: string) => void;
  /** The table to apply, each service's grants without the namespace (default: roles.ts). Tests inject an old and a new one. */
  table?: Record<ServiceName, readonly PrefixGrant[]>;
  /** How long to wait for the instances of another table to stop before revoking what only they need (default 600 s). */
  revokeWaitMs?: number;
  /** How often the live instances are read during that wait (default 1 s). */
  pollMs?: number;
}

export interface RoleChange {
  service: ServiceName;
  granted: string[];
  revoked: string[];
  userCreated: boolean;
  /** The password was set: a new user, auth still off, or the Secret's value no longer logged in. */
  passwordSet: boolean;
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

const rangeId = (key: Buffer, end: Buffer) => `${key.toString('hex')}..${end.toString('hex')}`;

/** A permission as an operator reads it: `readwrite catalog:*` or `read [a, b)`. */
function describe(key: Buffer, end: Buffer, type: unknown): string {
  const prefix = Range.prefix(key);
  const range = prefix.end.equals(end) ? `${key.toString()}*` : `[${key.toString()}, ${end.toString()})`;
  return `${permName(type).toLowerCase()} ${range}`;
}

interface Perm {
  key: Buffer;
  end: Buffer;
  type: string;
}

/** True when a permission of type `have` allows everything one of type `want` does. */
const covers = (have: string, want: string) => have === want || have === 'Readwrite';

/** The table's permissions of a service under the namespace, by range. */
function wantedOf(grants: readonly PrefixGrant[], namespace: string): Map<string, Perm> {
  return new Map(
    grants.map((g) => {
      const r = Range.prefix(namespace + g.prefix);
      return [rangeId(r.start, r.end), { key: r.start, end: r.end, type: permName(PERM[g.permission]) }];
    }),
  );
}

export async function applyEtcdAuth(opts: ApplyOptions): Promise<ApplyResult> {
  const log = opts.log ?? (() => undefined);
  const missing = SERVICE_NAMES.filter((s) => !opts.passwords[s]);
  if (missing.length) throw new EtcdAuthSetupError(`no password for the etcd user of ${missing.join(', ')}`, 78);
  if (!opts.rootPassword) throw new EtcdAuthSetupError('no root password', 78);
  const table = opts.table ?? (Object.fromEntries(SERVICE_NAMES.map((s) => [s, roleGrants(s)])) as Record<ServiceName, PrefixGrant[]>);
  const namespace = opts.namespace ?? '';

  const connected = await connect(opts);
  const { wasEnabled } = connected;
  let conn = connected.conn;
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
      // With auth on we just authenticated with it; with auth off no token exists to invalidate,
      // and etcd cannot check a password: make it the one given.
      await auth.userChangePassword({ name: ROOT, password: opts.rootPassword }, call());
    }
    if (!((await auth.userGet({ name: ROOT }, call())).roles ?? []).includes(ROOT))
      await auth.userGrantRole({ user: ROOT, role: ROOT }, call());

    // First the union: the new table's permissions are added, nothing is taken away yet.
    const changes: RoleChange[] = [];
    for (const service of SERVICE_NAMES) {
      const wanted = wantedOf(table[service], namespace);
      const c = await applyService(conn, service, wanted, opts.passwords[service], {
        wasEnabled,
        userExists: users.has(service),
        roleExists: roles.has(service),
      });
      changes.push(c);
      log(
        `${service}: role ${c.granted.length ? `granted ${c.granted.join(', ')}` : 'has the table'}; ` +
          `user ${c.userCreated ? 'created' : c.passwordSet ? 'password set' : 'password unchanged'}`,
      );
    }

    if (!wasEnabled) {
      await auth.authEnable(call());
      log('auth enabled');
      // From now on etcd wants a user: the rest runs as root.
      conn.close();
      conn = rootConnection(opts);
    }

    await revokeWhenUnused(conn, table, namespace, changes, opts, log);
    return { wasEnabled, rootCreated, roles: changes };
  } catch (e) {
    if (e instanceof EtcdAuthSetupError) throw e;
    throw new EtcdAuthSetupError(`etcd auth setup failed: ${(e as Error).message.split('\n')[0]}`, 1, e);
  } finally {
    conn.close();
  }
}

/** Grants what the role lacks (a wider type where the old one is narrower), the user and its password. */
async function applyService(
  conn: EtcdConnection,
  service: ServiceName,
  wanted: Map<string, Perm>,
  password: string,
  state: { wasEnabled: boolean; userExists: boolean; roleExists: boolean },
): Promise<RoleChange> {
  const auth = conn.client.auth;
  const call = () => conn.deadline();
  if (!state.roleExists) await auth.roleAdd({ name: service }, call()).catch(ignore(EtcdRoleExistsError));

  const have = new Map(
    ((await auth.roleGet({ role: service }, call())).perm ?? []).map((p) => [
      rangeId(p.key, p.range_end ?? Buffer.alloc(0)),
      permName(p.permType),
    ]),
  );
  const granted: string[] = [];
  for (const [id, w] of wanted) {
    const h = have.get(id);
    if (h !== undefined && covers(h, w.type)) continue;
    // etcd keeps one permission per range: a narrower old one is widened, never narrowed here.
    const type = h === undefined ? w.type : 'Readwrite';
    await auth.roleGrantPermission(
      { name: service, perm: { permType: type as IPermission['permType'], key: w.key, range_end: w.end } },
      call(),
    );
    granted.push(describe(w.key, w.end, type));
  }

  let userCreated = false;
  if (!state.userExists) {
    userCreated = await auth.userAdd({ name: service, password }, call()).then(
      () => true,
      (e: unknown) => ignore(EtcdUserExistsError)(e).then(() => false),
    );
  }
  // A password change drops the user's tokens: only when the Secret's value no longer logs in.
  // With auth off etcd cannot check one (and no token exists yet): set it.
  const passwordSet = !userCreated && (!state.wasEnabled || !(await logsIn(conn, service, password)));
  if (passwordSet) await auth.userChangePassword({ name: service, password }, call());
  // The user has its own role and no other.
  const userRoles = (await auth.userGet({ name: service }, call())).roles ?? [];
  for (const r of userRoles) if (r !== service) await auth.userRevokeRole({ name: service, role: r }, call());
  if (!userRoles.includes(service)) await auth.userGrantRole({ user: service, role: service }, call());
  return { service, granted, revoked: [], userCreated, passwordSet };
}

/** Whether etcd issues `user` a token for `password` (Authenticate changes nothing in the auth store). */
async function logsIn(conn: EtcdConnection, user: string, password: string): Promise<boolean> {
  try {
    await conn.client.auth.authenticate({ name: user, password }, conn.deadline());
    return true;
  } catch (e) {
    if (e instanceof EtcdAuthenticationFailedError) return false;
    throw e;
  }
}

/** A role's permissions that the table does not have as they are: dropped ranges, and wider types. */
async function extrasOf(
  conn: EtcdConnection,
  service: ServiceName,
  wanted: Map<string, Perm>,
): Promise<{ perm: Perm; narrowTo?: string }[]> {
  const have = (await conn.client.auth.roleGet({ role: service }, conn.deadline())).perm ?? [];
  const out: { perm: Perm; narrowTo?: string }[] = [];
  for (const p of have) {
    const perm = { key: p.key, end: p.range_end ?? Buffer.alloc(0), type: permName(p.permType) };
    const w = wanted.get(rangeId(perm.key, perm.end));
    if (!w) out.push({ perm });
    else if (w.type !== perm.type) out.push({ perm, narrowTo: w.type });
  }
  return out;
}

/** Live instances of a service that do not report this table's fingerprint (none: the old release is gone). */
async function otherTableInstances(conn: EtcdConnection, namespace: string, service: ServiceName, hash: string): Promise<string[]> {
  const others: string[] = [];
  for await (const kv of scanPrefix(conn.client.namespace(namespace), prefixes.svcOf(service))) {
    let grants: unknown;
    try {
      grants = (JSON.parse(kv.value) as { grants?: unknown }).grants;
    } catch {
      // An unreadable value: it might be anything, keep its permissions.
    }
    if (grants !== hash) others.push(kv.key);
  }
  return others;
}

/**
 * The second half of an upgrade: per service, once no live instance runs another table, revoke
 * what the table does not grant (and narrow what it grants narrower). Bounded by revokeWaitMs.
 */
async function revokeWhenUnused(
  conn: EtcdConnection,
  table: Record<ServiceName, readonly PrefixGrant[]>,
  namespace: string,
  changes: RoleChange[],
  opts: ApplyOptions,
  log: (line: string) => void,
): Promise<void> {
  const auth = conn.client.auth;
  const waitMs = opts.revokeWaitMs ?? 600_000;
  const until = Date.now() + waitMs;
  const pending = new Map<ServiceName, string[]>(); // service -> instances of another table last seen
  for (const service of SERVICE_NAMES) pending.set(service, []);
  for (;;) {
    for (const service of [...pending.keys()]) {
      const wanted = wantedOf(table[service], namespace);
      const extras = await extrasOf(conn, service, wanted);
      if (!extras.length) {
        pending.delete(service);
        continue;
      }
      const others = await otherTableInstances(conn, namespace, service, grantsHash(table[service]));
      if (others.length) {
        if (!pending.get(service)!.length)
          log(
            `${service}: keeping ${extras.map((x) => describe(x.perm.key, x.perm.end, x.perm.type)).join(', ')} while ` +
              `${others.length} instance(s) of another role table run (${others.join(', ')}); waiting up to ${Math.round(waitMs / 1000)} s for them to stop`,
          );
        pending.set(service, others);
        continue;
      }
      const change = changes.find((c) => c.service === service)!;
      for (const x of extras) {
        const { key, end } = x.perm;
        if (x.narrowTo) {
          // etcd keeps one permission per range: granting the narrower type replaces the wider one.
          await auth.roleGrantPermission(
            { name: service, perm: { permType: x.narrowTo as IPermission['permType'], key, range_end: end } },
            conn.deadline(),
          );
          change.granted.push(describe(key, end, x.narrowTo));
        } else {
          await auth.roleRevokePermission({ role: service, key, range_end: end }, conn.deadline());
        }
        change.revoked.push(describe(key, end, x.perm.type));
      }
      log(`${service}: no instance of another role table runs: revoked ${change.revoked.join(', ')}`);
      pending.delete(service);
    }
    if (!pending.size) return;
    if (Date.now() >= until) {
      const left = [...pending].map(([s, others]) => `${s} (${others.join(', ')})`).join('; ');
      throw new EtcdAuthSetupError(
        `instances of another role table still run after ${Math.round(waitMs / 1000)} s: ${left}; ` +
          'the new table is granted and the old permissions stay until a later run finds them gone',
        75,
      );
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 1000));
  }
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
const baseOptions = (opts: ApplyOptions) => ({ endpoints: opts.endpoints, tls: opts.tls, deadlineMs: opts.deadlineMs ?? 5000 });
const rootConnection = (opts: ApplyOptions) =>
  createEtcdConnection({ ...baseOptions(opts), auth: { username: ROOT, password: opts.rootPassword } });

async function connect(opts: ApplyOptions): Promise<{ conn: EtcdConnection; wasEnabled: boolean }> {
  const asRoot = rootConnection(opts);
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
  const plain = createEtcdConnection(baseOptions(opts));
  return { conn: plain, wasEnabled: false };
}
