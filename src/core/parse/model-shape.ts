/**
 * A model's shape (for parameter arithmetic) from the keys a config writes: a `config.json` per `model_type`,
 * following the modules transformers builds for it (modeling_<type>.py); DeepSeek's and OpenAI's own configs;
 * torchtitan's DeepSeek-V3 model args, which use DeepSeek's names. A key the file does not write takes only a
 * default the config class declares, and the shape says so in `assumed`; any other missing key leaves the
 * shape unknown, with the key named.
 */
import type { GroupedAttention, ModelShape, ShapeResult } from '../model/parameters';
import type { Site } from '../model/router-spec';

/** A key's value as the config gives it: undefined where it gives none, NaN where it is not a plain value. */
export type Reader = (key: string) => number | boolean | null | undefined;

/** Thrown inside a recipe when a key it needs is not written: becomes `{ unknown }`. */
class MissingKey {
  constructor(readonly reason: string) {}
}

interface Keys {
  /** A number the file writes; else the class default given, recorded as assumed; else the shape is unknown. */
  num(key: string, fallback?: { value: number; label: string }): number;
  bool(key: string, fallback: { value: boolean; label: string }): boolean;
  /** A number, or undefined where the file writes null (an optional projection, e.g. DeepSeek's q_lora_rank). */
  optional(key: string): number | undefined;
  /** A list of layer indices (`mlp_only_layers`), or undefined where the file does not write it. */
  layerList(key: string): readonly number[] | undefined;
  /** The first of several spellings the file writes (else the first), for a key transformers renamed. */
  spelling(...keys: readonly string[]): string;
  assumed: string[];
}

/** A JSON array of integers as written, `'invalid'` for anything else, undefined where the key is absent. */
export type ListReader = (key: string) => readonly number[] | 'invalid' | undefined;

function keysOf(read: Reader, lists: ListReader, missing: (key: string) => string): Keys {
  const assumed: string[] = [];
  return {
    assumed,
    spelling(...keys) {
      return keys.find((key) => read(key) !== undefined) ?? keys[0]!;
    },
    num(key, fallback) {
      const value = read(key);
      if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
      // transformers writes an unset optional as null (`"head_dim": null`), and the model falls back as if absent
      // (`getattr(config, "head_dim", None) or hidden_size // num_attention_heads`, modeling_mixtral.py).
      if ((value === undefined || value === null) && fallback) {
        assumed.push(`${key} = ${fallback.value} (${fallback.label})`);
        return fallback.value;
      }
      throw new MissingKey(value === undefined ? missing(key) : `\`${key}\` is not a whole number ≥ 0`);
    },
    bool(key, fallback) {
      const value = read(key);
      if (typeof value === 'boolean') return value;
      if (value === undefined) {
        assumed.push(`${key} = ${fallback.value ? 'true' : 'false'} (${fallback.label})`);
        return fallback.value;
      }
      throw new MissingKey(`\`${key}\` is not true or false`);
    },
    optional(key) {
      const value = read(key);
      if (value === null) return undefined;
      if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
      throw new MissingKey(value === undefined ? missing(key) : `\`${key}\` is not a whole number or null`);
    },
    layerList(key) {
      const list = lists(key);
      if (list === 'invalid') throw new MissingKey(`\`${key}\` is not a list of layer numbers`);
      return list;
    },
  };
}

const T = 'transformers';

/** head_dim when the file has none: transformers computes hidden_size // num_attention_heads. */
function headDim(k: Keys, hidden: number, heads: number): number {
  return k.num('head_dim', { value: Math.floor(hidden / heads), label: `${T}: hidden_size // num_attention_heads` });
}

function gqa(k: Keys, hidden: number, options: { bias: boolean; qkNorm: GroupedAttention['qkNorm']; sinks?: boolean; biasLabel: string; readsBias?: boolean }): GroupedAttention {
  const heads = k.num('num_attention_heads');
  // A model whose attention has no bias switch (Mixtral) does not read `attention_bias` at all.
  const bias = options.readsBias === false ? options.bias : k.bool('attention_bias', { value: options.bias, label: options.biasLabel });
  return { kind: 'gqa', heads, kvHeads: k.num('num_key_value_heads', { value: heads, label: `${T}: num_attention_heads` }), headDim: headDim(k, hidden, heads), qkvBias: bias, outBias: bias, qkNorm: options.qkNorm, sinks: options.sinks ?? false };
}

const noShared = { sharedIntermediate: 0, sharedGate: false, mtpLayers: 0, expertBiases: false, routerBias: false, selectionBias: false } as const;

