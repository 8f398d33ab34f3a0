import { normalizedTop1 } from '../../src/core/rules/MOE011-normalized-top1';
import { PLAIN_PY, runRuleTests } from '../rule-tester';

runRuleTests(normalizedTop1, {
  valid: [
    { name: 'top-1 without route_norm', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=16, top_k=1, route_norm=False)\n' },
    { name: 'top-2 with route_norm', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=16, top_k=2, route_norm=True)\n' },
  ],
  invalid: [
    {
      name: 'route_norm with top_k 1',
      file: PLAIN_PY,
      code: 'a = MoEArgs(num_experts=16, top_k=1, score_func="sigmoid", route_norm=True)\n',
      errors: [{ messageId: 'allOnes', text: 'True', severity: 'info', includes: ['makes every weight 1', 'divides it by itself'] }],
      output: 'a = MoEArgs(num_experts=16, top_k=1, score_func="sigmoid", route_norm=False)\n',
    },
    {
      name: 'HF norm_topk_prob with one expert per token',
      file: 'config.json',
      code: '{"model_type": "qwen3_moe", "num_experts": 16, "num_experts_per_tok": 1, "norm_topk_prob": true}',
      errors: [{ messageId: 'allOnes', text: 'true' }],
      output: '{"model_type": "qwen3_moe", "num_experts": 16, "num_experts_per_tok": 1, "norm_topk_prob": false}',
    },
  ],
});
