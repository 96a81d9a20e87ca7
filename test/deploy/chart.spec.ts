/**
 * Issue 15, point 2 (helm/ticketcd) and its Helm acceptance: `helm lint --strict` and `helm template`
 * for the default, dev and prod values; every rendered object checked against the Kubernetes schemas
 * (kubernetes-models: types and required fields; @kubernetes/client-node's models: no unknown field,
 * as `kubectl --validate=strict` would); the etcd quorum, per-service objects, non-root containers,
 * pinned images, the schema's refusals, the gateway's RBAC and the NetworkPolicies of the contract
 * (/work/notes/deploy-contract.md). No cluster: helm runs as a child process.
 */
// The generated models only: the client's entry point pulls in undici, which jest's VM modules cannot load.
import * as k8s from '@kubernetes/client-node/dist/gen/models/all.js';
import { baseServiceConfig, loadConfig, type z } from '@ticketcd/config';
import { SERVICE_NAMES } from '@ticketcd/keys';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const root = resolve(import.meta.dirname, '../..');
const chart = join(root, 'helm/ticketcd');
const helmBin = join(execFileSync('bash', [join(root, 'scripts/k8s-tools.sh')], { encoding: 'utf8' }).trim(), 'helm');
const RELEASE = 'ticketcd';
const NS = 'shop';

