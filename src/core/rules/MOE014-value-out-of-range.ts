import type { RouterSpec } from '../model/router-spec';
import type { Site } from '../model/router-spec';
import { countSites } from './helpers';
import type { Rule, RuleContext } from './types';

/**
 * A layer step of 0, which transformers divides by when it lays out the sparse layers (census HF-008, HF-011):
 * Qwen2/Qwen3 MoE and Qwen3-Next decoder layers test `(layer_idx + 1) % config.decoder_sparse_step == 0`
 * (modeling_qwen3_moe.py, modeling_qwen3_next.py), and Llama4TextConfig, when `moe_layers` is not given, builds
 * `range(interleave_moe_layer_step - 1, num_hidden_layers, interleave_moe_layer_step)`.
 */
function stepAtZero(spec: RouterSpec): { site: Site; consequence: string; detail: string } | undefined {
  const zero = (key: string): Site | undefined => {
    const site = spec.sites.filter((s) => s.key === key && s.file === undefined).at(-1);
    return site && site.literal.kind === 'int' && site.literal.value === 0 ? site : undefined;
  };
  if (spec.framework === 'hf:qwen3_moe' || spec.framework === 'hf:qwen2_moe' || spec.framework === 'hf:qwen3_next') {
    const site = zero('decoder_sparse_step');
    if (site && (spec.experts.value ?? 0) > 0) return { site, consequence: 'transformers raises ZeroDivisionError (use 1 for every layer sparse)', detail: 'transformers tests `(layer_idx + 1) % decoder_sparse_step` for every layer and fails with "ZeroDivisionError: integer division or modulo by zero".' };
  }
  if (spec.framework === 'hf:llama4' && !spec.sites.some((s) => s.key === 'moe_layers' && s.literal.kind !== 'none')) {
    const site = zero('interleave_moe_layer_step');
    if (site) return { site, consequence: 'Llama4TextConfig raises ValueError (use 1, or list `moe_layers`)', detail: 'Llama4TextConfig builds `range(interleave_moe_layer_step - 1, num_hidden_layers, interleave_moe_layer_step)` and fails with "ValueError: range() arg 3 must not be zero". Use 1 for every layer MoE, or list `moe_layers`.' };
  }
  return undefined;
}

