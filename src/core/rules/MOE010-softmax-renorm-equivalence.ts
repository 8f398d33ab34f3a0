import { allKnown, fieldRange, localSites } from './helpers';
import type { Rule, RuleContext } from './types';

export const softmaxRenormEquivalence = {
  code: 'MOE010',
  name: 'softmax-renorm-equivalence',
  category: 'hint',
  defaultSeverity: 'info',
  status: 'stable',
  since: '0.1.0',
  messages: {
    equivalent:
      'softmax over all experts, top-{k}, then `{key}` is the same routing as top-{k} on the logits then softmax over the {k} (GPT-OSS style): same experts, same weights up to 1e-20',
    equivalentUntilBias:
      'softmax, top-{k}, then `{key}` matches top-{k}-then-softmax (GPT-OSS style) only while the learned selection bias is zero; once `{biasKey}` updates it, the chosen experts differ',
  },
  fix: { availability: 'none' },
  docs: {
    what: 'Explains that softmax → top-k → renormalise is mathematically the same router as top-k on the logits → softmax over the k, as long as no selection bias enters.',
    why:
      'People reach for a `topk_before_score` flag to reproduce GPT-OSS; torchtitan already does so with `score_func="softmax", route_norm=True`. Softmax is monotonic, so the same experts win, and the normaliser cancels in the renormalisation. The equivalence breaks as soon as a selection bias (torchtitan\'s `expert_bias`, on by default via `load_balance_coeff`) shifts the choice.',
    example: { dialect: 'python', code: 'from torchtitan.models.moe import MoEArgs\n\nmoe_args = MoEArgs(num_experts=32, top_k=4, score_func="softmax", route_norm=True, load_balance_coeff=None)\n' },
    useInstead: { dialect: 'python', code: 'from torchtitan.models.moe import MoEArgs\n\nmoe_args = MoEArgs(num_experts=32, top_k=4, score_func="softmax", route_norm=False, load_balance_coeff=None)\n' },
    references: ['torchtitan commit 41753c67b: "With score_func=softmax, route_norm=True is equivalent to doing softmax over the selected top-k logits"', 'research §3, equivalence note'],
  },
  check(context: RuleContext) {
    for (const spec of context.specs) {
      const k = spec.topK.value;
      if (spec.scoreFunc.value !== 'softmax' || spec.order.value !== 'score-then-topk' || spec.normalize.value !== 'always') continue;
      // A hint about how this file spells the router: only where it writes route_norm itself.
      if (k === undefined || k < 2 || localSites(spec.normalize).length === 0) continue;
      if (!allKnown(spec.topK, spec.scoreFunc, spec.order, spec.normalize, spec.selectionBias)) continue;
      const key = spec.normalize.sites[spec.normalize.sites.length - 1]!.key;
      const learned = spec.selectionBias.value === 'learned';
      context.report({
        messageId: learned ? 'equivalentUntilBias' : 'equivalent',
        data: { k, key, biasKey: spec.keyNames.selectionBias ?? 'the bias' },
        range: fieldRange(spec, spec.normalize),
      });
    }
  },
} satisfies Rule;
