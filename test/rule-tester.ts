/**
 * ESLint-style rule tester: `valid` snippets must not fire; each `invalid` case lists the expected
 * message ids (and optionally the flagged text); when the rule offers a fix, the case must give the
 * `output` after applying it, and re-linting that output must be clean for this rule.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lintText } from '../src/core/lint';
import { ProjectIndex } from '../src/core/project';
import type { Diagnostic, Rule } from '../src/core/rules/types';
import { applyEdits } from '../src/core/text/source';

/** The longest message a diagnostic may have: what is wrong, in one Problems row (issue #12). */
export const MESSAGE_LIMIT = 100;

export interface ValidCase {
  readonly name: string;
  readonly file: string;
  readonly code: string;
  readonly project?: ProjectIndex;
}

export interface ExpectedError {
  readonly messageId: string;
  /** The exact text the diagnostic's range covers. */
  readonly text?: string;
  readonly severity?: Diagnostic['severity'];
  /** Substrings the rendered message must contain. */
  readonly includes?: readonly string[];
  /** Text the message and its detail must not hold (a claim the rule must not make here). */
  readonly excludes?: readonly string[];
}

export interface InvalidCase extends ValidCase {
  readonly errors: readonly ExpectedError[];
  /** Text after applying each diagnostic's first fix (the preferred one when marked); null: no fix offered. */
  readonly output: string | null;
  /** Fix to apply by title substring, when not the first. */
  readonly fixTitle?: string;
}

export function runRuleTests(rule: Rule, cases: { valid: readonly ValidCase[]; invalid: readonly InvalidCase[] }): void {
  const names = new Set<string>();
  for (const c of [...cases.valid, ...cases.invalid]) {
    assert.ok(!names.has(c.name), `duplicate case name: ${c.name}`);
    names.add(c.name);
  }
  const lint = (c: ValidCase, code: string) => lintText(c.file, code, c.project ?? new ProjectIndex(), { rules: [rule], onRuleError: (_r, e) => { throw e; } }).diagnostics.filter((d) => d.code === rule.code);

  describe(`${rule.code} ${rule.name}`, () => {
    for (const c of cases.valid) {
      it(`stays quiet: ${c.name}`, () => {
        const found = lint(c, c.code);
        assert.deepEqual(found.map((d) => d.message), []);
      });
    }
    for (const c of cases.invalid) {
      it(`fires: ${c.name}`, () => {
        const found = lint(c, c.code);
        assert.deepEqual(found.map((d) => d.messageId), c.errors.map((e) => e.messageId), found.map((d) => d.message).join('\n'));
        found.forEach((diagnostic, i) => {
          const expected = c.errors[i]!;
          if (expected.text !== undefined) assert.equal(c.code.slice(diagnostic.range.start, diagnostic.range.end), expected.text);
          if (expected.severity) assert.equal(diagnostic.severity, expected.severity);
          const said = `${diagnostic.message} ${diagnostic.detail ?? ''}`;
          for (const part of expected.includes ?? []) assert.ok(said.includes(part), `message "${said}" lacks "${part}"`);
          for (const part of expected.excludes ?? []) assert.ok(!said.includes(part), `message "${said}" says "${part}"`);
          assert.ok(!diagnostic.message.match(/\{\w+\}/), `unfilled placeholder in "${diagnostic.message}"`);
          // Issue #12: the Problems row shows the message; what is wrong fits in 100 characters, the evidence and
          // the framework's own words go to the detail (the hover, `--format json`, SARIF).
          assert.ok(diagnostic.message.length <= MESSAGE_LIMIT, `message of ${diagnostic.message.length} characters (at most ${MESSAGE_LIMIT}): "${diagnostic.message}"`);
          if (rule.fix.availability === 'none') assert.equal(diagnostic.fixes.length, 0, 'rule declares no fix but reported one');
          if (rule.fix.availability === 'always') assert.ok(diagnostic.fixes.length > 0, 'rule declares a fix always but reported none');
        });
        const withFixes = found.filter((d) => d.fixes.length > 0);
        if (c.output === null) {
          assert.equal(withFixes.length, 0, 'a fix was offered but the case gives no output');
          return;
        }
        assert.ok(withFixes.length > 0, 'the case gives an output but no fix was offered');
        const edits = withFixes.flatMap((d) => {
          const fix = c.fixTitle ? d.fixes.find((f) => f.title.includes(c.fixTitle!)) : d.fixes.find((f) => f.preferred) ?? d.fixes[0];
          assert.ok(fix, `no fix titled like "${c.fixTitle}"`);
          return fix.edits.filter((e) => e.file === undefined);
        });
        const fixed = applyEdits(c.code, edits).text;
        assert.equal(fixed, c.output);
        const again = lint(c, fixed).filter((d) => withFixes.some((w) => w.messageId === d.messageId));
        assert.deepEqual(again.map((d) => d.message), [], 'the fix did not make the diagnostic go away');
      });
    }
  });
}

/** A path that makes the torchtitan parser see a gpt-oss flavor file. */
export const GPT_OSS_PY = 'torchtitan/models/gpt_oss/__init__.py';
export const DEEPSEEK_PY = 'torchtitan/models/deepseek_v3/__init__.py';
export const PLAIN_PY = 'configs/moe.py';

/**
 * torchtitan's `MoEArgs` as a workspace module (moe.py @238fa99 lines 21–41), for cases whose finding rests on
 * a default: a rule asserts on a default only when the import names a class the workspace holds.
 */
export const TORCHTITAN_PROJECT = new ProjectIndex();
TORCHTITAN_PROJECT.setText(
  'torchtitan/models/moe/__init__.py',
  [
    'from dataclasses import dataclass',
    '',
    '',
    '@dataclass',
    'class MoEArgs:',
    '    num_experts: int = 8',
    '    num_shared_experts: int = 1',
    '    score_func: Literal["softmax", "sigmoid"] = "sigmoid"',
    '    route_norm: bool = False',
    '    route_scale: float = 1.0',
    '    gate_bias: bool = False',
    '    score_before_experts: bool = True',
    '    top_k: int = 1',
    '    num_expert_groups: int | None = None',
    '    num_limited_groups: int | None = None',
    '    use_grouped_mm: bool = True',
    '    load_balance_coeff: float | None = 1e-3',
    '    _debug_force_load_balance: bool = False',
    '',
  ].join('\n'),
);
/** The import that makes `MoEArgs` in a case mean the class above. */
export const IMPORT_MOE_ARGS = 'from torchtitan.models.moe import MoEArgs\n';
