import { torchtitanTokenDispatcher } from '../../src/core/rules/MOE021-torchtitan-token-dispatcher';
import { ProjectIndex } from '../../src/core/project';
import { runRuleTests } from '../rule-tester';

// ---- TOML job files (torchtitan before 9810191): `[parallelism] expert_tensor_parallel_degree` (TT-025) ----------

/** A torchtitan checkout with one gpt-oss flavor of 128 experts, as the job files below name it. */
function tomlProject(): ProjectIndex {
  const index = new ProjectIndex();
  index.setText(
    '/w/torchtitan/models/moe.py',
    'from dataclasses import dataclass\n\n@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    top_k: int = 1\n    score_func: str = "sigmoid"\n',
  );
  index.setText('/w/torchtitan/models/gpt_oss/__init__.py', 'from ..moe import MoEArgs\n\nflavors = {\n    "120b": MoEArgs(num_experts=128, top_k=4, score_func="softmax"),\n}\n');
  return index;
}

const JOB = '/w/torchtitan/models/gpt_oss/train_configs/job.toml';
const job = (parallelism: string, extra = ''): string => `[model]\nname = "gpt_oss"\nflavor = "120b"\n${extra}\n[parallelism]\n${parallelism}`;

// ---- config_registry.py job functions (torchtitan @b5bcd76) --------------------------------------------------------

/**
 * A model whose `model_registry(moe_comm_backend=...)` picks the token dispatcher as torchtitan's
 * `make_token_dispatcher_config` does (config_utils.py @b5bcd76 lines 388–425); the framework's own classes are
 * imports the workspace does not hold.
 */
const MODEL = `from torchtitan.models.common.decoder import Decoder, TransformerBlock
from torchtitan.models.common.moe import MoE, RoutedExperts, TokenChoiceTopKRouter
from torchtitan.models.common.token_dispatcher import (
    AllToAllTokenDispatcher,
    DeepEPTokenDispatcher,
    HybridEPTokenDispatcher,
    MinimalAsyncEPTokenDispatcher,
)
from torchtitan.protocols.model_spec import ModelSpec


def make_token_dispatcher_config(*, num_experts, top_k, comm_backend, non_blocking_capacity_factor=None, num_max_tokens_per_rank=None):
    if comm_backend == "deepep":
        return DeepEPTokenDispatcher.Config(num_experts=num_experts, top_k=top_k, num_max_tokens_per_rank=num_max_tokens_per_rank)
    elif comm_backend == "hybridep":
        return HybridEPTokenDispatcher.Config(
            num_experts=num_experts,
            top_k=top_k,
            non_blocking_capacity_factor=non_blocking_capacity_factor,
            num_max_tokens_per_rank=num_max_tokens_per_rank,
        )
    elif comm_backend == "minimal_async_ep":
        return MinimalAsyncEPTokenDispatcher.Config(num_experts=num_experts, top_k=top_k, num_max_tokens_per_rank=num_max_tokens_per_rank)
    elif comm_backend == "standard":
        return AllToAllTokenDispatcher.Config(num_experts=num_experts, top_k=top_k)
    else:
        raise ValueError(f"Unknown comm_backend: '{comm_backend}'.")


def model_registry(flavor, moe_comm_backend="standard", non_blocking_capacity_factor=None, num_max_tokens_per_rank=None):
    moe = MoE.Config(
        num_experts=8,
        router=TokenChoiceTopKRouter.Config(num_experts=8, top_k=2, score_func="softmax"),
        routed_experts=RoutedExperts.Config(
            token_dispatcher=make_token_dispatcher_config(
                num_experts=8,
                top_k=2,
                comm_backend=moe_comm_backend,
                non_blocking_capacity_factor=non_blocking_capacity_factor,
                num_max_tokens_per_rank=num_max_tokens_per_rank,
            ),
        ),
    )
    return ModelSpec(name="ds", flavor=flavor, model=Decoder.Config(dim=256, layers=[TransformerBlock.Config(moe=moe)]))
`;

function pythonProject(): ProjectIndex {
  const index = new ProjectIndex();
  index.setText('/w/torchtitan/models/ds/__init__.py', MODEL);
  return index;
}

const REGISTRY = '/w/torchtitan/models/ds/config_registry.py';
const HEADER = `from torchtitan.config import CompileConfig, ParallelismConfig, TrainingConfig
from torchtitan.distributed.activation_checkpoint import FullAC, SelectiveAC
from torchtitan.experiments.graph_trainer.configs import GraphTrainerCompileConfig
from torchtitan.trainer import Trainer

from . import model_registry

`;

interface Job {
  /** `model_registry`'s keywords after the flavor. */
  readonly model?: string;
  readonly training?: string;
  readonly parallelism?: string;
  /** Further `Trainer.Config` keywords, each line ending in a comma. */
  readonly rest?: string;
}

