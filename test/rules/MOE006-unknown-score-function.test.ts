import { unknownScoreFunction } from '../../src/core/rules/MOE006-unknown-score-function';
import { PLAIN_PY, runRuleTests } from '../rule-tester';

runRuleTests(unknownScoreFunction, {
  valid: [
    { name: 'softmax', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=8, top_k=2, score_func="softmax")\n' },
    { name: 'sigmoid in single quotes', file: PLAIN_PY, code: "a = MoEArgs(num_experts=8, top_k=2, score_func='sigmoid')\n" },
    { name: 'a variable is not checked', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=8, top_k=2, score_func=SCORE)\n' },
  ],
  invalid: [
    {
      name: 'misspelt softmax gets a did-you-mean fix',
      file: PLAIN_PY,
      code: 'a = MoEArgs(num_experts=8, top_k=2, score_func="softmx")\n',
      errors: [{ messageId: 'unknown', text: '"softmx"', includes: ['did you mean "softmax"', 'NotImplementedError'] }],
      output: 'a = MoEArgs(num_experts=8, top_k=2, score_func="softmax")\n',
    },
    {
      name: 'sqrtsoftplus is Megatron-only, and too far from any torchtitan name for a fix',
      file: PLAIN_PY,
      code: 'a = MoEArgs(num_experts=8, top_k=2, score_func="sqrtsoftplus")\n',
      errors: [{ messageId: 'unknown' }],
      output: null,
    },
    {
      name: 'HF DeepSeek scoring_func typo',
      file: 'config.json',
      code: '{"model_type": "deepseek_v3", "n_routed_experts": 256, "num_experts_per_tok": 8, "scoring_func": "sigmod"}',
      errors: [{ messageId: 'unknown', text: '"sigmod"', includes: ['transformers ignores it'] }],
      output: '{"model_type": "deepseek_v3", "n_routed_experts": 256, "num_experts_per_tok": 8, "scoring_func": "sigmoid"}',
    },
  ],
});
