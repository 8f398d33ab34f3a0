import { isDeepSeekOfficial, type RouterSpec } from '../model/router-spec';
import type { Framework } from '../model/router-spec';
import { allKnown, fieldRange, keyOf } from './helpers';
import type { Rule, RuleContext } from './types';

/**
 * What happens, per framework and fault (research §1.4, §4.3, §5.2): `short` ends the message, which must fit one
 * Problems row (issue #12); `detail`, the framework's own words at launch, goes to the hover.
 */
interface Consequence {
  readonly short: string;
  readonly detail?: string;
}

const LAUNCH_ERRORS: Partial<Record<Framework, Partial<Record<string, Consequence>>>> = {
  torchtitan: {
    selectedMissing: { short: 'torchtitan raises ValueError', detail: 'torchtitan raises ValueError("num_limited_groups must be set when num_expert_groups is set").' },
    notDivisible: { short: 'torchtitan raises ValueError', detail: 'torchtitan raises ValueError("num_experts ({experts}) must be divisible by num_expert_groups ({groups})").' },
    tooFewPerGroup: { short: 'torchtitan raises ValueError', detail: 'torchtitan raises ValueError("experts_per_group ({perGroup}) must be >= 2").' },
    selectedExceeds: { short: '`torch.topk` fails on the first batch', detail: 'torchtitan does not check this; `torch.topk` fails with "selected index k out of range" on the first forward pass.' },
  },
  'deepseek-official': {
    // inference/model.py @DeepSeek-V3 Gate: a bias exists only when dim == 7168, and then the group score is the
    // sum of each group's top 2 (l.589: `scores.topk(2, dim=-1)`); without it, the group's max.
    tooFewPerGroup: { short: "DeepSeek-V3's top-2 group score fails", detail: 'DeepSeek-V3 inference takes the top 2 of each group (its gate has a bias when dim is 7168) and fails with "selected index k out of range".' },
  },
  megatron: {
    // Megatron checks only `if moe_router_group_topk:` (transformer_config.py @d98e8a6 l.2675–2681): a group
    // count alone is accepted and routing runs ungrouped; a selected-group count alone raises.
    selectedMissing: { short: 'Megatron routes ungrouped', detail: 'Megatron accepts this and routes ungrouped: group-limited routing needs `moe_router_group_topk` too.' },
    countMissing: { short: 'Megatron raises ValueError', detail: 'Megatron raises ValueError("When using group limited routing, moe_router_num_groups must be specified.").' },
    notDivisible: { short: 'Megatron raises AssertionError', detail: 'Megatron asserts "num_moe_experts ({experts}) should be divisible by moe_router_num_groups ({groups})."' },
    selectedExceeds: { short: 'Megatron raises AssertionError', detail: 'Megatron asserts "moe_router_group_topk ({selected}) should be smaller than moe_router_num_groups ({groups})."' },
  },
};
const GENERIC: Record<string, Consequence> = {
  selectedMissing: { short: 'the router cannot choose groups' },
  // transformers 5.18.0 DeepseekV3TopkRouter (modeling_deepseek_v3.py L149-151) views the scores as [-1, n_group, E // n_group].
  notDivisible: {
    short: 'the scores do not split into groups',
    detail:
      "The scores cannot be viewed as [groups, experts per group]: transformers' group-limited routers (DeepseekV3TopkRouter and those built like it) view them as [-1, n_group, E // n_group] and raise, or, where the token count allows the view, groups scores across tokens; vLLM silently falls back to ungrouped routing and its CUDA kernel checks \"num_experts should be divisible by n_group\".",
  },
  tooFewPerGroup: { short: 'a top-2 group score needs 2 per group', detail: 'A group score of the top-2 experts needs at least 2 experts per group.' },
  selectedExceeds: { short: '`torch.topk` over the groups fails', detail: '`torch.topk` over the group scores fails with "selected index k out of range".' },
  countMissing: { short: 'the group selection is ignored' },
};

/** DeepSeek's inference gate scores groups by their top 2 only when it has a selection bias (dim 7168). */
function groupScore(spec: RouterSpec): string | undefined {
  const score = spec.groups?.score;
  if (score !== 'max-or-top2-with-bias') return score;
  return allKnown(spec.selectionBias) ? (spec.selectionBias.value !== 'none' ? 'top2-sum' : 'max') : undefined;
}

