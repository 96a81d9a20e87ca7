export * from './images.js';
export * from './pod.js';
