/** Megatron-LM launch checks on expert parallelism and its communication overlap (census category expert-parallel). */
import { TC, ARGUMENTS, DISPATCHER, BACKEND, OVERLAP, graphImpl, isNoneNumber, MIGRATED_GRAPH_MODULES, writtenGraphModules, type MegatronLaunchCheck, type WrittenFlags } from './check';

const PARALLEL_STATE = 'megatron/core/parallel_state.py';
const MOE_LAYER = 'megatron/core/transformer/moe/moe_layer.py';
const TOKEN_DISPATCHER = 'megatron/core/transformer/moe/token_dispatcher.py';
const TP = 'tensor_model_parallel_size';
const ETP = 'expert_tensor_parallel_size';
const EP = 'expert_model_parallel_size';
const PP = 'pipeline_model_parallel_size';
const GRAPHS = 'cuda_graph_modules';

/** An MoE model: --num-experts written and not 0 (validate_args turns 0 into None, arguments.py l.1648). */
export const isMoe = (f: WrittenFlags): boolean => f.written('num_experts') && f.number('num_experts') !== 0;
/** Expert tensor parallelism: as written, else (in a whole launch) the tensor parallelism it defaults to (arguments.py l.587). */
export const etp = (f: WrittenFlags): number | undefined => (f.written(ETP) || !f.complete ? f.number(ETP) : f.number(TP));
/** The CUDA graph modules TransformerConfig sees: the deprecated 'full' means none (the whole layer), and migrated values are none. */
export const graphModules = (f: WrittenFlags): readonly string[] | undefined => writtenGraphModules(f)?.filter((m) => m !== 'full' && !MIGRATED_GRAPH_MODULES.includes(m));

const product = (...factors: (number | undefined)[]): number | undefined => (factors.every((x) => x !== undefined) ? factors.reduce<number>((a, x) => a * x!, 1) : undefined);
/** nproc_per_node × nnodes on the torchrun line (torchrun's --nnodes defaults to 1). */
const worldSize = (f: WrittenFlags): number | undefined => product(f.number('nproc_per_node'), f.written('nnodes') ? f.number('nnodes') : f.complete ? 1 : undefined);
/** ETP × expert GTP: --expert-tensor-parallel-num-weight-shards when written (arguments.py l.1507, model_parallel_config.py l.41). */
const expertWidth = (f: WrittenFlags): number | undefined => (f.written('expert_tensor_parallel_num_weight_shards') ? f.number('expert_tensor_parallel_num_weight_shards') : etp(f));
/** ETP × EP × PP × expert GTP (parallel_state.py l.873). */
const expertModelSize = (f: WrittenFlags): number | undefined => product(expertWidth(f), f.number(EP), f.number(PP));
/** TP × GTP × PP × CP (parallel_state.py l.815; --tensor-parallel-num-weight-shards is TP × GTP). */
const denseModelSize = (f: WrittenFlags): number | undefined =>
  product(f.written('tensor_parallel_num_weight_shards') ? f.number('tensor_parallel_num_weight_shards') : f.number(TP), f.number(PP), f.number('context_parallel_size'));
/** A whole division, or undefined. */
const divide = (a: number | undefined, b: number | undefined): number | undefined => (a !== undefined && b !== undefined && b > 0 && a % b === 0 ? a / b : undefined);
/** Flags from which validate_args derives virtual pipeline parallelism (arguments.py l.836-983); none written leaves it None. */
const VIRTUAL_PIPELINE = ['num_layers_per_virtual_pipeline_stage', 'num_virtual_stages_per_pipeline_rank', 'pipeline_model_parallel_layout', 'hybrid_layer_pattern', 'hybrid_override_pattern'];

/** What overlap_moe_expert_parallel_comm needs besides (transformer_config.py l.3013-3037). */
const A2A_OVERLAP = { [OVERLAP]: true, [EP]: '2', [DISPATCHER]: 'alltoall', bf16: true } as const;

