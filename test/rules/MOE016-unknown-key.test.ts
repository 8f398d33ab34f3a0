import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixAll } from '../../src/core/lint';
import { unknownKey } from '../../src/core/rules/MOE016-unknown-key';
import { PLAIN_PY, runRuleTests } from '../rule-tester';

const MOE_ARGS = 'from dataclasses import dataclass, field\nfrom typing import ClassVar\n\n@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    top_k: int = 1\n    score_func: str = "softmax"\n    registry: ClassVar[dict] = {}\n    cache: dict = field(default_factory=dict, init=False)\n\n';

runRuleTests(unknownKey, {
  valid: [
    { name: 'every keyword is a field', file: PLAIN_PY, code: `${MOE_ARGS}moe = MoEArgs(num_experts=8, top_k=2, score_func="sigmoid")\n` },
    // Never guessed: a class the file does not resolve, a base outside the workspace, a **kwargs constructor.
    { name: 'MoEArgs not resolved in the workspace', file: PLAIN_PY, code: 'moe = MoEArgs(num_experts=8, topk=2)\n' },
    { name: 'a dataclass whose base is outside the workspace', file: PLAIN_PY, code: 'from dataclasses import dataclass\nfrom somewhere import Base\n\n@dataclass\nclass MoEArgs(Base):\n    top_k: int = 1\n\nmoe = MoEArgs(num_experts=8, topk=2)\n' },
    { name: 'a constructor with **kwargs takes anything', file: PLAIN_PY, code: 'class Router:\n    def __init__(self, num_experts, top_k, **kwargs):\n        pass\n\nr = Router(num_experts=8, top_k=2, topk=2)\n' },
    { name: 'a field inherited from a dataclass base', file: PLAIN_PY, code: 'from dataclasses import dataclass\n\n@dataclass\nclass Base:\n    num_experts: int = 8\n\n@dataclass\nclass MoEArgs(Base):\n    top_k: int = 1\n\nmoe = MoEArgs(num_experts=16, top_k=2)\n' },
  ],
  invalid: [
    {
      name: 'a misspelt keyword gets the nearest field as a fix',
      file: PLAIN_PY,
      code: `${MOE_ARGS}moe = MoEArgs(num_experts=8, topk=2)\n`,
      errors: [{ messageId: 'notAKeyword', text: 'topk', includes: ['did you mean `top_k`', "unexpected keyword argument 'topk'", 'num_experts, score_func, top_k'] }],
      output: `${MOE_ARGS}moe = MoEArgs(num_experts=8, top_k=2)\n`,
    },
    {
      name: 'a misspelt inherited field',
      file: PLAIN_PY,
      code: 'from dataclasses import dataclass\n\n@dataclass\nclass Base:\n    num_experts: int = 8\n\n@dataclass\nclass MoEArgs(Base):\n    top_k: int = 1\n\nmoe = MoEArgs(num_expert=16, top_k=2)\n',
      errors: [{ messageId: 'notAKeyword', text: 'num_expert', includes: ['did you mean `num_experts`'] }],
      output: 'from dataclasses import dataclass\n\n@dataclass\nclass Base:\n    num_experts: int = 8\n\n@dataclass\nclass MoEArgs(Base):\n    top_k: int = 1\n\nmoe = MoEArgs(num_experts=16, top_k=2)\n',
    },
    {
      name: 'ClassVar and init=False fields are not keywords; the fix is not offered where the keyword is already written',
      file: PLAIN_PY,
      code: `${MOE_ARGS}moe = MoEArgs(num_experts=8, top_k=2, registry={}, cache={}, topk=2)\n`,
      errors: [
        { messageId: 'notAKeyword', text: 'registry' },
        { messageId: 'notAKeyword', text: 'cache' },
        { messageId: 'notAKeyword', text: 'topk', includes: ['did you mean `top_k`'] },
      ],
      output: null,
    },
    {
      name: 'a plain class takes its __init__ parameters; a key of another framework has no suggestion',
      file: PLAIN_PY,
      // A router's own field (`score_func`) makes it a router config; counts alone would not (TensorRT-LLM's MoeConfig).
      code: 'class Router:\n    def __init__(self, num_experts, top_k, score_func="softmax"):\n        pass\n\nr = Router(num_experts=8, top_k=2, moe_router_score_function="sigmoid")\n',
      errors: [{ messageId: 'notAKeyword', text: 'moe_router_score_function', includes: ['`Router` takes: num_experts, score_func, top_k.'] }],
      output: null,
    },
    {
      // Issue #12: where the message would not fit a Problems row, the class it names moves to the detail.
      name: 'a long keyword of a long class name: the message keeps the keyword meant, the detail the class',
      file: PLAIN_PY,
      code: 'from dataclasses import dataclass\n\n@dataclass\nclass RouterConfigWithALongName:\n    num_experts: int = 8\n    top_k: int = 1\n    score_func: str = "softmax"\n    score_before_experts: bool = True\n\nr = RouterConfigWithALongName(num_experts=8, top_k=2, score_before_expert=False)\n',
      errors: [{ messageId: 'notAKeyword', text: 'score_before_expert', includes: ['`score_before_expert` is not a keyword (did you mean `score_before_experts`?)', '`score_before_expert` is not a keyword `RouterConfigWithALongName` takes.'] }],
      output: 'from dataclasses import dataclass\n\n@dataclass\nclass RouterConfigWithALongName:\n    num_experts: int = 8\n    top_k: int = 1\n    score_func: str = "softmax"\n    score_before_experts: bool = True\n\nr = RouterConfigWithALongName(num_experts=8, top_k=2, score_before_experts=False)\n',
    },
    {
      name: 'a builder reached from two flavors is one finding',
      file: PLAIN_PY,
      code: `${MOE_ARGS}def build(k):\n    return MoEArgs(num_experts=8, top_k=k, scorefunc="sigmoid")\n\nconfigs = {"a": build(1), "b": build(2)}\n`,
      errors: [{ messageId: 'notAKeyword', text: 'scorefunc', includes: ['did you mean `score_func`'] }],
      output: `${MOE_ARGS}def build(k):\n    return MoEArgs(num_experts=8, top_k=k, score_func="sigmoid")\n\nconfigs = {"a": build(1), "b": build(2)}\n`,
    },
  ],
});

