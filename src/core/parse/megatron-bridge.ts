/**
 * Megatron-Bridge YAML configs (NVIDIA-NeMo/Megatron-Bridge at 067f987): a `--config-file` override that
 * process_config_with_overrides merges over a recipe's ConfigContainer (training/utils/omegaconf_utils.py
 * l.148, then each key set on its dataclass), or a whole container as Bridge writes one out. Its top-level keys
 * are ConfigContainer's sections (training/config.py l.962): `model:` holds the model provider's fields, which
 * are Megatron Core's TransformerConfig names; `comm_overlap:`, `mixed_precision:`, `ddp:`, `dist:` … the rest.
 *
 * The recipe is Python MoE Lens does not see, so a key the YAML does not write is unknown, never a default (the
 * spec is never a whole launch), and a spec is read even where the expert count is the recipe's.
 *
 * Sites, by the key a check reads:
 * - `model:` keys under their own names (`num_moe_experts` as `num_experts`, as for Megatron-LM's YAML);
 * - other sections' keys as `section.key` (`ddp.megatron_fsdp_version`), but what runtime_config_update
 *   (config.py l.1992) copies onto the model before Megatron Core validates it under the model's name:
 *   - `comm_overlap.overlap_moe_expert_parallel_comm` / `.delay_wgrad_compute` as `overlap_moe_expert_parallel_comm`
 *     / `delay_wgrad_compute` too (and under their own `comm_overlap.` keys, which Bridge's own checks read):
 *     CommOverlapConfig.setup sets the model's from them (comm_overlap.py l.618), False where unset (l.438).
 *     So the model's own value of these (and of every other CommOverlapConfig field) is read only where the
 *     YAML writes `comm_overlap: null`; otherwise it is kept as `model.<key>`, which no check reads: the
 *     recipe's comm overlap may replace it.
 *   - mixed precision: MixedPrecisionConfig.setup copies each of its fields onto the model (mixed_precision.py
 *     l.138). A preset name (`mixed_precision: bf16_mixed`) gives `bf16`/`fp16` (every preset sets one of them);
 *     a `mixed_precision:` map gives the fields it writes; a written `null` leaves the model's own. Otherwise the
 *     model's own are kept as `model.<key>`: the recipe's mixed precision (all set one) replaces them.
 */
import { isMap, isPair, isScalar, parseDocument, type Pair, type YAMLMap } from 'yaml';
import type { RouterSpec, Site } from '../model/router-spec';
import type { FrameworkLaunchScope } from '../references/megatron-launch-checks/check';
import type { SourceRange } from '../text/source';
import { megatronOverrideSpec, yamlError, yamlSites, type MegatronAnalysis } from './megatron';

/** ConfigContainer's fields (training/config.py l.962-1005), and `_target_` of a container Bridge wrote out. */
const SECTIONS: ReadonlySet<string> = new Set([
  'env_vars', 'rng', 'rerun_state_machine', 'train', 'model', 'optimizer', 'optimizer_config_override_provider', 'ddp', 'validation', 'scheduler',
  'dataset', 'logger', 'tokenizer', 'checkpoint', 'dist', 'ft', 'straggler', 'nvrx_straggler', 'profiling', 'peft', 'comm_overlap',
  'mixed_precision', 'tensor_inspect', 'inprocess_restart', '_target_',
]);

/**
 * Keys beside the sections of a Nemotron recipe config (NVIDIA-NeMo/Nemotron @e27b371
 * src/nemotron/recipes/lightning35/stage0_pretrain/config/tiny.yaml): the Bridge recipe it overrides and the launch.
 */
const RECIPE_LAUNCHER_KEYS = ['recipe', 'run'];

/** _CommOverlapConfig's fields (comm_overlap.py l.346-373): CommOverlapConfig.setup writes them onto the model. */
const COMM_OVERLAP_FIELDS: ReadonlySet<string> = new Set([
  'tp_comm_overlap', 'tp_comm_overlap_cfg', 'tp_comm_bootstrap_backend', 'overlap_p2p_comm', 'batch_p2p_comm', 'overlap_grad_reduce',
  'overlap_param_gather', 'overlap_param_gather_with_optimizer_step', 'align_param_gather', 'bucket_size', 'defer_embedding_wgrad_compute',
  'wgrad_deferral_limit', 'overlap_moe_expert_parallel_comm', 'delay_wgrad_compute',
]);
/** The ones the user's value reaches the model as written (the others Bridge adjusts to TP, PP and VP first). */
const COMM_OVERLAP_TO_MODEL: ReadonlySet<string> = new Set(['overlap_moe_expert_parallel_comm', 'delay_wgrad_compute']);

