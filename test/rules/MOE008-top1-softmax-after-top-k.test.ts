import { top1SoftmaxAfterTopK } from '../../src/core/rules/MOE008-top1-softmax-after-top-k';
import { PLAIN_PY, runRuleTests } from '../rule-tester';

runRuleTests(top1SoftmaxAfterTopK, {
  valid: [
    { name: 'top-1 with softmax before top-k', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=16, top_k=1, score_func="softmax")\n' },
    { name: 'top-2 after top-k', file: PLAIN_PY, code: 'a = MoEArgs(num_experts=16, top_k=2, score_func="softmax", topk_before_score=True)\n' },
    {
      name: 'Megatron top-1 without the score function or pre-softmax, in a launch that passes $EXTRA_ARGS (which may set either)',
      file: 'train.sh',
      code: 'torchrun pretrain_gpt.py --num-layers 48 --hidden-size 5120 --num-experts 16 --moe-router-topk 1 $EXTRA_ARGS\n',
    },
    // Megatron-LM's own functional test gpt3_mcore_tp2_pp2_ep2_te_4experts2parallel runs this (census MEG-057 exempts sinkhorn).
    { name: 'Megatron top-1 post-softmax with sinkhorn load balancing', file: 'moe.yaml', code: 'MODEL_ARGS:\n  --num-experts: 4\n  --moe-router-topk: 1\n  --moe-router-load-balancing-type: sinkhorn\n' },
    // NVIDIA/NeMo @8cfedd7 nemo/collections/diffusion/models/model.py l.281-290 (trimmed): `expert_choice` is Megatron-LM's
    // cosmos branch's (router.py l.168-190: a softmax over all experts, each expert picks tokens), not d98e8a6's.
    {
      name: "a load-balancing type of another Megatron (expert_choice): its router is not Megatron-LM's, top-1 or not",
      file: 'model.py',
      code: 'from dataclasses import dataclass\n\nfrom megatron.core.transformer.transformer_config import TransformerConfig\n\n\n@dataclass\nclass ECDiTConfig(TransformerConfig):\n    moe_router_load_balancing_type: str = "expert_choice"\n    moe_router_topk: int = 1\n    num_moe_experts: int = 64\n',
    },
    { name: 'Llama 4 top-1 uses sigmoid after top-k', file: 'config.json', code: '{"model_type": "llama4", "text_config": {"num_local_experts": 16, "num_experts_per_tok": 1}}' },
  ],
  invalid: [
    {
      name: 'torchtitan top-1 with topk_before_score and softmax',
      file: PLAIN_PY,
      code: 'a = MoEArgs(num_experts=16, top_k=1, score_func="softmax", topk_before_score=True)\n',
      errors: [{ messageId: 'zeroGradient', text: '1', severity: 'warning', includes: ['`top_k` is 1 with softmax after top-k: the router weight gets zero gradient', 'With softmax after top-k (torchtitan), softmax over one logit is always 1, so the router weight gets zero gradient.'] }],
      output: 'a = MoEArgs(num_experts=16, top_k=1, score_func="softmax", topk_before_score=False)\n',
    },
    {
      name: 'HF gpt-oss with one expert per token',
      file: 'config.json',
      code: '{"model_type": "gpt_oss", "num_local_experts": 32, "num_experts_per_tok": 1}',
      errors: [{ messageId: 'zeroGradient', text: '1' }],
      output: null,
    },
    {
      name: 'Megatron top-1 post-softmax with aux-loss balancing (test-config spelling)',
      file: 'moe.yaml',
      code: 'MODEL_ARGS:\n  --num-experts: 4\n  --moe-router-topk: 1\n  --moe-router-load-balancing-type: aux_loss\n',
      errors: [{ messageId: 'zeroGradient', text: '1', severity: 'error' }],
      output: null,
    },
    // alibaba/Pai-Megatron-Patch examples/llama2/run_pretrain_mcore_llama.sh l.5-6 (trimmed): it runs
    // Megatron-LM-240126 (@3709708a), older than the ValueError (5153efe, 2024-07-25), which trains it silently.
    {
      name: 'a launch of a Megatron-LM older than the check (Pai-Megatron-Patch Megatron-LM-240126): a warning, no ValueError',
      file: 'run_pretrain_mcore_llama.sh',
      code: 'MEGATRON_PATH=${MEGATRON_PATCH_PATH}/Megatron-LM-240126\nexport PYTHONPATH=${MEGATRON_PATH}:${MEGATRON_PATCH_PATH}:$PYTHONPATH\ntorchrun pretrain_gpt.py --num-experts 8 --moe-router-topk 1\n',
      errors: [{ messageId: 'zeroGradient', text: '1', severity: 'warning', excludes: ['ValueError'], includes: ['predates the check Megatron-LM added in 5153efe (2024-07-25)'] }],
      output: null,
    },
    {
      name: 'a launch of a Megatron-LM with the check (Megatron-LM-240801): Megatron raises ValueError',
      file: 'run_pretrain_mcore_llama.sh',
      code: 'MEGATRON_PATH=${MEGATRON_PATCH_PATH}/Megatron-LM-240801\nexport PYTHONPATH=${MEGATRON_PATH}:${MEGATRON_PATCH_PATH}:$PYTHONPATH\ntorchrun pretrain_gpt.py --num-experts 8 --moe-router-topk 1\n',
      errors: [{ messageId: 'zeroGradient', text: '1', severity: 'error', includes: ['`--moe-router-topk` is 1 with softmax after top-k: Megatron raises ValueError', 'Megatron raises ValueError("Please use --moe-router-pre-softmax when topk is 1.").'] }],
      output: null,
    },
  ],
});
