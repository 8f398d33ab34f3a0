/**
 * Notes on what a router is equivalent to: information for the hover and `inspect`, not a problem to fix
 * (issue #12: the Problems panel lists only what calls for action).
 */
import { isKnown, type RouterSpec } from './router-spec';

/**
 * Softmax over all experts → top-k → renormalise chooses and weighs exactly as top-k on the logits → softmax
 * over the k (GPT-OSS's order): softmax is monotonic, and its normaliser cancels in the renormalisation.
 * Undefined when the config is not that router, k < 2, or a value it rests on is not known.
 */
export function equivalenceNote(spec: RouterSpec): string | undefined {
  const k = spec.topK.value;
  if (spec.scoreFunc.value !== 'softmax' || spec.order.value !== 'score-then-topk' || spec.normalize.value !== 'always') return undefined;
  if (k === undefined || k < 2 || ![spec.topK, spec.scoreFunc, spec.order, spec.normalize, spec.selectionBias].every(isKnown)) return undefined;
  const same = `softmax over all experts, top-${k}, then renormalise is the same routing as top-${k} on the logits then softmax over the ${k} (GPT-OSS's order): same experts, same weights up to 1e-20`;
  if (spec.selectionBias.value === 'learned') return `${same}, but only while the learned selection bias is zero`;
  // ERNIE 4.5 and DeepSeek-style routers add the checkpoint's `e_score_correction_bias` before choosing.
  if (spec.selectionBias.value === 'static') return `${same}, but only while the checkpoint's selection bias (added before top-k) is zero`;
  return same;
}
