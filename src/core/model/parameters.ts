/**
 * Parameter arithmetic: total and active parameters of a decoder-only MoE model from its shape, and the bytes
 * of expert weights one expert-parallel rank holds. Pure counting over a `ModelShape` that a parser filled from
 * the keys a config writes; the formulas follow the modules the frameworks build (one Linear = in × out, plus
 * out when it has a bias), so a count can be checked weight by weight against a checkpoint's tensors.
 */

/** Multi-head / grouped-query attention: q, k, v and o projections. */
export interface GroupedAttention {
  readonly kind: 'gqa';
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly qkvBias: boolean;
  readonly outBias: boolean;
  /** RMSNorm weights on queries and keys: one head wide (Qwen3), the whole projection (OLMoE), or none. */
  readonly qkNorm: 'none' | 'per-head' | 'full';
  /** One learned attention-sink logit per head (gpt-oss). */
  readonly sinks: boolean;
}

/** DeepSeek's multi-head latent attention (low-rank q and kv). */
export interface LatentAttention {
  readonly kind: 'mla';
  readonly heads: number;
  /** undefined: q is projected straight from the hidden state (DeepSeek-V2-Lite). */
  readonly qLoraRank: number | undefined;
  readonly kvLoraRank: number;
  readonly qkNopeHeadDim: number;
  readonly qkRopeHeadDim: number;
  readonly vHeadDim: number;
}

export interface ModelShape {
  readonly vocab: number;
  readonly hidden: number;
  /** Decoder layers of the main model (dense + MoE). */
  readonly layers: number;
  readonly tiedEmbeddings: boolean;
  readonly attention: GroupedAttention | LatentAttention;
  /** Layers whose FFN is a dense gated MLP of `denseIntermediate` (DeepSeek's first_k_dense_replace). */
  readonly denseLayers: number;
  readonly denseIntermediate: number;
  readonly experts: number;
  readonly topK: number;
  /** Each expert is a gated MLP (gate, up, down) of this width. */
  readonly expertIntermediate: number;
  /** gpt-oss experts carry biases on gate_up (2 × width) and down (hidden). */
  readonly expertBiases: boolean;
  /** Total width of the always-on shared expert MLP (0: none). */
  readonly sharedIntermediate: number;
  /** A sigmoid gate (hidden → 1) scales the shared expert (Qwen2-MoE). */
  readonly sharedGate: boolean;
  readonly routerBias: boolean;
  /** A per-expert selection bias stored with the router (DeepSeek-V3's e_score_correction_bias). */
  readonly selectionBias: boolean;
  /** DeepSeek multi-token-prediction modules stored beside the main model (one MoE layer each). */
  readonly mtpLayers: number;
  /** A non-decoder part the checkpoint holds (Llama 4's vision encoder), counted into the total only. */
  readonly encoder?: { readonly label: string; readonly parameters: number };
  /** Defaults the count relied on, for the hover and `inspect`: "head_dim = hidden_size / num_attention_heads". */
  readonly assumed: readonly string[];
}

/** A config's shape, or why it cannot be counted (a key it does not write). */
export type ShapeResult = { readonly shape: ModelShape } | { readonly unknown: string };

export interface ParameterBreakdown {
  readonly embedding: number;
  readonly unembedding: number;
  readonly attention: number;
  readonly norms: number;
  readonly denseFfn: number;
  readonly routedExperts: number;
  readonly sharedExperts: number;
  readonly routers: number;
  /** Multi-token-prediction modules (not part of `total`, which counts the main model). */
  readonly mtp: number;
}

export interface ParameterCount {
  /** The main model: embeddings, every layer, final norm, output head (MTP modules excluded). */
  readonly total: number;
  /** What one token uses: everything but the experts it is not routed to; both embeddings included. */
  readonly active: number;
  readonly breakdown: ParameterBreakdown;
  readonly moeLayers: number;
}

const linear = (inputs: number, outputs: number, bias = false): number => inputs * outputs + (bias ? outputs : 0);
const gatedMlp = (hidden: number, width: number): number => 3 * hidden * width;

function attentionParameters(shape: ModelShape): number {
  const { hidden } = shape;
  const a = shape.attention;
  if (a.kind === 'gqa') {
    const q = a.heads * a.headDim;
    const kv = a.kvHeads * a.headDim;
    const norms = a.qkNorm === 'per-head' ? 2 * a.headDim : a.qkNorm === 'full' ? q + kv : 0;
    return linear(hidden, q, a.qkvBias) + 2 * linear(hidden, kv, a.qkvBias) + linear(q, hidden, a.outBias) + norms + (a.sinks ? a.heads : 0);
  }
  const qkHead = a.qkNopeHeadDim + a.qkRopeHeadDim;
  const q = a.qLoraRank === undefined ? linear(hidden, a.heads * qkHead) : linear(hidden, a.qLoraRank) + a.qLoraRank + linear(a.qLoraRank, a.heads * qkHead);
  const kv = linear(hidden, a.kvLoraRank + a.qkRopeHeadDim) + a.kvLoraRank + linear(a.kvLoraRank, a.heads * (a.qkNopeHeadDim + a.vHeadDim));
  return q + kv + linear(a.heads * a.vHeadDim, hidden);
}

