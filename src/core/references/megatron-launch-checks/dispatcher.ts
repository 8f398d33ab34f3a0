/** Megatron-LM launch checks on capacity and token dispatcher (census category capacity/dispatcher). */
import { TC, ARGUMENTS, DISPATCHER, BACKEND, OVERLAP, choice, graphImpl, isNone, isNoneNumber, perLayerGraphs, type MegatronLaunchCheck, type WrittenFlags } from './check';
import { graphModules } from './parallel';

const TOKEN_DISPATCHER = 'megatron/core/transformer/moe/token_dispatcher.py';
const CAPACITY = 'moe_expert_capacity_factor';
const RANK_CAPACITY = 'moe_expert_rank_capacity_factor';
const PAD = 'moe_pad_expert_input_to_capacity';
const OP_FUSER = 'use_transformer_engine_op_fuser';
const GRAPHS = 'cuda_graph_modules';

/** A capacity factor in effect: a negative one is reset to None (transformer_config.py l.1838). */
const dropping = (f: WrittenFlags): boolean => (f.number(CAPACITY) ?? -1) >= 0;
/** The flex dispatcher on the ncclep backend (--moe-enable-deepep would reset the backend to deepep, l.1748). */
const ncclep = (f: WrittenFlags): boolean => f.text(DISPATCHER) === 'flex' && f.text(BACKEND) === 'ncclep' && f.on('moe_enable_deepep') === false;
const inferenceOptimized = (f: WrittenFlags): boolean => f.text('transformer_impl') === 'inference_optimized' && f.number('num_experts') !== undefined;
const batchInvariantMoe = (f: WrittenFlags): boolean => f.on('batch_invariant_mode') === true && (f.number('num_experts') ?? 0) > 0;

/** What the flex dispatcher on ncclep needs besides (EP 2: TPxEP > 1, token_dispatcher.py l.1854). */
const NCCLEP = { [DISPATCHER]: 'flex', [BACKEND]: 'ncclep', expert_model_parallel_size: '2' } as const;
/** The inference-optimized MoE layers need the fp32 router (transformer_config.py l.1610). */
const INFERENCE = { transformer_impl: 'inference_optimized', moe_router_dtype: 'fp32' } as const;
/** Batch-invariant mode's own requirements (transformer_config.py l.3212-3235). */
const BATCH_INVARIANT = { batch_invariant_mode: true, bf16: true, attention_backend: 'flash', flash_attention_version: '3', attention_dropout: '0.0' } as const;
/** Grouped GEMM experts (TEGroupedMLP) take no bias with the default bias-dropout fusion (experts.py l.207). */
const GROUPED_GEMM = { moe_grouped_gemm: true, disable_bias_linear: true } as const;
/** Paged stash with what it needs: a rank capacity (hybridep) and the op-fuser grouped MLP (experts.py l.766). */
const PAGED_STASH = { moe_paged_stash: true, [RANK_CAPACITY]: '1.5', [DISPATCHER]: 'flex', [BACKEND]: 'hybridep', [OP_FUSER]: true, ...GROUPED_GEMM } as const;

