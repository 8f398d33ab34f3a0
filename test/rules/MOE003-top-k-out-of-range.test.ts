import { topKOutOfRange } from '../../src/core/rules/MOE003-top-k-out-of-range';
import { PLAIN_PY, runRuleTests } from '../rule-tester';

runRuleTests(topKOutOfRange, {
  valid: [
    { name: 'top_k equal to the expert count', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=8, top_k=8)\n' },
    { name: 'HF top-k within experts', file: 'config.json', code: '{"model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 2}' },
    // The expert count is torchtitan's default, but torchtitan is not in the workspace: assumed, never asserted.
    { name: 'top_k above an assumed default expert count', file: PLAIN_PY, code: 'from torchtitan.models.moe import MoEArgs\na = MoEArgs(top_k=9)\n' },
    { name: 'top_k above an expert count that is a parameter nobody sets', file: PLAIN_PY, code: 'def build(n):\n    return MoEArgs(num_experts=n, top_k=9)\n' },
  ],
  invalid: [
    { name: 'top_k above num_experts in torchtitan', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=8, top_k=16)\n', errors: [{ messageId: 'aboveExperts', text: '16', includes: ['only 8 routed experts', '`torch.topk` fails with "selected index k out of range"'] }], output: null },
    { name: 'top_k above the default expert count (8, from MoEArgs)', file: PLAIN_PY, code: '@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    top_k: int = 1\n\na = MoEArgs(top_k=9, score_func="softmax")\n', errors: [{ messageId: 'aboveExperts', text: '9' }], output: null },
    { name: 'top_k of zero', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=8, top_k=0)\n', errors: [{ messageId: 'belowOne', text: '0' }], output: null },
    // transformers 5 saves qwen3_moe's expert count as num_local_experts (issue #9).
    { name: 'a transformers-5 qwen3_moe config with top-k above its experts', file: 'config.json', code: '{"model_type": "qwen3_moe", "num_local_experts": 128, "num_experts_per_tok": 200}', errors: [{ messageId: 'aboveExperts', text: '200' }], output: null },
    { name: 'HF num_experts_per_tok above num_local_experts', file: 'config.json', code: '{"model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 10}', errors: [{ messageId: 'aboveExperts', text: '10' }], output: null },
  ],
});
