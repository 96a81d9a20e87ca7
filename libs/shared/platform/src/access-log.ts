/**
 * The request log: one line per answered request, written only when its level is on. It replaces
 * pino-http's middleware (issue 27), which built a child logger per request (serialising its
 * bindings) whether or not anything was logged: the largest per-request cost left in the
 * gateway's profile at LOG_LEVEL=warn. Failures are always logged (5xx error, 4xx warn), except
 * 409 and 429, which are answers a busy on-sale gives by the thousand (sold out, slow down):
 * those and successes are sampled, one in SAMPLE at info, the rest at debug.
 */
import type { Logger } from 'pino';

/** One in this many sampled requests is logged at info, the rest at debug (issue 17.3: a line per order cost the gateway). */
export const ACCESS_LOG_SAMPLE = 100;

/** Health, readiness and metrics: polled all day, never logged. */
export const QUIET_PATHS = /^\/(healthz|readyz|metrics)\b/;

export type AccessLevel = 'error' | 'warn' | 'info' | 'debug';

export interface AccessEntry {
  /** The request id (the trace id, also sent back as X-Request-Id). */
  id: string;
  method: string;
  url: string;
  /** The socket's peer (behind an ingress: the ingress). */
  remoteAddress?: string;
  /** The client as the trusted proxies saw it (the gateway's TRUST_PROXY_HOPS): what per-IP limits key on. */
  clientAddress?: string;
  statusCode: number;
  responseTimeMs: number;
}

export class AccessLog {
  private sampled = 0;

  constructor(private readonly logger: Logger) {}

  /** The level a request is logged at; `null` for the quiet paths. */
  levelOf(url: string, statusCode: number): AccessLevel | null {
    if (QUIET_PATHS.test(url)) return null;
    if (statusCode >= 500) return 'error';
    if (statusCode >= 400 && statusCode !== 409 && statusCode !== 429) return 'warn';
    return ++this.sampled % ACCESS_LOG_SAMPLE === 0 ? 'info' : 'debug';
  }

  record(e: AccessEntry): void {
    const level = this.levelOf(e.url, e.statusCode);
    if (!level || !this.logger.isLevelEnabled(level)) return;
    this.logger[level](
      {
        req: { id: e.id, method: e.method, url: e.url, remoteAddress: e.remoteAddress, clientAddress: e.clientAddress },
        res: { statusCode: e.statusCode },
        responseTime: Math.round(e.responseTimeMs),
      },
      e.statusCode >= 500 ? 'request errored' : 'request completed',
    );
  }
}
