/**
 * safetensors header validation and tensor decoding, as the format's reference implementation checks it:
 * 8-byte little-endian header length (bounded), a JSON object header, known dtypes, integer shapes,
 * offsets in bounds, consistent with dtype × shape, and not overlapping. Nothing is trusted partially:
 * any violation throws one sentence naming the file (and tensor).
 */
export type Dtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const DTYPE_BYTES: Readonly<Record<Dtype, number>> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
/** The reference implementation's limit on header size. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorEntry {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  /** Absolute byte offsets in the file. */
  readonly start: number;
  readonly end: number;
}

export class CheckpointError extends Error {}

export function headerLength(first8: Uint8Array, file: string, fileSize: number): number {
  if (first8.length < 8 || fileSize < 8) throw new CheckpointError(`${file} is not a safetensors file: it is shorter than the 8-byte header length.`);
  const view = new DataView(first8.buffer, first8.byteOffset, 8);
  const length = Number(view.getBigUint64(0, true));
  if (length > MAX_HEADER_BYTES) throw new CheckpointError(`${file} has a ${length}-byte safetensors header, above the ${MAX_HEADER_BYTES}-byte limit; the file is corrupt or not safetensors.`);
  if (8 + length > fileSize) throw new CheckpointError(`${file} declares a ${length}-byte header but the file has only ${fileSize} bytes; it is truncated or corrupt.`);
  return length;
}

export function parseHeader(headerBytes: Uint8Array, file: string, fileSize: number): Map<string, TensorEntry> {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch {
    throw new CheckpointError(`${file} has a corrupt safetensors header: it is not valid UTF-8 JSON.`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new CheckpointError(`${file} has a corrupt safetensors header: it is not a JSON object.`);
  const dataStart = 8 + headerBytes.length;
  const dataSize = fileSize - dataStart;
  const entries = new Map<string, TensorEntry>();
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') continue;
    const where = `tensor "${name}" in ${file}`;
    if (!raw || typeof raw !== 'object') throw new CheckpointError(`${where} has no dtype/shape/data_offsets entry.`);
    const { dtype, shape, data_offsets: offsets } = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    // Own keys only: `"toString" in DTYPE_BYTES` is true (issue #14).
    if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) throw new CheckpointError(`${where} has unsupported dtype ${JSON.stringify(dtype)}.`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new CheckpointError(`${where} has an invalid shape ${JSON.stringify(shape)}.`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
      throw new CheckpointError(`${where} has invalid data_offsets ${JSON.stringify(offsets)}.`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataSize) throw new CheckpointError(`${where} ends at byte ${end} of a ${dataSize}-byte data section; the file is truncated or corrupt.`);
    const expected = (shape as number[]).reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype as Dtype];
    if (end - begin !== expected) throw new CheckpointError(`${where} spans ${end - begin} bytes but ${dtype} × ${JSON.stringify(shape)} needs ${expected}.`);
    entries.set(name, { name, dtype: dtype as Dtype, shape: shape as number[], start: dataStart + begin, end: dataStart + end });
  }
  const sorted = [...entries.values()].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.start < sorted[i - 1]!.end) throw new CheckpointError(`tensors "${sorted[i - 1]!.name}" and "${sorted[i]!.name}" overlap in ${file}.`);
  }
  return entries;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Decodes a float tensor to float32, into `out` when given (a slice of a larger array: no copy). */
export function decodeFloat(entry: TensorEntry, bytes: Uint8Array, file: string, out?: Float32Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.byteLength / DTYPE_BYTES[entry.dtype];
  out ??= new Float32Array(count);
  if (out.length !== count) throw new CheckpointError(`tensor "${entry.name}" in ${file} holds ${count} values where ${out.length} were expected.`);
  // BF16 is float32's top half: a shift per value (a checkpoint's router is millions of them).
  if (entry.dtype === 'BF16' && LITTLE_ENDIAN) {
    const halves = bytes.byteOffset % 2 === 0 ? new Uint16Array(bytes.buffer, bytes.byteOffset, count) : new Uint16Array(bytes.slice().buffer, 0, count);
    const words = new Uint32Array(out.buffer, out.byteOffset, count);
    for (let i = 0; i < count; i++) words[i] = halves[i]! << 16;
    return out;
  }
  switch (entry.dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    case 'BF16': {
      const scratch = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        scratch.setUint32(0, view.getUint16(i * 2, true) << 16);
        out[i] = scratch.getFloat32(0);
      }
      return out;
    }
    default:
      throw new CheckpointError(`tensor "${entry.name}" in ${file} is ${entry.dtype}; router tensors must be F32, F16, BF16 or F64.`);
  }
}

