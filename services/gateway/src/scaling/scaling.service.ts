/**
 * Scaling a service (issue 15.3): the live instances (svc: keys) beside what the scaler port says
 * (desired count, autoscaled), and scale requests checked against the rules before any adapter
 * is asked: bounds (the body), unknown services (404), HPA-owned services (409).
 */
import { Inject, Injectable } from '@nestjs/common';
import { isAvailabilityError } from '@ticketcd/etcd';
import { SERVICE_NAMES } from '@ticketcd/keys';
import { ApiError } from '../http/api-error.js';
import { SystemService } from '../system/system.service.js';
import { SCALER, type ScalerPort, type ServiceScale } from './scaler.port.js';
import type { ServicesReply } from './scaling.dto.js';
import { isServiceName, REPLICAS_MAX, REPLICAS_MIN, scaleRefusal, type ScalingPolicy } from './scaling.rules.js';

export const SCALING_POLICY = Symbol('ticketcd:scaling-policy');

@Injectable()
export class ScalingService {
  constructor(
    @Inject(SCALER) private readonly scaler: ScalerPort,
    @Inject(SCALING_POLICY) private readonly policy: ScalingPolicy,
    private readonly system: SystemService,
  ) {}

  /** Every service: live instances and the scaler's view; a scaler that fails leaves desired unknown, not the page empty. */
  async services(): Promise<ServicesReply> {
    const [live, described] = await Promise.all([
      this.system.instancesByService().catch((e: unknown) => {
        if (isAvailabilityError(e))
          throw ApiError.unavailable('etcd', 'etcd unavailable: the live instances (svc: keys) could not be read in time');
        throw e;
      }),
      this.scaler.describe().then(
        (rows) => ({ rows, error: undefined }),
        (e: unknown) => ({
          rows: [] as ServiceScale[],
          error: e instanceof ApiError ? e.message : `${this.scaler.dependency}: ${String(e)}`,
        }),
      ),
    ]);
    return {
      scaler: this.scaler.kind,
      limits: { min: REPLICAS_MIN, max: REPLICAS_MAX },
      services: SERVICE_NAMES.map((service) => {
        const d = described.rows.find((r) => r.service === service);
        const autoscaled = this.policy.autoscaled.has(service);
        const hpa = autoscaled ? this.policy.hpaRanges.get(service) : undefined;
        return {
          service,
          instances: live.find((l) => l.service === service)?.instances ?? [],
          desired: d?.desired ?? null,
          running: d?.running ?? null,
          autoscaled,
          ...(hpa ? { hpa } : {}),
          scalable: this.scaler.kind !== 'none' && !autoscaled && !this.policy.chartOwned?.has(service),
        };
      }),
      ...(described.error ? { scalerError: described.error } : {}),
    };
  }

  /** The service name from the path: 404 unless it is one of ours. */
  service(name: string) {
    if (!isServiceName(name)) throw ApiError.notFound(`no service "${name}" (one of ${SERVICE_NAMES.join(', ')})`);
    return name;
  }

  /** Sets the desired count; instances start or drain afterwards (the list shows when). */
  async scale(name: string, replicas: number): Promise<{ service: string; desired: number }> {
    const service = this.service(name);
    const refusal = scaleRefusal(this.policy, service);
    if (refusal && this.policy.autoscaled.has(service))
      throw ApiError.conflict(refusal, { autoscaled: true, ...(this.policy.hpaRanges.get(service) ?? {}) });
    if (refusal) throw ApiError.conflict(refusal, { chartOwned: true });
    await this.scaler.scale(service, replicas);
    return { service, desired: replicas };
  }
}
