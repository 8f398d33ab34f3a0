import { TORCHTITAN_PROJECT } from './rule-tester';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { lintText } from '../src/core/lint';
import { ProjectIndex } from '../src/core/project';
import { ALL_RULES } from '../src/core/rules/index';

const FILES: Record<string, string> = {
  json: 'model/config.json',
  yaml: 'conf/moe.yaml',
  shell: 'scripts/train.sh',
  python: 'torchtitan/models/gpt_oss/__init__.py',
  toml: 'torchtitan/models/gpt_oss/train_configs/job.toml',
};
const fileFor = (dialect: string): string => FILES[dialect]!;

/** A job file's example names flavor gpt_oss/120b: a checkout that has it (128 experts, top-4). */
const JOB_PROJECT = new ProjectIndex();
JOB_PROJECT.setText('torchtitan/models/moe/__init__.py', 'from dataclasses import dataclass\n\n@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    top_k: int = 1\n');
JOB_PROJECT.setText('torchtitan/models/gpt_oss/__init__.py', 'from ..moe import MoEArgs\n\nflavors = {\n    "120b": MoEArgs(num_experts=128, top_k=4),\n}\n');
const projectFor = (dialect: string): ProjectIndex => (dialect === 'toml' ? JOB_PROJECT : TORCHTITAN_PROJECT);

describe('rule docs', () => {
  it('codes are unique, sorted, MOE + three digits; names are kebab case', () => {
    const codes = ALL_RULES.map((r) => r.code);
    assert.deepEqual(codes, [...new Set(codes)].sort());
    for (const rule of ALL_RULES) {
      assert.match(rule.code, /^MOE\d{3}$/);
      assert.match(rule.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
      assert.ok(!/^(no|disallow|banned)-/.test(rule.name), `${rule.name} should name the pattern, not the ban`);
      // Fix titles and safety are metadata: declared exactly when the rule can fix (issue #12).
      const kinds = Object.keys(rule.fix.kinds ?? {});
      assert.equal(kinds.length > 0, rule.fix.availability !== 'none', `${rule.code}: fix kinds ${kinds.join(', ') || 'none'} vs availability ${rule.fix.availability}`);
      // One config at a time (checkSpec), or the file as a whole (check): exactly one of the two.
      assert.equal(Number(typeof rule.check === 'function') + Number(typeof rule.checkSpec === 'function'), 1, `${rule.code} implements check or checkSpec`);
    }
  });

  for (const rule of ALL_RULES) {
    it(`${rule.code}: has what / why / references and fix-safety notes for unsafe fixes`, () => {
      assert.ok(rule.docs.what.length > 40 && rule.docs.why.length > 40);
      assert.ok(rule.docs.references.length > 0);
      assert.ok(Object.keys(rule.messages).length > 0);
    });

    it(`${rule.code}: the Example fires and "Use instead" does not`, () => {
      // Python examples run as if torchtitan were checked out beside them, so an imported MoEArgs has defaults.
      const fired = lintText(fileFor(rule.docs.example.dialect), rule.docs.example.code, projectFor(rule.docs.example.dialect), { rules: [rule] }).diagnostics;
      assert.ok(fired.some((d) => d.code === rule.code), `example of ${rule.code} did not fire`);
      const quiet = lintText(fileFor(rule.docs.useInstead.dialect), rule.docs.useInstead.code, projectFor(rule.docs.useInstead.dialect), { rules: [rule] }).diagnostics;
      assert.deepEqual(quiet.filter((d) => d.code === rule.code).map((d) => d.message), []);
      if (fired.some((d) => d.fixes.some((f) => f.safety === 'unsafe'))) assert.ok(rule.docs.fixSafety, `${rule.code} has unsafe fixes but no Fix safety section`);
    });
  }

  it('generated docs/rules and the README rules table are current', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/generate.ts', '--check'], { cwd: resolve(import.meta.dirname, '..'), encoding: 'utf8' });
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });
});
