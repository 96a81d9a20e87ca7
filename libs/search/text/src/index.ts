export * from './tokenizer.js';
export * from './postings.js';