/** The recipe of each model_type counted: its modules as transformers builds them. */
const RECIPES: Record<string, (k: Keys) => Omit<ModelShape, 'assumed'>> = {
  // modeling_gpt_oss.py: q/k/v/o with bias (attention_bias, default True), sinks per head; the router is a
  // Linear with bias; experts hold gate_up [E, H, 2I] + bias [E, 2I] and down [E, I, H] + bias [E, H].
  gpt_oss: (k) => {
    const hidden = k.num('hidden_size');
    return {
      vocab: k.num('vocab_size'),
      hidden,
      layers: k.num('num_hidden_layers'),
      tiedEmbeddings: k.bool('tie_word_embeddings', { value: false, label: `${T} GptOssConfig default` }),
      attention: gqa(k, hidden, { bias: true, qkNorm: 'none', sinks: true, biasLabel: `${T} GptOssConfig default` }),
      denseLayers: 0,
      denseIntermediate: 0,
      experts: k.num('num_local_experts'),
      topK: k.num('num_experts_per_tok'),
      expertIntermediate: k.num('intermediate_size'),
      ...noShared,
      expertBiases: true,
      routerBias: true,
    };
  },
  // modeling_deepseek_v3.py: MLA; layers below first_k_dense_replace are dense MLPs of intermediate_size; MoE
  // layers have n_routed_experts + n_shared_experts × moe_intermediate_size, a gate without bias and the
  // e_score_correction_bias. num_nextn_predict_layers MTP modules ship in the checkpoint beside the main model.
  deepseek_v3: (k) => deepseek(k, true),
  deepseek_v2: (k) => deepseek(k, false),
  // modeling_qwen3_moe.py: q/k RMSNorm one head wide; layer i is sparse unless listed in mlp_only_layers, when
  // (i + 1) % decoder_sparse_step == 0.
  qwen3_moe: (k) => {
    const hidden = k.num('hidden_size');
    const layers = k.num('num_hidden_layers');
    const step = k.num('decoder_sparse_step', { value: 1, label: `${T} Qwen3MoeConfig default` });
    const mlpOnly = new Set(k.layerList('mlp_only_layers') ?? []);
    // Counted, not iterated: a hostile layer count must not become a loop (issue #14).
    const sparse = step > 0 ? Math.floor(layers / step) - [...mlpOnly].filter((i) => i >= 0 && i < layers && (i + 1) % step === 0).length : 0;
    return {
      vocab: k.num('vocab_size'),
      hidden,
      layers,
      tiedEmbeddings: k.bool('tie_word_embeddings', { value: false, label: `${T} Qwen3MoeConfig default` }),
      attention: gqa(k, hidden, { bias: false, qkNorm: 'per-head', biasLabel: `${T} Qwen3MoeConfig default` }),
      denseLayers: layers - sparse,
      denseIntermediate: layers - sparse > 0 ? k.num('intermediate_size') : 0,
      // transformers 5.x saves it as `num_local_experts` (Qwen3MoeConfig.attribute_map).
      experts: k.num(k.spelling('num_experts', 'num_local_experts')),
      topK: k.num('num_experts_per_tok'),
      expertIntermediate: k.num('moe_intermediate_size'),
      ...noShared,
    };
  },
  // modeling_mixtral.py: no biases (MixtralAttention has no attention_bias), no q/k norm.
  mixtral: (k) => everyLayerSparse(k, { config: 'MixtralConfig', experts: 'num_local_experts', qkNorm: 'none', readsAttentionBias: false }),
  // modeling_olmoe.py: q_norm over all query heads and k_norm over all key heads (RMSNorm of the projection).
  olmoe: (k) => everyLayerSparse(k, { config: 'OlmoeConfig', experts: 'num_experts', qkNorm: 'full', readsAttentionBias: true }),
  // modeling_llama4.py (text model only): every interleave_moe_layer_step-th layer is MoE (experts of
  // intermediate_size, a shared expert of the same width, a Linear router without bias); the others are dense
  // MLPs of intermediate_size_mlp. The q/k L2 norm has no weights.
  llama4: (k) => llama4(k),
  llama4_text: (k) => llama4(k),
  // OpenAI's own gpt-oss ModelConfig (gpt_oss/torch/model.py): the same modules as transformers' gpt_oss.
  'openai-gpt-oss': (k) => {
    const hidden = k.num('hidden_size');
    const heads = k.num('num_attention_heads');
    return {
      vocab: k.num('vocab_size'),
      hidden,
      layers: k.num('num_hidden_layers'),
      tiedEmbeddings: false,
      attention: { kind: 'gqa', heads, kvHeads: k.num('num_key_value_heads'), headDim: k.num('head_dim'), qkvBias: true, outBias: true, qkNorm: 'none', sinks: true },
      denseLayers: 0,
      denseIntermediate: 0,
      experts: k.num('num_experts'),
      topK: k.num('experts_per_token'),
      expertIntermediate: k.num('intermediate_size'),
      ...noShared,
      expertBiases: true,
      routerBias: true,
    };
  },
  // DeepSeek's inference ModelArgs (inference/model.py): n_dense_layers dense MLPs of inter_dim, then MoE
  // layers of moe_inter_dim experts and n_shared_experts; q_lora_rank 0 means no q compression.
  'deepseek-official': (k) => {
    const qLora = k.num('q_lora_rank');
    const hidden = k.num('dim');
    return {
      vocab: k.num('vocab_size'),
      hidden,
      layers: k.num('n_layers'),
      tiedEmbeddings: false,
      attention: { kind: 'mla', heads: k.num('n_heads'), qLoraRank: qLora === 0 ? undefined : qLora, kvLoraRank: k.num('kv_lora_rank'), qkNopeHeadDim: k.num('qk_nope_head_dim'), qkRopeHeadDim: k.num('qk_rope_head_dim'), vHeadDim: k.num('v_head_dim') },
      denseLayers: k.num('n_dense_layers'),
      denseIntermediate: k.num('inter_dim'),
      experts: k.num('n_routed_experts'),
      topK: k.num('n_activated_experts'),
      expertIntermediate: k.num('moe_inter_dim'),
      ...noShared,
      sharedIntermediate: k.num('n_shared_experts') * k.num('moe_inter_dim'),
      // Gate.bias exists only when dim == 7168 (the V3 shape).
      selectionBias: hidden === 7168,
    };
  },
};

