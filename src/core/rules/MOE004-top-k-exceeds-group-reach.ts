import type { RouterSpec } from '../model/router-spec';
import { allKnown, fieldRange, keyOf } from './helpers';
import type { Rule, RuleContext } from './types';

export const topKExceedsGroupReach = {
  code: 'MOE004',
  name: 'top-k-exceeds-group-reach',
  category: 'structure',
  defaultSeverity: 'error',
  status: 'stable',
  since: '0.1.0',
  census: ['MEG-161'],
  messages: {
    exceeds: '`{key}` is {topK}, but only {reachable} experts are reachable ({selected} of {groups} groups × {perGroup})',
  },
  fix: { availability: 'none' },
  docs: {
    what: 'With group-limited ("node-limited") routing, flags a top-k larger than the experts left after masking: selected groups × experts per group.',
    why:
      'Group-limited routing masks every expert outside the selected groups (with -inf) before top-k. If k exceeds the experts that remain, top-k must pick masked experts: their weights come from -inf scores or are arbitrary, and fused kernels reject the config. torchtitan and Megatron do not check this.',
    example: {
      dialect: 'python',
      code: 'moe_args = MoEArgs(num_experts=64, top_k=10, num_expert_groups=8, num_limited_groups=1, score_func="sigmoid")\n',
    },
    useInstead: {
      dialect: 'python',
      code: 'moe_args = MoEArgs(num_experts=64, top_k=10, num_expert_groups=8, num_limited_groups=2, score_func="sigmoid")\n',
    },
    references: ['TensorRT-LLM trtllm-gen routing checks (research §5.3)', 'FlashInfer `topk_group * n_group >= topk` check (research §5.3)'],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    const groups = spec.groups;
    const topK = spec.topK.value;
    const experts = spec.experts.value;
    const count = groups?.count.value;
    const selected = groups?.selected.value;
    if (!groups || topK === undefined || experts === undefined || count === undefined || selected === undefined) return;
    if (!allKnown(spec.topK, spec.experts, groups.count, groups.selected)) return;
    if (count < 1 || selected < 1 || selected > count || experts % count !== 0) return; // MOE005 reports these
    const perGroup = experts / count;
    const reachable = selected * perGroup;
    if (topK <= reachable) return;
    context.report({
      messageId: 'exceeds',
      data: { key: keyOf(spec.topK, spec.keyNames.topK, context), topK, selected, groups: count, perGroup, reachable },
      detail: `Group-limited routing keeps ${selected} of ${count} groups × ${perGroup} experts = ${reachable} reachable experts. TensorRT-LLM rejects it: "top_k must be less than total number of experts in selected groups".`,
      range: fieldRange(spec, spec.topK),
    });
  },
} satisfies Rule;
