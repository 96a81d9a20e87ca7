export * from './etcd-auth.js';
export * from './roles-doc.js';
