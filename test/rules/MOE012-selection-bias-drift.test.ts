import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lintText } from '../../src/core/lint';
import { selectionBiasDrift } from '../../src/core/rules/MOE012-selection-bias-drift';
import { DEEPSEEK_PY, GPT_OSS_PY, IMPORT_MOE_ARGS, TORCHTITAN_PROJECT, runRuleTests } from '../rule-tester';

const flavor = (args: string) => `gptoss_configs = {\n    "20b": MoEArgs(${args}),\n}\n`;

runRuleTests(selectionBiasDrift, {
  valid: [
    { name: 'bias turned off', file: GPT_OSS_PY, code: flavor('num_experts=32, top_k=4, score_func="softmax", route_norm=True, load_balance_coeff=None') },
    { name: 'DeepSeek-V3 publishes a selection bias', file: DEEPSEEK_PY, code: 'deepseekv3_args = {\n    "671B": MoEArgs(num_experts=256, top_k=8, num_expert_groups=8, num_limited_groups=4, score_func="sigmoid"),\n}\n' },
    { name: 'not a published model', file: GPT_OSS_PY, code: flavor('num_experts=8, top_k=4, score_func="softmax"').replace('"20b"', '"debugmodel"') },
  ],
  invalid: [
    {
      name: 'explicit load_balance_coeff on gpt-oss-20b',
      file: GPT_OSS_PY,
      code: flavor('num_experts=32, top_k=4, score_func="softmax", route_norm=True, load_balance_coeff=1e-3'),
      errors: [{ messageId: 'drift', text: '1e-3', severity: 'info', includes: ['gpt-oss-20b'] }],
      output: flavor('num_experts=32, top_k=4, score_func="softmax", route_norm=True, load_balance_coeff=None'),
    },
    {
      name: 'the default load_balance_coeff (1e-3) is on too',
      file: GPT_OSS_PY,
      project: TORCHTITAN_PROJECT,
      code: IMPORT_MOE_ARGS + flavor('num_experts=32, top_k=4, score_func="softmax", route_norm=True'),
      errors: [{ messageId: 'drift', text: 'MoEArgs', includes: ['defaults on (MoEArgs.load_balance_coeff)'] }],
      output: IMPORT_MOE_ARGS + flavor('num_experts=32, top_k=4, score_func="softmax", route_norm=True, load_balance_coeff=None'),
    },
  ],
});

describe('MOE012 message', () => {
  it('is one short sentence for the Problems row (≤ 100 characters); how the bias is learned and why it matters go to the detail', () => {
    const [finding] = lintText(GPT_OSS_PY, flavor('num_experts=32, top_k=4, score_func="softmax", route_norm=True, load_balance_coeff=1e-3')).diagnostics.filter((d) => d.code === 'MOE012');
    assert.ok(finding && finding.message.length <= 100, finding?.message);
    assert.match(finding.detail ?? '', /The bias is learned: `load_balance_coeff` is set\. During fine-tuning it moves every step/);
  });
});
