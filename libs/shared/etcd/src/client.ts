/**
 * The one etcd client factory. Two traps of etcd3 1.1.2 are closed here:
 *  - it sets no deadline, so with quorum lost a call hangs forever: every unary call gets one;
 *  - its default global policy retries on DeadlineExceeded/Unavailable, so a committed Txn or
 *    Put can be applied twice: we retry only errors proving the request never left (refused
 *    connection, open circuit), which still fails over to the next member.
 * Writes that can be ambiguous are made safe by guards (see txn.ts `createOnce`).
 */
import { circuitBreaker, ConsecutiveBreaker, ConstantBackoff, handleWhen, retry } from 'cockatiel';
import { Etcd3, type IOptions, type Namespace } from 'etcd3';
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import { isMemberUnreachableError, isNeverSentError, isOldAuthRevisionError } from './errors.js';
import { ReloadingTls, useReloadingTls } from './tls-reload.js';

export interface EtcdOptions {
  endpoints: string[];
  /** Key prefix; every key read or written through `kv` lives under it. */
  namespace?: string;
  /** Deadline of each unary call. */
  deadlineMs: number;
  dialTimeoutMs?: number;
  /** The service's own etcd user (issue 15: one user per service, its role from roles.ts). */
  auth?: { username: string; password: string };
  /** Client TLS: PEM files (https endpoints), read at start and then polled (issue 29.3: renewed certificates without a restart). */
  tls?: EtcdTlsFiles;
}

export interface EtcdTlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** How often the files are read again; new connections use a changed set (default 30 s). */
  reloadIntervalMs?: number;
}

/** etcd3's `credentials` from PEM files; undefined when none is given (system roots for https). */
export function readTlsCredentials(tls: EtcdTlsFiles | undefined): IOptions['credentials'] {
  if (!tls || (!tls.caFile && !tls.certFile && !tls.keyFile)) return undefined;
  const read = (file: string | undefined) => (file ? fs.readFileSync(file) : undefined);
  // grpc-js takes a null root certificate as "the system's roots".
  return { rootCertificate: read(tls.caFile) as Buffer, privateKey: read(tls.keyFile), certChain: read(tls.certFile) };
}

export interface EtcdConnection {
  /** The raw client (cluster and maintenance APIs, not namespaced). */
  readonly client: Etcd3;
  /** Namespaced key-value access: what repositories use. */
  readonly kv: Namespace;
  readonly namespace: string;
  readonly endpoints: string[];
  readonly deadlineMs: number;
  /** The user the connection authenticates as, if any (for messages; never the password). */
  readonly username: string | null;
  /**
   * TLS and auth options, for the extra per-member clients of cluster status. `credentials` is
   * the current certificate set (re-read when the files change); a long-lived client should be
   * made with etcd3For(), whose connections follow later changes too.
   */
  readonly clientOptions: Pick<IOptions, 'credentials' | 'auth'>;
  /** A deadline `ms` from now, for calls that need a tighter one than the default. */
  deadline(ms?: number): { deadline: Date };
  close(): void;
}

/**
 * Per member: stop sending to a member only after it refused three connections in a row, and try
 * it again after a second. etcd3's default breaker also counts deadlines (for 5 s): during a leader
 * election every member misses deadlines, every breaker opened, and a 1-2 s election became a
 * 5 s outage in which even resends that would have found the new leader failed at once.
 */
export function memberCircuitBreaker(halfOpenAfterMs = 1000) {
  const breaker = circuitBreaker(handleWhen(isMemberUnreachableError), {
    halfOpenAfter: halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(3),
  });
  // etcd3 re-sends a call refused for an unknown auth token (a member restarted: simple tokens
  // live in its memory) from inside this breaker's execute. If that call was the half-open test,
  // the re-send came back to the same breaker and awaited the test, i.e. itself: that member's
  // calls then hung forever (seen after a full restart). A call nested in this breaker bypasses it.
  const execute = breaker.execute.bind(breaker);
  breaker.execute = ((fn, signal) => {
    const inside = nestedIn.getStore();
    if (inside?.has(breaker)) return Promise.resolve().then(() => fn({ signal: signal ?? new AbortController().signal }));
    return nestedIn.run(new Set(inside).add(breaker), () => execute(fn, signal));
  }) as typeof breaker.execute;
  return breaker;
}
/** The member breakers the current call is running inside of (see memberCircuitBreaker). */
const nestedIn = new AsyncLocalStorage<Set<object>>();

