/**
 * SCALER=kubernetes: reads and merge-patches `apps/v1 deployments/<prefix><service>/scale` in the
 * gateway's namespace and counts pods by `app.kubernetes.io/component=<service>`. The chart's
 * RBAC allows exactly that (get/patch deployments/scale, get/list pods). Every call has a
 * deadline; the API server down, refusing (401/403) or late is a 503 naming "Kubernetes API".
 */
import { ApiException, AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { SERVICE_NAMES, type ServiceName } from '@ticketcd/keys';
import { ApiError } from '../http/api-error.js';
import type { ScalerPort, ServiceScale } from './scaler.port.js';
import { ownership, withDeadline, type ScalingPolicy } from './scaling.rules.js';

const DEPENDENCY = 'Kubernetes API';
/**
 * The field manager of every patch (issue 29.4): spec.replicas is then recorded as the scaler's,
 * not as the generic client's, so a server-side apply (Helm 4, Argo CD) that still sets replicas
 * names `ticketcd-scaler` in its conflict, and docs/deploy.md can tell who owns the count.
 */
export const SCALER_FIELD_MANAGER = 'ticketcd-scaler';
export const COMPONENT_LABEL = 'app.kubernetes.io/component';

/** "The API said 404": the caller decides what that means (no Deployment yet, or 404 to the client). */
class NotFound extends Error {}

export interface KubernetesScalerOptions {
  namespace: string;
  /** `<fullname>-` from the chart: Deployment names are `<prefix><service>`. */
  deploymentPrefix: string;
  timeoutMs: number;
}

export class KubernetesScaler implements ScalerPort {
  readonly kind = 'kubernetes';
  readonly dependency = DEPENDENCY;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;

  constructor(
    kc: KubeConfig,
    private readonly opts: KubernetesScalerOptions,
    private readonly policy: ScalingPolicy,
  ) {
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  deploymentName(service: ServiceName): string {
    return `${this.opts.deploymentPrefix}${service}`;
  }

  async describe(): Promise<ServiceScale[]> {
    return Promise.all(
      SERVICE_NAMES.map(async (service) => {
        const [desired, running] = await Promise.all([this.readReplicas(service), this.runningPods(service)]);
        return { service, desired, running, ...ownership(this.policy, service) };
      }),
    );
  }

  async scale(service: ServiceName, replicas: number): Promise<void> {
    const name = this.deploymentName(service);
    // A merge patch of spec.replicas only: nothing else of the Deployment is touched.
    await this.call(`patch deployments/${name}/scale`, () =>
      this.apps.patchNamespacedDeploymentScale(
        { name, namespace: this.opts.namespace, body: { spec: { replicas } }, fieldManager: SCALER_FIELD_MANAGER },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    ).catch((e: unknown) => {
      throw e instanceof NotFound ? ApiError.notFound(`no Deployment ${name} in namespace ${this.opts.namespace}`) : e;
    });
  }

  /** spec.replicas of the scale subresource; null when the Deployment does not exist. */
  private async readReplicas(service: ServiceName): Promise<number | null> {
    const name = this.deploymentName(service);
    try {
      const scale = await this.call(`get deployments/${name}/scale`, () =>
        this.apps.readNamespacedDeploymentScale({ name, namespace: this.opts.namespace }),
      );
      return scale.spec?.replicas ?? 0;
    } catch (e) {
      if (e instanceof NotFound) return null;
      throw e;
    }
  }

  /** Pods of the service that run and are not being deleted. */
  private async runningPods(service: ServiceName): Promise<number> {
    const list = await this.call(`list pods of ${service}`, () =>
      this.core.listNamespacedPod({ namespace: this.opts.namespace, labelSelector: `${COMPONENT_LABEL}=${service}` }),
    ).catch((e: unknown) => {
      throw e instanceof NotFound ? ApiError.unavailable(DEPENDENCY, `${DEPENDENCY}: pods of ${service} not found`) : e;
    });
    return list.items.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp).length;
  }

  /** One API call with the deadline; errors become 503 naming the API (404 is left to the caller). */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const unavailable = (why: string) => ApiError.unavailable(DEPENDENCY, `${DEPENDENCY}: ${what}: ${why}`);
    try {
      return await withDeadline(fn(), this.opts.timeoutMs, () => unavailable(`no answer within ${this.opts.timeoutMs} ms`));
    } catch (e) {
      if (e instanceof ApiError) throw e;
      if (e instanceof ApiException) {
        if (e.code === 404) throw new NotFound(what);
        if (e.code === 401 || e.code === 403)
          throw unavailable(
            `${e.code === 401 ? 'unauthorized' : 'forbidden'}: the gateway's ServiceAccount lacks the RBAC (see the chart)`,
          );
        throw unavailable(`answered ${e.code}`);
      }
      throw unavailable(`not reachable (${(e as Error).message.split('\n')[0]})`);
    }
  }
}
