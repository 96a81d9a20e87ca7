/**
 * Issue 28.1: the desired member count. In the cluster it is the StatefulSet's spec.replicas,
 * read through the Kubernetes API (RBAC: get on that one StatefulSet); in the tests a file. Never
 * a value rendered into the pod template: then a change of replicaCount would restart every member.
 */
import fs from 'node:fs';

export type DesiredSource = { kind: 'file'; file: string } | { kind: 'statefulset'; name: string; namespace: string; timeoutMs: number };

/** The desired size, or null when it cannot be read now (the caller decides what that means). */
export async function readDesired(source: DesiredSource, log: (line: string) => void): Promise<number | null> {
  try {
    if (source.kind === 'file') {
      const n = Number(fs.readFileSync(source.file, 'utf8').trim());
      return Number.isInteger(n) && n > 0 ? n : null;
    }
    // Loaded on use: the API client is only needed in the cluster.
    const k8s = await import('@kubernetes/client-node');
    const kc = new k8s.KubeConfig();
    kc.loadFromCluster();
    const api = kc.makeApiClient(k8s.AppsV1Api);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${source.timeoutMs} ms`)), source.timeoutMs);
    });
    try {
      const sts = await Promise.race([api.readNamespacedStatefulSet({ name: source.name, namespace: source.namespace }), timeout]);
      const n = sts.spec?.replicas;
      return typeof n === 'number' ? n : null;
    } finally {
      clearTimeout(timer);
    }
  } catch (e) {
    const where = source.kind === 'file' ? source.file : `statefulset ${source.namespace}/${source.name}`;
    log(`cannot read the desired size from ${where}: ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
}
