import type { RouterSpec, Site } from '../model/router-spec';
import { MEGATRON_COMMIT, MEGATRON_LAUNCH_CHECKS, type WrittenFlags } from '../references/megatron-launch-checks';
import type { Rule, RuleContext } from './types';

/** The flags a Megatron config writes, last one wins; values from another file count, but are not pointed at. */
function writtenFlags(sites: readonly Site[]): WrittenFlags & { site(key: string): Site | undefined } {
  const byKey = new Map<string, Site>();
  for (const site of sites) byKey.set(site.key, site);
  return {
    site: (key) => byKey.get(key),
    written: (key) => byKey.has(key),
    on: (key) => {
      const literal = byKey.get(key)?.literal;
      if (literal?.kind === 'bool') return literal.value;
      if (literal?.kind === 'string' && /^(true|false)$/i.test(literal.value)) return literal.value.toLowerCase() === 'true';
      return undefined;
    },
    text: (key) => {
      const literal = byKey.get(key)?.literal;
      return literal?.kind === 'string' ? literal.value : undefined;
    },
    number: (key) => {
      const literal = byKey.get(key)?.literal;
      return literal?.kind === 'int' || literal?.kind === 'float' ? literal.value : undefined;
    },
  };
}

export const megatronFlagConflict = {
  code: 'MOE020',
  name: 'megatron-flag-conflict',
  category: 'compatibility',
  defaultSeverity: 'error',
  status: 'preview',
  since: '0.1.0',
  census: MEGATRON_LAUNCH_CHECKS.map((check) => check.id),
  frameworks: ['megatron'],
  messages: {
    conflict: 'Megatron-LM stops at launch: "{message}"',
  },
  fix: { availability: 'none' },
  docs: {
    what:
      "Checks a Megatron-LM command line or YAML against Megatron's own checks on MoE flag combinations (token dispatcher and its backends, capacity, shared-expert overlap, expert-parallel communication overlap, recompute, deprecated group flags) and argparse's choices for the MoE enum flags, quoting Megatron's message. Each check reads only flags the config writes: a flag left to a sourced file or the environment is never assumed at its default.",
    why:
      'TransformerConfig.__post_init__ raises these after the job has been scheduled and every rank has started; a typo in an enum flag stops argparse. The checks and their lines are data (src/core/references/megatron-launch-checks.ts, rows of test/census/moe-launch-checks.tsv), and a test is generated from each: the smallest flags that break it, and the nearest ones that do not.',
    example: { dialect: 'shell', code: 'torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 2 \\\n  --moe-enable-deepep --moe-token-dispatcher-type alltoall\n' },
    useInstead: { dialect: 'shell', code: 'torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 2 \\\n  --moe-enable-deepep --moe-token-dispatcher-type flex\n' },
    references: [`Megatron-LM megatron/core/transformer/transformer_config.py @${MEGATRON_COMMIT} (TransformerConfig.__post_init__; the line of each check is in its data and in the diagnostic)`],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    const flags = writtenFlags(spec.sites);
    for (const check of MEGATRON_LAUNCH_CHECKS) {
      const at = flags.site(check.at);
      // Pointed at in this file only: a check on flags all inherited from another file is that file's finding.
      if (!at || at.file !== undefined || !check.when(flags)) continue;
      context.report({
        messageId: 'conflict',
        data: { message: check.message.replace('{value}', flags.text(check.at) ?? '') },
        detail: `Megatron-LM ${check.file} @${MEGATRON_COMMIT} line ${check.line} (census ${check.id}).`,
        range: at.keyRange,
      });
    }
  },
} satisfies Rule;
