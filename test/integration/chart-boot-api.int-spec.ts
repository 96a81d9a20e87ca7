/**
 * Issue 30 part B: the chart's own Kubernetes API calls, against the fake API the boot test runs
 * (libs/testing/src/chart-boot: renderChart, MemoryStore, FakeKubeApi), with RBAC from the
 * rendered Roles and RoleBindings.
 *
 *  - The etcd-auth Job's init container `ensure-secrets` runs as rendered (command, args and env
 *    taken from the rendered Job, so a rendering change is followed) as the Job's ServiceAccount:
 *    every Secret a rendered pod needs (secretKeyRef, envFrom, secret volumes, projected secrets)
 *    then exists with the keys it names; a second run creates nothing; a ServiceAccount without
 *    the Role gets 403 and the program fails saying so.
 *  - The etcd membership program's desired size (readDesired, kind statefulset, the name from the
 *    rendered --statefulset flag) reads 5 with the etcd ServiceAccount's token through the
 *    in-cluster files (token, ca.crt from kube-root-ca.crt, namespace), nothing with another's,
 *    and nothing by its deadline from an API that never answers (FakeKubeApi.intercept).
 *  - With scaler.enabled, the gateway scaler's calls (get/patch deployments/scale as a merge
 *    patch, list pods by label) pass the rendered gateway Role; other Deployments do not.
 *
 * Needs no etcd: nothing here talks to it (the shared stack of the tier is not used).
 */
import { AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { readDesired } from '@ticketcd/deploy';
import { FakeKubeApi, MemoryStore, REPO_ROOT, renderChart, type K8sObject } from '@ticketcd/testing';

const RELEASE = 'ticketcd';
const NS = 'ticketcd';

let rendered: K8sObject[];
let store: MemoryStore;
let api: FakeKubeApi;
let dir: string;

beforeAll(async () => {
  rendered = await renderChart({ release: RELEASE, namespace: NS });
  store = new MemoryStore(NS, rendered);
  api = await FakeKubeApi.start(store, { host: '127.0.0.1' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-boot-api-'));
});

afterAll(async () => {
  await api?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

const podSpecs = (objs: K8sObject[]): { owner: string; spec: Obj }[] =>
  objs.flatMap((o) => {
    if (o.kind === 'Pod') return [{ owner: `Pod ${o.metadata.name}`, spec: o.spec }];
    if (['Deployment', 'StatefulSet', 'Job', 'DaemonSet'].includes(o.kind) && o.spec?.template?.spec)
      return [{ owner: `${o.kind} ${o.metadata.name}`, spec: o.spec.template.spec }];
    return [];
  });

/** Secret name -> keys the rendered pods read from it (empty set: the whole Secret), non-optional references only. */
function secretsNeeded(objs: K8sObject[]): Map<string, Set<string>> {
  const need = new Map<string, Set<string>>();
  const add = (name: string, key?: string) => {
    if (!need.has(name)) need.set(name, new Set());
    if (key) need.get(name)!.add(key);
  };
  for (const { spec } of podSpecs(objs)) {
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as Obj[]) {
      for (const e of (c.env ?? []) as Obj[]) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref && !ref.optional) add(ref.name, ref.key);
      }
      for (const e of (c.envFrom ?? []) as Obj[]) if (e.secretRef && !e.secretRef.optional) add(e.secretRef.name);
    }
    for (const v of (spec.volumes ?? []) as Obj[]) {
      if (v.secret && !v.secret.optional) for (const i of [{}, ...((v.secret.items ?? []) as Obj[])]) add(v.secret.secretName, i.key);
      for (const src of (v.projected?.sources ?? []) as Obj[])
        if (src.secret && !src.secret.optional) for (const i of [{}, ...((src.secret.items ?? []) as Obj[])]) add(src.secret.name, i.key);
    }
  }
  return need;
}

function authJob(): { sa: string; container: Obj } {
  const job = store.list('Job').find((j) => j.metadata.name.startsWith(`${RELEASE}-etcd-auth`));
  if (!job) throw new Error('no etcd-auth Job in the render');
  const pod = job.spec.template.spec as Obj;
  const container = ((pod.initContainers ?? []) as Obj[]).find((c) => c.name === 'ensure-secrets');
  if (!container) throw new Error(`no init container ensure-secrets in Job ${job.metadata.name}`);
  return { sa: pod.serviceAccountName, container };
}

/** Runs the init container's command line as the image would (WORKDIR /app = the repo root), against the fake API as `sa`. */
function runEnsure(sa: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const { container } = authJob();
  const argv = [...(container.command ?? []), ...(container.args ?? [])] as string[];
  if (argv[0] !== 'node') throw new Error(`ensure-secrets runs ${argv[0]}, not node: map it here`);
  const env: Record<string, string> = {};
  for (const e of (container.env ?? []) as Obj[]) {
    if (e.valueFrom) throw new Error(`ensure-secrets env ${e.name} has valueFrom: resolve it here`);
    env[e.name] = String(e.value ?? '');
  }
  const kubeconfig = path.join(dir, `kubeconfig-${sa}`);
  fs.writeFileSync(kubeconfig, api.kubeconfig(sa));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      argv.slice(1),
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: kubeconfig, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: unknown }).code as number) : 0, stdout, stderr }),
    );
  });
}

