import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';

/**
 * Module boundaries (docs/architecture.md):
 *  - a service depends only on libs, never on another service;
 *  - a lib depends only on libs (never on a service);
 *  - testing helpers and tooling may use libs; only tests use testing helpers;
 *  - cross-cutting tests of the shared libs live in test/ (their own project), so a lib's tests
 *    never make the lib depend on the testing helpers that depend on it.
 */
export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist/**', '**/node_modules/**', '.stack/**', '.nx/**', 'coverage/**', 'tmp/**', 'services/web/src/api/schema.gen.ts'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allowCircularSelfDependency: false,
          depConstraints: [
            { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib', 'type:testing'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib', 'type:tooling', 'type:testing'] },
            { sourceTag: 'type:tooling', onlyDependOnLibsWithTags: ['type:lib', 'type:tooling'] },
            // Domain libs (libs/<scope>/*) serve their own service only; shared libs serve all.
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            ...['gateway', 'catalog', 'inventory', 'orders', 'search-indexer', 'notifier'].map((s) => ({
              sourceTag: `scope:${s}`,
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:testing', `scope:${s}`],
            })),
            // The web UI runs in browsers and talks to the gateway over HTTP only; its browser tests use the test helpers.
            { sourceTag: 'type:web', onlyDependOnLibsWithTags: ['type:testing'] },
            { sourceTag: 'type:bench', onlyDependOnLibsWithTags: ['type:lib', 'type:tooling', 'type:testing'] },
            { sourceTag: 'type:test-suite', onlyDependOnLibsWithTags: ['type:lib', 'type:tooling', 'type:testing'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // One logger: pino (nestjs-pino's PinoLogger in Nest classes, @ticketcd/observability elsewhere).
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@nestjs/common',
              importNames: ['Logger', 'ConsoleLogger'],
              message: "log through pino (PinoLogger from nestjs-pino), not Nest's Logger",
            },
          ],
        },
      ],
    },
  },
  // The web UI: React's rules of hooks.
  {
    files: ['services/web/**/*.tsx', 'services/web/src/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@ticketcd/*'], message: 'the web UI imports no lib: it talks to the gateway over HTTP' }] },
      ],
    },
  },
  // Formatting is prettier's (npm run format); turn off the style rules that would fight it.
  prettier,
];
