export * from './wait-for.js';
export * from './shared-cluster.js';
export * from './test-stack.js';
export * from './fixtures.js';
export * from './rpc.js';
export type { Stack, ServiceProcess } from '@ticketcd/stack';
export * from './stack-clients.js';
export * from './pipeline.js';
export * from './chromium.js';
