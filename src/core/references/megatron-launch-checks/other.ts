/** Megatron-LM launch checks on everything else MoE: grouped GEMM, recompute, offloading, CUDA graphs, inference (census category other). */
import { choice, graphImpl, isNoneNumber, isNoneString, perLayerGraphs, TC, ARGUMENTS, DISPATCHER, type MegatronLaunchCheck, type WrittenFlags } from './check';
import { graphModules as layerGraphModules } from './parallel';

const EXPERTS = 'megatron/core/transformer/moe/experts.py';
const SPECS = 'megatron/core/models/gpt/gpt_layer_specs.py';
const BACKEND = 'inference_grouped_gemm_backend';
const GRAPHS = 'cuda_graph_modules';
const OFFLOAD = 'offload_modules';
const FREQ = 'moe_layer_freq';
/** The offload modules inside the experts (transformer_config.py l.2166, l.2932). */
const EXPERT_OFFLOAD = ['expert_fc1', 'moe_act', 'fused_group_mlp'];

const has = (f: WrittenFlags, key: string, item: string): boolean => (f.list(key) ?? []).includes(item);
/** Written as an fp8 / fp4 format argparse accepts (`--fp8-format`, `--fp4-format`; the config's fp8 / fp4). */
const fp8 = (f: WrittenFlags): boolean => ['e4m3', 'hybrid'].includes(f.text('fp8_format') ?? '');
const fp4 = (f: WrittenFlags): boolean => f.text('fp4_format') === 'e2m1';
/** Selective recompute as TransformerConfig sees it: `--recompute-activations` sets it (arguments.py l.608). */
const selective = (f: WrittenFlags): boolean => f.on('recompute_activations') === true || f.text('recompute_granularity') === 'selective';
/** A module recomputed once `--moe-layer-recompute` has made the granularity selective and added 'moe' (transformer_config.py l.2023). */
const recomputed = (f: WrittenFlags, module: string): boolean =>
  (selective(f) && has(f, 'recompute_modules', module)) || (module === 'moe' && f.on('moe_layer_recompute') === true && f.text('recompute_granularity') !== 'full');
const offloading = (f: WrittenFlags): boolean => f.on('fine_grained_activation_offloading') === true;
/**
 * The CUDA graph modules TransformerConfig checks (parallel.ts: `full` alone is the whole layer, migrated values are no
 * modules), where the local implementation captures moe_router and moe_preprocess together (transformer_config.py
 * l.2808).
 */
function graphModules(f: WrittenFlags): readonly string[] | undefined {
  const modules = layerGraphModules(f);
  if (!modules) return undefined;
  const router = graphImpl(f) === 'local' && (modules.includes('moe_router') || modules.includes('moe_preprocess'));
  return router ? [...new Set([...modules, 'moe_router', 'moe_preprocess'])] : modules;
}
const graphed = (f: WrittenFlags, module: string): boolean => graphModules(f)?.includes(module) === true;

/** Python's value of `--moe-layer-freq` (arguments.py moe_freq_type, l.327), or the exception it raises. */
type Freq = { readonly kind: 'int'; readonly value: number } | { readonly kind: 'list' | 'tuple'; readonly items: readonly Freq[] } | { readonly kind: 'error'; readonly error: 'ValueError' | 'TypeError' | 'other' };
const MAX_ITEMS = 100_000;

/** Evaluates a pattern of the grammar _eval_pattern lets through (digits , [ ] ( ) + *) as Python's eval would. */
function evalPattern(text: string): Freq {
  let at = 0;
  const fail = (error: 'TypeError' | 'other'): never => {
    throw Object.assign(new Error(error), { freq: { kind: 'error', error } as Freq });
  };
  const items = (close: string): Freq[] => {
    const out: Freq[] = [];
    while (text[at] !== close) {
      out.push(sum());
      if (text[at] === ',') at++;
      else if (text[at] !== close) fail('other');
    }
    at++;
    return out;
  };
  const atom = (): Freq => {
    const ch = text[at];
    if (ch === '[') return (at++, { kind: 'list', items: items(']') });
    if (ch === '(') {
      at++;
      if (text[at] === ')') return (at++, { kind: 'tuple', items: [] });
      const first = tuple();
      if (text[at++] !== ')') fail('other');
      return first;
    }
    const digits = /^\d+/.exec(text.slice(at))?.[0];
    if (!digits || (digits.length > 1 && digits.startsWith('0') && /[1-9]/.test(digits))) return fail('other');
    at += digits.length;
    return { kind: 'int', value: Number(digits) };
  };
  const postfix = (): Freq => {
    let value = atom();
    while (text[at] === '[') {
      at++;
      const index = tuple();
      if (text[at++] !== ']') fail('other');
      if (value.kind === 'int' || index.kind !== 'int') fail('TypeError');
      const element = (value as { items: readonly Freq[] }).items[(index as { value: number }).value];
      value = element ?? fail('other');
    }
    return value;
  };
  const repeat = (seq: Freq, n: Freq): Freq => {
    if (seq.kind === 'int' && n.kind === 'int') return { kind: 'int', value: seq.value * n.value };
    const [s, count] = seq.kind === 'int' ? [n, seq.value] : [seq, n.kind === 'int' ? n.value : fail('TypeError')];
    if (s.kind !== 'list' && s.kind !== 'tuple') return fail('TypeError');
    if (s.items.length * count > MAX_ITEMS) return fail('other');
    return { kind: s.kind, items: Array.from({ length: Math.max(0, count) }, () => s.items).flat() };
  };
  const product = (): Freq => {
    let value = postfix();
    while (text[at] === '*') {
      at++;
      value = repeat(value, postfix());
    }
    return value;
  };
  const sum = (): Freq => {
    let value = product();
    while (text[at] === '+') {
      at++;
      const right = product();
      if (value.kind === 'int' && right.kind === 'int') value = { kind: 'int', value: value.value + right.value };
      else if ((value.kind === 'list' || value.kind === 'tuple') && right.kind === value.kind) value = { kind: value.kind, items: [...value.items, ...right.items] };
      else fail('TypeError');
    }
    return value;
  };
  const tuple = (): Freq => {
    const first = sum();
    if (text[at] !== ',') return first;
    const out = [first];
    while (text[at] === ',') {
      at++;
      if (at >= text.length || text[at] === ')' || text[at] === ']') break;
      out.push(sum());
    }
    return { kind: 'tuple', items: out };
  };
  try {
    const value = tuple();
    return at === text.length ? value : { kind: 'error', error: 'other' };
  } catch (e) {
    return (e as { freq?: Freq }).freq ?? { kind: 'error', error: 'other' };
  }
}

