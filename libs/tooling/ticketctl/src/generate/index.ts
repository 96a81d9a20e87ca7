// Placeholder until the generator lands (the generate helper owns this folder).
import type { Dataset } from '../dataset.js';

export interface DataConfig {
  seed?: number;
}
export function loadDataConfig(_file: string): DataConfig {
  throw new Error('generate: not built yet');
}
export function generateDataset(_config: DataConfig, _seed: number, _anchor?: string): Dataset {
  throw new Error('generate: not built yet');
}
