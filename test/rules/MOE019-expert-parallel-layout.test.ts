import { expertParallelLayout } from '../../src/core/rules/MOE019-expert-parallel-layout';
import { ProjectIndex } from '../../src/core/project';
import { runRuleTests } from '../rule-tester';

/** A torchtitan checkout with one gpt-oss flavor of 128 experts, as the job files below name it. */
function project(): ProjectIndex {
  const index = new ProjectIndex();
  index.setText(
    '/w/torchtitan/models/moe.py',
    'from dataclasses import dataclass\n\n@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    top_k: int = 1\n    score_func: str = "sigmoid"\n',
  );
  index.setText('/w/torchtitan/models/gpt_oss/__init__.py', 'from ..moe import MoEArgs\n\nflavors = {\n    "120b": MoEArgs(num_experts=128, top_k=4, score_func="softmax"),\n}\n');
  return index;
}

const JOB = '/w/torchtitan/models/gpt_oss/train_configs/job.toml';
const job = (parallelism: string): string => `[model]\nname = "gpt_oss"\nflavor = "120b"\n\n[parallelism]\n${parallelism}`;
const SCRIPT = 'examples/megatron/train.sh';
const megatron = (flags: string): string => `torchrun pretrain_gpt.py \\\n  --num-experts 64 --moe-router-topk 2 \\\n  ${flags}\n`;

/** torchtitan @b5bcd76's config_registry.py style: a job whose model routes 8 experts through MinimalAsyncEP. */
function registryProject(): ProjectIndex {
  const index = new ProjectIndex();
  index.setText(
    '/w/torchtitan/models/ds/__init__.py',
    `from torchtitan.models.common.decoder import Decoder, TransformerBlock
from torchtitan.models.common.moe import MoE, RoutedExperts, TokenChoiceTopKRouter
from torchtitan.models.common.token_dispatcher import MinimalAsyncEPTokenDispatcher
from torchtitan.protocols.model_spec import ModelSpec


def model_registry(flavor):
    moe = MoE.Config(
        num_experts=8,
        router=TokenChoiceTopKRouter.Config(num_experts=8, top_k=2, score_func="softmax"),
        routed_experts=RoutedExperts.Config(token_dispatcher=MinimalAsyncEPTokenDispatcher.Config(num_experts=8, top_k=2)),
    )
    return ModelSpec(name="ds", flavor=flavor, model=Decoder.Config(dim=256, layers=[TransformerBlock.Config(moe=moe)]))
`,
  );
  return index;
}
const REGISTRY = '/w/torchtitan/models/ds/config_registry.py';
const registry = (ep: number): string =>
  `from torchtitan.config import ParallelismConfig, TrainingConfig\nfrom torchtitan.trainer import Trainer\n\nfrom . import model_registry\n\n\ndef ds_job() -> Trainer.Config:\n    return Trainer.Config(\n        model_spec=model_registry("debugmodel"),\n        training=TrainingConfig(num_tokens_per_microbatch_per_dp_rank=16384),\n        parallelism=ParallelismConfig(expert_parallel_degree=${ep}),\n    )\n`;

