/**
 * Megatron-LM's own MoE launch checks on combinations of flags, as data (rows of
 * test/census/moe-launch-checks.tsv), one file per census category. MOE020 runs them; its tests are generated
 * from each check's `trigger` and `valid` flags.
 */
import type { MegatronLaunchCheck } from './check';
import { DISPATCHER_CHECKS } from './dispatcher';
import { OTHER_CHECKS } from './other';
import { PARALLEL_CHECKS } from './parallel';
import { ROUTER_CHECKS } from './routing';

export { MEGATRON_COMMIT, type MegatronLaunchCheck, type WrittenFlags } from './check';
export { MEGATRON_DEFAULTS, type MegatronDefault } from './defaults';

export const MEGATRON_LAUNCH_CHECKS: readonly MegatronLaunchCheck[] = [...DISPATCHER_CHECKS, ...PARALLEL_CHECKS, ...ROUTER_CHECKS, ...OTHER_CHECKS];
