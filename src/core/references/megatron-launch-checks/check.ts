/**
 * What one Megatron-LM launch check is, as data, and what it may read of a config. The checks themselves are
 * in this folder, one file per census category (dispatcher.ts, parallel.ts, routing.ts, other.ts), each with
 * its census row (test/census/moe-launch-checks.tsv), where it is in Megatron-LM at d98e8a6, its exact message,
 * the flag to point at, and its condition. `trigger` and `valid` are the smallest configs that break it and
 * the nearest one that does not: the rule's tests are generated from them, one pair per row.
 */

import type { LaunchScope, RouterSpec, Site } from '../../model/router-spec';
import type { CheckSince } from './since';
import { flagOf } from '../../model/flag-name';

export const MEGATRON_COMMIT = 'd98e8a6';

/**
 * The flags a config sets, by Megatron's dest names (`moe_token_dispatcher_type`). A flag the config writes
 * reads as written. A flag it does not write reads as Megatron's default only when the config is a whole
 * launch (`complete`: a script that runs a Megatron entry point, sources nothing and passes no flags from the
 * environment) and the default is in MEGATRON_DEFAULTS; otherwise it reads as undefined, and a condition on
 * it does not hold. So nothing fires on what MoE Lens cannot see.
 */
export interface WrittenFlags {
  /** A switch (`--flag`, `flag: true`); undefined when neither written nor known. */
  on(key: string): boolean | undefined;
  text(key: string): string | undefined;
  number(key: string): number | undefined;
  /** A list flag (`--recompute-modules moe moe_act`, a YAML sequence); a single value is a list of one. */
  list(key: string): readonly string[] | undefined;
  /** Written by the config itself (not a default). */
  written(key: string): boolean;
  /** The config is a whole launch: an unwritten flag is at Megatron's default. */
  readonly complete: boolean;
  /**
   * A config Megatron-Bridge runs: its YAML values reach TransformerConfig as YAML typed them (a string stays a
   * string; no argparse type converts it).
   */
  readonly bridge: boolean;
}

export interface MegatronLaunchCheck {
  readonly id: string;
  readonly file: string;
  readonly line: number;
  /** Megatron's message, verbatim; `{value}` stands for the value written for `at`. */
  readonly message: string;
  /**
   * What is wrong, in our words, for a check whose quoted message does not fit a Problems row (issue #12: 100
   * characters) or names values of the config: MOE020's message says this, and its detail quotes `message`. Flags are
   * written as Megatron's dest names in backticks, alone or with a value (`moe_token_dispatcher_type flex`), and are
   * spelled as the config spells them (summaryText). Unset: the message quotes Megatron's, which fits.
   */
  readonly summary?: string;
  /** The flag the diagnostic points at (it must be written whenever the check fires). */
  readonly at: string;
  readonly when: (f: WrittenFlags) => boolean;
  /**
   * Flags (dest name → value; `true` for a switch; a list as words separated by spaces) that make it fire in
   * a whole launch script, and the nearest config that does not.
   */
  readonly trigger: Readonly<Record<string, string | true>>;
  readonly valid: Readonly<Record<string, string | true>>;
  /**
   * Whose code raises it. Unset: Megatron-LM's. Its checks in megatron/core (TransformerConfig.__post_init__,
   * the layer specs) run under Megatron-Bridge too; those in megatron/training and argparse's (`argparse`) do
   * not. 'megatron-bridge': Megatron-Bridge's own, run on Bridge configs only; their `trigger` and `valid` keys
   * are paths in a Bridge YAML (`comm_overlap.overlap_moe_expert_parallel_comm`; a bare key is under `model:`).
   */
  readonly framework?: 'megatron-bridge';
  /**
   * When the run stops on it. Unset: as the job starts (argparse, validate_args, the config's and the layers'
   * constructors). 'first-step': in a forward pass of the MoE layer, its router or its experts, so at the first
   * training step, after the model is built and the data loaded (moe_layer.py l.638 @d98e8a6 `forward`).
   */
  readonly stage?: 'first-step';
  /**
   * Checks of the same condition (a mirror in another framework's code) that this one raises before: not
   * reported where this one is, as the run stops here and never prints their message.
   */
  readonly shadows?: readonly string[];
  /**
   * argparse's own message (a `choice`): raised where the flag is spelled as a command-line flag (a launch script,
   * Megatron-LM's test YAML `--flag: value`), never for a config of field names or under Megatron-Bridge.
   */
  readonly argparse?: true;
  /**
   * Raised where the value reaches Megatron Core without argparse: a YAML or Python config of field names
   * (`moe_token_dispatcher_type: …`), whose bad value argparse's choices never see.
   */
  readonly fieldsOnly?: true;
  /**
   * Megatron's message may name computed values (`world_size ({world})`): their values for the config, by
   * placeholder name. `{value}` is always the value written for `at`.
   */
  readonly values?: (f: WrittenFlags) => Readonly<Record<string, string | number>>;
  /**
   * It needs a launch that writes no expert count (MoE flags on a model without `--num-experts`, which Megatron
   * reads as None): its tests leave `--num-experts` out. MoE Lens reads such a launch as a config only where it
   * writes a router flag (`--moe-router-topk`).
   */
  readonly withoutExperts?: true;
  /**
   * A Megatron Core check whose condition only a config Megatron-Bridge runs can write: Megatron-LM's arguments
   * set the field themselves (`variable_seq_lengths`, arguments.py l.1272) or stop first on the same condition
   * (MEG-112 before MEG-002). Its tests are Bridge YAML.
   */
  readonly bridgeOnly?: true;
  /**
   * The Megatron-LM commit that added the check, where it is younger than a year before MEGATRON_COMMIT (since.ts):
   * a launch pinned to an older Megatron-LM does not stop on it, unless it came `with` the flag it needs.
   */
  readonly since?: CheckSince;
}