/** At most `attempts` sends in all, retried only when the previous one never left. */
export function neverSentRetryPolicy(attempts: number) {
  return retry(handleWhen(isNeverSentError), { maxAttempts: Math.max(0, attempts - 1), backoff: new ConstantBackoff(25) });
}

/** The reloading certificate source behind a connection's clientOptions (see etcd3For). */
const reloadingTlsOf = new WeakMap<object, ReloadingTls>();

export function createEtcdConnection(opts: EtcdOptions): EtcdConnection {
  const tls = opts.tls;
  const reloading = tls && (tls.caFile || tls.certFile || tls.keyFile) ? new ReloadingTls(tls, tls.reloadIntervalMs) : undefined;
  const clientOptions: Pick<IOptions, 'credentials' | 'auth'> = opts.auth
    ? { auth: { username: opts.auth.username, password: opts.auth.password } }
    : {};
  if (reloading) {
    // A getter (not a spread copy): whoever reads it later gets the current set.
    Object.defineProperty(clientOptions, 'credentials', { get: () => reloading.credentials, enumerable: true });
    reloadingTlsOf.set(clientOptions, reloading);
  }
  const client = buildEtcd3(clientOptions, opts.endpoints, opts.deadlineMs, opts.dialTimeoutMs);
  const namespace = opts.namespace ?? '';
  const kv = namespace ? client.namespace(namespace) : client;
  return {
    client,
    kv,
    namespace,
    endpoints: opts.endpoints,
    deadlineMs: opts.deadlineMs,
    username: opts.auth?.username ?? null,
    clientOptions,
    deadline: (ms = opts.deadlineMs) => ({ deadline: new Date(Date.now() + ms) }),
    close: () => {
      client.close();
      reloading?.close();
    },
  };
}

/**
 * A further etcd3 client with a connection's TLS (and whatever else `options` says): its
 * connections take up renewed certificates as the connection's own do (issue 29.3).
 */
export function etcd3For(clientOptions: Pick<IOptions, 'credentials' | 'auth'>, options: IOptions): Etcd3 {
  const client = new Etcd3(options);
  const reloading = reloadingTlsOf.get(clientOptions);
  if (reloading) useReloadingTls(client, reloading);
  if (options.auth) renewTokenOnOldAuthRevision(client);
  return client;
}

/** A key as its namespace's users name it: Txn responses and watch events carry the full key. */
export function localKey(conn: Pick<EtcdConnection, 'namespace'>, key: Buffer | string): string {
  const k = key.toString();
  return conn.namespace && k.startsWith(conn.namespace) ? k.slice(conn.namespace.length) : k;
}

/**
 * The one way this project makes an etcd3 client (the shared connection, the leader-pinned one):
 * a deadline on every unary call, and one attempt per member at most, only for calls never sent
 * (a refused connection moves on to another member; a sent write is never blindly retried).
 */
export function buildEtcd3(
  clientOptions: Pick<IOptions, 'credentials' | 'auth'>,
  hosts: string[],
  deadlineMs: number,
  dialTimeoutMs = Math.min(deadlineMs, 2000),
): Etcd3 {
  return etcd3For(clientOptions, {
    ...clientOptions,
    hosts,
    dialTimeout: dialTimeoutMs,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: new Date(Date.now() + deadlineMs) }),
    faultHandling: { global: neverSentRetryPolicy(hosts.length), host: () => memberCircuitBreaker() },
  });
}

/** What etcd3 keeps private and we need: its pool's exec and the token cache. */
interface Etcd3Pool {
  exec(service: string, method: string, payload: unknown, options?: unknown): Promise<unknown>;
  authenticator: { invalidateMetadata(): void };
}

/**
 * A token carries the auth store's revision when it was issued; once roles or passwords change
 * (the etcd-auth Job on an upgrade), etcd refuses it with "revision of auth store is old" (JWT
 * tokens: every call of every service, until the token expires). etcd's Go client then asks for a
 * new token; etcd3 1.1.2 does that only for "invalid auth token". Refused at the auth check, the
 * request was not applied, so one re-send with a new token cannot apply it twice.
 */
function renewTokenOnOldAuthRevision(client: Etcd3): void {
  const pool = (client as unknown as { pool: Etcd3Pool }).pool;
  const exec = pool.exec.bind(pool);
  pool.exec = async (service, method, payload, options) => {
    try {
      return await exec(service, method, payload, options);
    } catch (e) {
      if (!isOldAuthRevisionError(e)) throw e;
      pool.authenticator.invalidateMetadata();
      return exec(service, method, payload, options);
    }
  };
}