/** `--moe-layer-freq` as moe_freq_type parses it; undefined when it is not a literal written (or defaulted). */
function layerFreq(f: WrittenFlags): Freq | undefined {
  const n = f.number(FREQ);
  if (n !== undefined) return Number.isInteger(n) ? { kind: 'int', value: n } : { kind: 'error', error: 'ValueError' };
  const text = f.text(FREQ);
  // Megatron-Bridge parses no pattern: a string stays a str, neither int nor list (MEG-158 reports it).
  if (f.bridge && text !== undefined) return undefined;
  // A YAML sequence (a Megatron-Bridge or Megatron YAML config): the list itself, whose items must be integers.
  const sequence = text === undefined ? f.list(FREQ) : undefined;
  if (sequence !== undefined && sequence.length > 0) return sequence.every((item) => /^\d+$/.test(item)) ? { kind: 'list', items: sequence.map((item) => ({ kind: 'int', value: Number(item) })) } : undefined;
  // Quotes or an expansion left in the word are the shell's to resolve (scripts often run the command through eval).
  if (text === undefined || /[$'"`]/.test(text)) return undefined;
  // A pattern with a character outside digits , [ ] ( ) + * is a ValueError (l.251); without '[' it is int(x) (l.350).
  if (text.includes('[')) return /[^,\d[\]()+*]/.test(text) ? { kind: 'error', error: 'ValueError' } : evalPattern(text);
  return /^\s*[+-]?\d+(_\d+)*\s*$/.test(text) ? { kind: 'int', value: Number(text.replace(/_/g, '')) } : { kind: 'error', error: 'ValueError' };
}
const freqList = (f: WrittenFlags): readonly Freq[] | undefined => {
  const freq = layerFreq(f);
  return freq?.kind === 'list' ? freq.items : undefined;
};
/** Python's repr of a parsed `--moe-layer-freq` (`[1, 1, 0]`, `([1], [0])`), as Megatron's f-strings print it. */
function pythonRepr(freq: Freq): string {
  if (freq.kind === 'int') return String(freq.value);
  if (freq.kind === 'error') return '?';
  const items = freq.items.map(pythonRepr);
  return freq.kind === 'list' ? `[${items.join(', ')}]` : items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}
/**
 * Python's repr of a set of module names, in the order the config lists them (Python's own order for several
 * strings varies from run to run with hash randomisation).
 */
const pythonSet = (items: readonly string[]): string => `{${items.map((item) => `'${item}'`).join(', ')}}`;
/** The written modules of `key` that are among `names`, as Megatron's `set & set` prints them. */
const among = (f: WrittenFlags, key: string, names: readonly string[]): string => pythonSet([...new Set((f.list(key) ?? []).filter((m) => names.includes(m)))]);

/** pretrain_gpt.py builds an MoE model's layers with get_gpt_decoder_block_spec unless a spec or attention variant replaces it (gpt_builders.py l.32). */
const gptSpec = (f: WrittenFlags): boolean => !f.written('spec') && !f.written('experimental_attention_variant');

export const OTHER_CHECKS: readonly MegatronLaunchCheck[] = [
  {
    id: 'MEG-001',
    file: TC,
    line: 1414,
    message: 'moe_use_grouped_tensor=True requires moe_grouped_gemm=True.',
    at: 'moe_use_grouped_tensor',
    when: (f) => f.on('moe_use_grouped_tensor') === true && f.on('moe_grouped_gemm') === false,
    trigger: { moe_use_grouped_tensor: true },
    valid: { moe_use_grouped_tensor: true, moe_grouped_gemm: true, disable_bias_linear: true },
  },
  {
    id: 'MEG-007',
    file: TC,
    line: 1623,
    message: "--transformer-impl='inference_optimized' supports gated linear units (SwiGLU/GeGLU) only with --inference-grouped-gemm-backend torch or vllm, got '{value}'.",
    summary: 'inference-optimized gated MoE needs the torch or vllm GEMM backend',
    at: BACKEND,
    // --swiglu and --quick-geglu set gated_linear_unit (argument_utils.py l.316, l.325); argparse allows flashinfer, torch, vllm.
    when: (f) =>
      f.text('transformer_impl') === 'inference_optimized' &&
      ['swiglu', 'quick_geglu', 'gated_linear_unit'].some((k) => f.on(k) === true) &&
      f.text(BACKEND) === 'flashinfer',
    trigger: { transformer_impl: 'inference_optimized', moe_router_dtype: 'fp32', swiglu: true, [BACKEND]: 'flashinfer' },
    valid: { transformer_impl: 'inference_optimized', moe_router_dtype: 'fp32', swiglu: true, [BACKEND]: 'torch' },
  },
  {
    id: 'MEG-009',
    file: TC,
    line: 1642,
    message: "inference_grouped_gemm_backend must be 'flashinfer', 'torch', or 'vllm', got '{value}'",
    summary: '`inference_grouped_gemm_backend` is not flashinfer, torch, vllm',
    at: BACKEND,
    // argparse's choices stop a bad backend on a command line; a config of field names reaches l.1637. The checks
    // before it in the same block (l.1599-1626) raise first on their own conditions, so each must not hold:
    // gated linear units with a backend other than torch or vllm (MEG-007's condition) among them.
    when: (f) =>
      f.text('transformer_impl') === 'inference_optimized' &&
      f.number('num_experts') !== undefined &&
      f.text(BACKEND) !== undefined &&
      !['flashinfer', 'torch', 'vllm'].includes(f.text(BACKEND)!) &&
      f.text('moe_router_dtype') === 'fp32' &&
      f.on('gated_linear_unit') === false &&
      !((f.number('expert_tensor_parallel_size') ?? 1) > 1) &&
      f.number('moe_expert_capacity_factor') === undefined &&
      f.on('moe_router_padding_for_quantization') !== true,
    trigger: { transformer_impl: 'inference_optimized', moe_router_dtype: 'fp32', gated_linear_unit: 'false', [BACKEND]: 'cutlass' },
    valid: { transformer_impl: 'inference_optimized', moe_router_dtype: 'fp32', gated_linear_unit: 'false', [BACKEND]: 'torch' },
    fieldsOnly: true,
  },
  {
    id: 'MEG-075',
    file: TC,
    line: 2981,
    message: 'Token dispatcher type: {value} does not support variable sequence length, please use alltoall dispatcher instead.',
    summary: 'the allgather dispatcher with variable sequence lengths',
    at: DISPATCHER,
    // Megatron-LM has no flag for it and sets it False (arguments.py l.1272, yaml_arguments.py l.193); a
    // Megatron-Bridge config writes it as a model field.
    when: (f) => f.text(DISPATCHER) === 'allgather' && f.on('variable_seq_lengths') === true,
    trigger: { [DISPATCHER]: 'allgather', variable_seq_lengths: 'true' },
    valid: { [DISPATCHER]: 'alltoall', variable_seq_lengths: 'true' },
    bridgeOnly: true,
  },
  {
    id: 'MEG-012',
    file: TC,
    line: 1670,
    message: "batch_invariant_mode requires inference_grouped_gemm_backend 'torch' or 'vllm'.",
    summary: 'batch-invariant inference needs the torch or vllm GEMM backend',
    at: 'batch_invariant_mode',
    when: (f) => f.text('transformer_impl') === 'inference_optimized' && f.on('batch_invariant_mode') === true && f.text(BACKEND) === 'flashinfer',
    trigger: { transformer_impl: 'inference_optimized', moe_router_dtype: 'fp32', batch_invariant_mode: true, [BACKEND]: 'flashinfer' },
    valid: { transformer_impl: 'inference_optimized', moe_router_dtype: 'fp32', batch_invariant_mode: true, [BACKEND]: 'vllm' },
  },
  {
    id: 'MEG-016',
    file: TC,
    line: 1710,
    message: 'moe_single_grouped_weight and moe_single_grouped_bias require moe_grouped_gemm=True.',
    summary: '`moe_single_grouped_weight` needs `moe_grouped_gemm`',
    at: 'moe_single_grouped_weight',
    when: (f) => f.on('moe_single_grouped_weight') === true && f.on('moe_grouped_gemm') === false,
    trigger: { moe_single_grouped_weight: true },
    valid: { moe_single_grouped_weight: true, moe_grouped_gemm: true, moe_use_grouped_tensor: true, disable_bias_linear: true },
  },
  {
    id: 'MEG-018',
    file: TC,
    line: 1727,
    message: "moe_single_grouped_weight is currently supported with high-precision primary weights, fp8_recipe='mxfp8', or fp4_recipe='nvfp4'.",
    summary: '`moe_single_grouped_weight` needs high precision, mxfp8 or nvfp4',
    at: 'moe_single_grouped_weight',
    when: (f) =>
      f.on('moe_single_grouped_weight') === true &&
      ((fp8(f) && f.text('fp8_recipe') !== undefined && f.text('fp8_recipe') !== 'mxfp8') || (fp4(f) && f.text('fp4_recipe') !== undefined && f.text('fp4_recipe') !== 'nvfp4')),
    trigger: { moe_single_grouped_weight: true, moe_grouped_gemm: true, moe_use_grouped_tensor: true, disable_bias_linear: true, fp8_format: 'e4m3' },
    valid: { moe_single_grouped_weight: true, moe_grouped_gemm: true, moe_use_grouped_tensor: true, disable_bias_linear: true, fp8_format: 'e4m3', fp8_recipe: 'mxfp8' },
  },
  {
    id: 'MEG-019',
    file: TC,
    line: 1732,
    message:
      'moe_single_grouped_weight with FP4 compute requires fp4_param=True (--fp4-param-gather). Without FP4 parameter gather, Transformer Engine uses a split-quantize fallback that is being deprecated.',
    summary: 'fp4 `moe_single_grouped_weight` needs `fp4_param_gather`',
    at: 'moe_single_grouped_weight',
    when: (f) => f.on('moe_single_grouped_weight') === true && fp4(f) && f.on('fp4_param_gather') === false,
    trigger: { moe_single_grouped_weight: true, moe_grouped_gemm: true, moe_use_grouped_tensor: true, disable_bias_linear: true, fp4_format: 'e2m1' },
    valid: { moe_single_grouped_weight: true, moe_grouped_gemm: true, moe_use_grouped_tensor: true, disable_bias_linear: true, fp4_format: 'e2m1', fp4_param_gather: true },
  },
  {
    id: 'MEG-020',
    file: TC,
    line: 1737,
    message: 'moe_single_grouped_weight requires moe_use_grouped_tensor=True.',
    summary: '`moe_single_grouped_weight` needs `moe_use_grouped_tensor`',
    at: 'moe_single_grouped_weight',
    // Reached with grouped GEMM only (l.1708), where the TE op fuser turns the grouped tensor on (l.1410).
    when: (f) =>
      f.on('moe_single_grouped_weight') === true && f.on('moe_grouped_gemm') === true && f.on('moe_use_grouped_tensor') === false && f.on('use_transformer_engine_op_fuser') === false,
    trigger: { moe_single_grouped_weight: true, moe_grouped_gemm: true, disable_bias_linear: true },
    valid: { moe_single_grouped_weight: true, moe_grouped_gemm: true, moe_use_grouped_tensor: true, disable_bias_linear: true },
  },
  {
    id: 'MEG-021',
    file: TC,
    line: 1739,
    message: 'moe_single_grouped_bias requires add_bias_linear=True.',
    at: 'moe_single_grouped_bias',
    when: (f) => f.on('moe_single_grouped_bias') === true && f.on('add_bias_linear') === false,
    trigger: { moe_single_grouped_bias: true, moe_grouped_gemm: true, moe_use_grouped_tensor: true, disable_bias_linear: true },
    valid: { moe_single_grouped_bias: true, moe_grouped_gemm: true, moe_use_grouped_tensor: true, no_bias_dropout_fusion: true },
  },
  {
    id: 'MEG-022',
    file: TC,
    line: 1741,
    message: 'moe_single_grouped_bias requires moe_use_grouped_tensor=True.',
    summary: '`moe_single_grouped_bias` needs `moe_use_grouped_tensor`',
    at: 'moe_single_grouped_bias',
    // Reached with grouped GEMM only (l.1708), where the TE op fuser turns the grouped tensor on (l.1410).
    when: (f) =>
      f.on('moe_single_grouped_bias') === true && f.on('moe_grouped_gemm') === true && f.on('moe_use_grouped_tensor') === false && f.on('use_transformer_engine_op_fuser') === false,
    trigger: { moe_single_grouped_bias: true, moe_grouped_gemm: true, no_bias_dropout_fusion: true },
    valid: { moe_single_grouped_bias: true, moe_grouped_gemm: true, moe_use_grouped_tensor: true, no_bias_dropout_fusion: true },
  },
  {
    id: 'MEG-038',
    file: TC,
    line: 1966,
    message: 'moe_act in recompute_modules is only supported with moe_grouped_gemm.',
    at: 'recompute_modules',
    when: (f) => selective(f) && has(f, 'recompute_modules', 'moe_act') && f.on('moe_grouped_gemm') === false,
    trigger: { recompute_granularity: 'selective', recompute_modules: 'moe_act' },
    valid: { recompute_granularity: 'selective', recompute_modules: 'moe_act', moe_grouped_gemm: true, disable_bias_linear: true },
  },
  {
    id: 'MEG-040',
    file: TC,
    line: 2004,
    message: 'Delayed scaling does not support moe_act and layernorm recompute for fp8.',
    summary: 'delayed fp8 scaling with moe_act or layernorm recompute',
    at: 'recompute_modules',
    when: (f) => selective(f) && fp8(f) && (has(f, 'recompute_modules', 'moe_act') || has(f, 'recompute_modules', 'layernorm')) && f.text('fp8_recipe') === 'delayed',
    trigger: { recompute_granularity: 'selective', recompute_modules: 'moe_act', moe_grouped_gemm: true, disable_bias_linear: true, fp8_format: 'hybrid' },
    valid: { recompute_granularity: 'selective', recompute_modules: 'moe_act', moe_grouped_gemm: true, disable_bias_linear: true, fp8_format: 'hybrid', fp8_recipe: 'tensorwise' },
  },
  {
    id: 'MEG-042',
    file: TC,
    line: 2021,
    message: 'Do not set --moe-layer-recompute with full recompute granularity.',
    at: 'moe_layer_recompute',
    when: (f) => f.on('moe_layer_recompute') === true && f.text('recompute_granularity') === 'full',
    trigger: { moe_layer_recompute: true, recompute_granularity: 'full' },
    valid: { moe_layer_recompute: true, recompute_granularity: 'selective' },
  },
  {
    id: 'MEG-043',
    file: TC,
    line: 2170,
    message:
      "Cannot offload {inside} while recomputing the entire MoE layer. 'moe' in recompute_modules wraps the full MoE forward in a checkpoint, so offloading activations inside it is redundant and will cause errors. Either remove 'moe' from --recompute-modules or remove {inside} from --offload-modules.",
    summary: '`offload_modules` offloads inside a recomputed MoE layer',
    at: OFFLOAD,
    values: (f) => ({ inside: among(f, OFFLOAD, EXPERT_OFFLOAD) }),
    when: (f) => offloading(f) && recomputed(f, 'moe') && EXPERT_OFFLOAD.some((m) => has(f, OFFLOAD, m)),
    trigger: { fine_grained_activation_offloading: true, recompute_granularity: 'selective', recompute_modules: 'moe', [OFFLOAD]: 'expert_fc1' },
    valid: { fine_grained_activation_offloading: true, recompute_granularity: 'selective', recompute_modules: 'moe', [OFFLOAD]: 'core_attn' },
  },
  {
    id: 'MEG-044',
    file: TC,
    line: 2188,
    message: 'fused_group_mlp requires use_transformer_engine_op_fuser.',
    at: OFFLOAD,
    when: (f) => offloading(f) && has(f, OFFLOAD, 'fused_group_mlp') && f.on('use_transformer_engine_op_fuser') === false,
    trigger: { fine_grained_activation_offloading: true, [OFFLOAD]: 'fused_group_mlp' },
    valid: { fine_grained_activation_offloading: true, [OFFLOAD]: 'fused_group_mlp', use_transformer_engine_op_fuser: true },
  },
  {
    id: 'MEG-045',
    file: TC,
    line: 2192,
    message: 'fused_group_mlp offloads the whole fused grouped MLP and cannot be combined with expert_fc1 or moe_act. Remove: {partial}',
    summary: '`offload_modules` has fused_group_mlp with expert_fc1 or moe_act',
    at: OFFLOAD,
    values: (f) => ({ partial: among(f, OFFLOAD, ['expert_fc1', 'moe_act']) }),
    when: (f) => offloading(f) && has(f, OFFLOAD, 'fused_group_mlp') && (has(f, OFFLOAD, 'expert_fc1') || has(f, OFFLOAD, 'moe_act')),
    trigger: { fine_grained_activation_offloading: true, [OFFLOAD]: 'fused_group_mlp expert_fc1', use_transformer_engine_op_fuser: true },
    valid: { fine_grained_activation_offloading: true, [OFFLOAD]: 'fused_group_mlp', use_transformer_engine_op_fuser: true },
  },
  {
    id: 'MEG-046',
    file: TC,
    line: 2206,
    message: "Invalid choices for gtp_remat_opt_in_modules: {invalid}. Allowed modules are: {'moe_latent_proj'}",
    values: (f) => ({ invalid: pythonSet([...new Set((f.list('gtp_remat_opt_in_modules') ?? []).filter((m) => m !== 'moe_latent_proj'))]) }),
    summary: '`gtp_remat_opt_in_modules` allows only moe_latent_proj',
    at: 'gtp_remat_opt_in_modules',
    when: (f) => (f.list('gtp_remat_opt_in_modules') ?? []).some((m) => m !== 'moe_latent_proj'),
    trigger: { gtp_remat_opt_in_modules: 'moe_router' },
    valid: { gtp_remat_opt_in_modules: 'moe_latent_proj' },
  },
  {
    id: 'MEG-062',
    file: TC,
    line: 2820,
    message: 'cuda_graph_modules must not contain both moe and moe_router.',
    at: GRAPHS,
    when: (f) => perLayerGraphs(f) && graphed(f, 'moe') && graphed(f, 'moe_router'),
    trigger: { cuda_graph_impl: 'transformer_engine', [GRAPHS]: 'moe moe_router', moe_expert_capacity_factor: '1.0', moe_pad_expert_input_to_capacity: true },
    valid: { cuda_graph_impl: 'transformer_engine', [GRAPHS]: 'moe_router', moe_expert_capacity_factor: '1.0', moe_pad_expert_input_to_capacity: true },
  },
  {
    id: 'MEG-063',
    file: TC,
    line: 2824,
    message: 'moe_preprocess cuda graph is only supported with moe_router cuda graph.',
    summary: '`cuda_graph_modules` has moe_preprocess without moe_router',
    at: GRAPHS,
    when: (f) => perLayerGraphs(f) && graphed(f, 'moe_preprocess') && graphModules(f)?.includes('moe_router') === false,
    trigger: { cuda_graph_impl: 'transformer_engine', [GRAPHS]: 'moe_preprocess' },
    valid: { cuda_graph_impl: 'transformer_engine', [GRAPHS]: 'moe_router moe_preprocess' },
  },
  {
    id: 'MEG-065',
    file: TC,
    line: 2835,
    message: 'mlp cuda graph is only supported for dense layers, but not found in the model.',
    summary: '`cuda_graph_modules` has mlp but the model has no dense layer',
    at: GRAPHS,
    // Every layer is MoE when moe_layer_freq is 1 or a list without 0 (l.2831).
    when: (f) => {
      const freq = layerFreq(f);
      const allMoe = (freq?.kind === 'int' && freq.value === 1) || (freq?.kind === 'list' && !freq.items.some((x) => x.kind === 'int' && x.value === 0));
      return perLayerGraphs(f) && (f.number('num_experts') ?? 0) > 1 && graphed(f, 'mlp') && allMoe;
    },
    trigger: { cuda_graph_impl: 'transformer_engine', [GRAPHS]: 'mlp' },
    valid: { cuda_graph_impl: 'transformer_engine', [GRAPHS]: 'mlp', [FREQ]: '2' },
  },
  {
    id: 'MEG-068',
    file: TC,
    line: 2868,
    // The assert's message ends here: the next string literal (l.2869) is a statement of its own.
    message: 'moe recompute is not supported with moe_router CUDA graph with: ',
    at: GRAPHS,
    when: (f) => graphImpl(f) === 'transformer_engine' && recomputed(f, 'moe') && graphed(f, 'moe_router'),
    trigger: { cuda_graph_impl: 'transformer_engine', [GRAPHS]: 'moe_router', recompute_granularity: 'selective', recompute_modules: 'moe' },
    valid: { cuda_graph_impl: 'local', [GRAPHS]: 'moe_router', recompute_granularity: 'selective', recompute_modules: 'moe' },
  },
  {
    id: 'MEG-069',
    file: TC,
    line: 2899,
    message: 'hidden dropout is not supported with graphed MLP/MoE recomputation.',
    summary: 'hidden dropout with graphed MLP/MoE recomputation',
    at: 'recompute_modules',
    // No graph modules (or full_iteration) capture the whole layer (l.2874).
    when: (f) => {
      const impl = graphImpl(f);
      const modules = graphModules(f);
      if (!['local', 'transformer_engine', 'full_iteration'].includes(impl ?? '') || modules === undefined) return false;
      const inGraph = (m: string): boolean => impl === 'full_iteration' || modules.length === 0 || modules.includes(m);
      const dropout = f.number('hidden_dropout');
      return dropout !== undefined && dropout !== 0 && ((recomputed(f, 'mlp') && inGraph('mlp')) || (recomputed(f, 'moe') && inGraph('moe')));
    },
    trigger: { cuda_graph_impl: 'transformer_engine', recompute_granularity: 'selective', recompute_modules: 'moe' },
    valid: { cuda_graph_impl: 'transformer_engine', recompute_granularity: 'selective', recompute_modules: 'moe', hidden_dropout: '0.0' },
  },
  {
    id: 'MEG-072',
    file: TC,
    line: 2935,
    message: "fine-grained activation offloading with cuda_graph_impl='local' only supports offload_modules 'expert_fc1', 'moe_act', and 'fused_group_mlp'. Unsupported offload_modules: ",
    summary: '`offload_modules` has modules local CUDA graphs cannot offload',
    at: OFFLOAD,
    when: (f) => offloading(f) && graphImpl(f) === 'local' && (f.list(OFFLOAD) ?? []).some((m) => !EXPERT_OFFLOAD.includes(m)),
    trigger: { fine_grained_activation_offloading: true, cuda_graph_impl: 'local', [GRAPHS]: 'moe_router', [OFFLOAD]: 'core_attn' },
    valid: { fine_grained_activation_offloading: true, cuda_graph_impl: 'local', [GRAPHS]: 'moe_router', [OFFLOAD]: 'expert_fc1' },
  },
  {
    id: 'MEG-073',
    file: TC,
    line: 2954,
    message:
      'fine-grained activation offloading is only supported with transformer_engine CUDA graph implementation or local CUDA graph implementation with partial MoE offload. Local partial CUDA graphs are supported only for expert_fc1, moe_act, or fused_group_mlp offload when the full MoE module is not captured.',
    summary: 'activation offloading with local CUDA graphs capturing moe',
    at: GRAPHS,
    // The local implementation's other ways to fail stop earlier (l.2934, l.2940).
    when: (f) => offloading(f) && graphImpl(f) === 'local' && graphed(f, 'moe'),
    trigger: { fine_grained_activation_offloading: true, cuda_graph_impl: 'local', [GRAPHS]: 'moe', [OFFLOAD]: 'expert_fc1', moe_expert_capacity_factor: '1.0', moe_pad_expert_input_to_capacity: true },
    valid: { fine_grained_activation_offloading: true, cuda_graph_impl: 'local', [GRAPHS]: 'moe_router', [OFFLOAD]: 'expert_fc1', moe_expert_capacity_factor: '1.0', moe_pad_expert_input_to_capacity: true },
  },
  {
    id: 'MEG-095',
    file: TC,
    line: 3186,
    message: '--inference-fuse-tp-communication is not supported for MoE models.',
    at: 'inference_fuse_tp_communication',
    // After its first assert, that the implementation is inference_optimized (l.3180).
    when: (f) => f.on('inference_fuse_tp_communication') === true && f.text('transformer_impl') === 'inference_optimized',
    trigger: { inference_fuse_tp_communication: true, transformer_impl: 'inference_optimized', moe_router_dtype: 'fp32' },
    valid: { transformer_impl: 'inference_optimized', moe_router_dtype: 'fp32' },
  },
  {
    id: 'MEG-098',
    file: TC,
    line: 3263,
    message: 'Batch-invariant MoE is bf16-only. Disable fp8/fp4 to use it.',
    summary: 'batch-invariant MoE is bf16-only (no fp8/fp4)',
    at: 'batch_invariant_mode',
    when: (f) => f.on('batch_invariant_mode') === true && (fp8(f) || fp4(f)),
    trigger: { batch_invariant_mode: true, [DISPATCHER]: 'alltoall', bf16: true, fp8_format: 'e4m3' },
    valid: { batch_invariant_mode: true, [DISPATCHER]: 'alltoall', bf16: true },
  },
  {
    id: 'MEG-111',
    file: ARGUMENTS,
    line: 251,
    // argparse reports so moe_freq_type's ValueError (a bad pattern, l.251; int(x), l.350) and eval's TypeError (l.253).
    message: "argument --moe-layer-freq: invalid moe_freq_type value: '{value}'",
    summary: '`moe_layer_freq` is not a valid layer frequency or pattern',
    at: FREQ,
    when: (f) => {
      const freq = layerFreq(f);
      return f.written(FREQ) && freq?.kind === 'error' && freq.error !== 'other';
    },
    trigger: { [FREQ]: '[1]*3+[0]*1.5' },
    valid: { [FREQ]: '[1]*3+[0]*1' },
  },
  {
    id: 'MEG-115',
    file: ARGUMENTS,
    line: 1144,
    message:
      'Megatron-FSDP does not currently support moe_single_grouped_weight or moe_single_grouped_bias. Disable single grouped MoE parameters or use the regular DDP/distributed optimizer path until Megatron-FSDP supports TE GroupedTensor param buffers.',
    summary: '`use_megatron_fsdp` with single grouped MoE parameters',
    at: 'use_megatron_fsdp',
    when: (f) => f.on('use_megatron_fsdp') === true && (f.on('moe_single_grouped_weight') === true || f.on('moe_single_grouped_bias') === true),
    trigger: { use_megatron_fsdp: true, moe_single_grouped_weight: true, moe_grouped_gemm: true, moe_use_grouped_tensor: true, disable_bias_linear: true },
    valid: { moe_single_grouped_weight: true, moe_grouped_gemm: true, moe_use_grouped_tensor: true, disable_bias_linear: true },
  },
  {
    id: 'MEG-118',
    file: ARGUMENTS,
    line: 1864,
    message: 'When using upcycling, the --save option must be specified.',
    at: 'moe_use_upcycling',
    when: (f) => f.on('moe_use_upcycling') === true && isNoneString(f, 'save'),
    trigger: { moe_use_upcycling: true },
    valid: { moe_use_upcycling: true, save: '/checkpoints/moe', save_interval: '1000' },
  },
  {
    id: 'MEG-119',
    file: ARGUMENTS,
    line: 1981,
    message: 'MoE latent projection dimension has to be greater than zero.',
    at: 'moe_latent_size',
    when: (f) => (f.number('moe_latent_size') ?? 1) <= 0,
    trigger: { moe_latent_size: '0' },
    valid: { moe_latent_size: '512' },
  },
  {
    id: 'MEG-149',
    file: EXPERTS,
    line: 207,
    message: 'bias_dropout_fusion is not supported in TEGroupedMLP when add_bias_linear=True',
    summary: '`moe_grouped_gemm` with bias and bias-dropout fusion',
    at: 'moe_grouped_gemm',
    // Grouped GEMM experts are TEGroupedMLP under Transformer Engine (transformer_engine_spec_provider.py l.77)
    // and InferenceGroupedMLP, its subclass, under inference_optimized (moe_module_specs.py l.113).
    when: (f) =>
      f.on('moe_grouped_gemm') === true &&
      ['transformer_engine', 'inference_optimized'].includes(f.text('transformer_impl') ?? '') &&
      f.on('add_bias_linear') === true &&
      f.on('bias_dropout_fusion') === true &&
      gptSpec(f),
    trigger: { moe_grouped_gemm: true },
    valid: { moe_grouped_gemm: true, disable_bias_linear: true },
  },
  {
    id: 'MEG-157',
    file: SPECS,
    line: 654,
    message: 'Invalid length of moe_layer_pattern: {length}, expected {layers}, current moe layer pattern: {pattern}',
    summary: '`moe_layer_freq` pattern length differs from `num_layers`',
    at: FREQ,
    values: (f) => ({ length: freqList(f)?.length ?? '?', layers: f.number('num_layers') ?? '?', pattern: pythonRepr({ kind: 'list', items: freqList(f) ?? [] }) }),
    when: (f) => {
      const items = freqList(f);
      const layers = f.number('num_layers');
      return gptSpec(f) && items !== undefined && layers !== undefined && items.length !== layers;
    },
    trigger: { num_layers: '4', [FREQ]: '[1]*3' },
    valid: { num_layers: '4', [FREQ]: '[1]*3+[0]' },
  },
  {
    id: 'MEG-158',
    file: SPECS,
    line: 660,
    // moe_freq_type gives an int, a list or (a pattern with a top-level comma) a tuple. Megatron-Bridge converts
    // nothing: a pattern written as a YAML string reaches the spec as a str.
    message: "Invalid moe_layer_freq: <class '{type}'>, {freq}",
    summary: '`moe_layer_freq` is neither an int nor a list',
    at: FREQ,
    when: (f) => gptSpec(f) && (f.bridge ? f.text(FREQ) !== undefined : layerFreq(f)?.kind === 'tuple'),
    values: (f) => ({ type: f.bridge ? 'str' : 'tuple', freq: f.bridge ? f.text(FREQ) ?? '?' : pythonRepr(layerFreq(f) ?? { kind: 'error', error: 'other' }) }),
    trigger: { num_layers: '4', [FREQ]: '[1]*3,[0]' },
    valid: { num_layers: '4', [FREQ]: '[1]*3+[0]' },
  },
  {
    id: 'MEG-159',
    file: SPECS,
    line: 671,
    message: 'Invalid layer pattern: {pattern}',
    summary: '`moe_layer_freq` has entries other than 0 and 1',
    at: FREQ,
    values: (f) => ({ pattern: pythonRepr({ kind: 'list', items: freqList(f) ?? [] }) }),
    when: (f) => gptSpec(f) && (freqList(f) ?? []).some((x) => x.kind !== 'int' || (x.value !== 0 && x.value !== 1)),
    trigger: { num_layers: '4', [FREQ]: '[1]*3+[2]' },
    valid: { num_layers: '4', [FREQ]: '[1]*3+[0]' },
  },
  // MoE settings on a launch that writes no expert count (Megatron reads a missing --num-experts as None,
  // arguments.py l.3518): only a whole launch says it is missing rather than written elsewhere.
  {
    id: 'MEG-015',
    file: TC,
    line: 1702,
    message: 'moe_ffn_hidden_size is set but num_moe_experts is None. Please set num_moe_experts or remove moe_ffn_hidden_size.',
    summary: '`moe_ffn_hidden_size` is set but `num_experts` is not',
    at: 'moe_ffn_hidden_size',
    // A moe_layer_freq that keeps some layers dense only warns (l.1690-1700).
    when: (f) => {
      const freq = layerFreq(f);
      const mixed = (freq?.kind === 'int' && freq.value > 1) || (freq?.kind === 'list' && freq.items.some((x) => x.kind === 'int' && x.value === 0));
      return f.number('moe_ffn_hidden_size') !== undefined && isNoneNumber(f, 'num_experts') && freq !== undefined && freq.kind !== 'error' && !mixed;
    },
    trigger: { moe_ffn_hidden_size: '2048' },
    valid: { moe_ffn_hidden_size: '2048', moe_layer_freq: '2' },
    withoutExperts: true,
  },
  {
    id: 'MEG-050',
    file: TC,
    line: 2485,
    message: 'activation_func_clamp_value for SwiGLU is only supported with MoE.',
    summary: '`activation_func_clamp_value` is only for MoE models',
    at: 'activation_func_clamp_value',
    // --swiglu is SiLU with a gated linear unit; a clamp value that is not finite and positive fails first (l.2480).
    when: (f) => (f.number('activation_func_clamp_value') ?? 0) > 0 && Number.isFinite(f.number('activation_func_clamp_value')) && f.on('swiglu') === true && isNoneNumber(f, 'num_experts'),
    trigger: { swiglu: true, activation_func_clamp_value: '7.0' },
    valid: { swiglu: true },
    withoutExperts: true,
  },
  {
    id: 'MEG-064',
    file: TC,
    line: 2829,
    message: 'moe cuda graph is only supported for MoE.',
    at: GRAPHS,
    when: (f) => perLayerGraphs(f) && (graphed(f, 'moe') || graphed(f, 'moe_router')) && !(graphed(f, 'moe') && graphed(f, 'moe_router')) && isNoneNumber(f, 'num_experts'),
    trigger: { cuda_graph_impl: 'transformer_engine', [GRAPHS]: 'moe_router' },
    valid: { cuda_graph_impl: 'transformer_engine', [GRAPHS]: 'attn' },
    withoutExperts: true,
  },
  {
    id: 'MEG-120',
    file: ARGUMENTS,
    line: 1983,
    message: 'MoE latent projections are applicable only for MoE models.',
    at: 'moe_latent_size',
    // A latent size ≤ 0 fails first (l.1982).
    when: (f) => (f.number('moe_latent_size') ?? 0) > 0 && isNoneNumber(f, 'num_experts'),
    trigger: { moe_latent_size: '512' },
    valid: {},
    withoutExperts: true,
  },
  // Not in the first census: argparse's own rejection, which stops a launch before MEG-009 (row MEG-163, added this session).
  choice('MEG-163', 1228, 'inference_grouped_gemm_backend', ['flashinfer', 'torch', 'vllm']),
];

