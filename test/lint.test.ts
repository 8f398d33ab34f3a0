import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixAll, lintText } from '../src/core/lint';
import { ProjectIndex } from '../src/core/project';
import { ALL_RULES, findRule } from '../src/core/rules/index';
import type { Rule } from '../src/core/rules/types';
import { applyEdits, LineIndex } from '../src/core/text/source';

const GPT = 'torchtitan/models/gpt_oss/__init__.py';
const BAD = 'gptoss_configs = {\n    "120b": MoEArgs(num_experts=128, top_k=8, score_func="softmx", load_balance_coeff=None),\n}\n';

describe('lint engine', () => {
  it('a name, path or value of any length keeps the message in one row (at most 100 characters; helper review Q)', () => {
    // A saved checkpoint's _name_or_path is a path (MOE018), a score function may be any string (MOE006).
    const qwen = JSON.stringify({ _name_or_path: '/mnt/shared/checkpoints/organization-name/Qwen3-30B-A3B-Instruct-2507-finetuned-sft-v3', model_type: 'qwen3_moe', vocab_size: 151936, hidden_size: 2048, num_hidden_layers: 24, num_attention_heads: 32, num_key_value_heads: 4, head_dim: 128, intermediate_size: 6144, moe_intermediate_size: 768, num_experts: 128, num_experts_per_tok: 8, norm_topk_prob: true, tie_word_embeddings: false });
    const sized = lintText('/w/ckpt/config.json', qwen).diagnostics.filter((d) => d.code === 'MOE018');
    assert.equal(sized.length, 2);
    for (const d of sized) {
      assert.ok(d.message.length <= 100 && d.message.startsWith('"Qwen3-30B-A3B'), d.message);
      assert.match(d.detail ?? '', /^The name is \/mnt\/shared\/checkpoints\/organization-name\/Qwen3-30B-A3B-Instruct-2507-finetuned-sft-v3\./);
    }
    const scored = lintText('/w/m/config.json', JSON.stringify({ model_type: 'deepseek_v3', n_routed_experts: 64, num_experts_per_tok: 6, n_group: 8, topk_group: 3, scoring_func: 'sigmoid_with_noaux_tc_bias_correction_v2_and_more' })).diagnostics.find((d) => d.code === 'MOE006')!;
    assert.ok(scored.message.length <= 100, scored.message);
    assert.match(scored.message, /^Unknown score function "sigmoid_with_noa…/);
  });

  it('reports a problem once where several configs share the line (flavors built by one builder)', () => {
    // pytorch/torchtitan deepseek_v4/__init__.py @91d5e3d: three flavors and their dict, one builder's score_func.
    const text = 'def build(n):\n    return MoEArgs(num_experts=n, top_k=2, score_func="softmx")\n\nflavors = {\n    "a": build(8),\n    "b": build(16),\n    "c": build(32),\n}\n';
    const found = lintText('flavors.py', text, new ProjectIndex()).diagnostics.filter((d) => d.code === 'MOE006');
    assert.equal(found.length, 1);
    assert.equal(text.slice(found[0]!.range.start, found[0]!.range.end), '"softmx"');
  });

  it('suppresses a code with a trailing comment on the same line', () => {
    const text = BAD.replace('load_balance_coeff=None),', 'load_balance_coeff=None),  # moe-lens: disable=MOE001');
    const codes = lintText(GPT, text).diagnostics.map((d) => d.code);
    assert.ok(!codes.includes('MOE001'));
    assert.ok(codes.includes('MOE006'));
  });

  it('a comment on its own line suppresses the next line; disable-file the whole file', () => {
    const nextLine = BAD.replace('    "120b"', '    # moe-lens: disable=MOE001,MOE006\n    "120b"');
    assert.deepEqual(lintText(GPT, nextLine).diagnostics.map((d) => d.code), []);
    const file = `# moe-lens: disable-file=MOE006\n${BAD}`;
    assert.deepEqual(lintText(GPT, file).diagnostics.map((d) => d.code), ['MOE001']);
  });

  it('a string that merely contains the marker does not suppress', () => {
    const text = `${BAD}note = "# moe-lens: disable-file"\n`;
    assert.ok(lintText(GPT, text).diagnostics.some((d) => d.code === 'MOE001'));
  });

  it('severity overrides change or silence a rule', () => {
    const result = lintText(GPT, BAD, undefined, { severities: { MOE001: 'warning', MOE006: 'off' } });
    assert.deepEqual(result.diagnostics.map((d) => [d.code, d.severity]), [['MOE001', 'warning']]);
  });

  it('a severity override by rule name wins over the severity a report picks', () => {
    const result = lintText(GPT, BAD, undefined, { severities: { 'published-model-mismatch': 'info', 'unknown-score-function': 'off' } });
    assert.deepEqual(result.diagnostics.map((d) => [d.code, d.severity]), [['MOE001', 'info']]);
  });

  it('a rule that throws is reported once and the others still run', () => {
    const broken: Rule = {
      code: 'MOE999', name: 'broken', category: 'structure', defaultSeverity: 'error', status: 'preview', since: '0', messages: { x: 'x' },
      fix: { availability: 'none' },
      docs: { what: '', why: '', example: { dialect: 'python', code: '' }, useInstead: { dialect: 'python', code: '' }, references: [] },
      check() { throw new Error('boom'); },
    };
    const errors: string[] = [];
    const result = lintText(GPT, BAD, undefined, { rules: [broken, ...ALL_RULES], onRuleError: (rule, e) => errors.push(`${rule.code}: ${(e as Error).message}`) });
    assert.deepEqual(errors, ['MOE999: boom']);
    assert.ok(result.diagnostics.some((d) => d.code === 'MOE001'));
  });

  it('a cancelled run stops between rules', () => {
    let checks = 0;
    const result = lintText(GPT, BAD, undefined, { isCancelled: () => ++checks > 2 });
    assert.ok(result.diagnostics.every((d) => ['MOE001'].includes(d.code)), 'only the first rule ran');
    assert.equal(checks, 3);
  });

  it('fix-all reaches a fixed point with only safe fixes', () => {
    const fixed = fixAll(GPT, BAD);
    // The misspelt score function is fixed; the published top-k changes the routing, an unsafe fix left to the user.
    assert.equal(fixed.text, 'gptoss_configs = {\n    "120b": MoEArgs(num_experts=128, top_k=8, score_func="softmax", load_balance_coeff=None),\n}\n');
    assert.ok(fixed.passes >= 1);
    assert.equal(fixAll(GPT, fixed.text).fixesApplied, 0);
  });

  it('the parse note for truncated JSON is located at the error', () => {
    const text = '{"model_type": "mixtral", "num_local_experts": 8,\n "num_experts_per_tok": ';
    const [note] = lintText('config.json', text).diagnostics;
    assert.equal(note!.code, 'MOE000');
    assert.equal(new LineIndex(text).positionAt(note!.range.start).line, 1);
  });
});

describe('text primitives', () => {
  it('LineIndex maps offsets both ways across LF, CRLF and CR', () => {
    const lines = new LineIndex('a\r\nbc\nd\re');
    assert.deepEqual(lines.positionAt(3), { line: 1, character: 0 });
    assert.deepEqual(lines.positionAt(8), { line: 3, character: 0 });
    assert.deepEqual(lines.positionAt(9), { line: 3, character: 1 });
    assert.equal(lines.offsetAt({ line: 2, character: 0 }), 6);
    assert.equal(lines.lineText(1), 'bc');
  });

  it('applyEdits skips overlapping and out-of-range edits', () => {
    const result = applyEdits('abcdef', [
      { range: { start: 1, end: 3 }, newText: 'X' },
      { range: { start: 2, end: 4 }, newText: 'Y' },
      { range: { start: 5, end: 99 }, newText: 'Z' },
    ]);
    assert.deepEqual(result, { text: 'aXdef', applied: 1, skipped: 2 });
  });
});

describe('rule statuses and redirects (issue #12)', () => {
  const TOO_MANY = 'moe = MoEArgs(num_experts=8, top_k=16, score_func="softmax")\n';
  // As if MOE003 had once been MOE900 ("top-k-too-large"): the old spellings keep working everywhere.
  const redirects = { MOE900: 'MOE003', 'top-k-too-large': 'MOE003' };
  const codes = (text: string, options: Parameters<typeof lintText>[3] = {}) => lintText('m.py', text, undefined, { redirects, ...options }).diagnostics.map((d) => d.code);

  it('an old code finds the rule it became, for settings, --rule and `moe-lens rule`', () => {
    assert.equal(findRule('MOE900', ALL_RULES, redirects)?.code, 'MOE003');
    assert.equal(findRule('moe900', ALL_RULES, redirects)?.code, 'MOE003');
    assert.equal(findRule('top-k-too-large', ALL_RULES, redirects)?.code, 'MOE003');
    assert.equal(findRule('MOE900'), undefined, 'no such redirect in the real registry');
    assert.ok(codes(TOO_MANY).includes('MOE003'));
    assert.ok(!codes(TOO_MANY, { severities: { MOE900: 'off' } }).includes('MOE003'), 'a severity under the old code applies');
    assert.ok(!codes(TOO_MANY.replace('\n', '  # moe-lens: disable=MOE900\n')).includes('MOE003'), 'a suppression under the old code applies');
  });

  it('a removed rule never runs; a deprecated one still does', () => {
    const rule = findRule('MOE003')!;
    assert.deepEqual(codes(TOO_MANY, { rules: [{ ...rule, status: 'removed' }] }), []);
    assert.deepEqual(codes(TOO_MANY, { rules: [{ ...rule, status: 'deprecated' }] }), ['MOE003']);
  });
});
