/**
 * Issue 15, point 4: the plain manifests in k8s/ are rendered from the chart by
 * scripts/render-k8s.sh and must be current (a chart or k8s/values.yaml change without a re-render
 * fails here); every object in them is valid against the Kubernetes schemas (kubernetes-models);
 * they carry no Secret (no password in the repository); the kind config is 1 control plane + 3
 * workers with the ingress ports mapped.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { ROOT } from './ship-helpers.js';

const run = promisify(execFile);
const MANIFESTS = path.join(ROOT, 'k8s/ticketcd.yaml');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

const objects = parseAllDocuments(fs.readFileSync(MANIFESTS, 'utf8'))
  .map((d) => d.toJS() as K8sObject | null)
  .filter((o): o is K8sObject => o !== null);

/** Each object through its kubernetes-models class (e.g. apps/v1 Deployment); throws when invalid. */
async function validate(object: K8sObject): Promise<void> {
  const models = (await import(`kubernetes-models/${object.apiVersion}`)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = models[object.kind];
  if (!Model) throw new Error(`no kubernetes-models class for ${object.apiVersion} ${object.kind}`);
  new Model(object).validate();
}

describe('k8s/ (plain manifests)', () => {
  it('k8s/ticketcd.yaml is what scripts/render-k8s.sh renders now', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketcd-k8s-'));
    try {
      const out = path.join(dir, 'ticketcd.yaml');
      await run('bash', [path.join(ROOT, 'scripts/render-k8s.sh'), out], { cwd: ROOT });
      const fresh = fs.readFileSync(out, 'utf8');
      // not toBe on 2,000+ lines: say what to do
      expect(fresh === fs.readFileSync(MANIFESTS, 'utf8') ? 'current' : 'stale: run bash scripts/render-k8s.sh').toBe('current');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('every object is valid against the Kubernetes schemas (kubernetes-models)', async () => {
    expect(objects.length).toBeGreaterThan(20);
    const invalid: string[] = [];
    for (const object of objects) {
      try {
        await validate(object);
      } catch (err) {
        invalid.push(`${object.kind}/${object.metadata.name}: ${(err as Error).message}`);
      }
    }
    expect(invalid).toEqual([]);
  }, 30_000);

  it('has the workloads: five etcd members, NATS, a Deployment per service, the auth Job', () => {
    const names = (kind: string) => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name);
    expect(names('StatefulSet').sort()).toEqual(['ticketcd-etcd', 'ticketcd-nats']);
    const etcd = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'ticketcd-etcd') as unknown as {
      spec: { replicas: number };
    };
    expect(etcd.spec.replicas).toBe(5);
    expect(names('Deployment').sort()).toEqual(
      ['catalog', 'gateway', 'inventory', 'notifier', 'orders', 'search-indexer'].map((s) => `ticketcd-${s}`),
    );
    expect(names('Job')).toEqual([expect.stringMatching(/^ticketcd-etcd-auth-[0-9a-f]{10}$/)]);
  });

  it('carries no Secret and no password (users create them: k8s/README.md)', () => {
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const text = fs.readFileSync(MANIFESTS, 'utf8');
    expect(text).not.toMatch(/admin-dev-only/);
    // the Secrets the manifests refer to are the ones k8s/README.md tells users to create
    const readme = fs.readFileSync(path.join(ROOT, 'k8s/README.md'), 'utf8');
    for (const secret of ['ticketcd-admin', 'ticketcd-etcd-users', 'ticketcd-etcd-root']) {
      expect(text).toContain(`name: ${secret}`);
      expect(readme).toContain(secret);
    }
  });

  it('every image is pinned (no latest, no untagged image)', () => {
    const images = [...fs.readFileSync(MANIFESTS, 'utf8').matchAll(/^\s*image:\s*"?([^"\s]+)"?\s*$/gm)].map((m) => m[1]!);
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(image).toMatch(/^[^@]+:(?!latest$)[\w.-]+$|@sha256:/);
  });

  it('k8s/kind-cluster.yaml: a control plane with ports 80/443 for the ingress, and three workers', () => {
    const kind = parse(fs.readFileSync(path.join(ROOT, 'k8s/kind-cluster.yaml'), 'utf8')) as {
      kind: string;
      apiVersion: string;
      nodes: { role: string; extraPortMappings?: { containerPort: number; hostPort: number }[] }[];
    };
    expect(kind.kind).toBe('Cluster');
    expect(kind.apiVersion).toBe('kind.x-k8s.io/v1alpha4');
    expect(kind.nodes.map((n) => n.role)).toEqual(['control-plane', 'worker', 'worker', 'worker']);
    const ports = kind.nodes[0]!.extraPortMappings!.map((p) => [p.containerPort, p.hostPort]);
    expect(ports).toEqual([
      [80, 80],
      [443, 443],
    ]);
  });
});
