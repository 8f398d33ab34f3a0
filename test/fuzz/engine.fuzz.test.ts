/**
 * Properties of the whole engine on hostile input: no exception escapes, each file analyses in bounded
 * time, every fix yields text that re-parses and does not re-trigger its own diagnostic, and fix-all
 * reaches a fixed point. Inputs: random text and bytes, truncations of every example at every offset,
 * mutations of the examples (huge/negative/NaN/inf numbers, duplicate keys, CRLF, BOM, unicode names),
 * deep nesting and 10k calls in one file.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { fixAll, lintText, safeFixFor } from '../../src/core/lint';
import { ProjectIndex } from '../../src/core/project';
import { applyEdits } from '../../src/core/text/source';
import { FUZZ_RUNS, FUZZ_SEED, timed, worst } from './fuzz-config';

const ROOT = resolve(import.meta.dirname, '..', '..');
const EXAMPLES: { file: string; text: string }[] = [];
const walk = (dir: string): void => {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full);
    else if (/\.(py|json|ya?ml|sh)$/.test(name)) EXAMPLES.push({ file: relative(ROOT, full), text: readFileSync(full, 'utf8') });
  }
};
walk(join(ROOT, 'examples'));
const KINDS = ['flavors.py', 'config.json', 'moe.yaml', 'train.sh'];
const options = { seed: FUZZ_SEED, numRuns: FUZZ_RUNS };
let cases = 0;

/** Lints, and checks every fix: its result lints without a crash and without the same finding at the same place. */
function checkFile(file: string, text: string, { everyFix = true } = {}): void {
  cases++;
  const project = new ProjectIndex();
  const { diagnostics } = timed(`lint ${file} (${text.length} chars)`, () => lintText(file, text, project, { onRuleError: (rule, error) => assert.fail(`${rule.code} threw: ${String(error)}`) }));
  for (const diagnostic of everyFix ? diagnostics : []) {
    for (const fix of diagnostic.fixes) {
      const local = fix.edits.filter((e) => e.file === undefined);
      if (local.length === 0) continue;
      const fixed = applyEdits(text, local).text;
      const again = timed(`re-lint after ${diagnostic.code} fix`, () => lintText(file, fixed, project)).diagnostics;
      if (fix.safety === 'safe') {
        assert.ok(!again.some((d) => d.code === 'MOE000' && !diagnostics.some((o) => o.code === 'MOE000')), `${diagnostic.code} fix "${fix.title}" broke parsing`);
        // The same finding may stand at several places (a duplicated key): the fix must remove one of them.
        const same = (list: readonly { code: string; message: string }[]) => list.filter((d) => d.code === diagnostic.code && d.message === diagnostic.message).length;
        assert.ok(same(again) < same(diagnostics), `${diagnostic.code} fix "${fix.title}" did not clear its diagnostic`);
      }
    }
  }
  if (diagnostics.some((d) => safeFixFor(d, file))) {
    const once = timed(`fix-all ${file}`, () => fixAll(file, text, project));
    const twice = fixAll(file, once.text, project);
    assert.equal(twice.fixesApplied, 0, `fix-all did not reach a fixed point for ${file}`);
  }
}

