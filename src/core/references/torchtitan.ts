/**
 * torchtitan facts the normaliser needs when a workspace does not declare `MoEArgs` itself.
 * Source: pytorch/torchtitan torchtitan/models/moe/moe.py @238fa9953 lines 21–41 (research §1.2), plus the
 * fields of the unmerged topk-before-score PR (#2212), which default to off.
 */
import type { Literal } from '../model/router-spec';

export const TORCHTITAN_SOURCE = 'torchtitan MoEArgs @238fa99';

export const TORCHTITAN_MOE_DEFAULTS: Readonly<Record<string, Literal>> = {
  num_experts: { kind: 'int', value: 8 },
  num_shared_experts: { kind: 'int', value: 1 },
  score_func: { kind: 'string', value: 'sigmoid' },
  route_norm: { kind: 'bool', value: false },
  route_scale: { kind: 'float', value: 1.0 },
  gate_bias: { kind: 'bool', value: false },
  score_before_experts: { kind: 'bool', value: true },
  top_k: { kind: 'int', value: 1 },
  num_expert_groups: { kind: 'none' },
  num_limited_groups: { kind: 'none' },
  load_balance_coeff: { kind: 'float', value: 1e-3 },
  _debug_force_load_balance: { kind: 'bool', value: false },
  topk_before_score: { kind: 'bool', value: false },
  use_router_bias: { kind: 'bool', value: false },
  use_expert_bias: { kind: 'bool', value: false },
};

/** Keys that make a keyword call a router config. */
export const TORCHTITAN_ROUTER_KEYS: ReadonlySet<string> = new Set([
  ...Object.keys(TORCHTITAN_MOE_DEFAULTS),
  'gate.bias',
]);

/** Callees that are router configs whatever keywords they carry. */
export const TORCHTITAN_ROUTER_CALLEES: ReadonlySet<string> = new Set([
  'MoEArgs',
  'MoE.Config',
  'TokenChoiceTopKRouter.Config',
]);

/** Keyword arguments whose nested call's keywords belong to the same router (flattened). */
export const TORCHTITAN_NESTED_ROUTER_KEYS: ReadonlySet<string> = new Set(['router', 'moe_args', 'moe']);
