import type { RouterSpec } from '../model/router-spec';
import { launchFramework, runsMegatronChecks } from '../references/megatron-launch-checks';
import { allKnown, fieldRange, keyOf } from './helpers';
import type { Rule, RuleContext } from './types';

/** NVIDIA/Megatron-LM 5153efe "bugfix: Switch to pre softmax for topk=1" added the ValueError. */
const PRE_SOFTMAX_CHECK = { commit: '5153efe', date: '2024-07-25' };

export const top1SoftmaxAfterTopK = {
  code: 'MOE008',
  name: 'top1-softmax-after-top-k',
  category: 'compatibility',
  defaultSeverity: 'warning',
  status: 'stable',
  since: '0.1.0',
  census: ['MEG-057'],
  messages: {
    zeroGradient: '`{key}` is 1 with softmax after top-k: {consequence}',
  },
  fix: { availability: 'sometimes', kinds: { scoreFirst: { title: 'Set `topk_before_score` to False (softmax before top-k)', safety: 'unsafe' } } },
  docs: {
    what: 'Flags top-1 routing where softmax runs over the selected logit only (top-k-then-score with softmax). In a Megatron launch that passes flags MoE Lens cannot read (`$EXTRA_ARGS`, a sourced file), an unwritten score function or pre-softmax may be set there, so Megatron\'s defaults are not assumed.',
    why:
      'Softmax over a single value is exactly 1 whatever the logit, so the expert output is never scaled by the router and no gradient reaches the router through the weight: the router does not learn. Megatron refuses this at launch ("Please use --moe-router-pre-softmax when topk is 1.", since 5153efe, 2024-07-25: a launch that runs an older Megatron-LM, named by its date as Pai-Megatron-Patch names them, trains it silently); torchtitan and transformers run it silently.',
    example: { dialect: 'python', code: 'moe_args = MoEArgs(num_experts=16, top_k=1, score_func="softmax", topk_before_score=True)\n' },
    useInstead: { dialect: 'python', code: 'moe_args = MoEArgs(num_experts=16, top_k=1, score_func="softmax", topk_before_score=False)\n' },
    fixSafety: 'Moving softmax before top-k changes the weights (they no longer sum to 1), so the fix is unsafe.',
    references: ['Megatron-LM transformer_config.py @d98e8a6 lines 2662–2669 ("softmax on a [num_tokens, 1] would yield a zero gradient"; sinkhorn load balancing is exempt)'],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    if (spec.topK.value !== 1 || spec.order.value !== 'topk-then-score' || spec.scoreFunc.value !== 'softmax') return;
    // Megatron's defaults only where the config holds them: `$EXTRA_ARGS` may pass the score function or pre-softmax.
    if (!allKnown(spec.topK, spec.order, spec.scoreFunc)) return;
    const megatron = spec.framework === 'megatron';
    // Megatron-LM refuses it since 5153efe (2024-07-25); MindSpeed runs its own TransformerConfig checks in place of
    // Megatron's (mindspeed/core/transformer/transformer_config.py, no such check), Megatron-DeepSpeed has its own MoE.
    const pinned = spec.launch?.pinned;
    const refuses = megatron && runsMegatronChecks(launchFramework(spec)) && !(pinned && pinned.date < PRE_SOFTMAX_CHECK.date);
    // Megatron's sinkhorn load balancing routes top-1 by sinkhorn, and its check exempts it (census MEG-057).
    if (megatron && spec.sites.some((s) => s.key === 'moe_router_load_balancing_type' && s.literal.kind === 'string' && s.literal.value === 'sinkhorn')) return;
    // The message says what happens first (Megatron's refusal, else the zero gradient); the detail, why and the
    // framework's own words, then which Megatron-LM a launch runs.
    const why = `With softmax after top-k (${spec.framework}), softmax over one logit is always 1, so the router weight gets zero gradient.`;
    const refusal = refuses ? ' Megatron raises ValueError("Please use --moe-router-pre-softmax when topk is 1.").' : '';
    const older = megatron && pinned && !refuses ? ` The Megatron-LM this launch runs (${pinned.where}, ${pinned.date}) predates the check Megatron-LM added in ${PRE_SOFTMAX_CHECK.commit} (${PRE_SOFTMAX_CHECK.date}): it trains this router without ever updating it.` : '';
    context.report({
      messageId: 'zeroGradient',
      data: {
        key: keyOf(spec.topK, spec.keyNames.topK, context),
        consequence: refuses ? 'Megatron raises ValueError' : 'the router weight gets zero gradient',
      },
      detail: `${why}${refusal}${older}`,
      range: fieldRange(spec, spec.topK),
      ...(refuses ? { severity: 'error' as const } : {}),
      fixes:
        spec.framework === 'torchtitan'
          ? [{ kind: 'scoreFirst', edits: context.setField(spec, spec.order, 'topk_before_score', false) }]
          : [],
    });
  },
} satisfies Rule;
