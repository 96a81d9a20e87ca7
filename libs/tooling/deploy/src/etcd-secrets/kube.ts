/**
 * Issue 29.2: SecretsApi over @kubernetes/client-node. In the pod: the service account's token
 * (in-cluster config); elsewhere KUBECONFIG or ~/.kube/config (the tests point it at a fake API
 * server on 127.0.0.1). Every call has a deadline: a hung API server fails the init container,
 * which the kubelet restarts, instead of hanging the Job.
 */
import { EtcdSecretsError, type SecretsApi } from './ensure.js';

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EtcdSecretsError(`${what}: no answer from the Kubernetes API within ${ms} ms`, 69)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const statusOf = (e: unknown): number | undefined => {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
};

function apiError(e: unknown, what: string): EtcdSecretsError {
  if (e instanceof EtcdSecretsError) return e;
  const code = statusOf(e);
  const hint = code === 403 ? ' (RBAC: the Job needs get and create on secrets in its namespace)' : '';
  return new EtcdSecretsError(`${what}: ${code ? `HTTP ${code}` : (e as Error).message.split('\n')[0]}${hint}`, 69);
}

/** `namespace`: where the Secrets live (empty: the kubeconfig context's, in a pod its own). */
export async function kubeSecretsApi(o: { namespace?: string; timeoutMs?: number } = {}): Promise<{ api: SecretsApi; namespace: string }> {
  // Loaded on use, as in etcd-member: only the programs that talk to the API need the client.
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  const namespace = o.namespace || kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const ms = o.timeoutMs ?? 10_000;
  const api: SecretsApi = {
    async read(name) {
      try {
        const s = await withDeadline(core.readNamespacedSecret({ name, namespace }), ms, `get secret ${namespace}/${name}`);
        return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
      } catch (e) {
        if (statusOf(e) === 404) return null;
        throw apiError(e, `get secret ${namespace}/${name}`);
      }
    },
    async create({ name, type, labels, data }) {
      const body = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace, labels },
        type,
        data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')])),
      };
      try {
        await withDeadline(core.createNamespacedSecret({ namespace, body }), ms, `create secret ${namespace}/${name}`);
        return 'created';
      } catch (e) {
        if (statusOf(e) === 409) return 'exists';
        throw apiError(e, `create secret ${namespace}/${name}`);
      }
    },
  };
  return { api, namespace };
}
