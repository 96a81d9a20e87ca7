/**
 * Typed configuration, parsed once at start. A service describes its environment with a zod
 * object; `loadConfig` either returns the typed value or throws a ConfigError naming every bad
 * variable, which `bootstrapService` turns into a non-zero exit before anything connects.
 */
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
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    variable: String(issue.path[0] ?? '(environment)'),
    message: issue.code === 'invalid_type' && issue.input === undefined ? 'is required but not set' : issue.message,
  }));
  throw new ConfigError(problems);
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
  NATS_URL: env.urlList(['nats', 'tls']),
  HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  HTTP_PORT: env.port().default(3000),
  /** Pending-connection queue of the HTTP listener (capped by net.core.somaxconn). Node's 511 drops
   *  connections when a thousand clients connect at once: they retry after 1, 3, 7 s… */
  HTTP_BACKLOG: env.int(16, 65535).default(4096),
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
  /** Failed attempts (not counting a dependency down) before an outbox entry is quarantined. */
  OUTBOX_MAX_ATTEMPTS: env.int(1, 100).default(5),
  /** Time allowed for draining on SIGTERM before the process exits anyway. */
  SHUTDOWN_GRACE_MS: env.int(100, 120_000).default(10_000),
  /** On SIGTERM, how long readiness reports 503 while the instance still serves, so load
   *  balancers stop sending before the listener closes. Part of SHUTDOWN_GRACE_MS. */
  SHUTDOWN_READY_DELAY_MS: env.int(0, 60_000).default(3000),
});
export type BaseServiceConfig = z.output<typeof baseServiceConfig>;
