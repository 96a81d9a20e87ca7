export * from './dataset.js';
export * from './endpoints.js';
export * from './generate/index.js';
export * from './populate/plan.js';
export { passwordPool } from './populate/passwords.js';
export { BulkWriter, pack, type Unit } from './populate/bulk-writer.js';
