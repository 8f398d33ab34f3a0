/**
 * Pai-Megatron-Patch's own routers. The fork's example programs (`examples/<model>/pretrain_*.py`) build their layers
 * from layer specs of its own for some models, whose MoE layers route with a router of the fork's, not Megatron-LM's
 * that the launch's flags otherwise describe. Two are known, each decided from the program the launch runs (the
 * last import that binds its layer-spec function) and from the workspace's copy of the fork's code:
 * - **Qwen3-MoE** (from alibaba/Pai-Megatron-Patch 2c3e3c9, 2025-04-29, until 7a91081, 2025-09-30; at 33191bd the
 *   import sits inside a string): `megatron_patch.model.qwen3_moe.gpt_layer_specs`, whose router divides the softmax
 *   weights by their sum before or after top-k (qwen3_moe/moe/moe_utils.py l.76-77 @2c3e3c9, "hard code
 *   norm_topk_prob"). Its launches pass `--moe-router-pre-softmax`, which Megatron-LM leaves unrenormalised.
 * - **DeepSeek-V2** (from a002437, 2024-05-27, until d981422, 2025-01-16): `megatron_patch.model.deepseek_v2.
 *   layer_specs`, whose MoE layer imports the fork's TopKRouter (moe/moe_layer.py l.24 @8be40a3); with
 *   `aux_loss` balancing it takes the softmax over all experts, then top-k, never renormalised, unscaled, ungrouped,
 *   from a weight without a bias (moe/router.py l.75, l.161-164 @8be40a3), whatever `--moe-router-pre-softmax` says.
 */
import type { SyntaxNode } from '@lezer/common';
import { fixedBy, sitesOf, unknownBecause, type Field, type RouterSpec } from '../model/router-spec';
import { baseName, fileAbove } from '../text/paths';
import { launchedPrograms } from './launched-program';
import type { RelatedText } from './megatron';
import { importBindings, type ImportBinding } from './python/imports';
import { children, parsePython } from './python/syntax';

/** How far above the program its checkout's `megatron_patch` is looked for (examples/qwen3/ sits two deep). */
const MAX_DEPTH = 4;

/** The last top-level import binding `name` in a Python source (a later import wins, as Python runs them). */
function lastImportOf(source: string, name: string): ImportBinding | undefined {
  const parsed = parsePython(source);
  let found: ImportBinding | undefined;
  for (const statement of children(parsed.tree.topNode) as SyntaxNode[]) {
    if (statement.name !== 'ImportStatement') continue;
    for (const binding of importBindings(statement, source)) if (source.slice(binding.alias.from, binding.alias.to) === name) found = binding;
  }
  return found;
}

const inCheckout = (path: string): string => path.slice(path.lastIndexOf('megatron_patch/'));

interface PatchedRouter {
  readonly program: RegExp;
  /** The layer-spec function the program calls, and the fork's module that must bind it. */
  readonly specFunction: string;
  readonly specModule: string;
  /** The launch's configs with this router, given the workspace's reader, or unknown where its code is not the one known. */
  readonly apply: (spec: RouterSpec, via: string, program: string, read: RelatedText) => RouterSpec;
}

const QWEN3_UTILS = 'megatron_patch/model/qwen3_moe/moe/moe_utils.py';
/** The division in the patch's softmax path, as the fork wrote it (moe_utils.py l.76-77 @2c3e3c9). */
const QWEN3_DIVIDES_BY_SUM = /# NOTE: hard code norm_topk_prob here\s*\n\s*probs = probs \/ \(probs\.sum\(dim=-1, keepdim=True\) \+ 1e-20\)/;

const DEEPSEEK_V2_LAYER = 'megatron_patch/model/deepseek_v2/moe/moe_layer.py';
const DEEPSEEK_V2_ROUTER = 'megatron_patch/model/deepseek_v2/moe/router.py';
/** Softmax over all experts, then top-k of those (router.py l.163-164 @8be40a3; the fork @9d3e557 names them probs, top_indices). */
const SOFTMAX_THEN_TOPK = /routing_weights = torch\.softmax\(logits, dim=1, dtype=torch\.float32\)\.type_as\(logits\)\s*\n\s*\w+, \w+ = torch\.topk\(routing_weights, k=(?:self\.)?topk, dim=-1\)/;

