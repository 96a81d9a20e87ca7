import { Module } from '@nestjs/common';
import { SERVICE_CONFIG } from '@ticketcd/platform';
import type { GatewayConfig } from '../gateway.config.js';
import { SystemModule } from '../system/system.module.js';
import { LocalScaler } from './local.scaler.js';
import { NoScaler } from './none.scaler.js';
import { SCALER, type ScalerPort } from './scaler.port.js';
import { ScalingController } from './scaling.controller.js';
import { emptyPolicy, type ScalingPolicy } from './scaling.rules.js';
import { SCALING_POLICY, ScalingService } from './scaling.service.js';

function policyOf(c: Partial<GatewayConfig>): ScalingPolicy {
  return {
    autoscaled: c.SCALER_AUTOSCALED ?? emptyPolicy().autoscaled,
    hpaRanges: c.SCALER_HPA_RANGES ?? emptyPolicy().hpaRanges,
    chartOwned: c.SCALER_CHART_OWNED ?? new Set(),
  };
}

/** The adapter SCALER names (default none). The Kubernetes client is loaded only when it is the one. */
export async function createScaler(c: Partial<GatewayConfig>): Promise<ScalerPort> {
  const policy = policyOf(c);
  const timeoutMs = c.SCALER_TIMEOUT_MS ?? 3000;
  if (c.SCALER === 'local') return new LocalScaler({ url: c.SCALER_LOCAL_URL!, token: c.SCALER_LOCAL_TOKEN!, timeoutMs }, policy);
  if (c.SCALER === 'kubernetes') {
    const [{ KubeConfig }, { KubernetesScaler }] = await Promise.all([import('@kubernetes/client-node'), import('./kubernetes.scaler.js')]);
    const kc = new KubeConfig();
    // The pod's ServiceAccount token and CA; its namespace too, unless SCALER_NAMESPACE says otherwise.
    kc.loadFromCluster();
    const namespace = c.SCALER_NAMESPACE ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
    return new KubernetesScaler(kc, { namespace, deploymentPrefix: c.SCALER_DEPLOYMENT_PREFIX ?? '', timeoutMs }, policy);
  }
  return new NoScaler(policy);
}

/** Issue 15.3: the scaler port, its adapter chosen by SCALER, and the admin routes over it. */
@Module({
  imports: [SystemModule],
  controllers: [ScalingController],
  providers: [
    ScalingService,
    { provide: SCALING_POLICY, inject: [SERVICE_CONFIG], useFactory: policyOf },
    { provide: SCALER, inject: [SERVICE_CONFIG], useFactory: createScaler },
  ],
})
export class ScalingModule {}
