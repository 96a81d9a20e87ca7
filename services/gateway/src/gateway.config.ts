import { baseServiceConfig, env } from '@ticketcd/config';
import { z } from 'zod';
import { hpaRangesVar, SCALER_KINDS, serviceListVar } from './scaling/scaling.rules.js';

/** "count/seconds", e.g. "10/60": at most 10 in any 60 s, refilled smoothly (token bucket). */
const rate = () =>
  z
    .string()
    .regex(/^\d+\/\d+$/, 'must be count/seconds, e.g. 10/60')
    .transform((v) => {
      const [count, seconds] = v.split('/').map(Number) as [number, number];
      return { count, seconds };
    })
    .refine((r) => r.count >= 1 && r.seconds >= 1, 'count and seconds must be at least 1');

export const gatewayConfig = baseServiceConfig
  .extend({
    HTTP_PORT: env.port().default(8080),
    /** Session life: the TTL of the lease the session: key lives on. */
    SESSION_TTL_S: env.int(2, 30 * 24 * 3600).default(7 * 24 * 3600),
    /** How long an instance trusts a session it read (a logout elsewhere shows after this). */
    SESSION_CACHE_MS: env.int(0, 60_000).default(1000),
    /**
     * How long an instance trusts a session it read while its watch of session deletes is live
     * (a log-out anywhere is refused as soon as the delete's event arrives); 0: no watch.
     */
    SESSION_WATCH_CACHE_MS: env.int(0, 3_600_000).default(300_000),
    /**
     * How long an instance reuses a serialized event page or listing page (issue 27); 0: not at all.
     * At most 1 s: stock shown may trail the store by this plus the catalog's watch delivery.
     */
    READ_CACHE_MS: env.int(0, 1000).default(200),
    /** The first admin, created (or promoted) at start. Both or neither. */
    ADMIN_USERNAME: z
      .string()
      .regex(/^[a-z0-9_.-]{3,32}$/, 'must be 3-32 characters of a-z, 0-9, _ . -')
      .optional(),
    ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').max(200).optional(),
    /** Secure cookies: "auto" sets Secure when the request came over TLS (see TRUST_PROXY_HOPS). */
    COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
    /**
     * Proxies in front of the gateway that append to X-Forwarded-For (1: an ingress-nginx, 0: none).
     * The client address (per-IP rate limits, logs) is the one the farthest of them saw, and
     * X-Forwarded-Proto (Secure cookies) is believed only from them. More than there are lets a
     * client choose its address by sending X-Forwarded-For itself.
     */
    TRUST_PROXY_HOPS: env.int(0, 10).default(0),
    /**
     * Replaced by TRUST_PROXY_HOPS: `true` trusted every X-Forwarded-For entry, so a client behind
     * the ingress chose the address its rate limits keyed on. Refused rather than read as a guess
     * of hops: the right count depends on what is in front (a load balancer adds one). `false`
     * meant what the default means and is still accepted.
     */
    TRUST_PROXY: z
      .string()
      .refine(
        (v) => ['false', '0', 'no'].includes(v),
        'replaced by TRUST_PROXY_HOPS: set that to the number of proxies in front of the gateway (1 behind ingress-nginx) and remove TRUST_PROXY',
      )
      .optional(),
    /** Origins besides the gateway's own allowed to send cookie-authenticated writes (CSRF). */
    ALLOWED_ORIGINS: z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    BODY_LIMIT_BYTES: env.int(1024, 1024 * 1024).default(64 * 1024),
    RATE_LOGIN_PER_IP: rate().default({ count: 30, seconds: 60 }),
    RATE_LOGIN_PER_USER: rate().default({ count: 10, seconds: 60 }),
    RATE_ORDERS_PER_USER: rate().default({ count: 20, seconds: 10 }),
    RATE_ORDERS_PER_IP: rate().default({ count: 600, seconds: 10 }),
    /** Orders in flight in this instance beyond which new ones get 429 at once. */
    ORDERS_MAX_IN_FLIGHT: env.int(1, 100_000).default(2000),
    // Longer than RPC_TIMEOUT_MS: an order rides out an etcd leader election (1-3 s under load) rather than fail.
    ORDER_TIMEOUT_MS: env.int(500, 120_000).default(5000),
    /** Live streams: a comment line this often keeps proxies from closing idle streams. */
    SSE_HEARTBEAT_MS: env.int(100, 120_000).default(15_000),
    SSE_MAX_CLIENTS: env.int(1, 1_000_000).default(10_000),
    /** etcd's --quota-backend-bytes (etcd does not report it): the admin cluster page shows db sizes against it. */
    ETCD_QUOTA_BYTES: env.int(1024 * 1024, 8 * 1024 ** 3).default(2 * 1024 ** 3),
    /** The built web UI (index.html and assets/); default: services/web/dist beside this service. */
    WEB_DIR: z.string().min(1).optional(),
    /** Serve the OpenAPI UI and JSON at /api/docs. */
    API_DOCS: env.bool().default(true),
    /** Who scales services from the admin page: the Kubernetes API, the local stack launcher, or nobody. */
    SCALER: z.enum(SCALER_KINDS).default('none'),
    /** kubernetes: the namespace of the Deployments (default: the pod's own). */
    SCALER_NAMESPACE: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a Kubernetes namespace name')
      .max(63)
      .optional(),
    /** kubernetes: Deployments are named <prefix><service> (the chart sets "<fullname>-"). */
    SCALER_DEPLOYMENT_PREFIX: z
      .string()
      .regex(/^([a-z0-9][-a-z0-9.]*)?$/, 'must be the start of a Deployment name (a-z, 0-9, -, .)')
      .default(''),
    /** Services whose HorizontalPodAutoscaler owns the count: scale requests for them get 409. */
    SCALER_AUTOSCALED: serviceListVar(),
    /** service=min-max,... of the autoscaled ones, shown on the admin page. */
    SCALER_HPA_RANGES: hpaRangesVar(),
    /** Issue 29.4: services whose replicas the Helm chart sets (not in scaler.ownedServices): 409, one owner per count. */
    SCALER_CHART_OWNED: serviceListVar(),
    /** local: the stack launcher's control server and its bearer token (set by `npm run stack`). */
    SCALER_LOCAL_URL: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
    SCALER_LOCAL_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Deadline of each call to the scaler. */
    SCALER_TIMEOUT_MS: env.int(100, 60_000).default(3000),
  })
  .refine((c) => (c.ADMIN_USERNAME === undefined) === (c.ADMIN_PASSWORD === undefined), {
    path: ['ADMIN_PASSWORD'],
    message: 'ADMIN_USERNAME and ADMIN_PASSWORD must be set together',
  })
  .refine((c) => c.SCALER !== 'local' || (c.SCALER_LOCAL_URL !== undefined && c.SCALER_LOCAL_TOKEN !== undefined), {
    path: ['SCALER_LOCAL_URL'],
    message: 'SCALER=local needs SCALER_LOCAL_URL and SCALER_LOCAL_TOKEN (npm run stack sets them)',
  });

export type GatewayConfig = z.output<typeof gatewayConfig>;
export type Rate = GatewayConfig['RATE_LOGIN_PER_IP'];