export const valueOutOfRange = {
  code: 'MOE014',
  name: 'value-out-of-range',
  category: 'structure',
  defaultSeverity: 'error',
  status: 'stable',
  since: '0.1.0',
  census: ['HF-001', 'HF-002', 'HF-003', 'HF-004', 'HF-005', 'HF-006', 'HF-007', 'HF-008', 'HF-011', 'MEG-014', 'MEG-108', 'MEG-109', 'TT-007'],
  messages: {
    notInteger: '`{key}` must be an integer count, got {value}',
    integralFloat: '`{key}` is the float {value}; counts must be integers',
    numericString: '`{key}` is the string {value}; counts must be integers',
    expertsNotPositive: '`{key}` is {value}; a MoE layer needs at least one routed expert',
    scaleNotPositive: '`{key}` is {value}; a routing scale must be positive',
    coeffNotPositive: '`{key}` is {value}; torchtitan asserts it is > 0 (use None to turn balancing off)',
    stepZero: '`{key}` is 0: {consequence}',
    strictType: '`{key}` is {value}, not a {expected}: {owner} refuses to load the config',
  },
  fix: { availability: 'sometimes', kinds: { asInteger: { title: 'Write `{key}` as {value}', safety: 'safe' }, asDeclaredType: { title: 'Write `{key}` as {value}', safety: 'safe' } } },
  docs: {
    what: 'Flags values outside their domain: non-integer expert/top-k/group counts (floats, strings, booleans), expert counts below 1, a routing scale ≤ 0, a load-balance coefficient ≤ 0, and a sparse-layer step of 0 (Qwen MoE `decoder_sparse_step`, Llama 4 `interleave_moe_layer_step`). In a Hugging Face `config.json`, it also warns where a routing value has a JSON type its config class refuses to load in transformers 5.18.0 (`"routed_scaling_factor": 1` where a float is declared, `"norm_topk_prob": 1` where a bool is).',
    why: 'Dataclasses and JSON configs do not check types, so `top_k=4.0` or `"num_experts_per_tok": "4"` load fine and fail deep inside `torch.topk` or `view`, while a zero or negative `route_scale` silently zeroes or flips every expert output.',
    example: { dialect: 'python', code: 'moe_args = MoEArgs(num_experts=8, top_k=2.0, route_scale=0.0)\n' },
    useInstead: { dialect: 'python', code: 'moe_args = MoEArgs(num_experts=8, top_k=2, route_scale=1.0)\n' },
    fixSafety: 'Rewriting `2.0` or `"2"` as `2`, or a `config.json`\'s `1` as `1.0` (or `true` where a bool is declared), keeps the value, so those fixes are safe. Values ≤ 0 have no fix: only you know the intended value.',
    references: ['torchtitan MoE.__init__ @238fa9953 (assert load_balance_coeff > 0)', 'Megatron-LM transformer_config.py @d98e8a6 l.1683', 'transformers 5.18.0 configuration_utils.py L178-181 (PreTrainedConfig is a huggingface_hub strict dataclass); jundot/omlx issue #432 (GigaChat3.1\'s `"routed_scaling_factor": 1`)'],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    const seen = new Set<Site>();
    for (const site of countSites(spec)) {
      if (seen.has(site)) continue;
      seen.add(site);
      const literal = site.literal;
      const value = context.text.slice(site.valueRange.start, site.valueRange.end);
      if (literal.kind === 'float' && Number.isInteger(literal.value)) {
        context.report({
          messageId: 'integralFloat',
          data: { key: site.key, value },
          detail: '`torch.topk` and `view` reject floats.',
          range: site.valueRange,
          fixes: [{ kind: 'asInteger', data: { key: site.key, value: literal.value }, edits: context.replaceSites([site], literal.value), preferred: true }],
        });
      } else if (literal.kind === 'string' && /^\s*-?\d+\s*$/.test(literal.value)) {
        const number = Number(literal.value);
        context.report({
          messageId: 'numericString',
          data: { key: site.key, value },
          range: site.valueRange,
          fixes: [{ kind: 'asInteger', data: { key: site.key, value: number }, edits: context.replaceSites([site], number), preferred: true }],
        });
      } else if (literal.kind === 'float' || literal.kind === 'string' || literal.kind === 'bool') {
        context.report({ messageId: 'notInteger', data: { key: site.key, value }, range: site.valueRange });
      }
    }
    const experts = spec.experts.sites[spec.experts.sites.length - 1];
    if (experts && (experts.literal.kind === 'int' || experts.literal.kind === 'float') && experts.literal.value < 1) {
      context.report({ messageId: 'expertsNotPositive', data: { key: experts.key, value: experts.literal.value }, detail: 'Megatron: "num_moe_experts must be non-negative."', range: experts.valueRange });
    }
    const scale = spec.scale.sites[spec.scale.sites.length - 1];
    if (scale && (scale.literal.kind === 'int' || scale.literal.kind === 'float') && !(scale.literal.value > 0)) {
      context.report({ messageId: 'scaleNotPositive', data: { key: scale.key, value: context.text.slice(scale.valueRange.start, scale.valueRange.end) }, detail: "Otherwise the experts' outputs are zeroed or flipped.", range: scale.valueRange });
    }
    // transformers 5.18.0 checks each field's declared type when it loads a config.json (GigaChat3.1-10B-A1.8B's
    // `"routed_scaling_factor": 1` stopped loading: "TypeError: Field 'routed_scaling_factor' expected float, got int").
    for (const { site, expected, owner, modelType, remoteCode } of spec.strictTypeErrors ?? []) {
      const written = context.text.slice(site.valueRange.start, site.valueRange.end);
      const literal = site.literal;
      const fixed = expected === 'float' && literal.kind === 'int' ? `${literal.value}.0` : expected === 'bool' && (literal.kind === 'int' || literal.kind === 'float') && (literal.value === 0 || literal.value === 1) ? String(literal.value === 1) : undefined;
      context.report({
        messageId: 'strictType',
        data: { key: site.key, value: written, expected, owner },
        detail: `Its config class (${modelType}) declares \`${site.key}\` a ${expected}, and transformers 5.18.0 checks the type of each field it loads (a huggingface_hub strict dataclass: "TypeError: Field '${site.key}' expected ${expected}, got ${literal.kind}"); earlier releases loaded it${fixed ? `, and read it as ${fixed} does` : ''}.${remoteCode ? ' The file names its own code (`auto_map`): loaded with trust_remote_code, that code\'s config class reads it instead.' : ''}`,
        range: site.valueRange,
        severity: 'warning',
        fixes: fixed ? [{ kind: 'asDeclaredType', data: { key: site.key, value: fixed }, edits: [{ range: site.valueRange, newText: fixed }], preferred: true }] : [],
      });
    }
    const step = stepAtZero(spec);
    if (step) context.report({ messageId: 'stepZero', data: { key: step.site.key, consequence: step.consequence }, detail: step.detail, range: step.site.valueRange });
    for (const coeff of spec.sites.filter((s) => s.key === 'load_balance_coeff')) {
      if ((coeff.literal.kind === 'int' || coeff.literal.kind === 'float') && !(coeff.literal.value > 0)) {
        context.report({ messageId: 'coeffNotPositive', data: { key: coeff.key, value: context.text.slice(coeff.valueRange.start, coeff.valueRange.end) }, detail: 'torchtitan asserts `load_balance_coeff > 0`.', range: coeff.valueRange });
      }
    }
  },
} satisfies Rule;