runRuleTests(expertParallelLayout, {
  valid: [
    { name: 'MinimalAsyncEP with 8 experts over EP 4, in a config_registry.py job', file: REGISTRY, code: registry(4), project: registryProject() },
    { name: 'EP 8 over 128 experts', file: JOB, code: job('expert_parallel_degree = 8\n'), project: project() },
    { name: 'no [parallelism] table', file: JOB, code: '[model]\nname = "gpt_oss"\nflavor = "120b"\n', project: project() },
    { name: 'dp_shard -1 (the default) is resolved from the world size: not checked', file: JOB, code: job('data_parallel_shard_degree = -1\nexpert_parallel_degree = 8\n'), project: project() },
    { name: 'written dp_shard × tp divisible by EP', file: JOB, code: job('data_parallel_shard_degree = 4\ntensor_parallel_degree = 2\nexpert_parallel_degree = 8\n'), project: project() },
    { name: 'Megatron EP 8 over 64 experts', file: SCRIPT, code: megatron('--expert-model-parallel-size 8') },
    { name: 'Megatron EP from a shell variable is not asserted on', file: SCRIPT, code: megatron('--expert-model-parallel-size ${EP}') },
  ],
  invalid: [
    {
      name: 'TT-021 (stopped first by TT-010): MinimalAsyncEP with 8 experts over EP 3, in a config_registry.py job',
      file: REGISTRY,
      code: registry(3),
      project: registryProject(),
      errors: [{ messageId: 'expertsNotDivisible', text: '3', severity: 'error', includes: ['8 experts do not split over `expert_parallel_degree` = 3 ranks', 'torchtitan raises ValueError("<layer>.num_experts (8) must be divisible by expert_parallel_degree (3).").'] }],
      output: null,
    },
    {
      name: 'EP 6 does not split 128 experts: on the EP line of the job',
      file: JOB,
      code: job('expert_parallel_degree = 6\n'),
      project: project(),
      errors: [{ messageId: 'expertsNotDivisible', text: '6', severity: 'error', includes: ['128 experts do not split over `expert_parallel_degree` = 6 ranks', 'must be divisible by expert_parallel_degree (6)'] }],
      output: null,
    },
    {
      name: 'a degree of 0',
      file: JOB,
      code: job('tensor_parallel_degree = 0\n'),
      project: project(),
      errors: [{ messageId: 'degreeBelowOne', text: '0', includes: ['torchtitan raises AssertionError("Parallelism degree should be >= 1, except for dp_shard").'] }],
      output: null,
    },
    {
      name: 'a shard degree of 0',
      file: JOB,
      code: job('data_parallel_shard_degree = 0\n'),
      project: project(),
      errors: [{ messageId: 'shardDegree', text: '0' }],
      output: null,
    },
    {
      name: 'EP 8 does not divide a written dp_shard 2 × tp 2',
      file: JOB,
      code: job('data_parallel_shard_degree = 2\ntensor_parallel_degree = 2\nexpert_parallel_degree = 8\n'),
      project: project(),
      errors: [{ messageId: 'sparseRegion', text: '8', includes: ['torchtitan raises ValueError("expert_parallel_degree (8) must divide dp_shard * cp * tp (4)") since 253a12a (2026-08-22); an older one fails building its device mesh.'] }],
      output: null,
    },
    {
      name: 'Megatron EP 6 over 64 experts',
      file: SCRIPT,
      code: megatron('--expert-model-parallel-size 6'),
      errors: [{ messageId: 'expertsNotDivisible', text: '6', includes: ['`--expert-model-parallel-size` = 6', 'Number of experts should be a multiple of expert model parallel_size.'] }],
      output: null,
    },
    {
      name: 'Megatron FSDP2 with expert parallelism',
      file: SCRIPT,
      code: megatron('--expert-model-parallel-size 8 --use-torch-fsdp2'),
      errors: [{ messageId: 'fsdp2', text: '8', includes: ['`--use-torch-fsdp2` with `--expert-model-parallel-size` 8: Megatron stops at launch', 'Megatron asserts "--use-torch-fsdp2 is not supported with expert parallelism".'] }],
      output: null,
    },
    {
      // A YAML of field names is named by its fields (helper review Q14).
      name: 'Megatron FSDP2 with expert parallelism, in a YAML of field names',
      file: 'conf/moe.yaml',
      code: 'num_moe_experts: 64\nmoe_router_topk: 2\nuse_torch_fsdp2: true\nexpert_model_parallel_size: 8\n',
      errors: [{ messageId: 'fsdp2', text: '8', includes: ['`use_torch_fsdp2` with `expert_model_parallel_size` 8: Megatron stops at launch'] }],
      output: null,
    },
  ],
});