describe('engine fuzzing', { timeout: 600_000 }, () => {
  after(() => console.log(`# fuzz: ${cases} files analysed; worst ${worst.ms.toFixed(1)} ms (${worst.what})`));

  it('random text in every dialect', () => {
    fc.assert(fc.property(fc.constantFrom(...KINDS), fc.string({ unit: 'grapheme', maxLength: 400 }), (file, text) => checkFile(file, text)), options);
  });

  it('random bytes decoded as UTF-8', () => {
    fc.assert(fc.property(fc.constantFrom(...KINDS), fc.uint8Array({ maxLength: 600 }), (file, bytes) => checkFile(file, new TextDecoder().decode(bytes))), options);
  });

  it('every example truncated at every offset', () => {
    for (const { file, text } of EXAMPLES) {
      const step = Math.max(1, Math.floor(text.length / Math.max(1, Math.floor(FUZZ_RUNS / 2))));
      for (let end = 0; end <= text.length; end += step) checkFile(file, text.slice(0, end));
    }
  });

  const numberSpellings = fc.constantFrom('0', '-1', '-0.0', '1e309', '-1e309', '99999999999999999999999', '1_000', '0x10', '3.5', 'nan', 'NaN', 'Infinity', 'float("inf")', '"8"', 'True', 'None', 'null', '1e-320', '٣');
  it('examples with numbers replaced by huge, negative, NaN/inf and other spellings', () => {
    fc.assert(
      fc.property(fc.constantFrom(...EXAMPLES), fc.array(fc.tuple(fc.nat(), numberSpellings), { minLength: 1, maxLength: 6 }), ({ file, text }, replacements) => {
        const numbers = [...text.matchAll(/\b\d+(\.\d+)?\b/g)];
        let mutated = text;
        for (const [index, spelling] of replacements) {
          const match = numbers[index % Math.max(1, numbers.length)];
          if (!match) break;
          mutated = mutated.slice(0, match.index) + spelling + mutated.slice(match.index! + match[0].length);
          break; // offsets shift after one edit; one replacement per case keeps them valid
        }
        checkFile(file, mutated);
      }),
      options,
    );
  });

  it('examples with duplicated lines (duplicate keys and keywords), CRLF line ends and a BOM', () => {
    fc.assert(
      fc.property(fc.constantFrom(...EXAMPLES), fc.nat(), fc.boolean(), fc.boolean(), ({ file, text }, line, crlf, bom) => {
        const lines = text.split('\n');
        const at = line % lines.length;
        lines.splice(at, 0, lines[at]!);
        let mutated = lines.join(crlf ? '\r\n' : '\n');
        if (bom) mutated = `\ufeff${mutated}`;
        checkFile(file, mutated);
      }),
      options,
    );
  });

  it('launch scripts and YAML of shell syntax: expansions, arithmetic, arrays, quotes and placeholders in any order', () => {
    const atoms = ['$((', '))', '$(', '(', ')', '"', "'", ' ', '\n', '\\\n', '--num-experts ', '--moe-router-topk ', '--num-layers ', '8', '0', 'A', '=', 'A=4\n', '+', '*', '/', '%', '-', 'MODEL_ARGS=(', '${A}', '$A', 'torchrun pretrain_gpt.py ', 'NPUS_PER_NODE=8\n', '--use-checkpoint-args ', '--norm-topk-prob ', '--moe-router-load-balancing-type softmax_topk '];
    const script = fc.array(fc.constantFrom(...atoms), { maxLength: 80 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(script, (text) => {
        checkFile('train.sh', text);
        checkFile('model_config.yaml', `MODEL_ARGS:\n  --num-experts: ${JSON.stringify(text.slice(0, 40))}\n  --moe-router-topk: ${text.slice(0, 20).replace(/\n/g, ' ')}\n`);
      }),
      options,
    );
  });

  it('unicode identifiers and keys', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), fc.integer({ min: -5, max: 300 }), (name, k) => {
        const key = name.replace(/[\s"'\\()=,:#{}[\]]/g, '') || 'x';
        checkFile('m.py', `configs = {\n    "${key}": MoEArgs(num_experts=8, top_k=${k}, ${key.match(/^[\p{L}_][\p{L}\p{N}_]*$/u) ? `${key}=1, ` : ''}score_func="softmax"),\n}\n`);
        checkFile('config.json', `{"model_type": "mixtral", "${key}": ${k}, "num_local_experts": 8, "num_experts_per_tok": ${k}}`);
      }),
      options,
    );
  });

  it('deeply nested literals do not overflow the stack', () => {
    for (const depth of [1_000, 20_000]) {
      checkFile('deep.py', `x = MoEArgs(num_experts=8, top_k=${'['.repeat(depth)}${']'.repeat(depth)})\n`);
      checkFile('deep.py', `x = MoEArgs(num_experts=8, top_k=${'-'.repeat(depth)}1)\n`);
      checkFile('config.json', `{"model_type": "mixtral", "num_local_experts": ${'['.repeat(depth)}${']'.repeat(depth)}}`);
      checkFile('moe.yaml', `num_experts: ${'['.repeat(depth)}${']'.repeat(depth)}\nmoe_router_topk: 2\n`);
    }
  });

  it('10,000 MoE calls in one file analyse in bounded time', () => {
    const body = Array.from({ length: 10_000 }, (_, i) => `    "f${i}": MoEArgs(num_experts=${8 + (i % 4) * 8}, top_k=${1 + (i % 9)}, score_func="softmax", route_norm=True),`).join('\n');
    // One lint and fix-all to a fixed point (re-linting 850 KB once per fix would take minutes).
    checkFile('huge.py', `configs = {\n${body}\n}\n`, { everyFix: false });
  });
});
