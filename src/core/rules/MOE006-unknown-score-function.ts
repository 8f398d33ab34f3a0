import type { RouterSpec } from '../model/router-spec';
import type { Framework } from '../model/router-spec';
import { onlyNear } from '../text/edit-distance';
import { elide } from '../text/elide';
import type { Rule, RuleContext } from './types';

/** Score functions each framework implements (research §1.4, §4.1, §2.2). */
const KNOWN: Partial<Record<Framework, readonly string[]>> = {
  torchtitan: ['softmax', 'sigmoid'],
  megatron: ['softmax', 'sigmoid', 'sqrtsoftplus'],
  'deepseek-official': ['softmax', 'sigmoid'],
  // DeepSeek-V4's inference ModelArgs: score_func: Literal["softmax", "sigmoid", "sqrtsoftplus"] (model.py L66).
  'deepseek-v4-official': ['softmax', 'sigmoid', 'sqrtsoftplus'],
  'hf:deepseek_v2': ['softmax', 'sigmoid'],
  'hf:deepseek_v3': ['softmax', 'sigmoid'],
};

/**
 * What happens: `short` ends the message, which must fit one Problems row (issue #12) beside a did-you-mean;
 * `detail`, the framework's own behaviour in full, goes to the hover.
 */
const RAISES: Partial<Record<Framework, { readonly short: string; readonly detail: string }>> = {
  torchtitan: { short: "torchtitan's router raises", detail: 'torchtitan raises NotImplementedError in the router\'s forward.' },
  megatron: { short: 'Megatron rejects it at launch', detail: 'Megatron rejects it when parsing arguments.' },
  'hf:deepseek_v2': { short: 'vLLM raises ValueError', detail: 'vLLM raises ValueError("Unsupported scoring function: ...").' },
  'deepseek-v4-official': { short: 'DeepSeek-V4 uses sqrtsoftplus', detail: "DeepSeek-V4's Gate scores any name but softmax and sigmoid as sqrtsoftplus (model.py L735-740)." },
  'hf:deepseek_v3': { short: 'transformers ignores it; vLLM raises', detail: 'transformers ignores it (sigmoid is hard-coded) while vLLM raises "Unsupported scoring function".' },
};

export const unknownScoreFunction = {
  code: 'MOE006',
  name: 'unknown-score-function',
  category: 'structure',
  defaultSeverity: 'error',
  status: 'stable',
  since: '0.1.0',
  census: ['MEG-101', 'MEG-136', 'TT-005'],
  messages: {
    unknown: 'Unknown score function "{value}"{suggestion}: {consequence}',
  },
  fix: { availability: 'sometimes', kinds: { nearest: { title: 'Replace with "{suggestion}"', safety: 'safe' } } },
  docs: {
    what: 'Flags a score function the config\'s framework does not implement, and offers the nearest known name. For torchtitan, where the workspace holds the router config class and its `score_func` has a `Literal[...]` annotation, the names it lists are the ones that version implements (torchtitan main lists softmax and sigmoid; its DeepSeek-V4 branch adds sqrtsoftplus); otherwise softmax and sigmoid (DeepSeek-V4\'s own inference format and Megatron also know sqrtsoftplus).',
    why: 'A misspelt score function is only noticed when the first batch reaches the router: torchtitan raises `NotImplementedError` there, after the model has been built and the checkpoint loaded.',
    example: { dialect: 'python', code: 'moe_args = MoEArgs(num_experts=8, top_k=2, score_func="softmx")\n' },
    useInstead: { dialect: 'python', code: 'moe_args = MoEArgs(num_experts=8, top_k=2, score_func="softmax")\n' },
    fixSafety: 'The fix replaces a name that would crash with the closest valid one; it is offered only when exactly one name is within two edits.',
    references: ['torchtitan torchtitan/models/moe/moe.py @238fa9953 `TokenChoiceTopKRouter.forward`', 'Megatron-LM transformer_config.py `moe_router_score_function` Literal'],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    // The class's own Literal annotation, where the workspace holds it, says what this version implements
    // (torchtitan's DeepSeek-V4 branch adds "sqrtsoftplus" to TokenChoiceTopKRouter.Config).
    const known = spec.scoreChoices?.values ?? KNOWN[spec.framework];
    const site = spec.scoreFunc.sites[spec.scoreFunc.sites.length - 1];
    if (!known || !site || site.file !== undefined || site.literal.kind !== 'string') return;
    const value = site.literal.value;
    if (known.includes(value)) return;
    const suggestion = onlyNear(value.toLowerCase(), known);
    const raises = RAISES[spec.framework];
    context.report({
      messageId: 'unknown',
      data: {
        // The value as written may be any length; the range points at it (issue #12: one row).
        value: elide(value, 24),
        suggestion: suggestion ? ` (did you mean "${suggestion}"?)` : '',
        consequence: raises?.short ?? 'the router cannot run',
      },
      detail: `Known score functions for ${spec.framework}: ${known.map((k) => `"${k}"`).join(', ')}.${raises ? ` ${raises.detail}` : ''}`,
      range: site.valueRange,
      fixes: suggestion
        ? [{ kind: 'nearest', data: { suggestion }, edits: context.replaceSites([site], suggestion), preferred: true }]
        : [],
    });
  },
} satisfies Rule;
