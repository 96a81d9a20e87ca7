/** SCALER=none: the admin page still lists instances, but nothing can change their count. */
import { SERVICE_NAMES, type ServiceName } from '@ticketcd/keys';
import { ApiError } from '../http/api-error.js';
import type { ScalerPort, ServiceScale } from './scaler.port.js';
import { ownership, type ScalingPolicy } from './scaling.rules.js';

export const NOT_CONFIGURED = 'scaling is not configured (SCALER=none): set SCALER=kubernetes in a cluster, or run the local stack';

export class NoScaler implements ScalerPort {
  readonly kind = 'none';
  readonly dependency = 'scaler';
  constructor(private readonly policy: ScalingPolicy) {}

  async describe(): Promise<ServiceScale[]> {
    return SERVICE_NAMES.map((service) => ({ service, desired: null, running: null, ...ownership(this.policy, service) }));
  }

  async scale(_service: ServiceName, _replicas: number): Promise<void> {
    throw ApiError.conflict(NOT_CONFIGURED);
  }
}
