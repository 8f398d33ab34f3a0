// Lint rules, including the layering invariants (ARCHITECTURE.md): `vscode` only in src/extension,
// no Node built-ins in src/core or src/webview (they must run in a browser too).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = ['node:*', 'fs', 'path', 'os', 'child_process', 'util', 'crypto', 'url', 'process'];

/** Each core layer and the modules it must not import (every layer above it). */
const LAYERS = [
  ['src/core/text/**/*.ts', ['model', 'references', 'parse', 'project', 'analyze', 'rules', 'suppressions', 'lint', 'inspect', 'hover', 'docs', 'router', 'protocol', 'preview']],
  ['src/core/model/**/*.ts', ['references', 'parse', 'project', 'analyze', 'rules', 'suppressions', 'lint', 'inspect', 'hover', 'docs', 'router', 'protocol', 'preview']],
  ['src/core/references/**/*.ts', ['parse', 'project', 'analyze', 'rules', 'suppressions', 'lint', 'inspect', 'hover', 'docs', 'router', 'protocol', 'preview']],
  ['src/core/parse/**/*.ts', ['project', 'analyze', 'rules', 'suppressions', 'lint', 'inspect', 'hover', 'docs', 'router', 'protocol', 'preview']],
  ['src/core/project.ts', ['analyze', 'rules', 'suppressions', 'lint', 'inspect', 'hover', 'docs', 'router', 'protocol', 'preview']],
  ['src/core/analyze.ts', ['rules', 'suppressions', 'lint', 'inspect', 'hover', 'docs', 'router', 'protocol', 'preview']],
  ['src/core/rules/**/*.ts', ['analyze', 'suppressions', 'lint', 'inspect', 'hover', 'docs', 'router', 'protocol', 'preview']],
  ['src/core/{suppressions,lint}.ts', ['inspect', 'hover', 'docs', 'router', 'protocol', 'preview']],
  ['src/core/router/**/*.ts', ['parse', 'project', 'analyze', 'rules', 'suppressions', 'lint', 'inspect', 'hover', 'docs', 'protocol', 'preview']],
  ['src/core/protocol.ts', ['parse', 'project', 'analyze', 'rules', 'suppressions', 'lint', 'inspect', 'hover', 'docs', 'preview']],
];

function coreLayers() {
  return LAYERS.map(([files, above]) => ({
    files: [files],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'The core is editor-independent.' }],
          patterns: [
            { group: NODE_BUILTINS, message: 'The core and the webview run in a browser too: no Node built-ins.' },
            { regex: `(^|/)(${above.join('|')})(/|$)`, message: 'This module sits in a lower layer of the core (ARCHITECTURE.md): data flows one way, up.' },
          ],
        },
      ],
    },
  }));
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'scratch/**', 'test-results/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Only src/extension talks to VS Code.' }] }],
    },
  },
  {
    files: ['src/core/**/*.ts', 'src/webview/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'The core is editor-independent.' }],
          patterns: [{ group: NODE_BUILTINS, message: 'The core and the webview run in a browser too: no Node built-ins.' }],
        },
      ],
    },
  },
  {
    files: ['src/extension/**/*.ts', 'test/e2e/**/*.ts', 'test/vscode/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  // The core's layers (ARCHITECTURE.md), lowest first: a module imports only from its own layer and those
  // below. A back arrow fails `npm run lint`, and so `npm test`.
  ...coreLayers(),
  {
    files: ['src/cli/commands/**/*.ts', 'src/cli/formats/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Only src/extension talks to VS Code.' }], patterns: [{ regex: '(^|/)main$', message: 'main runs the commands; a command does not reach back into it.' }] }],
    },
  },
  {
    files: ['scripts/**/*.mjs', 'bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', URL: 'readonly', fetch: 'readonly' } },
  },
);
