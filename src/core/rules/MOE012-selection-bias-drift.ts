import { literalText, type RouterSpec } from '../model/router-spec';
import { recognizeModel } from '../references/recognize';
import { allKnown, fieldRange } from './helpers';
import type { Rule, RuleContext } from './types';
import { baseName } from '../text/paths';

export const selectionBiasDrift = {
  code: 'MOE012',
  name: 'selection-bias-drift',
  category: 'hint',
  defaultSeverity: 'info',
  status: 'stable',
  since: '0.1.0',
  messages: {
    drift: 'This config learns a selection bias, which {model}\'s published router does not have',
  },
  fix: { availability: 'sometimes', kinds: { biasOff: { title: 'Set `{key}` to {value}', safety: 'unsafe' } } },
  docs: {
    what: 'Flags a learned per-expert selection bias (torchtitan `load_balance_coeff`, on by default, or `use_expert_bias`) on a config of a published model whose own router has none.',
    why:
      'Auxiliary-loss-free balancing adds `expert_bias` to the scores used to choose experts, and the optimizer hook moves it every step. Fine-tuning gpt-oss, Qwen3 or Mixtral this way changes which experts each token reaches relative to the checkpoint, even though the weights still come from the unbiased scores.',
    example: {
      dialect: 'python',
      code: 'gptoss_configs = {\n    "20b": MoEArgs(num_experts=32, top_k=4, score_func="softmax", route_norm=True, load_balance_coeff=1e-3),\n}\n',
    },
    useInstead: {
      dialect: 'python',
      code: 'gptoss_configs = {\n    "20b": MoEArgs(num_experts=32, top_k=4, score_func="softmax", route_norm=True, load_balance_coeff=None),\n}\n',
    },
    fixSafety: 'Turning the bias off changes training dynamics (load balance), so the fix is unsafe.',
    references: ['torchtitan torchtitan/components/optimizer.py @238fa9953 lines 339–445 (expert_bias update); at b5bcd76 torchtitan/components/optimizer/optimizer.py `_update_expert_bias` (line 447), and `make_moe_config` defaults `load_balance_coeff` to 1e-3 (torchtitan/models/common/config_utils.py line 317)', 'research §1.7 caveat on gpt-oss configs keeping load_balance_coeff=1e-3'],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    if (spec.selectionBias.value !== 'learned' || !allKnown(spec.selectionBias)) return;
    const claim = recognizeModel(spec);
    if (!claim || claim.model.selectionBias.value) return;
    const field = spec.selectionBias;
    const site = field.sites[field.sites.length - 1];
    const key = site?.key ?? spec.keyNames.selectionBias ?? 'load_balance_coeff';
    // A value from another file is that file's (torchtitan's `make_moe_config(load_balance_coeff=1e-3)` default).
    const how = !site ? `\`${key}\` defaults on (${field.defaultFrom?.label ?? 'framework default'})` : site.file ? `\`${key}\` is ${literalText(site.literal)} in ${baseName(site.file)}` : `\`${key}\` is set`;
    const off = key === 'use_expert_bias' ? false : null;
    context.report({
      messageId: 'drift',
      data: { model: claim.model.id, how },
      detail: `The bias is learned: ${how}. During fine-tuning it moves every step, and the experts each token is sent to drift away from the ones the checkpoint was trained with. Recognised as ${claim.model.id} by ${claim.evidence}.`,
      range: fieldRange(spec, field),
      fixes: spec.framework === 'torchtitan' ? [{ kind: 'biasOff', data: { key, value: context.formatValue(off) }, edits: context.setField(spec, field, key, off) }] : [],
    });
  },
} satisfies Rule;
