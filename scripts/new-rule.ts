// Scaffolds a rule in one step, as Ruff's add_rule.py does: `npm run new-rule -- MOE016 my-rule-name`.
// Writes the rule (metadata as data, an empty check), its RuleTester file and registers it; then
// `npm run generate` writes its doc page. The TODOs make `npm test` fail until the rule is real:
// its doc example must fire and its "use instead" must not (test/docs.test.ts).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ALL_RULES } from '../src/core/rules/index';

const ROOT = resolve(import.meta.dirname, '..');
const [code, name] = process.argv.slice(2);

function fail(message: string): never {
  console.error(`new-rule: ${message}\nusage: npm run new-rule -- MOE0NN kebab-case-name`);
  process.exit(2);
}

if (!code || !/^MOE\d{3}$/.test(code)) fail('the first argument is the code, e.g. MOE016');
if (!name || !/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name)) fail('the second argument is the name in kebab-case, e.g. expert-count-not-divisible');
if (ALL_RULES.some((r) => r.code === code)) fail(`${code} is taken (codes are never reused)`);
if (ALL_RULES.some((r) => r.name === name)) fail(`the name ${name} is taken`);
const last = ALL_RULES[ALL_RULES.length - 1]!.code;
if (code <= last) fail(`codes are assigned in order: the next one after ${last}`);

const identifier = name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const file = `${code}-${name}`;
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const ruleText = `import type { RouterSpec } from '../model/router-spec';
import { allKnown, fieldRange } from './helpers';
import type { Rule, RuleContext } from './types';

export const ${identifier} = {
  code: '${code}',
  name: '${name}',
  category: 'structure',
  defaultSeverity: 'error',
  status: 'preview',
  since: '${version}',
  messages: {
    // TODO: what is wrong, in one sentence of at most 100 characters; {placeholders} come from \`data\`.
    found: 'TODO: \`{key}\` is {value}',
  },
  fix: { availability: 'none' },
  docs: {
    what: 'TODO: what the rule checks.',
    why: 'TODO: what goes wrong at launch or in training, and where the framework says so.',
    example: { dialect: 'python', code: 'TODO = MoEArgs(num_experts=8, top_k=2)\\n' },
    useInstead: { dialect: 'python', code: 'TODO = MoEArgs(num_experts=8, top_k=2)\\n' },
    references: ['TODO: the framework source this rests on, file and line at the commit read'],
  },
  /** Called for each router config of the file. */
  checkSpec(spec: RouterSpec, context: RuleContext) {
    // Rules assert only on known values: literal, resolved or a declaration's default.
    if (!allKnown(spec.topK)) return;
    // TODO: the condition; then
    // context.report({ messageId: 'found', data: { key: spec.keyNames.topK, value: spec.topK.value! }, range: fieldRange(spec, spec.topK) });
    void context;
    void fieldRange;
  },
} satisfies Rule;
`;

const testText = `import { ${identifier} } from '../../src/core/rules/${file}';
import { PLAIN_PY, runRuleTests } from '../rule-tester';

runRuleTests(${identifier}, {
  valid: [
    // TODO: the nearest correct configs stay quiet.
    { name: 'TODO: a correct config', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=8, top_k=2)\\n' },
  ],
  invalid: [
    // TODO: each way the rule fires, with the exact text it ranges over and the fix's output.
  ],
});
`;

const rulePath = join(ROOT, 'src/core/rules', `${file}.ts`);
const testPath = join(ROOT, 'test/rules', `${file}.test.ts`);
for (const path of [rulePath, testPath]) if (existsSync(path)) fail(`${path} exists`);
writeFileSync(rulePath, ruleText);
writeFileSync(testPath, testText);

const indexPath = join(ROOT, 'src/core/rules/index.ts');
const index = readFileSync(indexPath, 'utf8')
  .replace("import type { Rule } from './types';", `import { ${identifier} } from './${file}';\nimport type { Rule } from './types';`)
  .replace(/\n\];\n/, `\n  ${identifier},\n];\n`);
writeFileSync(indexPath, index);
console.log(`wrote ${rulePath}\nwrote ${testPath}\nregistered ${code} in src/core/rules/index.ts\nnext: fill the TODOs, then \`npm run generate\` (doc page, README table) and \`npm test\``);
