// Lint rules, including the layering invariants (ARCHITECTURE.md): `vscode` only in src/extension,
// no Node built-ins in src/core or src/webview (they must run in a browser too).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = ['node:*', 'fs', 'path', 'os', 'child_process', 'util', 'crypto', 'url', 'process'];

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
  {
    files: ['scripts/**/*.mjs', 'bin/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', URL: 'readonly', fetch: 'readonly' } },
  },
);
