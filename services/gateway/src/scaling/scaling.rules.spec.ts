/** Issue 15.3: the scaling rules (bounds, HPA-owned services) and the SCALER_* variables. */
import { loadConfig } from '@ticketcd/config';
import type { ServiceName } from '@ticketcd/keys';
import { gatewayConfig } from '../gateway.config.js';
import { ApiError } from '../http/api-error.js';
import type { SystemService } from '../system/system.service.js';
import { NoScaler } from './none.scaler.js';
import type { ScalerPort, ServiceScale } from './scaler.port.js';
import { REPLICAS_MAX, scaleBody, scaleRefusal, type ScalingPolicy } from './scaling.rules.js';
import { ScalingService } from './scaling.service.js';

const BASE = { ETCD_ENDPOINTS: 'http://127.0.0.1:2379', NATS_URL: 'nats://127.0.0.1:4222' };
const policy: ScalingPolicy = { autoscaled: new Set(['orders']), hpaRanges: new Map([['orders', { min: 2, max: 8 }]]) };

/** An in-memory scaler that records what it was asked. */
class RecordingScaler implements ScalerPort {
  readonly kind = 'local';
  readonly dependency = 'test';
  calls: [ServiceName, number][] = [];
  async describe(): Promise<ServiceScale[]> {
    return [];
  }
  async scale(service: ServiceName, replicas: number) {
    this.calls.push([service, replicas]);
  }
}
const system = { instancesByService: async () => [] } as unknown as SystemService;

const thrown = async (p: Promise<unknown>) =>
  (await p.then(
    () => null,
    (e: unknown) => e,
  )) as ApiError;

describe('scale body bounds', () => {
  it.each([1, 2, REPLICAS_MAX])('accepts %s', (n) => expect(scaleBody.safeParse({ replicas: n }).success).toBe(true));
  it.each([[0], [-1], [REPLICAS_MAX + 1], [1.5], ['2'], [null]])('refuses %p', (n) =>
    expect(scaleBody.safeParse({ replicas: n }).success).toBe(false),
  );
  it('refuses a missing count and unknown fields', () => {
    expect(scaleBody.safeParse({}).success).toBe(false);
    expect(scaleBody.safeParse({ replicas: 2, force: true }).success).toBe(false);
  });
});

describe('autoscaled services', () => {
  it('an HPA-owned service is refused with its range; others are not', () => {
    expect(scaleRefusal(policy, 'orders')).toMatch(/HorizontalPodAutoscaler owns the replica count \(min 2, max 8\)/);
    expect(scaleRefusal(policy, 'inventory')).toBeNull();
  });

  it('the service refuses it with 409 before the adapter is asked; an unknown service is 404', async () => {
    const scaler = new RecordingScaler();
    const s = new ScalingService(scaler, policy, system);
    const e = await thrown(s.scale('orders', 3));
    expect(e.body).toMatchObject({ status: 409, code: 'CONFLICT', details: { autoscaled: true, min: 2, max: 8 } });
    expect((await thrown(s.scale('billing', 3))).body.status).toBe(404);
    expect(scaler.calls).toEqual([]);
    expect(await s.scale('inventory', 3)).toEqual({ service: 'inventory', desired: 3 });
    expect(scaler.calls).toEqual([['inventory', 3]]);
  });

  it('the list marks autoscaled services (with their range) as not scalable', async () => {
    const list = await new ScalingService(new RecordingScaler(), policy, system).services();
    expect(list.services.find((r) => r.service === 'orders')).toMatchObject({ autoscaled: true, hpa: { min: 2, max: 8 }, scalable: false });
    expect(list.services.find((r) => r.service === 'inventory')).toMatchObject({ autoscaled: false, scalable: true, desired: null });
  });

  it('SCALER=none: nothing is scalable and a request is a 409 saying scaling is not configured', async () => {
    const s = new ScalingService(new NoScaler(policy), policy, system);
    expect((await s.services()).services.every((r) => !r.scalable)).toBe(true);
    const e = await thrown(s.scale('inventory', 2));
    expect(e.body.status).toBe(409);
    expect(e.message).toMatch(/scaling is not configured \(SCALER=none\)/);
  });
});

