import type { RouterSpec } from '../model/router-spec';
import type { Field } from '../model/router-spec';
import { literalText, sameLiteral } from './helpers';
import type { Rule, RuleContext } from './types';

export const aliasConflict = {
  code: 'MOE009',
  name: 'alias-conflict',
  category: 'structure',
  defaultSeverity: 'error',
  status: 'stable',
  since: '0.1.0',
  messages: {
    conflict: '`{key}` is {value}, but {reader} reads `{canonical}` ({canonicalValue})',
  },
  fix: {
    availability: 'always',
    kinds: {
      // Another spelling: another reader of the same file may read it (OpenAI's reference code `experts_per_token`).
      matchCanonical: { title: 'Set `{key}` to {value} (match `{canonical}`)', safety: 'unsafe' },
      // The same key twice: json.loads keeps the last, so no reader sees the earlier one.
      matchLast: { title: 'Set `{key}` to {value} (match its last occurrence)', safety: 'safe' },
    },
  },
  docs: {
    what:
      'Flags a config that sets the same routing value under two names (or one name twice) with different values, such as OpenAI\'s `experts_per_token` beside transformers\' `num_experts_per_tok` in a gpt-oss `config.json`: the expert count and top-k, and the expert groups and renormalisation where a config class reads two spellings of them (KimiLinearConfig\'s `attribute_map`: `n_group` for `num_expert_group`, `norm_topk_prob` for `moe_renormalize`). The message names the spelling the reader runs with: transformers sets an `attribute_map` alias after the field it stands for, so DeepseekV3Config builds `num_local_experts` experts where a file also writes `n_routed_experts`.',
    why:
      'Each framework reads one of the aliases and silently ignores the other, so two tools loading the same file route differently: transformers and vLLM read `num_experts_per_tok`, OpenAI\'s reference code reads `experts_per_token`.',
    example: {
      dialect: 'json',
      code: '{\n  "model_type": "gpt_oss",\n  "num_local_experts": 128,\n  "num_experts_per_tok": 4,\n  "experts_per_token": 8\n}\n',
    },
    useInstead: {
      dialect: 'json',
      code: '{\n  "model_type": "gpt_oss",\n  "num_local_experts": 128,\n  "num_experts_per_tok": 4,\n  "experts_per_token": 4\n}\n',
    },
    fixSafety: 'Matching a key written twice to its last occurrence changes nothing a reader sees (json.loads keeps the last), so that fix is safe. Matching another spelling to the one MoE Lens\'s reader runs with is unsafe: another reader of the same file may read the spelling changed (OpenAI\'s reference code reads `experts_per_token`; a DeepSeek checkpoint\'s own code, `n_routed_experts`).',
    references: ['huggingface.co/openai/gpt-oss-120b config.json and original/config.json', 'transformers configuration_gpt_oss.py'],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    const check = (field: Field<unknown> | undefined, canonicalKey: string | undefined): void => {
      if (!field || canonicalKey === undefined) return;
      // Only values MoE Lens knows: two spellings of one unknown value are not a conflict.
      const sites = field.sites.filter((s) => s.file === undefined && s.literal.kind !== 'expression');
      if (sites.length < 2) return;
      // The spelling the framework runs with: the one whose value the config was read with (transformers takes an
      // attribute_map alias over the field it stands for), else the canonical key; its last occurrence, as json.loads does.
      const read = typeof field.value === 'number' ? [...sites].reverse().find((s) => (s.literal.kind === 'int' || s.literal.kind === 'float') && s.literal.value === field.value) : undefined;
      const canonical = read ?? [...sites].reverse().find((s) => s.key === canonicalKey) ?? sites[sites.length - 1]!;
      for (const site of sites) {
        if (site === canonical || sameLiteral(site.literal, canonical.literal)) continue;
        context.report({
          messageId: 'conflict',
          data: {
            key: site.key,
            value: literalText(site.literal),
            canonical: canonical.key,
            canonicalValue: literalText(canonical.literal),
            reader: spec.framework === 'torchtitan' ? 'Python' : spec.framework.replace(/^hf:/, 'transformers '),
          },
          range: site.valueRange,
          related: [{ range: canonical.valueRange, message: `\`${canonical.key}\` is ${literalText(canonical.literal)} here` }],
          fixes: [
            {
              kind: site.key === canonical.key ? 'matchLast' : 'matchCanonical',
              data: { key: site.key, value: literalText(canonical.literal).toLowerCase() === 'none' ? 'null' : literalText(canonical.literal), canonical: canonical.key },
              edits: [{ range: site.valueRange, newText: context.text.slice(canonical.valueRange.start, canonical.valueRange.end) }],
              preferred: true,
            },
          ],
        });
      }
    };
    check(spec.experts, spec.keyNames.experts);
    check(spec.topK, spec.keyNames.topK);
    // A config class's attribute_map may read a second spelling of these too (KimiLinearConfig's `n_group`).
    check(spec.groups?.count, spec.keyNames.groupsCount);
    check(spec.groups?.selected, spec.keyNames.groupsSelected);
    check(spec.normalize, spec.keyNames.normalize);
  },
} satisfies Rule;
