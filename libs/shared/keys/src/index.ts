export * from './segments.js';
export * from './keys.js';
export * from './parse.js';
export * from './roles.js';
