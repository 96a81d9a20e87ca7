/**
 * Issue 15 acceptance "the Kubernetes adapter passes a contract test against a small fake of the
 * API server's deployments/scale endpoints": the real @kubernetes/client-node, through a
 * KubeConfig pointing at a node:http fake on 127.0.0.1 that implements
 *   GET/PATCH /apis/apps/v1/namespaces/<ns>/deployments/<name>/scale
 *   GET       /api/v1/namespaces/<ns>/pods?labelSelector=app.kubernetes.io/component=<service>
 * checks the patch's content type and body, and answers 403/404/500 or late when told to.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { SERVICE_NAMES } from '@ticketcd/keys';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError } from '../src/http/api-error.js';
import { KubernetesScaler } from '../src/scaling/kubernetes.scaler.js';
import { emptyPolicy, type ScalingPolicy } from '../src/scaling/scaling.rules.js';
import { ScalingService } from '../src/scaling/scaling.service.js';
import type { SystemService } from '../src/system/system.service.js';

const NS = 'shop';
const PREFIX = 'ticketcd-';

/** The fake API server: Deployments' replicas, pods per component, and what it was sent. */
class FakeApiServer {
  replicas = new Map<string, number>(SERVICE_NAMES.map((s) => [`${PREFIX}${s}`, 1]));
  runningPods = new Map<string, number>(SERVICE_NAMES.map((s) => [s, 1]));
  /** Answer every request with this status (403, 404, 500), or hold it (slow), or serve normally. */
  fail: number | 'slow' | null = null;
  patches: { name: string; contentType: string | undefined; body: unknown }[] = [];
  requests: string[] = [];
  private server = http.createServer((req, res) => void this.handle(req, res));
  url = '';

  async start() {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async stop() {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private send(res: http.ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
  private status(res: http.ServerResponse, code: number, reason: string, message: string) {
    this.send(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code });
  }
  private scale(name: string) {
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name, namespace: NS },
      spec: { replicas: this.replicas.get(name) },
      status: { replicas: this.replicas.get(name) },
    };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url!, 'http://fake');
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    let raw = '';
    for await (const c of req) raw += c;
    if (req.headers.authorization !== 'Bearer test-token') return this.status(res, 401, 'Unauthorized', 'no token');
    if (this.fail === 'slow') return; // never answers: the adapter's deadline must fire
    if (this.fail === 403) return this.status(res, 403, 'Forbidden', 'deployments.apps "x" is forbidden: RBAC');
    if (this.fail === 500) return this.status(res, 500, 'InternalError', 'etcdserver: request timed out');
    const dep = new RegExp(`^/apis/apps/v1/namespaces/${NS}/deployments/([^/]+)/scale$`).exec(url.pathname);
    if (dep) {
      const name = dep[1]!;
      if (this.fail === 404 || !this.replicas.has(name)) return this.status(res, 404, 'NotFound', `deployments.apps "${name}" not found`);
      if (req.method === 'GET') return this.send(res, 200, this.scale(name));
      if (req.method === 'PATCH') {
        const contentType = req.headers['content-type'];
        const body = JSON.parse(raw) as { spec?: { replicas?: number } };
        this.patches.push({ name, contentType, body });
        if (contentType !== 'application/merge-patch+json')
          return this.status(res, 415, 'UnsupportedMediaType', `unsupported patch type ${contentType}`);
        if (!Number.isInteger(body.spec?.replicas)) return this.status(res, 422, 'Invalid', 'spec.replicas missing');
        this.replicas.set(name, body.spec!.replicas!);
        return this.send(res, 200, this.scale(name));
      }
    }
    if (req.method === 'GET' && url.pathname === `/api/v1/namespaces/${NS}/pods`) {
      const m = /^app\.kubernetes\.io\/component=([a-z-]+)$/.exec(url.searchParams.get('labelSelector') ?? '');
      if (!m) return this.status(res, 400, 'BadRequest', 'labelSelector required');
      const n = this.runningPods.get(m[1]!) ?? 0;
      const items = [
        ...Array.from({ length: n }, (_, i) => ({ metadata: { name: `${m[1]}-${i}`, namespace: NS }, status: { phase: 'Running' } })),
        // Pods that do not count: one pending, one terminating.
        { metadata: { name: `${m[1]}-pending`, namespace: NS }, status: { phase: 'Pending' } },
        { metadata: { name: `${m[1]}-old`, namespace: NS, deletionTimestamp: new Date().toISOString() }, status: { phase: 'Running' } },
      ];
      return this.send(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items });
    }
    this.status(res, 404, 'NotFound', `no route ${req.method} ${url.pathname}`);
  }
}

function kubeConfigFor(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'fake', server, skipTLSVerify: true }],
    users: [{ name: 'gateway', token: 'test-token' }],
    contexts: [{ name: 'fake', cluster: 'fake', user: 'gateway', namespace: NS }],
    currentContext: 'fake',
  });
  return kc;
}

const policy: ScalingPolicy = { autoscaled: new Set(['orders']), hpaRanges: new Map([['orders', { min: 2, max: 10 }]]) };
const noInstances = {
  instancesByService: async () => SERVICE_NAMES.map((service) => ({ service, instances: [] })),
} as unknown as SystemService;

let fake: FakeApiServer;
let scaler: KubernetesScaler;
let service: ScalingService;

async function apiError(p: Promise<unknown>): Promise<ApiError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ApiError);
  return e as ApiError;
}

beforeEach(async () => {
  fake = new FakeApiServer();
  await fake.start();
  scaler = new KubernetesScaler(kubeConfigFor(fake.url), { namespace: NS, deploymentPrefix: PREFIX, timeoutMs: 800 }, policy);
  service = new ScalingService(scaler, policy, noInstances);
});
afterEach(() => fake.stop());

