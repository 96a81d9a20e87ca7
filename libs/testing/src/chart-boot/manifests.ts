/**
 * Issue 30: the rendered chart (`helm template`, test hooks included) and the API objects of the
 * booted release (MemoryStore), which the controllers, the pods and the fake Kubernetes API share.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { K8sObject, ObjectStore } from './types.js';

const run = promisify(execFile);

/** The repository root (this file is libs/testing/{src,dist}/chart-boot/). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '../../../..');

let helmDir: Promise<string> | undefined;

/** The directory holding helm (scripts/k8s-tools.sh extracts it once; cached per process). */
export function helmBinDir(): Promise<string> {
  helmDir ??= run('bash', [path.join(REPO_ROOT, 'scripts/k8s-tools.sh')], { cwd: REPO_ROOT, timeout: 120_000 }).then(
    (r) => r.stdout.trim().split('\n').at(-1)!,
    (e: unknown) => {
      helmDir = undefined;
      throw new Error(`scripts/k8s-tools.sh failed: ${(e as { stderr?: string }).stderr || (e as Error).message}`);
    },
  );
  return helmDir;
}

export interface RenderOptions {
  /** Release name (default ticketcd). */
  release?: string;
  /** `--namespace` (default ticketcd). */
  namespace?: string;
  /** Values (as a values file). */
  values?: object;
  /** `--set` pairs. */
  set?: string[];
  /** The chart directory (default helm/ticketcd): a broken copy shows the boot test catches the break. */
  chart?: string;
}

/**
 * `helm template` parsed into objects, in the order helm prints them, empty documents dropped. Hooks
 * and the `helm test` Pod are included (helm template renders them; the Pod's kind is Pod).
 */
export async function renderChart(opts: RenderOptions = {}): Promise<K8sObject[]> {
  const helm = path.join(await helmBinDir(), 'helm');
  const args = ['template', opts.release ?? 'ticketcd', opts.chart ?? path.join(REPO_ROOT, 'helm/ticketcd')];
  args.push('--namespace', opts.namespace ?? 'ticketcd');
  let tmp: string | undefined;
  try {
    if (opts.values) {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chart-values-'));
      const file = path.join(tmp, 'values.json'); // JSON is YAML
      fs.writeFileSync(file, JSON.stringify(opts.values));
      args.push('-f', file);
    }
    for (const s of opts.set ?? []) args.push('--set', s);
    let stdout: string;
    try {
      ({ stdout } = await run(helm, args, { cwd: REPO_ROOT, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }));
    } catch (e) {
      throw new Error(`helm template failed: ${(e as { stderr?: string }).stderr || (e as Error).message}`);
    }
    return parseManifests(stdout);
  } finally {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Multi-document YAML -> objects; a document that is not an API object (no kind / name) is an error. */
export function parseManifests(text: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`invalid YAML in the render: ${doc.errors[0]!.message}`);
    const obj = doc.toJS() as K8sObject | null;
    if (obj === null || obj === undefined) continue;
    if (typeof obj !== 'object' || !obj.kind || !obj.apiVersion || !obj.metadata?.name)
      throw new Error(`not an API object in the render: ${JSON.stringify(obj).slice(0, 200)}`);
    out.push(obj);
  }
  return out;
}

/** Kinds without a namespace (they keep none in the store). */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'ClusterRole',
  'ClusterRoleBinding',
  'StorageClass',
  'PriorityClass',
  'CustomResourceDefinition',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'IngressClass',
]);

export const isClusterScoped = (kind: string): boolean => CLUSTER_SCOPED.has(kind);

/**
 * The objects of one namespace in memory. Objects are copied in and out (a caller that changes a
 * returned object changes nothing until it puts it back, as with a real API). A put fills in
 * metadata.namespace as the API server would; objects of another namespace are refused.
 */
export class MemoryStore implements ObjectStore {
  private readonly objects = new Map<string, K8sObject>();
  private readonly listeners = new Set<(kind: string, name: string) => void>();

  constructor(
    readonly namespace: string,
    objects: K8sObject[] = [],
  ) {
    for (const o of objects) this.put(o);
  }

  private static key(kind: string, name: string) {
    return `${kind}/${name}`;
  }

  get(kind: string, name: string): K8sObject | undefined {
    const o = this.objects.get(MemoryStore.key(kind, name));
    return o && structuredClone(o);
  }

  list(kind: string): K8sObject[] {
    return [...this.objects.values()].filter((o) => o.kind === kind).map((o) => structuredClone(o));
  }

  put(obj: K8sObject): void {
    if (!obj?.kind || !obj.metadata?.name) throw new Error(`MemoryStore.put: an object needs kind and metadata.name`);
    const o = structuredClone(obj);
    if (!isClusterScoped(o.kind)) {
      if (o.metadata.namespace && o.metadata.namespace !== this.namespace)
        throw new Error(
          `MemoryStore.put: ${o.kind} ${o.metadata.name} is in namespace ${o.metadata.namespace}, the store holds ${this.namespace}`,
        );
      o.metadata.namespace = this.namespace;
    }
    this.objects.set(MemoryStore.key(o.kind, o.metadata.name), o);
    this.emit(o.kind, o.metadata.name);
  }

  delete(kind: string, name: string): boolean {
    const had = this.objects.delete(MemoryStore.key(kind, name));
    if (had) this.emit(kind, name);
    return had;
  }

  onChange(listener: (kind: string, name: string) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Every listener is called even when one throws; the first error is then rethrown to the writer. */
  private emit(kind: string, name: string) {
    let first: unknown;
    for (const l of [...this.listeners]) {
      try {
        l(kind, name);
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }

  secretData(name: string): Record<string, string> | undefined {
    const s = this.objects.get(MemoryStore.key('Secret', name));
    if (!s) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries((s.data ?? {}) as Record<string, string>)) out[k] = Buffer.from(v, 'base64').toString('utf8');
    // stringData wins over data, as the API server merges it on write.
    Object.assign(out, (s.stringData ?? {}) as Record<string, string>);
    return out;
  }

  configMapData(name: string): Record<string, string> | undefined {
    const c = this.objects.get(MemoryStore.key('ConfigMap', name));
    if (!c) return undefined;
    const out: Record<string, string> = { ...((c.data ?? {}) as Record<string, string>) };
    for (const [k, v] of Object.entries((c.binaryData ?? {}) as Record<string, string>)) out[k] = Buffer.from(v, 'base64').toString('utf8');
    return out;
  }
}
