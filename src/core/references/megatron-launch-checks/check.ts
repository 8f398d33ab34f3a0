/**
 * What one Megatron-LM launch check is, as data, and what it may read of a config. The checks themselves are
 * in this folder, one file per census category (dispatcher.ts, parallel.ts, routing.ts, other.ts), each with
 * its census row (test/census/moe-launch-checks.tsv), where it is in Megatron-LM at d98e8a6, its exact message,
 * the flag to point at, and its condition. `trigger` and `valid` are the smallest configs that break it and
 * the nearest one that does not: the rule's tests are generated from them, one pair per row.
 */

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
}

export interface MegatronLaunchCheck {
  readonly id: string;
  readonly file: string;
  readonly line: number;
  /** Megatron's message, verbatim; `{value}` stands for the value written for `at`. */
  readonly message: string;
  /** The flag the diagnostic points at (it must be written whenever the check fires). */
  readonly at: string;
  readonly when: (f: WrittenFlags) => boolean;
  /**
   * Flags (dest name → value; `true` for a switch; a list as words separated by spaces) that make it fire in
   * a whole launch script, and the nearest config that does not.
   */
  readonly trigger: Readonly<Record<string, string | true>>;
  readonly valid: Readonly<Record<string, string | true>>;
}

export const TC = 'megatron/core/transformer/transformer_config.py';
export const ARGUMENTS = 'megatron/training/arguments.py';
export const DISPATCHER = 'moe_token_dispatcher_type';
export const BACKEND = 'moe_flex_dispatcher_backend';
export const OVERLAP = 'overlap_moe_expert_parallel_comm';

/** A written value outside the choices argparse allows (the dataclass field is a Literal). */
export function choice(id: string, line: number, key: string, choices: readonly string[]): MegatronLaunchCheck {
  const flag = `--${key.replace(/_/g, '-')}`;
  return {
    id,
    file: TC,
    line,
    message: `argument ${flag}: invalid choice: '{value}' (choose from ${choices.join(', ')})`,
    at: key,
    when: (f) => f.written(key) && f.text(key) !== undefined && !choices.includes(f.text(key)!),
    trigger: { [key]: 'bogus' },
    valid: { [key]: choices[0]! },
  };
}
