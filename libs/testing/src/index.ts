export * from './wait-for.js';
export * from './shared-cluster.js';
export * from './test-stack.js';
