export * from './etcd-auth.js';
export * from './roles-doc.js';
export * from './snapshot-backup.js';
export * from './ordered-defrag.js';