function helm(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(helmBin, args, { encoding: 'utf8', cwd: root, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `helm template` with value files (relative to the chart) and --set pairs; throws on failure. */
function render(files: string[] = [], sets: string[] = [], chartDir = chart): Obj[] {
  const args = ['template', RELEASE, chartDir, '-n', NS, ...files.flatMap((f) => ['-f', join(chartDir, f)])];
  const r = helm([...args, ...sets.flatMap((s) => ['--set', s])]);
  if (r.status !== 0) throw new Error(`helm template failed:\n${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

const find = (docs: Obj[], kind: string, name: string): Obj | undefined => docs.find((o) => o.kind === kind && o.metadata?.name === name);
const get = (docs: Obj[], kind: string, name: string): Obj => {
  const o = find(docs, kind, name);
  if (!o) throw new Error(`no ${kind} ${name} in the render`);
  return o;
};

// ---- validation ----------------------------------------------------------------------------------

const models = k8s as unknown as Record<string, { getAttributeTypeMap?: () => { baseName: string; type: string }[] }>;

/** Fields the Kubernetes OpenAPI types do not have (client-node's generated models list every field). */
function unknownFields(value: unknown, type: string, path: string, out: string[]): void {
  if (value === null || value === undefined) return;
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value)) value.forEach((v, i) => unknownFields(v, array[1]!, `${path}[${i}]`, out));
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value === 'object') for (const [k, v] of Object.entries(value)) unknownFields(v, map[1]!, `${path}.${k}`, out);
    return;
  }
  const model = models[type];
  if (!model?.getAttributeTypeMap || typeof value !== 'object' || Array.isArray(value)) return;
  const attributes = new Map(model.getAttributeTypeMap().map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    const t = attributes.get(k);
    if (t === undefined) out.push(`${path}.${k}: unknown field of ${type}`);
    else unknownFields(v, t, `${path}.${k}`, out);
  }
}

/** The custom resources the chart may render (no schema package): required fields by hand. */
function checkCustomResource(o: Obj): string[] {
  const where = `${o.kind} ${o.metadata?.name}`;
  const problems: string[] = [];
  if (!o.metadata?.name) problems.push(`${where}: metadata.name missing`);
  if (o.apiVersion === 'monitoring.coreos.com/v1' && o.kind === 'ServiceMonitor') {
    if (!o.spec?.selector?.matchLabels) problems.push(`${where}: spec.selector.matchLabels missing`);
    if (!Array.isArray(o.spec?.endpoints) || o.spec.endpoints.length === 0) problems.push(`${where}: spec.endpoints empty`);
    for (const e of o.spec?.endpoints ?? [])
      if (!e.port || !String(e.path).startsWith('/')) problems.push(`${where}: endpoint needs port and path`);
  } else if (o.apiVersion === 'cert-manager.io/v1' && o.kind === 'Certificate') {
    if (!o.spec?.secretName) problems.push(`${where}: spec.secretName missing`);
    if (!o.spec?.issuerRef?.name) problems.push(`${where}: spec.issuerRef.name missing`);
    // cert-manager needs an identity: names for server certificates, a common name at least for client ones.
    if ((!Array.isArray(o.spec?.dnsNames) || o.spec.dnsNames.length === 0) && !o.spec?.commonName)
      problems.push(`${where}: neither spec.dnsNames nor spec.commonName`);
  } else if (o.apiVersion === 'gateway.networking.k8s.io/v1' && o.kind === 'HTTPRoute') {
    // Issue 29.7: kubernetes-models has no Gateway API types: the HTTPRoute's required fields by hand.
    const refs = o.spec?.parentRefs;
    if (!Array.isArray(refs) || refs.length === 0 || refs.some((r: Obj) => !r?.name)) problems.push(`${where}: parentRefs need a name`);
    for (const h of o.spec?.hostnames ?? [])
      if (!/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(h)) problems.push(`${where}: hostname ${h}`);
    if (!Array.isArray(o.spec?.rules) || o.spec.rules.length === 0) problems.push(`${where}: spec.rules empty`);
    for (const rule of o.spec?.rules ?? [])
      for (const b of rule.backendRefs ?? [])
        if (!b.name || !Number.isInteger(b.port)) problems.push(`${where}: a backendRef to a Service needs name and port`);
  } else {
    problems.push(`${where}: unexpected ${o.apiVersion} ${o.kind}`);
  }
  return problems;
}

/** Every problem of every object: [] when all are valid. */
async function validate(docs: Obj[]): Promise<string[]> {
  const problems: string[] = [];
  for (const o of docs) {
    const where = `${o.kind} ${o.metadata?.name}`;
    if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') {
      problems.push(`${where}: apiVersion/kind missing`);
      continue;
    }
    const [group, version] = o.apiVersion.includes('/') ? o.apiVersion.split('/') : ['', o.apiVersion];
    if (group === 'monitoring.coreos.com' || group === 'cert-manager.io' || group === 'gateway.networking.k8s.io') {
      problems.push(...checkCustomResource(o));
      continue;
    }
    const module = (await import(group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`)) as Record<
      string,
      new (data: Obj) => { validate(): void }
    >;
    const Model = module[o.kind];
    if (!Model) {
      problems.push(`${where}: no model for ${o.apiVersion}`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (e) {
      problems.push(`${where}: ${(e as Error).message}`);
    }
    const type = `${version![0]!.toUpperCase()}${version!.slice(1)}${o.kind}`;
    if (!models[type]) problems.push(`${where}: no client-node model ${type}`);
    else unknownFields(o, type, where, problems);
  }
  return problems;
}

// ---- renders -------------------------------------------------------------------------------------

/** Issue 29.6: the scaler needs the API server's address (the render fails without it). */
const API_SERVER_CIDR = '172.18.0.2/32';
const SCALER_ON = ['scaler.enabled=true', `networkPolicy.kubeApi.cidrs[0]=${API_SERVER_CIDR}`];
const everything = [
  ...SERVICE_NAMES.map((s) => `services.${s}.autoscaling.enabled=true`),
  ...SCALER_ON,
  'gateway.httpRoute.enabled=true',
  'gateway.httpRoute.parentRefs[0].name=shared',
  'gateway.httpRoute.parentRefs[0].namespace=gateway-system',
  'gateway.httpRoute.hostnames[0]=tickets.example.com',
  'etcd.tls.enabled=true',
  'etcd.tls.certManager.enabled=true',
  'etcd.tls.certManager.issuerRef.name=ca',
  'etcd.defrag.enabled=true',
  // Issue 28 point 4: backups go to an S3-compatible store (no default: the bucket is yours).
  'etcd.backup.enabled=true',
  'etcd.backup.s3.bucket=etcd-backups',
  'etcd.backup.s3.existingSecret=etcd-backup-s3',
  'ingress.enabled=true',
  'metrics.serviceMonitor.enabled=true',
];
let defaults: Obj[];
let dev: Obj[];
let prod: Obj[];
/** values-prod.yaml with the scaler turned on (it is off there until the API server's address is set). */
let prodScaler: Obj[];
let all: Obj[];

beforeAll(() => {
  defaults = render();
  dev = render(['values-dev.yaml']);
  prod = render(['values-prod.yaml']);
  prodScaler = render(['values-prod.yaml'], SCALER_ON);
  all = render([], everything);
}, 60_000);

const podSpecs = (docs: Obj[]): { where: string; spec: Obj }[] =>
  docs.flatMap((o) => {
    const where = `${o.kind} ${o.metadata.name}`;
    if (o.kind === 'Pod') return [{ where, spec: o.spec }];
    if (o.kind === 'CronJob') return [{ where, spec: o.spec.jobTemplate.spec.template.spec }];
    if (['Deployment', 'StatefulSet', 'Job', 'DaemonSet'].includes(o.kind)) return [{ where, spec: o.spec.template.spec }];
    return [];
  });

/** The etcd-auth Job: `<fullname>-etcd-auth-<hash of its spec>` (issue 29.1). */
const AUTH_JOB = /^ticketcd-etcd-auth-[0-9a-f]{10}$/;
const findAuthJob = (docs: Obj[]): Obj | undefined => docs.find((o) => o.kind === 'Job' && AUTH_JOB.test(o.metadata?.name));
const authJob = (docs: Obj[]): Obj => {
  const job = findAuthJob(docs);
  if (!job) throw new Error('no etcd-auth Job in the render');
  return job;
};

const containersOf = (spec: Obj): Obj[] => [...(spec.initContainers ?? []), ...spec.containers];
const envOf = (c: Obj, name: string): Obj | undefined => (c.env ?? []).find((e: Obj) => e.name === name);
const arg = (args: string[], flag: string): string | undefined => args.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
/** etcd's shared settings (issue 28.1: the ConfigMap the init container builds etcd's config file from). */
const etcdConfig = (docs: Obj[]): Obj => parse(get(docs, 'ConfigMap', 'ticketcd-etcd-config').data['etcd.yaml']) as Obj;

// ---- tests ---------------------------------------------------------------------------------------

describe('helm/ticketcd', () => {
  it.each([['values.yaml (defaults)'], ['values-dev.yaml'], ['values-prod.yaml']])('helm lint --strict passes with %s', (file) => {
    const r = helm(['lint', '--strict', chart, ...(file.startsWith('values.yaml') ? [] : ['-f', join(chart, file)])]);
    expect(`${r.stdout}${r.stderr}`).toContain('0 chart(s) failed');
    expect(r.status).toBe(0);
  });

  it('the validator itself rejects a wrong type, a missing required field and an unknown field', async () => {
    const deployment = get(defaults, 'Deployment', 'ticketcd-orders');
    const bad = structuredClone(deployment);
    bad.spec.replicas = 'two';
    bad.spec.template.spec.containers[0].livenessProbe.httpGet.pathh = '/healthz';
    delete bad.spec.selector;
    const problems = await validate([bad]);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/replicas must be integer/),
        expect.stringMatching(/must have required property '?selector/),
        expect.stringMatching(/httpGet\.pathh: unknown field/),
      ]),
    );
  });

  it.each([['defaults'], ['dev'], ['prod'], ['everything on']])('every object rendered with %s is valid Kubernetes', async (name) => {
    const docs = { defaults, dev, prod, 'everything on': all }[name]!;
    expect(docs.length).toBeGreaterThan(40);
    expect(await validate(docs)).toEqual([]);
    const names = docs.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names.length).toBe(new Set(names).size);
  });

  it('etcd: 5 members, Parallel, a one-at-a-time PDB, etcd configured by file, headless Service with not-ready addresses', () => {
    const sts = get(defaults, 'StatefulSet', 'ticketcd-etcd');
    expect(sts.spec.replicas).toBe(5);
    expect(sts.spec.podManagementPolicy).toBe('Parallel');
    expect(sts.spec.serviceName).toBe('ticketcd-etcd-headless');
    expect(get(defaults, 'PodDisruptionBudget', 'ticketcd-etcd').spec.maxUnavailable).toBe(1);
    // Issue 28.1: etcd runs with the config file its init container wrote; the shared settings come from a ConfigMap.
    expect(sts.spec.template.spec.containers[0].args).toEqual(['--config-file=/run/etcd/etcd.yaml']);
    const config = etcdConfig(defaults);
    expect(config['max-txn-ops']).toBe(128);
    expect(config['quota-backend-bytes']).toBe(2147483648);
    expect(config['auto-compaction-mode']).toBe('periodic');
    expect(config['auto-compaction-retention']).toBe('1h');
    expect(config['max-request-bytes']).toBeDefined();
    expect(config['listen-metrics-urls']).toBe('http://0.0.0.0:2381');
    const prepare = sts.spec.template.spec.initContainers.find((c: Obj) => c.name === 'member-prepare');
    expect(prepare.command).toEqual(['node', 'libs/tooling/deploy/dist/etcd-member.js', 'prepare']);
    expect(arg(prepare.args, '--peer-url')).toBe(`https://{name}.ticketcd-etcd-headless.{namespace}.svc.cluster.local:2380`);
    expect(arg(prepare.args, '--statefulset')).toBe('ticketcd-etcd');
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('8Gi');
    expect(sts.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    const headless = get(defaults, 'Service', 'ticketcd-etcd-headless');
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    expect(headless.spec.ports.map((p: Obj) => p.port).sort()).toEqual([2379, 2380]);
    const container = sts.spec.template.spec.containers[0];
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe'])
      expect((container[probe].httpGet ?? container[probe].tcpSocket).port).toBe('metrics');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz?exclude=linearizable_read');
  });

  it('etcd: quorum and endpoints follow replicaCount, the pod template does not (5 -> 7 restarts no member); 3 in dev without volumes; hard anti-affinity in prod', () => {
    const three = render([], ['etcd.replicaCount=3']);
    const seven = render([], ['etcd.replicaCount=7']);
    // Issue 28.1: scaling changes spec.replicas only; a template change would roll every member.
    const template = (docs: Obj[]) => get(docs, 'StatefulSet', 'ticketcd-etcd').spec.template;
    expect(template(seven)).toEqual(template(defaults));
    expect(template(three)).toEqual(template(defaults));
    expect(get(seven, 'StatefulSet', 'ticketcd-etcd').spec.replicas).toBe(7);
    expect(get(three, 'PodDisruptionBudget', 'ticketcd-etcd').spec.maxUnavailable).toBe(1);
    expect(get(three, 'ConfigMap', 'ticketcd-config').data.ETCD_ENDPOINTS.split(',')).toHaveLength(3);
    const devSts = get(dev, 'StatefulSet', 'ticketcd-etcd');
    expect(devSts.spec.replicas).toBe(3);
    expect(devSts.spec.volumeClaimTemplates).toBeUndefined();
    expect(devSts.spec.template.spec.volumes).toContainEqual({ name: 'data', emptyDir: {} });
    expect(
      get(prod, 'StatefulSet', 'ticketcd-etcd').spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution,
    ).toHaveLength(1);
    expect(get(prod, 'PodDisruptionBudget', 'ticketcd-etcd').spec.maxUnavailable).toBe(1);
    // The state is detected by the init container, not a value (issue 28.1).
    expect(etcdConfig(defaults)).not.toHaveProperty('initial-cluster-state');
  });

  it('etcd membership (issue 28.1): init container, sidecar with a preStop leave, the API token only there, get on the one StatefulSet', () => {
    const spec = get(defaults, 'StatefulSet', 'ticketcd-etcd').spec.template.spec;
    expect(spec.serviceAccountName).toBe('ticketcd-etcd');
    expect(spec.automountServiceAccountToken).toBe(false);
    const sidecar = spec.containers.find((c: Obj) => c.name === 'member');
    expect(sidecar.command).toEqual(['node', 'libs/tooling/deploy/dist/etcd-member.js', 'run']);
    expect(sidecar.lifecycle.preStop.exec.command.slice(0, 3)).toEqual(['node', 'libs/tooling/deploy/dist/etcd-member.js', 'leave']);
    // No $(VAR) in an exec hook (the kubelet expands none there): the program reads POD_NAME itself.
    expect(sidecar.lifecycle.preStop.exec.command.join(' ')).not.toContain('$(');
    expect(envOf(sidecar, 'POD_NAME')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    expect(envOf(sidecar, 'ETCD_ROOT_PASSWORD')?.valueFrom).toEqual({ secretKeyRef: { name: 'ticketcd-etcd-root', key: 'password' } });
    const withToken = containersOf(spec)
      .filter((c) => (c.volumeMounts ?? []).some((m: Obj) => m.name === 'kube-api'))
      .map((c) => c.name);
    expect(withToken.sort()).toEqual(['member', 'member-prepare']);
    expect(get(defaults, 'ServiceAccount', 'ticketcd-etcd').automountServiceAccountToken).toBe(false);
    expect(get(defaults, 'Role', 'ticketcd-etcd').rules).toEqual([
      { apiGroups: ['apps'], resources: ['statefulsets'], resourceNames: ['ticketcd-etcd'], verbs: ['get'] },
    ]);
    expect(get(defaults, 'RoleBinding', 'ticketcd-etcd').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'ticketcd-etcd', namespace: NS },
    ]);
    // extraArgs reach etcd through its config file.
    const extra = get(render([], ['etcd.extraArgs[0]=--log-level=debug']), 'StatefulSet', 'ticketcd-etcd').spec.template.spec;
    expect(extra.initContainers[0].args).toContain('--extra-arg=--log-level=debug');
    // A change of the shared settings rolls the members (checksum); the ConfigMap holds no per-member key.
    expect(
      get(render([], ['etcd.snapshotCount=5000']), 'StatefulSet', 'ticketcd-etcd').spec.template.metadata.annotations[
        'checksum/etcd-config'
      ],
    ).not.toBe(get(defaults, 'StatefulSet', 'ticketcd-etcd').spec.template.metadata.annotations['checksum/etcd-config']);
    for (const key of ['name', 'initial-cluster', 'initial-cluster-state', 'data-dir']) expect(etcdConfig(all)).not.toHaveProperty(key);
  });

  it('etcd membership refusals (issue 28.1): a leftover initialClusterState, fewer than 3 members, an even count (schema and template)', () => {
    const attempt = (...args: string[]) => helm(['template', RELEASE, chart, ...args]);
    const leftover = attempt('--set', 'etcd.initialClusterState=existing');
    expect(leftover.status).not.toBe(0);
    expect(leftover.stderr).toContain('etcd.initialClusterState was removed: each member detects its state');
    const one = attempt('--set', 'etcd.replicaCount=1');
    expect(one.status).not.toBe(0);
    expect(one.stderr).toContain('etcd.replicaCount=1: at least 3 members');
    // The schema refuses an even count; the template too, when the schema is skipped.
    const even = attempt('--skip-schema-validation', '--set', 'etcd.replicaCount=4');
    expect(even.status).not.toBe(0);
    expect(even.stderr).toContain('etcd.replicaCount=4: an even count tolerates no more failures');
  });

  it('etcd client TLS: members serve https with the server certificate; every etcd client gets the CA/cert/key files', () => {
    const sts = get(prod, 'StatefulSet', 'ticketcd-etcd');
    const args: string[] = sts.spec.template.spec.initContainers[0].args;
    expect(arg(args, '--listen-client-url')).toBe('https://0.0.0.0:2379');
    expect(arg(args, '--client-url')).toMatch(/^https:\/\//);
    expect(etcdConfig(prod)['client-transport-security']).toEqual({
      'cert-file': '/etc/ticketcd/etcd-server-tls/tls.crt',
      'key-file': '/etc/ticketcd/etcd-server-tls/tls.key',
      'trusted-ca-file': '/etc/ticketcd/etcd-server-tls/ca.crt',
      'client-cert-auth': true,
    });
    expect(sts.spec.template.spec.volumes).toContainEqual(
      expect.objectContaining({ name: 'etcd-server-tls', secret: expect.objectContaining({ secretName: 'ticketcd-etcd-server-tls' }) }),
    );
    expect(get(prod, 'ConfigMap', 'ticketcd-config').data.ETCD_ENDPOINTS).toMatch(/^https:\/\//);
    for (const { where, spec } of podSpecs(prod).filter((p) => /Deployment|etcd-auth|etcd-backup/.test(p.where))) {
      const c = spec.containers
        .concat(spec.initContainers ?? [])
        .find((x: Obj) => (x.volumeMounts ?? []).some((m: Obj) => m.name === 'etcd-tls'));
      expect([where, c && c.volumeMounts.find((m: Obj) => m.name === 'etcd-tls').mountPath]).toEqual([where, '/etc/ticketcd/etcd-tls']);
    }
    for (const s of SERVICE_NAMES) {
      const c = get(prod, 'Deployment', `ticketcd-${s}`).spec.template.spec.containers[0];
      expect(envOf(c, 'ETCD_TLS_CA_FILE')?.value).toBe('/etc/ticketcd/etcd-tls/ca.crt');
      expect(envOf(c, 'ETCD_TLS_CERT_FILE')?.value).toBe('/etc/ticketcd/etcd-tls/tls.crt');
      expect(envOf(c, 'ETCD_TLS_KEY_FILE')?.value).toBe('/etc/ticketcd/etcd-tls/tls.key');
      // Issue 29.3: renewed files are taken up without a restart, polled this often.
      expect(envOf(c, 'ETCD_TLS_RELOAD_MS')?.value).toBe('30000');
    }
    expect(etcdConfig(defaults)).not.toHaveProperty('client-transport-security');
  });

  it('etcd peer TLS (issue 29.3): on by default, https peer URLs with the peer certificate and peer client-cert-auth; off only on request', () => {
    for (const docs of [defaults, dev, prod]) {
      expect(etcdConfig(docs)['peer-transport-security']).toEqual({
        'cert-file': '/etc/ticketcd/etcd-peer-tls/tls.crt',
        'key-file': '/etc/ticketcd/etcd-peer-tls/tls.key',
        'trusted-ca-file': '/etc/ticketcd/etcd-peer-tls/ca.crt',
        'client-cert-auth': true,
      });
      const pod = get(docs, 'StatefulSet', 'ticketcd-etcd').spec.template.spec;
      // The membership programs (prepare, the sidecar and its preStop leave) register and match https peer URLs.
      const member = pod.containers.find((c: Obj) => c.name === 'member');
      for (const a of [pod.initContainers[0].args, member.args, member.lifecycle.preStop.exec.command]) {
        expect(arg(a, '--peer-url')).toBe('https://{name}.ticketcd-etcd-headless.{namespace}.svc.cluster.local:2380');
        expect(arg(a, '--listen-peer-url')).toBe('https://0.0.0.0:2380');
      }
      const etcd = pod.containers.find((c: Obj) => c.name === 'etcd');
      expect(etcd.volumeMounts).toContainEqual({ name: 'etcd-peer-tls', mountPath: '/etc/ticketcd/etcd-peer-tls', readOnly: true });
      expect(pod.volumes).toContainEqual({
        name: 'etcd-peer-tls',
        secret: expect.objectContaining({ secretName: 'ticketcd-etcd-peer-tls' }),
      });
      // The peer certificate is the members' alone.
      for (const { where, spec } of podSpecs(docs).filter((p) => p.where !== 'StatefulSet ticketcd-etcd'))
        expect([where, (spec.volumes ?? []).filter((v: Obj) => /peer-tls|server-tls/.test(v.secret?.secretName ?? ''))]).toEqual([
          where,
          [],
        ]);
    }
    const off = render([], ['etcd.tls.peer.enabled=false']);
    expect(etcdConfig(off)).not.toHaveProperty('peer-transport-security');
    expect(arg(get(off, 'StatefulSet', 'ticketcd-etcd').spec.template.spec.initContainers[0].args, '--peer-url')).toMatch(/^http:\/\//);
  });

  it('etcd client certificates (issue 29.3): each service mounts only its own, the Jobs and membership containers the tools one, etcd none', () => {
    const secretOf = (spec: Obj) => (spec.volumes ?? []).find((v: Obj) => v.name === 'etcd-tls')?.secret.secretName;
    for (const s of SERVICE_NAMES) {
      const spec = get(prod, 'Deployment', `ticketcd-${s}`).spec.template.spec;
      expect([s, secretOf(spec)]).toEqual([s, `ticketcd-etcd-client-${s}`]);
      // No other certificate in a service's pod.
      expect(
        spec.volumes.filter(
          (v: Obj) => v.secret?.secretName?.startsWith('ticketcd-etcd-') && v.name !== 'etcd-tls' && v.name !== 'etcd-users',
        ),
      ).toEqual([]);
    }
    expect(secretOf(get(prod, 'StatefulSet', 'ticketcd-etcd').spec.template.spec)).toBe('ticketcd-etcd-client-tools');
    // The auth Job mounts no Secret (issue 29.2): its ensure-secrets copies the tools certificate.
    const copyOf = (docs: Obj[]) =>
      authJob(docs)
        .spec.template.spec.initContainers[0].args.find((a: string) => a.startsWith('--copy='))
        ?.replace(/^--copy=/, '')
        .replace(/:.*$/, '');
    expect(copyOf(prod)).toBe('ticketcd-etcd-client-tools');
    for (const name of ['ticketcd-etcd-backup', 'ticketcd-etcd-defrag'])
      expect([name, secretOf(get(all, 'CronJob', name).spec.jobTemplate.spec.template.spec)]).toEqual([name, 'ticketcd-etcd-client-tools']);
    const pod = get(prod, 'StatefulSet', 'ticketcd-etcd').spec.template.spec;
    const etcd = pod.containers.find((c: Obj) => c.name === 'etcd');
    expect(etcd.volumeMounts.map((m: Obj) => m.name)).not.toContain('etcd-tls');
    for (const c of [pod.initContainers[0], pod.containers.find((x: Obj) => x.name === 'member')])
      expect(c.volumeMounts).toContainEqual({ name: 'etcd-tls', mountPath: '/etc/ticketcd/etcd-tls', readOnly: true });
    // existingSecrets, by role.
    const own = render(
      ['values-prod.yaml'],
      [
        'etcd.tls.existingSecrets.peer=my-peer',
        'etcd.tls.existingSecrets.server=my-server',
        ...[...SERVICE_NAMES, 'tools'].map((c) => `etcd.tls.existingSecrets.clients.${c}=my-${c}`),
      ],
    );
    expect(secretOf(get(own, 'Deployment', 'ticketcd-orders').spec.template.spec)).toBe('my-orders');
    expect(copyOf(own)).toBe('my-tools');
    const ownVolumes = get(own, 'StatefulSet', 'ticketcd-etcd').spec.template.spec.volumes.map((v: Obj) => v.secret?.secretName);
    expect(ownVolumes).toEqual(expect.arrayContaining(['my-peer', 'my-server', 'my-tools']));
  });

  it('etcd certificates from cert-manager (issue 29.3): one Certificate per Secret, CN = the etcd user, none for a role in existingSecrets', () => {
    const certs = all.filter((o) => o.kind === 'Certificate');
    const clients = [...SERVICE_NAMES, 'tools'].sort();
    expect(certs.map((c) => c.metadata.name).sort()).toEqual(
      ['ticketcd-etcd-peer-tls', 'ticketcd-etcd-server-tls', ...clients.map((c) => `ticketcd-etcd-client-${c}`)].sort(),
    );
    for (const c of certs) expect(c.spec.secretName).toBe(c.metadata.name);
    const peer = get(all, 'Certificate', 'ticketcd-etcd-peer-tls').spec;
    expect(peer.usages).toEqual(expect.arrayContaining(['server auth', 'client auth']));
    expect(peer.dnsNames).toContain(`*.ticketcd-etcd-headless.${NS}.svc.cluster.local`);
    const server = get(all, 'Certificate', 'ticketcd-etcd-server-tls').spec;
    expect(server.dnsNames).toEqual(expect.arrayContaining(['ticketcd-etcd', `*.ticketcd-etcd-headless.${NS}.svc.cluster.local`]));
    for (const c of clients) {
      const spec = get(all, 'Certificate', `ticketcd-etcd-client-${c}`).spec;
      expect([c, spec.commonName, spec.usages.includes('server auth')]).toEqual([c, c === 'tools' ? 'root' : c, false]);
    }
    const some = render([], [...everything, 'etcd.tls.existingSecrets.peer=my-peer', 'etcd.tls.existingSecrets.clients.orders=my-orders']);
    const names = some.filter((o) => o.kind === 'Certificate').map((o) => o.metadata.name);
    expect(names).not.toContain('ticketcd-etcd-peer-tls');
    expect(names).not.toContain('ticketcd-etcd-client-orders');
    expect(names).toContain('ticketcd-etcd-client-gateway');
  });

  it('etcd TLS settings that cannot work fail the render with a clear message (issue 29.3)', () => {
    const attempt = (...sets: string[]) => helm(['template', RELEASE, chart, ...sets.flatMap((s) => ['--set', s])]);
    const cases: [string[], string][] = [
      [['etcd.tls.existingSecret=old'], 'etcd.tls.existingSecret was replaced by etcd.tls.existingSecrets'],
      [['etcd.tls.clientCertAuth=true'], 'etcd.tls.clientCertAuth=true needs etcd.tls.enabled=true'],
      [['etcd.tls.enabled=true', 'etcd.tls.existingSecrets.server=mine'], 'the server and client certificates must share one CA'],
      [['etcd.tls.existingSecrets.clients.ordres=x'], 'etcd.tls.existingSecrets.clients.ordres: not an etcd client of this release'],
      [['etcd.auth.enabled=false'], 'with etcd auth off nothing would create them'],
      [['etcd.tls.certManager.enabled=true'], 'etcd.tls.certManager.issuerRef.name is required'],
    ];
    for (const [sets, message] of cases) {
      const r = attempt(...sets);
      expect([sets, r.status === 0 ? 'rendered' : r.stderr.includes(message) ? 'refused' : r.stderr]).toEqual([sets, 'refused']);
    }
    // And what can work renders: client TLS from the Job's CA, or auth off with peer certificates given.
    expect(attempt('etcd.tls.enabled=true').status).toBe(0);
    expect(attempt('etcd.auth.enabled=false', 'admin.existingSecret=a', 'etcd.tls.existingSecrets.peer=p').status).toBe(0);
  });

  it('etcd auth tokens are JWTs (issue 29.3): RS256 keys from <fullname>-etcd-jwt or etcd.auth.jwt.existingSecret, mounted only into etcd', () => {
    expect(etcdConfig(defaults)['auth-token']).toBe(
      'jwt,pub-key=/etc/ticketcd/etcd-jwt/jwt.pub,priv-key=/etc/ticketcd/etcd-jwt/jwt.key,sign-method=RS256,ttl=10m',
    );
    const pod = get(defaults, 'StatefulSet', 'ticketcd-etcd').spec.template.spec;
    expect(pod.volumes).toContainEqual({
      name: 'etcd-jwt',
      secret: expect.objectContaining({
        secretName: 'ticketcd-etcd-jwt',
        items: [
          { key: 'jwt.key', path: 'jwt.key' },
          { key: 'jwt.pub', path: 'jwt.pub' },
        ],
      }),
    });
    for (const c of containersOf(pod))
      expect([c.name, (c.volumeMounts ?? []).some((m: Obj) => m.name === 'etcd-jwt')]).toEqual([c.name, c.name === 'etcd']);
    for (const { where, spec } of podSpecs(all).filter((p) => p.where !== 'StatefulSet ticketcd-etcd'))
      expect([where, (spec.volumes ?? []).some((v: Obj) => v.secret?.secretName === 'ticketcd-etcd-jwt')]).toEqual([where, false]);
    const own = render([], ['etcd.auth.jwt.existingSecret=my-jwt', 'etcd.auth.jwt.ttl=30m']);
    expect(etcdConfig(own)['auth-token']).toMatch(/,ttl=30m$/);
    expect(get(own, 'StatefulSet', 'ticketcd-etcd').spec.template.spec.volumes).toContainEqual(
      expect.objectContaining({ name: 'etcd-jwt', secret: expect.objectContaining({ secretName: 'my-jwt' }) }),
    );
    expect(etcdConfig(render([], ['etcd.auth.enabled=false', 'admin.existingSecret=a', 'etcd.tls.peer.enabled=false']))).not.toHaveProperty(
      'auth-token',
    );
  });

  it('etcd auth: the Job and Secrets of the contract; each service logs in as itself', () => {
    const job = authJob(defaults);
    const c = job.spec.template.spec.containers[0];
    expect(c.image).toBe('ticketcd/tools:0.1.0');
    expect(c.command).toEqual(['node', 'libs/tooling/deploy/dist/cli.js', 'etcd-auth', 'apply']);
    expect(envOf(c, 'ETCD_ENDPOINTS')?.value.split(',')).toHaveLength(5);
    expect(envOf(c, 'ETCD_ROOT_PASSWORD')?.valueFrom).toEqual({ secretKeyRef: { name: 'ticketcd-etcd-root', key: 'password' } });
    // One variable per service from the users Secret (issue 29.1: not a volume, which is mounted
    // before the init container that may create the Secret runs).
    for (const s of SERVICE_NAMES)
      expect(envOf(c, `ETCD_PASSWORD_${s.toUpperCase().replace(/-/g, '_')}`)?.valueFrom).toEqual({
        secretKeyRef: { name: 'ticketcd-etcd-users', key: s },
      });
    expect(job.spec.template.spec.volumes.filter((v: Obj) => v.secret)).toEqual([]);
    // Issue 29.2: no template makes a password; the Job's init container creates what is absent.
    expect(find(defaults, 'Secret', 'ticketcd-etcd-users')).toBeUndefined();
    expect(find(defaults, 'Secret', 'ticketcd-etcd-root')).toBeUndefined();
    for (const s of SERVICE_NAMES) {
      const sc = get(defaults, 'Deployment', `ticketcd-${s}`).spec.template.spec.containers[0];
      expect(envOf(sc, 'ETCD_USERNAME')?.value).toBe(s);
      expect(envOf(sc, 'ETCD_PASSWORD')?.valueFrom).toEqual({ secretKeyRef: { name: 'ticketcd-etcd-users', key: s } });
    }
    // Existing Secrets are used, not generated.
    const own = render([], ['etcd.auth.existingSecret=mine', 'etcd.auth.rootExistingSecret=myroot', 'admin.existingSecret=myadmin']);
    expect(find(own, 'Secret', 'ticketcd-etcd-users')).toBeUndefined();
    expect(find(own, 'Secret', 'ticketcd-etcd-root')).toBeUndefined();
    expect(find(own, 'Secret', 'ticketcd-admin')).toBeUndefined();
    expect(envOf(authJob(own).spec.template.spec.containers[0], 'ETCD_ROOT_PASSWORD')?.valueFrom.secretKeyRef.name).toBe('myroot');
    expect(
      envOf(get(own, 'Deployment', 'ticketcd-orders').spec.template.spec.containers[0], 'ETCD_PASSWORD')?.valueFrom.secretKeyRef.name,
    ).toBe('mine');
    // Auth off: no Job, no etcd credentials.
    // (Peer TLS off too: with auth off no Job creates its certificate, issue 29.3.)
    const off = render([], ['etcd.auth.enabled=false', 'admin.existingSecret=myadmin', 'etcd.tls.peer.enabled=false']);
    expect(findAuthJob(off)).toBeUndefined();
    expect(envOf(get(off, 'Deployment', 'ticketcd-orders').spec.template.spec.containers[0], 'ETCD_USERNAME')).toBeUndefined();
  });

  it('etcd auth (issue 29.1): a plain Job, no hook; its name hashes its spec (roles, image, Secrets, namespace); ETCD_NAMESPACE reaches it', () => {
    const job = authJob(defaults);
    // No hook: nothing waits for it, so helm --wait, Flux and Argo CD cannot deadlock on the unready services.
    expect(job.metadata.annotations ?? {}).toEqual({});
    expect(JSON.stringify(job)).not.toContain('helm.sh/hook');
    expect(envOf(job.spec.template.spec.containers[0], 'ETCD_NAMESPACE')?.value).toBe('');
    // The role table the chart carries is in the spec (its sha256), so it is in the hash.
    const table = readFileSync(join(chart, 'files/etcd-roles.txt'));
    expect(envOf(job.spec.template.spec.containers[0], 'ETCD_ROLES_SHA256')?.value).toBe(createHash('sha256').update(table).digest('hex'));

    const nameWith = (sets: string[], chartDir = chart) => authJob(render([], sets, chartDir)).metadata.name as string;
    // Nothing changed, same name (the Job is left alone); unrelated values do not rename it.
    expect(nameWith([])).toBe(job.metadata.name);
    expect(nameWith(['services.orders.replicaCount=3', 'ingress.enabled=true'])).toBe(job.metadata.name);
    // What the Job does changes: a new name (a Job's pod template is immutable).
    const namespaced = authJob(render([], ['config.ETCD_NAMESPACE=shop1:']));
    expect(envOf(namespaced.spec.template.spec.containers[0], 'ETCD_NAMESPACE')?.value).toBe('shop1:');
    const renamed = [
      namespaced.metadata.name,
      nameWith(['tools.image.tag=9.9.9']),
      nameWith(['etcd.auth.existingSecret=mine']),
      nameWith(['etcd.auth.rootExistingSecret=myroot']),
    ];
    expect(new Set([job.metadata.name, ...renamed]).size).toBe(1 + renamed.length);
    // A changed role table (the file npm run chart:roles writes) renames it too.
    const copy = mkdtempSync(join(tmpdir(), 'chart-'));
    try {
      cpSync(chart, copy, { recursive: true });
      writeFileSync(join(copy, 'files/etcd-roles.txt'), `${table.toString()}orders read alert:\n`);
      expect(nameWith([], copy)).not.toBe(job.metadata.name);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
    // One namespace for every service: a service's own ETCD_NAMESPACE is refused, naming the fix.
    expect(() => render([], ['services.orders.env.ETCD_NAMESPACE=other:'])).toThrow(
      /services.orders.env.ETCD_NAMESPACE: set config.ETCD_NAMESPACE instead/,
    );
  });

  it('etcd backups (issue 28 point 4): a CronJob runs etcd-backup.js in the tools image against an S3 store; defrag runs etcd-defrag.js, only when enabled', () => {
    // Off by default: no store is assumed (a volume in the same cluster would not survive it).
    expect(find(defaults, 'CronJob', 'ticketcd-etcd-backup')).toBeUndefined();
    expect(find(defaults, 'PersistentVolumeClaim', 'ticketcd-etcd-backup')).toBeUndefined();
    const cron = get(all, 'CronJob', 'ticketcd-etcd-backup');
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    const spec = cron.spec.jobTemplate.spec.template.spec;
    expect(spec.initContainers).toBeUndefined();
    const c = spec.containers[0];
    expect(c.image).toBe('ticketcd/tools:0.1.0');
    expect(c.command).toEqual(['node', 'libs/tooling/deploy/dist/etcd-backup.js']);
    expect(envOf(c, 'ETCD_ENDPOINTS')?.value).toMatch(/^https:\/\/ticketcd-etcd-0\./);
    expect(envOf(c, 'ETCD_ROOT_PASSWORD')?.valueFrom).toEqual({ secretKeyRef: { name: 'ticketcd-etcd-root', key: 'password' } });
    expect(envOf(c, 'ETCD_TLS_CA_FILE')?.value).toBe('/etc/ticketcd/etcd-tls/ca.crt');
    expect(c.volumeMounts).toContainEqual({ name: 'etcd-tls', mountPath: '/etc/ticketcd/etcd-tls', readOnly: true });
    expect(
      Object.fromEntries(
        [
          'BACKUP_S3_ENDPOINT',
          'BACKUP_S3_REGION',
          'BACKUP_S3_BUCKET',
          'BACKUP_S3_PREFIX',
          'BACKUP_S3_FORCE_PATH_STYLE',
          'BACKUP_RETENTION',
          'BACKUP_SCRATCH_DIR',
        ].map((n) => [n, envOf(c, n)?.value]),
      ),
    ).toEqual({
      BACKUP_S3_ENDPOINT: '',
      BACKUP_S3_REGION: 'us-east-1',
      BACKUP_S3_BUCKET: 'etcd-backups',
      BACKUP_S3_PREFIX: 'ticketcd/etcd/',
      BACKUP_S3_FORCE_PATH_STYLE: 'false',
      BACKUP_RETENTION: '10',
      BACKUP_SCRATCH_DIR: '/scratch',
    });
    // Credentials from the Secret only, never in the values.
    expect(envOf(c, 'AWS_ACCESS_KEY_ID')?.valueFrom).toEqual({ secretKeyRef: { name: 'etcd-backup-s3', key: 'AWS_ACCESS_KEY_ID' } });
    expect(envOf(c, 'AWS_SECRET_ACCESS_KEY')?.valueFrom).toEqual({
      secretKeyRef: { name: 'etcd-backup-s3', key: 'AWS_SECRET_ACCESS_KEY' },
    });
    expect(envOf(c, 'AWS_SESSION_TOKEN')?.valueFrom.secretKeyRef.optional).toBe(true);
    expect(spec.volumes).toContainEqual({ name: 'scratch', emptyDir: { sizeLimit: '4Gi' } });
    // A store elsewhere: endpoint, path style, prefix and retention reach the program.
    const minio = get(
      render(
        [],
        [
          'etcd.backup.enabled=true',
          'etcd.backup.s3.bucket=b',
          'etcd.backup.s3.existingSecret=s',
          'etcd.backup.s3.endpoint=http://minio.backup:9000',
          'etcd.backup.s3.forcePathStyle=true',
          'etcd.backup.s3.prefix=prod/',
          'etcd.backup.retention=3',
        ],
      ),
      'CronJob',
      'ticketcd-etcd-backup',
    ).spec.jobTemplate.spec.template.spec.containers[0];
    expect([
      envOf(minio, 'BACKUP_S3_ENDPOINT')?.value,
      envOf(minio, 'BACKUP_S3_FORCE_PATH_STYLE')?.value,
      envOf(minio, 'BACKUP_S3_PREFIX')?.value,
      envOf(minio, 'BACKUP_RETENTION')?.value,
    ]).toEqual(['http://minio.backup:9000', 'true', 'prod/', '3']);
    // Enabled without a bucket or a Secret: refused, naming what is missing.
    const noBucket = helm(['template', RELEASE, chart, '--set', 'etcd.backup.enabled=true']);
    expect(noBucket.status).not.toBe(0);
    expect(noBucket.stderr).toMatch(/bucket|existingSecret/);
    const noSecret = helm(['template', RELEASE, chart, '--set', 'etcd.backup.enabled=true,etcd.backup.s3.bucket=b']);
    expect(noSecret.status).not.toBe(0);
    expect(noSecret.stderr).toContain('existingSecret');
    expect(helm(['template', RELEASE, chart, '--set', 'etcd.backup.s3.endpoint=minio:9000']).stderr).toContain('endpoint');

    expect(find(defaults, 'CronJob', 'ticketcd-etcd-defrag')).toBeUndefined();
    const defrag = get(all, 'CronJob', 'ticketcd-etcd-defrag').spec.jobTemplate.spec.template.spec.containers[0];
    expect(defrag.image).toBe('ticketcd/tools:0.1.0');
    expect(defrag.command).toEqual(['node', 'libs/tooling/deploy/dist/etcd-defrag.js']);
    expect(defrag.args).toBeUndefined();
    expect(envOf(defrag, 'ETCD_ROOT_PASSWORD')?.valueFrom).toEqual({ secretKeyRef: { name: 'ticketcd-etcd-root', key: 'password' } });
  });

  it('NATS JetStream: 3 servers with routes, volumes, probes, PDB; 1 server without a cluster block; NATS_STREAM_REPLICAS follows', () => {
    const sts = get(defaults, 'StatefulSet', 'ticketcd-nats');
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('10Gi');
    expect(sts.spec.template.spec.containers[0].livenessProbe.httpGet).toEqual({ path: '/healthz?js-enabled-only=true', port: 'monitor' });
    const conf: string = get(defaults, 'ConfigMap', 'ticketcd-nats-config').data['nats.conf'];
    expect(conf).toContain('jetstream {');
    expect(conf.match(/nats:\/\/ticketcd-nats-\d\.ticketcd-nats-headless/g)).toHaveLength(3);
    expect(get(defaults, 'PodDisruptionBudget', 'ticketcd-nats').spec.minAvailable).toBe(2);
    expect(get(defaults, 'Service', 'ticketcd-nats').spec.ports).toEqual([
      { name: 'client', port: 4222, targetPort: 'client' },
      { name: 'metrics', port: 7777, targetPort: 'metrics' }, // the exporter (issue 29.5)
    ]);
    expect(get(defaults, 'ConfigMap', 'ticketcd-config').data).toMatchObject({
      NATS_URL: 'nats://ticketcd-nats:4222',
      NATS_STREAM_REPLICAS: '3',
    });
    expect(get(dev, 'StatefulSet', 'ticketcd-nats').spec.replicas).toBe(1);
    expect(get(dev, 'ConfigMap', 'ticketcd-nats-config').data['nats.conf']).not.toContain('cluster {');
    expect(get(dev, 'ConfigMap', 'ticketcd-config').data.NATS_STREAM_REPLICAS).toBe('1');
  });

  it('every service in SERVICE_NAMES is in the chart with Deployment, Service, ServiceAccount, HPA, PDB, NetworkPolicy and probes', () => {
    const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as Obj;
    expect(Object.keys(values.services).sort()).toEqual([...SERVICE_NAMES].sort());
    for (const s of SERVICE_NAMES) {
      const name = `ticketcd-${s}`;
      const port = s === 'gateway' ? 8080 : 3000;
      const dep = get(all, 'Deployment', name);
      const pod = dep.spec.template;
      expect(pod.metadata.labels['app.kubernetes.io/component']).toBe(s);
      expect(dep.spec.replicas).toBeUndefined(); // the HPA owns the count
      const hpa = get(all, 'HorizontalPodAutoscaler', name);
      expect(hpa.apiVersion).toBe('autoscaling/v2');
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
      expect(get(all, 'Service', name).spec.selector).toEqual(dep.spec.selector.matchLabels);
      expect(get(all, 'PodDisruptionBudget', name).spec.selector.matchLabels).toEqual(dep.spec.selector.matchLabels);
      expect(get(all, 'ServiceAccount', name).automountServiceAccountToken).toBe(s === 'gateway');
      expect(pod.spec.serviceAccountName).toBe(name);
      const selects = (np: Obj) => Object.entries(np.spec.podSelector.matchLabels ?? {}).every(([k, v]) => pod.metadata.labels[k] === v);
      const policies = all.filter((o) => o.kind === 'NetworkPolicy' && selects(o)).map((o) => o.metadata.name);
      expect(policies).toEqual(
        expect.arrayContaining(['ticketcd-default-deny', 'ticketcd-dns', 'ticketcd-etcd-clients', 'ticketcd-nats-clients', name]),
      );
      const c = pod.spec.containers[0];
      expect(c.ports).toEqual([{ name: 'http', containerPort: port }]);
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect(c.startupProbe.httpGet.path).toBe('/healthz');
      expect(c.lifecycle.preStop).toEqual({ sleep: { seconds: 5 } });
      expect(pod.spec.terminationGracePeriodSeconds).toBeGreaterThan(5 + 10); // pause + SHUTDOWN_GRACE_MS
      expect(c.resources.requests.cpu).toBeDefined();
      expect(pod.spec.topologySpreadConstraints.length).toBeGreaterThan(0);
      expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      expect(c.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1000,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(c.envFrom).toEqual([{ configMapRef: { name: 'ticketcd-config' } }, { configMapRef: { name: `${name}-env` } }]);
      expect(envOf(c, 'HTTP_PORT')?.value).toBe(String(port));
      expect(envOf(c, 'INSTANCE_ID')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
      expect(pod.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port) });
    }
    expect(get(defaults, 'Service', 'ticketcd-gateway').spec.ports[0]).toMatchObject({ port: 80, targetPort: 'http' });
  });

  it('replicas and autoscaling are per service: defaults fixed counts, prod autoscales gateway and orders only', () => {
    for (const s of SERVICE_NAMES) {
      expect(get(defaults, 'Deployment', `ticketcd-${s}`).spec.replicas).toBe(2);
      expect(find(defaults, 'HorizontalPodAutoscaler', `ticketcd-${s}`)).toBeUndefined();
      // values-dev.yaml hands every count to the admin page's scaler (issue 29.4): a new Deployment starts at 1.
      expect(get(dev, 'Deployment', `ticketcd-${s}`).spec.replicas).toBeUndefined();
    }
    expect(get(render([], ['services.orders.replicaCount=4']), 'Deployment', 'ticketcd-orders').spec.replicas).toBe(4);
    const hpas = prod.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((o) => o.metadata.name);
    expect(hpas.sort()).toEqual(['ticketcd-gateway', 'ticketcd-orders']);
    expect(get(prod, 'Deployment', 'ticketcd-orders').spec.replicas).toBeUndefined();
    expect(get(prod, 'Deployment', 'ticketcd-inventory').spec.replicas).toBe(3);
  });

  it('issue 29.4: replicas has one owner: absent when an HPA or the scaler (scaler.ownedServices) owns the count, present otherwise', () => {
    const replicas = (docs: Obj[]) =>
      Object.fromEntries(SERVICE_NAMES.map((s) => [s, get(docs, 'Deployment', `ticketcd-${s}`).spec.replicas]));
    const mixed = render(
      [],
      [...SCALER_ON, 'scaler.ownedServices[0]=inventory', 'scaler.ownedServices[1]=notifier', 'services.orders.autoscaling.enabled=true'],
    );
    expect(replicas(mixed)).toEqual({
      gateway: 2,
      catalog: 2,
      inventory: undefined, // the admin page's scaler
      orders: undefined, // its HorizontalPodAutoscaler
      'search-indexer': 2,
      notifier: undefined, // the admin page's scaler
    });
    // The key is absent, not null: a `replicas: null` would still be a field the chart applies.
    expect('replicas' in get(mixed, 'Deployment', 'ticketcd-inventory').spec).toBe(false);
    // The gateway refuses to scale the services whose count the chart keeps (SCALER_CHART_OWNED).
    const gatewayEnv = get(mixed, 'Deployment', 'ticketcd-gateway').spec.template.spec.containers[0];
    expect(envOf(gatewayEnv, 'SCALER_CHART_OWNED')?.value).toBe('catalog,gateway,search-indexer');
    // The scaler on alone takes no count from the chart; prod's two HPAs own theirs.
    expect(replicas(render([], SCALER_ON))).toEqual(Object.fromEntries(SERVICE_NAMES.map((s) => [s, 2])));
    expect(replicas(prod)).toMatchObject({ gateway: undefined, orders: undefined, inventory: 3 });
    const refusals: [string[], RegExp][] = [
      [['scaler.ownedServices[0]=inventory'], /scaler\.ownedServices needs scaler\.enabled/],
      [[...SCALER_ON, 'scaler.ownedServices[0]=billing'], /scaler\/ownedServices\/0.*(must be one of|value must be one of)/],
    ];
    for (const [sets, message] of refusals) {
      const r = helm(['template', RELEASE, chart, '-n', NS, ...sets.flatMap((x) => ['--set', x])]);
      expect([sets, r.status === 0 ? 'rendered' : 'failed']).toEqual([sets, 'failed']);
      expect(r.stderr).toMatch(message);
    }
  });

  it('issue 29.7: images by digest: `<repository>:<tag>@sha256:...` when set (services, tools), the tag alone otherwise; prod has the fields', () => {
    const digest = `sha256:${'0123456789abcdef'.repeat(4)}`;
    const docs = render(
      [],
      [`services.orders.image.digest=${digest}`, `tools.image.digest=${digest}`, 'image.registry=registry.example.com'],
    );
    const image = (kind: string, name: string) => get(docs, kind, name).spec.template.spec.containers[0].image;
    expect(image('Deployment', 'ticketcd-orders')).toBe(`registry.example.com/ticketcd/orders:0.1.0@${digest}`);
    expect(image('Deployment', 'ticketcd-catalog')).toBe('registry.example.com/ticketcd/catalog:0.1.0');
    expect(get(docs, 'Pod', 'ticketcd-test-gateway').spec.containers[0].image).toBe(`registry.example.com/ticketcd/tools:0.1.0@${digest}`);
    const prodValues = parse(readFileSync(join(chart, 'values-prod.yaml'), 'utf8')) as Obj;
    expect(
      Object.keys(prodValues.services)
        .filter((s) => 'digest' in prodValues.services[s].image)
        .sort(),
    ).toEqual([...SERVICE_NAMES].sort());
    expect('digest' in prodValues.tools.image).toBe(true);
    const bad = helm(['template', RELEASE, chart, '--set', 'services.orders.image.digest=sha256:abc']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/services\/orders\/image\/digest/);
  });

  it('issue 29.7: a Gateway API HTTPRoute beside the Ingress: parentRefs, hostnames, the gateway Service, timeouts; refused without parentRefs', () => {
    const route = get(all, 'HTTPRoute', 'ticketcd-gateway');
    expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route.spec).toEqual({
      parentRefs: [{ name: 'shared', namespace: 'gateway-system' }],
      hostnames: ['tickets.example.com'],
      rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'ticketcd-gateway', port: 80 }] }],
    });
    // backendRefs name the gateway Service and its port.
    expect(get(all, 'Service', 'ticketcd-gateway').spec.ports.map((p: Obj) => p.port)).toContain(80);
    expect(find(defaults, 'HTTPRoute', 'ticketcd-gateway')).toBeUndefined();
    const only = render(
      [],
      ['gateway.httpRoute.enabled=true', 'gateway.httpRoute.parentRefs[0].name=eg', 'gateway.httpRoute.timeouts.request=0s'],
    );
    expect(get(only, 'HTTPRoute', 'ticketcd-gateway').spec.rules[0].timeouts).toEqual({ request: '0s' });
    expect(get(only, 'HTTPRoute', 'ticketcd-gateway').spec.hostnames).toBeUndefined();
    // The Gateway's proxy is a hop in front of the gateway, as the ingress is.
    expect(envOf(get(only, 'Deployment', 'ticketcd-gateway').spec.template.spec.containers[0], 'TRUST_PROXY_HOPS')?.value).toBe('1');
    const r = helm(['template', RELEASE, chart, '--set', 'gateway.httpRoute.enabled=true']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/gateway\.httpRoute\.enabled needs gateway\.httpRoute\.parentRefs/);
  });

  it('the gateway gets the env of the contract (admin Secret, quota, scaler, trust proxy)', () => {
    const c = get(prodScaler, 'Deployment', 'ticketcd-gateway').spec.template.spec.containers[0];
    expect(envOf(c, 'ADMIN_USERNAME')?.valueFrom).toEqual({ secretKeyRef: { name: 'ticketcd-admin', key: 'username' } });
    expect(envOf(c, 'ADMIN_PASSWORD')?.valueFrom).toEqual({ secretKeyRef: { name: 'ticketcd-admin', key: 'password' } });
    expect(envOf(c, 'ETCD_QUOTA_BYTES')?.value).toBe('2147483648');
    // Issue 26.1: a hop count matching the ingress, never "trust every X-Forwarded-For entry".
    expect(envOf(c, 'TRUST_PROXY_HOPS')?.value).toBe('1');
    expect(envOf(c, 'TRUST_PROXY')).toBeUndefined();
    const behindLb = get(render([], ['ingress.enabled=true', 'ingress.trustedProxyHops=2']), 'Deployment', 'ticketcd-gateway');
    expect(envOf(behindLb.spec.template.spec.containers[0], 'TRUST_PROXY_HOPS')?.value).toBe('2');
    expect(envOf(c, 'SCALER')?.value).toBe('kubernetes');
    expect(envOf(c, 'SCALER_NAMESPACE')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });
    expect(envOf(c, 'SCALER_DEPLOYMENT_PREFIX')?.value).toBe('ticketcd-');
    expect(envOf(c, 'SCALER_AUTOSCALED')?.value).toBe('gateway,orders');
    expect(envOf(c, 'SCALER_HPA_RANGES')?.value).toBe('gateway=3-20,orders=3-20');
    // Issue 29.4: the services whose `replicas` the chart renders; the scaler refuses them (one owner).
    expect(envOf(c, 'SCALER_CHART_OWNED')?.value).toBe('catalog,inventory,notifier,search-indexer');
    // Off by default since issue 29.6 (it needs the API server's address).
    const noScaler = get(defaults, 'Deployment', 'ticketcd-gateway').spec.template.spec;
    expect(envOf(get(prod, 'Deployment', 'ticketcd-gateway').spec.template.spec.containers[0], 'SCALER')?.value).toBe('none');
    expect(envOf(noScaler.containers[0], 'SCALER')?.value).toBe('none');
    expect(noScaler.automountServiceAccountToken).toBe(false);
    expect(envOf(get(defaults, 'Deployment', 'ticketcd-gateway').spec.template.spec.containers[0], 'TRUST_PROXY_HOPS')?.value).toBe('0');
    expect(envOf(get(defaults, 'Deployment', 'ticketcd-orders').spec.template.spec.containers[0], 'SCALER')).toBeUndefined();
  });

  it.each([['defaults'], ['dev'], ['prod'], ['everything on']])(
    '%s: no container runs as root (restricted: no escalation, no capabilities, seccomp, read-only root); every image has a pinned tag',
    (name) => {
      const docs = { defaults, dev, prod, 'everything on': all }[name]!;
      const pods = podSpecs(docs);
      expect(pods.length).toBeGreaterThan(8);
      const problems: string[] = [];
      for (const { where, spec } of pods) {
        for (const c of containersOf(spec)) {
          const sc = { ...spec.securityContext, ...c.securityContext };
          if (!(sc.runAsNonRoot === true || sc.runAsUser > 0) || sc.runAsUser === 0) problems.push(`${where}/${c.name}: may run as root`);
          if (c.securityContext?.allowPrivilegeEscalation !== false)
            problems.push(`${where}/${c.name}: allowPrivilegeEscalation not false`);
          if (!c.securityContext?.capabilities?.drop?.includes('ALL')) problems.push(`${where}/${c.name}: capabilities not dropped`);
          if ((c.securityContext?.seccompProfile ?? spec.securityContext?.seccompProfile)?.type !== 'RuntimeDefault')
            problems.push(`${where}/${c.name}: no RuntimeDefault seccomp profile`);
          if (c.securityContext?.readOnlyRootFilesystem !== true) problems.push(`${where}/${c.name}: root filesystem writable`);
          if (spec.enableServiceLinks !== false) problems.push(`${where}: service links inject env`);
          const tag = /^[^@]+:([^:/@]+)$/.exec(c.image)?.[1];
          if (!tag || tag === 'latest') problems.push(`${where}/${c.name}: image ${c.image} has no pinned tag`);
        }
      }
      expect(problems).toEqual([]);
    },
  );

  it('deploys the etcd and nats-server versions the tests run on (scripts/ensure-deps.sh pins and checks them)', () => {
    const deps = readFileSync(join(root, 'scripts/ensure-deps.sh'), 'utf8');
    const pinned = (name: string) => new RegExp(`^${name}=([0-9.]+)$`, 'm').exec(deps)?.[1];
    const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as Obj;
    expect(pinned('ETCD_VERSION')).toBe('3.5.16');
    expect(values.etcd.image.tag).toBe(`v${pinned('ETCD_VERSION')}`);
    expect(values.nats.image.tag).toBe(`${pinned('NATS_VERSION')}-alpine`);
  });

  // The binaries the tests run locally (etcd 3.5, nats-server 2.10) check what the chart passes to them.
  const onPath = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
  const withBinaries = onPath('etcd') && onPath('etcdctl') && onPath('nats-server') ? it : it.skip;

  withBinaries('etcd and etcdctl know every flag the chart passes; nats-server accepts the rendered nats.conf', () => {
    const flags = (help: string) => new Set([...help.matchAll(/^\s+(--[a-z0-9-]+)/gm)].map((m) => m[1]));
    const etcdFlags = flags(
      spawnSync('etcd', ['--help'], { encoding: 'utf8' }).stdout + spawnSync('etcd', ['--help'], { encoding: 'utf8' }).stderr,
    );
    const ctlHelp = (...cmd: string[]) => flags(spawnSync('etcdctl', [...cmd, '--help'], { encoding: 'utf8' }).stdout);
    const ctlFlags = new Set([...ctlHelp(), ...ctlHelp('snapshot', 'save'), ...ctlHelp('defrag')]);
    expect(etcdFlags.size).toBeGreaterThan(40);
    // The one flag the etcd container gets (issue 28.1); the help lists it in its usage line.
    if (/^\s+etcd --config-file/m.test(spawnSync('etcd', ['--help'], { encoding: 'utf8' }).stderr)) etcdFlags.add('--config-file');
    expect(ctlFlags).toContain('--password');
    const unknown: string[] = [];
    for (const docs of [all, prod, dev]) {
      const etcdArgs: string[] = get(docs, 'StatefulSet', 'ticketcd-etcd').spec.template.spec.containers[0].args;
      for (const a of etcdArgs) if (!etcdFlags.has(a.split('=')[0]!)) unknown.push(`etcd ${a}`);
      // Issue 28.1: the config file's keys are etcd's flag names (client TLS nests them under one key).
      // Peer TLS (issue 29.3) nests its --peer-* flags the same way.
      const { 'client-transport-security': clientTls, 'peer-transport-security': peerTls, ...config } = etcdConfig(docs);
      expect(peerTls).toBeDefined();
      for (const k of [...Object.keys(config), ...Object.keys(clientTls ?? {})])
        if (!etcdFlags.has(`--${k}`)) unknown.push(`etcd config ${k}`);
      for (const k of Object.keys(peerTls ?? {}))
        if (!etcdFlags.has(`--peer-${k}`)) unknown.push(`etcd config peer-transport-security.${k}`);
      // Every container that runs etcdctl (the backup and defrag Jobs run programs of the tools image since issue 28).
      const ctlArgs: string[] = podSpecs(docs)
        .flatMap(({ spec }) => [...spec.containers, ...(spec.initContainers ?? [])])
        .filter((c: Obj) => String(c.command?.[0] ?? '').endsWith('etcdctl'))
        .flatMap((c: Obj) => c.args ?? []);
      for (const a of ctlArgs.filter((x) => x.startsWith('--'))) if (!ctlFlags.has(a.split('=')[0]!)) unknown.push(`etcdctl ${a}`);
    }
    expect(unknown).toEqual([]);
    const tmp = mkdtempSync(join(tmpdir(), 'chart-nats-'));
    try {
      for (const docs of [defaults, dev]) {
        const conf = join(tmp, 'nats.conf');
        writeFileSync(conf, get(docs, 'ConfigMap', 'ticketcd-nats-config').data['nats.conf'].replace('/data/jetstream', join(tmp, 'js')));
        const r = spawnSync('nats-server', ['-t', '-c', conf], {
          encoding: 'utf8',
          env: { ...process.env, SERVER_NAME: 'ticketcd-nats-0' },
        });
        expect(`${r.stdout}${r.stderr}`).toContain('is valid');
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('images: <registry>/<prefix><service>:<appVersion>, overridable per service and for the tools image', () => {
    const image = (docs: Obj[], s: string) => get(docs, 'Deployment', `ticketcd-${s}`).spec.template.spec.containers[0].image;
    expect(image(defaults, 'search-indexer')).toBe('ticketcd/search-indexer:0.1.0');
    const r = render(
      [],
      [
        'image.registry=reg.example:5000',
        'image.tag=1.2.3',
        'services.orders.image.repository=other/orders',
        'services.catalog.image.tag=v9',
        'tools.image.repository=t/tools',
      ],
    );
    expect(image(r, 'gateway')).toBe('reg.example:5000/ticketcd/gateway:1.2.3');
    expect(image(r, 'orders')).toBe('other/orders:1.2.3');
    expect(image(r, 'catalog')).toBe('reg.example:5000/ticketcd/catalog:v9');
    expect(authJob(r).spec.template.spec.containers[0].image).toBe('t/tools:1.2.3');
  });

  it('the schema rejects a wrong type, an unknown key, an even etcd member count and a `latest` tag', () => {
    const attempt = (set: string) => helm(['template', RELEASE, chart, '--set', set]);
    const cases: [string, RegExp][] = [
      ['services.orders.replicaCount=two', /services\/orders\/replicaCount.*got string, want integer/],
      ['services.orders.replicas=2', /services\/orders.*additional properties 'replicas' not allowed/],
      ['etcd.replicaCount=4', /etcd\/replicaCount.*value must be one of 1, 3, 5, 7, 9/],
      ['etcd.image.tag=latest', /etcd\/image\/tag/],
      ['nats.replicaCount=2', /nats\/replicaCount/],
      ['bogus=1', /additional properties 'bogus' not allowed/],
    ];
    for (const [set, message] of cases) {
      const r = attempt(set);
      expect([set, r.status === 0 ? 'rendered' : 'failed']).toEqual([set, 'failed']);
      expect(r.stderr).toMatch(message);
    }
    const lint = helm(['lint', '--strict', chart, '--set', 'etcd.replicaCount=4']);
    expect(lint.status).not.toBe(0);
    expect(`${lint.stdout}${lint.stderr}`).toMatch(/etcd\/replicaCount/);
  });

  it('gateway RBAC is exactly the contract: pods get/list, deployments/scale get/patch on the six Deployments', () => {
    const roles = all.filter((o) => ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'].includes(o.kind));
    // ticketcd-etcd: issue 28.1, get on the etcd StatefulSet (tested above); ticketcd-etcd-secrets: issue 29.2 (below).
    expect(roles.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'Role/ticketcd-etcd',
      'Role/ticketcd-etcd-secrets',
      'Role/ticketcd-gateway',
      'RoleBinding/ticketcd-etcd',
      'RoleBinding/ticketcd-etcd-secrets',
      'RoleBinding/ticketcd-gateway',
    ]);
    expect(get(all, 'Role', 'ticketcd-gateway').rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
      {
        apiGroups: ['apps'],
        resources: ['deployments/scale'],
        resourceNames: [...SERVICE_NAMES].sort().map((s) => `ticketcd-${s}`),
        verbs: ['get', 'patch'],
      },
    ]);
    const binding = get(all, 'RoleBinding', 'ticketcd-gateway');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ticketcd-gateway' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'ticketcd-gateway', namespace: NS }]);
    const off = render([], ['scaler.enabled=false']);
    expect(off.filter((o) => /Role/.test(o.kind) && !['ticketcd-etcd', 'ticketcd-etcd-secrets'].includes(o.metadata.name))).toEqual([]);
  });

  it('NetworkPolicies: default deny for every pod of the release; only the gateway is reachable from the ingress controller', () => {
    const nps = all.filter((o) => o.kind === 'NetworkPolicy');
    const deny = get(all, 'NetworkPolicy', 'ticketcd-default-deny');
    expect(deny.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ticketcd', 'app.kubernetes.io/instance': RELEASE } },
      policyTypes: ['Ingress', 'Egress'],
    });
    // Every pod of the release is selected by the default deny.
    for (const { where, spec } of podSpecs(all)) expect([where, spec]).toBeDefined();
    for (const o of all.filter((x) => ['Deployment', 'StatefulSet', 'Job', 'CronJob', 'Pod'].includes(x.kind))) {
      const labels =
        o.kind === 'Pod'
          ? o.metadata.labels
          : o.kind === 'CronJob'
            ? o.spec.jobTemplate.spec.template.metadata.labels
            : o.spec.template.metadata.labels;
      expect([o.metadata.name, labels['app.kubernetes.io/instance'], labels['app.kubernetes.io/name']]).toEqual([
        o.metadata.name,
        RELEASE,
        'ticketcd',
      ]);
    }
    const fromNamespaces = nps.filter((np) =>
      (np.spec.ingress ?? []).some((rule: Obj) =>
        (rule.from ?? []).some((f: Obj) => f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'ingress-nginx'),
      ),
    );
    expect(fromNamespaces.map((np) => np.metadata.name)).toEqual(['ticketcd-gateway']);
    expect(fromNamespaces[0]!.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 8080 }]);
    // No rule allows everything: every ingress/egress rule names its peers and ports. The one
    // exception is DNS (issue 29.6): port 53 to any destination by default (tested below).
    for (const np of nps.filter((p) => p.metadata.name !== 'ticketcd-dns')) {
      for (const rule of [...(np.spec.ingress ?? []), ...(np.spec.egress ?? [])]) {
        expect([np.metadata.name, (rule.from ?? rule.to ?? []).length > 0, (rule.ports ?? []).length > 0]).toEqual([
          np.metadata.name,
          true,
          true,
        ]);
      }
    }
    const etcd = get(all, 'NetworkPolicy', 'ticketcd-etcd');
    expect(etcd.spec.ingress.map((r: Obj) => r.ports[0].port)).toEqual([2379, 2380, 2381]);
    expect(get(all, 'NetworkPolicy', 'ticketcd-etcd-clients').spec.egress[0].ports).toEqual([{ protocol: 'TCP', port: 2379 }]);
    expect(get(all, 'NetworkPolicy', 'ticketcd-nats-clients').spec.egress[0].ports).toEqual([{ protocol: 'TCP', port: 4222 }]);
    expect(get(all, 'NetworkPolicy', 'ticketcd-nats').spec.ingress.map((r: Obj) => r.ports[0].port)).toEqual([4222, 6222, 7777]);
    // The hook Job and the backup/defrag Jobs are etcd clients.
    const clientLabel = (labels: Obj) => labels['ticketcd.io/etcd-client'] === 'true';
    expect(clientLabel(authJob(all).spec.template.metadata.labels)).toBe(true);
    expect(clientLabel(get(all, 'CronJob', 'ticketcd-etcd-backup').spec.jobTemplate.spec.template.metadata.labels)).toBe(true);
    expect(clientLabel(get(all, 'CronJob', 'ticketcd-etcd-defrag').spec.jobTemplate.spec.template.metadata.labels)).toBe(true);
    // Only the gateway (scaler) has egress beyond etcd/NATS/DNS: the Kubernetes API.
    expect(get(all, 'NetworkPolicy', 'ticketcd-gateway').spec.egress[0].ports.map((p: Obj) => p.port)).toEqual([443, 6443]);
    expect(get(all, 'NetworkPolicy', 'ticketcd-orders').spec.policyTypes).toEqual(['Ingress']);
    expect(render([], ['networkPolicy.enabled=false']).filter((o) => o.kind === 'NetworkPolicy')).toEqual([]);
  });

  it('ingress keeps SSE flowing (buffering off, 1 h timeouts); NOTES, helm test pod and ServiceMonitors', () => {
    const ingress = get(prod, 'Ingress', 'ticketcd-gateway');
    expect(ingress.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
    });
    expect(ingress.spec.tls).toEqual([{ secretName: 'ticketcd-ingress-tls', hosts: ['tickets.example.com'] }]);
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'ticketcd-gateway', port: { name: 'http' } });
    expect(find(defaults, 'Ingress', 'ticketcd-gateway')).toBeUndefined();
    const test = get(defaults, 'Pod', 'ticketcd-test-gateway');
    expect(test.metadata.annotations['helm.sh/hook']).toBe('test');
    expect(test.spec.containers[0].image).toBe('ticketcd/tools:0.1.0');
    expect(test.spec.containers[0].command).toEqual(['node', '-e']);
    expect(test.spec.containers[0].args[0]).toContain("'http://ticketcd-gateway/readyz'");
    expect(test.spec.containers[0].args[0]).toContain('r.status === 200 ? 0 : 1');
    expect(
      prod
        .filter((o) => o.kind === 'ServiceMonitor')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['ticketcd', 'ticketcd-etcd', 'ticketcd-nats']); // nats: its exporter (issue 29.5)
    expect(defaults.filter((o) => o.kind === 'ServiceMonitor')).toEqual([]);
    const notes = helm(['install', RELEASE, chart, '-n', NS, '--dry-run=client', '-f', join(chart, 'values-prod.yaml')]);
    expect(notes.status).toBe(0);
    expect(notes.stdout).toContain('https://tickets.example.com/');
    expect(notes.stdout).toContain('get secret ticketcd-admin');
    expect(notes.stdout).toContain('scale deployment/ticketcd-orders');
  });

  it('the rendered YAML is clean: no whitespace-only lines (k8s/ is rendered from it), pull secrets where set', () => {
    for (const file of ['values.yaml', 'values-dev.yaml', 'values-prod.yaml']) {
      const r = helm([
        'template',
        RELEASE,
        chart,
        '-f',
        join(chart, file),
        '--set',
        'etcd.defrag.enabled=true,image.pullSecrets[0]=regcred',
      ]);
      expect(r.status).toBe(0);
      expect([file, r.stdout.split('\n').filter((l) => /^[ \t]+$/.test(l)).length]).toEqual([file, 0]);
      const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj | null);
      for (const { where, spec } of podSpecs(docs.filter((o): o is Obj => o !== null)))
        expect([where, spec.imagePullSecrets]).toEqual([where, [{ name: 'regcred' }]]);
    }
  });

  it('the README values table is current, and the check fails when values.yaml changes or a value lacks @param', () => {
    const generator = join(chart, 'tools/readme-values.mjs');
    const run = (dir: string) => spawnSync(process.execPath, [generator, '--check', dir], { encoding: 'utf8' });
    const current = run(chart);
    expect(current.stderr).toBe('');
    expect(current.status).toBe(0);
    const tmp = mkdtempSync(join(tmpdir(), 'chart-readme-'));
    try {
      cpSync(join(chart, 'values.yaml'), join(tmp, 'values.yaml'));
      cpSync(join(chart, 'README.md'), join(tmp, 'README.md'));
      const values = readFileSync(join(tmp, 'values.yaml'), 'utf8');
      writeFileSync(join(tmp, 'values.yaml'), values.replace('maxTxnOps: 128', 'maxTxnOps: 256'));
      const stale = run(tmp);
      expect(stale.status).toBe(1);
      expect(stale.stderr).toContain('the values table is stale');
      writeFileSync(join(tmp, 'values.yaml'), `${values}\nundocumented: 1\n`);
      const missing = run(tmp);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toContain('undocumented has no ## @param line');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

/**
 * The NetworkPolicies evaluated, not just listed: every (source, destination, port) of a model of the
 * cluster (the release's pods from the render, plus the ingress controller, Prometheus, cluster DNS,
 * the API server and the internet) is allowed or not by the rendered policies, with Kubernetes'
 * semantics (a pod selected by no policy of a direction is open in that direction; otherwise some
 * rule must match). The allowed set must be exactly the flows TickETCD needs.
 */
describe('helm/ticketcd NetworkPolicies, evaluated', () => {
  type Port = { port: number; protocol: string };
  type Peer = { name: string; ns: string | null; labels: Record<string, string>; ip?: string; ports: Port[] };
  const nsLabels: Record<string, Record<string, string>> = Object.fromEntries(
    [NS, 'ingress-nginx', 'monitoring', 'kube-system', 'other'].map((n) => [n, { 'kubernetes.io/metadata.name': n }]),
  );
  const tcp = (...ports: number[]): Port[] => ports.map((port) => ({ port, protocol: 'TCP' }));
  const API_SERVER = '172.18.0.2';
  const S3_STORE = '10.20.30.40';
  const external: Peer[] = [
    { name: 'ingress-controller', ns: 'ingress-nginx', labels: { app: 'ingress-nginx' }, ports: tcp(443) },
    { name: 'prometheus', ns: 'monitoring', labels: { app: 'prometheus' }, ports: tcp(9090) },
    { name: 'kube-dns', ns: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, ports: [...tcp(53), { port: 53, protocol: 'UDP' }] },
    { name: 'other-pod', ns: 'other', labels: { app: 'x' }, ports: tcp(80) },
    { name: 'api-server', ns: null, labels: {}, ip: API_SERVER, ports: tcp(443, 6443) },
    { name: 'internet', ns: null, labels: {}, ip: '93.184.216.34', ports: tcp(443) },
    { name: 's3-store', ns: null, labels: {}, ip: S3_STORE, ports: tcp(443) },
  ];
  const BACKUP = ['etcd.backup.enabled=true', 'etcd.backup.s3.bucket=b', 'etcd.backup.s3.existingSecret=s'];

  const matches = (selector: Record<string, string> | undefined, labels: Record<string, string>) =>
    Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
  const inCidr = (ip: string, cidr: string) => {
    const [base, bits] = cidr.split('/');
    const n = (a: string) => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    const size = 2 ** (32 - Number(bits));
    return Math.floor(n(ip) / size) === Math.floor(n(base!) / size);
  };
  const peerMatches = (p: Obj, who: Peer) => {
    if (p.ipBlock) return who.ip !== undefined && inCidr(who.ip, p.ipBlock.cidr);
    if (who.ns === null) return false;
    if (p.namespaceSelector)
      return matches(p.namespaceSelector.matchLabels, nsLabels[who.ns]!) && matches(p.podSelector?.matchLabels, who.labels);
    return who.ns === NS && matches(p.podSelector?.matchLabels, who.labels);
  };
  const portMatches = (ports: Obj[] | undefined, port: Port) =>
    !ports || ports.length === 0 || ports.some((p) => p.port === port.port && (p.protocol ?? 'TCP') === port.protocol);
  const allowedBy = (policies: Obj[], self: Peer, other: Peer, port: Port, direction: 'Ingress' | 'Egress') => {
    if (self.ns !== NS) return true; // the release's policies only bind its own namespace
    const selecting = policies.filter(
      (np) => np.spec.policyTypes.includes(direction) && matches(np.spec.podSelector.matchLabels, self.labels),
    );
    if (selecting.length === 0) return true;
    return selecting.some((np) =>
      (np.spec[direction === 'Ingress' ? 'ingress' : 'egress'] ?? []).some(
        (rule: Obj) =>
          (rule[direction === 'Ingress' ? 'from' : 'to'] ?? [null]).some((p: Obj | null) => p === null || peerMatches(p, other)) &&
          portMatches(rule.ports, port),
      ),
    );
  };

  function flows(docs: Obj[]): string[] {
    const policies = docs.filter((o) => o.kind === 'NetworkPolicy');
    const own: Peer[] = docs.flatMap((o) => {
      const template =
        o.kind === 'Pod'
          ? o
          : o.kind === 'CronJob'
            ? o.spec.jobTemplate.spec.template
            : ['Deployment', 'StatefulSet', 'Job'].includes(o.kind)
              ? o.spec.template
              : null;
      if (!template) return [];
      const ports = (template.spec.containers as Obj[]).flatMap((c) =>
        (c.ports ?? []).map((p: Obj) => ({ port: p.containerPort, protocol: p.protocol ?? 'TCP' })),
      );
      return [
        {
          name: template.metadata?.labels?.['app.kubernetes.io/component'] ?? o.metadata.name,
          ns: NS,
          labels: template.metadata?.labels ?? {},
          ports,
        },
      ];
    });
    const everyone = [...own, ...external];
    const allowed = new Set<string>();
    for (const src of everyone)
      for (const dst of everyone)
        for (const port of dst.ports)
          if (src !== dst || src.name === 'etcd' || src.name === 'nats')
            if (
              (src.ns === NS || dst.ns === NS) &&
              allowedBy(policies, src, dst, port, 'Egress') &&
              allowedBy(policies, dst, src, port, 'Ingress')
            )
              allowed.add(`${src.name} -> ${dst.name}:${port.port}${port.protocol === 'UDP' ? '/udp' : ''}`);
    return [...allowed].sort();
  }

  const dns = (who: string) => [`${who} -> kube-dns:53`, `${who} -> kube-dns:53/udp`];
  const clients = ['gateway', ...SERVICE_NAMES.filter((s) => s !== 'gateway')];
  const expected = [
    ...clients.flatMap((s) => [`${s} -> etcd:2379`, `${s} -> nats:4222`, ...dns(s)]),
    ...['etcd-auth', 'etcd-backup', 'etcd-defrag'].flatMap((j) => [`${j} -> etcd:2379`, ...dns(j)]),
    // Issue 29.2: the auth Job's ensure-secrets creates the absent Secrets through the API.
    'etcd-auth -> api-server:443',
    'etcd-auth -> api-server:6443',
    'etcd -> etcd:2380',
    // Issue 28.1: the membership program in each etcd pod: the other members' client port, the API (spec.replicas).
    'etcd -> etcd:2379',
    'etcd -> api-server:443',
    'etcd -> api-server:6443',
    ...dns('etcd'),
    'nats -> nats:6222',
    ...dns('nats'),
    'gateway -> api-server:443',
    'gateway -> api-server:6443',
    'etcd-backup -> s3-store:443',
    'ingress-controller -> gateway:8080',
    'test -> gateway:8080',
    ...dns('test'),
    'prometheus -> etcd:2381',
    // Issue 29.5: the NATS exporter sidecar.
    'prometheus -> nats:7777',
    ...SERVICE_NAMES.map((s) => `prometheus -> ${s}:${s === 'gateway' ? 8080 : 3000}`),
  ].sort();

  it('allows exactly the flows TickETCD needs (API server narrowed to its address)', () => {
    const docs = render(
      [],
      [
        'scaler.enabled=true',
        'etcd.defrag.enabled=true',
        ...BACKUP,
        `networkPolicy.kubeApi.cidrs[0]=${API_SERVER}/32`,
        `networkPolicy.backupStore.cidrs[0]=${S3_STORE}/32`,
      ],
    );
    expect(flows(docs)).toEqual(expected);
  });

  it('the model is not vacuous: without policies everything is open; each policy opens its flow only', () => {
    const docs = render(
      [],
      [
        'etcd.defrag.enabled=true',
        ...BACKUP,
        `networkPolicy.kubeApi.cidrs[0]=${API_SERVER}/32`,
        `networkPolicy.backupStore.cidrs[0]=${S3_STORE}/32`,
      ],
    );
    expect(flows(docs.filter((o) => o.kind !== 'NetworkPolicy'))).toEqual(
      expect.arrayContaining([
        'orders -> inventory:3000',
        'other-pod -> inventory:3000',
        'catalog -> internet:443',
        'ingress-controller -> etcd:2379',
      ]),
    );
    const noDns = flows(docs.filter((o) => o.metadata.name !== 'ticketcd-dns'));
    expect(noDns.filter((f) => f.includes('kube-dns'))).toEqual([]);
    const otherIngress = flows(render([], ['networkPolicy.ingressController.namespaceSelector.kubernetes\\.io/metadata\\.name=other']));
    expect(otherIngress).not.toContain('ingress-controller -> gateway:8080');
    expect(otherIngress).toContain('other-pod -> gateway:8080');
  });

  it('default values: no scaler, so the gateway has no API egress; the etcd pods reach any address on the API ports until kubeApi.cidrs is set', () => {
    const open = flows(render([], ['etcd.defrag.enabled=true']));
    // (no backup Job in this render)
    const needed = expected.filter((f) => !f.startsWith('gateway -> api-server') && !f.startsWith('etcd-backup '));
    expect(open.filter((f) => !needed.includes(f))).toEqual([
      'etcd -> internet:443',
      'etcd -> s3-store:443',
      'etcd-auth -> internet:443',
      'etcd-auth -> s3-store:443',
    ]);
    expect(needed.filter((f) => !open.includes(f))).toEqual([]);
    // Likewise the backup Job reaches any address on the store's ports until backupStore.cidrs is narrowed.
    const backup = flows(render([], ['etcd.defrag.enabled=true', ...BACKUP, `networkPolicy.kubeApi.cidrs[0]=${API_SERVER}/32`]));
    expect(backup.filter((f) => !expected.includes(f))).toEqual(['etcd-backup -> api-server:443', 'etcd-backup -> internet:443']);
  });

  it('issue 29.6: the scaler requires networkPolicy.kubeApi.cidrs (the render fails naming it); with it the gateway reaches the API server only', () => {
    const r = helm(['template', RELEASE, chart, '-n', NS, '--set', 'scaler.enabled=true']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(
      /scaler\.enabled with NetworkPolicies needs networkPolicy\.kubeApi\.cidrs: the Kubernetes API server's addresses/,
    );
    const narrowed = flows(render([], ['scaler.enabled=true', `networkPolicy.kubeApi.cidrs[0]=${API_SERVER}/32`]));
    expect(narrowed.filter((f) => f.startsWith('gateway -> ') && !f.includes('kube-dns'))).toEqual([
      'gateway -> api-server:443',
      'gateway -> api-server:6443',
      'gateway -> etcd:2379',
      'gateway -> nats:4222',
    ]);
    // Without NetworkPolicies there is no egress to narrow: the scaler renders without a CIDR.
    expect(() => render([], ['scaler.enabled=true', 'networkPolicy.enabled=false'])).not.toThrow();
  });

  it('issue 29.6: DNS on port 53 (UDP and TCP) to any destination by default (NodeLocal DNSCache, OpenShift), or exactly networkPolicy.dns.to', () => {
    const port53 = [
      { port: 53, protocol: 'UDP' },
      { port: 53, protocol: 'TCP' },
    ];
    // Where DNS answers outside kube-system's kube-dns pods.
    const resolvers: Peer[] = [
      { name: 'kube-dns', ns: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, ports: port53 },
      { name: 'node-local-dns', ns: null, labels: {}, ip: '169.254.20.10', ports: port53 },
      { name: 'openshift-dns', ns: 'other', labels: { 'dns.operator.openshift.io/daemonset-dns': 'default' }, ports: port53 },
    ];
    const reachable = (docs: Obj[]) => {
      const policies = docs.filter((o) => o.kind === 'NetworkPolicy');
      const orders = get(docs, 'Deployment', 'ticketcd-orders').spec.template.metadata.labels as Record<string, string>;
      const self: Peer = { name: 'orders', ns: NS, labels: orders, ports: [] };
      return resolvers.flatMap((r) =>
        r.ports.filter((p) => allowedBy(policies, self, r, p, 'Egress')).map((p) => `${r.name}:53/${p.protocol.toLowerCase()}`),
      );
    };
    expect(reachable(defaults)).toEqual([
      'kube-dns:53/udp',
      'kube-dns:53/tcp',
      'node-local-dns:53/udp',
      'node-local-dns:53/tcp',
      'openshift-dns:53/udp',
      'openshift-dns:53/tcp',
    ]);
    // Port 53 only: the same pods reach nothing else outside the release.
    expect(flows(defaults).filter((f) => /-> (internet|other-pod)/.test(f) && !/^etcd(-auth)? -> /.test(f))).toEqual([]);
    const narrowed = render(
      [],
      [
        'networkPolicy.dns.to[0].ipBlock.cidr=169.254.20.10/32',
        'networkPolicy.dns.to[1].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=kube-system',
      ],
    );
    expect(get(narrowed, 'NetworkPolicy', 'ticketcd-dns').spec.egress).toEqual([
      {
        ports: port53,
        to: [
          { ipBlock: { cidr: '169.254.20.10/32' } },
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } },
        ],
      },
    ]);
    expect(reachable(narrowed)).toEqual(['kube-dns:53/udp', 'kube-dns:53/tcp', 'node-local-dns:53/udp', 'node-local-dns:53/tcp']);
  });
});

// The chart and the code meet only through environment variables: a typo there (SCALER_HPA_RANGE)
// or a value the code refuses would pass every render check and fail in the cluster.
describe('helm/ticketcd: the environment each service gets is one its config reads and accepts', () => {
  // Each service's own config schema (not a copy): the one place that says what it reads.
  /* eslint-disable @nx/enforce-module-boundaries */
  const schemas = async (): Promise<Record<string, z.ZodObject>> => ({
    gateway: (await import('../../services/gateway/src/gateway.config.js')).gatewayConfig,
    catalog: baseServiceConfig,
    inventory: (await import('../../services/inventory/src/inventory.config.js')).inventoryConfig,
    orders: baseServiceConfig,
    'search-indexer': (await import('../../services/search-indexer/src/search.config.js')).searchConfig,
    notifier: (await import('../../services/notifier/src/notifier.config.js')).notifierConfig,
  });
  /* eslint-enable @nx/enforce-module-boundaries */

  /** The container's environment as the kubelet builds it; Secrets and the downward API as placeholders. */
  function environment(docs: Obj[], service: string): Record<string, string> {
    const c = get(docs, 'Deployment', `${RELEASE}-${service}`).spec.template.spec.containers[0];
    const env: Record<string, string> = {};
    for (const from of c.envFrom ?? []) Object.assign(env, get(docs, 'ConfigMap', from.configMapRef.name).data);
    for (const e of c.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.valueFrom?.secretKeyRef) env[e.name] = 'from-a-secret';
      else if (e.valueFrom?.fieldRef) env[e.name] = e.valueFrom.fieldRef.fieldPath === 'metadata.namespace' ? NS : `${service}-7d9f-abcde`;
      else throw new Error(`${service}: env ${e.name} has neither value nor a source this test knows`);
    }
    return env;
  }

  it.each([['defaults'], ['dev']])('%s: every variable is known to the service and the whole set parses', async (name) => {
    const docs = { defaults, dev }[name]!;
    const bySchema = await schemas();
    expect(Object.keys(bySchema).sort()).toEqual([...SERVICE_NAMES].sort());
    for (const service of SERVICE_NAMES) {
      const schema = bySchema[service]!;
      const env = environment(docs, service);
      expect({ service, unknown: Object.keys(env).filter((k) => !(k in schema.shape)) }).toEqual({ service, unknown: [] });
      expect(() => loadConfig(schema, env)).not.toThrow();
    }
  });

  it('prod (TLS files, autoscaled services): the scaler settings parse and name the HPA-managed services', async () => {
    const gateway = (await schemas()).gateway!;
    const env = environment(prodScaler, 'gateway');
    const { ETCD_TLS_CA_FILE: _ca, ETCD_TLS_CERT_FILE: _cert, ETCD_TLS_KEY_FILE: _key, ...rest } = env;
    expect(_ca).toBeDefined(); // the files only exist in the pod: parse the rest
    const config = loadConfig(gateway, { ...rest, ETCD_ENDPOINTS: rest.ETCD_ENDPOINTS!.replaceAll('https:', 'http:') }) as Obj;
    expect(config.SCALER).toBe('kubernetes');
    expect([...config.SCALER_AUTOSCALED].sort()).toEqual(['gateway', 'orders']);
    expect(config.SCALER_HPA_RANGES.get('orders')).toEqual(expect.objectContaining({ min: expect.any(Number), max: expect.any(Number) }));
  });

  it('the check can fail: a misspelt variable is reported', async () => {
    const docs = structuredClone(defaults);
    get(docs, 'Deployment', `${RELEASE}-gateway`).spec.template.spec.containers[0].env.push({ name: 'SCALER_HPA_RANGE', value: '' });
    const { shape } = (await schemas()).gateway!;
    expect(Object.keys(environment(docs, 'gateway')).filter((k) => !(k in shape))).toEqual(['SCALER_HPA_RANGE']);
  });
});

// ---- issue 28 points 2 and 3: etcd probes, placement and resources -------------------------------

/** A Kubernetes quantity in bytes (memory): 512Mi, 2Gi, 2G, 2147483648, 1.5Gi. */
function quantityBytes(q: string | number): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.exec(String(q));
  if (!m) throw new Error(`not a quantity: ${q}`);
  const units: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
  for (const [i, u] of ['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'].entries()) units[u] = 1024 ** (i + 1);
  return Number(m[1]) * units[m[2] ?? '']!;
}

