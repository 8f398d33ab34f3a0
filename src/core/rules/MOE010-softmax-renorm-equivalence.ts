import type { RouterSpec } from '../model/router-spec';
import { equivalenceNote } from '../model/equivalence';
import { fieldRange, localSites } from './helpers';
import type { Rule, RuleContext } from './types';

export const softmaxRenormEquivalence = {
  code: 'MOE010',
  name: 'softmax-renorm-equivalence',
  category: 'hint',
  defaultSeverity: 'info',
  status: 'stable',
  since: '0.1.0',
  messages: {
    equivalentUntilBias: '`{key}` after softmax and top-{k} matches GPT-OSS\'s order only while the learned bias is zero',
  },
  fix: { availability: 'none' },
  docs: {
    what: 'Flags softmax → top-k → renormalise written together with a learned selection bias: the router is the same as top-k on the logits → softmax over the k (GPT-OSS\'s order) only while that bias is zero. Without a bias the two are the same router, which is not a problem: the hover and `moe-lens inspect` say so instead.',
    why:
      'People reach for a `topk_before_score` flag to reproduce GPT-OSS; torchtitan already does so with `score_func="softmax", route_norm=True`. Softmax is monotonic, so the same experts win, and the normaliser cancels in the renormalisation. The equivalence breaks as soon as a selection bias (torchtitan\'s `expert_bias`, on by default via `load_balance_coeff`) shifts the choice.',
    example: { dialect: 'python', code: 'from torchtitan.models.moe import MoEArgs\n\n# GPT-OSS routes top-4 on the logits, then softmax over the 4; the learned bias will move the choice away from it\nmoe_args = MoEArgs(num_experts=32, top_k=4, score_func="softmax", route_norm=True)\n' },
    useInstead: { dialect: 'python', code: 'from torchtitan.models.moe import MoEArgs\n\nmoe_args = MoEArgs(num_experts=32, top_k=4, score_func="softmax", route_norm=True, load_balance_coeff=None)\n' },
    references: ['torchtitan commit 41753c67b: "With score_func=softmax, route_norm=True is equivalent to doing softmax over the selected top-k logits"', 'research §3, equivalence note'],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    // The plain equivalence is information (hover, `inspect`); only the bias that breaks it calls for a look.
    if (spec.selectionBias.value !== 'learned' || !equivalenceNote(spec)) return;
    // A hint about how this file spells the router: only where it writes route_norm itself.
    if (localSites(spec.normalize).length === 0) return;
    const key = spec.normalize.sites[spec.normalize.sites.length - 1]!.key;
    context.report({
      messageId: 'equivalentUntilBias',
      data: { k: spec.topK.value!, key },
      detail: `Softmax, top-${spec.topK.value}, then renormalising the ${spec.topK.value} weights is the same router as top-${spec.topK.value} on the logits, then softmax over those ${spec.topK.value} (GPT-OSS's order), only while the learned selection bias is zero: once ${spec.keyNames.selectionBias ? `\`${spec.keyNames.selectionBias}\`` : 'the bias'} updates it, the chosen experts differ.`,
      range: fieldRange(spec, spec.normalize),
    });
  },
} satisfies Rule;