export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * The per-layer vectors a router may have beside its gate weight (RouterTensorNames), what each is called and the
 * size it runs along: one list for both checkpoint readers (src/node) and the panel's check of what it is sent.
 */
export const ROUTER_VECTORS = {
  bias: { what: 'router bias', along: 'experts' },
  selectionBias: { what: 'selection bias', along: 'experts' },
  tokenScale: { what: 'token scale', along: 'hidden' },
  expertScale: { what: 'per-expert scale', along: 'experts' },
} as const;

export type RouterVector = keyof typeof ROUTER_VECTORS;

export const ROUTER_VECTOR_KINDS = Object.keys(ROUTER_VECTORS) as RouterVector[];

/** The floats a router vector holds per layer. */
export function routerVectorLength(kind: RouterVector, experts: number, hidden: number): number {
  return ROUTER_VECTORS[kind].along === 'hidden' ? hidden : experts;
}

/** A router's tensor names in one checkpoint convention; of a vector's names, the first one present wins (vectorName). */
export interface RouterTensorNames {
  readonly convention: string;
  /** [experts, hidden]. */
  readonly weight: string;
  /** [experts]: the router Linear's bias. */
  readonly bias?: readonly string[];
  /** [experts]: the learned selection bias. */
  readonly selectionBias?: readonly string[];
  /** [hidden]: the learned scale of the normed token (RouterConfig.tokenNorm). */
  readonly tokenScale?: readonly string[];
  /** [experts]: the learned scale of each chosen weight (RouterConfig.expertScale). */
  readonly expertScale?: readonly string[];
}

/** The name a checkpoint gives one of a router's vectors: the first of the convention's names it has. */
export function vectorName(names: RouterTensorNames, kind: RouterVector, has: (name: string) => boolean): string | undefined {
  return names[kind]?.find(has);
}

/**
 * Whether a vector's shape holds `length` floats along its last axis: `[length]`, or ERNIE 4.5's `[1, length]`
 * (`moe_statics.e_score_correction_bias`, one row per modality; the VL models' two rows are not one vector).
 */
export function isVectorShape(shape: readonly number[], length: number): boolean {
  return shape.length >= 1 && shape[shape.length - 1] === length && shape.slice(0, -1).every((size) => size === 1);
}

/**
 * Gemma 4's router tensors under `prefix`: Gemma4TextRouter's `proj`, `scale` and `per_expert_scale` (transformers
 * @527d8b4), at `model.language_model.layers.N.router` in the multimodal checkpoints (Gemma4ForConditionalGeneration)
 * and `model.layers.N.router` in a text-only one (Gemma4ForCausalLM).
 */
function gemma4(convention: string, prefix: string): RouterTensorNames {
  return { convention, weight: `${prefix}.proj.weight`, tokenScale: [`${prefix}.scale`], expertScale: [`${prefix}.per_expert_scale`] };
}

/**
 * Router tensor names per checkpoint convention (layer N); the first weight found wins. A selection bias sits
 * beside the gate under several names, each as the model's published checkpoints write it (transformers 5.18.0
 * conversion_mapping.py renames them on load, so its modules say otherwise): DeepSeek-V3 and the models that copy
 * its router `mlp.gate.e_score_correction_bias`; K-EXAONE `mlp.e_score_correction_bias` (l.1889-1890, also where
 * transformers itself saves MiniMax-M2's); Ling 2.0 `mlp.gate.expert_bias` (inclusionAI/Ling-V2 @af8837e
 * modeling_bailing_moe_v2.py l.302); ERNIE 4.5 `mlp.moe_statics.e_score_correction_bias` (l.1866-1868; transformers
 * saves `mlp.gate.moe_statics.…`); Laguna `mlp.experts.e_score_correction_bias` (l.1906-1908); MiniMax-M2
 * `block_sparse_moe.e_score_correction_bias` (l.1885-1887).
 */
