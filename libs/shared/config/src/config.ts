/**
 * Typed configuration, parsed once at start. A service describes its environment with a zod
 * object; `loadConfig` either returns the typed value or throws a ConfigError naming every bad
 * variable, which `bootstrapService` turns into a non-zero exit before anything connects.
 */
import fs from 'node:fs';
import os from 'node:os';
import { z } from 'zod';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
  }
}

export function loadConfig<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) {
    const problems = crossVariableProblems(result.data as Record<string, unknown>);
    if (problems.length) throw new ConfigError(problems);
    return result.data;
  }
  const problems = result.error.issues.map((issue) => ({
    variable: String(issue.path[0] ?? '(environment)'),
    message: issue.code === 'invalid_type' && issue.input === undefined ? 'is required but not set' : issue.message,
  }));
  throw new ConfigError(problems);
}

/**
 * Rules between variables (zod's refinements would make the base schema unextendable). Only
 * variables the schema has are checked.
 */
function crossVariableProblems(c: Record<string, unknown>): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  const set = (v: string) => c[v] !== undefined && c[v] !== '';
  for (const [a, b] of [
    ['ETCD_USERNAME', 'ETCD_PASSWORD'],
    ['ETCD_TLS_CERT_FILE', 'ETCD_TLS_KEY_FILE'],
  ] as const) {
    if (set(a) !== set(b))
      problems.push({ variable: set(a) ? b : a, message: `must be set together with ${set(a) ? a : b} (both or neither)` });
  }
  const tls = ['ETCD_TLS_CA_FILE', 'ETCD_TLS_CERT_FILE', 'ETCD_TLS_KEY_FILE'].filter(set);
  const endpoints = c.ETCD_ENDPOINTS;
  if (tls.length && Array.isArray(endpoints)) {
    const plain = endpoints.filter((u) => typeof u === 'string' && !u.startsWith('https:'));
    if (plain.length)
      problems.push({ variable: 'ETCD_ENDPOINTS', message: `must be https URLs when ${tls.join(', ')} is set (got ${plain.join(', ')})` });
  }
  return problems;
}

// ---- reusable variable parsers -------------------------------------------------------------

export const env = {
  /** An integer within [min, max]; given as a decimal string. */
  int: (min: number, max: number) =>
    z
      .string()
      .regex(/^-?\d+$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(min, `must be >= ${min}`).max(max, `must be <= ${max}`)),
  port: () => env.int(1, 65535),
  /** A path to a file readable now (e.g. a PEM mounted from a Secret); read again by its user. */
  readableFile: () =>
    z
      .string()
      .min(1, 'must not be empty')
      .refine((p) => {
        try {
          fs.accessSync(p, fs.constants.R_OK);
          return fs.statSync(p).isFile();
        } catch {
          return false;
        }
      }, 'must name a readable file'),
  bool: () =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  /** A comma-separated list of URLs with one of the given schemes. */
  urlList: (schemes: string[]) =>
    z
      .string()
      .min(1, 'must not be empty')
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(
        z
          .array(
            z.string().refine(
              (u) => {
                try {
                  return schemes.includes(new URL(u).protocol.replace(/:$/, ''));
                } catch {
                  return false;
                }
              },
              `each entry must be a URL with scheme ${schemes.join(' or ')}`,
            ),
          )
          .min(1, 'must list at least one URL'),
      ),
};

const defaultInstanceId = () =>
  `${os
    .hostname()
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .slice(0, 48)}-${process.pid}`;

/** The variables every service reads. Services extend this with their own. */
export const baseServiceConfig = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** etcd client URLs, comma-separated: every member, so the client fails over. */
  ETCD_ENDPOINTS: env.urlList(['http', 'https']),
  /** Optional key prefix: every key the service reads or writes lives under it (tests use one each). */
  ETCD_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]*$/, 'may contain only A-Z a-z 0-9 _ . : -')
    .default(''),
  /** Deadline for each etcd call; a call without one hangs forever when quorum is lost. */
  ETCD_DEADLINE_MS: env.int(50, 60_000).default(2000),
  /** This service's etcd user and password (issue 15: one user per service); both or neither. */
  ETCD_USERNAME: z.string().min(1, 'must not be empty').optional(),
  ETCD_PASSWORD: z.string().min(1, 'must not be empty').optional(),
  /** Client TLS to etcd: CA bundle, and a client certificate and key (both or neither); https endpoints. */
  ETCD_TLS_CA_FILE: env.readableFile().optional(),
  ETCD_TLS_CERT_FILE: env.readableFile().optional(),
  ETCD_TLS_KEY_FILE: env.readableFile().optional(),
  /** How often those files are read again: a renewed certificate serves new connections without a restart (issue 29.3). */
  ETCD_TLS_RELOAD_MS: env.int(100, 3_600_000).default(30_000),
  NATS_URL: env.urlList(['nats', 'tls']),
  /** Replicas of the JetStream streams this service creates (the NATS cluster size: 1 or 3). */
  NATS_STREAM_REPLICAS: env.int(1, 5).default(1),
  HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  HTTP_PORT: env.port().default(3000),
  /** Pending-connection queue of the HTTP listener (capped by net.core.somaxconn). Node's 511 drops
   *  connections when a thousand clients connect at once: they retry after 1, 3, 7 s… */
  HTTP_BACKLOG: env.int(16, 65535).default(4096),
  /** How long an idle kept-alive HTTP connection stays open. Above every client's and proxy's own
   *  idle timeout (nginx upstream 60 s, undici 4 s), so the client always closes first: a server
   *  that closes an idle connection races the request a client is writing on it (ECONNRESET). */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: env.int(1000, 600_000).default(65_000),
  INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'must be 1-63 characters of A-Z a-z 0-9 _ . -')
    .default(defaultInstanceId),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Lease TTL of the svc: registration key: how long a killed instance stays listed. */
  SVC_LEASE_TTL_S: env.int(2, 300).default(10),
  /** Timeout for a NATS request-reply call to another service. */
  RPC_TIMEOUT_MS: env.int(50, 120_000).default(3000),
  /** Relay this service's outbox entries to JetStream (off only to test crash recovery). */
  OUTBOX_RELAY: env.bool().default(true),
  /** How often the relay looks for entries left behind (e.g. by a crashed instance). */
  OUTBOX_SWEEP_MS: env.int(50, 60_000).default(1000),
  /**
   * Least time between the starts of two relay sweeps after commits (issue 27): under load one
   * sweep (a range read and a delete Txn) carries the entries of many commits instead of one.
   */
  OUTBOX_GAP_MS: env.int(0, 5000).default(50),
  /** Failed attempts (not counting a dependency down) before an outbox entry is quarantined. */
  OUTBOX_MAX_ATTEMPTS: env.int(1, 100).default(5),
  /** Time allowed for draining on SIGTERM before the process exits anyway. */
  SHUTDOWN_GRACE_MS: env.int(100, 120_000).default(10_000),
  /** On SIGTERM, how long readiness reports 503 while the instance still serves, so load
   *  balancers stop sending before the listener closes. Part of SHUTDOWN_GRACE_MS. */
  SHUTDOWN_READY_DELAY_MS: env.int(0, 60_000).default(3000),
});
export type BaseServiceConfig = z.output<typeof baseServiceConfig>;
