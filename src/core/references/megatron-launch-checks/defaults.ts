/**
 * Megatron-LM's defaults for the flags the launch checks read, at d98e8a6: what an unwritten flag is in a
 * whole launch script (argparse takes them from the TransformerConfig / ModelParallelConfig field defaults
 * through ArgumentGroupFactory, megatron/training/arguments.py l.2373). `null` is Python's None. A flag not
 * listed here has no default MoE Lens knows: unwritten, it reads as unknown even in a whole script.
 */
export type MegatronDefault = boolean | string | number | readonly string[] | null;

const TC = 'megatron/core/transformer/transformer_config.py';
const MPC = 'megatron/core/model_parallel_config.py';

/** Each default with the line that declares it (file: `TC` or `MPC`). */
export const MEGATRON_DEFAULTS: Readonly<Record<string, { readonly value: MegatronDefault; readonly file: string; readonly line: number }>> = {
  add_bias_linear: { value: true, file: TC, line: 212 },
  transformer_impl: { value: 'transformer_engine', file: TC, line: 1314 },
  recompute_granularity: { value: null, file: TC, line: 532 },
  recompute_method: { value: null, file: TC, line: 543 },
  recompute_num_layers: { value: null, file: TC, line: 551 },
  moe_shared_expert_intermediate_size: { value: null, file: TC, line: 701 },
  moe_shared_expert_overlap: { value: false, file: TC, line: 717 },
  moe_router_load_balancing_type: { value: 'aux_loss', file: TC, line: 743 },
  moe_router_topk_limited_devices: { value: null, file: TC, line: 766 },
  moe_router_padding_for_quantization: { value: false, file: TC, line: 771 },
  moe_router_num_groups: { value: null, file: TC, line: 780 },
  moe_router_group_topk: { value: null, file: TC, line: 796 },
  moe_router_dtype: { value: null, file: TC, line: 811 },
  moe_grouped_gemm: { value: false, file: TC, line: 850 },
  moe_token_dispatcher_type: { value: 'allgather', file: TC, line: 891 },
  moe_enable_deepep: { value: false, file: TC, line: 895 },
  moe_flex_dispatcher_backend: { value: 'deepep', file: TC, line: 898 },
  moe_expert_capacity_factor: { value: null, file: TC, line: 917 },
  moe_pad_expert_input_to_capacity: { value: false, file: TC, line: 921 },
  moe_token_drop_policy: { value: 'probs', file: TC, line: 932 },
  moe_layer_recompute: { value: false, file: TC, line: 938 },
  moe_expert_rank_capacity_factor: { value: null, file: TC, line: 1019 },
  inference_fuse_tp_communication: { value: false, file: TC, line: 1222 },
  tensor_model_parallel_size: { value: 1, file: MPC, line: 55 },
  pipeline_model_parallel_size: { value: 1, file: MPC, line: 83 },
  sequence_parallel: { value: false, file: MPC, line: 94 },
  expert_model_parallel_size: { value: 1, file: MPC, line: 127 },
  fp16: { value: false, file: MPC, line: 177 },
  bf16: { value: false, file: MPC, line: 180 },
  overlap_moe_expert_parallel_comm: { value: false, file: MPC, line: 343 },
  delay_wgrad_compute: { value: false, file: MPC, line: 348 },
  overlap_dispatch_backward_with_experts_wgrad: { value: false, file: MPC, line: 351 },
  use_transformer_engine_op_fuser: { value: false, file: TC, line: 525 },
  fp8_format: { value: null, file: TC, line: 587 }, // --fp8-format, the flag of the field fp8
  fp4_format: { value: null, file: TC, line: 673 }, // --fp4-format, the flag of the field fp4
  moe_use_grouped_tensor: { value: false, file: TC, line: 857 },
  moe_flex_dispatcher_num_sms: { value: null, file: TC, line: 964 },
  fp8_recipe: { value: 'delayed', file: TC, line: 594 },
  fp4_param_gather: { value: false, file: 'megatron/training/arguments.py', line: 2012 },
  bias_dropout_fusion: { value: true, file: 'megatron/training/arguments.py', line: 2899 }, // --no-bias-dropout-fusion, store_false
  hidden_dropout: { value: 0.1, file: TC, line: 188 },
  cuda_graph_modules: { value: [], file: 'megatron/training/arguments.py', line: 2050 },
  moe_layer_freq: { value: 1, file: 'megatron/training/arguments.py', line: 3520 },
  save: { value: null, file: 'megatron/training/config/training_config.py', line: 395 },
  moe_router_topk: { value: 2, file: TC, line: 760 },
  moe_aux_loss_coeff: { value: 0.0, file: 'megatron/training/arguments.py', line: 3536 },
  swiglu: { value: false, file: 'megatron/training/arguments.py', line: 2450 },
  moe_shared_expert_glu_interleave_size: { value: null, file: TC, line: 729 },
  context_parallel_size: { value: 1, file: MPC, line: 100 },
  num_distributed_optimizer_instances: { value: 1, file: 'megatron/training/arguments.py', line: 3216 },
  num_experts: { value: null, file: 'megatron/training/arguments.py', line: 3518 },
};
