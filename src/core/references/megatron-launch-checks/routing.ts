/** Megatron-LM launch checks on the router, expert groups, load balancing and shared experts (census categories routing, groups, load-balancing, shared-experts). */
import { TC, DISPATCHER, OVERLAP, choice, type MegatronLaunchCheck } from './check';

export const ROUTER_CHECKS: readonly MegatronLaunchCheck[] = [
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
    id: 'MEG-086',
    file: TC,
    line: 3041,
    message: 'disable moe_shared_expert_overlap when enabling overlap_moe_expert_parallel_comm',
    at: OVERLAP,
    when: (f) => f.on(OVERLAP) === true && f.on('moe_shared_expert_overlap') === true,
    trigger: { [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', bf16: true, moe_shared_expert_overlap: true },
    valid: { [OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', bf16: true },
  },
  choice('MEG-102', 811, 'moe_router_dtype', ['fp32', 'fp64']),
];
