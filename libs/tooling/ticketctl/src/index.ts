export * from './dataset.js';
export * from './endpoints.js';
