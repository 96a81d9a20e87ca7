export * from './types.js';
export * from './manifests.js';
export * from './kube-api.js';