const PATCHED_ROUTERS: readonly PatchedRouter[] = [
  {
    program: /(^|\/)pretrain_qwen\.py$/,
    specFunction: 'get_gpt_decoder_block_spec',
    specModule: 'megatron_patch.model.qwen3_moe.gpt_layer_specs',
    apply(spec, via, program, read) {
      const patch = fileAbove(program, QWEN3_UTILS, read, MAX_DEPTH);
      if (!patch) return { ...spec, normalize: unknownBecause(`${via}, whose router (${QWEN3_UTILS}) is not in this workspace`)(spec.normalize) };
      if (!QWEN3_DIVIDES_BY_SUM.test(patch.text)) return { ...spec, normalize: unknownBecause(`${via}, whose router (${inCheckout(patch.path)}) is not the one MoE Lens knows (alibaba/Pai-Megatron-Patch @2c3e3c9)`)(spec.normalize) };
      if (spec.scoreFunc.unknown !== undefined) return { ...spec, normalize: unknownBecause(`${via}, whose router renormalises softmax weights always and sigmoid ones when k > 1, and the score function is not known`)(spec.normalize) };
      // The patch's sigmoid path is Megatron-LM's (divided when k > 1): only softmax changes.
      if (spec.scoreFunc.value !== 'softmax') return spec;
      return { ...spec, normalize: fixedBy('always', `${via}: its router divides the softmax weights by their sum, before or after top-k (${inCheckout(patch.path)} l.76-77 at alibaba/Pai-Megatron-Patch @2c3e3c9: "hard code norm_topk_prob")`) };
    },
  },
  {
    program: /(^|\/)pretrain_deepseek\.py$/,
    specFunction: 'get_gpt_layer_with_transformer_engine_spec',
    specModule: 'megatron_patch.model.deepseek_v2.layer_specs',
    apply(spec, via, program, read) {
      const layer = fileAbove(program, DEEPSEEK_V2_LAYER, read, MAX_DEPTH);
      // Pai's later MoE layer imports Megatron-LM's router (d981422): then the flags describe it.
      const router = layer && lastImportOf(layer.text, 'TopKRouter');
      if (layer && router && !(router.level === 1 && router.module === 'router')) return spec;
      const code = layer && router ? fileAbove(program, DEEPSEEK_V2_ROUTER, read, MAX_DEPTH) : undefined;
      const why = !layer || !router ? `${via}, whose MoE layer (${DEEPSEEK_V2_LAYER}) is not in this workspace or names no router` : !code ? `${via}, whose router (${DEEPSEEK_V2_ROUTER}) is not in this workspace` : !SOFTMAX_THEN_TOPK.test(code.text) ? `${via}, whose router (${inCheckout(code.path)}) is not the one MoE Lens knows (alibaba/Pai-Megatron-Patch @8be40a3)` : undefined;
      const routerFields = ['order', 'normalize', 'scale', 'scoreFunc', 'routerBias'] as const;
      if (why) return { ...spec, ...Object.fromEntries(routerFields.map((key) => [key, unknownBecause(why)(spec[key] as Field<unknown>)])) };
      // With `aux_loss` balancing only (Megatron-LM's default then); `sinkhorn` and `none` route otherwise.
      const balancing = sitesOf(spec, 'moe_router_load_balancing_type').at(-1)?.literal;
      if (balancing && !(balancing.kind === 'string' && balancing.value === 'aux_loss')) return spec;
      const label = `${via}, whose router (${inCheckout(code!.path)}, as at alibaba/Pai-Megatron-Patch @8be40a3 l.75, l.161-164)`;
      return {
        ...spec,
        scoreFunc: fixedBy('softmax', `${label} takes the softmax over all experts`),
        order: fixedBy('score-then-topk', `${label} takes the softmax over all experts, then top-k (--moe-router-pre-softmax is not read)`),
        normalize: fixedBy('never', `${label} leaves the k weights as they are`),
        scale: fixedBy(1, `${label} does not scale the k weights`),
        routerBias: fixedBy(false, `${label} has a weight and no bias`),
        groups: undefined,
      };
    },
  },
];

/**
 * The launch's configs with Pai-Megatron-Patch's router where the program it runs builds its layers with one
 * (PATCHED_ROUTERS), as they are otherwise, and for a launch that picks its layers itself (`--spec`). `programs`:
 * launchedPrograms(text, file), where the caller has it.
 */
export function withPaiRouters(specs: readonly RouterSpec[], text: string, file: string, read: RelatedText, programs = launchedPrograms(text, file)): readonly RouterSpec[] {
  if (!specs.some((s) => s.framework === 'megatron') || /(^|\s)--spec(\s|=|$)/m.test(text)) return specs;
  for (const program of programs) {
    const patched = PATCHED_ROUTERS.find((r) => r.program.test(program));
    const source = patched && read(program);
    if (!patched || source === undefined || !source.includes(patched.specModule) || lastImportOf(source, patched.specFunction)?.module !== patched.specModule) continue;
    const via = `${baseName(program)} builds its MoE layers with Pai-Megatron-Patch's ${patched.specModule}`;
    return specs.map((spec) => (spec.framework === 'megatron' ? patched.apply(spec, via, program, read) : spec));
  }
  return specs;
}
