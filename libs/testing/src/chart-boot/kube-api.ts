/**
 * Issue 30: a Kubernetes API server for the booted chart's programs (the Secrets Job, the etcd
 * membership program, the gateway's scaler), over HTTPS with its own CA, serving one namespace's
 * objects from the ObjectStore. Authentication: bearer tokens handed out by tokenFor(serviceAccount).
 * Authorization: Kubernetes RBAC evaluated from the store's Roles/RoleBindings (and ClusterRoles/
 * ClusterRoleBindings if any), so a rendered Role that lacks a verb, a resource or a resourceName
 * fails the program that needs it, as in a cluster. Every request is recorded for assertions.
 *
 * Served: GET (one, list with labelSelector/fieldSelector), POST, PUT, PATCH (merge and strategic
 * merge, treated as JSON merge patch), DELETE on the namespaced resources in RESOURCES, the scale
 * subresource of Deployments/StatefulSets, and /version, /healthz, /readyz. Not served: watch
 * (405), JSON patch and server-side apply (415). Faults (hang, 5xx, a race) through `intercept`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createCa, issueCert } from '@ticketcd/deploy';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { isClusterScoped } from './manifests.js';
import type { K8sObject, ObjectStore } from './types.js';

/** resource (plural) -> group, version and kind, for the namespaced resources the fake serves. */
const RESOURCES: Record<string, { group: string; version: string; kind: string }> = {
  secrets: { group: '', version: 'v1', kind: 'Secret' },
  configmaps: { group: '', version: 'v1', kind: 'ConfigMap' },
  pods: { group: '', version: 'v1', kind: 'Pod' },
  services: { group: '', version: 'v1', kind: 'Service' },
  endpoints: { group: '', version: 'v1', kind: 'Endpoints' },
  serviceaccounts: { group: '', version: 'v1', kind: 'ServiceAccount' },
  persistentvolumeclaims: { group: '', version: 'v1', kind: 'PersistentVolumeClaim' },
  events: { group: '', version: 'v1', kind: 'Event' },
  statefulsets: { group: 'apps', version: 'v1', kind: 'StatefulSet' },
  deployments: { group: 'apps', version: 'v1', kind: 'Deployment' },
  jobs: { group: 'batch', version: 'v1', kind: 'Job' },
  poddisruptionbudgets: { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' },
  networkpolicies: { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy' },
  roles: { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role' },
  rolebindings: { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding' },
  leases: { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' },
};
/** Resources with a scale subresource. */
const SCALABLE = new Set(['deployments', 'statefulsets']);

export interface KubeApiRequest {
  /** The RBAC verb (get, list, watch, create, update, patch, delete, deletecollection) or the HTTP method of a non-resource path. */
  verb: string;
  /** HTTP method. */
  method: string;
  /** URL path (no query). */
  path: string;
  /** -1: held unanswered by intercept ('hang'). */
  status: number;
  /** The authenticated ServiceAccount (absent: no or an unknown token). */
  serviceAccount?: string;
}

/** What a request asks, in RBAC terms. */
interface Attributes {
  verb: string;
  group: string;
  version: string;
  /** `secrets`, or `deployments/scale` for a subresource. */
  resource: string;
  plural: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** metadata fields the API server sets (types.ts keeps only what the rendered objects have). */
type Meta = K8sObject['metadata'] & { uid?: string; resourceVersion?: string; creationTimestamp?: string; generateName?: string };
const meta = (o: K8sObject) => o.metadata as Meta;

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: object,
  ) {
    super(message);
  }
}

// ---- certificates ----------------------------------------------------------------------------------

/** The API's CA and serving certificate, made as the chart's Job makes etcd's (@ticketcd/deploy). */
async function apiCertificates(sans: string[]): Promise<{ caPem: string; cert: string; key: string }> {
  const ca = await createCa('chart-boot-kube-ca', 1);
  const leaf = await issueCert(ca, { commonName: 'kube-apiserver', role: 'server', sans: [...new Set(sans)], days: 1 });
  return { caPem: ca.cert, cert: leaf.cert, key: leaf.key };
}

// ---- selectors and patches -------------------------------------------------------------------------

/** Equality- and set-based label selectors (`a=b,c!=d,e in (x,y),f notin (z),g,!h`). */
export function matchesLabelSelector(labels: Record<string, string>, selector: string): boolean {
  const terms = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  return terms.every((raw) => {
    const t = raw.trim();
    if (!t) return true;
    let m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(t);
    if (m) {
      const values = m[3]!.split(',').map((v) => v.trim());
      const has = m[1]! in labels && values.includes(labels[m[1]!]!);
      return m[2] === 'in' ? has : !has;
    }
    m = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(t);
    if (m) return m[2] === '!=' ? labels[m[1]!] !== m[3] : labels[m[1]!] === m[3];
    if (t.startsWith('!')) return !(t.slice(1).trim() in labels);
    return t in labels;
  });
}

/** Field selectors by dotted path (`metadata.name=x`, `status.phase!=Failed`). */
function matchesFieldSelector(obj: K8sObject, selector: string): boolean {
  return selector
    .split(',')
    .filter((t) => t.trim())
    .every((t) => {
      const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(t.trim());
      if (!m) throw new HttpError(400, 'BadRequest', `invalid field selector "${t}"`);
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const v = m[1]!.split('.').reduce<any>((o, k) => (o == null ? undefined : o[k]), obj);
      const s = v == null ? '' : String(v);
      return m[2] === '!=' ? s !== m[3] : s === m[3];
    });
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as object) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const selectorString = (matchLabels: Record<string, string> | undefined) =>
  Object.entries(matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

// ---- the server ------------------------------------------------------------------------------------

export interface FakeKubeApiOptions {
  /** Address to listen on; also an IP SAN of the server certificate. */
  host: string;
  /** Default 0 (any free port). */
  port?: number;
  /** More SANs for the server certificate (e.g. a Service IP the API is also reached at). */
  sans?: string[];
}

export class FakeKubeApi {
  readonly requests: KubeApiRequest[] = [];
  /**
   * Fault injection, called for every authenticated request before RBAC: return a status (and body)
   * to answer with it, 'hang' to never answer (the caller's deadline must fire), or nothing to serve
   * normally. It may change the store first (e.g. a Secret another run creates just before a create).
   */
  intercept?: (r: {
    method: string;
    path: string;
    query: URLSearchParams;
    serviceAccount: string;
    body: string;
  }) => { status: number; body?: unknown } | 'hang' | undefined | void;
  private readonly tokens = new Map<string, string>(); // token -> service account
  private readonly tokenOf = new Map<string, string>(); // service account -> token
  private server!: https.Server;
  private resourceVersion = 1;
  port = 0;

  private constructor(
    readonly store: ObjectStore,
    readonly host: string,
    readonly caPem: string,
  ) {}

  /** HTTPS on host:port with a new CA; puts the `kube-root-ca.crt` ConfigMap into the store. */
  static async start(store: ObjectStore, opts: FakeKubeApiOptions): Promise<FakeKubeApi> {
    const sans = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'localhost'];
    if (isIP(opts.host) && opts.host !== '0.0.0.0' && opts.host !== '::') sans.push(opts.host);
    else if (!isIP(opts.host)) sans.push(opts.host);
    const certs = await apiCertificates([...sans, '127.0.0.1', ...(opts.sans ?? [])]);
    const api = new FakeKubeApi(store, opts.host, certs.caPem);
    api.server = https.createServer({ cert: certs.cert, key: certs.key }, (req, res) => void api.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      api.server.once('error', reject);
      api.server.listen(opts.port ?? 0, opts.host, () => {
        api.server.off('error', reject);
        resolve();
      });
    });
    api.port = (api.server.address() as AddressInfo).port;
    api.putRootCa();
    return api;
  }

  async stop(): Promise<void> {
    if (!this.server?.listening) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** The ConfigMap every namespace has (the projected `kube-api` volumes take ca.crt from it). */
  putRootCa(): void {
    this.store.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt' }, data: { 'ca.crt': this.caPem } });
  }

  /** The bearer token of a ServiceAccount of the store's namespace (the same one on every call). */
  tokenFor(serviceAccount: string): string {
    let t = this.tokenOf.get(serviceAccount);
    if (!t) {
      t = `chart-boot.${randomBytes(24).toString('base64url')}`;
      this.tokenOf.set(serviceAccount, t);
      this.tokens.set(t, serviceAccount);
    }
    return t;
  }

  /** KUBERNETES_SERVICE_HOST / _PORT as the kubelet sets them (enableServiceLinks adds the KUBERNETES_PORT ones). */
  kubernetesEnv(): Record<string, string> {
    const h = isIP(this.host) === 6 ? `[${this.host}]` : this.host;
    return {
      KUBERNETES_SERVICE_HOST: this.host,
      KUBERNETES_SERVICE_PORT: String(this.port),
      KUBERNETES_SERVICE_PORT_HTTPS: String(this.port),
      KUBERNETES_PORT: `tcp://${h}:${this.port}`,
    };
  }

  get url(): string {
    return `https://${isIP(this.host) === 6 ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** A kubeconfig (JSON, which is YAML) for a ServiceAccount, with the CA inline; its context's namespace is the store's. */
  kubeconfig(serviceAccount: string): string {
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'chart-boot', cluster: { server: this.url, 'certificate-authority-data': Buffer.from(this.caPem).toString('base64') } },
      ],
      users: [{ name: serviceAccount, user: { token: this.tokenFor(serviceAccount) } }],
      contexts: [{ name: 'chart-boot', context: { cluster: 'chart-boot', user: serviceAccount, namespace: this.store.namespace } }],
      'current-context': 'chart-boot',
    });
  }

  // ---- request handling ----

  private async handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'https://fake');
    const rec: KubeApiRequest = { verb: (req.method ?? 'GET').toLowerCase(), method: req.method ?? 'GET', path: url.pathname, status: 0 };
    const send = (status: number, body: unknown) => {
      rec.status = status;
      this.requests.push(rec);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      let raw = '';
      for await (const c of req) raw += c;
      // Non-resource paths open to everyone (as system:public-info-viewer allows).
      if (req.method === 'GET' && ['/healthz', '/readyz', '/livez'].includes(url.pathname)) {
        rec.status = 200;
        this.requests.push(rec);
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end('ok');
      }
      if (req.method === 'GET' && url.pathname === '/version')
        return send(200, { major: '1', minor: '33', gitVersion: 'v1.33.0-chart-boot', platform: 'linux/amd64' });

      const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
      const sa = auth ? this.tokens.get(auth[1]!.trim()) : undefined;
      if (!sa) throw new HttpError(401, 'Unauthorized', 'Unauthorized');
      rec.serviceAccount = sa;
      const fault = this.intercept?.({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        serviceAccount: sa,
        body: raw,
      });
      if (fault === 'hang') {
        rec.status = -1; // recorded as never answered
        this.requests.push(rec);
        return;
      }
      if (fault)
        return send(fault.status, fault.body ?? this.status(fault.status, 'InjectedFault', `injected by the test: ${fault.status}`));

      const attrs = this.attributes(req.method ?? 'GET', url);
      if (!attrs) throw new HttpError(404, 'NotFound', `the server could not find the requested resource (${req.method} ${url.pathname})`);
      rec.verb = attrs.verb;
      if (!this.allowed(sa, attrs)) {
        const user = `system:serviceaccount:${this.store.namespace}:${sa}`;
        const what = attrs.name ? `${attrs.resource} "${attrs.name}"` : attrs.resource;
        const where = attrs.namespace ? ` in the namespace "${attrs.namespace}"` : ' at the cluster scope';
        throw new HttpError(
          403,
          'Forbidden',
          `${what} is forbidden: User "${user}" cannot ${attrs.verb} resource "${attrs.resource}" in API group "${attrs.group}"${where}`,
          { ...(attrs.name ? { name: attrs.name } : {}), group: attrs.group, kind: attrs.plural },
        );
      }
      const { status, body } = this.serve(attrs, req, url, raw);
      send(status, body);
    } catch (e) {
      if (e instanceof HttpError) return send(e.code, this.status(e.code, e.reason, e.message, e.details));
      // A bug of the fake: say so, loudly, in the answer.
      send(500, this.status(500, 'InternalError', `chart-boot fake API: ${(e as Error).stack ?? String(e)}`));
    }
  }

  private status(code: number, reason: string, message: string, details?: object) {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
  }

  /** Path and method -> RBAC attributes; null for a path that is not an API resource. */
  private attributes(method: string, url: URL): Attributes | null {
    const m =
      /^\/api\/(v1)\/(?:namespaces\/([^/]+)\/)?([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/.exec(url.pathname) ??
      /^\/apis\/([^/]+\/[^/]+)\/(?:namespaces\/([^/]+)\/)?([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?$/.exec(url.pathname);
    if (!m) return null;
    const [group, version] = m[1]!.includes('/') ? (m[1]!.split('/') as [string, string]) : ['', m[1]!];
    const [, , namespace, plural, rawName, subresource] = m;
    const name = rawName && decodeURIComponent(rawName);
    const spec = RESOURCES[plural!];
    // `namespaces/<ns>` alone (GET /api/v1/namespaces/ticketcd) is the Namespace object.
    if (!spec && !(plural === 'namespaces' && group === '')) return null;
    if (spec && (spec.group !== group || spec.version !== version)) return null;
    const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    const verb =
      method === 'GET'
        ? watch
          ? 'watch'
          : name
            ? 'get'
            : 'list'
        : method === 'POST'
          ? 'create'
          : method === 'PUT'
            ? 'update'
            : method === 'PATCH'
              ? 'patch'
              : method === 'DELETE'
                ? name
                  ? 'delete'
                  : 'deletecollection'
                : method.toLowerCase();
    return {
      verb,
      group,
      version,
      plural: plural!,
      resource: subresource ? `${plural}/${subresource}` : plural!,
      subresource,
      namespace,
      name,
    };
  }

  /** RBAC: any rule of any Role/ClusterRole bound to the ServiceAccount allows the request. */
  private allowed(sa: string, a: Attributes): boolean {
    const ns = this.store.namespace;
    const subjectMatches = (bindingNs: string | undefined, subjects: { kind?: string; name?: string; namespace?: string }[] | undefined) =>
      (subjects ?? []).some(
        (s) =>
          (s.kind === 'ServiceAccount' && s.name === sa && (s.namespace ?? bindingNs) === ns) ||
          (s.kind === 'Group' && ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'].includes(s.name ?? '')),
      );
    const rulesOf = (ref: { kind?: string; name?: string } | undefined): PolicyRule[] => {
      if (!ref?.name) return [];
      if (ref.kind === 'Role') return (this.store.get('Role', ref.name)?.rules ?? []) as PolicyRule[];
      if (ref.kind === 'ClusterRole') return (this.store.get('ClusterRole', ref.name)?.rules ?? []) as PolicyRule[];
      return [];
    };
    const rules: PolicyRule[] = [];
    // A RoleBinding grants in its own namespace only (the store's); a ClusterRoleBinding everywhere.
    if (a.namespace === ns)
      for (const b of this.store.list('RoleBinding')) if (subjectMatches(ns, b.subjects)) rules.push(...rulesOf(b.roleRef));
    for (const b of this.store.list('ClusterRoleBinding'))
      if (subjectMatches(undefined, b.subjects) && b.roleRef?.kind === 'ClusterRole') rules.push(...rulesOf(b.roleRef));
    return rules.some((r) => ruleAllows(r, a));
  }

  /** The request after authorization. */
  private serve(a: Attributes, req: http.IncomingMessage, url: URL, raw: string): { status: number; body: unknown } {
    const ns = this.store.namespace;
    if (a.plural === 'namespaces') {
      if (a.verb !== 'get' || a.subresource || a.namespace)
        throw new HttpError(405, 'MethodNotAllowed', `${a.verb} namespaces is not served by the fake`);
      if (a.name !== ns) throw new HttpError(404, 'NotFound', `namespaces "${a.name}" not found`);
      return { status: 200, body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns }, status: { phase: 'Active' } } };
    }
    const spec = RESOURCES[a.plural]!;
    const notFound = () =>
      new HttpError(404, 'NotFound', `${a.plural}${spec.group ? `.${spec.group}` : ''} "${a.name}" not found`, {
        name: a.name,
        group: spec.group,
        kind: a.plural,
      });
    if (a.namespace === undefined)
      throw new HttpError(405, 'MethodNotAllowed', `cluster-wide ${a.verb} of ${a.plural} is not served by the fake`);
    if (a.namespace !== ns) {
      // Only the store's namespace exists.
      if (a.name || a.verb === 'create') throw new HttpError(404, 'NotFound', `namespaces "${a.namespace}" not found`);
      return { status: 200, body: this.listOf(spec, []) };
    }
    if (a.verb === 'watch') throw new HttpError(405, 'MethodNotAllowed', 'watch is not served by the chart-boot fake API');
    const body = (): K8sObject => {
      try {
        return JSON.parse(raw) as K8sObject;
      } catch {
        throw new HttpError(400, 'BadRequest', 'the request body is not JSON');
      }
    };
    const current = a.name ? this.store.get(spec.kind, a.name) : undefined;

    if (a.subresource) {
      if (a.subresource === 'scale' && SCALABLE.has(a.plural)) return this.scale(a, spec, current, req, body, notFound);
      if (a.subresource === 'status' && current) {
        if (a.verb === 'get') return { status: 200, body: this.out(current) };
        if (a.verb === 'patch' || a.verb === 'update') {
          const patched = a.verb === 'patch' ? (mergePatch(current, this.patchBody(req, body)) as K8sObject) : body();
          current.status = patched.status;
          return { status: 200, body: this.out(this.write(current)) };
        }
      }
      if (!current) throw notFound();
      throw new HttpError(405, 'MethodNotAllowed', `${a.verb} ${a.resource} is not served by the chart-boot fake API`);
    }

    switch (a.verb) {
      case 'get':
        if (!current) throw notFound();
        return { status: 200, body: this.out(current) };
      case 'list': {
        const ls = url.searchParams.get('labelSelector');
        const fs = url.searchParams.get('fieldSelector');
        const items = this.store
          .list(spec.kind)
          .filter((o) => (!ls || matchesLabelSelector(o.metadata.labels ?? {}, ls)) && (!fs || matchesFieldSelector(o, fs)));
        return {
          status: 200,
          body: this.listOf(
            spec,
            items.map((o) => this.out(o)),
          ),
        };
      }
      case 'create': {
        const o = body();
        if (o.kind !== spec.kind) throw new HttpError(400, 'BadRequest', `the body's kind ${o.kind} is not ${spec.kind}`);
        if (o.metadata?.namespace && o.metadata.namespace !== ns)
          throw new HttpError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
        o.metadata ??= { name: '' };
        if (!o.metadata.name && meta(o).generateName)
          o.metadata.name = `${meta(o).generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
        if (!o.metadata.name) throw new HttpError(422, 'Invalid', `${spec.kind} is invalid: metadata.name: Required value`);
        if (this.store.get(spec.kind, o.metadata.name))
          throw new HttpError(409, 'AlreadyExists', `${a.plural} "${o.metadata.name}" already exists`, {
            name: o.metadata.name,
            group: spec.group,
            kind: a.plural,
          });
        Object.assign(o.metadata, { uid: randomUUID(), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
        return { status: 201, body: this.out(this.write(o)) };
      }
      case 'update': {
        if (!current) throw notFound();
        const o = body();
        if (o.metadata?.name !== a.name)
          throw new HttpError(400, 'BadRequest', 'the name of the object does not match the name on the URL');
        const rv = meta(o).resourceVersion as string | undefined;
        if (rv && rv !== meta(current).resourceVersion)
          throw new HttpError(
            409,
            'Conflict',
            `Operation cannot be fulfilled on ${a.plural} "${a.name}": the object has been modified; please apply your changes to the latest version and try again`,
          );
        o.metadata = { ...o.metadata, uid: meta(current).uid, creationTimestamp: meta(current).creationTimestamp } as K8sObject['metadata'];
        return { status: 200, body: this.out(this.write(o)) };
      }
      case 'patch': {
        if (!current) throw notFound();
        const o = mergePatch(current, this.patchBody(req, body)) as K8sObject;
        o.metadata = { ...o.metadata, name: current.metadata.name, namespace: ns };
        return { status: 200, body: this.out(this.write(o)) };
      }
      case 'delete':
        if (!current) throw notFound();
        this.store.delete(spec.kind, a.name!);
        return {
          status: 200,
          body: {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Success',
            details: { name: a.name, group: spec.group, kind: a.plural, uid: meta(current).uid },
          },
        };
      default:
        throw new HttpError(405, 'MethodNotAllowed', `${a.verb} ${a.resource} is not served by the chart-boot fake API`);
    }
  }

  /** GET/PATCH/PUT of autoscaling/v1 Scale: spec.replicas of the Deployment or StatefulSet. */
  private scale(
    a: Attributes,
    spec: { group: string; kind: string },
    current: K8sObject | undefined,
    req: http.IncomingMessage,
    body: () => K8sObject,
    notFound: () => HttpError,
  ): { status: number; body: unknown } {
    if (!current) throw notFound();
    const scaleOf = (o: K8sObject) => ({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: o.metadata.name, namespace: this.store.namespace, uid: meta(o).uid, resourceVersion: meta(o).resourceVersion },
      // Kubernetes defaults replicas to 1.
      spec: { replicas: o.spec?.replicas ?? 1 },
      status: { replicas: o.status?.replicas ?? 0, selector: selectorString(o.spec?.selector?.matchLabels) },
    });
    if (a.verb === 'get') return { status: 200, body: scaleOf(current) };
    if (a.verb !== 'patch' && a.verb !== 'update') throw new HttpError(405, 'MethodNotAllowed', `${a.verb} ${a.resource} is not served`);
    const next =
      a.verb === 'patch' ? (mergePatch(scaleOf(current), this.patchBody(req, body)) as { spec?: { replicas?: unknown } }) : body();
    const replicas = (next as { spec?: { replicas?: unknown } }).spec?.replicas;
    if (!Number.isInteger(replicas) || (replicas as number) < 0)
      throw new HttpError(
        422,
        'Invalid',
        `Scale.autoscaling "${a.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
      );
    current.spec = { ...current.spec, replicas };
    return { status: 200, body: scaleOf(this.write(current)) };
  }

  /** The patch document; merge and strategic merge only (both applied as JSON merge patch). */
  private patchBody(req: http.IncomingMessage, body: () => K8sObject): unknown {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (type !== 'application/merge-patch+json' && type !== 'application/strategic-merge-patch+json')
      throw new HttpError(
        415,
        'UnsupportedMediaType',
        `the chart-boot fake API applies merge patches only, not ${type || 'no content type'}`,
      );
    return body();
  }

  /** Store a write: a new resourceVersion; a Secret's stringData merged into data (as the API server does). */
  private write(o: K8sObject): K8sObject {
    if (o.kind === 'Secret' && o.stringData) {
      o.data = { ...(o.data ?? {}) };
      for (const [k, v] of Object.entries(o.stringData as Record<string, string>)) o.data[k] = Buffer.from(v, 'utf8').toString('base64');
      delete o.stringData;
    }
    meta(o).resourceVersion = String(++this.resourceVersion);
    this.store.put(o);
    return this.store.get(o.kind, o.metadata.name)!;
  }

  /** An object as the API returns it: namespace set; a Secret's stringData (a rendered one may have it) in data. */
  private out(o: K8sObject): K8sObject {
    const r = structuredClone(o);
    if (!isClusterScoped(r.kind)) r.metadata.namespace = this.store.namespace;
    meta(r).resourceVersion ??= '1';
    if (r.kind === 'Secret' && r.stringData) {
      r.data = Object.fromEntries(
        Object.entries(this.store.secretData(r.metadata.name) ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      );
      delete r.stringData;
    }
    return r;
  }

  private listOf(spec: { group: string; version: string; kind: string }, items: K8sObject[]) {
    return {
      apiVersion: spec.group ? `${spec.group}/${spec.version}` : spec.version,
      kind: `${spec.kind}List`,
      metadata: { resourceVersion: String(this.resourceVersion) },
      items,
    };
  }
}

/** One RBAC rule against a request (Kubernetes' RuleAllows). */
export function ruleAllows(r: PolicyRule, a: Pick<Attributes, 'verb' | 'group' | 'resource' | 'plural' | 'subresource' | 'name'>): boolean {
  const has = (list: string[] | undefined, v: string) => (list ?? []).includes('*') || (list ?? []).includes(v);
  if (!has(r.verbs, a.verb)) return false;
  if (!has(r.apiGroups, a.group)) return false;
  const resources = r.resources ?? [];
  const resourceOk =
    resources.includes('*') || resources.includes(a.resource) || (a.subresource !== undefined && resources.includes(`*/${a.subresource}`));
  if (!resourceOk) return false;
  // resourceNames limit a rule to requests naming one of them; a request without a name (create,
  // list, deletecollection) never matches such a rule, as in Kubernetes.
  if (r.resourceNames?.length) return a.name !== undefined && r.resourceNames.includes(a.name);
  return true;
}
