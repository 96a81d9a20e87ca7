export * from './process.js';
export * from './binaries.js';
export * from './ports.js';
export * from './etcd-cluster.js';
export * from './nats-server.js';
export * from './services.js';
export * from './stack.js';
export * from './control-server.js';
