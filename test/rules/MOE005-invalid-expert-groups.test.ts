import { invalidExpertGroups } from '../../src/core/rules/MOE005-invalid-expert-groups';
import { IMPORT_MOE_ARGS, PLAIN_PY, TORCHTITAN_PROJECT, runRuleTests } from '../rule-tester';

runRuleTests(invalidExpertGroups, {
  valid: [
    // Ascend/MindSpeed-LLM examples/mcore/kimi2/pretrain_kimi2_18b_4k_8p_ptd.sh @c77308a l.59: one group limits nothing.
    { name: 'Megatron: one expert group without a selected count routes as it would ungrouped', file: 'kimi2.sh', code: 'torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 6 --moe-router-num-groups 1 --moe-router-score-function sigmoid\n' },
    { name: 'valid torchtitan groups', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=160, top_k=6, num_expert_groups=8, num_limited_groups=3)\n' },
    { name: 'valid HF groups', file: 'config.json', code: '{"model_type": "deepseek_v3", "n_routed_experts": 256, "num_experts_per_tok": 8, "n_group": 8, "topk_group": 4}' },
    // DS-007: without a gate bias (dim is not 7168) DeepSeek's inference gate scores a group by its max: one expert per group runs.
    // u-r-a-bot/NANO-KIMI-K2 config.py (and a DeepSeek inference JSON): DeepSeek's Gate groups only `if self.n_groups > 1`.
    { name: 'DeepSeek inference: one expert group without a selected count routes ungrouped', file: 'configs/config_16B.json', code: '{"dim": 2048, "n_routed_experts": 64, "n_activated_experts": 6, "n_expert_groups": 1, "score_func": "softmax"}' },
    { name: 'DeepSeek inference, one expert per group, no gate bias (dim 2048)', file: 'configs/config_16B.json', code: '{"dim": 2048, "n_routed_experts": 8, "n_activated_experts": 2, "n_expert_groups": 8, "n_limited_groups": 4, "score_func": "sigmoid"}' },
  ],
  invalid: [
    {
      name: 'DS-007: DeepSeek inference with a gate bias (dim 7168) and one expert per group',
      file: 'configs/config_671B.json',
      code: '{"dim": 7168, "n_routed_experts": 8, "n_activated_experts": 2, "n_expert_groups": 8, "n_limited_groups": 4, "score_func": "sigmoid"}',
      errors: [{ messageId: 'tooFewPerGroup', text: '8', includes: ["DeepSeek-V3's top-2 group score fails", 'DeepSeek-V3 inference takes the top 2 of each group (its gate has a bias when dim is 7168) and fails with "selected index k out of range".'] }],
      output: null,
    },
    {
      name: 'experts not divisible by groups, quoting torchtitan',
      file: PLAIN_PY,
      code: 'a = MoEArgs(num_experts=64, top_k=6, num_expert_groups=6, num_limited_groups=3)\n',
      errors: [{ messageId: 'notDivisible', text: '6', includes: ['`num_expert_groups`=6 does not divide 64 experts: torchtitan raises ValueError', 'ValueError("num_experts (64) must be divisible by num_expert_groups (6)")'] }],
      output: null,
    },
    {
      name: 'num_limited_groups missing',
      file: PLAIN_PY,
      project: TORCHTITAN_PROJECT,
      code: IMPORT_MOE_ARGS + 'a = MoEArgs(num_experts=64, top_k=6, num_expert_groups=8)\n',
      errors: [{ messageId: 'selectedMissing', includes: ['num_limited_groups must be set when num_expert_groups is set'] }],
      output: null,
    },
    {
      name: 'more selected groups than groups',
      file: PLAIN_PY,
      code: 'a = MoEArgs(num_experts=64, top_k=6, num_expert_groups=4, num_limited_groups=5)\n',
      errors: [{ messageId: 'selectedExceeds', text: '5', includes: ['`torch.topk` fails on the first batch', 'torchtitan does not check this; `torch.topk` fails with "selected index k out of range" on the first forward pass.'] }],
      output: null,
    },
    {
      name: 'one expert per group (torchtitan needs 2 for the top-2 group score)',
      file: PLAIN_PY,
      code: 'a = MoEArgs(num_experts=8, top_k=2, num_expert_groups=8, num_limited_groups=4)\n',
      errors: [{ messageId: 'tooFewPerGroup', includes: ['experts_per_group (1) must be >= 2'] }],
      output: null,
    },
    {
      name: 'HF groups not dividing the experts',
      file: 'config.json',
      code: '{"model_type": "deepseek_v3", "n_routed_experts": 100, "num_experts_per_tok": 8, "n_group": 8, "topk_group": 4}',
      errors: [{ messageId: 'notDivisible', text: '8', includes: ['the scores do not split into groups', 'view them as [-1, n_group, E // n_group] and raise', 'vLLM silently falls back to ungrouped routing', 'vLLM silently falls back', '"num_experts should be divisible by n_group"'] }],
      output: null,
    },
    {
      name: 'selected groups without a group count',
      file: PLAIN_PY,
      project: TORCHTITAN_PROJECT,
      code: IMPORT_MOE_ARGS + 'a = MoEArgs(num_experts=64, top_k=6, num_limited_groups=3)\n',
      errors: [{ messageId: 'countMissing', severity: 'warning' }],
      output: null,
    },
    {
      // Megatron raises at TransformerConfig init (transformer_config.py @d98e8a6 l.2675–2681).
      name: 'Megatron: a selected-group count without a group count is a launch error, quoted',
      file: 'train.sh',
      code: 'torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 6 --moe-router-group-topk 3\n',
      errors: [{ messageId: 'countMissing', severity: 'error', text: '3', includes: ['When using group limited routing, moe_router_num_groups must be specified.'] }],
      output: null,
    },
    {
      // ... whereas a group count alone is accepted: Megatron routes ungrouped, and asserts nothing about it.
      name: 'Megatron: a group count alone (even one that does not divide the experts) is a warning that it is ignored',
      file: 'train.sh',
      code: 'torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 6 --moe-router-num-groups 7\n',
      errors: [{ messageId: 'selectedMissing', severity: 'warning', text: '7', includes: ['Megatron accepts this and routes ungrouped'] }],
      output: null,
    },
    {
      name: 'zero groups',
      file: PLAIN_PY,
      code: 'a = MoEArgs(num_experts=64, top_k=6, num_expert_groups=0, num_limited_groups=1)\n',
      errors: [{ messageId: 'notPositive', text: '0' }],
      output: null,
    },
  ],
});
