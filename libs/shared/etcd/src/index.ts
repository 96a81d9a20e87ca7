export * from './client.js';
export * from './errors.js';
export * from './txn.js';
export * from './paging.js';
export * from './cluster.js';
export * from './leased-key.js';
export * from './watched-prefix.js';
export * from './group-commit.js';
