import type { RouterSpec } from '../model/router-spec';
import type { Rule, RuleContext } from './types';
import { allKnown } from './helpers';
import { launchFramework, runsMegatronChecks } from '../references/megatron-launch-checks/check';

export const expertBiasWithSoftmax = {
  code: 'MOE015',
  name: 'expert-bias-with-softmax',
  category: 'compatibility',
  defaultSeverity: 'error',
  status: 'stable',
  since: '0.1.0',
  census: ['MEG-052'],
  messages: {
    rejected: '`{key}` with the softmax score function: Megatron raises ValueError',
  },
  fix: {
    availability: 'sometimes',
    kinds: { biasOff: { title: 'Turn off `{key}`', safety: 'unsafe' }, sigmoid: { title: 'Score experts with sigmoid', safety: 'unsafe' } },
  },
  docs: {
    what: 'Flags Megatron configs that enable the aux-loss-free expert bias while scoring experts with softmax (written, or Megatron\'s default where the launch writes every flag it passes). A script for Ascend NPUs runs Megatron through MindSpeed, which patches this check (MindSpeed-LLM\'s own LongCat-Flash script pairs the two), and a script that passes `--deepspeed` runs Megatron-DeepSpeed, which has neither the check nor the flag: neither is flagged.',
    why:
      'Megatron rejects the combination in `TransformerConfig.__post_init__`, after the launcher has allocated the job; and even where it did not, its softmax routing paths ignore `expert_bias`, so the balancing would silently do nothing. (torchtitan, by contrast, accepts a selection bias with softmax.)',
    example: {
      dialect: 'shell',
      code: 'torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 4 --moe-router-score-function softmax --moe-router-enable-expert-bias\n',
    },
    useInstead: {
      dialect: 'shell',
      code: 'torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 4 --moe-router-score-function sigmoid --moe-router-enable-expert-bias\n',
    },
    fixSafety: 'Both fixes change routing: removing the flag turns balancing off; switching to sigmoid changes the scores. Both are unsafe.',
    references: ['Megatron-LM megatron/core/transformer/transformer_config.py @d98e8a6 l.2621', 'Megatron-LM moe_utils.py topk_routing_with_score_function: expert_bias is ignored in both softmax paths'],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    // Softmax by default only where the config holds its defaults: `$EXTRA_ARGS` may pass the score function.
    if (spec.framework !== 'megatron' || spec.scoreFunc.value !== 'softmax' || !allKnown(spec.scoreFunc)) return;
    // MindSpeed (Ascend NPUs) patches Megatron's checks (MindSpeed-LLM's own LongCat script pairs the two), and
    // Megatron-DeepSpeed has neither the check nor the flag.
    if (!runsMegatronChecks(launchFramework(spec))) return;
    const sites = spec.sites.filter((s) => s.key === 'moe_router_enable_expert_bias' && s.literal.kind === 'bool' && s.literal.value);
    const site = sites[sites.length - 1];
    if (!site) return;
    const key = spec.dialect === 'megatron-args' ? '--moe-router-enable-expert-bias' : 'moe_router_enable_expert_bias';
    const removal =
      spec.dialect === 'megatron-args'
        ? { range: { start: precedingSpace(context.text, site.keyRange.start), end: site.keyRange.end }, newText: '' }
        : { range: site.valueRange, newText: 'false' };
    context.report({
      messageId: 'rejected',
      data: { key },
      detail:
        'Megatron raises ValueError("Expert bias for aux-loss-free routing only supports \'sigmoid\' and \'sqrtsoftplus\' score functions. Please set --moe-router-score-function to \'sigmoid\' or \'sqrtsoftplus\', or unset --moe-router-enable-expert-bias.").',
      range: site.keyRange,
      fixes: [
        { kind: 'biasOff', data: { key }, edits: [removal] },
        { kind: 'sigmoid', edits: context.setField(spec, spec.scoreFunc, spec.keyNames.scoreFunc ?? 'moe_router_score_function', 'sigmoid') },
      ],
    });
  },
} satisfies Rule;

function precedingSpace(text: string, offset: number): number {
  let start = offset;
  while (start > 0 && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
  return start;
}
