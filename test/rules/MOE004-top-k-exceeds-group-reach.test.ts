import { topKExceedsGroupReach } from '../../src/core/rules/MOE004-top-k-exceeds-group-reach';
import { PLAIN_PY, runRuleTests } from '../rule-tester';

runRuleTests(topKExceedsGroupReach, {
  valid: [
    { name: 'DeepSeek-V3 shape: 8 of 4 groups × 32 experts', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=256, top_k=8, num_expert_groups=8, num_limited_groups=4)\n' },
    { name: 'exactly the reachable count', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=64, top_k=8, num_expert_groups=8, num_limited_groups=1)\n' },
    { name: 'no groups', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=64, top_k=8)\n' },
  ],
  invalid: [
    {
      name: 'top_k above selected groups × experts per group',
      file: PLAIN_PY,
      code: 'a = MoEArgs(num_experts=64, top_k=9, num_expert_groups=8, num_limited_groups=1)\n',
      errors: [{ messageId: 'exceeds', text: '9', includes: ['but only 8 experts are reachable (1 of 8 groups × 8)', '= 8 reachable experts', '"top_k must be less than total number of experts in selected groups"'] }],
      output: null,
    },
    {
      name: 'HF n_group / topk_group',
      file: 'config.json',
      code: '{"model_type": "deepseek_v3", "n_routed_experts": 16, "num_experts_per_tok": 8, "n_group": 4, "topk_group": 1}',
      errors: [{ messageId: 'exceeds', text: '8' }],
      output: null,
    },
  ],
});
