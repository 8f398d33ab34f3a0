/**
 * One pair of tests per Megatron launch check, generated from its data: the smallest flags that break it fire
 * (on the flag it names, quoting Megatron's message), the nearest valid flags stay quiet.
 */
import { MEGATRON_LAUNCH_CHECKS } from '../../src/core/references/megatron-launch-checks';
import { megatronFlagConflict } from '../../src/core/rules/MOE020-megatron-flag-conflict';
import { runRuleTests } from '../rule-tester';

const SCRIPT = 'examples/megatron/train.sh';

/** A launch line of an MoE model with the given flags (dest names → `--dest-name value`). */
function commandLine(flags: Readonly<Record<string, string | true>>): string {
  const words = Object.entries(flags).map(([key, value]) => `--${key.replace(/_/g, '-')}${value === true ? '' : ` ${value}`}`);
  return `torchrun pretrain_gpt.py \\\n  --num-experts 64 --moe-router-topk 2 \\\n  ${words.join(' \\\n  ')}\n`;
}

runRuleTests(megatronFlagConflict, {
  valid: [
    ...MEGATRON_LAUNCH_CHECKS.map((check) => ({ name: `${check.id}: the nearest valid flags`, file: SCRIPT, code: commandLine(check.valid) })),
    { name: 'a flag the script does not write is not taken at its default when the script passes flags from the environment', file: SCRIPT, code: commandLine({ moe_enable_deepep: true }).replace('pretrain_gpt.py', 'pretrain_gpt.py ${EXTRA_ARGS}') },
    { name: '… or sources another file', file: SCRIPT, code: 'source ./dispatcher.sh\n' + commandLine({ moe_enable_deepep: true }) },
    { name: '… or runs no Megatron entry point itself (a model-args file that a run script sources)', file: 'scripts/models/deepseek.sh', code: 'MODEL_ARGS=(\n  --num-experts 64 --moe-router-topk 2\n  --moe-enable-deepep\n)\n' },
    { name: 'an array the script sets itself keeps it whole', file: SCRIPT, code: 'MOE_ARGS=(\n  --moe-enable-deepep\n  --moe-token-dispatcher-type flex\n)\ntorchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 2 ${MOE_ARGS[@]}\n' },
    { name: 'a --no- switch writes its flag false (--disable-bias-linear with shared experts)', file: SCRIPT, code: commandLine({ moe_shared_expert_intermediate_size: '2048', disable_bias_linear: true }) },
    { name: 'a dispatcher from a shell variable is not read', file: SCRIPT, code: 'D=${DISPATCHER:-}\n' + commandLine({ moe_enable_deepep: true, moe_token_dispatcher_type: '$D' }) },
  ],
  invalid: [
    ...MEGATRON_LAUNCH_CHECKS.map((check) => ({
      name: `${check.id}: ${check.message}`,
      file: SCRIPT,
      code: commandLine(check.trigger),
      errors: [{ messageId: 'conflict', text: `--${check.at.replace(/_/g, '-')}`, severity: 'error' as const, includes: [check.message.replace('{value}', String(check.trigger[check.at])), check.id] }],
      output: null,
    })),
    {
      name: 'a whole launch script: an unwritten flag is at Megatron\'s default, and the detail names it',
      file: SCRIPT,
      code: commandLine({ moe_enable_deepep: true }),
      errors: [{ messageId: 'conflict', text: '--moe-enable-deepep', includes: ['DeepEP backend is only supported with flex token dispatcher.', "at Megatron's defaults (it runs pretrain_gpt.py with every flag written in this file): moe_token_dispatcher_type=allgather"] }],
      output: null,
    },
    {
      name: 'Megatron-LM test YAML spelling (MODEL_ARGS with --flag: value keys)',
      file: 'tests/functional_tests/test_cases/moe/case/model_config.yaml',
      code: 'MODEL_ARGS:\n  --num-experts: 8\n  --moe-router-topk: 2\n  --moe-enable-deepep: true\n  --moe-token-dispatcher-type: alltoall\n',
      errors: [{ messageId: 'conflict', text: '--moe-enable-deepep', includes: ['DeepEP backend is only supported with flex token dispatcher.'] }],
      output: null,
    },
  ],
});
