// Writes the files generated from rule metadata: docs/rules/<code>-<name>.md and the README rules table.
// `--check` writes nothing and exits 1 when any of them is stale (run by the tests).
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderRuleMarkdown, renderRulesTable, ruleDocFileName } from '../src/core/docs/render';
import { ALL_RULES } from '../src/core/rules/index';
import { SETTINGS } from '../src/extension/settings';

const root = resolve(import.meta.dirname, '..');
const check = process.argv.includes('--check');
const stale: string[] = [];

function write(path: string, content: string): void {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === content) return;
  stale.push(path);
  if (!check) writeFileSync(path, content);
}

const docsDir = join(root, 'docs', 'rules');
if (!check) mkdirSync(docsDir, { recursive: true });
const wanted = new Set(ALL_RULES.map(ruleDocFileName));
for (const rule of ALL_RULES) write(join(docsDir, ruleDocFileName(rule)), renderRuleMarkdown(rule));
if (existsSync(docsDir)) {
  for (const name of readdirSync(docsDir)) {
    if (name.endsWith('.md') && !wanted.has(name)) {
      stale.push(join(docsDir, name));
      if (!check) unlinkSync(join(docsDir, name));
    }
  }
}

const readmePath = join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const start = '<!-- rules-table:start -->';
const end = '<!-- rules-table:end -->';
const [before, rest] = readme.split(start);
if (rest === undefined || !rest.includes(end)) throw new Error(`README.md lacks the ${start} … ${end} region`);
write(readmePath, `${before}${start}\n${renderRulesTable()}\n${end}${rest.split(end)[1]}`);

// package.json contributes.configuration comes from the settings table.
const manifestPath = join(root, 'package.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
manifest.contributes.configuration.properties = Object.fromEntries(
  SETTINGS.map((s) => [
    s.key,
    { type: s.type, default: s.default, scope: s.scope, description: s.description, ...(s.minimum !== undefined ? { minimum: s.minimum } : {}) },
  ]),
);
write(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);

if (stale.length > 0) {
  console.log(`${check ? 'stale' : 'wrote'}: ${stale.map((p) => p.replace(`${root}/`, '')).join(', ')}`);
  if (check) {
    console.log('run `npm run generate` and commit the result');
    process.exit(1);
  }
}
