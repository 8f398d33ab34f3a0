/** Megatron-LM launch checks on the router, expert groups, load balancing and shared experts (census categories routing, groups, load-balancing, shared-experts). */
import { TC, ARGUMENTS, DISPATCHER, OVERLAP, choice, graphImpl, isNone, type MegatronLaunchCheck, type WrittenFlags } from './check';
import { graphModules, isMoe } from './parallel';

const ROUTER = 'megatron/core/transformer/moe/router.py';
const MOE_LAYER = 'megatron/core/transformer/moe/moe_layer.py';
const EXPERTS = 'megatron/core/transformer/moe/experts.py';
const SHARED_EXPERTS = 'megatron/core/transformer/moe/shared_experts.py';
const LBT = 'moe_router_load_balancing_type';
const COEFF = 'moe_aux_loss_coeff';
const SHARED = 'moe_shared_expert_intermediate_size';
const SHARED_GEMM = 'use_grouped_gemm_for_shared_expert';
const RECOMPUTE = 'recompute_modules';
/** argparse's choices for each word of --moe-router-load-balancing-type (nargs='+', arguments.py l.3533). */
const LB_TYPES = ['aux_loss', 'seq_aux_loss', 'global_aux_loss', 'sinkhorn', 'quantile_balancing', 'none'];

/** The load-balancing types, when every word is one argparse accepts. */
const balancing = (f: WrittenFlags): readonly string[] | undefined => {
  const types = f.list(LBT);
  return types?.every((t) => LB_TYPES.includes(t)) ? types : undefined;
};
/** The one load-balancing type (validate_args turns a list of one into it, arguments.py l.1662); a list never equals a type. */
const single = (f: WrittenFlags): string | undefined => (balancing(f)?.length === 1 ? balancing(f)![0] : undefined);
/** How many aux-loss coefficients (one is a scalar after validate_args). */
const coefficientCount = (f: WrittenFlags): number | undefined => f.list(COEFF)?.length ?? (f.number(COEFF) !== undefined ? 1 : undefined);
/** The aux-loss coefficients: several words, or one number (the default 0.0, arguments.py l.3536). */
const coefficients = (f: WrittenFlags): readonly number[] | undefined => {
  const words = f.list(COEFF)?.map(Number) ?? (f.number(COEFF) !== undefined ? [f.number(COEFF)!] : undefined);
  return words?.every(Number.isFinite) ? words : undefined;
};
/** Shared experts are built (moe_layer.py l.190); a size <= 0 stops earlier (transformer_config.py l.1816). */
const sharedExperts = (f: WrittenFlags): boolean => (f.number(SHARED) ?? 0) > 0;
const inferenceOptimized = (f: WrittenFlags): boolean => f.text('transformer_impl') === 'inference_optimized' && isMoe(f);
const recomputes = (f: WrittenFlags, module: string): boolean => f.text('recompute_granularity') === 'selective' && (f.list(RECOMPUTE) ?? []).includes(module);
/** GTP weight rematerialization: --tensor-parallel-num-weight-shards / TP (model_parallel_config.py l.41). */
const gtpRemat = (f: WrittenFlags): number | undefined => {
  const shards = f.number('tensor_parallel_num_weight_shards');
  const tp = f.number('tensor_model_parallel_size');
  return shards !== undefined && tp !== undefined && tp > 0 ? shards / tp : undefined;
};
/** The MoE layer inside a CUDA graph: a full-iteration graph, or a per-layer one of the whole layer (no modules) or of 'moe' (transformer_config.py l.2874). */
const graphedMoe = (f: WrittenFlags): boolean => {
  const modules = graphModules(f);
  return graphImpl(f) === 'full_iteration' || (['local', 'transformer_engine'].includes(graphImpl(f) ?? '') && modules !== undefined && (modules.length === 0 || modules.includes('moe')));
};
/** Local per-layer graphs that capture the shared experts: the whole layer, 'moe' or 'moe_router' ('moe_preprocess' adds it, l.2806). */
const localGraphsSharedExperts = (f: WrittenFlags): boolean => {
  const modules = graphModules(f);
  return graphImpl(f) === 'local' && modules !== undefined && (modules.length === 0 || modules.some((m) => ['moe', 'moe_router', 'moe_preprocess'].includes(m)));
};