export function routerTensorCandidates(layer: number): RouterTensorNames[] {
  const hf = `model.layers.${layer}`;
  return [
    { convention: 'HF gpt-oss', weight: `${hf}.mlp.router.weight`, bias: [`${hf}.mlp.router.bias`] },
    {
      convention: 'HF DeepSeek/Qwen/OLMoE',
      weight: `${hf}.mlp.gate.weight`,
      selectionBias: ['gate.e_score_correction_bias', 'e_score_correction_bias', 'gate.expert_bias', 'moe_statics.e_score_correction_bias', 'gate.moe_statics.e_score_correction_bias', 'experts.e_score_correction_bias'].map((name) => `${hf}.mlp.${name}`),
    },
    { convention: 'HF Mixtral', weight: `${hf}.block_sparse_moe.gate.weight`, selectionBias: [`${hf}.block_sparse_moe.e_score_correction_bias`] },
    { convention: 'torchtitan', weight: `layers.${layer}.moe.router.gate.weight`, bias: [`layers.${layer}.moe.router.gate.bias`], selectionBias: [`layers.${layer}.moe.expert_bias`] },
    // The names these models' published checkpoints give their routers (transformers 5.18.0: modeling_llama4.py
    // L163/L409, modeling_jamba.py L698/L723, modeling_hunyuan_v1_moe.py L231/L288, conversion_mapping.py L755 for
    // Granite's `router.layer`; LFM2-MoE's and AFMoE's `expert_bias` is the bias for choosing).
    { convention: 'HF Llama 4 / Jamba', weight: `${hf}.feed_forward.router.weight` },
    { convention: 'HF Llama 4', weight: `language_model.model.layers.${layer}.feed_forward.router.weight` },
    { convention: 'HF Hunyuan', weight: `${hf}.mlp.gate.wg.weight` },
    { convention: 'HF Granite MoE', weight: `${hf}.block_sparse_moe.router.layer.weight` },
    { convention: 'HF LFM2-MoE', weight: `${hf}.feed_forward.gate.weight`, selectionBias: [`${hf}.feed_forward.expert_bias`] },
    { convention: 'HF AFMoE', weight: `${hf}.mlp.router.gate.weight`, selectionBias: [`${hf}.mlp.expert_bias`] },
    // DeepSeek's own inference checkpoints (inference/model.py Gate: `bias` is added to the scores for choosing).
    { convention: 'DeepSeek inference', weight: `layers.${layer}.ffn.gate.weight`, selectionBias: [`layers.${layer}.ffn.gate.bias`] },
    gemma4('HF Gemma 4', `model.language_model.layers.${layer}.router`),
    gemma4('HF Gemma 4 text', `model.layers.${layer}.router`),
  ];
}

/**
 * Why a checkpoint cannot route a config whose published router chooses by a selection bias it does not hold:
 * routing with a zero bias instead would show a router the model does not have (one sentence, names included).
 */
export function missingSelectionBias(convention: string, layer: number, found: readonly string[]): string {
  const names = routerTensorCandidates(layer).find((c) => c.convention === convention)?.selectionBias ?? [];
  const looked = names.length > 0 ? `looked for ${names.join(', ')}` : `MoE Lens knows no selection-bias name for ${convention} checkpoints`;
  return `the config's router chooses experts with a selection bias (e_score_correction_bias), but the checkpoint has none for layer ${layer} (${looked}; found ${found.join(', ')}).`;
}

/** Where a router tensor of `name`'s layer would be: the layer and convention whose weight `name` is, if any. */
export function routerWeightLayer(name: string): { layer: number; convention: string } | undefined {
  const match = /(?:^|\.)layers\.(\d+)\./.exec(name);
  if (!match) return undefined;
  const layer = Number(match[1]);
  if (!Number.isSafeInteger(layer)) return undefined;
  const candidate = routerTensorCandidates(layer).find((c) => c.weight === name);
  return candidate ? { layer, convention: candidate.convention } : undefined;
}
