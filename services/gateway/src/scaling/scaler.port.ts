/**
 * The scaler port (issue 15.3): what the admin API needs from whatever runs the services. One
 * adapter per platform: Kubernetes (the Deployment's scale subresource), the local stack
 * launcher (its control server), or none. Adapters throw ApiError: 404 for a deployment that
 * does not exist, 503 naming the platform when it is down, refuses, or misses its deadline.
 */
import type { ServiceName } from '@ticketcd/keys';
import type { HpaRange, ScalerKind } from './scaling.rules.js';

export const SCALER = Symbol('ticketcd:scaler');

export interface ServiceScale {
  service: ServiceName;
  /** Replicas asked for; null when unknown (no scaler, or no Deployment for it). */
  desired: number | null;
  /** Instances the platform runs now (running pods or processes); null when unknown. */
  running: number | null;
  autoscaled: boolean;
  hpa?: HpaRange;
}

export interface ScalerPort {
  readonly kind: ScalerKind;
  /** Who the scaler talks to, for messages ("Kubernetes API", "local stack launcher"). */
  readonly dependency: string;
  describe(): Promise<ServiceScale[]>;
  scale(service: ServiceName, replicas: number): Promise<void>;
}
