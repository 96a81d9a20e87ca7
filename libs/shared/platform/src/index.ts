export * from './tokens.js';
export * from './errors.js';
export * from './rpc.interceptor.js';
export * from './health.controller.js';
export * from './consumers.js';
export * from './lifecycle.service.js';
export * from './platform.module.js';
export * from './bootstrap.js';
