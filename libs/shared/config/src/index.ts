export * from './config.js';
export { z } from 'zod';