/** An HTTPS call to the fake API trusting only its CA. */
function call(method: string, urlPath: string, token: string | undefined, body?: object): Promise<{ status: number; body: Obj }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: api.host,
        port: api.port,
        method,
        path: urlPath,
        ca: api.caPem,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      },
      (res) => {
        let raw = '';
        res.on('data', (c: Buffer) => (raw += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(raw || '{}') as Obj }));
      },
    );
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

/** A ServiceAccount of the render that no RoleBinding names. */
function serviceAccountWithoutRole(): string {
  const bound = new Set(store.list('RoleBinding').flatMap((b) => ((b.subjects ?? []) as Obj[]).map((s) => s.name as string)));
  const sa = store.list('ServiceAccount').find((s) => !bound.has(s.metadata.name));
  if (!sa) throw new Error('every ServiceAccount of the render has a Role');
  return sa.metadata.name;
}

const secretsSnapshot = () => JSON.stringify(store.list('Secret').sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)));

describe('chart-boot fake Kubernetes API (issue 30 B): the chart programs under the rendered RBAC', () => {
  it('the render holds what the boot needs: the helm test Pod, the Job with ensure-secrets, kube-root-ca.crt from the API', () => {
    expect(rendered.filter((o) => o.kind === 'Pod')).toHaveLength(1);
    expect(rendered.every((o) => o.kind && o.metadata?.name)).toBe(true);
    expect(authJob().sa).toBe(`${RELEASE}-etcd-secrets`);
    expect(store.configMapData('kube-root-ca.crt')).toEqual({ 'ca.crt': api.caPem });
    expect(store.get('StatefulSet', `${RELEASE}-etcd`)?.metadata.namespace).toBe(NS);
  });

  it('ensure-secrets as rendered creates every Secret the rendered pods read, with their keys, as the Job ServiceAccount', async () => {
    const need = secretsNeeded(rendered);
    expect(need.size).toBeGreaterThan(0);
    for (const name of need.keys()) expect([name, store.get('Secret', name)]).toEqual([name, undefined]);

    const { sa } = authJob();
    const r = await runEnsure(sa);
    expect([r.code, r.stderr]).toEqual([0, '']);
    for (const [name, keys] of need) {
      const data = store.secretData(name);
      expect([name, data === undefined ? 'missing' : 'present']).toEqual([name, 'present']);
      for (const k of keys) expect([name, k, (data![k] ?? '').length > 0]).toEqual([name, k, true]);
    }
    const mine = api.requests.filter((q) => q.serviceAccount === sa);
    expect(mine.filter((q) => q.verb === 'create').length).toBeGreaterThanOrEqual(need.size);
    // The Role held: nothing refused, nothing but get and create.
    expect(mine.filter((q) => q.status >= 400 && q.status !== 404)).toEqual([]);
    expect(new Set(mine.map((q) => q.verb))).toEqual(new Set(['get', 'create']));
  });

  it('a second run creates nothing and changes no Secret', async () => {
    const before = secretsSnapshot();
    const from = api.requests.length;
    const r = await runEnsure(authJob().sa);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const run2 = api.requests.slice(from);
    expect(run2.length).toBeGreaterThan(0);
    expect(run2.filter((q) => q.verb !== 'get')).toEqual([]);
    expect(run2.filter((q) => q.status !== 200)).toEqual([]);
    expect(secretsSnapshot()).toBe(before);
  });

  it('a ServiceAccount without the Role gets 403 and ensure-secrets fails naming RBAC, changing nothing', async () => {
    const other = serviceAccountWithoutRole();
    const before = secretsSnapshot();
    const from = api.requests.length;
    const r = await runEnsure(other);
    expect(r.code).toBe(69);
    expect(r.stderr).toMatch(/HTTP 403 \(RBAC: the Job needs get and create on secrets/);
    const tried = api.requests.slice(from);
    expect(tried.length).toBeGreaterThan(0);
    expect(tried.every((q) => q.status === 403 && q.serviceAccount === other)).toBe(true);
    expect(secretsSnapshot()).toBe(before);
  });

  it('RBAC as Kubernetes evaluates it: resourceNames bound get, create is by resource, other namespaces, unknown tokens', async () => {
    const { sa } = authJob();
    const token = api.tokenFor(sa);
    const listed = `${RELEASE}-etcd-root`;
    const unlisted = `${RELEASE}-not-in-the-role`;
    // Both exist (whichever tests ran before): 403 versus 200 is then RBAC's answer, not a 404.
    for (const name of [listed, unlisted])
      if (!store.get('Secret', name)) store.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { password: 'x' } });
    expect((await call('GET', `/api/v1/namespaces/${NS}/secrets/${listed}`, token)).status).toBe(200);
    // A Secret not in the Role's resourceNames: Forbidden, with a Status body.
    const denied = await call('GET', `/api/v1/namespaces/${NS}/secrets/${unlisted}`, token);
    expect(denied).toEqual({
      status: 403,
      body: expect.objectContaining({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403 }),
    });
    expect(denied.body.message).toContain(`User "system:serviceaccount:${NS}:${sa}" cannot get resource "secrets"`);
    // list is not granted (resourceNames never match a request without a name).
    expect((await call('GET', `/api/v1/namespaces/${NS}/secrets`, token)).status).toBe(403);
    // create is granted without resourceNames: an existing name is 409 AlreadyExists.
    const exists = await call('POST', `/api/v1/namespaces/${NS}/secrets`, token, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: listed },
      data: {},
    });
    expect([exists.status, exists.body.reason]).toEqual([409, 'AlreadyExists']);
    // The Role binds in its namespace only.
    expect((await call('GET', `/api/v1/namespaces/other/secrets/${listed}`, token)).status).toBe(403);
    expect((await call('GET', `/api/v1/namespaces/${NS}/configmaps/kube-root-ca.crt`, token)).status).toBe(403);
    expect((await call('GET', `/api/v1/namespaces/${NS}/secrets/${listed}`, 'not-a-token')).status).toBe(401);
    expect((await call('GET', `/api/v1/namespaces/${NS}/secrets/${listed}`, undefined)).status).toBe(401);
  });

  it('the etcd member program reads the desired size 5 in-cluster with the etcd ServiceAccount, and nothing with another', async () => {
    const sts = store.get('StatefulSet', `${RELEASE}-etcd`)!;
    expect(sts.spec.replicas).toBe(5);
    const pod = sts.spec.template.spec as Obj;
    const flag = ((pod.initContainers ?? []) as Obj[])
      .flatMap((c) => (c.args ?? []) as string[])
      .find((a) => a.startsWith('--statefulset='));
    expect(flag).toBeDefined();
    const name = flag!.slice('--statefulset='.length);

    // loadFromCluster reads /var/run/secrets/kubernetes.io/serviceaccount (the pod runtime
    // bind-mounts the projected kube-api volume there); here the same files under a prefix.
    const root = path.join(dir, 'in-cluster');
    const saDir = path.join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
    fs.mkdirSync(saDir, { recursive: true });
    const writeFiles = (sa: string) => {
      fs.writeFileSync(path.join(saDir, 'token'), api.tokenFor(sa));
      fs.writeFileSync(path.join(saDir, 'ca.crt'), store.configMapData('kube-root-ca.crt')!['ca.crt']!);
      fs.writeFileSync(path.join(saDir, 'namespace'), NS);
    };
    const original = KubeConfig.prototype.loadFromCluster;
    const env = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
    KubeConfig.prototype.loadFromCluster = function (this: KubeConfig) {
      return original.call(this, root);
    };
    Object.assign(process.env, api.kubernetesEnv());
    const lines: string[] = [];
    const source = { kind: 'statefulset' as const, name, namespace: NS, timeoutMs: 5000 };
    try {
      writeFiles(pod.serviceAccountName as string);
      expect(await readDesired(source, (l) => lines.push(l))).toBe(5);
      expect(api.requests.at(-1)).toMatchObject({
        verb: 'get',
        path: `/apis/apps/v1/namespaces/${NS}/statefulsets/${name}`,
        status: 200,
        serviceAccount: pod.serviceAccountName,
      });

      const other = serviceAccountWithoutRole();
      writeFiles(other);
      expect(await readDesired(source, (l) => lines.push(l))).toBeNull();
      expect(api.requests.at(-1)).toMatchObject({ status: 403, serviceAccount: other });
      expect(lines.at(-1)).toContain(`cannot read the desired size from statefulset ${NS}/${name}`);

      // An API server that never answers (intercept 'hang'): the read gives up at its deadline.
      writeFiles(pod.serviceAccountName as string);
      api.intercept = () => 'hang';
      try {
        expect(await readDesired({ ...source, timeoutMs: 500 }, (l) => lines.push(l))).toBeNull();
      } finally {
        api.intercept = undefined;
      }
      expect(lines.at(-1)).toContain('no answer within 500 ms');
      expect(api.requests.at(-1)).toMatchObject({ status: -1, serviceAccount: pod.serviceAccountName });
    } finally {
      KubeConfig.prototype.loadFromCluster = original;
      for (const [k, v] of [
        ['KUBERNETES_SERVICE_HOST', env.host],
        ['KUBERNETES_SERVICE_PORT', env.port],
      ] as const)
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      delete process.env.KUBERNETES_SERVICE_PORT_HTTPS;
      delete process.env.KUBERNETES_PORT;
    }
  });

  it('scaler.enabled: the gateway scaler calls (deployments/scale get + merge patch, pods list) pass the rendered gateway Role only', async () => {
    const objs = await renderChart({
      release: RELEASE,
      namespace: NS,
      values: { scaler: { enabled: true }, networkPolicy: { kubeApi: { cidrs: ['127.0.0.1/32'] } } },
    });
    const scalerStore = new MemoryStore(NS, objs);
    const scalerApi = await FakeKubeApi.start(scalerStore, { host: '127.0.0.1' });
    try {
      const gateway = scalerStore.get('Deployment', `${RELEASE}-gateway`)!;
      const sa = gateway.spec.template.spec.serviceAccountName as string;
      const kc = new KubeConfig();
      kc.loadFromString(scalerApi.kubeconfig(sa));
      const apps = kc.makeApiClient(AppsV1Api);
      const core = kc.makeApiClient(CoreV1Api);
      const name = `${RELEASE}-orders`;
      expect((await apps.readNamespacedDeploymentScale({ name, namespace: NS })).spec?.replicas).toBe(2);
      // As KubernetesScaler.scale does it (services/gateway/src/scaling/kubernetes.scaler.ts).
      await apps.patchNamespacedDeploymentScale(
        { name, namespace: NS, body: { spec: { replicas: 3 } }, fieldManager: 'ticketcd-scaler' },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      expect(scalerStore.get('Deployment', name)!.spec.replicas).toBe(3);
      scalerStore.put({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'orders-a', labels: { 'app.kubernetes.io/component': 'orders' } },
        status: { phase: 'Running' },
      });
      scalerStore.put({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'catalog-a', labels: { 'app.kubernetes.io/component': 'catalog' } },
      });
      const pods = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app.kubernetes.io/component=orders' });
      expect(pods.items.map((p) => p.metadata?.name)).toEqual(['orders-a']);
      // The Role names the release's Deployments only; the StatefulSet's scale is not granted.
      await expect(apps.readNamespacedDeploymentScale({ name: 'someone-else', namespace: NS })).rejects.toMatchObject({ code: 403 });
      await expect(apps.readNamespacedStatefulSetScale({ name: `${RELEASE}-etcd`, namespace: NS })).rejects.toMatchObject({ code: 403 });
      await expect(apps.readNamespacedDeployment({ name, namespace: NS })).rejects.toMatchObject({ code: 403 });
    } finally {
      await scalerApi.stop();
    }
  });
});
