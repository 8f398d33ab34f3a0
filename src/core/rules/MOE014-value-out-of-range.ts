import type { RouterSpec } from '../model/router-spec';
import type { Site } from '../model/router-spec';
import { countSites } from './helpers';
import type { Rule, RuleContext } from './types';

export const valueOutOfRange = {
  code: 'MOE014',
  name: 'value-out-of-range',
  category: 'structure',
  defaultSeverity: 'error',
  status: 'stable',
  since: '0.1.0',
  census: ['HF-001', 'HF-002', 'HF-003', 'HF-004', 'HF-005', 'HF-006', 'HF-007', 'MEG-014', 'MEG-108', 'MEG-109', 'TT-007'],
  messages: {
    notInteger: '`{key}` must be an integer count, got {value}',
    integralFloat: '`{key}` is the float {value}; counts must be integers (`torch.topk` and `view` reject floats)',
    numericString: '`{key}` is the string {value}; counts must be integers',
    expertsNotPositive: '`{key}` is {value}; a MoE layer needs at least one routed expert (Megatron: "num_moe_experts must be non-negative.")',
    scaleNotPositive: '`{key}` is {value}; a routing scale must be positive, or the experts\' outputs are zeroed or flipped',
    coeffNotPositive: '`{key}` is {value}; torchtitan asserts `load_balance_coeff > 0` (use None to turn balancing off)',
  },
  fix: { availability: 'sometimes', kinds: { asInteger: { title: 'Write `{key}` as {value}', safety: 'safe' } } },
  docs: {
    what: 'Flags values outside their domain: non-integer expert/top-k/group counts (floats, strings, booleans), expert counts below 1, a routing scale ≤ 0, and a load-balance coefficient ≤ 0.',
    why: 'Dataclasses and JSON configs do not check types, so `top_k=4.0` or `"num_experts_per_tok": "4"` load fine and fail deep inside `torch.topk` or `view`, while a zero or negative `route_scale` silently zeroes or flips every expert output.',
    example: { dialect: 'python', code: 'moe_args = MoEArgs(num_experts=8, top_k=2.0, route_scale=0.0)\n' },
    useInstead: { dialect: 'python', code: 'moe_args = MoEArgs(num_experts=8, top_k=2, route_scale=1.0)\n' },
    fixSafety: 'Rewriting `2.0` or `"2"` as `2` keeps the value, so that fix is safe. Values ≤ 0 have no fix: only you know the intended value.',
    references: ['torchtitan MoE.__init__ @238fa9953 (assert load_balance_coeff > 0)', 'Megatron-LM transformer_config.py @d98e8a6 l.1683'],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    const seen = new Set<Site>();
    for (const site of countSites(spec)) {
      if (seen.has(site)) continue;
      seen.add(site);
      const literal = site.literal;
      const value = context.text.slice(site.valueRange.start, site.valueRange.end);
      if (literal.kind === 'float' && Number.isInteger(literal.value)) {
        context.report({
          messageId: 'integralFloat',
          data: { key: site.key, value },
          range: site.valueRange,
          fixes: [{ kind: 'asInteger', data: { key: site.key, value: literal.value }, edits: context.replaceSites([site], literal.value), preferred: true }],
        });
      } else if (literal.kind === 'string' && /^\s*-?\d+\s*$/.test(literal.value)) {
        const number = Number(literal.value);
        context.report({
          messageId: 'numericString',
          data: { key: site.key, value },
          range: site.valueRange,
          fixes: [{ kind: 'asInteger', data: { key: site.key, value: number }, edits: context.replaceSites([site], number), preferred: true }],
        });
      } else if (literal.kind === 'float' || literal.kind === 'string' || literal.kind === 'bool') {
        context.report({ messageId: 'notInteger', data: { key: site.key, value }, range: site.valueRange });
      }
    }
    const experts = spec.experts.sites[spec.experts.sites.length - 1];
    if (experts && (experts.literal.kind === 'int' || experts.literal.kind === 'float') && experts.literal.value < 1) {
      context.report({ messageId: 'expertsNotPositive', data: { key: experts.key, value: experts.literal.value }, range: experts.valueRange });
    }
    const scale = spec.scale.sites[spec.scale.sites.length - 1];
    if (scale && (scale.literal.kind === 'int' || scale.literal.kind === 'float') && !(scale.literal.value > 0)) {
      context.report({ messageId: 'scaleNotPositive', data: { key: scale.key, value: context.text.slice(scale.valueRange.start, scale.valueRange.end) }, range: scale.valueRange });
    }
    for (const coeff of spec.sites.filter((s) => s.key === 'load_balance_coeff')) {
      if ((coeff.literal.kind === 'int' || coeff.literal.kind === 'float') && !(coeff.literal.value > 0)) {
        context.report({ messageId: 'coeffNotPositive', data: { key: coeff.key, value: context.text.slice(coeff.valueRange.start, coeff.valueRange.end) }, range: coeff.valueRange });
      }
    }
  },
} satisfies Rule;
