/**
 * Megatron-Bridge's own MoE launch checks (census rows MB-*, NVIDIA-NeMo/Megatron-Bridge at 067f987), on the
 * YAML configs Bridge merges over a recipe (src/core/parse/megatron-bridge.ts says how their keys become sites).
 * Each runs on Bridge configs only (`framework`); their `trigger` and `valid` keys are YAML paths, a bare key
 * being under `model:`, and, like a real override file, they write the expert count only where the check reads it.
 *
 * Which message a user sees first, from runtime_config_update (training/config.py l.1992): mixed precision is
 * applied to the model (l.2019), then CommOverlapConfig.setup runs its pre-finalize mirror of Megatron Core's
 * EP-overlap asserts (comm_overlap.py l.478-518), then validate() finalizes the model (Megatron Core's
 * TransformerConfig.__post_init__, l.1401) and only after that checks Megatron-FSDP (l.1485). So each EP-overlap
 * row here `shadows` the Megatron Core check it mirrors (same condition, Megatron Core's wording): where both
 * hold, the run stops at Bridge's assert and never prints Megatron Core's. The Megatron-FSDP v2 rows and the
 * memory report's (first logged step) come after Megatron Core's checks and mirror none of them. Checks on
 * different conditions are all reported, as for Megatron-LM: each is a change the config needs.
 */
import { DISPATCHER, isNoneNumber, OVERLAP, type MegatronLaunchCheck, type WrittenFlags } from './check';

export const BRIDGE_COMMIT = '067f987';

const COMM_OVERLAP = 'src/megatron/bridge/training/comm_overlap.py';
const CONFIG = 'src/megatron/bridge/training/config.py';
const MEMORY = 'src/megatron/bridge/training/utils/theoretical_memory_utils.py';

/**
 * The user's `comm_overlap.overlap_moe_expert_parallel_comm`, which Bridge checks (comm_overlap.py l.478) only
 * where the container has a CommOverlapConfig; the reader gives it the model's key too, as setup copies it there.
 */