/**
 * Whether an older Megatron-LM runs a config this check stops: it is younger than the cutoff and did not come with the
 * flag or value it needs (which an older Megatron-LM refuses itself). Such a check is a warning.
 */
export function olderMegatronRuns(check: MegatronLaunchCheck): boolean {
  return check.since !== undefined && check.since.with === undefined;
}

/** The framework's message for this config: `{value}` is the value written for `at`, other names the check's `values`. */
export function launchMessage(check: MegatronLaunchCheck, flags: WrittenFlags, at: Site): string {
  const values: Record<string, string | number> = { value: flags.text(check.at) ?? String(flags.number(check.at) ?? (at.items ?? []).join(' ')), ...check.values?.(flags) };
  return check.message.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

/**
 * The code a config runs under: Megatron-LM's training loop, Megatron-Bridge's (which runs Megatron Core), or
 * MindSpeed's: Huawei's adaptor that runs Megatron-LM on Ascend NPUs, patching its arguments and their checks, at
 * the Megatron version it pins (Ascend/MindSpeed-LLM's own launch scripts pass `alltoall_seq` and `softmax_topk`,
 * which Megatron-LM @d98e8a6 refuses); or Microsoft's Megatron-DeepSpeed, an older fork with DeepSpeed's MoE.
 */
export type LaunchFramework = 'megatron-lm' | 'megatron-bridge' | 'mindspeed' | 'megatron-deepspeed';

/** RouterSpec.launch of a config Megatron-Bridge, MindSpeed or Megatron-DeepSpeed runs (parse/megatron-bridge.ts, megatron.ts). */
export interface FrameworkLaunchScope extends LaunchScope {
  readonly framework?: 'megatron-bridge' | 'mindspeed' | 'megatron-deepspeed';
}

export function launchFramework(spec: Pick<RouterSpec, 'launch'>): LaunchFramework {
  return (spec.launch as FrameworkLaunchScope | undefined)?.framework ?? 'megatron-lm';
}

/**
 * Whether Megatron-LM's and Megatron Core's own checks, as MoE Lens read them, run for a config of this framework:
 * MindSpeed patches them, and Megatron-DeepSpeed has checks (and MoE flags) of its own.
 */
export function runsMegatronChecks(framework: LaunchFramework): boolean {
  return framework !== 'mindspeed' && framework !== 'megatron-deepspeed';
}

/** Whether a check's code runs for a config of this framework. */
export function runsUnder(check: MegatronLaunchCheck, framework: LaunchFramework): boolean {
  if (!runsMegatronChecks(framework)) return false;
  if (check.framework === 'megatron-bridge' || check.bridgeOnly) return framework === 'megatron-bridge';
  return framework === 'megatron-lm' || (check.argparse !== true && check.file.startsWith('megatron/core/'));
}

/** Reads as None: written null, or unwritten in a whole launch whose default is None (which reads as an empty list). */
export const isNone = (f: WrittenFlags, key: string): boolean => f.list(key)?.length === 0;
/** `isNone`, for a numeric flag: not a number either. */
export const isNoneNumber = (f: WrittenFlags, key: string): boolean => f.number(key) === undefined && isNone(f, key);
/** `isNone`, for a string flag: an empty string written (`--save ""`) is a string, not None. */
export const isNoneString = (f: WrittenFlags, key: string): boolean => isNone(f, key) && f.text(key) === undefined;
/**
 * The CUDA graph modules as written: `--cuda-graph-modules`, or the deprecated `--cuda-graph-scope` that validate_args
 * copies into it (arguments.py l.633-641).
 */
export const writtenGraphModules = (f: WrittenFlags): readonly string[] | undefined =>
  f.written('cuda_graph_scope') && !f.written('cuda_graph_modules') ? f.list('cuda_graph_scope') : f.list('cuda_graph_modules');
/**
 * Deprecated module values that are no modules: Megatron takes them out and sets another argument instead
 * (cuda_graph_config.py l.10-13 CUDA_GRAPH_MODULES_DEPRECATIONS, applied by arguments.py l.263-294).
 */
export const MIGRATED_GRAPH_MODULES: readonly string[] = ['full_iteration', 'full_iteration_inference'];
/** Flags a launch may still spell the deprecated way, which Megatron copies into the one a check points at. */
export const DEPRECATED_SPELLING: Readonly<Record<string, string>> = { cuda_graph_modules: 'cuda_graph_scope' };
/**
 * The CUDA graph implementation: validate_args lets the deprecated `--enable-cuda-graph` / `--external-cuda-graph`
 * override `--cuda-graph-impl` (arguments.py l.619-630), and a `full_iteration` module value becomes
 * `cuda_graph_impl='full_iteration'` (with `none` or `local`; with transformer_engine Megatron refuses the pair,
 * cuda_graph_config.py l.107-111), so TransformerConfig never sees that launch's `local` (helper sweep H: DeepSeek-V4-Pro's
 * GB300 recipe on Megatron-LM dev).
 */
export const graphImpl = (f: WrittenFlags): string | undefined => {
  const impl = f.on('enable_cuda_graph') === true ? 'local' : f.on('external_cuda_graph') === true ? 'transformer_engine' : f.text('cuda_graph_impl');
  return impl !== 'transformer_engine' && writtenGraphModules(f)?.includes('full_iteration') ? 'full_iteration' : impl;
};
/** Per-layer CUDA graphs (transformer_config.py l.2804). */
export const perLayerGraphs = (f: WrittenFlags): boolean => ['local', 'transformer_engine'].includes(graphImpl(f) ?? '');

/**
 * The name of a dest in a config of field names where TransformerConfig's field is named otherwise (the parsers read
 * `num_moe_experts` as `num_experts`, parse/megatron.ts ALIASES).
 */
const FIELD_NAMES: Readonly<Record<string, string>> = { num_experts: 'num_moe_experts' };

/**
 * A check's summary with its flags spelled as the config spells them: `--moe-token-dispatcher-type flex` on a command
 * line (or a Megatron-LM test YAML of `--flag: value` keys), `moe_token_dispatcher_type: flex` in a config of field names.
 */
export function summaryText(summary: string, asFlag: boolean): string {
  return summary.replace(/`([a-z][a-z0-9_]*)(?: ([^`]+))?`/g, (_whole, key: string, value: string | undefined) =>
    asFlag ? `\`${flagOf(key)}${value === undefined ? '' : ` ${value}`}\`` : `\`${FIELD_NAMES[key] ?? key}${value === undefined ? '' : `: ${value}`}\``,
  );
}

/** `a, b or c`. */
const alternatives = (words: readonly string[]): string => (words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`);

export const TC = 'megatron/core/transformer/transformer_config.py';
export const ARGUMENTS = 'megatron/training/arguments.py';
export const DISPATCHER = 'moe_token_dispatcher_type';
export const BACKEND = 'moe_flex_dispatcher_backend';
export const OVERLAP = 'overlap_moe_expert_parallel_comm';

/** A written value outside the choices argparse allows (the dataclass field is a Literal). */
export function choice(id: string, line: number, key: string, choices: readonly string[]): MegatronLaunchCheck {
  const flag = flagOf(key);
  return {
    id,
    file: TC,
    line,
    message: `argument ${flag}: invalid choice: '{value}' (choose from ${choices.join(', ')})`,
    summary: `\`${key}\` is not ${alternatives(choices)}`,
    at: key,
    when: (f) => f.written(key) && f.text(key) !== undefined && !choices.includes(f.text(key)!),
    trigger: { [key]: 'bogus' },
    valid: { [key]: choices[0]! },
    argparse: true,
  };
}
