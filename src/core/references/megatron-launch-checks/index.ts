/**
 * Megatron-LM's own MoE launch checks on combinations of flags, as data (rows of
 * test/census/moe-launch-checks.tsv), one file per census category, and Megatron-Bridge's own (rows MB-*,
 * bridge.ts). MOE020 runs them; its tests are generated from each check's `trigger` and `valid` flags.
 */
import { BRIDGE_CHECKS } from './bridge';
import type { MegatronLaunchCheck } from './check';
import { DISPATCHER_CHECKS } from './dispatcher';
import { OTHER_CHECKS } from './other';
import { PARALLEL_CHECKS } from './parallel';
import { ROUTER_CHECKS } from './routing';
import { CHECK_SINCE } from './since';

export { BRIDGE_CHECKS, BRIDGE_COMMIT } from './bridge';
export { DEPRECATED_SPELLING, MEGATRON_COMMIT, launchFramework, launchMessage, olderMegatronRuns, runsMegatronChecks, runsUnder, summaryText, type FrameworkLaunchScope, type LaunchFramework, type MegatronLaunchCheck, type WrittenFlags } from './check';
export { MEGATRON_DEFAULTS, type MegatronDefault } from './defaults';
export { CHECK_CUTOFF, type CheckSince } from './since';
export { workspaceMegatron, type WorkspaceMegatron } from './checkout';

/** Megatron-LM's checks, each with the commit that added it where that is recent (since.ts). */
export const MEGATRON_LAUNCH_CHECKS: readonly MegatronLaunchCheck[] = [...DISPATCHER_CHECKS, ...PARALLEL_CHECKS, ...ROUTER_CHECKS, ...OTHER_CHECKS].map((check) =>
  CHECK_SINCE[check.id] ? { ...check, since: CHECK_SINCE[check.id] } : check,
);

/** Every check MOE020 runs: Megatron-LM's, then Megatron-Bridge's own (which run on Bridge configs only). */
export const LAUNCH_CHECKS: readonly MegatronLaunchCheck[] = [...MEGATRON_LAUNCH_CHECKS, ...BRIDGE_CHECKS];
