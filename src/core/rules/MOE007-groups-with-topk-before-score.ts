import type { RouterSpec } from '../model/router-spec';
import { allKnown, fieldRange } from './helpers';
import type { Rule, RuleContext } from './types';

export const groupsWithTopkBeforeScore = {
  code: 'MOE007',
  name: 'groups-with-topk-before-score',
  category: 'compatibility',
  defaultSeverity: 'error',
  status: 'stable',
  since: '0.1.0',
  messages: {
    conflict: 'Group-limited routing (`{groupsKey}`={groups}) cannot run with `{orderKey}`=True',
  },
  fix: { availability: 'sometimes', kinds: { scoreFirst: { title: 'Set `topk_before_score` to False', safety: 'unsafe' } } },
  docs: {
    what: 'Flags a torchtitan config that turns on both group-limited routing and the top-k-before-score order.',
    why:
      'Node-limited routing ranks groups by the top-2 scores of all their experts and masks the rest before top-k. With `topk_before_score=True`, top-k runs on the raw logits first and the score function sees only the k chosen values, so there is nothing to rank groups by; the PR that introduced the flag rejects the combination.',
    example: {
      dialect: 'python',
      code: 'moe_args = MoEArgs(num_experts=64, top_k=4, num_expert_groups=8, num_limited_groups=2, topk_before_score=True)\n',
    },
    useInstead: {
      dialect: 'python',
      code: 'moe_args = MoEArgs(num_experts=64, top_k=4, num_expert_groups=8, num_limited_groups=2, topk_before_score=False)\n',
    },
    fixSafety: 'Turning `topk_before_score` off changes which experts are chosen and their weights, so the fix is unsafe.',
    references: ['torchtitan PR #2212 (topk_before_score), which rejects groups with the flag'],
  },
  // The flag and its ValueError are torchtitan's (PR #2212); no other framework has it.
  frameworks: ['torchtitan'],
  checkSpec(spec: RouterSpec, context: RuleContext) {
    if (spec.order.value !== 'topk-then-score') return;
    const groups = spec.groups?.count.value;
    if (groups === undefined || groups === null || !allKnown(spec.order, spec.groups?.count)) return;
    context.report({
      messageId: 'conflict',
      data: { groupsKey: spec.keyNames.groupsCount ?? 'num_expert_groups', groups, orderKey: spec.keyNames.order ?? 'topk_before_score' },
      detail: 'Groups are chosen from the scores of all experts, but top-k-before-score only scores the k selected logits.',
      range: fieldRange(spec, spec.order),
      fixes: [
        { kind: 'scoreFirst', edits: context.setField(spec, spec.order, spec.keyNames.order ?? 'topk_before_score', false) },
      ],
    });
  },
} satisfies Rule;
