import type { RouterSpec } from '../model/router-spec';
import { allKnown, fieldRange, localSites } from './helpers';
import type { Rule, RuleContext } from './types';

export const normalizedTop1 = {
  code: 'MOE011',
  name: 'normalized-top1',
  category: 'hint',
  defaultSeverity: 'info',
  status: 'stable',
  since: '0.1.0',
  messages: {
    allOnes: '`{key}` with top-1 routing makes every weight 1: the router gets no gradient through it',
  },
  fix: { availability: 'always', kinds: { noRenorm: { title: 'Set `{key}` to {value}', safety: 'unsafe' } } },
  docs: {
    what: 'Points out that renormalising the top-k weights with k = 1 makes every weight exactly 1.',
    why: 'With one expert per token, `w / (w + 1e-20)` is 1 for any score, so the expert output is not scaled by the router and no gradient reaches the router through the weight. Usually the renormalisation was copied from a top-k > 1 config.',
    example: { dialect: 'python', code: 'moe_args = MoEArgs(num_experts=16, top_k=1, score_func="sigmoid", route_norm=True)\n' },
    useInstead: { dialect: 'python', code: 'moe_args = MoEArgs(num_experts=16, top_k=1, score_func="sigmoid", route_norm=False)\n' },
    fixSafety: 'Turning renormalisation off changes the weights the experts see, so the fix is unsafe.',
    references: ['torchtitan `TokenChoiceTopKRouter.forward` step 8 (research §1.4)', 'Megatron-LM moe_utils.py: sigmoid renormalises only when topk > 1'],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    if (spec.topK.value !== 1 || spec.normalize.value !== 'always' || localSites(spec.normalize).length === 0) return;
    if (!allKnown(spec.topK, spec.normalize)) return;
    const key = spec.normalize.sites[spec.normalize.sites.length - 1]!.key;
    context.report({
      messageId: 'allOnes',
      data: { key },
      detail: 'Renormalising one weight divides it by itself (w / (w + 1e-20)), so every expert output is weighted 1 whatever the score, and no gradient reaches the router through the weight.',
      range: fieldRange(spec, spec.normalize),
      fixes: [{ kind: 'noRenorm', data: { key, value: context.formatValue(false) }, edits: context.replaceSites(spec.normalize.sites, false) }],
    });
  },
} satisfies Rule;
