export * from './etcd-auth.js';
export * from './roles-doc.js';
export * from './snapshot-backup.js';
export * from './ordered-defrag.js';
export * from './etcd-secrets/ensure.js';
export * from './etcd-secrets/args.js';
export * from './etcd-secrets/material.js';
export * from './etcd-secrets/kube.js';
export { readDesired, type DesiredSource } from './etcd-member/desired.js';