/** MixedPrecisionConfig's fields (mixed_precision.py l.36-75): its setup copies them onto the model. */
const MIXED_PRECISION_FIELDS: ReadonlySet<string> = new Set([
  'fp32', 'fp16', 'bf16', 'params_dtype', 'pipeline_dtype', 'autocast_dtype', 'autocast_enabled', 'grad_reduce_in_fp32', 'fp8', 'fp8_recipe',
  'first_last_layers_bf16', 'fp8_margin', 'fp8_amax_history_len', 'fp8_amax_compute_algo', 'fp8_wgrad', 'fp8_dot_product_attention',
  'fp8_multi_head_attention', 'fp8_param', 'fp8_param_gather', 'fp4', 'fp4_recipe', 'fp4_param', 'fp4_param_gather', 'loss_scale',
  'initial_loss_scale', 'min_loss_scale', 'loss_scale_window', 'hysteresis', 'num_layers_at_start_in_bf16', 'num_layers_at_end_in_bf16',
  'reuse_grad_buf_for_mxfp8_param_ag',
]);

/** The registered presets (mixed_precision.py l.184-421; `-` spellings too, l.176): each sets bf16 or fp16. */
const PRESETS: ReadonlySet<string> = new Set([
  'bf16_mixed', 'fp16_mixed', 'bf16_with_fp8_delayed_scaling_mixed', 'fp16_with_fp8_delayed_scaling_mixed', 'bf16_with_mxfp8_mixed',
  'fp16_with_mxfp8_mixed', 'bf16_with_fp8_current_scaling_mixed', 'nemotron_h_bf16_with_fp8_current_scaling_mixed',
  'nanov2_bf16_with_fp8_current_scaling_mixed', 'fp16_with_fp8_current_scaling_mixed', 'bf16_with_fp8_subchannel_scaling_mixed',
  'fp16_with_fp8_subchannel_scaling_mixed', 'bf16_with_nvfp4_mixed', 'nemotron_3_super_bf16_with_nvfp4_mixed',
]);

const WHY = "is a Megatron-Bridge YAML config: a key it does not write is the recipe's";

