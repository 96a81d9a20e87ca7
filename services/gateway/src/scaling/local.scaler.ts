/**
 * SCALER=local: the local stack launcher's control server (libs/tooling/stack control-server.ts)
 * starts and drains instances. 127.0.0.1 with a bearer token; every call has a deadline.
 */
import { SERVICE_NAMES, type ServiceName } from '@ticketcd/keys';
import { ApiError } from '../http/api-error.js';
import type { ScalerPort, ServiceScale } from './scaler.port.js';
import { ownership, type ScalingPolicy } from './scaling.rules.js';

const DEPENDENCY = 'local stack launcher';

interface ControlRow {
  service: string;
  desired: number;
  running: number;
}

export class LocalScaler implements ScalerPort {
  readonly kind = 'local';
  readonly dependency = DEPENDENCY;

  constructor(
    private readonly opts: { url: string; token: string; timeoutMs: number },
    private readonly policy: ScalingPolicy,
  ) {}

  async describe(): Promise<ServiceScale[]> {
    const { services } = await this.call<{ services: ControlRow[] }>('GET', '/services');
    return SERVICE_NAMES.map((service) => {
      const row = services.find((s) => s.service === service);
      return { service, desired: row?.desired ?? null, running: row?.running ?? null, ...ownership(this.policy, service) };
    });
  }

  async scale(service: ServiceName, replicas: number): Promise<void> {
    await this.call('PUT', `/services/${service}/scale`, { replicas });
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.opts.url + path, {
        method,
        headers: { authorization: `Bearer ${this.opts.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
    } catch (e) {
      const late = (e as Error).name === 'TimeoutError';
      throw ApiError.unavailable(
        DEPENDENCY,
        late
          ? `${DEPENDENCY} did not answer within ${this.opts.timeoutMs} ms`
          : `${DEPENDENCY} is not reachable at ${this.opts.url}: is \`npm run stack\` running?`,
      );
    }
    const text = await res.text();
    const reply = (text ? JSON.parse(text) : {}) as T & { error?: string };
    if (res.ok) return reply;
    if (res.status === 404) throw ApiError.notFound(reply.error ?? `${DEPENDENCY}: not found`);
    if (res.status === 400) throw ApiError.badRequest(reply.error ?? 'bad scale request');
    // 401: a stack restarted with a new token since this gateway started; 5xx: the launcher failed.
    throw ApiError.unavailable(DEPENDENCY, `${DEPENDENCY} answered ${res.status}${reply.error ? `: ${reply.error}` : ''}`);
  }
}
