export * from './types.js';
export * from './network.js';
export * from './service-proxy.js';
export * from './manifests.js';
export * from './kube-api.js';
export * from './images.js';
export * from './pod.js';
export * from './cluster.js';