const USER_OVERLAP = `comm_overlap.${OVERLAP}`;
/** What the EP-overlap asserts need besides, so that only the one under test fails. */
const OVERLAP_OK = { [USER_OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', mixed_precision: 'bf16_mixed' } as const;

/** Written as None (YAML `null`, `~`, or nothing after the colon): an unwritten key is the recipe's. */
const writtenNone = (f: WrittenFlags, key: string): boolean => f.written(key) && isNoneNumber(f, key);
const overlap = (f: WrittenFlags): boolean => f.on(USER_OVERLAP) === true;

/**
 * Megatron-FSDP v2 (config.py l.1071): `dist.use_megatron_fsdp` or `ddp.use_megatron_fsdp` (l.1484) with
 * `ddp.megatron_fsdp_version: 2`, on the Megatron Core that Bridge pins at this commit (3rdparty/Megatron-LM
 * 2a75ac1, which has FullyShardedDataParallelV2; with an older one, fsdp_compat.py l.25 falls back to v1).
 */
const fsdpV2 = (f: WrittenFlags): boolean => (f.on('ddp.use_megatron_fsdp') === true || f.on('dist.use_megatron_fsdp') === true) && f.number('ddp.megatron_fsdp_version') === 2;
const FSDP_V2 = { 'ddp.use_megatron_fsdp': true, 'ddp.megatron_fsdp_version': '2' } as const;

export const BRIDGE_CHECKS: readonly MegatronLaunchCheck[] = [
  {
    id: 'MB-003',
    file: COMM_OVERLAP,
    line: 480,
    message: 'overlap_moe_expert_parallel_comm is only supported when expert_model_parallel_size > 1',
    summary: '`overlap_moe_expert_parallel_comm` needs expert parallelism',
    at: USER_OVERLAP,
    when: (f) => overlap(f) && f.number('expert_model_parallel_size') !== undefined && f.number('expert_model_parallel_size')! <= 1,
    trigger: { ...OVERLAP_OK, expert_model_parallel_size: '1' },
    valid: OVERLAP_OK,
    framework: 'megatron-bridge',
    shadows: ['MEG-079'],
  },
  {
    id: 'MB-005',
    file: COMM_OVERLAP,
    line: 487,
    // The f-string continues with a backslash inside the quotes, so Bridge's message has a run of spaces
    // before "but got"; one space here.
    message: "overlap_moe_expert_parallel_comm is only supported when moe_token_dispatcher_type == 'alltoall' or 'flex', but got {value}",
    summary: '`overlap_moe_expert_parallel_comm` needs alltoall or flex dispatch',
    at: DISPATCHER,
    when: (f) => overlap(f) && f.text(DISPATCHER) !== undefined && !['alltoall', 'flex'].includes(f.text(DISPATCHER)!),
    trigger: { ...OVERLAP_OK, [DISPATCHER]: 'allgather' },
    valid: { ...OVERLAP_OK, [DISPATCHER]: 'flex' },
    framework: 'megatron-bridge',
    shadows: ['MEG-080'],
  },
  {
    id: 'MB-006',
    file: COMM_OVERLAP,
    line: 491,
    message: 'overlap_moe_expert_parallel_comm is only supported when using bf16 or fp16 models',
    summary: '`overlap_moe_expert_parallel_comm` needs a bf16 or fp16 model',
    at: USER_OVERLAP,
    // The model's bf16/fp16 as mixed precision leaves them (the reader takes them from `mixed_precision:`).
    when: (f) => overlap(f) && f.on('bf16') === false && f.on('fp16') === false,
    trigger: { [USER_OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', 'mixed_precision.bf16': 'false', 'mixed_precision.fp16': 'false' },
    valid: { [USER_OVERLAP]: true, expert_model_parallel_size: '2', [DISPATCHER]: 'alltoall', 'mixed_precision.bf16': 'true', 'mixed_precision.fp16': 'false' },
    framework: 'megatron-bridge',
    shadows: ['MEG-085'],
  },
  {
    id: 'MB-007',
    file: COMM_OVERLAP,
    line: 496,
    message: 'If enabling EP A2A overlap, virtual_pipeline_model_parallel_size must be specified when pipeline_model_parallel_size > 1',
    summary: 'EP overlap with pipeline parallelism needs a virtual pipeline size',
    at: USER_OVERLAP,
    // An unwritten virtual size is the recipe's: only a written None holds.
    when: (f) => overlap(f) && (f.number('pipeline_model_parallel_size') ?? 1) > 1 && writtenNone(f, 'virtual_pipeline_model_parallel_size'),
    trigger: { ...OVERLAP_OK, pipeline_model_parallel_size: '2', virtual_pipeline_model_parallel_size: 'null' },
    valid: { ...OVERLAP_OK, pipeline_model_parallel_size: '2', virtual_pipeline_model_parallel_size: '2' },
    framework: 'megatron-bridge',
    shadows: ['MEG-078'],
  },
  {
    id: 'MB-008',
    file: COMM_OVERLAP,
    line: 500,
    message: 'disable full recomputation when enabling overlap_moe_expert_parallel_comm',
    summary: '`overlap_moe_expert_parallel_comm` with full recomputation',
    at: USER_OVERLAP,
    when: (f) => overlap(f) && f.text('recompute_granularity') === 'full',
    trigger: { ...OVERLAP_OK, recompute_granularity: 'full' },
    valid: { ...OVERLAP_OK, recompute_granularity: 'selective' },
    framework: 'megatron-bridge',
    shadows: ['MEG-081'],
  },
  {
    id: 'MB-009',
    file: COMM_OVERLAP,
    line: 503,
    message: 'disable recomputation method when enabling overlap_moe_expert_parallel_comm',
    summary: '`overlap_moe_expert_parallel_comm` with `recompute_method`',
    at: USER_OVERLAP,
    when: (f) => overlap(f) && f.text('recompute_method') !== undefined,
    trigger: { ...OVERLAP_OK, recompute_method: 'uniform' },
    valid: { ...OVERLAP_OK, recompute_method: 'null' },
    framework: 'megatron-bridge',
    shadows: ['MEG-082'],
  },
  {
    id: 'MB-010',
    file: COMM_OVERLAP,
    line: 506,
    message: 'recompute_num_layers must be None when enabling overlap_moe_expert_parallel_comm',
    summary: '`overlap_moe_expert_parallel_comm` with `recompute_num_layers`',
    at: USER_OVERLAP,
    when: (f) => overlap(f) && f.number('recompute_num_layers') !== undefined,
    trigger: { ...OVERLAP_OK, recompute_num_layers: '1' },
    valid: { ...OVERLAP_OK, recompute_num_layers: 'null' },
    framework: 'megatron-bridge',
    shadows: ['MEG-083'],
  },
  {
    id: 'MB-011',
    file: COMM_OVERLAP,
    line: 511,
    message: 'disable moe in recompute_modules when enabling overlap_moe_expert_parallel_comm',
    summary: '`overlap_moe_expert_parallel_comm` with moe recompute',
    at: USER_OVERLAP,
    when: (f) => overlap(f) && (f.list('recompute_modules') ?? []).includes('moe'),
    trigger: { ...OVERLAP_OK, recompute_modules: '[core_attn, moe]' },
    valid: { ...OVERLAP_OK, recompute_modules: '[core_attn, moe_act]' },
    framework: 'megatron-bridge',
    shadows: ['MEG-084'],
  },
  {
    id: 'MB-012',
    file: COMM_OVERLAP,
    line: 514,
    message: 'disable moe_shared_expert_overlap when enabling overlap_moe_expert_parallel_comm',
    summary: '`overlap_moe_expert_parallel_comm` with `moe_shared_expert_overlap`',
    at: USER_OVERLAP,
    when: (f) => overlap(f) && f.on('moe_shared_expert_overlap') === true,
    trigger: { ...OVERLAP_OK, moe_shared_expert_overlap: true },
    valid: { ...OVERLAP_OK, moe_shared_expert_overlap: 'false' },
    framework: 'megatron-bridge',
    shadows: ['MEG-086'],
  },
  {
    id: 'MB-013',
    file: COMM_OVERLAP,
    line: 517,
    message: 'MTP supports at most one layer when enabling overlap_moe_expert_parallel_comm.',
    summary: '`overlap_moe_expert_parallel_comm` with more than one MTP layer',
    at: USER_OVERLAP,
    // `mtp_num_layers in (None, 0, 1)`.
    when: (f) => overlap(f) && f.number('mtp_num_layers') !== undefined && ![0, 1].includes(f.number('mtp_num_layers')!),
    trigger: { ...OVERLAP_OK, mtp_num_layers: '2' },
    valid: { ...OVERLAP_OK, mtp_num_layers: '1' },
    framework: 'megatron-bridge',
    shadows: ['MEG-087'],
  },
  {
    id: 'MB-002',
    file: CONFIG,
    // l.1143 names expert_model_parallel_size among the unsupported sizes; the raise is at l.1151.
    line: 1143,
    // Bridge lists every size of tensor/pipeline/context/expert parallelism that is not 1; the message here
    // names the expert one (a written TP/PP/CP other than 1 comes before it in Bridge's list).
    message: 'MFSDP V2 currently supports DP-only training; unsupported settings: expert_model_parallel_size={value}',
    summary: 'Megatron-FSDP v2 is DP-only, without expert parallelism',
    at: 'expert_model_parallel_size',
    when: (f) => fsdpV2(f) && f.number('expert_model_parallel_size') !== undefined && f.number('expert_model_parallel_size') !== 1,
    trigger: { ...FSDP_V2, expert_model_parallel_size: '8' },
    valid: { ...FSDP_V2, 'ddp.megatron_fsdp_version': '1', expert_model_parallel_size: '8' },
    framework: 'megatron-bridge',
  },
  {
    id: 'MB-001',
    file: CONFIG,
    line: 1156,
    message: 'MFSDP V2 does not currently support MoE models.',
    at: 'ddp.megatron_fsdp_version',
    // `num_moe_experts is not None`: a written expert count (MoE Lens reads no config with None or 1 expert).
    when: (f) => fsdpV2(f) && f.number('num_experts') !== undefined,
    trigger: { ...FSDP_V2, num_moe_experts: '64' },
    valid: { ...FSDP_V2, 'ddp.megatron_fsdp_version': '1', num_moe_experts: '64' },
    framework: 'megatron-bridge',
  },
  {
    id: 'MB-020',
    file: MEMORY,
    line: 531,
    message: 'moe_layer_freq must be positive',
    at: 'moe_layer_freq',
    // Raised by the memory report of the first logged step (train_utils.py l.1145), for a model with experts
    // (_has_moe, l.794). A frequency of 0 never gets there: Megatron Core's layer spec (gpt_layer_specs.py
    // l.649) or Bridge's FLOPs count (flop_utils.py l.1019) divides by it first. A negative one passes both.
    // (A float such as -2.0 reads the same here, though Bridge would reject it as unsupported, l.538.)
    when: (f) => (f.number('num_experts') ?? 0) > 0 && f.number('moe_layer_freq') !== undefined && Number.isInteger(f.number('moe_layer_freq')) && f.number('moe_layer_freq')! < 0,
    trigger: { num_moe_experts: '64', moe_layer_freq: '-2' },
    valid: { num_moe_experts: '64', moe_layer_freq: '2' },
    framework: 'megatron-bridge',
  },
  {
    // Not in the first census: found when re-reading Bridge at 067f987 (row MB-033, added this session).
    id: 'MB-033',
    file: COMM_OVERLAP,
    line: 532,
    message: 'overlap_moe_expert_parallel_comm is required for delay_wgrad_compute',
    summary: '`delay_wgrad_compute` needs `overlap_moe_expert_parallel_comm`',
    at: 'comm_overlap.delay_wgrad_compute',
    // Both spellings of the overlap must be written off: an unwritten one is the recipe's (l.532-535).
    when: (f) => f.on('comm_overlap.delay_wgrad_compute') === true && f.on(USER_OVERLAP) === false && f.on(`model.${OVERLAP}`) !== true,
    trigger: { 'comm_overlap.delay_wgrad_compute': true, [USER_OVERLAP]: 'false' },
    valid: { 'comm_overlap.delay_wgrad_compute': true, ...OVERLAP_OK },
    framework: 'megatron-bridge',
    shadows: ['MEG-090'],
  },
];