export const PARALLEL_CHECKS: readonly MegatronLaunchCheck[] = [
  {
    id: 'MEG-003',
    file: TC,
    line: 1601,
    message: 'Inference-optimized MoE layers does not support expert tensor parallelism.',
    summary: 'inference-optimized MoE takes no expert tensor parallelism',
    at: 'transformer_impl',
    when: (f) => f.text('transformer_impl') === 'inference_optimized' && isMoe(f) && (etp(f) ?? 0) > 1,
    trigger: { transformer_impl: 'inference_optimized', moe_router_dtype: 'fp32', [ETP]: '2', disable_bias_linear: true },
    valid: { transformer_impl: 'inference_optimized', moe_router_dtype: 'fp32', [ETP]: '1', disable_bias_linear: true },
  },
  {
    id: 'MEG-051',
    file: TC,
    line: 2615,
    message: 'Bias in Moe is only supported when ETP==1',
    at: 'num_experts',
    when: (f) => isMoe(f) && f.on('add_bias_linear') === true && etp(f) !== undefined && etp(f) !== 1,
    trigger: { [ETP]: '2' },
    valid: { [ETP]: '2', disable_bias_linear: true },
  },
  {
    id: 'MEG-078',
    file: TC,
    line: 3009,
    message: 'If enabling EP A2A overlap, virtual_pipeline_model_parallel_size must be specified when pipeline_model_parallel_size > 1',
    summary: 'EP overlap with pipeline parallelism needs a virtual pipeline size',
    at: OVERLAP,
    when: (f) => f.on(OVERLAP) === true && (f.number(PP) ?? 0) > 1 && f.complete && VIRTUAL_PIPELINE.every((k) => !f.written(k)),
    trigger: { ...A2A_OVERLAP, [PP]: '2' },
    valid: { ...A2A_OVERLAP, [PP]: '2', num_virtual_stages_per_pipeline_rank: '2' },
  },
  {
    id: 'MEG-079',
    file: TC,
    line: 3015,
    message: 'overlap_moe_expert_parallel_comm is only supported with expert model parallelism',
    summary: '`overlap_moe_expert_parallel_comm` needs expert parallelism',
    at: OVERLAP,
    when: (f) => f.on(OVERLAP) === true && f.number('expert_model_parallel_size') !== undefined && f.number('expert_model_parallel_size')! <= 1,
    trigger: { [OVERLAP]: true, expert_model_parallel_size: '1', [DISPATCHER]: 'alltoall', bf16: true },
    valid: { [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', bf16: true },
  },
  {
    id: 'MEG-081',
    file: TC,
    line: 3023,
    message: 'disable full recomputation when enabling overlap_moe_expert_parallel_comm',
    summary: '`overlap_moe_expert_parallel_comm` with full recomputation',
    at: OVERLAP,
    when: (f) => f.on(OVERLAP) === true && f.text('recompute_granularity') === 'full',
    trigger: { [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', bf16: true, recompute_granularity: 'full' },
    valid: { [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', bf16: true, recompute_granularity: 'selective' },
  },
  {
    id: 'MEG-082',
    file: TC,
    line: 3026,
    message: 'disable recomputation method when enabling overlap_moe_expert_parallel_comm',
    summary: '`overlap_moe_expert_parallel_comm` with `recompute_method`',
    at: OVERLAP,
    when: (f) => f.on(OVERLAP) === true && f.text('recompute_method') !== undefined,
    trigger: { [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', bf16: true, recompute_method: 'uniform' },
    valid: { [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', bf16: true },
  },
  {
    id: 'MEG-083',
    file: TC,
    line: 3029,
    message: 'recompute_num_layers must be None when enabling overlap_moe_expert_parallel_comm',
    summary: '`overlap_moe_expert_parallel_comm` with `recompute_num_layers`',
    at: OVERLAP,
    when: (f) => f.on(OVERLAP) === true && f.number('recompute_num_layers') !== undefined,
    trigger: { [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', bf16: true, recompute_num_layers: '1' },
    valid: { [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', bf16: true },
  },
  {
    id: 'MEG-084',
    file: TC,
    line: 3032,
    message: 'disable moe in recompute_modules when enabling overlap_moe_expert_parallel_comm',
    summary: '`overlap_moe_expert_parallel_comm` with moe recompute',
    at: OVERLAP,
    when: (f) => f.on(OVERLAP) === true && (f.list('recompute_modules') ?? []).includes('moe'),
    trigger: { ...A2A_OVERLAP, recompute_granularity: 'selective', recompute_modules: 'moe' },
    valid: { ...A2A_OVERLAP, recompute_granularity: 'selective', recompute_modules: 'layernorm' },
  },
  {
    id: 'MEG-085',
    file: TC,
    line: 3037,
    message: 'overlap_moe_expert_parallel_comm is only supported with bf16 or fp16 model',
    summary: '`overlap_moe_expert_parallel_comm` needs a bf16 or fp16 model',
    at: OVERLAP,
    when: (f) => f.on(OVERLAP) === true && f.on('bf16') === false && f.on('fp16') === false,
    trigger: { [OVERLAP]: true, [EP]: '2', [DISPATCHER]: 'alltoall' },
    valid: { ...A2A_OVERLAP },
  },
  {
    id: 'MEG-087',
    file: TC,
    line: 3046,
    message: 'MTP supports at most one layer when enabling overlap_moe_expert_parallel_comm.',
    summary: '`overlap_moe_expert_parallel_comm` with more than one MTP layer',
    at: OVERLAP,
    when: (f) => f.on(OVERLAP) === true && (f.number('mtp_num_layers') ?? 0) > 1,
    // MTP needs rope or no position embedding (arguments.py l.883).
    trigger: { ...A2A_OVERLAP, position_embedding_type: 'rope', mtp_num_layers: '2' },
    valid: { ...A2A_OVERLAP, position_embedding_type: 'rope', mtp_num_layers: '1' },
  },
  {
    id: 'MEG-088',
    file: TC,
    line: 3058,
    message:
      "overlap_moe_expert_parallel_comm with ncclep does not support offloading 'expert_fc1': it forces expert FC1 to save the raw bf16 input, which the overlap path eagerly frees.",
    summary: 'EP overlap on ncclep with expert_fc1 offloaded',
    at: OVERLAP,
    // --moe-enable-deepep would reset the backend to deepep (l.1749).
    when: (f) =>
      f.on(OVERLAP) === true &&
      f.text(DISPATCHER) === 'flex' &&
      f.text(BACKEND) === 'ncclep' &&
      f.on('moe_enable_deepep') === false &&
      f.on('fine_grained_activation_offloading') === true &&
      (f.list('offload_modules') ?? []).includes('expert_fc1'),
    trigger: { [OVERLAP]: true, [EP]: '2', [DISPATCHER]: 'flex', [BACKEND]: 'ncclep', bf16: true, fine_grained_activation_offloading: true, offload_modules: 'expert_fc1' },
    valid: { [OVERLAP]: true, [EP]: '2', [DISPATCHER]: 'flex', [BACKEND]: 'ncclep', bf16: true, fine_grained_activation_offloading: true, offload_modules: 'moe_act' },
  },
  {
    id: 'MEG-089',
    file: TC,
    line: 3069,
    message: 'CUDA graph scope on moe and mlp is not supported with overlap_moe_expert_parallel_comm',
    summary: '`overlap_moe_expert_parallel_comm` with moe or mlp CUDA graphs',
    at: OVERLAP,
    when: (f) => f.on(OVERLAP) === true && graphImpl(f) === 'transformer_engine' && (graphModules(f) ?? []).some((m) => m === 'moe' || m === 'mlp'),
    // A 'moe' graph needs a drop-and-pad MoE (l.2844).
    trigger: { ...A2A_OVERLAP, cuda_graph_impl: 'transformer_engine', [GRAPHS]: 'moe', moe_expert_capacity_factor: '1.0', moe_pad_expert_input_to_capacity: true },
    valid: { ...A2A_OVERLAP, cuda_graph_impl: 'transformer_engine', [GRAPHS]: 'attn', moe_expert_capacity_factor: '1.0', moe_pad_expert_input_to_capacity: true },
  },
  {
    id: 'MEG-090',
    file: TC,
    line: 3077,
    message: 'overlap_moe_expert_parallel_comm must be enabled when enabling delay_wgrad_compute',
    summary: '`delay_wgrad_compute` needs `overlap_moe_expert_parallel_comm`',
    at: 'delay_wgrad_compute',
    when: (f) => f.on('delay_wgrad_compute') === true && f.on(OVERLAP) === false,
    trigger: { delay_wgrad_compute: true },
    valid: { delay_wgrad_compute: true, ...A2A_OVERLAP },
  },
  {
    id: 'MEG-091',
    file: TC,
    line: 3086,
    message: 'overlap_moe_expert_parallel_comm must be disabled when enabling overlap_dispatch_backward_with_experts_wgrad.',
    summary: '`overlap_dispatch_backward_with_experts_wgrad` with EP overlap',
    at: 'overlap_dispatch_backward_with_experts_wgrad',
    when: (f) => f.on('overlap_dispatch_backward_with_experts_wgrad') === true && f.on(OVERLAP) === true,
    trigger: { overlap_dispatch_backward_with_experts_wgrad: true, [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', bf16: true },
    valid: { overlap_dispatch_backward_with_experts_wgrad: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', bf16: true },
  },
  {
    id: 'MEG-094',
    file: TC,
    line: 3099,
    message: 'overlap_moe_expert_parallel_comm must be enabled when enabling ep_overlap_early_attn_memory_release',
    summary: '`ep_overlap_early_attn_memory_release` needs the EP overlap',
    at: 'ep_overlap_early_attn_memory_release',
    when: (f) => f.on('ep_overlap_early_attn_memory_release') === true && f.on(OVERLAP) === false,
    trigger: { ep_overlap_early_attn_memory_release: true },
    valid: { ep_overlap_early_attn_memory_release: true, ...A2A_OVERLAP },
  },
  {
    id: 'MEG-121',
    file: PARALLEL_STATE,
    line: 883,
    message: 'world_size ({world}) is not divisible by expert_tensor_model_pipeline_parallel size ({expert})',
    summary: 'world size is not divisible by expert TP x EP x PP',
    at: 'nproc_per_node',
    values: (f) => ({ world: worldSize(f) ?? '?', expert: expertModelSize(f) ?? '?' }),
    when: (f) => {
      const world = worldSize(f);
      const expert = expertModelSize(f);
      return world !== undefined && expert !== undefined && expert > 0 && world % expert !== 0;
    },
    trigger: { nproc_per_node: '6', [EP]: '4' },
    valid: { nproc_per_node: '8', [EP]: '4' },
  },
  {
    id: 'MEG-122',
    file: PARALLEL_STATE,
    line: 902,
    message: 'When not using pp-last rank ordering, the data parallel size of the attention and moe layers must be the same',
    summary: '`use_tp_pp_dp_mapping` with PP > 1 needs equal dense and expert DP',
    at: 'use_tp_pp_dp_mapping',
    // --use-tp-pp-dp-mapping orders ranks tp-cp-ep-pp-dp (initialize.py l.395).
    when: (f) => {
      const expertData = divide(worldSize(f), expertModelSize(f));
      const denseData = divide(worldSize(f), denseModelSize(f));
      return f.on('use_tp_pp_dp_mapping') === true && (f.number(PP) ?? 0) > 1 && expertData !== undefined && denseData !== undefined && expertData !== denseData;
    },
    trigger: { nproc_per_node: '8', [PP]: '2', [EP]: '2', use_tp_pp_dp_mapping: true },
    valid: { nproc_per_node: '8', [PP]: '2', [EP]: '1', use_tp_pp_dp_mapping: true },
  },
  {
    id: 'MEG-123',
    file: PARALLEL_STATE,
    line: 1449,
    message: 'Expert data parallel size should be divisible by partial DistOpt shard factor',
    summary: '`num_distributed_optimizer_instances` does not divide expert DP size',
    at: 'num_distributed_optimizer_instances',
    when: (f) => {
      const expertData = divide(worldSize(f), expertModelSize(f));
      const instances = f.number('num_distributed_optimizer_instances');
      return expertData !== undefined && instances !== undefined && instances > 1 && expertData % instances !== 0;
    },
    trigger: { nproc_per_node: '8', [EP]: '8', num_distributed_optimizer_instances: '2' },
    valid: { nproc_per_node: '8', [EP]: '4', num_distributed_optimizer_instances: '2' },
  },
  {
    id: 'MEG-127',
    stage: 'first-step',
    file: MOE_LAYER,
    line: 638,
    message: 'During training, performance may degrade if MoE and tensor parallelismare enabled without also enabling sequence parallelism.',
    summary: 'MoE with TP > 1 needs `sequence_parallel`',
    at: TP,
    when: (f) => (f.number(TP) ?? 0) > 1 && f.on('sequence_parallel') === false,
    trigger: { [TP]: '2', [ETP]: '1' },
    valid: { [TP]: '2', [ETP]: '1', sequence_parallel: true },
  },
  {
    id: 'MEG-146',
    file: TOKEN_DISPATCHER,
    line: 1836,
    message: 'DeepEP dispatcher requires TPxEP > 1',
    at: DISPATCHER,
    // The dispatcher's TP is the expert tensor parallelism (token_dispatcher.py l.86).
    when: (f) => f.text(DISPATCHER) === 'flex' && (f.text(BACKEND) === 'deepep' || f.on('moe_enable_deepep') === true) && product(etp(f), f.number(EP)) === 1,
    trigger: { [DISPATCHER]: 'flex', [BACKEND]: 'deepep' },
    valid: { [DISPATCHER]: 'flex', [BACKEND]: 'deepep', [EP]: '2' },
  },
  {
    id: 'MEG-147',
    file: TOKEN_DISPATCHER,
    line: 1854,
    message: 'NCCL EP dispatcher requires TPxEP > 1',
    at: BACKEND,
    when: (f) => f.text(DISPATCHER) === 'flex' && f.text(BACKEND) === 'ncclep' && f.on('moe_enable_deepep') === false && product(etp(f), f.number(EP)) === 1,
    trigger: { [DISPATCHER]: 'flex', [BACKEND]: 'ncclep' },
    valid: { [DISPATCHER]: 'flex', [BACKEND]: 'ncclep', [EP]: '2' },
  },
  {
    id: 'MEG-112',
    file: ARGUMENTS,
    line: 1656,
    message: 'num_experts must be non None to use expert model parallelism',
    at: EP,
    // validate_args, before TransformerConfig's own check of the same (MEG-002, which it therefore shadows).
    when: (f) => (f.number(EP) ?? 0) > 1 && isNoneNumber(f, 'num_experts'),
    trigger: { [EP]: '2' },
    valid: { [EP]: '1' },
    withoutExperts: true,
    shadows: ['MEG-002'],
  },
  {
    id: 'MEG-002',
    file: TC,
    line: 1596,
    message: 'num_moe_experts must be non None to use expert-parallel.',
    at: EP,
    // Megatron-LM stops at MEG-112 first; a Bridge config reaches TransformerConfig with the expert count it writes.
    when: (f) => (f.number(EP) ?? 0) > 1 && isNoneNumber(f, 'num_experts'),
    trigger: { [EP]: '2', num_moe_experts: 'null' },
    valid: { [EP]: '2', num_moe_experts: '8' },
    withoutExperts: true,
    bridgeOnly: true,
  },
];