runRuleTests(unknownKey, {
  valid: [
    { name: 'a published Qwen3 config', file: 'config.json', code: '{"model_type": "qwen3_moe", "num_experts": 128, "num_experts_per_tok": 8, "norm_topk_prob": true, "router_aux_loss_coef": 0.001}' },
    { name: 'a near miss of a key the file already sets is another key, not a typo', file: 'config.json', code: '{"model_type": "qwen3_moe", "num_experts": 128, "num_experts_per_tok": 8, "num_expert_per_tok": 8}' },
    { name: 'MB-023: an OLMoE config that writes scoring_func softmax (what OLMoE does anyway)', file: 'config.json', code: '{"model_type": "olmoe", "num_experts": 64, "num_experts_per_tok": 8, "scoring_func": "softmax"}' },
    { name: 'scoring_func is a routing key DeepSeek-V3 reads: not flagged there', file: 'config.json', code: '{"model_type": "deepseek_v3", "n_routed_experts": 256, "num_experts_per_tok": 8, "scoring_func": "sigmoid"}' },
  ],
  invalid: [
    {
      name: "MB-023: an OLMoE config with scoring_func sigmoid, which transformers ignores and Megatron-Bridge's conversion refuses",
      file: 'config.json',
      code: '{"model_type": "olmoe", "num_experts": 64, "num_experts_per_tok": 8, "scoring_func": "sigmoid"}',
      errors: [{ messageId: 'ignored', text: '"scoring_func"', severity: 'warning', includes: ['OLMoE always scores with softmax', "OlMoE only supports scoring_func='softmax', got 'sigmoid'", 'MB-023'] }],
      output: null,
    },
    {
      name: "DeepSeek's own config format without its model.py in the workspace: a near miss of the top-k key is a warning",
      file: 'inference/configs/config_671B.json',
      code: '{"dim": 7168, "n_routed_experts": 256, "n_activated_expert": 8, "score_func": "sigmoid"}',
      errors: [{ messageId: 'notRead', text: '"n_activated_expert"', severity: 'warning', includes: ['did you mean `n_activated_experts`', 'DeepSeek-V3 `ModelArgs`', 'raises TypeError', '`n_activated_expert` is not a key DeepSeek-V3 `ModelArgs` reads.'] }],
      output: '{"dim": 7168, "n_routed_experts": 256, "n_activated_experts": 8, "score_func": "sigmoid"}',
    },
    {
      // transformers 5.18.0 still raises there (configuration_dbrx.py L95-97; sweep 34 loaded it): an error.
      name: "HF-010: a misspelt key in DBRX's ffn_config, which DbrxFFNConfig rejects: the config does not load",
      file: 'config.json',
      code: '{"model_type": "dbrx", "ffn_config": {"moe_num_experts": 16, "moe_topk": 4}}',
      errors: [{ messageId: 'notRead', text: '"moe_topk"', severity: 'error', includes: ['did you mean `moe_top_k`', 'The config does not load', 'Found unknown kwargs', 'L95-97 in 5.18.0'] }],
      output: '{"model_type": "dbrx", "ffn_config": {"moe_num_experts": 16, "moe_top_k": 4}}',
    },
    {
      name: 'a misspelt routing key in config.json is a warning: the key meant stays at its default',
      file: 'config.json',
      code: '{"model_type": "qwen3_moe", "num_experts": 128, "num_expert_per_tok": 4, "norm_topk_prob": true}',
      errors: [{ messageId: 'notRead', text: '"num_expert_per_tok"', severity: 'warning', includes: ['did you mean `num_experts_per_tok`', 'uses its default', '`num_expert_per_tok` is not a key transformers (qwen3_moe) reads.'] }],
      // The quick fix; it is unsafe (the routing changes), so --fix and fix-all leave it (checked below).
      output: '{"model_type": "qwen3_moe", "num_experts": 128, "num_experts_per_tok": 4, "norm_topk_prob": true}',
      fixTitle: 'Rename `num_expert_per_tok` to `num_experts_per_tok` so that it is read',
    },
  ],
});

