export * from './types.js';
export * from './network.js';
export * from './service-proxy.js';
