export * from './nats.js';
export * from './streams.js';
export * from './publisher.js';
export * from './consumer.js';
export * from './rpc.js';
export * from './failures.js';
export * from './parked.js';
