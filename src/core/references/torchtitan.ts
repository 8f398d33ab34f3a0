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

const ROUTER_FIELDS = ['num_experts', 'top_k', 'score_func', 'route_norm', 'route_scale', 'num_expert_groups', 'num_limited_groups', '_debug_force_load_balance'];
const PR_FIELDS = new Set(['topk_before_score', 'use_router_bias', 'use_expert_bias']);

/**
 * The keywords torchtitan's router config classes take, for classes the workspace does not hold (a fix adds a
 * keyword only where the call accepts it). `MoEArgs` and the flat `MoE.Config`: moe.py @238fa99 lines 21–41;
 * `TokenChoiceTopKRouter.Config`: its router subset.
 */
export const TORCHTITAN_KNOWN_FIELDS: Readonly<Record<string, readonly string[]>> = {
  MoEArgs: Object.keys(TORCHTITAN_MOE_DEFAULTS).filter((key) => !PR_FIELDS.has(key)),
  'MoE.Config': Object.keys(TORCHTITAN_MOE_DEFAULTS).filter((key) => !PR_FIELDS.has(key)),
  'TokenChoiceTopKRouter.Config': ROUTER_FIELDS,
};
