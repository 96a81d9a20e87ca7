/**
 * The one etcd client factory. Two traps of etcd3 1.1.2 are closed here:
 *  - it sets no deadline, so with quorum lost a call hangs forever: every unary call gets one;
 *  - its default global policy retries on DeadlineExceeded/Unavailable, so a committed Txn or
 *    Put can be applied twice: we retry only errors proving the request never left (refused
 *    connection, open circuit), which still fails over to the next member.
 * Writes that can be ambiguous are made safe by guards (see txn.ts `createOnce`).
 */
import { circuitBreaker, ConsecutiveBreaker, ConstantBackoff, handleWhen, retry } from 'cockatiel';
import { Etcd3, type Namespace } from 'etcd3';
import { isMemberUnreachableError, isNeverSentError } from './errors.js';

export interface EtcdOptions {
  endpoints: string[];
  /** Key prefix; every key read or written through `kv` lives under it. */
  namespace?: string;
  /** Deadline of each unary call. */
  deadlineMs: number;
  dialTimeoutMs?: number;
}

export interface EtcdConnection {
  /** The raw client (cluster and maintenance APIs, not namespaced). */
  readonly client: Etcd3;
  /** Namespaced key-value access: what repositories use. */
  readonly kv: Namespace;
  readonly namespace: string;
  readonly endpoints: string[];
  readonly deadlineMs: number;
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
export function memberCircuitBreaker() {
  return circuitBreaker(handleWhen(isMemberUnreachableError), { halfOpenAfter: 1000, breaker: new ConsecutiveBreaker(3) });
}

/** At most `attempts` sends in all, retried only when the previous one never left. */
export function neverSentRetryPolicy(attempts: number) {
  return retry(handleWhen(isNeverSentError), { maxAttempts: Math.max(0, attempts - 1), backoff: new ConstantBackoff(25) });
}

export function createEtcdConnection(opts: EtcdOptions): EtcdConnection {
  const client = new Etcd3({
    hosts: opts.endpoints,
    dialTimeout: opts.dialTimeoutMs ?? Math.min(opts.deadlineMs, 2000),
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: new Date(Date.now() + opts.deadlineMs) }),
    faultHandling: {
      // One attempt per member at most: a refused connection moves on to another member.
      global: neverSentRetryPolicy(opts.endpoints.length),
      host: () => memberCircuitBreaker(),
    },
  });
  const namespace = opts.namespace ?? '';
  const kv = namespace ? client.namespace(namespace) : client;
  return {
    client,
    kv,
    namespace,
    endpoints: opts.endpoints,
    deadlineMs: opts.deadlineMs,
    deadline: (ms = opts.deadlineMs) => ({ deadline: new Date(Date.now() + ms) }),
    close: () => client.close(),
  };
}

/** A key as its namespace's users name it: Txn responses and watch events carry the full key. */
export function localKey(conn: Pick<EtcdConnection, 'namespace'>, key: Buffer | string): string {
  const k = key.toString();
  return conn.namespace && k.startsWith(conn.namespace) ? k.slice(conn.namespace.length) : k;
}