/** Every layer's FFN is the sparse block, with no shared expert and no expert biases (Mixtral, OLMoE). */
function everyLayerSparse(k: Keys, o: { config: string; experts: string; qkNorm: GroupedAttention['qkNorm']; readsAttentionBias: boolean }): Omit<ModelShape, 'assumed'> {
  const hidden = k.num('hidden_size');
  const attention = gqa(k, hidden, { bias: false, qkNorm: o.qkNorm, biasLabel: `${T} ${o.config} default`, readsBias: o.readsAttentionBias });
  return {
    vocab: k.num('vocab_size'),
    hidden,
    layers: k.num('num_hidden_layers'),
    tiedEmbeddings: k.bool('tie_word_embeddings', { value: false, label: `${T} ${o.config} default` }),
    attention,
    denseLayers: 0,
    denseIntermediate: 0,
    experts: k.num(o.experts),
    topK: k.num('num_experts_per_tok'),
    expertIntermediate: k.num('intermediate_size'),
    ...noShared,
  };
}

function deepseek(k: Keys, selectionBias: boolean): Omit<ModelShape, 'assumed'> {
  const hidden = k.num('hidden_size');
  const layers = k.num('num_hidden_layers');
  const firstDense = k.num('first_k_dense_replace');
  const freq = k.num('moe_layer_freq', { value: 1, label: `${T} DeepseekV3Config default` });
  // Multiples of freq in [first_k_dense_replace, layers), counted rather than iterated (a hostile count is no loop).
  const sparse = freq > 0 && layers > firstDense ? Math.ceil(layers / freq) - Math.ceil(firstDense / freq) : 0;
  const moeWidth = k.num('moe_intermediate_size');
  return {
    vocab: k.num('vocab_size'),
    hidden,
    layers,
    tiedEmbeddings: k.bool('tie_word_embeddings', { value: false, label: `${T} DeepseekV3Config default` }),
    attention: { kind: 'mla', heads: k.num('num_attention_heads'), qLoraRank: k.optional('q_lora_rank'), kvLoraRank: k.num('kv_lora_rank'), qkNopeHeadDim: k.num('qk_nope_head_dim'), qkRopeHeadDim: k.num('qk_rope_head_dim'), vHeadDim: k.num('v_head_dim') },
    denseLayers: layers - sparse,
    denseIntermediate: k.num('intermediate_size'),
    experts: k.num('n_routed_experts'),
    topK: k.num('num_experts_per_tok'),
    expertIntermediate: moeWidth,
    ...noShared,
    sharedIntermediate: k.num('n_shared_experts', { value: 1, label: `${T} DeepseekV3Config default` }) * moeWidth,
    selectionBias,
    mtpLayers: k.num('num_nextn_predict_layers', { value: 0, label: 'not written: no MTP module counted' }),
  };
}