/** One whole job function, as torchtitan's config_registry.py modules write them. */
function registry({ model = '', training = 'num_tokens_per_microbatch_per_dp_rank=16384, disable_cuda_graphs=True', parallelism = 'expert_parallel_degree=8', rest = '' }: Job, after = ''): string {
  return (
    HEADER +
    `def ds_job() -> Trainer.Config:\n` +
    `    return Trainer.Config(\n` +
    `        model_spec=model_registry("debugmodel"${model ? `, ${model}` : ''}),\n` +
    `        training=TrainingConfig(${training}),\n` +
    `        parallelism=ParallelismConfig(${parallelism}),\n` +
    (rest ? `        ${rest}\n` : '') +
    `    )\n` +
    after
  );
}

const py = (name: string, spec: Job) => ({ name, file: REGISTRY, code: registry(spec), project: pythonProject() });

runRuleTests(torchtitanTokenDispatcher, {
  valid: [
    // TT-025
    { name: 'TOML: ETP equal to TP', file: JOB, code: job('tensor_parallel_degree = 2\nexpert_parallel_degree = 8\nexpert_tensor_parallel_degree = 2\n'), project: tomlProject() },
    { name: 'TOML: ETP 1 with TP 2', file: JOB, code: job('tensor_parallel_degree = 2\nexpert_parallel_degree = 8\nexpert_tensor_parallel_degree = 1\n'), project: tomlProject() },
    { name: 'TOML: ETP 4 without expert parallelism is not checked', file: JOB, code: job('tensor_parallel_degree = 2\nexpert_tensor_parallel_degree = 4\n'), project: tomlProject() },
    {
      name: 'TOML: a custom_config_module may change the TP default: ETP 2 with TP unwritten is not checked',
      file: JOB,
      code: job('expert_parallel_degree = 8\nexpert_tensor_parallel_degree = 2\n', '\n[job]\ncustom_config_module = "my_project.config"\n'),
      project: tomlProject(),
    },
    py('Python: ETP equal to TP (a config_registry.py between 9810191 and c4b409a)', { parallelism: 'tensor_parallel_degree=2, expert_parallel_degree=8, expert_tensor_parallel_degree=2' }),
    // TT-011
    py('HybridEP with 16384 tokens over CP 2 × TP 2', { model: 'moe_comm_backend="hybridep", non_blocking_capacity_factor=1.0', parallelism: 'context_parallel_degree=2, tensor_parallel_degree=2, expert_parallel_degree=8' }),
    py('the standard dispatcher is not checked against CP × TP', { parallelism: 'context_parallel_degree=3, expert_parallel_degree=8' }),
    // TT-012 / TT-020
    py('DeepEP with EP 8', { model: 'moe_comm_backend="deepep"' }),
    py('the standard dispatcher with EP 1', { parallelism: 'expert_parallel_degree=1' }),
    // TT-013 / TT-014
    py('DeepEP num_max_tokens_per_rank equal to the per-rank share', { model: 'moe_comm_backend="deepep", num_max_tokens_per_rank=8192', parallelism: 'tensor_parallel_degree=2, expert_parallel_degree=8' }),
    // TT-019
    py('the comm backend spelled as make_token_dispatcher_config knows it', { model: 'moe_comm_backend="standard"' }),
    // TT-022
    py('MinimalAsyncEP with FullAC', { model: 'moe_comm_backend="minimal_async_ep"', training: 'num_tokens_per_microbatch_per_dp_rank=16384', rest: 'activation_checkpoint=FullAC.Config(),' }),
    py('MinimalAsyncEP with graph_trainer\'s compile.memory_policy "full"', {
      model: 'moe_comm_backend="minimal_async_ep"',
      rest: 'activation_checkpoint=SelectiveAC.Config(),\n        compile=GraphTrainerCompileConfig(enable=True, memory_policy="full"),',
    }),
    py('MinimalAsyncEP with a compile config MoE Lens does not know: memory_policy not assumed', { model: 'moe_comm_backend="minimal_async_ep"', rest: 'activation_checkpoint=SelectiveAC.Config(),\n        compile=GraphTrainerCompileConfig(enable=True),' }),
    // TT-023
    py('CUDA graphs with HybridEP and a non_blocking_capacity_factor', { model: 'moe_comm_backend="hybridep", non_blocking_capacity_factor=1.0', training: 'num_tokens_per_microbatch_per_dp_rank=16384' }),
    py('CUDA graphs with MinimalAsyncEP', { model: 'moe_comm_backend="minimal_async_ep"', training: 'num_tokens_per_microbatch_per_dp_rank=16384', rest: 'activation_checkpoint=FullAC.Config(),' }),
    py('the standard dispatcher with CUDA graphs off', { training: 'num_tokens_per_microbatch_per_dp_rank=16384, disable_cuda_graphs=True' }),
    // Never guess
    py('a job without num_tokens_per_microbatch_per_dp_rank (an older torchtitan) is not checked', { model: 'moe_comm_backend="deepep"', training: 'steps=10', parallelism: 'expert_parallel_degree=1' }),
    {
      name: 'a job that changes its config afterwards is not checked',
      file: REGISTRY,
      code: registry({ model: 'moe_comm_backend="deepep"', parallelism: 'expert_parallel_degree=1' }).replace('    return Trainer.Config(', '    config = Trainer.Config(') + '    config.parallelism.expert_parallel_degree = 8\n    return config\n',
      project: pythonProject(),
    },
    {
      name: 'a job that hands its config to another function (enable_fused_swiglu(config)) is not checked',
      file: REGISTRY,
      code:
        registry({ model: 'moe_comm_backend="deepep"', parallelism: 'expert_parallel_degree=1' }).replace('    return Trainer.Config(', '    config = Trainer.Config(') +
        '    enable_fused_swiglu(config)\n    return config\n',
      project: pythonProject(),
    },
    {
      name: 'a job derived from another function is not checked',
      file: REGISTRY,
      code: registry({ model: 'moe_comm_backend="hybridep"', parallelism: 'expert_parallel_degree=8' }, '\n\ndef ds_job_ep1() -> Trainer.Config:\n    config = ds_job()\n    config.parallelism.expert_parallel_degree = 1\n    return config\n'),
      project: pythonProject(),
    },
  ],
  invalid: [
    {
      name: 'TOML: ETP 4 with TP 2 and EP 8, on the ETP value',
      file: JOB,
      code: job('tensor_parallel_degree = 2\nexpert_parallel_degree = 8\nexpert_tensor_parallel_degree = 4\n'),
      project: tomlProject(),
      errors: [{ messageId: 'launch', text: '4', severity: 'error', includes: ['"Currently we only support ETP=TP or ETP=1"', 'parallel_dims.py @238fa99 line 59', 'TT-025'] }],
      output: null,
    },
    {
      name: 'TOML: ETP 2 with TP unwritten (JobConfig default 1)',
      file: JOB,
      code: job('expert_parallel_degree = 8\nexpert_tensor_parallel_degree = 2\n'),
      project: tomlProject(),
      errors: [{ messageId: 'launch', text: '2', includes: ['ETP=TP or ETP=1', "at torchtitan's defaults", 'tensor_parallel_degree = 1'] }],
      output: null,
    },
    {
      ...py('Python: ETP 4 with TP 2 (a config_registry.py between 9810191 and c4b409a)', { parallelism: 'tensor_parallel_degree=2, expert_parallel_degree=8, expert_tensor_parallel_degree=4' }),
      errors: [{ messageId: 'launch', text: '4', includes: ['ETP=TP or ETP=1', 'TT-025'] }],
      output: null,
    },
    {
      ...py('HybridEP with 16384 tokens over CP 2 × TP 3, on the token count', {
        model: 'moe_comm_backend="hybridep", non_blocking_capacity_factor=1.0',
        parallelism: 'context_parallel_degree=2, tensor_parallel_degree=3, expert_parallel_degree=8',
      }),
      errors: [
        {
          messageId: 'launch',
          text: '16384',
          includes: [
            '"training.num_tokens_per_microbatch_per_dp_rank (16384) must be divisible by context_parallel_degree * tensor_parallel_degree (6) so CP and TP/SP produce equal local token counts. Set training.num_tokens_per_microbatch_per_dp_rank to a multiple of 6."',
            'token_dispatcher.py @b5bcd76 line 1227',
            'TT-011',
          ],
        },
      ],
      output: null,
    },
    {
      ...py('DeepEP with EP 1, on the EP value; TT-018 (stopped first by TT-012) is the same condition for MinimalAsyncEP\'s dispatcher, below', { model: 'moe_comm_backend="deepep"', parallelism: 'expert_parallel_degree=1' }),
      errors: [{ messageId: 'launch', text: '1', includes: ['"DeepEPTokenDispatcher.Config requires expert parallelism (expert_parallel_degree > 1)."', 'line 1241', 'TT-012'] }],
      output: null,
    },
    {
      ...py('HybridEP with EP unwritten (default 1), on the backend', { model: 'moe_comm_backend="hybridep", non_blocking_capacity_factor=1.0', parallelism: 'data_parallel_shard_degree=8' }),
      errors: [{ messageId: 'launch', text: '"hybridep"', includes: ['HybridEPTokenDispatcher.Config requires expert parallelism', 'expert_parallel_degree = 1'] }],
      output: null,
    },
    {
      ...py('TT-018 (stopped first by TT-012): MinimalAsyncEP with EP 1 (the same check again in minimal_async_ep/api.py)', { model: 'moe_comm_backend="minimal_async_ep"', parallelism: 'expert_parallel_degree=1', rest: 'activation_checkpoint=FullAC.Config(),' }),
      errors: [{ messageId: 'launch', text: '1', includes: ['"MinimalAsyncEPTokenDispatcher.Config requires expert parallelism (expert_parallel_degree > 1)."', 'api.py @b5bcd76 line 113', 'TT-012, TT-020'] }],
      output: null,
    },
    {
      ...py('TT-016 (stopped first by TT-013): DeepEP num_max_tokens_per_rank 0, on the value the job writes', { model: 'moe_comm_backend="deepep", num_max_tokens_per_rank=0' }),
      errors: [{ messageId: 'launch', text: '0', includes: ['"DeepEPTokenDispatcher.Config num_max_tokens_per_rank must be positive, got 0."', 'line 1250', 'TT-013'] }],
      output: null,
    },
    {
      ...py('DeepEP num_max_tokens_per_rank below 16384 / TP 2', { model: 'moe_comm_backend="deepep", num_max_tokens_per_rank=4096', parallelism: 'tensor_parallel_degree=2, expert_parallel_degree=8' }),
      errors: [{ messageId: 'launch', text: '4096', includes: ['"DeepEPTokenDispatcher.Config num_max_tokens_per_rank (4096) is smaller than the required per-rank capacity (8192)."', 'line 1260', 'TT-014'] }],
      output: null,
    },
    {
      ...py('an unknown comm backend, on its value', { model: 'moe_comm_backend="deeep"' }),
      errors: [{ messageId: 'launch', text: '"deeep"', includes: ['torchtitan raises ValueError("Unknown comm_backend: \'deeep\'. Must be one of \'standard\', \'deepep\', \'hybridep\', \'minimal_async_ep\'.").', 'config_utils.py @b5bcd76 line 423', 'TT-019'] }],
      output: null,
    },
    {
      ...py('MinimalAsyncEP with selective activation checkpointing, on the AC config', { model: 'moe_comm_backend="minimal_async_ep"', rest: 'activation_checkpoint=SelectiveAC.Config(),\n        compile=CompileConfig(enable=True),' }),
      errors: [{ messageId: 'launch', text: 'SelectiveAC.Config()', includes: ['"MinimalAsyncEP requires full recompute: set activation-checkpoint:full for eager training or --compile.memory_policy full for graph_trainer."', 'api.py @b5bcd76 line 137', 'TT-022'] }],
      output: null,
    },
    {
      ...py('MinimalAsyncEP with activation checkpointing unwritten (Trainer.Config default SelectiveAC), on the backend', { model: 'moe_comm_backend="minimal_async_ep"' }),
      errors: [{ messageId: 'launch', text: '"minimal_async_ep"', includes: ['MinimalAsyncEP requires full recompute', 'activation_checkpoint = SelectiveAC.Config()'] }],
      output: null,
    },
    {
      ...py('MinimalAsyncEP with graph_trainer\'s compile.memory_policy "default"', {
        model: 'moe_comm_backend="minimal_async_ep"',
        rest: 'activation_checkpoint=SelectiveAC.Config(),\n        compile=GraphTrainerCompileConfig(enable=True, memory_policy="default"),',
      }),
      errors: [{ messageId: 'launch', text: 'SelectiveAC.Config()', includes: ['MinimalAsyncEP requires full recompute'] }],
      output: null,
    },
    {
      ...py('CUDA graphs (on by default) with the standard dispatcher and EP 8, on the EP value', { training: 'num_tokens_per_microbatch_per_dp_rank=16384' }),
      errors: [
        {
          messageId: 'launch',
          text: '8',
          includes: [
            'torchtitan raises ValueError("CUDA graphs support only expert parallel token dispatcher configurations without CPU synchronization. Set HybridEP non_blocking_capacity_factor, or use MinimalAsyncEP, or set --training.disable_cuda_graphs. Unsupported token dispatcher: AllToAllTokenDispatcher.Config.").',
            'trainer.py @b5bcd76 line 192',
            'TT-023',
            'training.disable_cuda_graphs = False',
          ],
        },
      ],
      output: null,
    },
    {
      ...py('CUDA graphs written on with HybridEP without a non_blocking_capacity_factor, on disable_cuda_graphs', { model: 'moe_comm_backend="hybridep"', training: 'num_tokens_per_microbatch_per_dp_rank=16384, disable_cuda_graphs=False' }),
      errors: [{ messageId: 'launch', text: 'False', includes: ['Unsupported token dispatcher: HybridEPTokenDispatcher.Config.'] }],
      output: null,
    },
  ],
});
