/**
 * Megatron-LM's own MoE launch checks on combinations of flags, as data: each with its census row
 * (test/census/moe-launch-checks.tsv), where it is in Megatron-LM at d98e8a6, its exact message, the flag to
 * point at, and its condition. A condition reads only flags the config writes: a flag a sourced file or an
 * environment variable may set is never taken at its default, so nothing fires on what MoE Lens cannot see.
 * `trigger` and `valid` are the smallest configs that break it and the nearest one that does not: the rule's
 * tests are generated from them, one pair per row.
 */

export const MEGATRON_COMMIT = 'd98e8a6';

/** The flags a config writes, by Megatron's dest names (`moe_token_dispatcher_type`). */
export interface WrittenFlags {
  /** `--flag` (store_true) or `flag: true`; undefined when not written or not a boolean. */
  on(key: string): boolean | undefined;
  text(key: string): string | undefined;
  number(key: string): number | undefined;
  written(key: string): boolean;
}

export interface MegatronLaunchCheck {
  readonly id: string;
  readonly file: string;
  readonly line: number;
  /** Megatron's message, verbatim; `{value}` stands for the value written for `at`. */
  readonly message: string;
  /** The flag the diagnostic points at (written whenever the check fires). */
  readonly at: string;
  readonly when: (f: WrittenFlags) => boolean;
  /** Flags (dest name → value; `true` for a switch) that make it fire, and the nearest config that does not. */
  readonly trigger: Readonly<Record<string, string | true>>;
  readonly valid: Readonly<Record<string, string | true>>;
}

const TC = 'megatron/core/transformer/transformer_config.py';
const DISPATCHER = 'moe_token_dispatcher_type';
const BACKEND = 'moe_flex_dispatcher_backend';
const OVERLAP = 'overlap_moe_expert_parallel_comm';

/** A written value outside the choices argparse allows (the dataclass field is a Literal). */
function choice(id: string, line: number, key: string, choices: readonly string[]): MegatronLaunchCheck {
  const flag = `--${key.replace(/_/g, '-')}`;
  return {
    id,
    file: TC,
    line,
    message: `argument ${flag}: invalid choice: '{value}' (choose from ${choices.join(', ')})`,
    at: key,
    when: (f) => f.text(key) !== undefined && !choices.includes(f.text(key)!),
    trigger: { [key]: 'bogus' },
    valid: { [key]: choices[0]! },
  };
}

