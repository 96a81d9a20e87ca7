/**
 * Three tiers, one runner:
 *  unit         *.spec.ts next to the code: no I/O
 *  integration  *.int-spec.ts: real etcd x5 + nats-server -js (started once per run)
 *  e2e          *.e2e-spec.ts: service processes over HTTP against the real stack
 * ESM throughout (Nest 12 is ESM-only): run with --experimental-vm-modules (see package.json).
 */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
      keepClassNames: true,
    },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
];

const moduleNameMapper = {
  '^@ticketcd/(keys|config|contracts|etcd|messaging|observability|platform)$': '<rootDir>/libs/shared/$1/src/index.ts',
  '^@ticketcd/(stack|deploy|ticketctl)$': '<rootDir>/libs/tooling/$1/src/index.ts',
  '^@ticketcd/inventory-core$': '<rootDir>/libs/inventory/core/src/index.ts',
  '^@ticketcd/search-text$': '<rootDir>/libs/search/text/src/index.ts',
  '^@ticketcd/notifier-core$': '<rootDir>/libs/notifier/core/src/index.ts',
  '^@ticketcd/testing$': '<rootDir>/libs/testing/src/index.ts',
  '^(\\.{1,2}/.*)\\.js$': '$1',
};

const common = {
  rootDir: import.meta.dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper,
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{libs,services,test,bench}/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{libs,services,test}/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/global-setup.mjs',
      globalTeardown: '<rootDir>/libs/testing/global-teardown.mjs',
      slowTestThreshold: 30,
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/{libs,services,test}/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/global-setup.mjs',
      globalTeardown: '<rootDir>/libs/testing/global-teardown.mjs',
      slowTestThreshold: 60,
    },
  ],
};