export const invalidExpertGroups = {
  code: 'MOE005',
  name: 'invalid-expert-groups',
  category: 'structure',
  defaultSeverity: 'error',
  status: 'stable',
  since: '0.1.0',
  census: ['DS-006', 'DS-007', 'DS-008', 'HF-012', 'HF-013', 'HF-014', 'MEG-059', 'MEG-060', 'MEG-061', 'TT-001', 'TT-002', 'TT-003', 'TT-004'],
  messages: {
    selectedMissing: '`{countKey}` is {groups} but `{selectedKey}` is not set: {consequence}',
    notDivisible: '`{countKey}`={groups} does not divide {experts} experts: {consequence}',
    tooFewPerGroup: '{experts} experts in {groups} groups leaves {perGroup} per group: {consequence}',
    selectedExceeds: '`{selectedKey}` is {selected}, more than the {groups} groups: {consequence}',
    notPositive: '`{key}` is {value}; group counts must be at least 1',
    countMissing: '`{selectedKey}` is {selected} but `{countKey}` is not set: {consequence}',
  },
  fix: { availability: 'none' },
  docs: {
    what:
      'Checks group-limited ("node-limited") routing settings: the group count must divide the experts, leave at least 2 experts per group (torchtitan, top-2 group score), and the selected-group count must be set and at most the group count. Each finding quotes, in its detail, the error the config\'s framework raises at launch.',
    why:
      'These faults pass config parsing and fail only when the first batch reaches the router, often after minutes of checkpoint loading on many GPUs; some runtimes (vLLM) silently fall back to ungrouped routing instead, so the model routes differently from how it was trained.',
    example: { dialect: 'python', code: 'moe_args = MoEArgs(num_experts=64, top_k=6, num_expert_groups=6, num_limited_groups=3, score_func="softmax")\n' },
    useInstead: { dialect: 'python', code: 'moe_args = MoEArgs(num_experts=64, top_k=6, num_expert_groups=8, num_limited_groups=3, score_func="softmax")\n' },
    references: [
      'torchtitan torchtitan/models/moe/moe.py @238fa9953 `_get_node_limited_routing_scores` lines 251–291',
      'Megatron-LM megatron/core/transformer/transformer_config.py @d98e8a6 lines ~2672–2697',
      'vLLM grouped_topk_router.py `valid_grouping()` and csrc/moe/grouped_topk_kernels.cu',
    ],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    const groups = spec.groups;
    if (!groups || !allKnown(groups.count, groups.selected)) return;
    const countKey = keyOf(groups.count, spec.keyNames.groupsCount ?? 'groups', context);
    const selectedKey = keyOf(groups.selected, spec.keyNames.groupsSelected ?? 'selected groups', context);
    const count = groups.count.value;
    const selected = groups.selected.value;
    const experts = spec.experts.value;
    const fill = (text: string, data: Record<string, string | number>): string => text.replace(/\{(\w+)\}/g, (w, k: string) => (k in data ? String(data[k]) : w));
    /** The message's consequence and, where there is more to say (the framework's own words), the detail. */
    const quote = (id: string, data: Record<string, string | number>): { consequence: string; detail?: string } => {
      const { short, detail } = LAUNCH_ERRORS[spec.framework]?.[id] ?? GENERIC[id]!;
      return { consequence: fill(short, data), ...(detail !== undefined ? { detail: fill(detail, data) } : {}) };
    };
    for (const [field, key] of [[groups.count, countKey], [groups.selected, selectedKey]] as const) {
      if (field.value !== undefined && field.value < 1 && field.sites.length > 0) {
        context.report({ messageId: 'notPositive', data: { key, value: field.value }, range: fieldRange(spec, field) });
      }
    }
    const megatron = spec.framework === 'megatron';
    if (count === undefined) {
      if (selected !== undefined && groups.selected.sites.length > 0) {
        const { consequence, ...detail } = quote('countMissing', {});
        context.report({
          messageId: 'countMissing',
          data: { countKey, selectedKey, selected, consequence },
          ...detail,
          range: fieldRange(spec, groups.selected),
          // Megatron refuses to start; elsewhere the selected-group count is only ignored.
          severity: megatron ? 'error' : 'warning',
        });
      }
      return;
    }
    if (count < 1) return;
    const data = { countKey, selectedKey, groups: count, selected: selected ?? '?', experts: experts ?? '?' };
    if (selected === undefined) {
      // One group limits nothing: Megatron's ungrouped routing is the same routing (MindSpeed-LLM's Kimi-K2 script
      // @c77308a writes `--moe-router-num-groups 1` alone, as Kimi-K2's config has n_group 1), and DeepSeek's Gate
      // groups only `if self.n_groups > 1:` (deepseek-ai/DeepSeek-V3 @9b4e978 inference/model.py l.584; ModelArgs
      // defaults both counts to 1, l.70-71; u-r-a-bot/NANO-KIMI-K2's config.py got an error).
      if ((megatron || isDeepSeekOfficial(spec.framework)) && count === 1) return;
      const { consequence, ...detail } = quote('selectedMissing', data);
      context.report({ messageId: 'selectedMissing', data: { ...data, consequence }, ...detail, range: fieldRange(spec, groups.count), ...(megatron ? { severity: 'warning' as const } : {}) });
      // Megatron checks the group count only once group-limited routing is on.
      if (megatron) return;
    } else if (selected > count) {
      const { consequence, ...detail } = quote('selectedExceeds', data);
      context.report({ messageId: 'selectedExceeds', data: { ...data, consequence }, ...detail, range: fieldRange(spec, groups.selected) });
    }
    if (experts === undefined || experts < 1 || !allKnown(spec.experts)) return;
    if (experts % count !== 0) {
      const { consequence, ...detail } = quote('notDivisible', data);
      context.report({ messageId: 'notDivisible', data: { ...data, consequence }, ...detail, range: fieldRange(spec, groups.count) });
    } else if (experts / count < 2 && groupScore(spec) === 'top2-sum') {
      const withPer = { ...data, perGroup: experts / count };
      const { consequence, ...detail } = quote('tooFewPerGroup', withPer);
      context.report({ messageId: 'tooFewPerGroup', data: { ...withPer, consequence }, ...detail, range: fieldRange(spec, groups.count) });
    }
  },
} satisfies Rule;
