import type { RouterSpec } from '../model/router-spec';
import type { Framework } from '../model/router-spec';
import { onlyNear } from '../text/edit-distance';
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

const RAISES: Partial<Record<Framework, string>> = {
  torchtitan: 'torchtitan raises NotImplementedError in the router\'s forward',
  megatron: 'Megatron rejects it when parsing arguments',
  'hf:deepseek_v2': 'vLLM raises ValueError("Unsupported scoring function: ...")',
  'deepseek-v4-official': "DeepSeek-V4's Gate scores any name but softmax and sigmoid as sqrtsoftplus (model.py L735-740)",
  'hf:deepseek_v3': 'transformers ignores it (sigmoid is hard-coded) while vLLM raises "Unsupported scoring function"',
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
    unknown: 'Unknown score function "{value}" for {framework} (expected {expected}){suggestion}: {consequence}',
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
    context.report({
      messageId: 'unknown',
      data: {
        value,
        framework: spec.framework,
        expected: known.map((k) => `"${k}"`).join(', '),
        suggestion: suggestion ? `; did you mean "${suggestion}"?` : '',
        consequence: RAISES[spec.framework] ?? 'the router cannot run',
      },
      range: site.valueRange,
      fixes: suggestion
        ? [{ kind: 'nearest', data: { suggestion }, edits: context.replaceSites([site], suggestion), preferred: true }]
        : [],
    });
  },
} satisfies Rule;