function llama4(k: Keys): Omit<ModelShape, 'assumed'> {
  const hidden = k.num('hidden_size');
  const layers = k.num('num_hidden_layers');
  const step = k.num('interleave_moe_layer_step', { value: 1, label: `${T} Llama4TextConfig default` });
  // Llama4TextConfig: moe_layers, else every step-th layer counting from step - 1.
  const listed = k.layerList('moe_layers');
  const moeLayers = listed ? new Set(listed.filter((i) => i >= 0 && i < layers)).size : step > 0 ? Math.floor(layers / step) : 0;
  const width = k.num('intermediate_size');
  return {
    vocab: k.num('vocab_size'),
    hidden,
    layers,
    tiedEmbeddings: k.bool('tie_word_embeddings', { value: false, label: `${T} Llama4TextConfig default` }),
    attention: gqa(k, hidden, { bias: false, qkNorm: 'none', biasLabel: `${T} Llama4TextConfig default` }),
    denseLayers: layers - moeLayers,
    denseIntermediate: layers - moeLayers > 0 ? k.num('intermediate_size_mlp') : 0,
    experts: k.num('num_local_experts'),
    topK: k.num('num_experts_per_tok'),
    expertIntermediate: width,
    ...noShared,
    sharedIntermediate: width,
  };
}

/**
 * Llama 4's vision encoder from its `vision_config` (modeling_llama4.py): an unfold patch projection without
 * bias, a class embedding and (image_size / patch_size)² + 1 position embeddings, LayerNorms before and after,
 * ViT layers (q/k/v/o and fc1/fc2 with biases, two LayerNorms), the pixel-shuffle adapter's two bias-free
 * Linears, and the projector into the text model's hidden size.
 */
export function llama4VisionParameters(sites: readonly Site[], textHidden: number): number | undefined {
  const value = (key: string): number | undefined => {
    const literal = [...sites].reverse().find((s) => s.key === key)?.literal;
    return literal && (literal.kind === 'int' || (literal.kind === 'float' && Number.isInteger(literal.value))) ? literal.value : undefined;
  };
  const [hidden, width, layers, patch, image, channels, projectorIn, projectorOut, output] = ['hidden_size', 'intermediate_size', 'num_hidden_layers', 'patch_size', 'image_size', 'num_channels', 'projector_input_dim', 'projector_output_dim', 'vision_output_dim'].map(value);
  if ([hidden, width, layers, patch, image, projectorIn, projectorOut, output].some((v) => v === undefined || v <= 0)) return undefined;
  const h = hidden!;
  const layerNorm = 2 * h;
  const layer = 4 * (h * h + h) + (h * width! + width!) + (width! * h + h) + 2 * layerNorm;
  const positions = (Math.floor(image! / patch!) ** 2 + 1) * h;
  const patchEmbedding = (channels ?? 3) * patch! * patch! * h;
  const adapter = width! * projectorIn! + projectorIn! * projectorOut!;
  return patchEmbedding + h + positions + 2 * layerNorm + layers! * layer + adapter + output! * textHidden;
}

/**
 * A written value as a recipe reads it: a whole number (a float only when whole), a boolean, null for `None`, NaN
 * for anything else. Takes a JSON/YAML literal or a value the Python evaluator computed (same kinds).
 */
export function readerValue(value: { readonly kind: string; readonly value?: unknown } | undefined): ReturnType<Reader> {
  if (!value) return undefined;
  if (value.kind === 'int' && typeof value.value === 'number') return value.value;
  if (value.kind === 'float' && typeof value.value === 'number') return Number.isInteger(value.value) ? value.value : Number.NaN;
  if (value.kind === 'bool' && typeof value.value === 'boolean') return value.value;
  if (value.kind === 'none') return null;
  return Number.NaN;
}

/** The shape a reader's keys describe, by one of the recipes above. */
export function shapeFromReader(
  recipeName: string,
  read: Reader,
  lists: ListReader = () => undefined,
  encoder?: ModelShape['encoder'],
  missing: (key: string) => string = (key) => `the file does not set \`${key}\``,
): ShapeResult | undefined {
  const recipe = RECIPES[recipeName];
  if (!recipe) return undefined;
  const keys = keysOf(read, lists, missing);
  try {
    return { shape: { ...recipe(keys), assumed: keys.assumed, ...(encoder ? { encoder } : {}) } };
  } catch (error) {
    if (error instanceof MissingKey) return { unknown: error.reason };
    throw error;
  }
}

/** The shape a config's key/value sites describe (last one wins), lists through `lists`. */
export function shapeFromSites(dialectName: string, sites: readonly Site[], lists: ListReader = () => undefined, encoder?: ModelShape['encoder']): ShapeResult | undefined {
  if (!(dialectName in RECIPES)) return undefined;
  const byKey = new Map<string, Site>();
  for (const site of sites) byKey.set(site.key, site);
  return shapeFromReader(dialectName, (key) => readerValue(byKey.get(key)?.literal), lists, encoder);
}
