export {
  anchorMs,
  dataConfigSchema,
  DataConfigError,
  loadDataConfig,
  parseDataConfig,
  parseDataConfigYaml,
  todayUtcMidnight,
  type DataConfig,
  type DataConfigInput,
} from './config.js';
export { datasetSummary, generateDataset } from './generator.js';
export { resolveAnchor, resolveSeed } from './resolve.js';
