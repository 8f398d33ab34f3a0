import { publishedModelMismatch } from '../../src/core/rules/MOE001-published-model-mismatch';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEEPSEEK_PY, GPT_OSS_PY, IMPORT_MOE_ARGS, PLAIN_PY, TORCHTITAN_PROJECT, runRuleTests } from '../rule-tester';
import { ProjectIndex } from '../../src/core/project';

const DEEPSEEK_EXAMPLE = readFileSync(resolve(import.meta.dirname, '../../examples/torchtitan/deepseek_v3/__init__.py'), 'utf8');

/** TORCHTITAN_PROJECT's MoEArgs before it had `gate_bias` (torchtitan of mid-2025, forks still on it). */
const MOE_ARGS_WITHOUT_GATE_BIAS = new ProjectIndex();
MOE_ARGS_WITHOUT_GATE_BIAS.setText('torchtitan/models/moe/__init__.py', TORCHTITAN_PROJECT.textOf('torchtitan/models/moe/__init__.py')!.replace('    gate_bias: bool = False\n', ''));
const gptoss = (args: string) => `gptoss_configs = {\n    "120b": GptOssModelArgs(n_layers=36, moe_args=MoEArgs(${args})),\n}\n`;

runRuleTests(publishedModelMismatch, {
  valid: [
    // NVIDIA/NeMo @8cfedd7 nemo/collections/diffusion/models/model.py l.281-290 (trimmed): a diffusion transformer
    // whose 16 layers × 64 experts × 2048 are OLMoE-1B-7B's; its class names itself, and no published family.
    {
      name: 'a config class that names no published family is not one by its shape alone (NeMo EC-DiT vs OLMoE)',
      file: 'model.py',
      code: 'from dataclasses import dataclass\n\nfrom megatron.core.transformer.transformer_config import TransformerConfig\n\n\n@dataclass\nclass DiTConfig(TransformerConfig):\n    num_layers: int = 16\n    hidden_size: int = 2048\n\n\n@dataclass\nclass ECDiT1BConfig(DiTConfig):\n    moe_router_pre_softmax: bool = True\n    moe_router_topk: int = 1\n    num_moe_experts: int = 64\n',
    },
    // aws-neuron/neuronx-distributed-inference @7463286 contrib/models/DeepSeek-V3/test/integration/test_model.py writes
    // this dict (trimmed) as a 2-layer random-weight test model's config.json: DeepSeek-V3's name, its own sizes.
    {
      name: 'a reduced test model that keeps the published `_name_or_path` is not the model (2 layers, 64 experts)',
      file: 'mini/config.json',
      code: '{"_name_or_path": "deepseek-ai/DeepSeek-V3", "model_type": "deepseek_v3", "hidden_size": 2048, "n_group": 8, "n_routed_experts": 64, "norm_topk_prob": true, "num_experts_per_tok": 8, "num_hidden_layers": 2, "topk_group": 4}',
    },
    {
      name: "a name that contains a published model's, on another family's code, is not that model (a Qwen3-30B-A3B distilled from DeepSeek-V3.1)",
      file: 'distill/config.json',
      code: '{"_name_or_path": "BasedBase/Qwen3-30B-A3B-Thinking-2507-Deepseek-v3.1-Distill", "model_type": "qwen3_moe", "num_experts": 128, "num_experts_per_tok": 8, "norm_topk_prob": true, "num_hidden_layers": 48, "hidden_size": 2048}',
    },
    { name: 'Megatron gpt-oss-120b: top-k then softmax (no --moe-router-pre-softmax) renormalises as published', file: 'gpt-oss-120b.sh', code: 'python pretrain_gpt.py --num-layers 36 --hidden-size 2880 --num-experts 128 --moe-router-topk 4\n' },
    // Ascend/MindSpeed-LLM examples/mcore/qwen3_next/pretrain_qwen3_next_80b_16K_A3_ptd.sh @c77308a
    // (test/corpus/launch4): MindSpeed's --norm-topk-prob renormalises after the softmax over all experts.
    {
      name: "MindSpeed Qwen3-Next: --moe-router-pre-softmax with MindSpeed's --norm-topk-prob (the renormalisation is MindSpeed's, unknown)",
      file: 'pretrain_qwen3_next_80b.sh',
      code: 'NPUS_PER_NODE=8\ntorchrun pretrain_gpt.py --num-layers 48 --hidden-size 2048 --num-experts 512 --moe-router-topk 10 --moe-router-pre-softmax --norm-topk-prob\n',
    },
    {
      name: "GLM-4.5 launch without --moe-router-topk-scaling-factor, passing $EXTRA_ARGS (which may set it): Megatron's default is not compared",
      file: 'glm.sh',
      code: 'python pretrain_gpt.py --num-layers 92 --hidden-size 5120 --num-experts 160 --moe-router-topk 8 --moe-router-score-function sigmoid --moe-router-enable-expert-bias $EXTRA_ARGS\n',
    },
    { name: 'Mixtral-8x22B config.json as published (8 experts, top-2)', file: 'mixtral-8x22b-v0.1/config.json', code: '{"model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 2, "num_hidden_layers": 56, "hidden_size": 6144}' },
    {
      name: 'Megatron DeepSeek-V2 without --moe-router-pre-softmax, in a launch that passes flags MoE Lens cannot read',
      file: 'deepseek-v2.sh',
      code: 'python pretrain_gpt.py --num-layers 60 --hidden-size 5120 --num-experts 160 --moe-router-topk 6 --moe-router-num-groups 8 --moe-router-group-topk 3 --moe-router-topk-scaling-factor 16.0 --disable-bias-linear $EXTRA_ARGS\n',
    },
    { name: 'gpt-oss-120b with the published top-4 of 128', file: GPT_OSS_PY, code: gptoss('num_experts=128, top_k=4, score_func="softmax", route_norm=True') },
    { name: 'a flavor key that is not a published model', file: GPT_OSS_PY, code: gptoss('num_experts=8, top_k=8, score_func="softmax"').replace('"120b"', '"debugmodel"') },
    { name: 'flavor "120b" outside a gpt-oss file says nothing about gpt-oss', file: PLAIN_PY, code: gptoss('num_experts=128, top_k=8, score_func="softmax"').replace('gptoss_configs', 'configs').replace('GptOssModelArgs', 'ModelArgs') },
    {
      name: 'HF gpt-oss-120b config.json as published',
      file: 'gpt-oss-120b/config.json',
      code: '{\n  "_name_or_path": "openai/gpt-oss-120b",\n  "model_type": "gpt_oss",\n  "num_local_experts": 128,\n  "num_experts_per_tok": 4,\n  "experts_per_token": 4\n}\n',
    },
    {
      // garrett361/torchtitan llama3_moe/__init__.py @f1dbd9a (test/corpus/tt2): a Llama-3-8B upcycled to 8 experts,
      // top-1, has Mixtral-8x7B's 32 layers × 8 experts × hidden 4096; its names say Llama 3, not Mixtral.
      name: 'a shape alone never names a model against the family the names give (an upcycled Llama 3)',
      file: 'torchtitan/models/llama3_moe/__init__.py',
      code: 'llama3_moe_configs = {\n    "8B_8exp": Llama3MoEModelArgs(dim=4096, n_layers=32, moe_args=MoEArgs(num_experts=8, top_k=1, score_func="softmax")),\n}\n',
    },
    {
      // transformers 5.18's `laguna` default has Qwen3.5-35B-A3B's 40 layers × 256 experts × hidden 2048; every
      // published model's own model_type names its family, so a config of another type is none of them.
      name: 'a shape alone never names a model for a config that declares a model type of no published family',
      file: 'laguna/config.json',
      code: '{"model_type": "laguna", "num_hidden_layers": 40, "hidden_size": 2048, "num_experts": 256, "num_experts_per_tok": 10}',
    },
    {
      name: 'HF DeepSeek-V3 config: sigmoid is hard-coded, scoring_func matches',
      file: 'dsv3/config.json',
      code: '{"model_type": "deepseek_v3", "n_routed_experts": 256, "num_experts_per_tok": 8, "n_group": 8, "topk_group": 4, "num_hidden_layers": 61, "hidden_size": 7168, "scoring_func": "sigmoid"}',
    },
    {
      name: 'Kimi-K2-Instruct config.json as published (routed_scaling_factor 2.827, sigmoid, top-8 of 384)',
      file: 'Kimi-K2-Instruct/config.json',
      code: '{"_name_or_path": "moonshotai/Kimi-K2-Instruct", "model_type": "deepseek_v3", "n_routed_experts": 384, "num_experts_per_tok": 8, "n_group": 1, "topk_group": 1, "norm_topk_prob": true, "routed_scaling_factor": 2.827, "num_hidden_layers": 61, "hidden_size": 7168}',
    },
    {
      name: 'Kimi-K2 config.json keeping 8 of 8 groups: groups that limit nothing, as published',
      file: 'Kimi-K2-Instruct/config.json',
      code: '{"_name_or_path": "moonshotai/Kimi-K2-Instruct", "model_type": "kimi_k2", "n_routed_experts": 384, "num_experts_per_tok": 8, "n_group": 8, "topk_group": 8, "routed_scaling_factor": 2.827, "num_hidden_layers": 61, "hidden_size": 7168}',
    },
    {
      // The hard-coded value is no default the file could change: comparing it would ask for a key nothing reads.
      name: 'HF DeepSeek-V3 config recognised as Kimi-K2 by its name: the hard-coded sigmoid is not compared as a default',
      file: 'Kimi-K2-Instruct/config.json',
      code: '{"_name_or_path": "moonshotai/Kimi-K2-Instruct", "model_type": "deepseek_v3", "n_routed_experts": 384, "num_experts_per_tok": 8, "n_group": 1, "topk_group": 1, "routed_scaling_factor": 2.827, "num_hidden_layers": 61, "hidden_size": 7168}',
    },
    {
      // Tencent-Hunyuan/Hunyuan-A13B models/config.json @2798f3c (test/corpus/hf), shortened.
      name: 'Hunyuan-A13B config.json as published (64 experts, moe_topk 8 in every layer)',
      file: 'Hunyuan-A13B/models/config.json',
      code: '{"architectures": ["HunYuanMoEV1ForCausalLM"], "model_type": "hunyuan", "num_experts": 64, "moe_topk": [8, 8], "num_hidden_layers": 32, "hidden_size": 4096}',
    },
    {
      // An unwritten flag may be among those MoE Lens cannot read: its default is not this launch's value.
      name: 'Megatron DeepSeek-V3 without --moe-router-score-function, in a launch that passes flags MoE Lens cannot read',
      file: 'deepseek-v3.sh',
      code: 'python pretrain_gpt.py --num-layers 61 --hidden-size 7168 --num-experts 256 --moe-router-topk 8 --moe-router-num-groups 8 --moe-router-group-topk 4 --moe-router-enable-expert-bias --moe-router-topk-scaling-factor 2.5 --disable-bias-linear $EXTRA_ARGS\n',
    },
    {
      name: 'GLM-4.5-Air with its own scaling factor 1.0 (not GLM-4.5\'s 2.5)',
      file: 'GLM-4.5-Air/config.json',
      code: '{"_name_or_path": "zai-org/GLM-4.5-Air", "model_type": "glm4_moe", "n_routed_experts": 128, "num_experts_per_tok": 8, "n_group": 1, "topk_group": 1, "norm_topk_prob": true, "routed_scaling_factor": 1.0, "num_hidden_layers": 46, "hidden_size": 4096}',
    },
    {
      // NVIDIA-NeMo/Megatron-Bridge examples/recipes/kimi/conf/kimi_k2_pretrain_l8.yaml @87107da (test/corpus/yaml3).
      name: 'a reduced proxy named after the model in its file name (kimi_k2_pretrain_l8.yaml: 8 layers, 48 experts) is not the model',
      file: 'conf/kimi_k2_pretrain_l8.yaml',
      code: 'model:\n  num_layers: 8\n  num_moe_experts: 48\n  moe_router_topk: 8\n',
    },
    {
      // yanring/Megatron-MoE-ModelZoo model_configs/benchmarking/DeepSeek-V3-Proxy.yaml @e865051: "--num-layers: 14 #
      // original 61 layers", "--num-experts: 64"; the file name alone claims DeepSeek-V3.
      name: 'a reduced proxy named after the model in its file name, with another layer count (DeepSeek-V3-Proxy.yaml: 14 layers, 64 experts), is not the model',
      file: 'model_configs/benchmarking/DeepSeek-V3-Proxy.sh',
      code: 'python pretrain_gpt.py --num-layers 14 --hidden-size 7168 --num-experts 64 --moe-router-topk 8 --moe-router-score-function sigmoid --moe-router-enable-expert-bias\n',
    },
  ],
  invalid: [
    {
      name: "GLM-4.5 launch that writes every flag, without --moe-router-topk-scaling-factor: Megatron's default (no scaling) is compared",
      file: 'glm.sh',
      code: 'python pretrain_gpt.py --num-layers 92 --hidden-size 5120 --num-experts 160 --moe-router-topk 8 --moe-router-score-function sigmoid --moe-router-enable-expert-bias\n',
      errors: [{ messageId: 'mismatch', text: '--num-experts', severity: 'warning', includes: ['`--moe-router-topk-scaling-factor` is 1', '2.5'] }],
      output: 'python pretrain_gpt.py --num-layers 92 --hidden-size 5120 --num-experts 160 --moe-router-topk 8 --moe-router-score-function sigmoid --moe-router-enable-expert-bias --moe-router-topk-scaling-factor 2.5\n',
    },
    {
      name: 'Megatron Qwen3-Next-80B-A3B with --moe-router-pre-softmax: the weights Qwen3-Next renormalises are kept as they are',
      file: 'qwen3-next.sh',
      code: 'python pretrain_gpt.py --num-layers 48 --hidden-size 2048 --num-experts 512 --moe-router-topk 10 --moe-router-pre-softmax\n',
      errors: [{ messageId: 'mismatch', text: '--moe-router-pre-softmax', severity: 'warning', includes: ["qwen3-next-80b-a3b renormalises each token's top-k weights"] }],
      output: null,
    },
    {
      name: 'Qwen3.5-35B-A3B config.json (keys in text_config) with top-4: a warning, its counts are secondary; the fix sets 8',
      file: 'config.json',
      code: '{"model_type": "qwen3_5_moe", "text_config": {"model_type": "qwen3_5_moe_text", "num_hidden_layers": 40, "hidden_size": 2048, "num_experts": 256, "num_experts_per_tok": 4}}',
      errors: [{ messageId: 'mismatch', text: '4', severity: 'warning', includes: ['qwen3.5-35b-a3b routes each token to 8 of 256 experts'] }],
      output: '{"model_type": "qwen3_5_moe", "text_config": {"model_type": "qwen3_5_moe_text", "num_hidden_layers": 40, "hidden_size": 2048, "num_experts": 256, "num_experts_per_tok": 8}}',
    },
    {
      name: 'Gemma 4 26B-A4B config.json (keys in text_config) with top-4: a warning, its counts are secondary; the fix sets 8',
      file: 'config.json',
      code: '{"model_type": "gemma4", "text_config": {"model_type": "gemma4_text", "enable_moe_block": true, "num_hidden_layers": 30, "hidden_size": 2816, "num_experts": 128, "top_k_experts": 4}}',
      errors: [{ messageId: 'mismatch', text: '4', severity: 'warning', includes: ['gemma-4-26b-a4b routes each token to 8 of 128 experts'] }],
      output: '{"model_type": "gemma4", "text_config": {"model_type": "gemma4_text", "enable_moe_block": true, "num_hidden_layers": 30, "hidden_size": 2816, "num_experts": 128, "top_k_experts": 8}}',
    },
    {
      name: 'Mixtral-8x22B config.json with top-4 (recognised by its hub id: a warning, its facts are secondary)',
      file: 'config.json',
      code: '{"_name_or_path": "mistralai/Mixtral-8x22B-v0.1", "model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 4}',
      errors: [{ messageId: 'mismatch', text: '4', severity: 'warning', includes: ['mixtral-8x22b'] }],
      output: '{"_name_or_path": "mistralai/Mixtral-8x22B-v0.1", "model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 2}',
    },
    {
      // AMD-AGI/Primus gpt_oss_20B.yaml @fd1eeab inherits `moe_router_pre_softmax: true` from deepseek_v2_base.yaml.
      name: 'Megatron: gpt-oss softmaxes over its top-k, so --moe-router-pre-softmax keeps weights gpt-oss renormalises',
      file: 'gpt-oss-120b.sh',
      code: 'python pretrain_gpt.py --num-layers 36 --hidden-size 2880 --num-experts 128 --moe-router-topk 4 --moe-router-pre-softmax\n',
      errors: [
        { messageId: 'mismatch', text: '--moe-router-pre-softmax', severity: 'error', includes: ['`--moe-router-pre-softmax` is True, but gpt-oss-120b renormalises top-k weights', 'The published gpt-oss-120b renormalises each token\'s top-k weights to sum to 1.'] },
      ],
      // Megatron's pre-softmax is a switch: removing it is the fix, not one the rule writes for a launch script.
      output: null,
    },
    {
      name: 'Megatron DeepSeek-V2 (softmax over all experts, no renormalisation) launched without --moe-router-pre-softmax',
      file: 'deepseek-v2.sh',
      code: 'python pretrain_gpt.py --num-layers 60 --hidden-size 5120 --num-experts 160 --moe-router-topk 6 --moe-router-num-groups 8 --moe-router-group-topk 3 --moe-router-topk-scaling-factor 16.0 --disable-bias-linear\n',
      errors: [{ messageId: 'mismatch', includes: ['`--moe-router-pre-softmax` is false (its default), but deepseek-v2-236b does not renormalise weights', 'The published deepseek-v2-236b does not renormalise the top-k weights.', 'the default comes from Megatron post-softmax default'] }],
      output: null,
    },
    {
      // AMD-AGI/Primus primus/configs/models/megatron/kimi_k2.yaml @fd1eeab inherits 1.0 from deepseek_v3_base.yaml.
      name: 'Megatron Kimi-K2 with the scaling factor of its DeepSeek-V3 base (1.0), where Kimi-K2 scales by 2.827 (secondary: a warning)',
      file: 'kimi-k2.sh',
      code: 'python pretrain_gpt.py --num-layers 61 --hidden-size 7168 --num-experts 384 --moe-router-topk 8 --moe-router-score-function sigmoid --moe-router-enable-expert-bias --moe-router-topk-scaling-factor 1.0 --disable-bias-linear\n',
      errors: [{ messageId: 'mismatch', text: '1.0', severity: 'warning', includes: ['`--moe-router-topk-scaling-factor` is 1, but kimi-k2 scales by 2.827', 'The published kimi-k2 multiplies the routed experts\' weights by 2.827.', 'file name "kimi-k2"', 'Secondary sources'] }],
      output: 'python pretrain_gpt.py --num-layers 61 --hidden-size 7168 --num-experts 384 --moe-router-topk 8 --moe-router-score-function sigmoid --moe-router-enable-expert-bias --moe-router-topk-scaling-factor 2.827 --disable-bias-linear\n',
    },
    {
      // Helper sweep 32: MOE001 compared DeepSeek-V3's expert count, top-k and groups, not its routed scaling factor.
      name: 'DeepSeek-V3 config.json with routed_scaling_factor 1.0 (published 2.5)',
      file: 'DeepSeek-V3/config.json',
      code: '{"_name_or_path": "deepseek-ai/DeepSeek-V3", "model_type": "deepseek_v3", "n_routed_experts": 256, "num_experts_per_tok": 8, "n_group": 8, "topk_group": 4, "norm_topk_prob": true, "routed_scaling_factor": 1.0, "num_hidden_layers": 61, "hidden_size": 7168}',
      errors: [{ messageId: 'mismatch', text: '1.0', severity: 'error', includes: ["`routed_scaling_factor` is 1, but deepseek-v3-671b scales by 2.5", "The published deepseek-v3-671b multiplies the routed experts' weights by 2.5."] }],
      output: '{"_name_or_path": "deepseek-ai/DeepSeek-V3", "model_type": "deepseek_v3", "n_routed_experts": 256, "num_experts_per_tok": 8, "n_group": 8, "topk_group": 4, "norm_topk_prob": true, "routed_scaling_factor": 2.5, "num_hidden_layers": 61, "hidden_size": 7168}',
    },
    {
      name: 'Megatron Qwen3-30B-A3B with a scaling factor Qwen3 does not have',
      file: 'qwen3-30b-a3b.sh',
      code: 'python pretrain_gpt.py --num-layers 48 --hidden-size 2048 --num-experts 128 --moe-router-topk 8 --moe-router-topk-scaling-factor 2.0 --disable-bias-linear\n',
      errors: [{ messageId: 'mismatch', text: '2.0', includes: ["`--moe-router-topk-scaling-factor` is 2, but qwen3-30b-a3b does not scale", "The published qwen3-30b-a3b does not scale the routed experts' weights."] }],
      output: 'python pretrain_gpt.py --num-layers 48 --hidden-size 2048 --num-experts 128 --moe-router-topk 8 --moe-router-topk-scaling-factor 1 --disable-bias-linear\n',
    },
    {
      // mlcommons/training_results_v5.0 @0fdc28f's NeMo copies (MixtralConfig moe_router_pre_softmax=True), which NeMo
      // fixed in 20871e0 (#13678): softmax over all 8 experts, then top-2, not renormalised.
      name: 'Megatron Mixtral-8x7B with --moe-router-pre-softmax (weights Mixtral renormalises kept as they are)',
      file: 'mixtral-8x7b.sh',
      code: 'python pretrain_gpt.py --num-layers 32 --hidden-size 4096 --num-experts 8 --moe-router-topk 2 --moe-router-pre-softmax --disable-bias-linear\n',
      errors: [{ messageId: 'mismatch', text: '--moe-router-pre-softmax', includes: ['mixtral-8x7b renormalises each token\'s top-k weights to sum to 1'] }],
      output: null,
    },
    {
      name: 'GLM-4.5 config.json with top-k 6 (the report: 8 of 160 active per token)',
      file: 'GLM-4.5/config.json',
      code: '{"_name_or_path": "zai-org/GLM-4.5", "model_type": "glm4_moe", "n_routed_experts": 160, "num_experts_per_tok": 6, "routed_scaling_factor": 2.5, "num_hidden_layers": 92, "hidden_size": 5120}',
      errors: [{ messageId: 'mismatch', text: '6', severity: 'error', includes: ['routes each token to 8 of 160 experts', 'GLM_4_5_technical_report.pdf'] }],
      output: '{"_name_or_path": "zai-org/GLM-4.5", "model_type": "glm4_moe", "n_routed_experts": 160, "num_experts_per_tok": 8, "routed_scaling_factor": 2.5, "num_hidden_layers": 92, "hidden_size": 5120}',
    },
    {
      name: 'gpt-oss-120b with top_k 8 (torchtitan PR #2212)',
      file: GPT_OSS_PY,
      code: gptoss('num_experts=128, top_k=8, score_func="softmax", route_norm=True'),
      errors: [{ messageId: 'mismatch', text: '8', severity: 'error', includes: ['`top_k` is 8', 'routes each token to 4 of 128 experts', 'flavor "120b"'] }],
      output: gptoss('num_experts=128, top_k=4, score_func="softmax", route_norm=True'),
    },
    {
      name: 'a builder function named after the flavor',
      file: GPT_OSS_PY,
      code: 'def _120b():\n    return _build_gptoss_layers(num_experts=128, top_k=8, load_balance_coeff=1e-3)\n',
      errors: [{ messageId: 'mismatch', text: '8' }],
      output: 'def _120b():\n    return _build_gptoss_layers(num_experts=128, top_k=4, load_balance_coeff=1e-3)\n',
    },
    {
      name: 'score function left at the torchtitan default (sigmoid) gets one inserted',
      file: GPT_OSS_PY,
      project: TORCHTITAN_PROJECT,
      code: IMPORT_MOE_ARGS + gptoss('num_experts=128, top_k=4, route_norm=True, gate_bias=True'),
      errors: [{ messageId: 'mismatch', text: 'MoEArgs', includes: ['the default comes from MoEArgs.score_func'] }],
      output: IMPORT_MOE_ARGS + gptoss('num_experts=128, top_k=4, route_norm=True, gate_bias=True, score_func="softmax"'),
    },
    {
      // The mistake torchtitan PR #2319 fixed: gpt-oss flavors without renormalisation over the top-4.
      name: 'gpt-oss with route_norm=False (softmax over all experts, top-4, not renormalised)',
      file: GPT_OSS_PY,
      project: TORCHTITAN_PROJECT,
      code: IMPORT_MOE_ARGS + gptoss('num_experts=128, top_k=4, score_func="softmax", route_norm=False, gate_bias=True'),
      errors: [{ messageId: 'mismatch', text: 'False', includes: ['`route_norm` is False', 'renormalises each token\'s top-k weights'] }],
      output: IMPORT_MOE_ARGS + gptoss('num_experts=128, top_k=4, score_func="softmax", route_norm=True, gate_bias=True'),
    },
    {
      name: 'gpt-oss without a gate bias (the default of MoEArgs) gets one inserted',
      file: GPT_OSS_PY,
      project: TORCHTITAN_PROJECT,
      code: IMPORT_MOE_ARGS + gptoss('num_experts=128, top_k=4, score_func="softmax", route_norm=True'),
      errors: [{ messageId: 'mismatch', text: 'MoEArgs', includes: ['`gate_bias` is False (its default)', 'the default comes from MoEArgs.gate_bias', '`gate_bias` is False (its default), but gpt-oss-120b has a router gate bias', 'The published gpt-oss-120b has a bias on its router gate.'] }],
      output: IMPORT_MOE_ARGS + gptoss('num_experts=128, top_k=4, score_func="softmax", route_norm=True, gate_bias=True'),
    },
    {
      // graphcore-research/torchtitan-fork @02661e8 (helper sweep G): its MoEArgs has no `gate_bias` and its gate is
      // `nn.Linear(dim, num_experts, bias=False)`; "(its default)" suggested a key the class does not take.
      name: 'gpt-oss on a torchtitan whose MoEArgs has no gate_bias: said so, and no fix adds the key',
      file: GPT_OSS_PY,
      project: MOE_ARGS_WITHOUT_GATE_BIAS,
      code: IMPORT_MOE_ARGS + gptoss('num_experts=128, top_k=4, score_func="softmax", route_norm=True'),
      // No value is claimed for a key the class lacks (a fork's gate may have a bias: helper review Q), so a warning.
      errors: [{ messageId: 'mismatch', text: 'MoEArgs', severity: 'warning', includes: ['`gate_bias` is not a key here, but gpt-oss-120b has a router gate bias', "MoEArgs has no `gate_bias` field: its router's code decides, and no key of this config changes it."], excludes: ['its default', 'False'] }],
      output: null,
    },
    {
      name: 'score function left to a class the workspace does not hold: assumed, so quiet',
      file: GPT_OSS_PY,
      code: IMPORT_MOE_ARGS + gptoss('num_experts=128, top_k=4, route_norm=True'),
      errors: [],
      output: null,
    },
    {
      name: 'HF config sets every alias to the published value',
      file: 'gpt-oss-120b/config.json',
      code: '{\n  "_name_or_path": "openai/gpt-oss-120b",\n  "model_type": "gpt_oss",\n  "num_local_experts": 128,\n  "num_experts_per_tok": 8,\n  "experts_per_token": 8\n}\n',
      errors: [{ messageId: 'mismatch', text: '8', includes: ['`experts_per_token` is 8'] }],
      output: '{\n  "_name_or_path": "openai/gpt-oss-120b",\n  "model_type": "gpt_oss",\n  "num_local_experts": 128,\n  "num_experts_per_tok": 4,\n  "experts_per_token": 4\n}\n',
    },
    {
      name: 'recognised by shape (layers × experts × hidden) without a name',
      file: 'model/config.json',
      code: '{"model_type": "deepseek_v3", "n_routed_experts": 256, "num_experts_per_tok": 6, "n_group": 8, "topk_group": 4, "num_hidden_layers": 61, "hidden_size": 7168}',
      errors: [{ messageId: 'mismatch', text: '6', includes: ['shape 61 layers'] }],
      output: '{"model_type": "deepseek_v3", "n_routed_experts": 256, "num_experts_per_tok": 8, "n_group": 8, "topk_group": 4, "num_hidden_layers": 61, "hidden_size": 7168}',
    },
    {
      name: 'DeepSeek-V3 flavor with the wrong group counts',
      file: DEEPSEEK_PY,
      code: 'deepseekv3_args = {\n    "671B": DeepSeekV3ModelArgs(dim=7168, n_layers=61, moe_args=MoEArgs(num_experts=256, top_k=8, num_expert_groups=4, num_limited_groups=4, score_func="sigmoid", route_norm=True, route_scale=2.5)),\n}\n',
      errors: [{ messageId: 'mismatch', text: '4', includes: ['splits experts into 8 groups'] }],
      output: 'deepseekv3_args = {\n    "671B": DeepSeekV3ModelArgs(dim=7168, n_layers=61, moe_args=MoEArgs(num_experts=256, top_k=8, num_expert_groups=8, num_limited_groups=4, score_func="sigmoid", route_norm=True, route_scale=2.5)),\n}\n',
    },
    {
      name: 'a DeepSeek-V3 671B flavor with no expert groups gets both group keys',
      file: DEEPSEEK_PY,
      project: TORCHTITAN_PROJECT,
      code: IMPORT_MOE_ARGS + 'deepseekv3_args = {\n    "671B": DeepSeekV3ModelArgs(dim=7168, n_layers=61, moe_args=MoEArgs(num_experts=256, top_k=8, score_func="sigmoid", route_norm=True, route_scale=2.5)),\n}\n',
      errors: [{ messageId: 'mismatch', text: 'MoEArgs', includes: ['`num_expert_groups` is None (its default)', 'the default comes from MoEArgs.num_expert_groups', 'splits experts into 8 groups and keeps 4 per token'] }],
      output: IMPORT_MOE_ARGS + 'deepseekv3_args = {\n    "671B": DeepSeekV3ModelArgs(dim=7168, n_layers=61, moe_args=MoEArgs(num_experts=256, top_k=8, score_func="sigmoid", route_norm=True, route_scale=2.5, num_expert_groups=8, num_limited_groups=4)),\n}\n',
    },
    {
      // A fork's DeepSeek-V2 flavor: DeepSeek's Gate renormalises only sigmoid weights.
      name: 'DeepSeek-V2 236B with softmax and route_norm=True',
      file: DEEPSEEK_PY,
      code: 'deepseekv3_args = {\n    "236B": DeepSeekV3ModelArgs(dim=5120, n_layers=60, moe_args=MoEArgs(num_experts=160, top_k=6, num_expert_groups=8, num_limited_groups=3, score_func="softmax", route_norm=True, route_scale=16.0, topk_before_score=False)),\n}\n',
      errors: [{ messageId: 'mismatch', text: 'True', includes: ['`route_norm` is True', 'does not renormalise the top-k weights'] }],
      output: 'deepseekv3_args = {\n    "236B": DeepSeekV3ModelArgs(dim=5120, n_layers=60, moe_args=MoEArgs(num_experts=160, top_k=6, num_expert_groups=8, num_limited_groups=3, score_func="softmax", route_norm=False, route_scale=16.0, topk_before_score=False)),\n}\n',
    },
    {
      name: 'an unclosed call (being typed) gets the finding but no insertion fix',
      file: DEEPSEEK_PY,
      // A 671B flavor cut inside its MoEArgs call, as an editor sees it while typing; top_k takes the
      // default of the MoEArgs declared above it.
      code:
        '@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    top_k: int = 1\n\n\n' +
        DEEPSEEK_EXAMPLE.slice(DEEPSEEK_EXAMPLE.indexOf('deepseekv3_args'), DEEPSEEK_EXAMPLE.indexOf('            top_k=8,')),
      errors: [{ messageId: 'mismatch', text: 'MoEArgs', includes: ['`top_k` is 1 (its default)', 'the default comes from MoEArgs.top_k'] }],
      output: null,
    },
    {
      // ai-dynamo/aiconfigurator model_configs/moonshotai--Kimi-K2-Thinking_config.json @d921975 (test/corpus/hf2),
      // shortened: a hand-written summary without n_group / topk_group, which Kimi-K2's config class defaults to 8 / 4.
      name: 'Kimi-K2 config.json without n_group / topk_group: its config class limits each token to 4 of 8 groups',
      file: 'model_configs/moonshotai--Kimi-K2-Thinking_config.json',
      code: '{\n  "model_type": "kimi_k2",\n  "num_hidden_layers": 61,\n  "hidden_size": 7168,\n  "n_routed_experts": 384,\n  "num_experts_per_tok": 8,\n  "routed_scaling_factor": 2.827\n}\n',
      errors: [
        {
          messageId: 'mismatch',
          text: '"model_type"',
          severity: 'warning',
          includes: ['`n_group` is 8 (its default), but kimi-k2 limits no token to expert groups', 'The published kimi-k2 limits no token to expert groups (n_group 1, topk_group 1); this one keeps 4 of 8 groups.', 'Not written; the default comes from Kimi-K2 configuration_deepseek.py', '"topk_group": 1'],
        },
      ],
      output: '{\n  "model_type": "kimi_k2",\n  "num_hidden_layers": 61,\n  "hidden_size": 7168,\n  "n_routed_experts": 384,\n  "num_experts_per_tok": 8,\n  "routed_scaling_factor": 2.827,\n  "n_group": 1,\n  "topk_group": 1\n}\n',
    },
    {
      name: 'Kimi-K2 config.json without routed_scaling_factor: its config class\'s 2.5, where Kimi-K2 scales by 2.827',
      file: 'Kimi-K2-Instruct/config.json',
      code: '{"_name_or_path": "moonshotai/Kimi-K2-Instruct", "model_type": "kimi_k2", "n_routed_experts": 384, "num_experts_per_tok": 8, "n_group": 1, "topk_group": 1, "num_hidden_layers": 61, "hidden_size": 7168}',
      errors: [{ messageId: 'mismatch', severity: 'warning', includes: ['`routed_scaling_factor` is 2.5 (its default), but kimi-k2 scales by 2.827', 'The published kimi-k2 multiplies the routed experts\' weights by 2.827.', 'DeepseekV3Config (remote code; copy at mfarisadip/Kimi-K2-Mini @0fd6b81).routed_scaling_factor = 2.5'] }],
      output: '{"_name_or_path": "moonshotai/Kimi-K2-Instruct", "model_type": "kimi_k2", "n_routed_experts": 384, "num_experts_per_tok": 8, "n_group": 1, "topk_group": 1, "num_hidden_layers": 61, "hidden_size": 7168, "routed_scaling_factor": 2.827}',
    },
    {
      name: 'Hunyuan-A13B named by its hub id, with top-2 in moe_topk[0] (the element its router reads)',
      file: 'config.json',
      code: '{"_name_or_path": "tencent/Hunyuan-A13B-Instruct", "model_type": "hunyuan", "num_experts": 64, "moe_topk": [2, 8], "num_hidden_layers": 32, "hidden_size": 4096}',
      errors: [{ messageId: 'mismatch', text: '2', severity: 'error', includes: ['`moe_topk` is 2, but hunyuan-a13b routes to 8 of 64 experts', 'The published hunyuan-a13b routes each token to 8 of 64 experts.', 'models/config.json @2798f3c'] }],
      output: '{"_name_or_path": "tencent/Hunyuan-A13B-Instruct", "model_type": "hunyuan", "num_experts": 64, "moe_topk": [8, 8], "num_hidden_layers": 32, "hidden_size": 4096}',
    },
    {
      name: 'Megatron DeepSeek-V3 launch that writes every flag it passes, without --moe-router-score-function: Megatron\'s softmax default',
      file: 'deepseek-v3.sh',
      code: 'python pretrain_gpt.py --num-layers 61 --hidden-size 7168 --num-experts 256 --moe-router-topk 8 --moe-router-num-groups 8 --moe-router-group-topk 4 --moe-router-enable-expert-bias --moe-router-topk-scaling-factor 2.5 --disable-bias-linear\n',
      errors: [{ messageId: 'mismatch', severity: 'error', includes: ['`--moe-router-score-function` is softmax (its default), but deepseek-v3-671b uses sigmoid', 'The published deepseek-v3-671b scores experts with sigmoid.'] }],
      output: 'python pretrain_gpt.py --num-layers 61 --hidden-size 7168 --num-experts 256 --moe-router-topk 8 --moe-router-num-groups 8 --moe-router-group-topk 4 --moe-router-enable-expert-bias --moe-router-topk-scaling-factor 2.5 --disable-bias-linear --moe-router-score-function sigmoid\n',
    },
    {
      name: 'a secondary-source fact gives a warning, not an error',
      file: 'torchtitan/models/qwen3/__init__.py',
      code: 'qwen3_args = {\n    "30B-A3B": Qwen3ModelArgs(moe_args=MoEArgs(num_experts=128, top_k=4, score_func="softmax", route_norm=True)),\n}\n',
      errors: [{ messageId: 'mismatch', severity: 'warning', includes: ['Secondary sources'] }],
      output: 'qwen3_args = {\n    "30B-A3B": Qwen3ModelArgs(moe_args=MoEArgs(num_experts=128, top_k=8, score_func="softmax", route_norm=True)),\n}\n',
    },
  ],
});
