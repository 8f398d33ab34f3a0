import { softmaxRenormEquivalence } from '../../src/core/rules/MOE010-softmax-renorm-equivalence';
import { IMPORT_MOE_ARGS, PLAIN_PY, TORCHTITAN_PROJECT, runRuleTests } from '../rule-tester';

runRuleTests(softmaxRenormEquivalence, {
  valid: [
    { name: 'sigmoid with route_norm', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=32, top_k=4, score_func="sigmoid", route_norm=True)\n' },
    { name: 'softmax without route_norm', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=32, top_k=4, score_func="softmax")\n' },
    { name: 'Mixtral renormalises implicitly; nothing written to hint at', file: 'config.json', code: '{"model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 2}' },
    // The same router spelled another way is information for the hover and `inspect` (issue #12), not a problem.
    {
      name: 'softmax + route_norm without selection bias (equivalent to GPT-OSS order: nothing to act on)',
      file: PLAIN_PY,
      project: TORCHTITAN_PROJECT,
      code: IMPORT_MOE_ARGS + 'a = MoEArgs(num_experts=32, top_k=4, score_func="softmax", route_norm=True, load_balance_coeff=None)\n',
    },
    { name: 'Qwen3 norm_topk_prob (a published config)', file: 'config.json', code: '{"model_type": "qwen3_moe", "num_experts": 128, "num_experts_per_tok": 8, "norm_topk_prob": true}' },
  ],
  invalid: [
    {
      name: 'softmax + route_norm with the default learned bias',
      file: PLAIN_PY,
      project: TORCHTITAN_PROJECT,
      code: IMPORT_MOE_ARGS + 'a = MoEArgs(num_experts=32, top_k=4, score_func="softmax", route_norm=True)\n',
      errors: [{ messageId: 'equivalentUntilBias', includes: ['`load_balance_coeff` updates it, the chosen experts differ', 'matches GPT-OSS\'s order only while the learned bias is zero'], severity: 'info' }],
      output: null,
    },
  ],
});
