export * from './decide.js';
export * from './purchase.store.js';
export * from './purchase.engine.js';
export * from './message-ids.js';