describe('helm/ticketcd etcd probes, placement and resources (issue 28 points 2 and 3)', () => {
  const etcdPod = (docs: Obj[]) => get(docs, 'StatefulSet', 'ticketcd-etcd').spec.template.spec;
  const etcdContainer = (docs: Obj[]) => etcdPod(docs).containers.find((c: Obj) => c.name === 'etcd');
  const etcdSelector = {
    'app.kubernetes.io/name': 'ticketcd',
    'app.kubernetes.io/instance': RELEASE,
    'app.kubernetes.io/component': 'etcd',
  };

  it('probes need no quorum and pass NOSPACE: startup TCP on the metrics port, readiness /readyz without the linearizable read, liveness /livez with a budget that follows the quota', () => {
    const c = etcdContainer(defaults);
    // The client port accepts connections before the WAL replay; the metrics port only after it.
    expect(c.startupProbe.tcpSocket).toEqual({ port: 'metrics' });
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(600);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz?exclude=linearizable_read', port: 'metrics' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'metrics' });
    // A defragmentation blocks /livez for its duration, which grows with the db: the budget grows with the quota.
    const budget = (docs: Obj[]) => {
      const p = etcdContainer(docs).livenessProbe;
      return (p.failureThreshold - 1) * p.periodSeconds;
    };
    expect(budget(defaults)).toBe(240); // 2 GiB at 120 s per GiB
    expect(budget(render([], ['etcd.quotaBackendBytes=8589934592', 'etcd.resources.requests.memory=8Gi']))).toBe(960);
    expect(budget(render([], ['etcd.quotaBackendBytes=104857600']))).toBe(120); // rounded up to 1 GiB
    expect(budget(render([], ['etcd.livenessSecondsPerGiB=300']))).toBe(600);
  });

  it('PDB maxUnavailable 1 for every size: minAvailable = quorum let a drain take two of five members at once', () => {
    for (const [docs, size] of [
      [defaults, 5],
      [render([], ['etcd.replicaCount=3']), 3],
      [render([], ['etcd.replicaCount=7']), 7],
      [prod, 5],
    ] as const) {
      const pdb = get(docs, 'PodDisruptionBudget', 'ticketcd-etcd');
      expect([size, pdb.spec.maxUnavailable, pdb.spec.minAvailable]).toEqual([size, 1, undefined]);
      expect(pdb.spec.selector.matchLabels).toEqual(etcdSelector);
    }
  });

  it('anti-affinity: one member per node required in values-prod.yaml, preferred by default', () => {
    const required = etcdPod(prod).affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
    expect(required).toEqual([{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: etcdSelector } }]);
    expect(etcdPod(prod).affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
    expect(etcdPod(defaults).affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toBeUndefined();
  });

  it('zone spread and priorityClassName are settable; by default members spread over zones (soft) with no priority class', () => {
    expect(etcdPod(defaults).topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: etcdSelector },
      },
    ]);
    expect(etcdPod(defaults).priorityClassName).toBeUndefined();
    const set = render(
      [],
      [
        'etcd.topologySpreadConstraints[0].maxSkew=1',
        'etcd.topologySpreadConstraints[0].topologyKey=topology.kubernetes.io/zone',
        'etcd.topologySpreadConstraints[0].whenUnsatisfiable=DoNotSchedule',
        'etcd.priorityClassName=etcd-critical',
      ],
    );
    expect(etcdPod(set).topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: etcdSelector },
      },
    ]);
    expect(etcdPod(set).priorityClassName).toBe('etcd-critical');
    expect(etcdPod(render([], ['etcd.topologySpreadConstraints=null'])).topologySpreadConstraints).toBeUndefined();
  });

  it('memory request at least the quota: defaults, dev and prod have it; below it the chart fails saying so', () => {
    for (const [name, docs] of [
      ['defaults', defaults],
      ['dev', dev],
      ['prod', prod],
    ] as const) {
      const request = quantityBytes(etcdContainer(docs).resources.requests.memory);
      const quota = Number(etcdConfig(docs)['quota-backend-bytes']);
      expect([name, request >= quota]).toEqual([name, true]);
    }
    for (const [memory, ok] of [
      ['1Gi', false],
      ['2G', false], // 2e9 < 2 GiB
      ['2147483647', false],
      ['2Gi', true],
      ['2147483648', true],
      ['2.5Gi', true],
    ] as const) {
      const r = helm(['template', RELEASE, chart, '--set', `etcd.resources.requests.memory=${memory}`]);
      expect([memory, r.status === 0]).toEqual([memory, ok]);
      if (!ok) expect(r.stderr).toContain(`etcd.resources.requests.memory (${memory}) is below etcd.quotaBackendBytes (2147483648)`);
    }
    const none = helm(['template', RELEASE, chart, '--set', 'etcd.resources.requests=null']);
    expect(none.status).not.toBe(0);
    expect(none.stderr).toContain('etcd.resources.requests.memory');
  });

  it('escape hatches reach the etcd container: extraEnv, extraVolumes, extraVolumeMounts, tolerations, extraArgs; the schema refuses malformed ones', () => {
    const docs = render(
      [],
      [
        'etcd.extraEnv[0].name=GODEBUG',
        'etcd.extraEnv[0].value=madvdontneed=1',
        'etcd.extraVolumes[0].name=scratch',
        'etcd.extraVolumes[0].emptyDir.medium=Memory',
        'etcd.extraVolumeMounts[0].name=scratch',
        'etcd.extraVolumeMounts[0].mountPath=/scratch',
        'etcd.tolerations[0].key=dedicated',
        'etcd.tolerations[0].operator=Equal',
        'etcd.tolerations[0].value=etcd',
        'etcd.tolerations[0].effect=NoSchedule',
        'etcd.extraArgs[0]=--log-level=debug',
      ],
    );
    const c = etcdContainer(docs);
    expect(envOf(c, 'GODEBUG')).toEqual({ name: 'GODEBUG', value: 'madvdontneed=1' });
    // etcd's own settings are in its config file (issue 28.1), not its env; etcdctl's root password
    // is there for `kubectl exec` (issue 29.7), from the Secret.
    expect(c.env.map((e: Obj) => e.name)).toEqual(['ETCDCTL_PASSWORD', 'GODEBUG']);
    expect(envOf(c, 'ETCDCTL_PASSWORD')?.valueFrom).toEqual({ secretKeyRef: { name: 'ticketcd-etcd-root', key: 'password' } });
    expect(etcdPod(docs).volumes).toContainEqual({ name: 'scratch', emptyDir: { medium: 'Memory' } });
    expect(c.volumeMounts).toContainEqual({ name: 'scratch', mountPath: '/scratch' });
    expect(c.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/etcd' });
    expect(etcdPod(docs).tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'etcd', effect: 'NoSchedule' }]);
    // extraArgs become keys of etcd's config file, written by the init container (issue 28.1).
    expect(etcdPod(docs).initContainers[0].args).toContain('--extra-arg=--log-level=debug');
    const cases: [string, RegExp][] = [
      ['etcd.extraEnv[0].value=x', /etcd\/extraEnv\/0.*missing property 'name'/],
      ['etcd.extraVolumes[0].emptyDir.medium=Memory', /etcd\/extraVolumes\/0.*missing property 'name'/],
      ['etcd.extraVolumeMounts[0].name=x', /etcd\/extraVolumeMounts\/0.*missing property 'mountPath'/],
      ['etcd.extraEnvs[0].name=x', /additional properties 'extraEnvs' not allowed/],
      ['etcd.priorityClassName=1', /etcd\/priorityClassName.*want string/],
    ];
    for (const [set, message] of cases) {
      const r = helm(['template', RELEASE, chart, '--set', set]);
      expect([set, r.status === 0 ? 'rendered' : 'failed']).toEqual([set, 'failed']);
      expect(r.stderr).toMatch(message);
    }
  });
});