export const DISPATCHER_CHECKS: readonly MegatronLaunchCheck[] = [
  {
    id: 'MEG-004',
    file: TC,
    line: 1604,
    // Megatron's message ends in a space, dropped here.
    message: 'Inference-optimized MoE layers only support dropless MoE',
    summary: 'inference-optimized MoE takes no `moe_expert_capacity_factor`',
    at: CAPACITY,
    // Read before the reset of a negative factor to None (l.1838): any written factor stops it.
    when: (f) => inferenceOptimized(f) && f.number(CAPACITY) !== undefined,
    trigger: { ...INFERENCE, [CAPACITY]: '1.0' },
    valid: { ...INFERENCE },
  },
  {
    id: 'MEG-005',
    file: TC,
    line: 1607,
    message: 'Inference-optimized MoE layers do not support padded routing map for quantization.',
    summary: 'inference MoE takes no `moe_router_padding_for_quantization`',
    at: 'moe_router_padding_for_quantization',
    // A written capacity factor stops it first (MEG-004, l.1604).
    when: (f) => inferenceOptimized(f) && f.on('moe_router_padding_for_quantization') === true && f.number(CAPACITY) === undefined,
    trigger: { ...INFERENCE, fp8_format: 'hybrid', [DISPATCHER]: 'alltoall', moe_router_padding_for_quantization: true },
    valid: { ...INFERENCE, fp8_format: 'hybrid', [DISPATCHER]: 'alltoall' },
  },
  {
    id: 'MEG-013',
    file: TC,
    line: 1678,
    message: "batch_invariant_mode with inference-optimized MoE and expert parallelism requires inference_moe_token_dispatcher_type='nvls'.",
    summary: 'batch-invariant inference with EP needs the nvls dispatcher',
    at: 'inference_moe_token_dispatcher_type',
    when: (f) => inferenceOptimized(f) && f.on('batch_invariant_mode') === true && (f.number('expert_model_parallel_size') ?? 0) > 1 && f.text('inference_moe_token_dispatcher_type') === 'nccl',
    trigger: { ...INFERENCE, ...BATCH_INVARIANT, expert_model_parallel_size: '2', inference_moe_token_dispatcher_type: 'nccl' },
    valid: { ...INFERENCE, ...BATCH_INVARIANT, expert_model_parallel_size: '2', inference_moe_token_dispatcher_type: 'nvls' },
  },
  {
    id: 'MEG-023',
    file: TC,
    line: 1745,
    message: 'DeepEP backend is only supported with flex token dispatcher.',
    at: 'moe_enable_deepep',
    when: (f) => f.on('moe_enable_deepep') === true && f.text(DISPATCHER) !== undefined && f.text(DISPATCHER) !== 'flex',
    trigger: { moe_enable_deepep: true, [DISPATCHER]: 'alltoall' },
    valid: { moe_enable_deepep: true, [DISPATCHER]: 'flex', expert_model_parallel_size: '2' },
  },
  {
    id: 'MEG-024',
    file: TC,
    line: 1747,
    message: 'Only one backend is supported for flex token dispatcher.',
    summary: '`moe_enable_deepep` with the hybridep flex backend',
    at: 'moe_enable_deepep',
    when: (f) => f.on('moe_enable_deepep') === true && f.text(DISPATCHER) === 'flex' && f.text(BACKEND) === 'hybridep',
    trigger: { moe_enable_deepep: true, [DISPATCHER]: 'flex', [BACKEND]: 'hybridep', expert_model_parallel_size: '2' },
    valid: { moe_enable_deepep: true, [DISPATCHER]: 'flex', [BACKEND]: 'deepep', expert_model_parallel_size: '2' },
  },
  {
    id: 'MEG-025',
    file: TC,
    line: 1759,
    message: 'Flex token dispatcher with deepep backend does not support moe_pad_expert_input_to_capacity',
    summary: '`moe_pad_expert_input_to_capacity` with the DeepEP flex dispatcher',
    at: 'moe_pad_expert_input_to_capacity',
    when: (f) => f.text(DISPATCHER) === 'flex' && f.on('moe_pad_expert_input_to_capacity') === true && (f.on('moe_enable_deepep') === true || f.text(BACKEND) === 'deepep'),
    trigger: { [DISPATCHER]: 'flex', [BACKEND]: 'deepep', expert_model_parallel_size: '2', moe_expert_capacity_factor: '1.0', moe_pad_expert_input_to_capacity: true },
    valid: { [DISPATCHER]: 'flex', [BACKEND]: 'hybridep', moe_expert_capacity_factor: '1.0', moe_pad_expert_input_to_capacity: true },
  },
  {
    id: 'MEG-026',
    file: TC,
    line: 1766,
    message: "moe_flex_dispatcher_backend='ncclep' requires moe_token_dispatcher_type='flex'.",
    summary: 'the ncclep backend needs `moe_token_dispatcher_type flex`',
    at: BACKEND,
    when: (f) => f.text(BACKEND) === 'ncclep' && f.text(DISPATCHER) !== undefined && f.text(DISPATCHER) !== 'flex',
    trigger: { [BACKEND]: 'ncclep', [DISPATCHER]: 'alltoall' },
    valid: { [BACKEND]: 'ncclep', [DISPATCHER]: 'flex', expert_model_parallel_size: '2' },
  },
  {
    id: 'MEG-027',
    file: TC,
    line: 1771,
    message:
      'moe_use_grouped_tensor=True without use_transformer_engine_op_fuser is not yet supported with the NCCL-EP dispatcher. Use the TE op-fuser path or select the alltoall, DeepEP, or HybridEP dispatcher.',
    summary: 'grouped tensors on NCCL-EP need `use_transformer_engine_op_fuser`',
    at: 'moe_use_grouped_tensor',
    // Grouped tensors need grouped GEMM, or l.1414 stops it first.
    when: (f) => ncclep(f) && f.on('moe_use_grouped_tensor') === true && f.on('moe_grouped_gemm') === true && f.on(OP_FUSER) === false,
    trigger: { ...NCCLEP, ...GROUPED_GEMM, moe_use_grouped_tensor: true },
    valid: { ...NCCLEP, ...GROUPED_GEMM, moe_use_grouped_tensor: true, [OP_FUSER]: true },
  },
  {
    id: 'MEG-028',
    file: TC,
    line: 1782,
    message: "moe_dispatch_fwd_dtype / moe_combine_bwd_dtype require the 'ncclep' flex dispatcher backend.",
    summary: '`moe_dispatch_fwd_dtype mxfp8` needs the ncclep flex backend',
    at: 'moe_dispatch_fwd_dtype',
    when: (f) =>
      f.text('moe_dispatch_fwd_dtype') === 'mxfp8' &&
      ((f.text(DISPATCHER) !== undefined && f.text(DISPATCHER) !== 'flex') || (f.text(BACKEND) !== undefined && f.text(BACKEND) !== 'ncclep') || f.on('moe_enable_deepep') === true),
    trigger: { moe_dispatch_fwd_dtype: 'mxfp8', [DISPATCHER]: 'alltoall' },
    valid: { moe_dispatch_fwd_dtype: 'mxfp8', ...NCCLEP, [OP_FUSER]: true, ...GROUPED_GEMM },
  },
  {
    id: 'MEG-029',
    file: TC,
    line: 1787,
    message:
      "moe_dispatch_fwd_dtype / moe_combine_bwd_dtype = 'mxfp8' require BOTH use_transformer_engine_op_fuser and moe_grouped_gemm: only the fused grouped GEMM path consumes the pre-quantized MXFP8 GroupedTensor payload.",
    summary: 'mxfp8 dispatch needs the TE op fuser and `moe_grouped_gemm`',
    at: 'moe_dispatch_fwd_dtype',
    when: (f) => f.text('moe_dispatch_fwd_dtype') === 'mxfp8' && ncclep(f) && (f.on(OP_FUSER) === false || f.on('moe_grouped_gemm') === false),
    trigger: { moe_dispatch_fwd_dtype: 'mxfp8', ...NCCLEP, [OP_FUSER]: true },
    valid: { moe_dispatch_fwd_dtype: 'mxfp8', ...NCCLEP, [OP_FUSER]: true, ...GROUPED_GEMM },
  },
  {
    id: 'MEG-030',
    file: TC,
    line: 1808,
    // The rest of the message prints the two values.
    message: 'Conflicting deprecated SM-count knobs',
    at: 'moe_hybridep_num_sms',
    when: (f) =>
      f.number('moe_deepep_num_sms') !== undefined && f.number('moe_hybridep_num_sms') !== undefined && f.number('moe_deepep_num_sms') !== f.number('moe_hybridep_num_sms') && isNone(f, 'moe_flex_dispatcher_num_sms'),
    trigger: { moe_deepep_num_sms: '20', moe_hybridep_num_sms: '16' },
    valid: { moe_deepep_num_sms: '20', moe_hybridep_num_sms: '16', moe_flex_dispatcher_num_sms: '20' },
  },
  {
    id: 'MEG-034',
    file: TC,
    line: 1858,
    message: 'moe_expert_capacity_factor only works with aux_loss, seq_aux_loss, global_aux_loss or none load balancing',
    summary: '`moe_expert_capacity_factor` needs aux-loss or none load balancing',
    at: 'moe_expert_capacity_factor',
    when: (f) => (f.number('moe_expert_capacity_factor') ?? -1) >= 0 && f.text('moe_router_load_balancing_type') !== undefined && !['aux_loss', 'seq_aux_loss', 'global_aux_loss', 'none'].includes(f.text('moe_router_load_balancing_type')!),
    trigger: { moe_expert_capacity_factor: '1.0', moe_router_load_balancing_type: 'sinkhorn' },
    valid: { moe_expert_capacity_factor: '1.0', moe_router_load_balancing_type: 'aux_loss' },
  },
  {
    id: 'MEG-035',
    file: TC,
    line: 1865,
    message: 'moe_expert_capacity_factor must be set to use moe_pad_expert_input_to_capacity',
    summary: 'padding to capacity needs a `moe_expert_capacity_factor` of 0 or more',
    at: 'moe_pad_expert_input_to_capacity',
    // None (unwritten in a whole launch: Megatron's default) or negative, which is reset to None first (l.1837).
    when: (f) => f.on('moe_pad_expert_input_to_capacity') === true && (isNoneNumber(f, 'moe_expert_capacity_factor') || (f.number('moe_expert_capacity_factor') ?? 0) < 0),
    trigger: { moe_pad_expert_input_to_capacity: true, moe_expert_capacity_factor: '-1' },
    valid: { moe_pad_expert_input_to_capacity: true, moe_expert_capacity_factor: '1.0' },
  },
  {
    id: 'MEG-036',
    file: TC,
    line: 1871,
    message: "moe_expert_rank_capacity_factor requires moe_flex_dispatcher_backend to be 'hybridep' or 'ncclep'.",
    summary: '`moe_expert_rank_capacity_factor` needs hybridep or ncclep',
    at: 'moe_expert_rank_capacity_factor',
    when: (f) => f.written('moe_expert_rank_capacity_factor') && f.text(BACKEND) !== undefined && !['hybridep', 'ncclep'].includes(f.text(BACKEND)!),
    trigger: { moe_expert_rank_capacity_factor: '1.5', [BACKEND]: 'deepep' },
    // hybridep with a rank capacity also needs the op-fuser or grouped tensors (MEG-037).
    valid: { moe_expert_rank_capacity_factor: '1.5', [BACKEND]: 'hybridep', [OP_FUSER]: true },
  },
  {
    id: 'MEG-037',
    file: TC,
    line: 1880,
    message: "moe_expert_rank_capacity_factor with the 'hybridep' backend requires use_transformer_engine_op_fuser=True or moe_use_grouped_tensor=True.",
    summary: 'a rank capacity on hybridep needs the TE op fuser or grouped tensors',
    at: RANK_CAPACITY,
    when: (f) => f.number(RANK_CAPACITY) !== undefined && f.text(BACKEND) === 'hybridep' && f.on(OP_FUSER) === false && f.on('moe_use_grouped_tensor') === false,
    trigger: { [RANK_CAPACITY]: '1.5', [DISPATCHER]: 'flex', [BACKEND]: 'hybridep' },
    valid: { [RANK_CAPACITY]: '1.5', [DISPATCHER]: 'flex', [BACKEND]: 'hybridep', [OP_FUSER]: true },
  },
  {
    id: 'MEG-047',
    file: TC,
    line: 2212,
    message: 'moe_paged_stash cannot be enabled with cpu_offloading.',
    at: 'moe_paged_stash',
    // cpu_offloading has no flag of its own: --cpu-offloading-num-layers > 0 sets it (arguments.py l.1950).
    when: (f) => f.on('moe_paged_stash') === true && (f.number('cpu_offloading_num_layers') ?? 0) > 0,
    trigger: { ...PAGED_STASH, num_layers: '8', cpu_offloading_num_layers: '1' },
    valid: { ...PAGED_STASH, num_layers: '8' },
  },
  {
    id: 'MEG-048',
    file: TC,
    line: 2215,
    message: 'moe_paged_stash requires moe_expert_rank_capacity_factor to be set; there is no need to use paged stashing without it.',
    summary: '`moe_paged_stash` needs `moe_expert_rank_capacity_factor`',
    at: 'moe_paged_stash',
    // CPU offloading stops it first (MEG-047, l.2212).
    when: (f) => f.on('moe_paged_stash') === true && isNone(f, RANK_CAPACITY) && !((f.number('cpu_offloading_num_layers') ?? 0) > 0),
    trigger: { moe_paged_stash: true, [DISPATCHER]: 'flex', [BACKEND]: 'hybridep', [OP_FUSER]: true, ...GROUPED_GEMM },
    valid: { ...PAGED_STASH },
  },
  {
    id: 'MEG-049',
    file: TC,
    line: 2223,
    // The rest of the message names the modules to remove.
    message: 'When moe_paged_stash is enabled, offload_modules must not include expert_fc1, moe_act, or fused_group_mlp (paged stash covers those activations).',
    summary: '`offload_modules` has expert modules that `moe_paged_stash` covers',
    at: 'offload_modules',
    // After MEG-047 and MEG-048 (l.2212, l.2215): no CPU offloading, a rank capacity written.
    when: (f) =>
      f.on('moe_paged_stash') === true &&
      f.number(RANK_CAPACITY) !== undefined &&
      !((f.number('cpu_offloading_num_layers') ?? 0) > 0) &&
      (f.list('offload_modules') ?? []).some((m) => ['expert_fc1', 'moe_act', 'fused_group_mlp'].includes(m)),
    trigger: { ...PAGED_STASH, fine_grained_activation_offloading: true, offload_modules: 'moe_act' },
    valid: { ...PAGED_STASH, fine_grained_activation_offloading: true, offload_modules: 'core_attn' },
  },
  {
    id: 'MEG-055',
    file: TC,
    line: 2652,
    message: 'fp8/fp4 must be specified when moe_router_padding_for_quantization is True.',
    summary: '`moe_router_padding_for_quantization` needs fp8 or fp4',
    at: 'moe_router_padding_for_quantization',
    // --fp8-format and --fp4-format are the flags of the fields fp8 and fp4 (l.587, l.673).
    when: (f) => f.on('moe_router_padding_for_quantization') === true && isNone(f, 'fp8_format') && isNone(f, 'fp4_format'),
    trigger: { moe_router_padding_for_quantization: true, [DISPATCHER]: 'alltoall' },
    valid: { moe_router_padding_for_quantization: true, [DISPATCHER]: 'alltoall', fp8_format: 'hybrid' },
  },
  {
    id: 'MEG-056',
    file: TC,
    line: 2657,
    message: 'allgather and alltoall_seq dispatcher does not support moe_router_padding_for_quantization.',
    summary: '`moe_router_padding_for_quantization` needs alltoall or flex dispatch',
    at: 'moe_router_padding_for_quantization',
    when: (f) => f.on('moe_router_padding_for_quantization') === true && ['allgather', 'alltoall_seq'].includes(f.text(DISPATCHER) ?? ''),
    trigger: { moe_router_padding_for_quantization: true, fp8_format: 'hybrid', [DISPATCHER]: 'allgather' },
    valid: { moe_router_padding_for_quantization: true, fp8_format: 'hybrid', [DISPATCHER]: 'alltoall' },
  },
  {
    id: 'MEG-066',
    file: TC,
    line: 2844,
    message: 'moe cuda graph is only supported with drop-padding MoE.',
    at: GRAPHS,
    when: (f) => perLayerGraphs(f) && (f.number('num_experts') ?? 0) > 1 && (graphModules(f) ?? []).includes('moe') && (f.on(PAD) === false || isNone(f, CAPACITY) || (f.number(CAPACITY) ?? 0) < 0),
    trigger: { cuda_graph_impl: 'transformer_engine', [GRAPHS]: 'moe', [DISPATCHER]: 'alltoall' },
    valid: { cuda_graph_impl: 'transformer_engine', [GRAPHS]: 'moe', [DISPATCHER]: 'alltoall', [CAPACITY]: '1.0', [PAD]: true },
  },
  {
    id: 'MEG-067',
    file: TC,
    line: 2850,
    message: 'moe_preprocess cuda graph is not supported when there are DtoH copies and synchronizations in the preprocess step.',
    summary: 'moe_preprocess CUDA graph with alltoall token dropping, unpadded',
    at: GRAPHS,
    // Reached without padding to capacity (a padded one needs a factor, l.1865); the local implementation adds moe_router to
    // moe_preprocess (l.2812), transformer_engine needs it written (l.2824), and moe with moe_router stops at l.2820.
    when: (f) =>
      perLayerGraphs(f) &&
      (f.number('num_experts') ?? 0) > 1 &&
      (graphModules(f) ?? []).includes('moe_preprocess') &&
      !(graphModules(f) ?? []).includes('moe') &&
      ((graphModules(f) ?? []).includes('moe_router') || graphImpl(f) === 'local') &&
      f.text(DISPATCHER) === 'alltoall' &&
      f.on(PAD) === false &&
      (dropping(f) || f.on('moe_router_padding_for_fp8') === true),
    trigger: { cuda_graph_impl: 'transformer_engine', [GRAPHS]: 'moe_router moe_preprocess', [DISPATCHER]: 'alltoall', [CAPACITY]: '1.0' },
    valid: { cuda_graph_impl: 'transformer_engine', [GRAPHS]: 'moe_router moe_preprocess', [DISPATCHER]: 'alltoall', [CAPACITY]: '1.0', [PAD]: true },
  },
  {
    id: 'MEG-074',
    file: TC,
    line: 2962,
    message: 'Token-drop MoE is temporarily not supported with activation offloading.',
    summary: 'activation offloading with graphed token-drop MoE',
    at: GRAPHS,
    // Only transformer_engine graphs reach it with moe captured (local ones stop at l.2954), and only drop-padding MoE
    // gets past l.2844 (MEG-066).
    when: (f) =>
      f.on('fine_grained_activation_offloading') === true &&
      (f.text('cuda_graph_impl') === 'transformer_engine' || f.on('external_cuda_graph') === true) &&
      (graphModules(f) ?? []).includes('moe') &&
      f.on(PAD) === true &&
      dropping(f),
    trigger: { fine_grained_activation_offloading: true, offload_modules: 'core_attn', cuda_graph_impl: 'transformer_engine', [GRAPHS]: 'moe', [DISPATCHER]: 'alltoall', [CAPACITY]: '1.0', [PAD]: true },
    valid: { fine_grained_activation_offloading: true, offload_modules: 'core_attn', cuda_graph_impl: 'transformer_engine', [GRAPHS]: 'attn', [DISPATCHER]: 'alltoall', [CAPACITY]: '1.0', [PAD]: true },
  },
  {
    id: 'MEG-080',
    file: TC,
    line: 3019,
    message: 'overlap_moe_expert_parallel_comm is supported with alltoall/flex token dispatcher',
    summary: '`overlap_moe_expert_parallel_comm` needs alltoall or flex dispatch',
    at: OVERLAP,
    when: (f) => f.on(OVERLAP) === true && f.text(DISPATCHER) !== undefined && !['alltoall', 'flex'].includes(f.text(DISPATCHER)!),
    trigger: { [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'allgather', bf16: true },
    valid: { [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', bf16: true },
  },
  {
    id: 'MEG-096',
    file: TC,
    line: 3243,
    message: "Batch-invariant MoE training requires moe_token_dispatcher_type='alltoall'.",
    summary: 'batch-invariant MoE training needs the alltoall dispatcher',
    at: 'batch_invariant_mode',
    when: (f) => batchInvariantMoe(f) && f.text('transformer_impl') !== undefined && f.text('transformer_impl') !== 'inference_optimized' && f.text(DISPATCHER) !== undefined && f.text(DISPATCHER) !== 'alltoall',
    trigger: { ...BATCH_INVARIANT, [DISPATCHER]: 'allgather' },
    valid: { ...BATCH_INVARIANT, [DISPATCHER]: 'alltoall' },
  },
  {
    id: 'MEG-099',
    file: TC,
    line: 3265,
    message: 'Batch-invariant MoE requires the unfused permute/unpermute path so top-k reductions use the fixed batch-invariant add tree.',
    summary: 'batch-invariant MoE needs unfused permute/unpermute',
    at: 'batch_invariant_mode',
    when: (f) => batchInvariantMoe(f) && (f.on('moe_permute_fusion') === true || f.on('moe_permute_fusion_into_hybridep') === true),
    trigger: { ...BATCH_INVARIANT, [DISPATCHER]: 'alltoall', moe_permute_fusion: true },
    valid: { ...BATCH_INVARIANT, [DISPATCHER]: 'alltoall' },
  },
  {
    id: 'MEG-100',
    file: TC,
    line: 3272,
    message: 'Batch-invariant MoE supports dynamic dropless routing only. Disable MoE capacity/expert padding.',
    summary: 'batch-invariant MoE takes no capacity padding or expert padding',
    at: 'batch_invariant_mode',
    when: (f) => batchInvariantMoe(f) && (f.on(PAD) === true || f.on('moe_pad_experts_for_cuda_graph_inference') === true),
    trigger: { ...BATCH_INVARIANT, [DISPATCHER]: 'alltoall', [CAPACITY]: '1.0', [PAD]: true },
    valid: { ...BATCH_INVARIANT, [DISPATCHER]: 'alltoall', [CAPACITY]: '1.0' },
  },
  choice('MEG-103', 891, DISPATCHER, ['allgather', 'alltoall', 'flex']),
  choice('MEG-104', 898, BACKEND, ['deepep', 'hybridep', 'ncclep']),
  choice('MEG-105', 932, 'moe_token_drop_policy', ['probs', 'position']),
  choice('MEG-106', 997, 'moe_dispatch_fwd_dtype', ['bf16', 'mxfp8']),
  choice('MEG-107', 1244, 'inference_moe_token_dispatcher_type', ['nccl', 'nvls']),
  {
    id: 'MEG-117',
    file: ARGUMENTS,
    line: 1757,
    message: 'Fake process group is not supported with flex token dispatcher.',
    at: 'fake_process_group',
    when: (f) => f.on('fake_process_group') === true && f.text(DISPATCHER) === 'flex',
    trigger: { fake_process_group: true, [DISPATCHER]: 'flex', expert_model_parallel_size: '2' },
    valid: { fake_process_group: true, [DISPATCHER]: 'alltoall', expert_model_parallel_size: '2' },
  },
  {
    id: 'MEG-141',
    file: TOKEN_DISPATCHER,
    line: 1556,
    message: "drop and pad is not supported yet with the 'ncclep' backend.",
    summary: 'a capacity factor (drop and pad) with the ncclep backend',
    at: CAPACITY,
    // Padding to capacity needs a factor (l.1865), so a factor in effect is the whole condition.
    when: (f) => ncclep(f) && dropping(f),
    trigger: { ...NCCLEP, [CAPACITY]: '1.0' },
    valid: { ...NCCLEP },
  },
  {
    id: 'MEG-142',
    file: TOKEN_DISPATCHER,
    line: 1561,
    message: 'moe_ncclep_zero_copy requires moe_expert_rank_capacity_factor: the symm-mem buffers are a fixed [recv_capacity, hidden] and cannot be resized per step.',
    summary: '`moe_ncclep_zero_copy` needs `moe_expert_rank_capacity_factor`',
    at: 'moe_ncclep_zero_copy',
    // Eager mode (no rank capacity); a capacity factor stops it first (MEG-141, l.1556).
    when: (f) => ncclep(f) && f.on('moe_ncclep_zero_copy') === true && isNone(f, RANK_CAPACITY) && !dropping(f),
    trigger: { ...NCCLEP, [OP_FUSER]: true, ...GROUPED_GEMM, moe_ncclep_zero_copy: true },
    valid: { ...NCCLEP, [OP_FUSER]: true, ...GROUPED_GEMM, moe_ncclep_zero_copy: true, [RANK_CAPACITY]: '1.5' },
  },
  {
    id: 'MEG-143',
    file: TOKEN_DISPATCHER,
    line: 1572,
    message:
      "moe_expert_rank_capacity_factor with the 'ncclep' backend requires BOTH use_transformer_engine_op_fuser and moe_grouped_gemm (the fused grouped GEMM over device-side per-expert counts); unset it to use eager mode instead.",
    summary: 'ncclep rank capacity needs the TE op fuser and `moe_grouped_gemm`',
    at: RANK_CAPACITY,
    // Static mode; a capacity factor stops it first (MEG-141, l.1556).
    when: (f) => ncclep(f) && f.number(RANK_CAPACITY) !== undefined && !dropping(f) && (f.on(OP_FUSER) === false || f.on('moe_grouped_gemm') === false),
    trigger: { ...NCCLEP, [RANK_CAPACITY]: '1.5' },
    valid: { ...NCCLEP, [RANK_CAPACITY]: '1.5', [OP_FUSER]: true, ...GROUPED_GEMM },
  },
  // The same bad values, where they reach Megatron Core without argparse (a YAML or Python config of field names).
  {
    id: 'MEG-125',
    file: 'megatron/core/transformer/moe/moe_layer.py',
    line: 330,
    message: 'Unsupported token dispatcher type: {value}',
    summary: '`moe_token_dispatcher_type` is not allgather, alltoall or flex',
    at: DISPATCHER,
    when: (f) => f.text(DISPATCHER) !== undefined && !['allgather', 'alltoall', 'flex'].includes(f.text(DISPATCHER)!),
    trigger: { [DISPATCHER]: 'all2all' },
    valid: { [DISPATCHER]: 'alltoall' },
    fieldsOnly: true,
  },
  {
    id: 'MEG-140',
    stage: 'first-step',
    file: 'megatron/core/transformer/moe/moe_utils.py',
    line: 1071,
    message: 'Invalid drop_policy: {value}',
    summary: '`moe_token_drop_policy` is not probs or position',
    at: 'moe_token_drop_policy',
    // Reached only when tokens are dropped: the capacity, tokens × top-k / experts × factor (get_capacity), is at
    // most the tokens, i.e. factor ≤ experts / top-k (l.1056).
    when: (f) =>
      f.text('moe_token_drop_policy') !== undefined &&
      !['probs', 'position'].includes(f.text('moe_token_drop_policy')!) &&
      dropping(f) &&
      (f.number('num_experts') ?? 0) > 0 &&
      (f.number('moe_router_topk') ?? 0) > 0 &&
      f.number(CAPACITY)! * f.number('moe_router_topk')! < f.number('num_experts')!,
    trigger: { moe_token_drop_policy: 'random', [CAPACITY]: '1.0' },
    valid: { moe_token_drop_policy: 'position', [CAPACITY]: '1.0' },
    fieldsOnly: true,
  },
  {
    id: 'MEG-148',
    file: TOKEN_DISPATCHER,
    line: 1865,
    // Two f-string parts joined without a space, as Megatron prints them.
    message: 'Invalid backend: {value}Please set --moe-flex-dispatcher-backend to deepep, hybridep, or ncclep',
    summary: '`moe_flex_dispatcher_backend` is not deepep, hybridep or ncclep',
    at: BACKEND,
    when: (f) => f.text(DISPATCHER) === 'flex' && f.text(BACKEND) !== undefined && !['deepep', 'hybridep', 'ncclep'].includes(f.text(BACKEND)!) && f.on('moe_enable_deepep') !== true,
    trigger: { [DISPATCHER]: 'flex', [BACKEND]: 'nccl' },
    valid: { [DISPATCHER]: 'flex', [BACKEND]: 'hybridep' },
    fieldsOnly: true,
  },
];
