export * from './envelope.js';
export * from './errors.js';
export * from './schemas.js';
export * from './events.js';
export * from './rpc.js';
export * from './headers.js';
export * from './records.js';
export * from './listing.js';
