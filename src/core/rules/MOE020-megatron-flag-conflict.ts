import type { RouterSpec } from '../model/router-spec';
import { MEGATRON_COMMIT, MEGATRON_LAUNCH_CHECKS } from '../references/megatron-launch-checks';
import { readFlags } from '../references/megatron-launch-checks/written-flags';
import type { Rule, RuleContext } from './types';

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
      "Checks a Megatron-LM command line or YAML against Megatron's own checks on MoE flag combinations (token dispatcher and its backends, capacity, shared-expert overlap, expert-parallel communication overlap, recompute, deprecated group flags) and argparse's choices for the MoE enum flags, quoting Megatron's message. Each check reads the flags the config writes; a flag it does not write is taken at Megatron's default only in a script that holds the whole launch (it runs a `pretrain_*.py` entry point, sources nothing and passes no flags from the environment), and the diagnostic names each default it used.",
    why:
      'TransformerConfig.__post_init__ raises these after the job has been scheduled and every rank has started; a typo in an enum flag stops argparse. The checks and their lines are data (src/core/references/megatron-launch-checks/, one file per census category, rows of test/census/moe-launch-checks.tsv), and a test is generated from each: the smallest flags that break it, and the nearest ones that do not.',
    example: { dialect: 'shell', code: 'torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 2 \\\n  --moe-enable-deepep --moe-token-dispatcher-type alltoall\n' },
    useInstead: { dialect: 'shell', code: 'torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 2 \\\n  --moe-enable-deepep --moe-token-dispatcher-type flex\n' },
    references: [`Megatron-LM megatron/core/transformer/transformer_config.py @${MEGATRON_COMMIT} (TransformerConfig.__post_init__; the line of each check is in its data and in the diagnostic)`],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    for (const check of MEGATRON_LAUNCH_CHECKS) {
      // Fresh per check, so that the defaults named are the ones this check read.
      const flags = readFlags(spec);
      const at = flags.site(check.at);
      // Pointed at in this file only: a check on flags all inherited from another file is that file's finding.
      if (!at || at.file !== undefined || !check.when(flags)) continue;
      const defaults = [...flags.defaultsRead];
      context.report({
        messageId: 'conflict',
        data: { message: check.message.replace('{value}', flags.text(check.at) ?? (at.items ?? []).join(' ')) },
        detail:
          `Megatron-LM ${check.file} @${MEGATRON_COMMIT} line ${check.line} (census ${check.id}).` +
          (defaults.length > 0 ? ` Flags this script does not write are at Megatron's defaults (it ${spec.launch?.why}): ${defaults.join(', ')}.` : ''),
        range: at.keyRange,
      });
    }
  },
} satisfies Rule;
