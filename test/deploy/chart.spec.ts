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
    if (group === 'monitoring.coreos.com' || group === 'cert-manager.io') {
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

const everything = [
  ...SERVICE_NAMES.map((s) => `services.${s}.autoscaling.enabled=true`),
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
let all: Obj[];

beforeAll(() => {
  defaults = render();
  dev = render(['values-dev.yaml']);
  prod = render(['values-prod.yaml']);
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
    for (const [kind, name] of [
      ['Job', 'ticketcd-etcd-auth'],
      ['StatefulSet', 'ticketcd-etcd'],
    ]) {
      const spec = get(prod, kind!, name!).spec.template.spec;
      expect([name, secretOf(spec)]).toEqual([name, 'ticketcd-etcd-client-tools']);
    }
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
    expect(secretOf(get(own, 'Job', 'ticketcd-etcd-auth').spec.template.spec)).toBe('my-tools');
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
    expect(attempt('etcd.auth.enabled=false', 'etcd.tls.existingSecrets.peer=p').status).toBe(0);
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
    expect(etcdConfig(render([], ['etcd.auth.enabled=false', 'etcd.tls.peer.enabled=false']))).not.toHaveProperty('auth-token');
  });

  it('etcd auth: the hook Job and Secrets of the contract; each service logs in as itself', () => {
    const job = get(defaults, 'Job', 'ticketcd-etcd-auth');
    expect(job.metadata.annotations).toEqual({
      'helm.sh/hook': 'post-install,post-upgrade',
      'helm.sh/hook-weight': '0',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    const c = job.spec.template.spec.containers[0];
    expect(c.image).toBe('ticketcd/tools:0.1.0');
    expect(c.command).toEqual(['node', 'libs/tooling/deploy/dist/cli.js', 'etcd-auth', 'apply']);
    expect(envOf(c, 'ETCD_ENDPOINTS')?.value.split(',')).toHaveLength(5);
    expect(envOf(c, 'ETCD_ROOT_PASSWORD')?.valueFrom).toEqual({ secretKeyRef: { name: 'ticketcd-etcd-root', key: 'password' } });
    expect(envOf(c, 'ETCD_PASSWORDS_DIR')?.value).toBe('/etc/ticketcd/etcd-users');
    expect(c.volumeMounts).toContainEqual({ name: 'etcd-users', mountPath: '/etc/ticketcd/etcd-users', readOnly: true });
    const users = job.spec.template.spec.volumes.find((v: Obj) => v.name === 'etcd-users').secret;
    expect(users.items.map((i: Obj) => `${i.key}->${i.path}`).sort()).toEqual([...SERVICE_NAMES].sort().map((n) => `${n}->${n}`));
    expect(job.spec.template.spec.volumes).toContainEqual(
      expect.objectContaining({ name: 'etcd-users', secret: expect.objectContaining({ secretName: 'ticketcd-etcd-users' }) }),
    );
    expect(Object.keys(get(defaults, 'Secret', 'ticketcd-etcd-users').data).sort()).toEqual([...SERVICE_NAMES].sort());
    expect(Buffer.from(get(defaults, 'Secret', 'ticketcd-etcd-root').data.password, 'base64').toString()).toMatch(/^[A-Za-z0-9]{32}$/);
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
    expect(
      envOf(get(own, 'Job', 'ticketcd-etcd-auth').spec.template.spec.containers[0], 'ETCD_ROOT_PASSWORD')?.valueFrom.secretKeyRef.name,
    ).toBe('myroot');
    expect(
      envOf(get(own, 'Deployment', 'ticketcd-orders').spec.template.spec.containers[0], 'ETCD_PASSWORD')?.valueFrom.secretKeyRef.name,
    ).toBe('mine');
    // Auth off: no Job, no etcd credentials.
    // (Peer TLS off too: with auth off no Job creates its certificate, issue 29.3.)
    const off = render([], ['etcd.auth.enabled=false', 'etcd.tls.peer.enabled=false']);
    expect(find(off, 'Job', 'ticketcd-etcd-auth')).toBeUndefined();
    expect(envOf(get(off, 'Deployment', 'ticketcd-orders').spec.template.spec.containers[0], 'ETCD_USERNAME')).toBeUndefined();
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
    expect(get(defaults, 'Service', 'ticketcd-nats').spec.ports).toEqual([{ name: 'client', port: 4222, targetPort: 'client' }]);
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
      expect(get(dev, 'Deployment', `ticketcd-${s}`).spec.replicas).toBe(1);
    }
    expect(get(render([], ['services.orders.replicaCount=4']), 'Deployment', 'ticketcd-orders').spec.replicas).toBe(4);
    const hpas = prod.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((o) => o.metadata.name);
    expect(hpas.sort()).toEqual(['ticketcd-gateway', 'ticketcd-orders']);
    expect(get(prod, 'Deployment', 'ticketcd-orders').spec.replicas).toBeUndefined();
    expect(get(prod, 'Deployment', 'ticketcd-inventory').spec.replicas).toBe(3);
  });

  it('the gateway gets the env of the contract (admin Secret, quota, scaler, trust proxy)', () => {
    const c = get(prod, 'Deployment', 'ticketcd-gateway').spec.template.spec.containers[0];
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
    const noScaler = get(render([], ['scaler.enabled=false']), 'Deployment', 'ticketcd-gateway').spec.template.spec;
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
    expect(get(r, 'Job', 'ticketcd-etcd-auth').spec.template.spec.containers[0].image).toBe('t/tools:1.2.3');
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
    // ticketcd-etcd: issue 28.1, get on the etcd StatefulSet (tested above).
    expect(roles.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'Role/ticketcd-etcd',
      'Role/ticketcd-gateway',
      'RoleBinding/ticketcd-etcd',
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
    expect(off.filter((o) => /Role/.test(o.kind) && o.metadata.name !== 'ticketcd-etcd')).toEqual([]);
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
    // No rule allows everything: every ingress/egress rule names its peers and ports.
    for (const np of nps) {
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
    expect(get(all, 'NetworkPolicy', 'ticketcd-nats').spec.ingress.map((r: Obj) => r.ports[0].port)).toEqual([4222, 6222]);
    // The hook Job and the backup/defrag Jobs are etcd clients.
    const clientLabel = (labels: Obj) => labels['ticketcd.io/etcd-client'] === 'true';
    expect(clientLabel(get(all, 'Job', 'ticketcd-etcd-auth').spec.template.metadata.labels)).toBe(true);
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
    ).toEqual(['ticketcd', 'ticketcd-etcd']);
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
    ...SERVICE_NAMES.map((s) => `prometheus -> ${s}:${s === 'gateway' ? 8080 : 3000}`),
  ].sort();

  it('allows exactly the flows TickETCD needs (API server narrowed to its address)', () => {
    const docs = render(
      [],
      [
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

  it('default values: the scaler may reach any address on the API ports (narrow networkPolicy.kubeApi.cidrs)', () => {
    const open = flows(render([], ['etcd.defrag.enabled=true']));
    expect(open.filter((f) => !expected.includes(f))).toEqual([
      'etcd -> internet:443',
      'etcd -> s3-store:443',
      'gateway -> internet:443',
      'gateway -> s3-store:443',
    ]);
    // Likewise the backup Job reaches any address on the store's ports until backupStore.cidrs is narrowed.
    const backup = flows(render([], ['etcd.defrag.enabled=true', ...BACKUP, `networkPolicy.kubeApi.cidrs[0]=${API_SERVER}/32`]));
    expect(backup.filter((f) => !expected.includes(f))).toEqual(['etcd-backup -> api-server:443', 'etcd-backup -> internet:443']);
    expect(flows(render([], ['etcd.defrag.enabled=true', 'scaler.enabled=false']))).not.toContain('gateway -> api-server:443');
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
    const env = environment(prod, 'gateway');
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
    expect(c.env).toHaveLength(1); // etcd's own settings are in its config file (issue 28.1), not its env
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