/** A cheap look before parsing: a top-level `model:` map beside another ConfigContainer section, and MoE words. */
export function looksLikeMegatronBridge(text: string): boolean {
  return (
    /^model:[ \t]*(#.*)?\r?$/m.test(text) &&
    /^(train|optimizer|ddp|dist|comm_overlap|mixed_precision|scheduler|checkpoint|logger|tokenizer|dataset|rng|profiling|validation|peft):/m.test(text) &&
    /moe|expert/.test(text)
  );
}

function pairsOf(map: YAMLMap): Pair[] {
  return (map.items as Pair[]).filter((p) => isPair(p) && isScalar(p.key));
}

function rangeOf(node: { range?: [number, number, number?] | null } | null | undefined, fallback: SourceRange): SourceRange {
  return node?.range ? { start: node.range[0], end: node.range[1] } : fallback;
}

/**
 * The configs of a Megatron-Bridge YAML; undefined when the file is not one (a top-level key that is not a
 * ConfigContainer section, or no `model:` map beside another section), so that the caller reads it otherwise.
 */
export function analyzeMegatronBridgeYaml(text: string, file: string): MegatronAnalysis | undefined {
  let document: ReturnType<typeof parseDocument>;
  try {
    document = parseDocument(text, { keepSourceTokens: false, uniqueKeys: false, strict: false });
  } catch {
    return undefined;
  }
  const root = document.contents;
  if (!isMap(root)) return undefined;
  const sections = new Map<string, Pair>();
  for (const pair of pairsOf(root)) sections.set(String((pair.key as { value: unknown }).value), pair);
  // NVIDIA-NeMo/Nemotron's recipe configs name the Bridge recipe they override (`recipe: {_target_:
  // megatron.bridge.recipes.…}`) beside the launcher's `run:`; the other keys are the recipe's sections.
  const recipe = sections.get('recipe')?.value;
  const target = isMap(recipe) ? (recipe.items as Pair[]).find((p) => isPair(p) && isScalar(p.key) && p.key.value === '_target_')?.value : undefined;
  if (isScalar(target) && /^megatron\.bridge\.recipes\./.test(String(target.value))) for (const key of RECIPE_LAUNCHER_KEYS) sections.delete(key);
  const modelPair = sections.get('model');
  if (!modelPair || !isMap(modelPair.value) || sections.size < 2 || [...sections.keys()].some((k) => !SECTIONS.has(k))) return undefined;
  const errors: MegatronAnalysis['errors'] = document.errors.slice(0, 5).map(yamlError);

  const written = (name: string): 'null' | 'map' | 'scalar' | undefined => {
    const value = sections.get(name)?.value;
    if (value === undefined) return undefined;
    if (value === null || (isScalar(value) && value.value === null)) return 'null';
    return isMap(value) ? 'map' : 'scalar';
  };
  const commOverlap = written('comm_overlap');
  const mixedPrecision = written('mixed_precision');
  const sites: Site[] = [];

  for (const site of yamlSites(modelPair.value, text)) {
    const replaced = (COMM_OVERLAP_FIELDS.has(site.key) && commOverlap !== 'null') || (MIXED_PRECISION_FIELDS.has(site.key) && mixedPrecision !== 'null');
    sites.push(replaced ? { ...site, key: `model.${site.key}` } : site);
  }
  for (const [name, pair] of sections) {
    if (name === 'model') continue;
    const value = pair.value;
    if (isMap(value)) {
      for (const site of yamlSites(value, text)) {
        const toModel = (name === 'comm_overlap' && COMM_OVERLAP_TO_MODEL.has(site.key)) || (name === 'mixed_precision' && MIXED_PRECISION_FIELDS.has(site.key));
        if (toModel) sites.push(site);
        // Bridge's own checks read the user's comm overlap as such (they run only where there is one).
        if (!toModel || name === 'comm_overlap') sites.push({ ...site, key: `${name}.${site.key}` });
      }
    } else if (isScalar(value) && isScalar(pair.key)) {
      const keyRange = rangeOf(pair.key, { start: 0, end: 0 });
      const valueRange = rangeOf(value, keyRange);
      const literal = value.value === null ? ({ kind: 'none' } as const) : typeof value.value === 'string' ? ({ kind: 'string', value: value.value } as const) : ({ kind: 'expression', text: String(value.value) } as const);
      sites.push({ key: name, keyRange, valueRange, literal });
      const preset = typeof value.value === 'string' ? value.value.replace(/-/g, '_') : undefined;
      if (name === 'mixed_precision' && preset && PRESETS.has(preset)) {
        const bf16 = /(^|_)bf16_/.test(preset);
        sites.push({ key: 'bf16', keyRange, valueRange, literal: { kind: 'bool', value: bf16 } }, { key: 'fp16', keyRange, valueRange, literal: { kind: 'bool', value: !bf16 } });
      }
    }
  }

  // An MoE config: it names the experts or the router, sets an MoE field, or overlaps expert-parallel
  // communication, or splits experts over ranks.
  const moe = sites.some(
    (s) =>
      ['num_experts', 'num_moe_experts', 'moe_router_topk', 'overlap_moe_expert_parallel_comm'].includes(s.key) ||
      s.key.startsWith('moe_') ||
      (s.key === 'expert_model_parallel_size' && !(s.literal.kind === 'int' && s.literal.value === 1)),
  );
  if (!moe) return { specs: [], errors };
  const range = rangeOf(root, { start: 0, end: text.length });
  const modelKey = rangeOf(modelPair.key as { range?: [number, number, number?] | null }, range);
  const anchor = sites.find((s) => ['num_experts', 'moe_router_topk'].includes(s.key))?.keyRange ?? modelKey;
  const name = file.split(/[\\/]/).pop()!.replace(/\.ya?ml$/i, '');
  const launch: FrameworkLaunchScope = { complete: false, why: WHY, framework: 'megatron-bridge' };
  const spec: RouterSpec | undefined = megatronOverrideSpec('megatron-yaml', file, name, sites, range, anchor, `not written in this Megatron-Bridge YAML (the recipe sets it)`, launch);
  return { specs: spec ? [spec] : [], errors };
}
