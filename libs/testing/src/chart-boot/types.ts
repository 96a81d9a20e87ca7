/**
 * Issue 30: booting the rendered chart as processes. The contracts between the parts:
 *  - manifests.ts   render the chart (helm template) and keep the API objects (ObjectStore)
 *  - kube-api.ts    a Kubernetes API over HTTPS for the pods that call it, with RBAC from the
 *                   rendered Roles (FakeKubeApi)
 *  - network.ts     one network namespace per pod on a bridge, /etc/netns/<ns>/hosts, Service
 *                   addresses (ClusterNetwork)
 *  - service-proxy.ts  kube-proxy: a Service address forwards to its ready endpoints (ServiceProxy)
 *  - images.ts      image -> local command and workdir (the Dockerfile's stages; etcd, nats-server)
 *  - pod.ts         one pod: volumes, env, init containers, containers, probes, lifecycle (PodRuntime)
 *  - cluster.ts     controllers: Jobs, StatefulSets, Deployments, Services' endpoints (BootCluster)
 */
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';

export type { IContainer, IPodSpec };

/** Any API object as rendered (loosely typed: the parts read what they need). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [field: string]: any;
}

/** The API objects of the booted release, by kind and name (one namespace). */
export interface ObjectStore {
  readonly namespace: string;
  get(kind: string, name: string): K8sObject | undefined;
  list(kind: string): K8sObject[];
  /** Create or replace. */
  put(obj: K8sObject): void;
  delete(kind: string, name: string): boolean;
  /** Called after every put or delete. Returns the unsubscribe. */
  onChange(listener: (kind: string, name: string) => void): () => void;
  /** A Secret's data decoded (data base64 + stringData), or undefined when absent. */
  secretData(name: string): Record<string, string> | undefined;
  /** A ConfigMap's data, or undefined when absent. */
  configMapData(name: string): Record<string, string> | undefined;
}

/** A pod's place on the network. */
export interface PodNetwork {
  /** `ip netns` name. */
  ns: string;
  /** The pod IP (a new one for every pod, as a rescheduled pod gets). */
  ip: string;
}

/** What a pod needs from the image it names: the command line when the pod gives none. */
export interface ImageEntry {
  /** ENTRYPOINT + CMD as Kubernetes combines them with the container's command/args. */
  entrypoint: string[];
  cmd: string[];
  /** The image's WORKDIR mapped to a local directory (the repo root for the project's images). */
  workdir: string;
}

export interface ImageResolver {
  /** null: no local program for this image (the container is reported as not run). */
  entry(image: string): ImageEntry | null;
  /** A program path as the image has it (e.g. /usr/local/bin/etcd) -> the local one. */
  program(path: string): string;
}

/** What the pod runtime is given by the controller that made the pod. */
export interface PodContext {
  name: string;
  namespace: string;
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: IPodSpec;
  network: PodNetwork;
  store: ObjectStore;
  images: ImageResolver;
  /** Where the pod's files live: emptyDirs, written volumes, logs (removed with the pod). */
  runDir: string;
  /** A PersistentVolumeClaim's directory (outlives the pod; `<template>-<pod>` for StatefulSets). */
  claimDir(claimName: string): string;
  /** The projected service account token and the API's CA, for `kube-api`-style volumes. */
  serviceAccountToken(serviceAccount: string): string;
  /** KUBERNETES_SERVICE_HOST / _PORT as the kubelet sets them. */
  kubernetesEnv: Record<string, string>;
  /** The directory of the node the pods run (default: this process's; see BootCluster's app root). */
  nodeDir?: string;
  log(line: string): void;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Terminating' | 'Gone';

export interface ContainerStatus {
  name: string;
  init: boolean;
  /** Not run: the image has no local program (e.g. a metrics exporter). */
  skipped?: string;
  state: 'waiting' | 'running' | 'terminated';
  started: boolean;
  ready: boolean;
  restarts: number;
  lastExitCode?: number;
  /** Why it was last restarted or why it is waiting (probe failure, exit code, missing Secret). */
  reason?: string;
}
