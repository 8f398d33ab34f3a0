import { sitesOf, type RouterSpec, type Site } from '../model/router-spec';
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
    forced: '`_debug_force_load_balance=True`: experts are picked round-robin, never by the router',
    randomLogits: '`{key}`: Megatron routes on random logits, not on the router\'s',
  },
  fix: {
    availability: 'sometimes',
    kinds: {
      debugOff: { title: 'Set `_debug_force_load_balance` to False', safety: 'unsafe' },
      randomLogitsOff: { title: 'Set `moe_router_force_load_balancing` to false', safety: 'unsafe' },
    },
  },
  docs: {
    what: "Flags forced load balancing, in a config whose name does not say it is for debugging, a test or a benchmark, outside a `tests/` or `benchmarks/` folder: torchtitan's `_debug_force_load_balance` (round-robin routing) and Megatron's `--moe-router-force-load-balancing` (random router logits).",
    why: "With `_debug_force_load_balance`, each token goes to experts `(token·k + i) mod E` regardless of the router, which is meant for balanced throughput tests. Megatron's `--moe-router-force-load-balancing` replaces the router's logits with normal random numbers before the top-k (router.py @d98e8a6 l.861-863, `RandomSTE` in moe_utils.py l.1258-1279; transformer_config.py l.833-835: \"[Experimental] … only for benchmark\"). Left on in a real run, training runs, and the router's weights may even get gradients (Megatron's `RandomSTE` passes them straight through), but no token goes where the router would send it. A flag written as a switch has no fix: remove it.",
    example: { dialect: 'python', code: 'configs = {\n    "16B": MoEArgs(num_experts=64, top_k=6, _debug_force_load_balance=True),\n}\n' },
    useInstead: { dialect: 'python', code: 'configs = {\n    "debugmodel": MoEArgs(num_experts=64, top_k=6, _debug_force_load_balance=True),\n}\n' },
    fixSafety: 'Turning the flag off routes tokens by the router again, so the fix is unsafe.',
    references: ['torchtitan `TokenChoiceTopKRouter.forward` step 7 (research §1.4)', 'Megatron-LM megatron/core/transformer/moe/router.py @d98e8a6 l.861-863 (TopKRouter.forward), moe_utils.py l.1258-1279 (RandomSTE)'],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    // A flavor or file that says it is for debugging, a test or a throughput benchmark (pytorch/ao @36027d8
    // benchmarks/prototype/moe_training/benchmark_moe_layer_fsdp.py: what round-robin routing is for).
    if (/debug|test|bench/i.test(spec.name) || /(^|\/)(benchmarks?|tests?)\//.test(context.file)) return;
    const random = spec.framework === 'megatron' ? randomLogits(spec) : undefined;
    if (random) {
      // `--moe-router-force-load-balancing` alone is a switch: no value to set, the flag goes.
      const switchOnly = random.valueRange.start === random.keyRange.start;
      context.report({
        messageId: 'randomLogits',
        data: { key: context.text.slice(random.keyRange.start, random.keyRange.end) },
        detail: `In "${spec.name}", Megatron replaces the router's logits with random ones (a benchmark switch), so the experts each token goes to are never the router's choice.`,
        range: random.keyRange,
        fixes: switchOnly ? [] : [{ kind: 'randomLogitsOff', edits: context.replaceSites([random], false) }],
      });
    }
    const field = spec.debugRoundRobin;
    if (!field.value || localSites(field).length === 0) return;
    context.report({
      messageId: 'forced',
      detail: `In flavor "${spec.name}", routing is replaced by round-robin, so the experts each token goes to are never the router's choice.`,
      range: fieldRange(spec, field),
      fixes: [{ kind: 'debugOff', edits: context.replaceSites(field.sites, false) }],
    });
  },
} satisfies Rule;

/** Megatron's `moe_router_force_load_balancing` switched on in this file (a flag, or a YAML field set to true). */
function randomLogits(spec: RouterSpec): Site | undefined {
  const site = sitesOf(spec, 'moe_router_force_load_balancing').pop();
  if (!site || site.file !== undefined || site.unknown !== undefined) return undefined;
  const on = site.literal.kind === 'bool' ? site.literal.value : site.literal.kind === 'string' && /^true$/i.test(site.literal.value);
  return on ? site : undefined;
}
