/**
 * Scaling rules (issue 15.3), pure: the replica bounds, which services an autoscaler owns, and
 * the parsing of SCALER_AUTOSCALED / SCALER_HPA_RANGES. The service applies them before any
 * adapter is asked, so every adapter refuses the same things the same way.
 */
import { SERVICE_NAMES, type ServiceName } from '@ticketcd/keys';
import { z } from 'zod';

export const REPLICAS_MIN = 1;
/** An admin typo (200 for 20) must not start a fleet; more goes through the chart's values. */
export const REPLICAS_MAX = 20;

export const SCALER_KINDS = ['kubernetes', 'local', 'none'] as const;
export type ScalerKind = (typeof SCALER_KINDS)[number];

export interface HpaRange {
  min: number;
  max: number;
}

/** Who owns each service's count: services listed here belong to a HorizontalPodAutoscaler. */
export interface ScalingPolicy {
  autoscaled: ReadonlySet<ServiceName>;
  hpaRanges: ReadonlyMap<ServiceName, HpaRange>;
  /**
   * Issue 29.4: services whose Deployment's `replicas` the Helm chart renders (SCALER_CHART_OWNED):
   * a count set here would be reset by the next upgrade, or make it fail on a field conflict.
   */
  chartOwned?: ReadonlySet<ServiceName>;
}

export const isServiceName = (s: string): s is ServiceName => (SERVICE_NAMES as readonly string[]).includes(s);

const items = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** SCALER_AUTOSCALED: comma-separated service names. */
export const serviceListVar = () =>
  z
    .string()
    .default('')
    .transform((v, ctx) => {
      const out = new Set<ServiceName>();
      for (const s of items(v)) {
        if (isServiceName(s)) out.add(s);
        else ctx.addIssue({ code: 'custom', message: `unknown service "${s}" (one of ${SERVICE_NAMES.join(', ')})` });
      }
      return out as ReadonlySet<ServiceName>;
    });

/** SCALER_HPA_RANGES: `service=min-max,...`, e.g. `orders=2-10,gateway=2-6`. */
export const hpaRangesVar = () =>
  z
    .string()
    .default('')
    .transform((v, ctx) => {
      const out = new Map<ServiceName, HpaRange>();
      for (const item of items(v)) {
        const m = /^([a-z-]+)=(\d+)-(\d+)$/.exec(item);
        if (!m) {
          ctx.addIssue({ code: 'custom', message: `"${item}" must be service=min-max, e.g. orders=2-10` });
          continue;
        }
        const [, service, min, max] = m as unknown as [string, string, string, string];
        if (!isServiceName(service)) ctx.addIssue({ code: 'custom', message: `unknown service "${service}" in "${item}"` });
        else if (Number(min) < 1 || Number(min) > Number(max))
          ctx.addIssue({ code: 'custom', message: `"${item}": min must be at least 1 and at most max` });
        else out.set(service, { min: Number(min), max: Number(max) });
      }
      return out as ReadonlyMap<ServiceName, HpaRange>;
    });

/** PUT /api/admin/services/:service/scale body. */
export const scaleBody = z.strictObject({
  replicas: z
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(REPLICAS_MIN, `must be at least ${REPLICAS_MIN}`)
    .max(REPLICAS_MAX, `must be at most ${REPLICAS_MAX}`)
    .describe(`Desired instances, ${REPLICAS_MIN} to ${REPLICAS_MAX}.`),
});

export const hpaText = (r: HpaRange | undefined) => (r ? ` (min ${r.min}, max ${r.max})` : '');

/**
 * Why a scale request for this service must be refused, or null. An HPA-managed service is not
 * fought over: a count set by hand would be undone by the autoscaler at its next sync.
 */
export function scaleRefusal(policy: ScalingPolicy, service: ServiceName): string | null {
  if (policy.chartOwned?.has(service) && !policy.autoscaled.has(service))
    return `${service}'s replica count belongs to the Helm chart (services.${service}.replicaCount): a count set here would be undone by the next upgrade; list the service in scaler.ownedServices to scale it from here`;
  if (!policy.autoscaled.has(service)) return null;
  return `${service} is autoscaled: its HorizontalPodAutoscaler owns the replica count${hpaText(policy.hpaRanges.get(service))}; change its autoscaling settings instead`;
}

export const emptyPolicy = (): ScalingPolicy => ({ autoscaled: new Set(), hpaRanges: new Map() });

/** The autoscaled/hpa fields every adapter reports for a service. */
export function ownership(policy: ScalingPolicy, service: ServiceName): { autoscaled: boolean; hpa?: HpaRange } {
  const hpa = policy.autoscaled.has(service) ? policy.hpaRanges.get(service) : undefined;
  return { autoscaled: policy.autoscaled.has(service), ...(hpa ? { hpa } : {}) };
}

/** Runs `work` with a deadline: past it the caller gets `onTimeout()` at once (the work is left to finish). */
export async function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined);
  }
}