describe('MOE016 fix safety', () => {
  it('--fix renames a Python keyword (safe) but not a JSON key (unsafe: the routing changes)', () => {
    const json = '{"model_type": "qwen3_moe", "num_experts": 128, "num_expert_per_tok": 4}';
    assert.equal(fixAll('config.json', json, undefined, { rules: [unknownKey] }).text, json);
    const py = `${MOE_ARGS}moe = MoEArgs(num_experts=8, topk=2)\n`;
    assert.equal(fixAll(PLAIN_PY, py, undefined, { rules: [unknownKey] }).text, py.replace('topk=2', 'top_k=2'));
  });
});

runRuleTests(unknownKey, {
  valid: [
    { name: 'a Megatron command line with its real router flags', file: 'train.sh', code: 'torchrun --nproc_per_node 8 pretrain_gpt.py --num-experts 64 --moe-router-topk 4 --moe-router-topk-scaling-factor 2.5 --moe-router-score-function sigmoid\n' },
    { name: 'torchrun and data flags far from every router flag', file: 'train.sh', code: 'torchrun --nnodes 2 pretrain_gpt.py --num-experts 8 --moe-router-topk 2 --num-layers 4 --hidden-size 512 --seq-length 4096\n' },
    { name: "a fork's own flag far from every Megatron-LM flag (an entry point's extra arguments)", file: 'train.sh', code: 'torchrun pretrain_gpt.py --num-experts 8 --moe-router-topk 2 --rollout-batch-size 16 --my-custom-option 3\n' },
    { name: "the launcher's own flags before the entry point are not Megatron's", file: 'train.sh', code: 'D=(--nproc-per-node 8 --master-port 6001)\ntorchrun ${D[@]} --node-rank 0 pretrain_gpt.py --num-experts 8 --moe-router-topk 2\n' },
    { name: 'a script that runs no Megatron-LM entry point: only router flags are compared', file: 'scripts/models/m.sh', code: 'MODEL_ARGS=(--num-experts 8 --moe-router-topk 2 --tensor-model-paralel-size 2)\n' },
    // Ascend/MindSpeed-LLM examples/mcore/deepseek4_flash/pretrain_deepseek4_flash_4k_A3_ptd.sh @c77308a: MindSpeed's
    // own `--enable-mhc` and `--o-lora-rank`, one letter from Megatron-LM's `--enable-msc` and `--q-lora-rank`.
    { name: "MindSpeed's own flags near Megatron-LM's (an NPU script): MindSpeed's parser defines them", file: 'train.sh', code: 'export HCCL_CONNECT_TIMEOUT=3600\ntorchrun pretrain_gpt.py --num-experts 8 --moe-router-topk 2 --enable-mhc --o-lora-rank 1024\n' },
    { name: "Megatron-DeepSpeed's parser is not Megatron-LM's either", file: 'train.sh', code: 'deepspeed pretrain_gpt.py --num-experts 8 --deepspeed --o-lora-rank 1024\n' },
  ],
  invalid: [
    {
      name: "a misspelt Megatron router flag is a warning: Megatron's argparse rejects it (allow_abbrev=False)",
      file: 'train.sh',
      code: 'python pretrain_gpt.py --num-experts 64 --moe-router-topK 4\n',
      errors: [{ messageId: 'notAFlag', text: '--moe-router-topK', severity: 'warning', includes: ['`--moe-router-topK` is not a Megatron-LM argument (did you mean `--moe-router-topk`?)', 'unrecognized arguments', 'allow_abbrev=False'] }],
      output: 'python pretrain_gpt.py --num-experts 64 --moe-router-topk 4\n',
    },
    {
      name: 'any flag of the entry point one letter from a flag Megatron-LM defines (all 865 at d98e8a6), also in an array the command expands',
      file: 'train.sh',
      code: 'M=(\n  --num-experts 8 --moe-router-topk 2\n  --tensor-model-paralel-size 2\n)\ntorchrun pretrain_gpt.py ${M[@]} --overlap-grad-reduc\n',
      errors: [
        { messageId: 'notAFlag', text: '--tensor-model-paralel-size', severity: 'warning', includes: ['`--tensor-model-paralel-size` is unknown (did you mean `--tensor-model-parallel-size`?)', '`--tensor-model-paralel-size` is not a Megatron-LM argument.'] },
        { messageId: 'notAFlag', text: '--overlap-grad-reduc', severity: 'warning', includes: ['did you mean `--overlap-grad-reduce`'] },
      ],
      output: 'M=(\n  --num-experts 8 --moe-router-topk 2\n  --tensor-model-parallel-size 2\n)\ntorchrun pretrain_gpt.py ${M[@]} --overlap-grad-reduce\n',
    },
    {
      // Helper review Q: a long flag's typo and the flag meant made a message of 107 characters.
      name: "a typo of a long flag: the flag meant in the row, the typo at the range and in the detail",
      file: 'train.sh',
      code: 'torchrun pretrain_gpt.py --num-experts 8 --moe-router-topk 2 --ep-overlap-early-attn-memory-releas\n',
      errors: [{ messageId: 'notAFlagLong', text: '--ep-overlap-early-attn-memory-releas', severity: 'warning', includes: ['Not a Megatron-LM argument; did you mean `--ep-overlap-early-attn-memory-release`?', '`--ep-overlap-early-attn-memory-releas` is not a Megatron-LM argument.'] }],
      output: 'torchrun pretrain_gpt.py --num-experts 8 --moe-router-topk 2 --ep-overlap-early-attn-memory-release\n',
    },
    {
      name: 'a letter missing from the score-function flag',
      file: 'train.sh',
      code: 'python pretrain_gpt.py --num-experts 64 --moe-router-score-functon sigmoid\n',
      errors: [{ messageId: 'notAFlag', text: '--moe-router-score-functon', includes: ['did you mean `--moe-router-score-function`', '`--moe-router-score-functon` is not a Megatron-LM argument.'] }],
      output: 'python pretrain_gpt.py --num-experts 64 --moe-router-score-function sigmoid\n',
    },
  ],
});
