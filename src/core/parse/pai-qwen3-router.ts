/**
 * Pai-Megatron-Patch's own Qwen3-MoE router. From 2c3e3c9 (2025-04-29) the fork's examples/qwen3/pretrain_qwen.py
 * built its layers with `megatron_patch.model.qwen3_moe.gpt_layer_specs`, whose MoE layer routes with a TopKRouter
 * subclass that divides the softmax weights by their sum whether softmax comes before top-k or after
 * (megatron_patch/model/qwen3_moe/moe/moe_utils.py l.69-77 @2c3e3c9: "NOTE: hard code norm_topk_prob here"), where
 * Megatron-LM's own router leaves `--moe-router-pre-softmax` weights as they are. Its Qwen3 launches pass
 * `--moe-router-pre-softmax`, so read as Megatron's they showed unrenormalised weights. At 33191bd the import sits
 * inside a string (Megatron's router again), and from 7a91081 (2025-09-30) the program imports Megatron's specs; forks
 * kept either (yumc-afk @d6ae36c and ljy-gh @3903672 import the patch). So the program the launch runs decides, by
 * what its `get_gpt_decoder_block_spec` is bound to, and the workspace's copy of the patch must hold that division.
 */
import type { SyntaxNode } from '@lezer/common';
import type { Field, Normalize, RouterSpec } from '../model/router-spec';
import { baseName, fileAbove } from '../text/paths';
import { launchedPrograms } from './launched-program';
import type { RelatedText } from './megatron';
import { importBindings } from './python/imports';
import { children, parsePython } from './python/syntax';

const PATCHED_SPECS = 'megatron_patch.model.qwen3_moe.gpt_layer_specs';
const PATCHED_UTILS = 'megatron_patch/model/qwen3_moe/moe/moe_utils.py';
/** The division in the patch's softmax path, as the fork wrote it (moe_utils.py l.76-77 @2c3e3c9). */
const DIVIDES_BY_SUM = /# NOTE: hard code norm_topk_prob here\s*\n\s*probs = probs \/ \(probs\.sum\(dim=-1, keepdim=True\) \+ 1e-20\)/;
/** How far above the program its checkout's `megatron_patch` is looked for (examples/qwen3/ sits two deep). */
const MAX_DEPTH = 4;

/** The module `get_gpt_decoder_block_spec` is bound to at the end of the program's top level (the last import wins). */
function blockSpecModule(source: string): string | undefined {
  const parsed = parsePython(source);
  let module: string | undefined;
  for (const statement of children(parsed.tree.topNode) as SyntaxNode[]) {
    if (statement.name !== 'ImportStatement') continue;
    for (const binding of importBindings(statement, source)) {
      if (parsed.text.slice(binding.alias.from, binding.alias.to) === 'get_gpt_decoder_block_spec') module = binding.module;
    }
  }
  return module;
}

/**
 * The launch's configs with Pai's router where the program it runs builds its layers with the patch: the softmax
 * weights always divided by their sum (the patch found in the workspace), or unknown (the patch not in it). Configs
 * are returned as they are otherwise, and for a launch that picks its layers itself (`--spec`).
 */
export function withPaiQwen3Router(specs: readonly RouterSpec[], text: string, file: string, read: RelatedText): readonly RouterSpec[] {
  if (!specs.some((s) => s.framework === 'megatron') || /(^|\s)--spec(\s|=|$)/m.test(text)) return specs;
  const program = launchedPrograms(text, file)?.find((path) => path.endsWith('/pretrain_qwen.py') || path === 'pretrain_qwen.py');
  const source = program === undefined ? undefined : read(program);
  if (program === undefined || source === undefined || !source.includes(PATCHED_SPECS) || blockSpecModule(source) !== PATCHED_SPECS) return specs;
  const patch = fileAbove(program, PATCHED_UTILS, read, MAX_DEPTH);
  const patchPath = patch && patch.path.slice(patch.path.lastIndexOf('megatron_patch/'));
  const normalize = (spec: RouterSpec): Field<Normalize> => {
    const via = `${baseName(program)} builds its MoE layers with Pai-Megatron-Patch's ${PATCHED_SPECS}`;
    if (!patch) return { ...spec.normalize, unknown: `${via}, whose router (${PATCHED_UTILS}) is not in this workspace` };
    if (!DIVIDES_BY_SUM.test(patch.text)) return { ...spec.normalize, unknown: `${via}, whose router (${patchPath}) is not the one MoE Lens knows (alibaba/Pai-Megatron-Patch @2c3e3c9)` };
    if (spec.scoreFunc.unknown !== undefined) return { ...spec.normalize, unknown: `${via}, whose router renormalises softmax weights always and sigmoid ones when k > 1, and the score function is not known` };
    // The patch's sigmoid path is Megatron-LM's (divided when k > 1): only softmax changes.
    if (spec.scoreFunc.value !== 'softmax') return spec.normalize;
    return { value: 'always', sites: [], defaultFrom: { label: `${via}: its router divides the softmax weights by their sum, before or after top-k (${patchPath} l.76-77 at alibaba/Pai-Megatron-Patch @2c3e3c9: "hard code norm_topk_prob")`, fixed: true } };
  };
  return specs.map((spec) => (spec.framework === 'megatron' ? { ...spec, normalize: normalize(spec) } : spec));
}