function oneExpert(shape: ModelShape): number {
  return gatedMlp(shape.hidden, shape.expertIntermediate) + (shape.expertBiases ? 2 * shape.expertIntermediate + shape.hidden : 0);
}

function routerParameters(shape: ModelShape): number {
  return linear(shape.hidden, shape.experts, shape.routerBias) + (shape.selectionBias ? shape.experts : 0);
}

function sharedParameters(shape: ModelShape): number {
  return shape.sharedIntermediate > 0 ? gatedMlp(shape.hidden, shape.sharedIntermediate) + (shape.sharedGate ? shape.hidden : 0) : 0;
}

export function countParameters(shape: ModelShape): ParameterCount {
  const { hidden, layers } = shape;
  // More dense layers written than layers (basetenlabs' `n_layers=2, n_dense_layers=3`): every layer is dense.
  const denseLayers = Math.min(Math.max(shape.denseLayers, 0), layers);
  const moeLayers = layers - denseLayers;
  const embedding = shape.vocab * hidden;
  const unembedding = shape.tiedEmbeddings ? 0 : shape.vocab * hidden;
  const attentionPerLayer = attentionParameters(shape);
  const expertsPerMoeLayer = shape.experts * oneExpert(shape);
  const breakdown: ParameterBreakdown = {
    embedding,
    unembedding,
    attention: layers * attentionPerLayer,
    // Two norms per layer (before attention, before the FFN) and the final one.
    norms: (2 * layers + 1) * hidden,
    denseFfn: denseLayers * gatedMlp(hidden, shape.denseIntermediate),
    routedExperts: moeLayers * expertsPerMoeLayer,
    sharedExperts: moeLayers * sharedParameters(shape),
    routers: moeLayers * routerParameters(shape),
    // DeepSeek's MTP module: two norms and a 2H → H projection before one MoE layer, and its own output norm.
    mtp: shape.mtpLayers * (3 * hidden + linear(2 * hidden, hidden) + attentionParameters(shape) + 2 * hidden + expertsPerMoeLayer + sharedParameters(shape) + routerParameters(shape)),
  };
  const total = embedding + unembedding + breakdown.attention + breakdown.norms + breakdown.denseFfn + breakdown.routedExperts + breakdown.sharedExperts + breakdown.routers;
  const idleExperts = moeLayers * Math.max(0, shape.experts - shape.topK) * oneExpert(shape);
  return { total, active: total - idleExperts, breakdown, moeLayers };
}

/** Bytes per element of a declared dtype, or undefined for one MoE Lens does not size (quantised formats). */
export function dtypeBytes(dtype: string): number | undefined {
  const name = dtype.toLowerCase().replace(/^torch\./, '');
  if (['float32', 'fp32', 'float'].includes(name)) return 4;
  if (['bfloat16', 'bf16', 'float16', 'fp16', 'half'].includes(name)) return 2;
  if (['float8_e4m3fn', 'fp8', 'float8'].includes(name)) return 1;
  return undefined;
}

/** Expert weights one rank holds when `expertParallel` ranks share a layer's experts evenly. */
export function expertBytesPerRank(count: { readonly breakdown: Pick<ParameterBreakdown, 'routedExperts'> }, experts: number, expertParallel: number, bytesPerElement: number): number | undefined {
  if (expertParallel < 1 || experts % expertParallel !== 0) return undefined;
  return (count.breakdown.routedExperts * bytesPerElement) / expertParallel;
}

/** The counts as one sentence: "116.8B total, 5.13B active (…); gpt-oss-120b publishes 116.8B / 5.13B". */
export function parametersSentence(
  p: { readonly total: number; readonly active: number; readonly convention: string; readonly published?: { readonly model: string; readonly total: number; readonly active: number } },
  strong: (text: string) => string = (text) => text,
): string {
  const published = p.published ? `; ${p.published.model} publishes ${formatParameters(p.published.total)} / ${formatParameters(p.published.active)}` : '';
  return `${strong(formatParameters(p.total))} total, ${strong(formatParameters(p.active))} active (${p.convention})${published}`;
}

/** "116.8B", "3.35B", "37B", "872M": how people write parameter counts. */
export function formatParameters(n: number): string {
  // Trailing zeros of the decimals only: 671.0 → 671, 100 stays 100.
  const trim = (x: number, digits: number): string => x.toFixed(digits).replace(/\.(\d*?)0+$/, (_, kept: string) => (kept ? `.${kept}` : ''));
  if (n >= 1e9) return `${trim(n / 1e9, n >= 1e11 ? 1 : 2)}B`;
  if (n >= 1e6) return `${trim(n / 1e6, 0)}M`;
  return n.toLocaleString('en-US');
}

/** "57.4 GiB": bytes as memory is sized. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
