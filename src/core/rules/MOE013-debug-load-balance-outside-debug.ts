import type { RouterSpec } from '../model/router-spec';
import { fieldRange, localSites } from './helpers';
import type { Rule, RuleContext } from './types';

export const debugLoadBalanceOutsideDebug = {
  code: 'MOE013',
  name: 'debug-load-balance-outside-debug',
  category: 'hint',
  defaultSeverity: 'info',
  status: 'stable',
  since: '0.1.0',
  messages: {
    forced: '`_debug_force_load_balance=True` in flavor "{flavor}": routing is replaced by round-robin, so the router is ignored and never learns',
  },
  fix: { availability: 'always', kinds: { debugOff: { title: 'Set `_debug_force_load_balance` to False', safety: 'unsafe' } } },
  docs: {
    what: 'Flags torchtitan\'s forced round-robin routing in a flavor whose name does not say it is for debugging, a test or a benchmark, outside a `tests/` or `benchmarks/` folder.',
    why: 'With `_debug_force_load_balance`, each token goes to experts `(token·k + i) mod E` regardless of the router, which is meant for balanced throughput tests. Left on in a real flavor, training runs but the router is never used.',
    example: { dialect: 'python', code: 'configs = {\n    "16B": MoEArgs(num_experts=64, top_k=6, _debug_force_load_balance=True),\n}\n' },
    useInstead: { dialect: 'python', code: 'configs = {\n    "debugmodel": MoEArgs(num_experts=64, top_k=6, _debug_force_load_balance=True),\n}\n' },
    fixSafety: 'Turning the flag off routes tokens by the router again, so the fix is unsafe.',
    references: ['torchtitan `TokenChoiceTopKRouter.forward` step 7 (research §1.4)'],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    const field = spec.debugRoundRobin;
    // A flavor or file that says it is for debugging, a test or a throughput benchmark (pytorch/ao @36027d8
    // benchmarks/prototype/moe_training/benchmark_moe_layer_fsdp.py: what round-robin routing is for).
    if (!field.value || localSites(field).length === 0 || /debug|test|bench/i.test(spec.name) || /(^|\/)(benchmarks?|tests?)\//.test(context.file)) return;
    context.report({
      messageId: 'forced',
      data: { flavor: spec.name },
      range: fieldRange(spec, field),
      fixes: [{ kind: 'debugOff', edits: context.replaceSites(field.sites, false) }],
    });
  },
} satisfies Rule;