describe('Kubernetes scaler against a fake API server', () => {
  it('reads each Deployment scale and counts running pods by app.kubernetes.io/component', async () => {
    fake.replicas.set('ticketcd-inventory', 3);
    fake.runningPods.set('inventory', 2);
    const rows = await scaler.describe();
    expect(rows.map((r) => r.service)).toEqual([...SERVICE_NAMES]);
    expect(rows.find((r) => r.service === 'inventory')).toEqual({ service: 'inventory', desired: 3, running: 2, autoscaled: false });
    expect(rows.find((r) => r.service === 'orders')).toEqual({
      service: 'orders',
      desired: 1,
      running: 1,
      autoscaled: true,
      hpa: { min: 2, max: 10 },
    });
    expect(fake.requests).toContain('GET /apis/apps/v1/namespaces/shop/deployments/ticketcd-catalog/scale');
    expect(fake.requests).toContain('GET /api/v1/namespaces/shop/pods?labelSelector=app.kubernetes.io%2Fcomponent%3Dcatalog');
  });

  it('a missing Deployment reads as desired null (not an error)', async () => {
    fake.replicas.delete('ticketcd-notifier');
    expect((await scaler.describe()).find((r) => r.service === 'notifier')?.desired).toBeNull();
  });

  it('scales by a merge patch of spec.replicas on deployments/<prefix><service>/scale', async () => {
    expect(await service.scale('inventory', 4)).toEqual({ service: 'inventory', desired: 4 });
    expect(fake.patches).toEqual([
      { name: 'ticketcd-inventory', contentType: 'application/merge-patch+json', body: { spec: { replicas: 4 } } },
    ]);
    expect(fake.replicas.get('ticketcd-inventory')).toBe(4);
    expect((await scaler.describe()).find((r) => r.service === 'inventory')?.desired).toBe(4);
  });

  it("issue 29.4: the patch names its own field manager (ticketcd-scaler), so the API server records spec.replicas as the scaler's", async () => {
    // A generous deadline: this test is about the request, not the timeout (the first call loads the client).
    const patient = new KubernetesScaler(kubeConfigFor(fake.url), { namespace: NS, deploymentPrefix: PREFIX, timeoutMs: 20_000 }, policy);
    await patient.scale('inventory', 3);
    const patches = fake.requests.filter((r) => r.startsWith('PATCH '));
    expect(patches).toEqual(['PATCH /apis/apps/v1/namespaces/shop/deployments/ticketcd-inventory/scale?fieldManager=ticketcd-scaler']);
    expect(fake.replicas.get('ticketcd-inventory')).toBe(3);
  });

  it('refuses an autoscaled service with 409 naming its HorizontalPodAutoscaler, and sends no patch', async () => {
    const e = await apiError(service.scale('orders', 5));
    expect(e.body.status).toBe(409);
    expect(e.message).toMatch(/HorizontalPodAutoscaler owns the replica count \(min 2, max 10\)/);
    expect(fake.patches).toEqual([]);
    expect(fake.replicas.get('ticketcd-orders')).toBe(1);
  });

  it('forbidden (RBAC) is a 503 naming the Kubernetes API, for reads and patches', async () => {
    fake.fail = 403;
    for (const p of [service.scale('inventory', 2), scaler.describe()]) {
      const e = await apiError(p);
      expect({ status: e.body.status, dependency: e.body.dependency }).toEqual({ status: 503, dependency: 'Kubernetes API' });
      expect(e.message).toMatch(/forbidden/);
    }
    // GET /api/admin/services still lists the instances, with the scaler's error.
    const list = await service.services();
    expect(list.scalerError).toMatch(/Kubernetes API.*forbidden/);
    expect(list.services.every((s) => s.desired === null)).toBe(true);
  });

  it('a Deployment that does not exist is a 404 on scale', async () => {
    fake.fail = 404;
    const e = await apiError(service.scale('catalog', 2));
    expect(e.body.status).toBe(404);
    expect(e.message).toBe('no Deployment ticketcd-catalog in namespace shop');
  });

  it('an API server error (500) or one that is down is a 503 naming the Kubernetes API', async () => {
    fake.fail = 500;
    expect((await apiError(service.scale('catalog', 2))).body).toMatchObject({ status: 503, dependency: 'Kubernetes API' });
    await fake.stop();
    const down = await apiError(service.scale('catalog', 2));
    expect(down.body).toMatchObject({ status: 503, dependency: 'Kubernetes API' });
    expect(down.message).toMatch(/not reachable/);
    await fake.start(); // for afterEach
  });

  it('a server that never answers hits the deadline: 503 within about the timeout, not a hang', async () => {
    fake.fail = 'slow';
    const t0 = Date.now();
    const e = await apiError(service.scale('catalog', 2));
    expect(e.body).toMatchObject({ status: 503, dependency: 'Kubernetes API' });
    expect(e.message).toMatch(/no answer within 800 ms/);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('bounds and unknown services are refused before the API is asked', async () => {
    expect((await apiError(service.scale('billing', 2))).body.status).toBe(404);
    expect(fake.requests).toEqual([]);
  });
});

describe('policy defaults', () => {
  it('with no SCALER_AUTOSCALED nothing is autoscaled', async () => {
    const plain = new KubernetesScaler(kubeConfigFor(fake.url), { namespace: NS, deploymentPrefix: PREFIX, timeoutMs: 800 }, emptyPolicy());
    expect((await plain.describe()).some((r) => r.autoscaled)).toBe(false);
  });
});