/** The inference-optimized MoE layers need the fp32 router (transformer_config.py l.1610). */
const INFERENCE = { transformer_impl: 'inference_optimized', moe_router_dtype: 'fp32' } as const;
/** Shared experts as Megatron builds them: without bias (shared_experts.py l.124). */
const SHARED_NO_BIAS = { [SHARED]: '2048', disable_bias_linear: true } as const;
/** The fused shared-expert MLP (FusedSharedExpertMLP, moe_module_specs.py l.31) on bias-free shared experts. */
const FUSED_SHARED = { ...SHARED_NO_BIAS, [SHARED_GEMM]: true } as const;

export const ROUTER_CHECKS: readonly MegatronLaunchCheck[] = [
  {
    id: 'MEG-006',
    file: TC,
    line: 1612,
    message: "--transformer-impl='inference_optimized' requires --moe-router-dtype=fp32 to avoid costly dtype conversions during decode.",
    summary: 'inference-optimized MoE needs `moe_router_dtype fp32`',
    at: 'transformer_impl',
    when: (f) => inferenceOptimized(f) && (isNone(f, 'moe_router_dtype') || f.text('moe_router_dtype') === 'fp64'),
    trigger: { transformer_impl: 'inference_optimized' },
    valid: { ...INFERENCE },
  },
  {
    id: 'MEG-031',
    file: TC,
    line: 1816,
    message: 'moe_shared_expert_intermediate_size must be num_shared_experts * ffn_size_of_each_shared_expert',
    summary: '`moe_shared_expert_intermediate_size` is not positive',
    at: SHARED,
    when: (f) => f.number(SHARED) !== undefined && f.number(SHARED)! <= 0,
    trigger: { [SHARED]: '0' },
    valid: { ...SHARED_NO_BIAS },
  },
  {
    id: 'MEG-032',
    file: TC,
    line: 1825,
    message: 'moe_shared_expert_overlap only works with alltoall or flex token dispatcher.',
    summary: '`moe_shared_expert_overlap` needs the alltoall or flex dispatcher',
    at: 'moe_shared_expert_overlap',
    when: (f) => f.written('moe_shared_expert_intermediate_size') && f.on('moe_shared_expert_overlap') === true && f.text(DISPATCHER) !== undefined && !['alltoall', 'flex'].includes(f.text(DISPATCHER)!),
    trigger: { ...SHARED_NO_BIAS, moe_shared_expert_overlap: true, [DISPATCHER]: 'allgather' },
    valid: { ...SHARED_NO_BIAS, moe_shared_expert_overlap: true, [DISPATCHER]: 'alltoall' },
  },
  {
    id: 'MEG-033',
    file: TC,
    line: 1832,
    message: 'moe_aux_loss_coeff must be a list of the same length as moe_router_load_balancing_type',
    summary: '`moe_aux_loss_coeff` count differs from the load-balancing types',
    at: LBT,
    // validate_args turns a list of one into a scalar first (arguments.py l.1661-1664): one coefficient is not a list.
    when: (f) => (balancing(f)?.length ?? 0) > 1 && coefficientCount(f) !== undefined && coefficientCount(f) !== balancing(f)!.length,
    trigger: { [LBT]: 'seq_aux_loss global_aux_loss', [COEFF]: '0.001' },
    valid: { [LBT]: 'seq_aux_loss global_aux_loss', [COEFF]: '0.001 0.0001' },
  },
  {
    id: 'MEG-039',
    file: TC,
    line: 1997,
    message: 'shared_experts recompute cannot work with --moe-shared-expert-overlap.',
    summary: 'shared_experts recompute with `moe_shared_expert_overlap`',
    at: RECOMPUTE,
    when: (f) => recomputes(f, 'shared_experts') && sharedExperts(f) && f.on('moe_shared_expert_overlap') === true,
    trigger: { ...SHARED_NO_BIAS, moe_shared_expert_overlap: true, [DISPATCHER]: 'alltoall', recompute_granularity: 'selective', [RECOMPUTE]: 'shared_experts' },
    valid: { ...SHARED_NO_BIAS, [DISPATCHER]: 'alltoall', recompute_granularity: 'selective', [RECOMPUTE]: 'shared_experts' },
  },
  {
    id: 'MEG-058',
    file: TC,
    line: 2674,
    message: 'moe_router_topk_limited_devices is deprecated and replaced by moe_router_group_topk and moe_router_num_groups.',
    summary: 'deprecated `moe_router_topk_limited_devices` with group routing',
    at: 'moe_router_topk_limited_devices',
    when: (f) => (f.number('moe_router_group_topk') ?? 0) > 0 && (f.number('moe_router_topk_limited_devices') ?? 0) > 0,
    trigger: { moe_router_num_groups: '8', moe_router_group_topk: '4', moe_router_topk_limited_devices: '4' },
    valid: { moe_router_num_groups: '8', moe_router_group_topk: '4' },
  },
  {
    id: 'MEG-070',
    file: TC,
    line: 2905,
    message: 'moe_input_jitter_eps is not supported with graphed moe recomputation.',
    summary: '`moe_input_jitter_eps` with graphed moe recomputation',
    at: 'moe_input_jitter_eps',
    // A non-zero hidden dropout (default 0.1) stops first with the same scope (l.2886).
    when: (f) => f.number('moe_input_jitter_eps') !== undefined && recomputes(f, 'moe') && graphedMoe(f) && f.number('hidden_dropout') === 0,
    trigger: { cuda_graph_impl: 'local', recompute_granularity: 'selective', [RECOMPUTE]: 'moe', hidden_dropout: '0', moe_input_jitter_eps: '0.01' },
    valid: { cuda_graph_impl: 'local', recompute_granularity: 'selective', [RECOMPUTE]: 'layernorm', hidden_dropout: '0', moe_input_jitter_eps: '0.01' },
  },
  {
    id: 'MEG-071',
    file: TC,
    line: 2921,
    message:
      "GTP + local CUDA graphs that capture shared_experts (moe_router/moe scope) cannot recompute it under fp8/fp4: te_checkpoint requires .backward(), but the local fwd-graph warmup uses .grad(). Drop 'shared_experts' from --recompute-modules (GTP-shard + offload instead), or use --cuda-graph-impl full_iteration.",
    summary: 'GTP local CUDA graphs cannot recompute shared_experts under fp8/fp4',
    at: RECOMPUTE,
    when: (f) =>
      recomputes(f, 'shared_experts') &&
      (gtpRemat(f) ?? 0) > 1 &&
      localGraphsSharedExperts(f) &&
      (f.text('fp8_format') !== undefined || f.text('fp4_format') !== undefined) &&
      sharedExperts(f) &&
      f.on('moe_shared_expert_overlap') === false,
    trigger: { ...SHARED_NO_BIAS, tensor_parallel_num_weight_shards: '2', cuda_graph_impl: 'local', fp8_format: 'e4m3', recompute_granularity: 'selective', [RECOMPUTE]: 'shared_experts' },
    valid: { ...SHARED_NO_BIAS, tensor_parallel_num_weight_shards: '2', cuda_graph_impl: 'local', fp8_format: 'e4m3', recompute_granularity: 'selective', [RECOMPUTE]: 'core_attn' },
  },
  {
    id: 'MEG-086',
    file: TC,
    line: 3041,
    message: 'disable moe_shared_expert_overlap when enabling overlap_moe_expert_parallel_comm',
    summary: '`overlap_moe_expert_parallel_comm` with `moe_shared_expert_overlap`',
    at: OVERLAP,
    when: (f) => f.on(OVERLAP) === true && f.on('moe_shared_expert_overlap') === true,
    trigger: { [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', bf16: true, moe_shared_expert_overlap: true },
    valid: { [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', bf16: true },
  },
  choice('MEG-102', 811, 'moe_router_dtype', ['fp32', 'fp64']),
  {
    id: 'MEG-110',
    file: ARGUMENTS,
    line: 3533,
    // argparse checks each word of the list and names the first it refuses.
    message: `argument --moe-router-load-balancing-type: invalid choice: '{refused}' (choose from ${LB_TYPES.join(', ')})`,
    summary: '`moe_router_load_balancing_type` lists an unknown balancing type',
    at: LBT,
    when: (f) => f.written(LBT) && (f.list(LBT) ?? []).some((t) => !LB_TYPES.includes(t)),
    values: (f) => ({ refused: (f.list(LBT) ?? []).find((t) => !LB_TYPES.includes(t)) ?? '' }),
    trigger: { [LBT]: 'seq_aux_loss sinkhorm' },
    valid: { [LBT]: 'seq_aux_loss sinkhorn', [COEFF]: '0.001 0' },
    // argparse's choices: a config of field names (a NeMo dataclass, a YAML) never goes through them; Megatron Core
    // then takes any other type as plain top-k routing (router.py @d98e8a6 l.771-790).
    argparse: true,
  },
  {
    id: 'MEG-126',
    stage: 'first-step',
    file: MOE_LAYER,
    line: 480,
    message: 'Shared expert overlap with MoE latent projections is not supported during training. Disable moe_shared_expert_overlap.',
    summary: 'shared expert overlap with `moe_latent_size`',
    at: 'moe_shared_expert_overlap',
    when: (f) => (f.number('moe_latent_size') ?? 0) > 0 && f.on('moe_shared_expert_overlap') === true,
    trigger: { moe_latent_size: '512', moe_shared_expert_overlap: true },
    valid: { moe_latent_size: '512' },
  },
  {
    id: 'MEG-129',
    stage: 'first-step',
    file: ROUTER,
    line: 298,
    message: 'Sinkhorn routing does not support aux loss.',
    at: COEFF,
    // A list of coefficients is never == 0.
    when: (f) => single(f) === 'sinkhorn' && coefficients(f) !== undefined && (coefficients(f)!.length > 1 || coefficients(f)![0] !== 0),
    trigger: { [LBT]: 'sinkhorn', [COEFF]: '0.01' },
    valid: { [LBT]: 'sinkhorn', [COEFF]: '0' },
  },
  {
    id: 'MEG-130',
    stage: 'first-step',
    file: ROUTER,
    line: 329,
    message: 'Quantile balancing routing does not support moe_router_fusion.',
    summary: 'quantile balancing with `moe_router_fusion`',
    at: 'moe_router_fusion',
    when: (f) => single(f) === 'quantile_balancing' && f.on('moe_router_fusion') === true,
    trigger: { [LBT]: 'quantile_balancing', moe_router_fusion: true },
    valid: { [LBT]: 'quantile_balancing' },
  },
  {
    id: 'MEG-131',
    stage: 'first-step',
    file: ROUTER,
    line: 332,
    message: 'Quantile balancing routing does not support group-limited routing.',
    summary: 'quantile balancing with group-limited routing',
    at: LBT,
    when: (f) => single(f) === 'quantile_balancing' && (f.number('moe_router_num_groups') !== undefined || f.number('moe_router_group_topk') !== undefined),
    trigger: { [LBT]: 'quantile_balancing', moe_router_num_groups: '8', moe_router_group_topk: '4' },
    valid: { [LBT]: 'quantile_balancing' },
  },
  {
    id: 'MEG-133',
    file: ROUTER,
    line: 912,
    message: 'InferenceTopKRouter requires moe_router_num_groups=None',
    summary: 'inference-optimized MoE takes no `moe_router_num_groups`',
    at: 'moe_router_num_groups',
    when: (f) => inferenceOptimized(f) && f.number('moe_router_num_groups') !== undefined,
    trigger: { ...INFERENCE, moe_router_num_groups: '8', moe_router_group_topk: '4' },
    valid: { ...INFERENCE },
  },
  {
    id: 'MEG-134',
    file: ROUTER,
    line: 916,
    message: "InferenceTopKRouter requires moe_router_score_function in ['sigmoid', 'softmax'], got '{value}'",
    summary: 'inference-optimized MoE needs sigmoid or softmax scores',
    at: 'moe_router_score_function',
    // sqrtsoftplus is the one other value argparse accepts (transformer_config.py l.808).
    when: (f) => inferenceOptimized(f) && f.text('moe_router_score_function') === 'sqrtsoftplus',
    trigger: { ...INFERENCE, moe_router_score_function: 'sqrtsoftplus' },
    valid: { ...INFERENCE, moe_router_score_function: 'sigmoid' },
  },
  {
    id: 'MEG-151',
    stage: 'first-step',
    file: EXPERTS,
    line: 921,
    message: '`moe_apply_probs_on_input` only works with `moe_router_topk`=1.',
    summary: '`moe_apply_probs_on_input` needs top-1 routing',
    at: 'moe_apply_probs_on_input',
    // TEGroupedMLP; SequentialMLP (without --moe-grouped-gemm) asserts the same at l.1478.
    when: (f) => f.on('moe_apply_probs_on_input') === true && f.number('moe_router_topk') !== undefined && f.number('moe_router_topk') !== 1,
    trigger: { moe_apply_probs_on_input: true },
    valid: { moe_apply_probs_on_input: true, moe_router_topk: '1' },
  },
  {
    id: 'MEG-152',
    file: SHARED_EXPERTS,
    line: 124,
    message: 'bias is not supported in the shared experts, ',
    at: SHARED,
    when: (f) => sharedExperts(f) && f.on('add_bias_linear') === true,
    trigger: { [SHARED]: '2048' },
    valid: { ...SHARED_NO_BIAS },
  },
  {
    id: 'MEG-154',
    file: SHARED_EXPERTS,
    line: 420,
    message: 'FusedSharedExpertMLP requires SwiGLU activation (activation_func=F.silu, gated_linear_unit=True) for the CuTeGEMM fused kernel',
    summary: '`use_grouped_gemm_for_shared_expert` needs SwiGLU',
    at: SHARED_GEMM,
    // Only --swiglu gives F.silu with a gated linear unit (argument_utils.py l.314); bias stops first (l.124).
    when: (f) => f.on(SHARED_GEMM) === true && sharedExperts(f) && f.on('add_bias_linear') === false && f.on('swiglu') === false,
    trigger: { ...FUSED_SHARED },
    valid: { ...FUSED_SHARED, swiglu: true, moe_shared_expert_glu_interleave_size: '32' },
  },
  {
    id: 'MEG-155',
    file: SHARED_EXPERTS,
    line: 437,
    message: 'FusedSharedExpertMLP requires moe_shared_expert_glu_interleave_size to be set when use_grouped_gemm_for_shared_expert=True.',
    summary: '`use_grouped_gemm_for_shared_expert` needs a GLU interleave size',
    at: SHARED_GEMM,
    when: (f) => f.on(SHARED_GEMM) === true && sharedExperts(f) && f.on('add_bias_linear') === false && f.on('swiglu') === true && isNone(f, 'moe_shared_expert_glu_interleave_size'),
    trigger: { ...FUSED_SHARED, swiglu: true },
    valid: { ...FUSED_SHARED, swiglu: true, moe_shared_expert_glu_interleave_size: '32' },
  },
];