export const MEGATRON_LAUNCH_CHECKS: readonly MegatronLaunchCheck[] = [
  {
    id: 'MEG-023',
    file: TC,
    line: 1745,
    message: 'DeepEP backend is only supported with flex token dispatcher.',
    at: 'moe_enable_deepep',
    when: (f) => f.on('moe_enable_deepep') === true && f.text(DISPATCHER) !== undefined && f.text(DISPATCHER) !== 'flex',
    trigger: { moe_enable_deepep: true, [DISPATCHER]: 'alltoall' },
    valid: { moe_enable_deepep: true, [DISPATCHER]: 'flex' },
  },
  {
    id: 'MEG-024',
    file: TC,
    line: 1747,
    message: 'Only one backend is supported for flex token dispatcher.',
    at: 'moe_enable_deepep',
    when: (f) => f.on('moe_enable_deepep') === true && f.text(DISPATCHER) === 'flex' && f.text(BACKEND) === 'hybridep',
    trigger: { moe_enable_deepep: true, [DISPATCHER]: 'flex', [BACKEND]: 'hybridep' },
    valid: { moe_enable_deepep: true, [DISPATCHER]: 'flex', [BACKEND]: 'deepep' },
  },
  {
    id: 'MEG-025',
    file: TC,
    line: 1759,
    message: 'Flex token dispatcher with deepep backend does not support moe_pad_expert_input_to_capacity',
    at: 'moe_pad_expert_input_to_capacity',
    when: (f) => f.text(DISPATCHER) === 'flex' && f.on('moe_pad_expert_input_to_capacity') === true && (f.on('moe_enable_deepep') === true || f.text(BACKEND) === 'deepep'),
    trigger: { [DISPATCHER]: 'flex', [BACKEND]: 'deepep', moe_expert_capacity_factor: '1.0', moe_pad_expert_input_to_capacity: true },
    valid: { [DISPATCHER]: 'flex', [BACKEND]: 'hybridep', moe_expert_capacity_factor: '1.0', moe_pad_expert_input_to_capacity: true },
  },
  {
    id: 'MEG-026',
    file: TC,
    line: 1766,
    message: "moe_flex_dispatcher_backend='ncclep' requires moe_token_dispatcher_type='flex'.",
    at: BACKEND,
    when: (f) => f.text(BACKEND) === 'ncclep' && f.text(DISPATCHER) !== undefined && f.text(DISPATCHER) !== 'flex',
    trigger: { [BACKEND]: 'ncclep', [DISPATCHER]: 'alltoall' },
    valid: { [BACKEND]: 'ncclep', [DISPATCHER]: 'flex' },
  },
  {
    id: 'MEG-032',
    file: TC,
    line: 1825,
    message: 'moe_shared_expert_overlap only works with alltoall or flex token dispatcher.',
    at: 'moe_shared_expert_overlap',
    when: (f) => f.written('moe_shared_expert_intermediate_size') && f.on('moe_shared_expert_overlap') === true && f.text(DISPATCHER) !== undefined && !['alltoall', 'flex'].includes(f.text(DISPATCHER)!),
    trigger: { moe_shared_expert_intermediate_size: '2048', moe_shared_expert_overlap: true, [DISPATCHER]: 'allgather' },
    valid: { moe_shared_expert_intermediate_size: '2048', moe_shared_expert_overlap: true, [DISPATCHER]: 'alltoall' },
  },
  {
    id: 'MEG-034',
    file: TC,
    line: 1858,
    message: 'moe_expert_capacity_factor only works with aux_loss, seq_aux_loss, global_aux_loss or none load balancing',
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
    at: 'moe_pad_expert_input_to_capacity',
    // A negative factor is reset to None first (transformer_config.py l.1837); only a written one is read.
    when: (f) => f.on('moe_pad_expert_input_to_capacity') === true && (f.number('moe_expert_capacity_factor') ?? 0) < 0,
    trigger: { moe_pad_expert_input_to_capacity: true, moe_expert_capacity_factor: '-1' },
    valid: { moe_pad_expert_input_to_capacity: true, moe_expert_capacity_factor: '1.0' },
  },
  {
    id: 'MEG-036',
    file: TC,
    line: 1871,
    message: "moe_expert_rank_capacity_factor requires moe_flex_dispatcher_backend to be 'hybridep' or 'ncclep'.",
    at: 'moe_expert_rank_capacity_factor',
    when: (f) => f.written('moe_expert_rank_capacity_factor') && f.text(BACKEND) !== undefined && !['hybridep', 'ncclep'].includes(f.text(BACKEND)!),
    trigger: { moe_expert_rank_capacity_factor: '1.5', [BACKEND]: 'deepep' },
    valid: { moe_expert_rank_capacity_factor: '1.5', [BACKEND]: 'hybridep' },
  },
  {
    id: 'MEG-042',
    file: TC,
    line: 2021,
    message: 'Do not set --moe-layer-recompute with full recompute granularity.',
    at: 'moe_layer_recompute',
    when: (f) => f.on('moe_layer_recompute') === true && f.text('recompute_granularity') === 'full',
    trigger: { moe_layer_recompute: true, recompute_granularity: 'full' },
    valid: { moe_layer_recompute: true, recompute_granularity: 'selective' },
  },
  {
    id: 'MEG-056',
    file: TC,
    line: 2657,
    message: 'allgather and alltoall_seq dispatcher does not support moe_router_padding_for_quantization.',
    at: 'moe_router_padding_for_quantization',
    when: (f) => f.on('moe_router_padding_for_quantization') === true && ['allgather', 'alltoall_seq'].includes(f.text(DISPATCHER) ?? ''),
    trigger: { moe_router_padding_for_quantization: true, fp8_format: 'hybrid', [DISPATCHER]: 'allgather' },
    valid: { moe_router_padding_for_quantization: true, fp8_format: 'hybrid', [DISPATCHER]: 'alltoall' },
  },
  {
    id: 'MEG-058',
    file: TC,
    line: 2674,
    message: 'moe_router_topk_limited_devices is deprecated and replaced by moe_router_group_topk and moe_router_num_groups.',
    at: 'moe_router_topk_limited_devices',
    when: (f) => (f.number('moe_router_group_topk') ?? 0) > 0 && (f.number('moe_router_topk_limited_devices') ?? 0) > 0,
    trigger: { moe_router_num_groups: '8', moe_router_group_topk: '4', moe_router_topk_limited_devices: '4' },
    valid: { moe_router_num_groups: '8', moe_router_group_topk: '4' },
  },
  {
    id: 'MEG-079',
    file: TC,
    line: 3015,
    message: 'overlap_moe_expert_parallel_comm is only supported with expert model parallelism',
    at: OVERLAP,
    when: (f) => f.on(OVERLAP) === true && f.number('expert_model_parallel_size') !== undefined && f.number('expert_model_parallel_size')! <= 1,
    trigger: { [OVERLAP]: true, expert_model_parallel_size: '1', [DISPATCHER]: 'alltoall', bf16: true },
    valid: { [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', bf16: true },
  },
  {
    id: 'MEG-080',
    file: TC,
    line: 3019,
    message: 'overlap_moe_expert_parallel_comm is supported with alltoall/flex token dispatcher',
    at: OVERLAP,
    when: (f) => f.on(OVERLAP) === true && f.text(DISPATCHER) !== undefined && !['alltoall', 'flex'].includes(f.text(DISPATCHER)!),
    trigger: { [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'allgather', bf16: true },
    valid: { [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', bf16: true },
  },
  {
    id: 'MEG-081',
    file: TC,
    line: 3023,
    message: 'disable full recomputation when enabling overlap_moe_expert_parallel_comm',
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
    at: OVERLAP,
    when: (f) => f.on(OVERLAP) === true && f.number('recompute_num_layers') !== undefined,
    trigger: { [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', bf16: true, recompute_num_layers: '1' },
    valid: { [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', bf16: true },
  },
  {
    id: 'MEG-086',
    file: TC,
    line: 3041,
    message: 'disable moe_shared_expert_overlap when enabling overlap_moe_expert_parallel_comm',
    at: OVERLAP,
    when: (f) => f.on(OVERLAP) === true && f.on('moe_shared_expert_overlap') === true,
    trigger: { [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', bf16: true, moe_shared_expert_overlap: true },
    valid: { [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', bf16: true },
  },
  {
    id: 'MEG-091',
    file: TC,
    line: 3086,
    message: 'overlap_moe_expert_parallel_comm must be disabled when enabling overlap_dispatch_backward_with_experts_wgrad.',
    at: 'overlap_dispatch_backward_with_experts_wgrad',
    when: (f) => f.on('overlap_dispatch_backward_with_experts_wgrad') === true && f.on(OVERLAP) === true,
    trigger: { overlap_dispatch_backward_with_experts_wgrad: true, [OVERLAP]: true },
    valid: { overlap_dispatch_backward_with_experts_wgrad: true },
  },
  {
    id: 'MEG-093',
    file: TC,
    line: 3093,
    message: 'delay_wgrad_compute and overlap_dispatch_backward_with_experts_wgrad are mutually exclusive; use only one',
    at: 'overlap_dispatch_backward_with_experts_wgrad',
    when: (f) => f.on('overlap_dispatch_backward_with_experts_wgrad') === true && f.on('delay_wgrad_compute') === true,
    trigger: { overlap_dispatch_backward_with_experts_wgrad: true, delay_wgrad_compute: true },
    valid: { overlap_dispatch_backward_with_experts_wgrad: true },
  },
  {
    id: 'MEG-095',
    file: TC,
    line: 3186,
    message: '--inference-fuse-tp-communication is not supported for MoE models.',
    at: 'inference_fuse_tp_communication',
    // After its first assert, that the implementation is inference_optimized (l.3180).
    when: (f) => f.on('inference_fuse_tp_communication') === true && f.text('transformer_impl') === 'inference_optimized',
    trigger: { inference_fuse_tp_communication: true, transformer_impl: 'inference_optimized' },
    valid: { transformer_impl: 'inference_optimized' },
  },
  choice('MEG-102', 811, 'moe_router_dtype', ['fp32', 'fp64']),
  choice('MEG-103', 891, DISPATCHER, ['allgather', 'alltoall', 'flex']),
  choice('MEG-104', 898, BACKEND, ['deepep', 'hybridep', 'ncclep']),
  choice('MEG-105', 932, 'moe_token_drop_policy', ['probs', 'position']),
];
