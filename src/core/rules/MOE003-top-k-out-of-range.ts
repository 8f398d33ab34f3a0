import type { RouterSpec } from '../model/router-spec';
import { allKnown, fieldRange, keyOf } from './helpers';
import type { Rule, RuleContext } from './types';

export const topKOutOfRange = {
  code: 'MOE003',
  name: 'top-k-out-of-range',
  category: 'structure',
  defaultSeverity: 'error',
  status: 'stable',
  since: '0.1.0',
  census: ['DS-009', 'HF-009', 'HF-015', 'MEG-162', 'TT-006'],
  messages: {
    belowOne: '`{key}` is {topK}; every token must go to at least one expert',
    aboveExperts: '`{key}` is {topK}, but there are only {experts} routed experts; `torch.topk` fails',
  },
  fix: { availability: 'none' },
  docs: {
    what: 'Flags a top-k below 1 or above the number of routed experts.',
    why:
      'Top-k selects k of the experts for each token. With k larger than the expert count `torch.topk` raises "selected index k out of range" on the first forward pass; with k < 1 no expert is chosen. Megatron does not check this at config time; transformers checks it only for JetMoe ("`num_experts_per_tok` must be less than or equal to `num_local_experts`").',
    example: { dialect: 'python', code: 'moe_args = MoEArgs(num_experts=8, top_k=16, score_func="softmax")\n' },
    useInstead: { dialect: 'python', code: 'moe_args = MoEArgs(num_experts=8, top_k=2, score_func="softmax")\n' },
    references: ['transformers JetMoeConfig (the one HF MoE config that validates top-k)', 'research §4.3: Megatron makes no top-k ≤ experts check'],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    const topK = spec.topK.value;
    if (topK === undefined || !Number.isInteger(topK) || !allKnown(spec.topK)) return;
    const key = keyOf(spec.topK, spec.keyNames.topK, context);
    if (topK < 1) {
      context.report({ messageId: 'belowOne', data: { key, topK }, range: fieldRange(spec, spec.topK) });
    } else if (spec.experts.value !== undefined && allKnown(spec.experts) && spec.experts.value >= 1 && topK > spec.experts.value) {
      context.report({
        messageId: 'aboveExperts',
        data: { key, topK, experts: spec.experts.value },
        detail: 'On the first forward pass `torch.topk` fails with "selected index k out of range".',
        range: fieldRange(spec, spec.topK),
      });
    }
  },
} satisfies Rule;