describe('issue 29.4: one owner per count', () => {
  // inventory's Deployment carries `replicas` (the chart owns it); orders is the HPA's.
  const chart: ScalingPolicy = { ...policy, chartOwned: new Set(['inventory', 'orders']) };

  it('a service whose count the chart owns (SCALER_CHART_OWNED) is refused with 409 before the adapter is asked, and listed as not scalable', async () => {
    const scaler = new RecordingScaler();
    const s = new ScalingService(scaler, chart, system);
    const e = await thrown(s.scale('inventory', 3));
    expect(e.body).toMatchObject({ status: 409, code: 'CONFLICT', details: { chartOwned: true } });
    expect(e.message).toMatch(/inventory's replica count belongs to the Helm chart .*scaler\.ownedServices/);
    // The HPA's refusal wins for an autoscaled service (its Deployment has no replicas anyway).
    expect((await thrown(s.scale('orders', 3))).body).toMatchObject({ details: { autoscaled: true } });
    expect(scaler.calls).toEqual([]);
    expect(await s.scale('notifier', 2)).toEqual({ service: 'notifier', desired: 2 });
    const list = await s.services();
    expect(list.services.find((r) => r.service === 'inventory')).toMatchObject({ autoscaled: false, scalable: false });
    expect(list.services.find((r) => r.service === 'notifier')).toMatchObject({ scalable: true });
  });

  it('SCALER_CHART_OWNED parses as a service list, empty by default (the local stack scales everything)', () => {
    expect([...loadConfig(gatewayConfig, BASE).SCALER_CHART_OWNED]).toEqual([]);
    expect([...loadConfig(gatewayConfig, { ...BASE, SCALER_CHART_OWNED: 'inventory,catalog' }).SCALER_CHART_OWNED]).toEqual([
      'inventory',
      'catalog',
    ]);
    expect(() => loadConfig(gatewayConfig, { ...BASE, SCALER_CHART_OWNED: 'billing' })).toThrow(/SCALER_CHART_OWNED:/);
  });
});

describe('SCALER_* configuration', () => {
  it('defaults to none', () => {
    const c = loadConfig(gatewayConfig, BASE);
    expect(c.SCALER).toBe('none');
    expect([...c.SCALER_AUTOSCALED]).toEqual([]);
  });

  it('parses the autoscaled list and the HPA ranges', () => {
    const c = loadConfig(gatewayConfig, {
      ...BASE,
      SCALER: 'kubernetes',
      SCALER_NAMESPACE: 'shop',
      SCALER_DEPLOYMENT_PREFIX: 'ticketcd-',
      SCALER_AUTOSCALED: 'orders, gateway',
      SCALER_HPA_RANGES: 'orders=2-10,gateway=2-6',
    });
    expect([...c.SCALER_AUTOSCALED]).toEqual(['orders', 'gateway']);
    expect(Object.fromEntries(c.SCALER_HPA_RANGES)).toEqual({ orders: { min: 2, max: 10 }, gateway: { min: 2, max: 6 } });
  });

  it.each([
    [{ SCALER: 'docker' }, 'SCALER'],
    [{ SCALER_AUTOSCALED: 'orders,billing' }, 'SCALER_AUTOSCALED'],
    [{ SCALER_HPA_RANGES: 'orders=5-2' }, 'SCALER_HPA_RANGES'],
    [{ SCALER_HPA_RANGES: 'orders:2-5' }, 'SCALER_HPA_RANGES'],
    [{ SCALER: 'local' }, 'SCALER_LOCAL_URL'],
    [{ SCALER_NAMESPACE: 'Not_A_Namespace' }, 'SCALER_NAMESPACE'],
  ])('refuses %p (naming %s)', (vars, variable) => {
    expect(() => loadConfig(gatewayConfig, { ...BASE, ...vars })).toThrow(new RegExp(`${variable}:`));
  });
});