/**
 * Issue 29.2, secrets nobody regenerates: under Argo CD `lookup` returns nothing, so a template that
 * generates a value made a new root password on every sync. No template generates a secret value:
 * two renders are byte-identical, no Secret carries generated data, and each Secret comes from an
 * existingSecret or from the etcd-auth Job's ensure-secrets init container (created once, when absent).
 */
describe('helm/ticketcd secrets nobody regenerates (issue 29.2)', () => {
  const raw = (files: string[], sets: string[], chartDir = chart) => {
    const r = helm([
      'template',
      RELEASE,
      chartDir,
      '-n',
      NS,
      ...files.flatMap((f) => ['-f', join(chartDir, f)]),
      ...sets.flatMap((s) => ['--set', s]),
    ]);
    if (r.status !== 0) throw new Error(`helm template failed:\n${r.stderr}`);
    return r.stdout;
  };
  const job = (docs: Obj[]) => authJob(docs).spec.template.spec;
  const ensure = (docs: Obj[]) => job(docs).initContainers.find((c: Obj) => c.name === 'ensure-secrets');
  const OWN = [
    'etcd.auth.existingSecret=mine',
    'etcd.auth.rootExistingSecret=myroot',
    'etcd.auth.jwt.existingSecret=myjwt',
    'admin.existingSecret=myadmin',
  ];

  it.each<[string, string[], string[]]>([
    ['defaults', [], []],
    ['dev', ['values-dev.yaml'], []],
    ['prod', ['values-prod.yaml'], []],
    ['everything on', [], everything],
  ])('%s: two renders are byte-identical (nothing random), and no Secret has generated data', (_, files, sets) => {
    const first = raw(files, sets);
    expect(raw(files, sets)).toBe(first);
    const secrets = parseAllDocuments(first)
      .map((d) => d.toJS() as Obj | null)
      .filter((o): o is Obj => o?.kind === 'Secret');
    // Only dev's admin Secret, rendered from admin.password in its values (set by hand, not generated).
    expect(secrets.map((o) => o.metadata.name)).toEqual(files.includes('values-dev.yaml') ? ['ticketcd-admin'] : []);
    for (const o of secrets)
      expect(Object.fromEntries(Object.entries(o.data).map(([k, v]) => [k, Buffer.from(v as string, 'base64').toString()]))).toEqual({
        username: 'admin',
        password: 'admin-dev-only',
      });
  });

  it('no template generates or looks up a secret value (randAlphaNum, genCA, lookup, ...)', () => {
    const templates = execFileSync('find', [join(chart, 'templates'), '-type', 'f'], { encoding: 'utf8' })
      .trim()
      .split('\n');
    const generators =
      /\b(rand(AlphaNum|Alpha|Numeric|Ascii|Bytes|Int)|genCA|genCAWithKey|genPrivateKey|genSelfSignedCert|genSignedCert|derivePassword|uuidv4|lookup)\b/;
    const hits = templates.flatMap((f) =>
      readFileSync(f, 'utf8')
        // Template comments ({{/* ... */}}, which may say what is not used) blanked, line numbers kept.
        .replace(/\{\{-?\s*\/\*[\s\S]*?\*\/\s*-?\}\}/g, (m) => m.replace(/[^\n]/g, ' '))
        .split('\n')
        .map((line, i) => ({ where: `${f.slice(chart.length + 1)}:${i + 1}`, line }))
        .filter(({ line }) => generators.test(line) && !/^\s*#/.test(line)),
    );
    expect(hits.map((h) => `${h.where}: ${h.line.trim()}`)).toEqual([]);
  });

  it('the Job creates what no existingSecret supplies: its init container, service account, Role (get by name, create) and API token', () => {
    const spec = job(defaults);
    const c = ensure(defaults);
    expect(spec.initContainers.map((x: Obj) => x.name)).toEqual(['ensure-secrets']);
    expect(c.image).toBe('ticketcd/tools:0.1.0');
    expect(c.command).toEqual(['node', 'libs/tooling/deploy/dist/etcd-secrets.js', 'ensure']);
    expect(c.args).toEqual([
      '--namespace=shop',
      // Not app.kubernetes.io/instance: Argo CD's label tracking would prune what the Job made.
      '--label=app.kubernetes.io/part-of=ticketcd',
      '--root=ticketcd-etcd-root',
      '--users=ticketcd-etcd-users',
      `--services=${[...SERVICE_NAMES].sort().join(',')}`,
      '--jwt=ticketcd-etcd-jwt',
      '--admin=ticketcd-admin',
      // Peer TLS is on by default (issue 29.3): the CA and the peer certificate; client TLS is off.
      '--ca=ticketcd-etcd-ca',
      '--peer=ticketcd-etcd-peer-tls',
      '--peer-san=*.ticketcd-etcd-headless,*.ticketcd-etcd-headless.shop.svc,*.ticketcd-etcd-headless.shop.svc.cluster.local',
    ]);
    expect(envOf(c, 'ADMIN_USERNAME')?.value).toBe('admin');
    // The API token: only in ensure-secrets (automount off; etcd-auth holds the root password, not the token).
    expect([spec.serviceAccountName, spec.automountServiceAccountToken]).toEqual(['ticketcd-etcd-secrets', false]);
    expect(c.volumeMounts).toContainEqual({ name: 'kube-api', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true });
    expect(spec.containers.flatMap((x: Obj) => x.volumeMounts.map((m: Obj) => m.name))).not.toContain('kube-api');
    // No Secret volume in the Job's pod: it would hold the pod (and this init container) until the Job made the Secret.
    const secretVolumes = (spec.volumes as Obj[]).filter((v) => v.secret || v.projected?.sources?.some((s: Obj) => s.secret));
    expect(secretVolumes).toEqual([]);
    for (const docs of [defaults, prod, all]) expect(job(docs).volumes.filter((v: Obj) => v.secret)).toEqual([]);
    const role = get(defaults, 'Role', 'ticketcd-etcd-secrets');
    expect(role.rules).toEqual([
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: [
          'ticketcd-etcd-root',
          'ticketcd-etcd-users',
          'ticketcd-etcd-jwt',
          'ticketcd-admin',
          'ticketcd-etcd-ca',
          'ticketcd-etcd-peer-tls',
        ],
        verbs: ['get'],
      },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
    ]);
    const binding = get(defaults, 'RoleBinding', 'ticketcd-etcd-secrets');
    expect([binding.roleRef.name, binding.subjects]).toEqual([
      'ticketcd-etcd-secrets',
      [{ kind: 'ServiceAccount', name: 'ticketcd-etcd-secrets', namespace: NS }],
    ]);
    expect(get(defaults, 'ServiceAccount', 'ticketcd-etcd-secrets').automountServiceAccountToken).toBe(false);
    // What reads the Secrets names them, whoever creates them: pods wait for a Secret not made yet.
    expect(envOf(get(defaults, 'Deployment', 'ticketcd-gateway').spec.template.spec.containers[0], 'ADMIN_PASSWORD')?.valueFrom).toEqual({
      secretKeyRef: { name: 'ticketcd-admin', key: 'password' },
    });
    const refs = JSON.stringify(defaults.filter((o) => o.kind !== 'Role'));
    expect(refs).not.toContain('"optional":true');
  });

  it('every Secret a pod reads is rendered, named by the user, or created by the Job: no pod waits for a Secret nobody makes', () => {
    const referenced = (docs: Obj[]) =>
      new Set(
        podSpecs(docs)
          .flatMap(({ spec }) => [
            ...containersOf(spec).flatMap((c) => (c.env ?? []).map((e: Obj) => e.valueFrom?.secretKeyRef?.name).filter(Boolean)),
            ...(spec.volumes ?? []).flatMap((v: Obj) => [
              v.secret?.secretName,
              ...(v.projected?.sources ?? []).map((x: Obj) => x.secret?.name),
            ]),
          ])
          .filter(Boolean),
      );
    const made = (docs: Obj[]) => [
      ...docs.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name),
      ...ensure(docs)
        .args.filter((a: string) => /^--(root|users|jwt|admin|ca|peer|server|client)=/.test(a))
        .map((a: string) => a.replace(/^--[a-z]+=/, '').replace(/:.*$/, '')),
    ];
    for (const [name, docs, users] of [
      ['defaults', defaults, []],
      ['dev', dev, []],
      ['prod', prod, ['ticketcd-ingress-tls']],
      ['own secrets', render([], OWN), ['mine', 'myroot', 'myadmin', 'myjwt']],
    ] as const) {
      const left = [...referenced(docs)].filter((n) => !made(docs).includes(n) && !(users as readonly string[]).includes(n));
      expect([name, left]).toEqual([name, []]);
    }
    expect(referenced(defaults)).toEqual(
      new Set(['ticketcd-etcd-root', 'ticketcd-etcd-users', 'ticketcd-admin', 'ticketcd-etcd-jwt', 'ticketcd-etcd-peer-tls']),
    );
  });

  it('existingSecret options are honored: nothing of theirs is created, the Role only reads what the Job copies', () => {
    const own = render([], OWN);
    const c = ensure(own);
    expect(c.args.filter((a: string) => /^--(root|users|services|jwt|admin)=/.test(a))).toEqual([]);
    // The passwords reach etcd-auth as variables (issue 29.1), not as a copy.
    expect(c.args.filter((a: string) => a.startsWith('--copy='))).toEqual([]);
    const role = get(own, 'Role', 'ticketcd-etcd-secrets');
    // Only the peer certificate (and its CA) is still the Job's to create; nothing of theirs is read.
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['ticketcd-etcd-ca', 'ticketcd-etcd-peer-tls'], verbs: ['get'] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
    ]);
    // With the peer certificate given too: nothing to create or copy, no rule at all (an empty
    // resourceNames would mean every Secret).
    expect(get(render([], [...OWN, 'etcd.tls.existingSecrets.peer=mypeer']), 'Role', 'ticketcd-etcd-secrets').rules ?? []).toEqual([]);
    expect(envOf(authJob(own).spec.template.spec.containers[0], 'ETCD_ROOT_PASSWORD')?.valueFrom.secretKeyRef.name).toBe('myroot');
    expect(
      envOf(get(own, 'Deployment', 'ticketcd-gateway').spec.template.spec.containers[0], 'ADMIN_USERNAME')?.valueFrom.secretKeyRef.name,
    ).toBe('myadmin');
    expect(own.filter((o) => o.kind === 'Secret')).toEqual([]);
    // One at a time: only the named one is left out.
    const jwtOnly = ensure(render([], ['etcd.auth.jwt.existingSecret=myjwt'])).args;
    expect(jwtOnly.filter((a: string) => a.startsWith('--jwt'))).toEqual([]);
    expect(jwtOnly).toContain('--root=ticketcd-etcd-root');
    // admin.password set by hand: the chart renders that Secret (Helm's), the Job does not create it.
    const byHand = render([], ['admin.password=chosen']);
    expect(Buffer.from(get(byHand, 'Secret', 'ticketcd-admin').data.password, 'base64').toString()).toBe('chosen');
    expect(ensure(byHand).args.filter((a: string) => a.startsWith('--admin'))).toEqual([]);
    // Auth off means no Job: the admin Secret must come from somewhere else, and the chart says so.
    expect(() => render([], ['etcd.auth.enabled=false', 'etcd.tls.peer.enabled=false'])).toThrow(
      /etcd.auth.enabled=false: no etcd-auth Job creates the admin Secret, set admin.existingSecret/,
    );
    // The schema takes etcd.auth.jwt.existingSecret and nothing else under jwt.
    expect(() => render([], ['etcd.auth.jwt.other=x'])).toThrow(/additional properties|not allowed/i);
  });

  it('TLS with no cert-manager and no existing Secret: the Job makes the CA, peer, server and per-service client certificates', () => {
    // Until the peer/server/client split of etcd's TLS (issue 29.3) lands, the StatefulSet refuses TLS
    // without a source; this renders a copy without that refusal to check the Job's side.
    const tmp = mkdtempSync(join(tmpdir(), 'chart-tls-'));
    try {
      cpSync(chart, tmp, { recursive: true });
      const sts = join(tmp, 'templates/etcd/statefulset.yaml');
      writeFileSync(
        sts,
        readFileSync(sts, 'utf8').replace(/^\{\{- if and \.Values\.etcd\.tls\.enabled[^\n]*\n\{\{- fail[^\n]*\n\{\{- end \}\}\n/, ''),
      );
      const docs = render([], ['etcd.tls.enabled=true'], tmp);
      const args: string[] = ensure(docs).args;
      const wild = ['*.ticketcd-etcd-headless', '*.ticketcd-etcd-headless.shop.svc', '*.ticketcd-etcd-headless.shop.svc.cluster.local'];
      expect(arg(args, '--ca')).toBe('ticketcd-etcd-ca');
      expect([arg(args, '--peer'), arg(args, '--peer-san')?.split(',')]).toEqual(['ticketcd-etcd-peer-tls', wild]);
      expect([arg(args, '--server'), arg(args, '--server-san')?.split(',')]).toEqual([
        'ticketcd-etcd-server-tls',
        ['ticketcd-etcd', 'ticketcd-etcd.shop.svc', 'ticketcd-etcd.shop.svc.cluster.local', ...wild, 'localhost', '127.0.0.1'],
      ]);
      expect(args.filter((a) => a.startsWith('--client='))).toEqual([
        ...[...SERVICE_NAMES].sort().map((s) => `--client=ticketcd-etcd-client-${s}:${s}`),
        '--client=ticketcd-etcd-client-tools:root',
      ]);
      expect(args).toContain('--copy=ticketcd-etcd-client-tools:/run/ticketcd/etcd-tls');
      expect(job(docs).volumes).toContainEqual({ name: 'etcd-tls', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } });
      const names = get(docs, 'Role', 'ticketcd-etcd-secrets').rules[0].resourceNames;
      expect(names).toEqual(
        expect.arrayContaining(['ticketcd-etcd-ca', 'ticketcd-etcd-peer-tls', 'ticketcd-etcd-server-tls', 'ticketcd-etcd-client-tools']),
      );
      // cert-manager (everything on) supplies TLS: the Job makes none, only copies the tools certificate.
      expect(ensure(all).args.filter((a: string) => /^--(ca|peer|server|client)=/.test(a))).toEqual([]);
      expect(ensure(all).args).toContain('--copy=ticketcd-etcd-client-tools:/run/ticketcd/etcd-tls');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('helm/ticketcd NATS that drains (issue 29 point 5)', () => {
  const natsPod = (docs: Obj[]) => get(docs, 'StatefulSet', 'ticketcd-nats').spec.template.spec;
  const natsContainer = (docs: Obj[]) => natsPod(docs).containers.find((c: Obj) => c.name === 'nats');
  const natsConf = (docs: Obj[]): string => get(docs, 'ConfigMap', 'ticketcd-nats-config').data['nats.conf'];
  const confValue = (docs: Obj[], key: string) => new RegExp(`^\\s*${key}: (\\S+)$`, 'm').exec(natsConf(docs))?.[1];
  const seconds = (d: string | undefined) => Number(/^(\d+)s$/.exec(d ?? '')?.[1]);

  it('a pid file in the config; the preStop hook signals lame duck mode to it and waits for the server to exit, within the termination grace', () => {
    const pidFile = confValue(defaults, 'pid_file');
    expect(pidFile).toBe('/var/run/nats/nats.pid');
    // The root filesystem is read-only: the pid file's directory is a volume of the nats container.
    expect(natsContainer(defaults).volumeMounts).toContainEqual({ name: 'run', mountPath: '/var/run/nats' });
    expect(natsPod(defaults).volumes.find((v: Obj) => v.name === 'run').emptyDir).toBeDefined();
    const command: string[] = natsContainer(defaults).lifecycle.preStop.exec.command;
    expect(command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(command[2]).toContain(`nats-server --signal ldm=${pidFile}`);
    expect(command[2]).toMatch(/while kill -0 "\$\(cat \/var\/run\/nats\/nats\.pid\)"/);
    for (const docs of [defaults, dev, prod, render([], ['nats.lameDuck.durationSeconds=120', 'nats.lameDuck.gracePeriodSeconds=20'])]) {
      const duration = seconds(confValue(docs, 'lame_duck_duration'));
      const grace = seconds(confValue(docs, 'lame_duck_grace_period'));
      expect(grace).toBeLessThan(duration);
      // The kubelet kills the server at the end of the grace: after lame duck mode and its JetStream shutdown.
      expect(natsPod(docs).terminationGracePeriodSeconds).toBeGreaterThanOrEqual(duration + grace + 20);
    }
    expect(seconds(confValue(defaults, 'lame_duck_duration'))).toBe(30);
    const refused = helm(['template', RELEASE, chart, '--set', 'nats.lameDuck.gracePeriodSeconds=30']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('nats.lameDuck.gracePeriodSeconds (30) must be below nats.lameDuck.durationSeconds (30)');
  });

  it('probes as the NATS chart has them: readiness /healthz?js-server-only=true, startup /healthz with a 900 s budget, liveness js-enabled-only', () => {
    const c = natsContainer(defaults);
    expect(c.readinessProbe.httpGet).toEqual({ path: '/healthz?js-server-only=true', port: 'monitor' });
    // Startup waits for JetStream to be current (a rolling update waits for it before the next server).
    expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'monitor' });
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(900);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz?js-enabled-only=true', port: 'monitor' });
    const longer = natsContainer(render([], ['nats.startupBudgetSeconds=1800'])).startupProbe;
    expect(longer.periodSeconds * longer.failureThreshold).toBe(1800);
  });

  it('max_file_store is 85% of the volume (computed from storageSize), never the whole volume', () => {
    const volume = (docs: Obj[]) =>
      quantityBytes(get(docs, 'StatefulSet', 'ticketcd-nats').spec.volumeClaimTemplates[0].spec.resources.requests.storage);
    for (const docs of [
      defaults,
      prod,
      render([], ['nats.jetstream.storageSize=50Gi']),
      render([], ['nats.jetstream.storageSize=1500Mi']),
    ]) {
      const store = Number(confValue(docs, 'max_file_store'));
      expect(store).toBe(Math.floor(volume(docs) * 0.85));
    }
    expect(Number(confValue(defaults, 'max_file_store'))).toBe(9126805504); // 85% of 10Gi
    expect(Number(confValue(render([], ['nats.jetstream.maxFileStorePercent=90']), 'max_file_store'))).toBe(9663676416);
    const whole = helm(['template', RELEASE, chart, '--set', 'nats.jetstream.maxFileStorePercent=100']);
    expect(whole.status).not.toBe(0);
    expect(whole.stderr).toMatch(/nats\/jetstream\/maxFileStorePercent/);
  });

  it('GOMEMLIMIT is 90% of the memory limit; none without a limit', () => {
    const goMemLimit = (docs: Obj[]) => envOf(natsContainer(docs), 'GOMEMLIMIT')?.value;
    const limit = (docs: Obj[]) => quantityBytes(natsContainer(docs).resources.limits.memory);
    expect(goMemLimit(defaults)).toBe('483183820'); // 90% of 512Mi
    for (const docs of [defaults, prod, render([], ['nats.resources.limits.memory=2Gi'])])
      expect(Number(goMemLimit(docs))).toBe(Math.floor(limit(docs) * 0.9));
    expect(goMemLimit(render([], ['nats.resources.limits=null']))).toBeUndefined();
  });

  it('the official Prometheus exporter runs beside each server: port metrics on the nats Service, scrape annotations, a ServiceMonitor', () => {
    const exporter = (docs: Obj[]) => natsPod(docs).containers.find((c: Obj) => c.name === 'exporter');
    const c = exporter(defaults);
    expect(c.image).toBe('natsio/prometheus-nats-exporter:0.17.3');
    expect(c.args).toEqual(expect.arrayContaining(['-port=7777', '-varz', '-connz', '-routez', '-jsz=all', 'http://localhost:8222/']));
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: 7777 }]);
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(get(defaults, 'StatefulSet', 'ticketcd-nats').spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '7777',
    });
    expect(get(defaults, 'Service', 'ticketcd-nats').spec.ports).toContainEqual({ name: 'metrics', port: 7777, targetPort: 'metrics' });
    // The headless Service has no metrics port, so the ServiceMonitor scrapes each server once.
    expect(get(defaults, 'Service', 'ticketcd-nats-headless').spec.ports.map((p: Obj) => p.name)).not.toContain('metrics');
    expect(find(defaults, 'ServiceMonitor', 'ticketcd-nats')).toBeUndefined();
    const monitor = get(all, 'ServiceMonitor', 'ticketcd-nats');
    expect(monitor.spec.selector.matchLabels).toMatchObject({ 'app.kubernetes.io/component': 'nats' });
    expect(monitor.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s' }]);
    for (const off of [['metrics.enabled=false'], ['nats.exporter.enabled=false']]) {
      const docs = render([], [...off, 'metrics.serviceMonitor.enabled=true']);
      expect(exporter(docs)).toBeUndefined();
      expect(find(docs, 'ServiceMonitor', 'ticketcd-nats')).toBeUndefined();
      expect(get(docs, 'Service', 'ticketcd-nats').spec.ports.map((p: Obj) => p.name)).toEqual(['client']);
    }
  });
});
