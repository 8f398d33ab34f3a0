/** Megatron-LM launch checks on everything else MoE: grouped GEMM, recompute, offloading, CUDA graphs, inference (census category other). */
import { TC, type MegatronLaunchCheck } from './check';

export const OTHER_CHECKS: readonly MegatronLaunchCheck[] = [
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
];
