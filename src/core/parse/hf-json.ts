/**
 * Hugging Face `config.json` (by `model_type`), DeepSeek's official inference config (`n_activated_experts`)
 * and OpenAI's original gpt-oss format (`experts_per_token`). Parsed with jsonc-parser, which keeps offsets
 * and never throws. Mapping: shared/design/router-spec.md, facts: research §2, §3.
 */
import { findNodeAtLocation, parseTree, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import { readableAsPython } from './json-non-finite';
import { isDeepSeekOfficial, literalText, unknownUnlessWritten, type Field, type Framework, type GroupScore, type Literal, type Normalize, type Order, type RouterCapacity, type RouterSpec, type SelectionBias, type Site, type UnknownKey } from '../model/router-spec';
import { nearMissKeys } from '../model/near-miss';
import type { SourceRange } from '../text/source';
import { familyFromHints } from '../model/family';
import { llama4VisionParameters, shapeFromSites } from './model-shape';

export interface JsonAnalysis {
  readonly specs: RouterSpec[];
  readonly errors: { range: SourceRange; message: string }[];
  /** Where the file, read whole, is still no JSON Python's json module loads (a comment, a trailing comma). */
  readonly pythonRefuses?: { range: SourceRange; message: string; detail: string };
}

/** Keys that mark a JSON object as an MoE config. */
const EXPERT_KEYS = ['num_local_experts', 'n_routed_experts', 'num_experts', 'moe_num_experts'];

/** The sites of the keys a dialect's hook asks for (aliases included), in text order. */
type SitesFor = (keys: readonly string[]) => Site[];

interface Dialect {
  readonly framework: Framework;
  readonly experts: readonly string[];
  readonly topK: readonly string[];
  readonly order: Order;
  readonly scoreFunc: { keys: readonly string[]; fixed?: string; default: string; defaultLabel: string };
  readonly routerBias: boolean;
  readonly selectionBias: SelectionBias;
  /** `defaults`: the config class's, where they group experts (DeepseekV3Config: 8 groups, 4 kept); else none. */
  readonly groups?: { count: string; selected: string; score: GroupScore; defaults?: { count: number; selected: number; label: string } };
  readonly normalize: { key?: string; whenTrue: Normalize; whenFalse: Normalize; default: boolean; defaultLabel: string };
  readonly scale?: { key: string; default: number; defaultLabel: string };
  /** Keys are read inside this object (llama4's `text_config`, dbrx's `ffn_config`) when present there. */
  readonly nested?: string;
  /** An older spelling of `nested` the config class still reads where the file has no `nested` object (`llm_config`). */
  readonly legacyNested?: string;
  /**
   * The model's own keys (`d_model`, `n_layers`, `_name_or_path`) sit at the top level beside the `nested` router
   * object (DbrxConfig: only the FFN's keys are in `ffn_config`); a wrapper's are in its nested text model.
   */
  readonly modelKeysAtTop?: true;
  /** Groups limit the choice only with `topk_method` "group_limited_greedy" (DeepSeek-V2's gate): see deepseekV2Reading. */
  readonly groupsOnlyGroupLimited?: true;
  /** Keys the reader reads that are one or two letters from a routing key (never reported as near misses). */
  readonly ownKeys?: readonly string[];
  /**
   * Other spellings the config class reads for the groups' or the renormalisation's key (its `attribute_map`): a
   * file may write either, and two that disagree are an alias conflict (MOE009), as for the expert count. Which one
   * is read where both are written is SET_LAST's, as for the expert count.
   */
  readonly aliases?: Readonly<Record<string, readonly string[]>>;
  /** A top-k the router's code fixes whatever the file writes (PhiMoE's sparsemixer picks two): value and where. */
  readonly topKFixed?: { readonly value: number; readonly label: string };
  /** The top-k key holds a list whose first element the router reads (Hunyuan's per-layer `moe_topk`). */
  readonly topKFirstOfList?: true;
  /** The router drops what an expert receives beyond a capacity (RouterSpec.routerCapacity). */
  readonly routerCapacity?: RouterCapacity;
  /** The gate sees the token normed (RouterSpec.tokenNorm): the norm's epsilon key, and the router's code. */
  readonly tokenNorm?: { readonly epsilonKey: string; readonly source: string };
  /** A learned scale per expert multiplies each chosen weight (RouterSpec.expertScale): the router's code. */
  readonly expertScale?: string;
  /** Where the router's code says its selection bias comes from (else "<framework> router"). */
  readonly selectionBiasLabel?: string;
  /** A key that switches the selection bias off when false (LFM2-MoE's `use_expert_bias`, true by default). */
  readonly selectionBiasSwitch?: string;
  /**
   * Where the score function read from the file is not the whole story (readers that disagree, a logit transform MoE
   * Lens does not model): the field as it is then, given the sites of any keys the check reads.
   */
  readonly readScore?: (score: Field<string>, sitesFor: SitesFor) => Field<string>;
  /**
   * Where a key the file writes changes the selection bias, the scale or the groups in a way the table cannot say (a
   * switch, a factor that also halves the shared experts, another group mask): why that field is unknown for this file.
   */
  readonly unknownWhen?: (sitesFor: SitesFor) => { readonly selectionBias?: string; readonly scale?: string; readonly groups?: string };
}

/** `norm_topk_prob`: renormalise the k weights when true (`when`: some remote gates only for k > 1). */
function normTopkProb(byDefault: boolean, defaultLabel: string, when: Normalize = 'always'): Dialect['normalize'] {
  return { key: 'norm_topk_prob', whenTrue: when, whenFalse: 'never', default: byDefault, defaultLabel };
}

/** A score function the router hard-codes; `keys`: where a config may write one, which the router does not read. */
function hardCodedScore(fn: string, defaultLabel: string, keys: readonly string[] = []): Dialect['scoreFunc'] {
  return { keys, fixed: fn, default: fn, defaultLabel };
}

const NO_NORMALIZE = { whenTrue: 'never', whenFalse: 'never', default: false, defaultLabel: '' } as const;

/** Renormalisation the router's code decides alone: no key of the file changes it (`label`: where it does so). */
function hardCodedNormalize(when: Normalize, label: string): Dialect['normalize'] {
  return { whenTrue: when, whenFalse: when, default: when !== 'never', defaultLabel: label };
}

const DEEPSEEK_V4 = 'DeepSeek-V4 inference model.py (tenstorrent/tt-forge-models @3d75521 deepseek_v4/original_model)';

/** Keys of DeepSeek-V4's inference `ModelArgs` that V3's lacks (its `ModelArgs(**config)` would raise on them). */
const DEEPSEEK_V4_KEYS = ['n_hash_layers', 'hc_mult', 'compress_ratios'];

const DIALECTS: Record<string, Dialect> = {
  gpt_oss: {
    framework: 'hf:gpt_oss',
    experts: ['num_local_experts', 'num_experts'],
    topK: ['num_experts_per_tok', 'experts_per_token'],
    order: 'topk-then-score',
    scoreFunc: hardCodedScore('softmax', 'GptOssTopKRouter (softmax over the top-k logits)'),
    routerBias: true,
    selectionBias: 'none',
    normalize: NO_NORMALIZE,
  },
  deepseek_v3: {
    framework: 'hf:deepseek_v3',
    experts: ['n_routed_experts', 'num_local_experts'],
    topK: ['num_experts_per_tok'],
    order: 'score-then-topk',
    scoreFunc: hardCodedScore('sigmoid', 'DeepseekV3TopkRouter (sigmoid is hard-coded)', ['scoring_func']),
    routerBias: false,
    selectionBias: 'static',
    groups: { count: 'n_group', selected: 'topk_group', score: 'top2-sum', defaults: { count: 8, selected: 4, label: 'transformers 5.18.0 DeepseekV3Config.n_group = 8, topk_group = 4 (configuration_deepseek_v3.py L98-99)' } },
    normalize: normTopkProb(true, 'transformers DeepseekV3Config.norm_topk_prob'),
    scale: { key: 'routed_scaling_factor', default: 2.5, defaultLabel: 'transformers DeepseekV3Config.routed_scaling_factor' },
  },
  deepseek_v2: {
    framework: 'hf:deepseek_v2',
    experts: ['n_routed_experts'],
    topK: ['num_experts_per_tok'],
    order: 'score-then-topk',
    // transformers' DeepseekV2TopkRouter hard-codes softmax (5.18.0 modeling_deepseek_v2.py L101); the remote MoEGate
    // raises NotImplementedError on any other scoring_func.
    scoreFunc: hardCodedScore('softmax', 'DeepSeek-V2 router: softmax (hard-coded in transformers\' DeepseekV2TopkRouter; the remote MoEGate raises on any other scoring_func)', ['scoring_func']),
    routerBias: false,
    selectionBias: 'none',
    // Groups limit the choice only with topk_method "group_limited_greedy" (default "greedy"): see deepseekV2Reading.
    groups: { count: 'n_group', selected: 'topk_group', score: 'max' },
    groupsOnlyGroupLimited: true,
    normalize: normTopkProb(false, 'DeepSeek-V2 norm_topk_prob default'),
    scale: { key: 'routed_scaling_factor', default: 1, defaultLabel: 'DeepSeek-V2 routed_scaling_factor default' },
  },
  qwen3_moe: {
    framework: 'hf:qwen3_moe',
    // transformers 5.x saves the expert count as `num_local_experts` (attribute_map num_experts → num_local_experts).
    experts: ['num_experts', 'num_local_experts'],
    topK: ['num_experts_per_tok'],
    order: 'score-then-topk',
    scoreFunc: hardCodedScore('softmax', 'Qwen3MoeSparseMoeBlock (softmax)'),
    routerBias: false,
    selectionBias: 'none',
    normalize: normTopkProb(false, 'transformers Qwen3MoeConfig.norm_topk_prob (class default False)'),
  },
  mixtral: {
    framework: 'hf:mixtral',
    // MixtralConfig.attribute_map reads `num_experts` as `num_local_experts` (transformers 5.18.0 configuration_mixtral.py L66).
    experts: ['num_local_experts', 'num_experts'],
    topK: ['num_experts_per_tok'],
    order: 'score-then-topk',
    scoreFunc: hardCodedScore('softmax', 'MixtralSparseMoeBlock (softmax)'),
    routerBias: false,
    selectionBias: 'none',
    normalize: hardCodedNormalize('always', 'MixtralSparseMoeBlock always renormalises'),
  },
  llama4: {
    framework: 'hf:llama4',
    experts: ['num_local_experts'],
    topK: ['num_experts_per_tok'],
    order: 'topk-then-score',
    scoreFunc: hardCodedScore('sigmoid', 'Llama4Router (sigmoid over the top-k logits)'),
    routerBias: false,
    selectionBias: 'none',
    normalize: NO_NORMALIZE,
    nested: 'text_config',
  },
  dbrx: {
    framework: 'hf:dbrx',
    experts: ['moe_num_experts'],
    topK: ['moe_top_k'],
    order: 'score-then-topk',
    scoreFunc: hardCodedScore('softmax', 'DBRX router (softmax)'),
    routerBias: false,
    selectionBias: 'none',
    // Divides by the Lp norm with p = moe_normalize_expert_weights (default 1.0, the sum); None switches it off.
    normalize: { key: 'moe_normalize_expert_weights', whenTrue: 'always', whenFalse: 'never', default: true, defaultLabel: 'transformers 5.18.0 DbrxFFNConfig.moe_normalize_expert_weights = 1.0 (configuration_dbrx.py L79)' },
    nested: 'ffn_config',
    modelKeysAtTop: true,
  },
  'openai-gpt-oss': {
    framework: 'openai:gpt-oss',
    experts: ['num_experts'],
    topK: ['experts_per_token'],
    order: 'topk-then-score',
    scoreFunc: hardCodedScore('softmax', 'gpt-oss MLPBlock (softmax over the top-k logits)'),
    routerBias: true,
    selectionBias: 'none',
    normalize: NO_NORMALIZE,
  },
  // xai-org/grok-1 model.py: Router._compute_routing_prob takes a softmax over all experts (fp32); the MoE
  // layer keeps the top-k of those probabilities as the weights, not renormalised. A `config.json` of
  // `"model_type": "grok-1"` is HPC-AI Tech's PyTorch port (configuration_grok1.py, copied in tenstorrent/tt-metal
  // @a0a0902 models/experimental/grok/reference; vLLM's configs/grok1.py @8dbc899 registers the same class), whose
  // `num_experts_per_tok` is the top-k and whose MoeBlock routes the same way (softmax, top-k, no renormalisation).
  'grok-1': {
    framework: 'xai:grok-1',
    experts: ['num_experts', 'num_local_experts'],
    topK: ['num_selected_experts', 'num_experts_per_tok'],
    order: 'score-then-topk',
    scoreFunc: hardCodedScore('softmax', 'grok-1 Router._compute_routing_prob (softmax over all experts, model.py)'),
    routerBias: false,
    selectionBias: 'none',
    normalize: hardCodedNormalize('never', 'grok-1 MoE layer (top-k probabilities, not renormalised)'),
  },
  'deepseek-official': {
    framework: 'deepseek-official',
    experts: ['n_routed_experts'],
    topK: ['n_activated_experts'],
    order: 'score-then-topk',
    scoreFunc: { keys: ['score_func'], default: 'softmax', defaultLabel: 'DeepSeek inference ModelArgs.score_func' },
    routerBias: false,
    selectionBias: 'none',
    groups: { count: 'n_expert_groups', selected: 'n_limited_groups', score: 'max-or-top2-with-bias' },
    normalize: hardCodedNormalize('sigmoid-only', 'DeepSeek Gate renormalises only for sigmoid'),
    scale: { key: 'route_scale', default: 1, defaultLabel: 'DeepSeek inference ModelArgs.route_scale' },
  },
  // DeepSeek-V4's own inference format: `n_activated_experts` with V4's keys (`n_hash_layers`, `hc_mult`,
  // `compress_ratios`). Its Gate (tenstorrent/tt-forge-models @3d75521 deepseek_v4/original_model/model.py, DeepSeek's
  // inference code for V4: L46-67 ModelArgs, L705-753 Gate): scores by `score_func` (softmax, sigmoid or
  // sqrtsoftplus, default sqrtsoftplus), adds a bias for choosing on every layer past the first `n_hash_layers`
  // (which route by token id, `tid2eid`), takes the top k, divides their weights by their sum unless softmax, and
  // multiplies by `route_scale`. No expert groups.
  'deepseek-v4-official': {
    framework: 'deepseek-v4-official',
    experts: ['n_routed_experts'],
    topK: ['n_activated_experts'],
    order: 'score-then-topk',
    scoreFunc: { keys: ['score_func'], default: 'sqrtsoftplus', defaultLabel: `${DEEPSEEK_V4}: ModelArgs.score_func = "sqrtsoftplus" (L66)` },
    routerBias: false,
    selectionBias: 'static',
    selectionBiasLabel: `${DEEPSEEK_V4}: Gate.bias, added for choosing on every layer past the first \`n_hash_layers\`, which route by token id (L716-730, L743-748)`,
    normalize: hardCodedNormalize('unless-softmax', `${DEEPSEEK_V4}: Gate divides the k weights by their sum unless softmax (L750-751)`),
    scale: { key: 'route_scale', default: 1, defaultLabel: `${DEEPSEEK_V4}: ModelArgs.route_scale = 1.0 (L67)` },
  },
};
// Qwen2MoeTopKRouter: softmax over all experts, top-k, renormalised where norm_topk_prob (transformers @008e574
// modular_qwen2_moe.py); Qwen2MoeConfig.norm_topk_prob = False (configuration_qwen2_moe.py). OLMoE's router is the same
// class (modular_olmoe.py: `class OlmoeTopKRouter(Qwen2MoeTopKRouter): pass`), OlmoeConfig.norm_topk_prob = False.
const QWEN2_MOE = 'transformers @008e574';
DIALECTS.qwen2_moe = {
  ...DIALECTS.qwen3_moe!,
  framework: 'hf:qwen2_moe',
  // Qwen2MoeConfig has no `num_local_experts` alias (no attribute_map entry; configuration_qwen2_moe.py L98).
  experts: ['num_experts'],
  scoreFunc: hardCodedScore('softmax', `${QWEN2_MOE} Qwen2MoeTopKRouter (softmax, modular_qwen2_moe.py)`),
  normalize: normTopkProb(false, `${QWEN2_MOE} Qwen2MoeConfig.norm_topk_prob = False (configuration_qwen2_moe.py)`),
};

// Read from transformers 5.18.0 (configuration_<type>.py / modeling_<type>.py, line numbers of that release).
const T5 = 'transformers 5.18.0';
const softmaxFirst = (label: string): Dialect['scoreFunc'] => hardCodedScore('softmax', `${label} (softmax over all experts, then top-k)`);
const always = (label: string): Dialect['normalize'] => hardCodedNormalize('always', `${label} always renormalises`);
DIALECTS.qwen3_next = {
  ...DIALECTS.qwen3_moe!,
  framework: 'hf:qwen3_next',
  experts: ['num_experts'],
  scoreFunc: softmaxFirst(`${T5} Qwen3NextSparseMoeBlock (modeling_qwen3_next.py L838-839)`),
  normalize: normTopkProb(true, `${T5} Qwen3NextConfig.norm_topk_prob = True (configuration_qwen3_next.py L119)`),
};
DIALECTS.granitemoe = {
  framework: 'hf:granitemoe',
  experts: ['num_local_experts'],
  topK: ['num_experts_per_tok'],
  order: 'topk-then-score',
  scoreFunc: hardCodedScore('softmax', `${T5} GraniteMoeTopKGating (softmax over the top-k logits, modeling_granitemoe.py L141-142)`),
  routerBias: false,
  selectionBias: 'none',
  normalize: NO_NORMALIZE,
};
DIALECTS.jamba = {
  framework: 'hf:jamba',
  experts: ['num_experts', 'num_local_experts'],
  topK: ['num_experts_per_tok'],
  order: 'score-then-topk',
  scoreFunc: softmaxFirst(`${T5} JambaSparseMoeBlock (modeling_jamba.py L702-703)`),
  routerBias: false,
  selectionBias: 'none',
  normalize: hardCodedNormalize('never', `${T5} JambaSparseMoeBlock does not renormalise`),
};
DIALECTS.ernie4_5_moe = {
  framework: 'hf:ernie4_5_moe',
  experts: ['moe_num_experts', 'num_experts'],
  topK: ['moe_k', 'num_experts_per_tok'],
  order: 'score-then-topk',
  scoreFunc: softmaxFirst(`${T5} Ernie4_5_MoeSparseMoeBlock (modeling_ernie4_5_moe.py L359-361)`),
  routerBias: false,
  // moe_statics.e_score_correction_bias: added for choosing only (modeling_ernie4_5_moe.py L291, L360-361).
  selectionBias: 'static',
  normalize: always(`${T5} Ernie4_5_MoeSparseMoeBlock (modeling_ernie4_5_moe.py L362-364)`),
};
// `moe_topk` may be a per-layer list, the layer's own read (`config.moe_topk[layer_idx]`, HunYuanMoEV1Moe.__init__):
// Hunyuan-A13B's config.json writes one; the first layer's is read, as for `hunyuan`.
DIALECTS.hunyuan_v1_moe = {
  framework: 'hf:hunyuan_v1_moe',
  experts: ['num_experts', 'num_local_experts'],
  topK: ['moe_topk', 'num_experts_per_tok'],
  topKFirstOfList: true,
  order: 'score-then-topk',
  scoreFunc: softmaxFirst(`${T5} HunYuanMoEV1Gate (modeling_hunyuan_v1_moe.py L238-239)`),
  routerBias: false,
  selectionBias: 'none',
  normalize: always(`${T5} HunYuanMoEV1Gate (modeling_hunyuan_v1_moe.py L240)`),
};
DIALECTS.minimax = {
  framework: 'hf:minimax',
  experts: ['num_local_experts', 'num_experts'],
  topK: ['num_experts_per_tok'],
  order: 'score-then-topk',
  scoreFunc: softmaxFirst(`${T5} MiniMaxSparseMoeBlock (modeling_minimax.py L470-471)`),
  routerBias: false,
  selectionBias: 'none',
  normalize: always(`${T5} MiniMaxSparseMoeBlock (modeling_minimax.py L472)`),
};
DIALECTS.minimax_m2 = {
  framework: 'hf:minimax_m2',
  experts: ['num_local_experts', 'num_experts'],
  topK: ['num_experts_per_tok'],
  order: 'score-then-topk',
  scoreFunc: hardCodedScore('sigmoid', `${T5} MiniMaxM2 router (sigmoid, chosen with e_score_correction_bias; modeling_minimax_m2.py L58-60)`),
  routerBias: false,
  selectionBias: 'static',
  normalize: always(`${T5} MiniMaxM2 router (modeling_minimax_m2.py L62)`),
};
DIALECTS.phimoe = {
  framework: 'hf:phimoe',
  experts: ['num_local_experts'],
  topK: ['num_experts_per_tok'],
  order: 'score-then-topk',
  // sparsemixer picks two experts whatever num_experts_per_tok says (modeling_phimoe.py L349-469): MoE Lens
  // has no such router, so route and the preview say they cannot run it.
  scoreFunc: hardCodedScore('sparsemixer', `${T5} PhimoeSparseMoeBlock uses sparsemixer (modeling_phimoe.py L349-469)`),
  topKFixed: { value: 2, label: `${T5} sparsemixer picks two experts, whatever \`num_experts_per_tok\` says (modeling_phimoe.py L349-469)` },
  routerBias: false,
  selectionBias: 'none',
  normalize: NO_NORMALIZE,
};
DIALECTS.glm4_moe = {
  ...DIALECTS.deepseek_v3!,
  // Glm4MoeTopkRouter is DeepseekV3TopkRouter (modular_glm4_moe.py L176); only the defaults differ.
  framework: 'hf:glm4_moe',
  groups: { count: 'n_group', selected: 'topk_group', score: 'top2-sum' },
  normalize: normTopkProb(true, `${T5} Glm4MoeConfig.norm_topk_prob = True (configuration_glm4_moe.py L115)`),
  scale: { key: 'routed_scaling_factor', default: 1, defaultLabel: `${T5} Glm4MoeConfig.routed_scaling_factor = 1.0 (configuration_glm4_moe.py L111)` },
  scoreFunc: hardCodedScore('sigmoid', `${T5} Glm4MoeTopkRouter (sigmoid is hard-coded, modeling_glm4_moe.py L295-296)`),
};
DIALECTS.olmoe = {
  ...DIALECTS.qwen3_moe!,
  framework: 'hf:olmoe',
  scoreFunc: hardCodedScore('softmax', `${QWEN2_MOE} OlmoeTopKRouter, which is Qwen2MoeTopKRouter (softmax, modular_olmoe.py)`),
  normalize: normTopkProb(false, `${QWEN2_MOE} OlmoeConfig.norm_topk_prob = False (configuration_olmoe.py)`),
};
// GLM-4.7-Flash. Glm4MoeLiteTopkRouter and Glm4MoeLiteMoE are Glm4MoeTopkRouter and Glm4MoeMoE; the config's
// defaults differ (transformers @008e574 modular_glm4_moe_lite.py, Glm4MoeLiteConfig).
const GLM4_MOE_LITE = 'transformers @008e574 Glm4MoeLiteConfig (modular_glm4_moe_lite.py)';
DIALECTS.glm4_moe_lite = {
  ...DIALECTS.glm4_moe!,
  framework: 'hf:glm4_moe_lite',
  normalize: normTopkProb(true, `${GLM4_MOE_LITE}.norm_topk_prob = True`),
  scale: { key: 'routed_scaling_factor', default: 1.8, defaultLabel: `${GLM4_MOE_LITE}.routed_scaling_factor = 1.8` },
  scoreFunc: hardCodedScore('sigmoid', 'Glm4MoeLiteTopkRouter is Glm4MoeTopkRouter (sigmoid is hard-coded; transformers @008e574 modular_glm4_moe_lite.py)'),
};
// Nemotron 3 (hybrid Mamba): NemotronHMoE is DeepseekV3MoE and NemotronHTopkRouter is DeepseekV3TopkRouter
// (transformers @008d9e9 modular_nemotron_h.py); NemotronHConfig's defaults (@13923c6 configuration_nemotron_h.py).
// Its `n_groups` is the Mamba mixer's group count, read by NemotronHMamba2Mixer: not a misspelt `n_group`.
const NEMOTRON_H = 'transformers @13923c6 NemotronHConfig (configuration_nemotron_h.py)';
DIALECTS.nemotron_h = {
  ...DIALECTS.deepseek_v3!,
  framework: 'hf:nemotron_h',
  // NemotronHConfig.n_group = 1, topk_group = 1 (L130): no groups unless written.
  groups: { count: 'n_group', selected: 'topk_group', score: 'top2-sum' },
  scoreFunc: hardCodedScore('sigmoid', 'NemotronHTopkRouter is DeepseekV3TopkRouter (sigmoid is hard-coded; transformers @008d9e9 modular_nemotron_h.py)', ['scoring_func']),
  normalize: normTopkProb(true, `${NEMOTRON_H}.norm_topk_prob = True`),
  scale: { key: 'routed_scaling_factor', default: 1, defaultLabel: `${NEMOTRON_H}.routed_scaling_factor = 1.0` },
  ownKeys: ['n_groups'],
};
// Kimi-K2 (`kimi_k2`; also Kimi-K2.5's `text_config`): transformers registers no such type. The config's auto_map runs
// the checkpoint's own modeling_deepseek.py, DeepSeek-V3's hub code of January 2025 with its MoEGate unchanged. Read
// through a copy (mfarisadip/Kimi-K2-Mini @0fd6b81 k2-mini-broken/, the DeepSeek-R1 hub file but for a 4-line import
// patch; three tenstorrent/tt-forge-models copies have the same gate). Only sigmoid and `topk_method` "noaux_tc" are
// implemented (anything else raises NotImplementedError), so the selection bias is always there. The gate masks the
// experts of dropped groups with 0.0, not -inf: Kimi ships n_group = topk_group = 1, where that changes nothing.
const KIMI_GATE = 'Kimi-K2 modeling_deepseek.py MoEGate (remote code; copy at mfarisadip/Kimi-K2-Mini @0fd6b81)';
const KIMI_CONFIG_CLASS = 'Kimi-K2 configuration_deepseek.py DeepseekV3Config (remote code; copy at mfarisadip/Kimi-K2-Mini @0fd6b81)';
DIALECTS.kimi_k2 = {
  framework: 'hf:kimi_k2',
  experts: ['n_routed_experts'],
  topK: ['num_experts_per_tok'],
  order: 'score-then-topk',
  scoreFunc: hardCodedScore('sigmoid', `${KIMI_GATE} L432-437: sigmoid (any other scoring_func raises NotImplementedError)`, ['scoring_func']),
  routerBias: false,
  selectionBias: 'static',
  groups: { count: 'n_group', selected: 'topk_group', score: 'top2-sum', defaults: { count: 8, selected: 4, label: `${KIMI_CONFIG_CLASS} n_group = 8, topk_group = 4 (L139-140)` } },
  normalize: normTopkProb(true, `${KIMI_CONFIG_CLASS}.norm_topk_prob = True (L144), applied when top_k > 1 (MoEGate L471)`, 'when-k>1'),
  scale: { key: 'routed_scaling_factor', default: 2.5, defaultLabel: `${KIMI_CONFIG_CLASS}.routed_scaling_factor = 2.5 (L132)` },
};
// Kimi-K2.5 and K2.6 (`kimi_k25`): the text model's keys sit in `text_config` (model_type kimi_k2). Its remote code
// builds that model from the same modeling_deepseek.py (tenstorrent/tt-forge-models kimi_k2/k2_5 @fcf3eeff); transformers
// 5.18.0's native kimi_k25 builds DeepseekV3Model instead (configuration_kimi_k25.py L83-92), whose router differs
// only where Kimi's values make no difference (groups masked with -inf, renormalised also at k = 1).
DIALECTS.kimi_k25 = { ...DIALECTS.kimi_k2!, framework: 'hf:kimi_k25', nested: 'text_config' };
// Kimi Linear (`kimi_linear`, Kimi-Linear-48B-A3B): transformers 5.18.0 registers it; its KimiLinearTopkRouter is
// DeepSeek-V3's router (sigmoid hard-coded, `e_score_correction_bias` added for choosing, groups by the biased top-2
// sum, renormalised by `norm_topk_prob`, times `routed_scaling_factor`; modeling_kimi_linear.py L717-755), and
// KimiLinearConfig reads the checkpoint's own key names through its attribute_map (num_experts,
// num_experts_per_token, moe_renormalize, num_expert_group; configuration_kimi_linear.py L68-75, defaults L85-107).
// The checkpoint's remote code (auto_map) and vLLM read `moe_router_activation_func`, which the native router does
// not: see kimiLinearScore (its readScore).
const KIMI_LINEAR = `${'transformers 5.18.0'} KimiLinearConfig (configuration_kimi_linear.py)`;
DIALECTS.kimi_linear = {
  framework: 'hf:kimi_linear',
  experts: ['num_experts', 'num_local_experts'],
  topK: ['num_experts_per_token', 'num_experts_per_tok'],
  order: 'score-then-topk',
  scoreFunc: hardCodedScore('sigmoid', 'transformers 5.18.0 KimiLinearTopkRouter (sigmoid is hard-coded, modeling_kimi_linear.py L733)', ['moe_router_activation_func']),
  routerBias: false,
  selectionBias: 'static',
  selectionBiasLabel: 'transformers 5.18.0 KimiLinearTopkRouter.e_score_correction_bias, added for choosing (modeling_kimi_linear.py L728, L734)',
  // n_group = topk_group = 1 by default (L91-92): no groups unless written.
  groups: { count: 'num_expert_group', selected: 'topk_group', score: 'top2-sum' },
  normalize: { key: 'moe_renormalize', whenTrue: 'always', whenFalse: 'never', default: true, defaultLabel: `${KIMI_LINEAR}.norm_topk_prob = True, read as \`moe_renormalize\` (L70, L94)` },
  scale: { key: 'routed_scaling_factor', default: 2.446, defaultLabel: `${KIMI_LINEAR}.routed_scaling_factor = 2.446 (L85)` },
  // attribute_map (L68-75): the fields `norm_topk_prob` and `n_group` stand for these; a file may write either spelling,
  // and where it writes both, these win (set last: SET_LAST; AutoConfig, sweep 34).
  aliases: { moe_renormalize: ['norm_topk_prob'], num_expert_group: ['n_group'] },
  readScore: kimiLinearScore,
};
// dots.llm1 (`dots1`) and K-EXAONE (`exaone_moe`): transformers 5.18.0's routers are DeepSeek-V3's (Dots1TopkRouter
// modeling_dots1.py L279-317, ExaoneMoeTopkRouter modeling_exaone_moe.py L227-265: sigmoid hard-coded, the checkpoint's
// e_score_correction_bias for choosing, groups by the biased top-2 sum); only their config classes' defaults differ.
const DOTS1 = 'transformers 5.18.0 Dots1Config (configuration_dots1.py)';
DIALECTS.dots1 = {
  ...DIALECTS.deepseek_v3!,
  framework: 'hf:dots1',
  scoreFunc: hardCodedScore('sigmoid', 'transformers 5.18.0 Dots1TopkRouter (sigmoid is hard-coded, modeling_dots1.py L295)', ['scoring_func']),
  // n_group = topk_group = 1 (L93-94): no groups unless written.
  groups: { count: 'n_group', selected: 'topk_group', score: 'top2-sum' },
  normalize: normTopkProb(false, `${DOTS1}.norm_topk_prob = False (L97)`),
  scale: { key: 'routed_scaling_factor', default: 1, defaultLabel: `${DOTS1}.routed_scaling_factor = 1.0 (L107)` },
};
const EXAONE_MOE = 'transformers 5.18.0 ExaoneMoeConfig (configuration_exaone_moe.py)';
DIALECTS.exaone_moe = {
  ...DIALECTS.deepseek_v3!,
  framework: 'hf:exaone_moe',
  experts: ['num_experts'],
  scoreFunc: hardCodedScore('sigmoid', 'transformers 5.18.0 ExaoneMoeTopkRouter (sigmoid is hard-coded, modeling_exaone_moe.py L243)'),
  // n_group = topk_group = 1 (L120-121): no groups unless written.
  groups: { count: 'n_group', selected: 'topk_group', score: 'top2-sum' },
  normalize: normTopkProb(true, `${EXAONE_MOE}.norm_topk_prob = True (L118)`),
  scale: { key: 'routed_scaling_factor', default: 2.5, defaultLabel: `${EXAONE_MOE}.routed_scaling_factor = 2.5 (L119)` },
};
// GLM-4.5V / GLM-4.6V (`glm4v_moe`): the text model's keys sit in `text_config` (model_type glm4v_moe_text), routed by
// Glm4vMoeTextTopkRouter, which is Glm4MoeTopkRouter (modular_glm4v_moe.py L205-207); Glm4vMoeTextConfig's defaults are
// Glm4MoeConfig's (configuration_glm4v_moe.py L95-102: norm_topk_prob True, routed_scaling_factor 1.0, groups 1/1).
DIALECTS.glm4v_moe = { ...DIALECTS.glm4_moe!, framework: 'hf:glm4v_moe', nested: 'text_config' };
DIALECTS.glm4v_moe_text = { ...DIALECTS.glm4v_moe, nested: undefined };
// GLM-5 (`glm_moe_dsa`): transformers 5.18.0's GlmMoeDsaTopkRouter is DeepSeek-V3.2's (sigmoid, the checkpoint's
// e_score_correction_bias for choosing, groups by the biased top-2 sum; modeling_glm_moe_dsa.py L481-519), with
// GlmMoeDsaConfig's defaults (configuration_glm_moe_dsa.py L101-111: 256 experts, top-8, scaling 2.5, groups 1/1,
// renormalised); `scoring_func` and `topk_method` are not read.
const GLM_MOE_DSA = 'transformers 5.18.0 GlmMoeDsaConfig (configuration_glm_moe_dsa.py)';
DIALECTS.glm_moe_dsa = {
  ...DIALECTS.deepseek_v3!,
  framework: 'hf:glm_moe_dsa',
  // Its __post_init__ also takes `num_experts` for `n_routed_experts` ("BC: re-route", configuration_glm_moe_dsa.py L160-162).
  experts: ['n_routed_experts', 'num_local_experts', 'num_experts'],
  scoreFunc: hardCodedScore('sigmoid', 'transformers 5.18.0 GlmMoeDsaTopkRouter (sigmoid is hard-coded, modeling_glm_moe_dsa.py L497)', ['scoring_func']),
  groups: { count: 'n_group', selected: 'topk_group', score: 'top2-sum' },
  normalize: normTopkProb(true, `${GLM_MOE_DSA}.norm_topk_prob = True (L111)`),
  scale: { key: 'routed_scaling_factor', default: 2.5, defaultLabel: `${GLM_MOE_DSA}.routed_scaling_factor = 2.5 (L102)` },
};
// DeepSeek-V4 as transformers 5.18.0 reads it (`deepseek_v4`; its own inference format is 'deepseek-v4-official'):
// DeepseekV4TopKRouter scores with ACT2FN[scoring_func] (sqrtsoftplus by default), chooses with the checkpoint's
// e_score_correction_bias, divides the k weights by their sum whatever `norm_topk_prob` says, and multiplies by
// `routed_scaling_factor` (modeling_deepseek_v4.py L1071-1089); the first `mlp_layer_types` "hash_moe" layers (three
// by default) route by token id instead (DeepseekV4HashRouter, L1092-1120). No expert groups. See deepseekV4Score.
const DEEPSEEK_V4_HF = 'transformers 5.18.0 DeepseekV4Config (configuration_deepseek_v4.py)';
DIALECTS.deepseek_v4 = {
  framework: 'hf:deepseek_v4',
  experts: ['n_routed_experts', 'num_local_experts'],
  topK: ['num_experts_per_tok'],
  order: 'score-then-topk',
  scoreFunc: { keys: ['scoring_func'], default: 'sqrtsoftplus', defaultLabel: `${DEEPSEEK_V4_HF}.scoring_func = "sqrtsoftplus" (L151), applied as ACT2FN[scoring_func] (modeling_deepseek_v4.py L1078)` },
  routerBias: false,
  selectionBias: 'static',
  selectionBiasLabel: 'transformers 5.18.0 DeepseekV4TopKRouter.e_score_correction_bias, added for choosing (modeling_deepseek_v4.py L1080, L1086); the first hash layers route by token id (DeepseekV4HashRouter, L1092-1120)',
  normalize: hardCodedNormalize('always', 'transformers 5.18.0 DeepseekV4TopKRouter divides the k weights by their sum whatever norm_topk_prob says (modeling_deepseek_v4.py L1088)'),
  scale: { key: 'routed_scaling_factor', default: 1.5, defaultLabel: `${DEEPSEEK_V4_HF}.routed_scaling_factor = 1.5 (L153)` },
  readScore: deepseekV4Score,
};
// Laguna (`laguna`, poolside's Laguna XS.2): transformers 5.18.0's LagunaTopKRouter scores with a sigmoid, chooses
// with the checkpoint's e_score_correction_bias, divides the k weights by their sum (modeling_laguna.py L158-186), and
// LagunaSparseMoeBlock multiplies the routed output by `moe_routed_scaling_factor` (L245, default 1.0:
// configuration_laguna.py L126). A `moe_router_logit_softcapping` above 0 first squashes the logits with a tanh (L176),
// which MoE Lens does not model: see lagunaScore.
const LAGUNA = 'transformers 5.18.0 LagunaTopKRouter (modeling_laguna.py)';
DIALECTS.laguna = {
  framework: 'hf:laguna',
  experts: ['num_experts'],
  topK: ['num_experts_per_tok'],
  order: 'score-then-topk',
  scoreFunc: hardCodedScore('sigmoid', `${LAGUNA}: sigmoid (L178)`),
  routerBias: false,
  selectionBias: 'static',
  selectionBiasLabel: 'transformers 5.18.0 LagunaTopKRouter.e_score_correction_bias, added for choosing (modeling_laguna.py L165, L180)',
  normalize: hardCodedNormalize('always', `${LAGUNA}: the k weights divided by their sum (L183)`),
  scale: { key: 'moe_routed_scaling_factor', default: 1, defaultLabel: 'transformers 5.18.0 LagunaConfig.moe_routed_scaling_factor = 1.0 (configuration_laguna.py L126)' },
  readScore: lagunaScore,
};
// DeepSeek-V3.2 (`deepseek_v32`, no auto_map): transformers 5.18.0's DeepseekV32TopkRouter is DeepSeek-V3's router
// (sigmoid fixed, selection bias always, groups by the biased top-2 sum); `scoring_func` and `topk_method` are not read
// (modeling_deepseek_v32.py L510-548). Defaults: configuration_deepseek_v32.py L96-106.
const T5_V32 = 'transformers 5.18.0 DeepseekV32Config';
DIALECTS.deepseek_v32 = {
  ...DIALECTS.deepseek_v3!,
  framework: 'hf:deepseek_v32',
  // Its __post_init__ also takes `num_experts` for `n_routed_experts` ("BC: re-route", configuration_deepseek_v32.py L140-142).
  experts: ['n_routed_experts', 'num_local_experts', 'num_experts'],
  scoreFunc: hardCodedScore('sigmoid', 'transformers 5.18.0 DeepseekV32TopkRouter (sigmoid is hard-coded, modeling_deepseek_v32.py L526)', ['scoring_func']),
  groups: { count: 'n_group', selected: 'topk_group', score: 'top2-sum', defaults: { count: 8, selected: 4, label: `${T5_V32}.n_group = 8, topk_group = 4 (configuration_deepseek_v32.py L103-104)` } },
  normalize: normTopkProb(true, `${T5_V32}.norm_topk_prob = True (L106)`),
  scale: { key: 'routed_scaling_factor', default: 2.5, defaultLabel: `${T5_V32}.routed_scaling_factor = 2.5 (L97)` },
};
// Xiaomi MiMo-V2-Flash (`mimo_v2_flash`): transformers 5.18.0's MiMoV2FlashTopkRouter is DeepseekV3TopkRouter
// (modular_mimo_v2_flash.py L171); a null routed_scaling_factor is 1.0 (configuration_mimo_v2_flash.py L127-129).
const T5_MIMO = 'transformers 5.18.0 MiMoV2FlashConfig';
DIALECTS.mimo_v2_flash = {
  ...DIALECTS.deepseek_v3!,
  framework: 'hf:mimo_v2_flash',
  scoreFunc: hardCodedScore('sigmoid', 'transformers 5.18.0 MiMoV2FlashTopkRouter is DeepseekV3TopkRouter (sigmoid is hard-coded)', ['scoring_func']),
  // n_group = topk_group = 1 by default (L97-98): no groups unless written.
  groups: { count: 'n_group', selected: 'topk_group', score: 'top2-sum' },
  normalize: normTopkProb(true, `${T5_MIMO}.norm_topk_prob = True (L99)`),
  scale: { key: 'routed_scaling_factor', default: 1, defaultLabel: `${T5_MIMO}.routed_scaling_factor = 1.0 (L96; null is 1.0, L128-129)` },
};
// inclusionAI Ling (`bailing_moe`): Ling v1 and Ling 2.0 both write this model_type, and their remote code differs;
// `architectures` says which runs (pickDialect). v1: inclusionAI/Ling @5ccaeae models/modeling_bailing_moe.py
// BailingMoeGate L341-372 (softmax over all experts, top-k, renormalised when norm_topk_prob and k > 1; no bias, no
// groups, no scale). 2.0: inclusionAI/Ling-V2 @af8837e models/modeling_bailing_moe_v2.py BailingMoeV2Gate L287-346
// (sigmoid in fp32, the expert_bias buffer for the choice only, groups by the biased top-2 sum, always renormalised
// when k > 1, × routed_scaling_factor); its `score_function`, `norm_topk_prob`, `router_dtype` and
// `moe_router_enable_expert_bias` keys are written by the converter but not read by that code.
const LING1 = 'inclusionAI/Ling @5ccaeae models/';
const LING2 = 'inclusionAI/Ling-V2 @af8837e models/';
DIALECTS.bailing_moe = {
  framework: 'hf:bailing_moe',
  experts: ['num_experts'],
  topK: ['num_experts_per_tok'],
  order: 'score-then-topk',
  scoreFunc: softmaxFirst(`${LING1}modeling_bailing_moe.py BailingMoeGate L363-364`),
  routerBias: false,
  selectionBias: 'none',
  normalize: normTopkProb(true, `${LING1}configuration_bailing_moe.py BailingMoeConfig.norm_topk_prob = True (L38), applied when top_k > 1 (modeling L370)`, 'when-k>1'),
};
DIALECTS.bailing_moe_v2 = {
  framework: 'hf:bailing_moe_v2',
  experts: ['num_experts'],
  topK: ['num_experts_per_tok'],
  order: 'score-then-topk',
  scoreFunc: hardCodedScore('sigmoid', `${LING2}modeling_bailing_moe_v2.py BailingMoeV2Gate L338 (sigmoid is hard-coded; \`score_function\` is not read)`),
  routerBias: false,
  selectionBias: 'static',
  groups: { count: 'n_group', selected: 'topk_group', score: 'top2-sum', defaults: { count: 8, selected: 4, label: `${LING2}configuration_bailing_moe_v2.py BailingMoeV2Config n_group = 8, topk_group = 4 (L35-36)` } },
  normalize: hardCodedNormalize('when-k>1', `${LING2}modeling_bailing_moe_v2.py L345 renormalises whenever top_k > 1 (\`norm_topk_prob\` is not read)`),
  scale: { key: 'routed_scaling_factor', default: 1, defaultLabel: `${LING2}configuration_bailing_moe_v2.py BailingMoeV2Config.routed_scaling_factor = 1.0 (L45)` },
};
// Ming-Omni and Ming-UniVision (`bailingmm`): the language model is a Ling v1 `bailing_moe` config in `llm_config`
// (inclusionAI/Ming @4876ed4 Ming-omni/configuration_bailingmm.py L36 `BailingMoeConfig(**llm_config)`,
// modeling_bailingmm.py L98 `BailingMoeForCausalLM(self.config.llm_config)`), routed by Ming's own copy of Ling v1's
// BailingMoeGate (modeling_bailing_moe.py L350-382: softmax over all experts in fp32, top-k, renormalised when
// norm_topk_prob and k > 1; no bias, no groups, no scale).
const MING = 'inclusionAI/Ming @4876ed4 Ming-omni/';
DIALECTS.bailingmm = {
  ...DIALECTS.bailing_moe,
  framework: 'hf:bailingmm',
  scoreFunc: softmaxFirst(`${MING}modeling_bailing_moe.py BailingMoeGate L373-376`),
  normalize: normTopkProb(true, `${MING}configuration_bailing_moe.py BailingMoeConfig.norm_topk_prob = True (L38), applied when top_k > 1 (modeling_bailing_moe.py L379)`, 'when-k>1'),
  nested: 'llm_config',
};
// Qwen3-VL MoE: the text model's keys sit in `text_config` (model_type qwen3_vl_moe_text). Qwen3VLMoeTextTopKRouter
// takes a softmax over all experts, the top-k, and always divides by their sum: `norm_topk_prob` is not read there
// (transformers @0142cff modeling_qwen3_vl_moe.py).
DIALECTS.qwen3_vl_moe = {
  framework: 'hf:qwen3_vl_moe',
  // transformers 5.x saves the expert count as `num_local_experts` (Qwen3VLMoeTextConfig.attribute_map).
  experts: ['num_experts', 'num_local_experts'],
  topK: ['num_experts_per_tok'],
  order: 'score-then-topk',
  scoreFunc: softmaxFirst('transformers @0142cff Qwen3VLMoeTextTopKRouter (modeling_qwen3_vl_moe.py)'),
  routerBias: false,
  selectionBias: 'none',
  normalize: always('transformers @0142cff Qwen3VLMoeTextTopKRouter (modeling_qwen3_vl_moe.py)'),
  nested: 'text_config',
};
DIALECTS.qwen3_vl_moe_text = { ...DIALECTS.qwen3_vl_moe, nested: undefined };
// Qwen3.5 MoE: the text model's keys sit in `text_config` (model_type qwen3_5_moe_text). Its router is Qwen3-VL's
// (transformers @e36255c modular_qwen3_5_moe.py: `class Qwen3_5MoeTopKRouter(Qwen3VLMoeTextTopKRouter): pass`), and
// Qwen3_5MoeTextConfig deletes `norm_topk_prob` (`del self.norm_topk_prob`, same file): softmax over all experts,
// the top-k, always divided by their sum.
const QWEN35 = 'transformers @e36255c Qwen3_5MoeTopKRouter = Qwen3VLMoeTextTopKRouter (modular_qwen3_5_moe.py)';
// Qwen3_5MoeTextConfig has no `num_local_experts` alias (its field is `num_experts`, configuration_qwen3_5_moe.py L113).
DIALECTS.qwen3_5_moe = { ...DIALECTS.qwen3_vl_moe, framework: 'hf:qwen3_5_moe', experts: ['num_experts'], scoreFunc: softmaxFirst(QWEN35), normalize: always(QWEN35) };
DIALECTS.qwen3_5_moe_text = { ...DIALECTS.qwen3_5_moe, nested: undefined };

// Gemma 4's MoE sizes (26B-A4B: `enable_moe_block` in `text_config`, model_type gemma4_text). Gemma4TextRouter
// (transformers @527d8b4 modular_gemma4.py) norms the token (RMSNorm without a weight, `rms_norm_eps`), multiplies
// it by a learned `scale` and hidden^-0.5, projects it (no bias), takes a softmax over all experts and the top
// `top_k_experts`, divides the k by their sum and multiplies each by a learned `per_expert_scale`.
const GEMMA4 = 'transformers @527d8b4 Gemma4TextRouter (modular_gemma4.py)';
DIALECTS.gemma4 = {
  framework: 'hf:gemma4',
  experts: ['num_experts'],
  topK: ['top_k_experts'],
  order: 'score-then-topk',
  scoreFunc: hardCodedScore('softmax', `${GEMMA4}: softmax over all experts`),
  routerBias: false,
  selectionBias: 'none',
  normalize: hardCodedNormalize('always', `${GEMMA4}: the k weights are divided by their sum`),
  nested: 'text_config',
  ownKeys: ['enable_moe_block'],
  tokenNorm: { epsilonKey: 'rms_norm_eps', source: `${GEMMA4}: RMSNorm(with_scale=False) of the token, times \`scale\` and hidden^-0.5, before \`proj\`` },
  expertScale: `${GEMMA4}: \`top_k_weights * self.per_expert_scale[top_k_index]\`, after the k are divided by their sum`,
};
DIALECTS.gemma4_text = { ...DIALECTS.gemma4, nested: undefined };

// Hunyuan-A13B (`"model_type": "hunyuan"`, auto_map to the checkpoint's own code): Tencent-Hunyuan/Hunyuan-A13B
// @2798f3c models/modeling_hunyuan.py. HunYuanTopKGate (L445-467): `wg` Linear without bias over `num_experts`,
// then `topkgating(logits, moe_topk[0])` (L74-140): softmax over all experts, top-k, the k weights divided by their
// sum, and each expert keeps at most max(k, ⌊k·T/E⌋) of its tokens, top-1 choices first (L78, L107-127), whatever
// `moe_drop_tokens` says. `norm_topk_prob`, `n_group` and `group_limited_greedy` are not read. Only `moe_topk[0]`
// is: every layer routes with the first layer's k.
const HUNYUAN = 'Tencent-Hunyuan/Hunyuan-A13B @2798f3c models/modeling_hunyuan.py';
DIALECTS.hunyuan = {
  framework: 'hf:hunyuan',
  experts: ['num_experts'],
  topK: ['moe_topk'],
  order: 'score-then-topk',
  scoreFunc: hardCodedScore('softmax', `${HUNYUAN} topkgating L76 (softmax is hard-coded)`),
  routerBias: false,
  selectionBias: 'none',
  normalize: hardCodedNormalize('always', `${HUNYUAN} topkgating L91-94 divides the k weights by their sum (\`norm_topk_prob\` is not read)`),
  topKFirstOfList: true,
  routerCapacity: { formula: 'max(k, ⌊k·T/E⌋)', source: `${HUNYUAN} topkgating L78` },
};
DIALECTS.llama4_text = { ...DIALECTS.llama4!, nested: undefined };

// MiniMax-M1 (`"model_type": "minimax_m1"`, auto_map to the checkpoint's own code): MiniMax-AI/MiniMax-M1 @2abb4f4
// modeling_minimax_m1.py MiniMaxM1SparseMoeBlock (L893-919) is Mixtral's: a gate without bias over `num_local_experts`,
// softmax over all experts, top-`num_experts_per_tok`, the k weights divided by their sum; jitter only in training.
const MINIMAX_M1 = 'MiniMax-AI/MiniMax-M1 @2abb4f4 modeling_minimax_m1.py MiniMaxM1SparseMoeBlock';
DIALECTS.minimax_m1 = {
  ...DIALECTS.mixtral!,
  framework: 'hf:minimax_m1',
  experts: ['num_local_experts'],
  scoreFunc: hardCodedScore('softmax', `${MINIMAX_M1} (softmax over all experts, L917)`),
  normalize: hardCodedNormalize('always', `${MINIMAX_M1} divides the k weights by their sum (L919)`),
};

// transformers 5.18.0 model types read from their router's forward and their config class (router fact sheets; line
// numbers of that release). Vision-language wrappers read their text model's keys in `text_config`.

// AFMoE (Arcee Trinity): AfmoeTokenChoiceRouter takes a sigmoid in fp32, chooses with the block's `expert_bias`, divides
// the k weights by their sum and multiplies by `route_scale` (modeling_afmoe.py L157-164). `score_func`, `route_norm`
// and the group keys Trinity's files write are read by nothing in transformers.
DIALECTS.afmoe = {
  framework: 'hf:afmoe',
  experts: ['num_experts'],
  topK: ['num_experts_per_tok'],
  order: 'score-then-topk',
  scoreFunc: hardCodedScore('sigmoid', `${T5} AfmoeTokenChoiceRouter (sigmoid is hard-coded, modeling_afmoe.py L158)`, ['score_func']),
  routerBias: false,
  selectionBias: 'static',
  selectionBiasLabel: `${T5} AfmoeSparseMoeBlock.expert_bias, added for choosing (modeling_afmoe.py L222, L160)`,
  normalize: hardCodedNormalize('always', `${T5} AfmoeTokenChoiceRouter divides the k weights by their sum (modeling_afmoe.py L161-163; \`route_norm\` is not read)`),
  scale: { key: 'route_scale', default: 1, defaultLabel: `${T5} AfmoeConfig.route_scale = 1.0 (configuration_afmoe.py L90)` },
};
// FlexOlmo and Mellum: OLMoE's / Qwen3-MoE's router (softmax over all experts, top-k, `norm_topk_prob`) with their
// classes' defaults. Qwen3-Omni's thinker text model (`qwen3_omni_moe_text`) and Qwen4-Exp's text model too; Qwen4-Exp's
// sigmoid-gated shared expert is outside the router, as Qwen3-Next's.
DIALECTS.flex_olmo = {
  ...DIALECTS.qwen3_moe!,
  framework: 'hf:flex_olmo',
  scoreFunc: softmaxFirst(`${T5} FlexOlmoTopKRouter (modeling_flex_olmo.py L293-294)`),
  normalize: normTopkProb(false, `${T5} FlexOlmoConfig.norm_topk_prob = False (configuration_flex_olmo.py L95)`),
};
DIALECTS.mellum = {
  ...DIALECTS.qwen3_moe!,
  framework: 'hf:mellum',
  scoreFunc: softmaxFirst(`${T5} MellumTopKRouter (modeling_mellum.py L335-336)`),
  normalize: normTopkProb(true, `${T5} MellumConfig.norm_topk_prob = True (configuration_mellum.py L101)`),
};
DIALECTS.qwen3_omni_moe_text = {
  ...DIALECTS.qwen3_moe!,
  framework: 'hf:qwen3_omni_moe_text',
  experts: ['num_experts'],
  scoreFunc: softmaxFirst(`${T5} Qwen3OmniMoeThinkerTextTopKRouter (modeling_qwen3_omni_moe.py L1366-1367)`),
  normalize: normTopkProb(true, `${T5} Qwen3OmniMoeTextConfig.norm_topk_prob = True (configuration_qwen3_omni_moe.py L176)`),
};
DIALECTS.qwen4_exp = {
  ...DIALECTS.qwen3_moe!,
  framework: 'hf:qwen4_exp',
  experts: ['num_experts'],
  scoreFunc: softmaxFirst(`${T5} Qwen4ExpTextTopKRouter (modeling_qwen4_exp.py L971-972)`),
  normalize: normTopkProb(true, `${T5} Qwen4ExpTextConfig.norm_topk_prob = True (configuration_qwen4_exp.py L163)`),
  nested: 'text_config',
};
DIALECTS.qwen4_exp_text = { ...DIALECTS.qwen4_exp, nested: undefined };
// IBM Granite variants and JetMoE: GraniteMoe's router (top-k of the logits, softmax over those k, no bias, no scale).
// JetMoE's attention experts (MoA) are routed by the same keys with a router of their own, which MoE Lens does not read.
DIALECTS.granitemoe_swa = { ...DIALECTS.granitemoe!, framework: 'hf:granitemoe_swa', scoreFunc: hardCodedScore('softmax', `${T5} GraniteMoeSWATopKRouter (softmax over the top-k logits, modeling_granitemoe_swa.py L66-67)`) };
DIALECTS.granitemoeshared = { ...DIALECTS.granitemoe!, framework: 'hf:granitemoeshared', scoreFunc: hardCodedScore('softmax', `${T5} GraniteMoeSharedTopKRouter (softmax over the top-k logits, modeling_granitemoeshared.py L134-135)`) };
// Granite 4.0-H: experts only where num_local_experts > 0 (see DIALECT_PICKERS).
DIALECTS.granitemoehybrid = { ...DIALECTS.granitemoe!, framework: 'hf:granitemoehybrid', scoreFunc: hardCodedScore('softmax', `${T5} GraniteMoeHybridTopKRouter (softmax over the top-k logits, modeling_granitemoehybrid.py L838-839)`) };
DIALECTS.jetmoe = { ...DIALECTS.granitemoe!, framework: 'hf:jetmoe', scoreFunc: hardCodedScore('softmax', `${T5} JetMoeTopKGating (softmax over the top-k logits, modeling_jetmoe.py L194-196)`) };
// OpenAI's privacy filter: gpt-oss's router (gate bias, softmax over the top-k logits); it divides the k weights by k and
// multiplies the experts' sum by k (modeling_openai_privacy_filter.py L328, L347), which cancel.
DIALECTS.openai_privacy_filter = {
  ...DIALECTS.gpt_oss!,
  framework: 'hf:openai_privacy_filter',
  experts: ['num_local_experts', 'num_experts'],
  topK: ['num_experts_per_tok'],
  scoreFunc: hardCodedScore('softmax', `${T5} OpenAIPrivacyFilterTopKRouter (softmax over the top-k logits, modeling_openai_privacy_filter.py L322-326)`),
};
// ERNIE-4.5-VL: the text experts' router is ERNIE-4.5-MoE's (softmax, `moe_statics.e_score_correction_bias` for
// choosing, divided by the sum clamped at `moe_norm_min`; modeling_ernie4_5_vl_moe.py L351-358). Each MoE layer also
// routes the vision tokens through a second router of its own (L436-437, L458-484), which MoE Lens does not read.
DIALECTS.ernie4_5_vl_moe = {
  ...DIALECTS.ernie4_5_moe!,
  framework: 'hf:ernie4_5_vl_moe',
  scoreFunc: softmaxFirst(`${T5} Ernie4_5_VLMoeMoeTopKRouter (modeling_ernie4_5_vl_moe.py L353-354)`),
  selectionBiasLabel: `${T5} Ernie4_5_VLMoeMoeStatics.e_score_correction_bias, added for choosing (modeling_ernie4_5_vl_moe.py L325-336, L354)`,
  normalize: always(`${T5} Ernie4_5_VLMoeMoeTopKRouter (modeling_ernie4_5_vl_moe.py L356-358)`),
  nested: 'text_config',
};
DIALECTS.ernie4_5_vl_moe_text = { ...DIALECTS.ernie4_5_vl_moe, nested: undefined };
// Hy3 (`hy_v3`): sigmoid in fp32, the block's e_score_correction_bias for choosing, divided by the sum, times
// `router_scaling_factor` (modeling_hy_v3.py L296-305); no `norm_topk_prob`, no groups.
DIALECTS.hy_v3 = {
  framework: 'hf:hy_v3',
  experts: ['num_experts', 'num_local_experts'],
  topK: ['num_experts_per_tok'],
  order: 'score-then-topk',
  scoreFunc: hardCodedScore('sigmoid', `${T5} HYV3TopKRouter (sigmoid is hard-coded, modeling_hy_v3.py L297)`),
  routerBias: false,
  selectionBias: 'static',
  selectionBiasLabel: `${T5} HYV3MoE.e_score_correction_bias, added for choosing (modeling_hy_v3.py L356, L299-300)`,
  normalize: hardCodedNormalize('always', `${T5} HYV3TopKRouter divides the k weights by their sum (modeling_hy_v3.py L303)`),
  scale: { key: 'router_scaling_factor', default: 2.826, defaultLabel: `${T5} HYV3Config.router_scaling_factor = 2.826 (configuration_hy_v3.py L105)` },
};
// MiniMax-M3-VL and Step-3.5 / Step-3.7: MiniMax-M2's router (sigmoid on fp32 logits, the checkpoint's
// e_score_correction_bias for choosing, divided by the sum) and a factor on the routed experts' sum.
DIALECTS.minimax_m3_vl = {
  ...DIALECTS.minimax_m2!,
  framework: 'hf:minimax_m3_vl',
  scoreFunc: hardCodedScore('sigmoid', `${T5} MiniMaxM3VLTopKRouter (sigmoid, chosen with e_score_correction_bias; modeling_minimax_m3_vl.py L241-243)`),
  normalize: always(`${T5} MiniMaxM3VLTopKRouter (modeling_minimax_m3_vl.py L245)`),
  scale: { key: 'routed_scaling_factor', default: 2, defaultLabel: `${T5} MiniMaxM3VLTextConfig.routed_scaling_factor = 2.0 (configuration_minimax_m3_vl.py L110), on the routed experts' sum (modeling_minimax_m3_vl.py L265)` },
  nested: 'text_config',
};
DIALECTS.minimax_m3_vl_text = { ...DIALECTS.minimax_m3_vl, nested: undefined };
// `step3p5` is Step3p7TextConfig's model_type. Its class declares a `num_local_experts` field (L164) besides the
// attribute_map alias of that name (L136), so whether a file's `num_local_experts` sets the count is not sure: read only
// `n_routed_experts` and `moe_num_experts`. `moe_top_k` is an alias of `num_experts_per_tok` (L140).
DIALECTS.step3p7 = {
  ...DIALECTS.minimax_m2!,
  framework: 'hf:step3p7',
  experts: ['n_routed_experts', 'moe_num_experts'],
  topK: ['num_experts_per_tok', 'moe_top_k'],
  scoreFunc: hardCodedScore('sigmoid', `${T5} Step3p7TopKRouter (sigmoid, chosen with e_score_correction_bias; modeling_step3p7.py L604-606)`),
  selectionBiasLabel: `${T5} Step3p7TopKRouter.e_score_correction_bias, added for choosing (modeling_step3p7.py L598, L605)`,
  normalize: always(`${T5} Step3p7TopKRouter (modeling_step3p7.py L608)`),
  scale: { key: 'moe_router_scaling_factor', default: 1, defaultLabel: `${T5} Step3p7TextConfig.moe_router_scaling_factor = 1.0 (configuration_step3p7.py L178), on the routed experts' sum (modeling_step3p7.py L631)` },
  nested: 'text_config',
};
DIALECTS.step3p5 = { ...DIALECTS.step3p7, nested: undefined };
// DeepSeek-V3's router (sigmoid in fp32, e_score_correction_bias for choosing, groups by the biased top-2 sum masked
// with -inf, `norm_topk_prob`, `routed_scaling_factor`) under these classes' defaults: GLM-5.3 (Glm5NextTextTopkRouter,
// modeling_glm5_next.py L159-184), Hy4 (HYV4TopkRouter, modeling_hy_v4.py L524-549), Solar Open (SolarOpenTopkRouter,
// modeling_solar_open.py L115-140), A.X-K1 (AXK1TopkRouter, modeling_axk1.py L158-183); none reads `scoring_func`.
/**
 * A model type that routes with DeepSeek-V3's router under its own config class: `router` and `model` name the router
 * class and modeling file (with the line of its hard-coded sigmoid), `config` the config class and configuration file;
 * `lines` cite its defaults. Groups: none unless written (n_group = topk_group = 1 or None), or the class's own pair.
 */
function deepseekV3Router(type: string, router: string, model: string, config: string, configFile: string, defaults: { norm: string; scale: number; scaleLine: string; groups?: { count: number; selected: number; lines: string } }): Dialect {
  return {
    ...DIALECTS.deepseek_v3!,
    framework: `hf:${type}` as Framework,
    scoreFunc: hardCodedScore('sigmoid', `${T5} ${router} (sigmoid is hard-coded, ${model})`, ['scoring_func']),
    groups: defaults.groups
      ? { count: 'n_group', selected: 'topk_group', score: 'top2-sum', defaults: { count: defaults.groups.count, selected: defaults.groups.selected, label: `${T5} ${config}.n_group = ${defaults.groups.count}, topk_group = ${defaults.groups.selected} (${configFile} ${defaults.groups.lines})` } }
      : { count: 'n_group', selected: 'topk_group', score: 'top2-sum' },
    normalize: normTopkProb(true, `${T5} ${config}.norm_topk_prob = True (${configFile} ${defaults.norm})`),
    scale: { key: 'routed_scaling_factor', default: defaults.scale, defaultLabel: `${T5} ${config}.routed_scaling_factor = ${defaults.scale.toFixed(Math.max(1, String(defaults.scale).split('.')[1]?.length ?? 0))} (${configFile} ${defaults.scaleLine})` },
  };
}
// n_group = topk_group = 1: configuration_glm5_next.py L117-118, configuration_hy_v4.py L117-118, configuration_solar_open.py
// L83-84; AXK2Config's are None (configuration_axk2.py L110-111).
DIALECTS.glm5_next = { ...deepseekV3Router('glm5_next', 'Glm5NextTextTopkRouter', 'modeling_glm5_next.py L162', 'Glm5NextTextConfig', 'configuration_glm5_next.py', { norm: 'L120', scale: 2.5, scaleLine: 'L111' }), nested: 'text_config' };
DIALECTS.glm5_next_text = { ...DIALECTS.glm5_next, nested: undefined };
DIALECTS.hy_v4 = deepseekV3Router('hy_v4', 'HYV4TopkRouter', 'modeling_hy_v4.py L527', 'HYV4Config', 'configuration_hy_v4.py', { norm: 'L116', scale: 2.827, scaleLine: 'L115' });
DIALECTS.solar_open = deepseekV3Router('solar_open', 'SolarOpenTopkRouter', 'modeling_solar_open.py L118', 'SolarOpenConfig', 'configuration_solar_open.py', { norm: 'L85', scale: 1, scaleLine: 'L82' });
DIALECTS.axk1 = deepseekV3Router('axk1', 'AXK1TopkRouter', 'modeling_axk1.py L161', 'AXK1Config', 'configuration_axk1.py', { norm: 'L100', scale: 2.5, scaleLine: 'L90', groups: { count: 8, selected: 4, lines: 'L96-97' } });
// A.X-K2 (AXK2TopkRouter, modeling_axk2.py L304-339): groups only where `n_group` is not null, and the experts of dropped
// groups are masked with 0.0 after the selection bias is added, not -inf (L337-338): see axk2Groups.
DIALECTS.axk2 = { ...deepseekV3Router('axk2', 'AXK2TopkRouter', 'modeling_axk2.py L307', 'AXK2Config', 'configuration_axk2.py', { norm: 'L113', scale: 2.5, scaleLine: 'L102' }), unknownWhen: axk2Groups };
// Mistral Small 4 (`mistral4`): Mistral4TopkRouter (modeling_mistral4.py L156-178) is DeepSeek-V3's with a softmax and no
// selection bias: groups by the top-2 sum of the softmax scores, the dropped ones masked with 0.0 (L171), which chooses as
// -inf does while k is at most the experts of the kept groups (softmax scores are above 0).
DIALECTS.mistral4 = {
  framework: 'hf:mistral4',
  experts: ['n_routed_experts', 'num_local_experts'],
  topK: ['num_experts_per_tok'],
  order: 'score-then-topk',
  scoreFunc: softmaxFirst(`${T5} Mistral4TopkRouter (modeling_mistral4.py L159)`),
  routerBias: false,
  selectionBias: 'none',
  // n_group = topk_group = 1 (configuration_mistral4.py L91-92): no groups unless written.
  groups: { count: 'n_group', selected: 'topk_group', score: 'top2-sum' },
  normalize: normTopkProb(true, `${T5} Mistral4Config.norm_topk_prob = True (configuration_mistral4.py L95)`),
  scale: { key: 'routed_scaling_factor', default: 1, defaultLabel: `${T5} Mistral4Config.routed_scaling_factor = 1.0 (configuration_mistral4.py L85)` },
};
// Nemotron 3 Omni (`nemotron_h_omni`): its text model is a `nemotron_h` config (configuration_nemotron_h_omni.py L104-107),
// routed by NemotronHTopkRouter; released checkpoints spell `text_config` as `llm_config` (L84).
const NEMOTRON_H_T5 = `${T5} NemotronHConfig (nemotron_h/configuration_nemotron_h.py)`;
DIALECTS.nemotron_h_omni = {
  ...DIALECTS.nemotron_h!,
  framework: 'hf:nemotron_h_omni',
  scoreFunc: hardCodedScore('sigmoid', `${T5} NemotronHTopkRouter (sigmoid is hard-coded, nemotron_h/modeling_nemotron_h.py L752)`, ['scoring_func']),
  normalize: normTopkProb(true, `${NEMOTRON_H_T5}.norm_topk_prob = True (L132)`),
  scale: { key: 'routed_scaling_factor', default: 1, defaultLabel: `${NEMOTRON_H_T5}.routed_scaling_factor = 1.0 (L129)` },
  nested: 'text_config',
  legacyNested: 'llm_config',
};
// DeepSeek-OCR 2 (DeepseekOcr2TextTopkRouter, modeling_deepseek_ocr2.py L1189-1208): DeepSeek-V2's router (softmax in
// fp32; groups by their max only with `topk_method` "group_limited_greedy", default "greedy", configuration L254), never
// renormalised (the class has no norm_topk_prob), times `routed_scaling_factor`.
DIALECTS.deepseek_ocr2 = {
  framework: 'hf:deepseek_ocr2',
  experts: ['n_routed_experts', 'num_experts'],
  topK: ['num_experts_per_tok'],
  order: 'score-then-topk',
  scoreFunc: softmaxFirst(`${T5} DeepseekOcr2TextTopkRouter (modeling_deepseek_ocr2.py L1192)`),
  routerBias: false,
  selectionBias: 'none',
  groups: { count: 'n_group', selected: 'topk_group', score: 'max' },
  groupsOnlyGroupLimited: true,
  normalize: hardCodedNormalize('never', `${T5} DeepseekOcr2TextTopkRouter does not renormalise (modeling_deepseek_ocr2.py L1207)`),
  scale: { key: 'routed_scaling_factor', default: 1, defaultLabel: `${T5} DeepseekOcr2TextConfig.routed_scaling_factor = 1.0 (configuration_deepseek_ocr2.py L252)` },
  nested: 'text_config',
};
DIALECTS.deepseek_ocr2_text = { ...DIALECTS.deepseek_ocr2, nested: undefined };
// LFM2-MoE (Lfm2MoeTopKRouter, modeling_lfm2_moe.py L190-203): sigmoid, the block's `expert_bias` for choosing while
// `use_expert_bias`, divided by the sum + 1e-6 when `norm_topk_prob`, times `routed_scaling_factor`.
const LFM2_MOE = `${T5} Lfm2MoeConfig (configuration_lfm2_moe.py)`;
DIALECTS.lfm2_moe = {
  framework: 'hf:lfm2_moe',
  experts: ['num_experts'],
  topK: ['num_experts_per_tok'],
  order: 'score-then-topk',
  scoreFunc: hardCodedScore('sigmoid', `${T5} Lfm2MoeTopKRouter (sigmoid is hard-coded, modeling_lfm2_moe.py L192)`),
  routerBias: false,
  selectionBias: 'static',
  selectionBiasLabel: `${T5} Lfm2MoeSparseMoeBlock.expert_bias, added for choosing while \`use_expert_bias\` is true (Lfm2MoeConfig.use_expert_bias = True, configuration_lfm2_moe.py L80; modeling_lfm2_moe.py L193-196)`,
  // Off, the router takes the top-k of the sigmoid scores themselves (modeling_lfm2_moe.py L197-198).
  selectionBiasSwitch: 'use_expert_bias',
  normalize: normTopkProb(true, `${LFM2_MOE}.norm_topk_prob = True (L82)`),
  scale: { key: 'routed_scaling_factor', default: 1, defaultLabel: `${LFM2_MOE}.routed_scaling_factor = 1.0 (L81)` },
};
// Cohere2-MoE (Cohere2MoeTopKRouter, modeling_cohere2_moe.py L150-165): the top-k of the logits, then
// `expert_selection_fn` over those k; `norm_topk_prob` divides them by their sum for sigmoid only. With shared experts the
// block may average the routed and shared outputs: see cohere2Shared.
const COHERE2_MOE = `${T5} Cohere2MoeConfig (configuration_cohere2_moe.py)`;
DIALECTS.cohere2_moe = {
  framework: 'hf:cohere2_moe',
  experts: ['num_experts'],
  topK: ['num_experts_per_tok'],
  order: 'topk-then-score',
  scoreFunc: { keys: ['expert_selection_fn'], default: 'softmax', defaultLabel: `${COHERE2_MOE}.expert_selection_fn = "softmax" (L120), over the top-k logits (modeling_cohere2_moe.py L152-154)` },
  routerBias: false,
  selectionBias: 'none',
  normalize: { key: 'norm_topk_prob', whenTrue: 'sigmoid-only', whenFalse: 'never', default: true, defaultLabel: `${COHERE2_MOE}.norm_topk_prob = True (L124), read for sigmoid only (modeling_cohere2_moe.py L155-158)` },
  readScore: cohere2Score,
  unknownWhen: cohere2Shared,
};

export function looksLikeMoeJson(text: string): boolean {
  return EXPERT_KEYS.some((key) => text.includes(`"${key}"`)) || text.includes('"n_activated_experts"');
}

export function analyzeHfJson(text: string, file: string): JsonAnalysis {
  const parseErrors: ParseError[] = [];
  const asPython = readableAsPython(text);
  const root = parseTree(asPython.text, parseErrors, { allowTrailingComma: true, disallowComments: false });
  const errors = parseErrors.filter((e) => !asPython.fromNaN(e)).slice(0, 20).map((e) => ({
    range: { start: e.offset, end: e.offset + Math.max(1, e.length) },
    message: `JSON syntax error (${jsonErrorName(e.error)})`,
  }));
  if (!root || root.type !== 'object') return { specs: [], errors };
  const dialectName = pickDialect(root);
  if (!dialectName) return { specs: [], errors };
  // A model type MoE Lens does not know, in a file with none of a transformers config's own keys, is no model config:
  // sacs-epfl/moe-inference's 134 `outputs/*/*/data.json` experiment records (`model_type`, `num_experts`, `batch_size`).
  if (dialectName === 'unknown' && !knownModelType(root) && !HF_CONFIG_SIGNS.some((key) => propertyNode(root, key))) return { specs: [], errors };
  const dialect = dialectName === 'unknown' ? unknownDialect(root) : DIALECTS[dialectName]!;
  const scope = nestedObject(root, dialect.nested) ?? nestedObject(root, dialect.legacyNested) ?? root;
  const spec = buildSpec(text, file, root, scope, dialectName, dialect);
  // Parsed again strictly only for a file that is a config (and parsed cleanly): a comment is a note on nothing else.
  const refuses = spec && errors.length === 0 ? pythonRefusal(asPython) : undefined;
  return { specs: spec ? [spec] : [], errors, ...(refuses ? { pythonRefuses: refuses } : {}) };
}

/**
 * What MoE Lens reads leniently (as VS Code's JSON does) but Python's json module refuses, so that transformers'
 * `from_pretrained` and DeepSeek's `json.load` cannot load the file: a comment or a trailing comma (NaN and Infinity
 * it takes).
 */
function pythonRefusal(asPython: ReturnType<typeof readableAsPython>): { range: SourceRange; message: string; detail: string } | undefined {
  const strict: ParseError[] = [];
  parseTree(asPython.text, strict, { allowTrailingComma: false, disallowComments: true });
  const first = strict.find((e) => !asPython.fromNaN(e));
  if (!first) return undefined;
  const what = first.error === 10 ? 'a comment' : 'a trailing comma';
  return {
    range: { start: first.offset, end: first.offset + Math.max(1, first.length) },
    message: `Python's json module refuses ${what} here; transformers cannot load this file`,
    detail: "json.JSONDecodeError: transformers' from_pretrained and DeepSeek's json.load read the file with Python's json module, which takes NaN and Infinity but no comment or trailing comma.",
  };
}


/**
 * Keys every transformers config reads as its own, whatever the model: the generation defaults of
 * `PretrainedConfig` (`_get_global_generation_defaults`, configuration_utils.py), which a config saved from a
 * loaded model carries (`"top_k": 50` is sampling's top-k, not the router's).
 */
const PRETRAINED_CONFIG_GENERATION_KEYS = new Set([
  'max_length', 'min_length', 'do_sample', 'early_stopping', 'num_beams', 'num_beam_groups', 'diversity_penalty', 'temperature', 'top_k', 'top_p', 'typical_p',
  'repetition_penalty', 'length_penalty', 'no_repeat_ngram_size', 'encoder_no_repeat_ngram_size', 'bad_words_ids', 'num_return_sequences', 'output_scores',
  'return_dict_in_generate', 'forced_bos_token_id', 'forced_eos_token_id', 'remove_invalid_values', 'exponential_decay_length_penalty', 'suppress_tokens', 'begin_suppress_tokens',
]);

/**
 * Expert-group keys of the routers MoE Lens knows (DeepSeek-V3's `n_group` / `topk_group` and their spellings).
 * In an unknown model_type they are read, but whether its router groups experts is not known.
 */
const UNKNOWN_GROUP_KEYS = { count: ['n_group', 'num_expert_group', 'num_expert_groups'], selected: ['topk_group', 'num_limited_groups'] } as const;

/**
 * A config.json whose `model_type` MoE Lens has no semantics for: the expert count, top-k and an explicit
 * `scoring_func` are read; the router's order, renormalisation and biases stay unknown rather than borrowed.
 */
const UNKNOWN_MODEL_TYPE: Dialect = {
  framework: 'hf:unknown',
  experts: ['num_local_experts', 'n_routed_experts', 'num_experts', 'moe_num_experts'],
  topK: ['num_experts_per_tok', 'moe_k', 'moe_top_k', 'top_k_experts'],
  order: 'score-then-topk',
  scoreFunc: { keys: ['scoring_func', 'score_function', 'moe_router_score_function'], default: 'softmax', defaultLabel: '' },
  routerBias: false,
  selectionBias: 'none',
  normalize: NO_NORMALIZE,
};

/**
 * model_types transformers 5.18.0 routes in a way MoE Lens does not model: what their router does that it cannot say
 * (instead of "not one MoE Lens knows"). They are read as an unknown model_type: the expert count and top-k where
 * written, every router property unknown. `topK`: the type's own top-k key; `nested`: the object that holds its keys.
 */
const UNMODELLED_ROUTERS: Record<string, { readonly reason: string; readonly topK?: readonly string[]; readonly nested?: string }> = {
  longcat_flash: {
    reason: 'longcat_flash routes over zero-computation (identity) experts too: its softmax and top-k run over `n_routed_experts` + `zero_expert_num` choices, and a chosen identity expert passes the token on times its weight (transformers 5.18.0 modeling_longcat_flash.py L149-168, L208-209), which MoE Lens does not model',
    topK: ['moe_topk'],
  },
  'nllb-moe': {
    reason: "nllb-moe's NllbMoeTop2Router always picks 2 experts (no key sets k), drops what overflows an expert's capacity (`expert_capacity`, or `moe_eval_capacity_token_fraction` of the tokens at inference), renormalises after dropping and may sample the second expert (`second_expert_policy`) (transformers 5.18.0 modeling_nllb_moe.py L206-289), which MoE Lens does not model",
  },
  switch_transformers: {
    reason: "switch_transformers' SwitchTransformersTop1Router always picks 1 expert (no key sets k) and drops a token once `expert_capacity` earlier tokens of its sequence chose that expert, at inference too (transformers 5.18.0 modeling_switch_transformers.py L72-110), which MoE Lens does not model",
  },
  zaya: {
    reason: "zaya's ZayaRouter is an MLP with its own RMSNorm over a down-projection, adds the previous layer's router state, and takes its softmax and top-k over `num_experts` + 1 choices, one a skip expert (transformers 5.18.0 modeling_zaya.py L496-572), which MoE Lens does not model",
  },
  // Only where `is_moe` is true (dogeMoe): the dense Doge has no router.
  doge: {
    reason: "doge's DogeCDMoE routes by product keys: ⌊√`num_experts`⌋ keys on each half of the gate's output, the top-k of their pair sums, a softmax over those k, into single-neuron experts (transformers 5.18.0 modeling_doge.py L414-445), which MoE Lens does not model",
  },
  inkling_text: {
    reason: "inkling's InklingTopkRouter divides the k routed weights by their sum together with the shared experts' scores, weights the shared experts by the router, and multiplies by a learned `global_scale` (transformers 5.18.0 modeling_inkling.py L356-377), which MoE Lens does not model",
  },
  qwen3_omni_moe: {
    reason: "qwen3_omni_moe holds two MoE routers two levels down, the thinker's (`thinker_config.text_config`, norm_topk_prob True by default) and the talker's (`talker_config.text_config`, False, with a gated shared expert) (transformers 5.18.0 configuration_qwen3_omni_moe.py L176, L404; modeling_qwen3_omni_moe.py L1354-1372, L2741-2823), which MoE Lens, one router per file, does not model",
  },
};
UNMODELLED_ROUTERS.inkling_mm_model = { ...UNMODELLED_ROUTERS.inkling_text!, nested: 'text_config' };

/**
 * Wrappers whose config class reads the router's keys only in `text_config` and builds the text model from its own
 * defaults where the file has none: the keys such a file writes at the top level are read by no transformers code.
 */
// Not Llama 4: flat `llama4` configs are read by other programs (kvcache-ai/ktransformers @054fb22
// doc/en/scout_config.json, in the corpus), whose router is Llama 4's.
const TEXT_CONFIG_ONLY: Readonly<Record<string, string>> = {
  minimax_m3_vl: 'MiniMaxM3VLConfig (configuration_minimax_m3_vl.py L214-215)',
  qwen4_exp: 'Qwen4ExpConfig (configuration_qwen4_exp.py L331-332)',
  nemotron_h_omni: 'NemotronH_Omni_Reasoning_V3_Config, which also reads the legacy `llm_config` (configuration_nemotron_h_omni.py L84, L106-107)',
  deepseek_ocr2: 'DeepseekOcr2Config (configuration_deepseek_ocr2.py L301-302)',
  step3p7: 'Step3p7Config (configuration_step3p7.py L332-333)',
  qwen3_vl_moe: 'Qwen3VLMoeConfig (configuration_qwen3_vl_moe.py L195-196)',
  qwen3_5_moe: 'Qwen3_5MoeConfig (configuration_qwen3_5_moe.py L208-209)',
  kimi_k25: 'Kimi_K25Config (configuration_kimi_k25.py L87-88)',
};

/** The unknown model_type's reader, with the top-k key and nesting of a type whose router MoE Lens does not model. */
function unknownDialect(root: JsonNode): Dialect {
  const modelType = literalAt(root, 'model_type');
  const unmodelled = modelType?.kind === 'string' && Object.hasOwn(UNMODELLED_ROUTERS, modelType.value) ? UNMODELLED_ROUTERS[modelType.value]! : undefined;
  if (!unmodelled?.topK && !unmodelled?.nested) return UNKNOWN_MODEL_TYPE;
  return { ...UNKNOWN_MODEL_TYPE, topK: [...(unmodelled.topK ?? []), ...UNKNOWN_MODEL_TYPE.topK], ...(unmodelled.nested ? { nested: unmodelled.nested } : {}) };
}

/** Why an unknown model_type's router is unknown. */
function unknownTypeReason(typeName: string | null): string {
  return (typeName !== null ? knownTypeReason(typeName) : undefined) ?? `model_type ${JSON.stringify(typeName)} is not one MoE Lens knows the router of`;
}

/** For a model type transformers has whose router MoE Lens does not read from this file, why; else undefined. */
function knownTypeReason(typeName: string): string | undefined {
  if (Object.hasOwn(UNMODELLED_ROUTERS, typeName)) return UNMODELLED_ROUTERS[typeName]!.reason;
  if (Object.hasOwn(TEXT_CONFIG_ONLY, typeName)) {
    return `model_type ${JSON.stringify(typeName)} has its router's keys in \`text_config\`, which this file does not have: transformers 5.18.0 ${TEXT_CONFIG_ONLY[typeName]!} then builds the text model from its defaults, and no transformers code reads the keys written here`;
  }
  if (typeName === 'bailing_moe') {
    return 'model_type "bailing_moe" is Ling v1 or Ling 2.0, whose routers differ; this file does not name either one\'s code (`architectures` BailingMoeForCausalLM or BailingMoeV2ForCausalLM, with `num_experts`)';
  }
  return undefined;
}

/** A model type transformers has whose router MoE Lens does not model, or reads only from its `text_config`. */
function knownModelType(root: JsonNode): boolean {
  const type = literalAt(root, 'model_type');
  return type?.kind === 'string' && knownTypeReason(type.value) !== undefined;
}

/** Keys every saved transformers config has one of (PretrainedConfig.to_dict, a model's size). */
const HF_CONFIG_SIGNS = ['architectures', 'transformers_version', 'hidden_size', 'vocab_size', 'torch_dtype', 'dtype', 'text_config', 'num_hidden_layers', 'd_model'];

const hasExpertKeys = (object: JsonNode | undefined): boolean => object !== undefined && EXPERT_KEYS.some((key) => propertyNode(object, key));

/** A wrapper read in its `nested` (or legacy) object; a file without one is an unknown model_type's (TEXT_CONFIG_ONLY). */
function wrapped(dialect: string): (root: JsonNode) => string | undefined {
  const { nested, legacyNested } = DIALECTS[dialect]!;
  return (root) => (nestedObject(root, nested) ?? nestedObject(root, legacyNested) ? dialect : hasExpertKeys(root) ? 'unknown' : undefined);
}

/** Python's truth of a JSON literal (`if config.is_moe`); undefined where it is not a plain value. */
function truthy(literal: Literal | undefined): boolean | undefined {
  if (literal === undefined || literal.kind === 'none') return false;
  if (literal.kind === 'bool') return literal.value;
  if (literal.kind === 'int' || literal.kind === 'float') return literal.value !== 0;
  if (literal.kind === 'string') return literal.value !== '';
  return undefined;
}

/**
 * model_types whose code the value alone does not name: the file says which code runs (Ling v1 or 2.0), or whether
 * the model has experts at all (a dense Hunyuan). Each returns the dialect, 'unknown', or undefined (no MoE).
 */
const DIALECT_PICKERS: Readonly<Record<string, (root: JsonNode) => string | undefined>> = {
  bailing_moe: lingVersion,
  hunyuan: hunyuanVersion,
  gemma4: (root) => gemma4Moe(findNodeAtLocation(root, ['text_config']), 'gemma4'),
  gemma4_text: (root) => gemma4Moe(root, 'gemma4_text'),
  minimax_m3_vl: wrapped('minimax_m3_vl'),
  qwen4_exp: wrapped('qwen4_exp'),
  nemotron_h_omni: wrapped('nemotron_h_omni'),
  bailingmm: wrapped('bailingmm'),
  deepseek_ocr2: wrapped('deepseek_ocr2'),
  step3p7: wrapped('step3p7'),
  qwen3_vl_moe: wrapped('qwen3_vl_moe'),
  qwen3_5_moe: wrapped('qwen3_5_moe'),
  kimi_k25: wrapped('kimi_k25'),
  // GraniteMoeHybridDecoderLayer has experts only where num_local_experts > 0 (modeling_granitemoehybrid.py L955).
  granitemoehybrid: (root) => {
    const experts = literalAt(root, 'num_local_experts');
    return (experts?.kind === 'int' || experts?.kind === 'float') && experts.value <= 0 ? undefined : 'granitemoehybrid';
  },
  // DogeDecoderLayer: `DogeMLP(config) if not config.is_moe else DogeCDMoE(config)` (modeling_doge.py L458; default
  // False, configuration_doge.py L92).
  doge: (root) => (truthy(literalAt(root, 'is_moe')) === false ? undefined : 'unknown'),
  // No top-level routing key: the thinker's and the talker's text models hold them.
  qwen3_omni_moe: (root) => (hasExpertKeys(nestedObject(root, ['thinker_config', 'text_config'])) || hasExpertKeys(nestedObject(root, ['talker_config', 'text_config'])) || hasExpertKeys(root) ? 'unknown' : undefined),
  inkling_mm_model: (root) => (hasExpertKeys(nestedObject(root, 'text_config')) || hasExpertKeys(root) ? 'unknown' : undefined),
};

/**
 * Gemma 4 has experts only where `enable_moe_block` is true (Gemma4TextDecoderLayer, transformers @527d8b4): the
 * dense sizes write false. Read where the file says true; an MoE key without it is not known to be read.
 */
function gemma4Moe(text: JsonNode | undefined, dialect: string): string | undefined {
  const enabled = text && literalAt(text, 'enable_moe_block');
  if (enabled?.kind === 'bool') return enabled.value ? dialect : undefined;
  return text && EXPERT_KEYS.some((key) => propertyNode(text, key)) ? 'unknown' : undefined;
}

function pickDialect(root: JsonNode): string | undefined {
  const modelType = literalAt(root, 'model_type');
  if (modelType?.kind === 'string' && Object.hasOwn(DIALECT_PICKERS, modelType.value)) return DIALECT_PICKERS[modelType.value]!(root);
  if (modelType?.kind === 'string' && DIALECTS[modelType.value]) return modelType.value;
  if (propertyNode(root, 'n_activated_experts')) return DEEPSEEK_V4_KEYS.some((key) => propertyNode(root, key)) ? 'deepseek-v4-official' : 'deepseek-official';
  // DeepSeek's `ModelArgs` names (`dim`, `moe_inter_dim`, `n_expert_groups`) never appear in an HF config: a file
  // with them and `n_routed_experts` is DeepSeek's own format even when its top-k key is misspelt.
  if (!propertyNode(root, 'model_type') && propertyNode(root, 'n_routed_experts') && ['dim', 'moe_inter_dim', 'n_expert_groups'].some((k) => propertyNode(root, k))) return 'deepseek-official';
  if (propertyNode(root, 'experts_per_token') && propertyNode(root, 'num_experts') && !propertyNode(root, 'num_experts_per_tok')) {
    return 'openai-gpt-oss';
  }
  // An unknown model_type with MoE keys is read for what it spells out; no family's router is borrowed.
  if (EXPERT_KEYS.some((key) => propertyNode(root, key))) return 'unknown';
  return undefined;
}

/**
 * Ling v1 and Ling 2.0 both write `"model_type": "bailing_moe"`; `architectures` names the remote code that runs.
 * Read only where the file spells the expert count as that code does (`num_experts`): a config adapted for another
 * runtime (MindIE's `n_routed_experts`) is not read by it, so its router stays unknown.
 */
function lingVersion(root: JsonNode): string {
  const architecture = findNodeAtLocation(root, ['architectures', 0])?.value;
  if (!propertyNode(root, 'num_experts')) return 'unknown';
  if (architecture === 'BailingMoeForCausalLM') return 'bailing_moe';
  if (architecture === 'BailingMoeV2ForCausalLM') return 'bailing_moe_v2';
  return 'unknown';
}

/**
 * `"model_type": "hunyuan"` is Hunyuan's own code: an MoE layer where `num_experts` > 1 (HunYuanDecoderLayer), a
 * dense MLP otherwise. Read where the file holds the per-layer `moe_topk` list that HunYuanTopKGate indexes; an
 * int there routes top-1 through another function when 1 and fails (`int` is not subscriptable) otherwise.
 */
function hunyuanVersion(root: JsonNode): string | undefined {
  const experts = literalAt(root, 'num_experts');
  if (experts?.kind === 'int' && experts.value <= 1) return undefined;
  return findNodeAtLocation(root, ['moe_topk'])?.type === 'array' ? 'hunyuan' : 'unknown';
}

/** The object a key (or a path of keys) of the root holds, if it is one. */
function nestedObject(root: JsonNode, key: string | readonly string[] | undefined): JsonNode | undefined {
  const node = key === undefined ? undefined : findNodeAtLocation(root, typeof key === 'string' ? [key] : [...key]);
  return node?.type === 'object' ? node : undefined;
}

function propertyNode(object: JsonNode, key: string): JsonNode | undefined {
  if (object.type !== 'object') return undefined;
  let found: JsonNode | undefined;
  for (const property of object.children ?? []) {
    if (property.children?.[0]?.value === key) found = property; // last one wins, as in Python's json
  }
  return found;
}

function literalAt(object: JsonNode, key: string): Literal | undefined {
  const property = propertyNode(object, key);
  const value = property?.children?.[1];
  return value ? jsonLiteral(value) : undefined;
}

function jsonLiteral(value: JsonNode): Literal {
  switch (value.type) {
    case 'number':
      return Number.isInteger(value.value) ? { kind: 'int', value: value.value as number } : { kind: 'float', value: value.value as number };
    case 'string':
      return { kind: 'string', value: value.value as string };
    case 'boolean':
      return { kind: 'bool', value: value.value as boolean };
    case 'null':
      return { kind: 'none' };
    default:
      return { kind: 'expression', text: value.type };
  }
}

function allSites(text: string, object: JsonNode, out: Site[], depth = 0, nestedKeys: readonly (string | undefined)[] = []): void {
  for (const property of object.children ?? []) {
    const [keyNode, valueNode] = property.children ?? [];
    if (!keyNode || !valueNode || typeof keyNode.value !== 'string') continue;
    const literal = valueNode.type === 'number' ? numberLiteral(text, valueNode) : jsonLiteral(valueNode);
    out.push({
      key: keyNode.value,
      keyRange: { start: keyNode.offset, end: keyNode.offset + keyNode.length },
      valueRange: { start: valueNode.offset, end: valueNode.offset + valueNode.length },
      literal,
    });
    if (valueNode.type === 'object' && depth < 2 && (keyNode.value === 'text_config' || keyNode.value === 'ffn_config' || nestedKeys.includes(keyNode.value))) {
      allSites(text, valueNode, out, depth + 1);
    }
  }
}

/**
 * A value the router's code fixes, whatever the file writes: the file's key stays a site (MOE006 still sees a typo in
 * it), and the label says where the file writes something else (`same`: what counts as the same value).
 */
function hardCoded<T>(value: T, label: string, sites: Site[], same: (literal: Literal) => boolean): Field<T> {
  const last = sites[sites.length - 1];
  const note = last && !same(last.literal) ? `; the file's \`${last.key}\` ${literalText(last.literal)} is not read by it` : '';
  return { value, sites, defaultFrom: { label: `${label}${note}`, fixed: true } };
}

/** The router reads a list key's first element: its site becomes that element (value, range), so a fix edits it. */
function firstOfList(text: string, scope: JsonNode, sites: Site[], keys: readonly string[]): void {
  for (const [i, site] of sites.entries()) {
    if (!keys.includes(site.key)) continue;
    const first = findNodeAtLocation(scope, [site.key, 0]);
    if (!first || site.valueRange.start > first.offset || site.valueRange.end < first.offset + first.length) continue;
    sites[i] = { ...site, valueRange: { start: first.offset, end: first.offset + first.length }, literal: first.type === 'number' ? numberLiteral(text, first) : jsonLiteral(first) };
  }
}

/** `8.0` is a float even though JSON.parse gives 8; read the raw text to keep the difference. */
function numberLiteral(text: string, node: JsonNode): Literal {
  const raw = text.slice(node.offset, node.offset + node.length);
  return /^-?\d+$/.test(raw) ? { kind: 'int', value: Number(raw) } : { kind: 'float', value: Number(raw) };
}

function buildSpec(text: string, file: string, root: JsonNode, scope: JsonNode, dialectName: string, dialect: Dialect): RouterSpec | undefined {
  const sites: Site[] = [];
  allSites(text, root, sites, 0, [dialect.nested, dialect.legacyNested]);
  if (dialect.topKFirstOfList) firstOfList(text, scope, sites, dialect.topK);
  const inScope = (site: Site): boolean => site.keyRange.start >= scope.offset && site.keyRange.end <= scope.offset + scope.length;
  // One set of the top-level key offsets (checking each site against every key was quadratic: a 2 MB file of
  // repeated keys took 42 s, issue #14).
  const topLevel = new Set((root.children ?? []).map((p) => p.children?.[0]?.offset));
  const isTop = (site: Site): boolean => topLevel.has(site.keyRange.start);
  const scoped = sites.filter((s) => inScope(s) && (scope === root ? isTop(s) : true));
  const modelType = sites.find((s) => s.key === 'model_type' && isTop(s));
  const spec = specFromSites({
    file,
    dialectName,
    dialect,
    sites,
    scoped,
    ...(modelType ? { modelType } : {}),
    range: { start: root.offset, end: root.offset + root.length },
    insertion: jsonInsertion(text, scope),
  });
  // A near miss of a routing key is read by nothing (transformers keeps it as an attribute; DeepSeek's
  // `ModelArgs(**config)` raises TypeError), and the router runs with the default of the key meant.
  if (!spec) return undefined;
  const shape = shapeFromSites(dialectName, [...sites, ...scoped], (key) => layerList(findNodeAtLocation(scope, [key])), visionEncoder(text, root, dialectName, spec.hidden.value));
  // Whether a key is read is known only where the reader is: an unknown model_type's (remote code, a newer
  // transformers) may read any key, so nothing in it is called ignored.
  const nearMisses =
    dialect.framework === 'hf:unknown'
      ? []
      : nearMissKeys(scoped, routingKeysOf(dialect), { owner: readerName(dialectName), effect: 'ignored', ...readerRaises(dialectName) }, { skip: (key) => key === 'model_type' || PRETRAINED_CONFIG_GENERATION_KEYS.has(key) || (dialect.ownKeys?.includes(key) ?? false) });
  const hashed = tokenIdLayers(dialectName, scope, spec.layers.value);
  const strict = strictTypeErrors(dialectName, scoped);
  return { ...spec, unknownKeys: [...nearMisses, ...ignoredRoutingKeys(dialectName, scoped)], ...(shape ? { shape } : {}), ...(hashed ? { tokenIdLayers: hashed } : {}), ...(strict.length > 0 ? { strictTypeErrors: strict } : {}) };
}

/**
 * The routing keys whose declared type transformers 5.18.0 enforces when it loads a config.json (PreTrainedConfig is
 * a huggingface_hub `@strict` dataclass: `isinstance(value, float)` refuses an int, `isinstance(value, bool)` an int;
 * sweep 34 loaded each with the config classes: "TypeError: Field 'routed_scaling_factor' expected float, got int").
 * Keyed by the key, then the model_types whose class declares it so (a wrapper by its own name and its text config's);
 * NemotronHConfig's `routed_scaling_factor: float | int` takes an int and is not listed.
 */
const STRICT_TYPES: Readonly<Record<string, { readonly expected: 'float' | 'bool'; readonly types: ReadonlySet<string> }>> = {
  routed_scaling_factor: {
    expected: 'float',
    types: new Set(['deepseek_v3', 'deepseek_v2', 'glm4_moe', 'glm4_moe_lite', 'kimi_linear', 'dots1', 'exaone_moe', 'glm4v_moe', 'glm4v_moe_text', 'glm_moe_dsa', 'deepseek_v4', 'deepseek_v32', 'minimax_m3_vl', 'minimax_m3_vl_text', 'glm5_next', 'glm5_next_text', 'hy_v4', 'solar_open', 'axk1', 'axk2', 'mistral4', 'deepseek_ocr2', 'deepseek_ocr2_text', 'lfm2_moe', 'mimo_v2_flash']),
  },
  moe_routed_scaling_factor: { expected: 'float', types: new Set(['laguna']) },
  moe_router_scaling_factor: { expected: 'float', types: new Set(['step3p5', 'step3p7']) },
  router_scaling_factor: { expected: 'float', types: new Set(['hy_v3']) },
  route_scale: { expected: 'float', types: new Set(['afmoe']) },
  norm_topk_prob: {
    expected: 'bool',
    types: new Set(['qwen3_moe', 'qwen2_moe', 'qwen3_next', 'glm4_moe', 'olmoe', 'glm4_moe_lite', 'nemotron_h', 'kimi_linear', 'exaone_moe', 'glm4v_moe', 'glm4v_moe_text', 'glm_moe_dsa', 'deepseek_v4', 'deepseek_v32', 'mimo_v2_flash', 'flex_olmo', 'mellum', 'qwen3_omni_moe_text', 'qwen4_exp', 'qwen4_exp_text', 'glm5_next', 'glm5_next_text', 'hy_v4', 'solar_open', 'axk2', 'lfm2_moe', 'cohere2_moe', 'deepseek_v3', 'deepseek_v2', 'dots1', 'axk1', 'mistral4']),
  },
};

function strictTypeErrors(dialectName: string, sites: readonly Site[]): NonNullable<RouterSpec['strictTypeErrors']> {
  const errors: NonNullable<RouterSpec['strictTypeErrors']>[number][] = [];
  // A file that names its own code (`auto_map`) may be loaded by that code's config class (trust_remote_code).
  const remoteCode = sites.some((site) => site.key === 'auto_map');
  for (const site of sites) {
    const rule = Object.hasOwn(STRICT_TYPES, site.key) ? STRICT_TYPES[site.key]! : undefined;
    if (!rule || !rule.types.has(dialectName)) continue;
    const kind = site.literal.kind;
    const refused = rule.expected === 'float' ? kind === 'int' : kind === 'int' || kind === 'float' || kind === 'string';
    if (refused) errors.push({ site, expected: rule.expected, owner: 'transformers 5.18.0', modelType: dialectName, ...(remoteCode ? { remoteCode: true as const } : {}) });
  }
  return errors;
}

/**
 * DeepSeek-V4's hash layers, whose MoE block picks experts from a table indexed by token id (`tid2eid`), not by the
 * gate the config describes. transformers 5.18.0: the layers whose `mlp_layer_types` entry is "hash_moe", by default
 * the first `num_hash_layers` (a legacy key), else 3 (configuration_deepseek_v4.py L165, L253, L278-282;
 * DeepseekV4HashRouter, modeling_deepseek_v4.py L1092-1127). DeepSeek's own inference code: the first
 * `n_hash_layers` (ModelArgs default 0, tenstorrent/tt-forge-models @3d75521 deepseek_v4/original_model/model.py L59).
 */
function tokenIdLayers(dialectName: string, scope: JsonNode, layerCount: number | undefined): RouterSpec['tokenIdLayers'] {
  const first = (count: number, source: string): RouterSpec['tokenIdLayers'] => {
    const n = layerCount === undefined ? count : Math.min(count, layerCount);
    return n > 0 ? { layers: Array.from({ length: n }, (_, i) => i), source } : undefined;
  };
  if (dialectName === 'deepseek-v4-official') {
    const written = literalAt(scope, 'n_hash_layers');
    return written?.kind === 'int' ? first(written.value, `\`n_hash_layers\` ${written.value}: DeepSeek-V4's inference code routes the first ${written.value} layers by token id`) : undefined;
  }
  if (dialectName !== 'deepseek_v4') return undefined;
  const types = findNodeAtLocation(scope, ['mlp_layer_types']);
  if (types?.type === 'array') {
    const layers = (types.children ?? []).flatMap((item, i) => (item.type === 'string' && item.value === 'hash_moe' && (layerCount === undefined || i < layerCount) ? [i] : []));
    return layers.length > 0 ? { layers, source: '`mlp_layer_types` "hash_moe": transformers routes these layers by token id (DeepseekV4HashRouter)' } : undefined;
  }
  const legacy = literalAt(scope, 'num_hash_layers');
  return legacy?.kind === 'int'
    ? first(legacy.value, `\`num_hash_layers\` ${legacy.value}: transformers routes the first ${legacy.value} layers by token id (DeepseekV4HashRouter)`)
    : first(3, 'transformers 5.18.0 DeepseekV4Config: without `mlp_layer_types`, the first 3 layers are "hash_moe", routed by token id (DeepseekV4HashRouter)');
}

/**
 * Routing keys of another model that this model's reader keeps but never reads. OLMoE: `OlmoeConfig` defines no
 * `scoring_func` (the router is a softmax, modeling_olmoe.py), and Megatron-Bridge's OLMoE conversion refuses
 * any other value (olmoe_bridge.py l.92 @067f987, census MB-023).
 */
function ignoredRoutingKeys(dialectName: string, sites: readonly Site[]): UnknownKey[] {
  if (dialectName !== 'olmoe') return [];
  const site = sites.filter((s) => s.key === 'scoring_func').pop();
  if (!site || (site.literal.kind === 'string' && site.literal.value === 'softmax')) return [];
  const written = site.literal.kind === 'string' ? `'${site.literal.value}'` : literalText(site.literal);
  return [
    {
      key: 'scoring_func',
      keyRange: site.keyRange,
      owner: 'transformers (olmoe)',
      accepted: [],
      effect: 'ignored',
      instead: 'OLMoE always scores with softmax',
      raises: `Megatron-Bridge's OLMoE conversion (src/megatron/bridge/models/olmoe/olmoe_bridge.py @067f987 line 92, census MB-023) raises ValueError: OlMoE only supports scoring_func='softmax', got ${written}`,
    },
  ];
}

/** Llama 4's vision encoder, counted from `vision_config` when the file has one. */
function visionEncoder(text: string, root: JsonNode, dialectName: string, textHidden: number | undefined): { label: string; parameters: number } | undefined {
  const node = dialectName === 'llama4' ? findNodeAtLocation(root, ['vision_config']) : undefined;
  if (!node || node.type !== 'object' || textHidden === undefined) return undefined;
  const sites: Site[] = [];
  allSites(text, node, sites, 2);
  const parameters = llama4VisionParameters(sites, textHidden);
  return parameters === undefined ? undefined : { label: 'vision encoder', parameters };
}

/** A JSON array of layer numbers (`mlp_only_layers`). */
function layerList(node: JsonNode | undefined): readonly number[] | 'invalid' | undefined {
  if (!node) return undefined;
  if (node.type !== 'array') return 'invalid';
  const values = (node.children ?? []).map((child) => child.value as unknown);
  return values.every((v): v is number => typeof v === 'number' && Number.isInteger(v)) ? values : 'invalid';
}

/** The official DeepSeek inference `ModelArgs` and OpenAI's gpt-oss `ModelConfig`, read from Python. */
export type KeyedFormat = 'deepseek-official' | 'deepseek-v4-official' | 'openai-gpt-oss' | 'grok-1';

const MODEL_SIZE_KEYS = new Set(['hidden_size', 'dim', 'vocab_size', 'num_hidden_layers', 'n_layers']);

/** Keys that say a set of key/value pairs is one of these formats. */
export const KEYED_FORMATS: Readonly<Record<KeyedFormat, { experts: string; topK: string }>> = {
  'deepseek-official': { experts: 'n_routed_experts', topK: 'n_activated_experts' },
  'deepseek-v4-official': { experts: 'n_routed_experts', topK: 'n_activated_experts' },
  'openai-gpt-oss': { experts: 'num_experts', topK: 'experts_per_token' },
  'grok-1': { experts: 'num_experts', topK: 'num_selected_experts' },
};

/** A spec from key/value sites found elsewhere (a Python dataclass's fields), with that format's semantics. */
export function keyedSpec(format: KeyedFormat, file: string, name: string, sites: Site[], range: SourceRange, anchor: SourceRange): RouterSpec | undefined {
  const spec = specFromSites({ file, dialectName: format, dialect: DIALECTS[format]!, sites, scoped: sites, range, insertion: undefined, anchor });
  // A class that holds only the router's fields (torchtitan's MoEArgs read in OpenAI's vocabulary) is no model
  // to count: only a config that gives a size is.
  const sized = sites.some((site) => MODEL_SIZE_KEYS.has(site.key));
  const shape = sized ? shapeFromSites(format, sites) : undefined;
  return spec && { ...spec, name, identity: { ...spec.identity, flavor: name }, ...(shape ? { shape } : {}) };
}

interface SpecInput {
  readonly file: string;
  readonly dialectName: string;
  readonly dialect: Dialect;
  /** Every site of the file, and those the router reads (top level or its nested object). */
  readonly sites: Site[];
  readonly scoped: Site[];
  readonly modelType?: Site;
  readonly range: SourceRange;
  readonly insertion: RouterSpec['insertion'];
  readonly anchor?: SourceRange;
}

function specFromSites(input: SpecInput): RouterSpec | undefined {
  const { file, dialectName, dialect, sites, scoped, modelType } = input;
  const sitesFor = (keys: readonly string[]): Site[] => scoped.filter((s) => keys.includes(s.key));
  // The model's own keys, where they sit beside the nested router object (DBRX's `d_model`, `n_layers`).
  const modelSitesFor = (keys: readonly string[]): Site[] => {
    const own = sitesFor(keys);
    return own.length > 0 || !dialect.modelKeysAtTop ? own : sites.filter((s) => keys.includes(s.key) && !scoped.includes(s));
  };

  const numberField = (keys: readonly string[], fallback?: { value: number; label: string }, among = sitesFor): Field<number | undefined> => {
    const found = among(keys);
    const last = canonicalSite(found, keys);
    if (last) return { value: last.literal.kind === 'int' || last.literal.kind === 'float' ? last.literal.value : undefined, sites: found };
    return fallback ? { value: fallback.value, sites: [], defaultFrom: { label: fallback.label } } : { value: undefined, sites: [] };
  };

  const modelNumberField = (keys: readonly string[]): Field<number | undefined> => numberField(keys, undefined, modelSitesFor);

  const scoreSites = sitesFor(dialect.scoreFunc.keys);
  const scoreSite = scoreSites[scoreSites.length - 1];
  // A score function the code hard-codes (DeepseekV3TopkRouter's sigmoid beside `"scoring_func": "softmax"`).
  const fixedScore = dialect.scoreFunc.fixed;
  const topKFixed = dialect.topKFixed;
  const scoreFunc: Field<string> =
    fixedScore !== undefined
      ? hardCoded(fixedScore, dialect.scoreFunc.defaultLabel, scoreSites, (l) => l.kind !== 'string' || l.value === fixedScore)
      : scoreSite?.literal.kind === 'string'
        ? { value: scoreSite.literal.value, sites: scoreSites }
        : { value: dialect.scoreFunc.default, sites: scoreSites, defaultFrom: { label: dialect.scoreFunc.defaultLabel } };
  const scoreRead = dialect.readScore ? dialect.readScore(scoreFunc, sitesFor) : scoreFunc;
  const typeName = modelType?.literal.kind === 'string' ? modelType.literal.value : null;
  const unknownType = dialect.framework === 'hf:unknown' ? unknownTypeReason(typeName) : undefined;
  /** For an unknown model_type, a router property the file does not spell out is unknown, not borrowed. */
  const unlessUnknown = <T>(field: Field<T>): Field<T> => (unknownType ? unknownUnlessWritten(field, unknownType) : field);

  // A key's spellings in the order its reader takes them: of two written, the one the config class sets last wins
  // (SET_LAST: KimiLinearConfig's attribute_map `moe_renormalize` over the field `norm_topk_prob`).
  const spellings = (key: string): readonly string[] => readOrder(dialectName, [key, ...(dialect.aliases?.[key] ?? [])]);
  const normalizeSites = dialect.normalize.key ? sitesFor(spellings(dialect.normalize.key)) : [];
  const normalizeLiteral = dialect.normalize.key ? canonicalSite(normalizeSites, spellings(dialect.normalize.key))?.literal : undefined;
  const normalizeOn =
    normalizeLiteral?.kind === 'none'
      ? false
      : normalizeLiteral?.kind === 'bool'
      ? normalizeLiteral.value
      : normalizeLiteral?.kind === 'int' || normalizeLiteral?.kind === 'float'
        ? normalizeLiteral.value !== 0
        : dialect.normalize.default;
  // DBRX divides by the Lp norm with p = `moe_normalize_expert_weights` (modeling_dbrx.py): a sum only at p = 1.
  const pNorm = dialect.normalize.key === 'moe_normalize_expert_weights' && (normalizeLiteral?.kind === 'int' || normalizeLiteral?.kind === 'float') && normalizeLiteral.value !== 0 && normalizeLiteral.value !== 1 ? normalizeLiteral.value : undefined;
  const normalize: Field<Normalize> = {
    value: normalizeOn ? dialect.normalize.whenTrue : dialect.normalize.whenFalse,
    sites: normalizeSites,
    ...(normalizeSites.length === 0 && dialect.normalize.defaultLabel ? { defaultFrom: { label: dialect.normalize.defaultLabel } } : {}),
    ...(pNorm !== undefined ? { unknown: `\`moe_normalize_expert_weights\` ${pNorm} divides the k weights by their L${pNorm} norm, not their sum (transformers modeling_dbrx.py), which MoE Lens does not model` } : {}),
  };

  const hiddenField = modelNumberField(['hidden_size', 'd_model', 'dim']);
  // DeepSeek's official Gate has a score bias only when dim == 7168 (research §2.2).
  const selection: SelectionBias = dialectName === 'deepseek-official' && hiddenField.value === 7168 ? 'static' : dialect.selectionBias;
  const groupDefaults = dialect.groups?.defaults;
  const groups = dialect.groups
    ? {
        count: numberField(spellings(dialect.groups.count), groupDefaults && { value: groupDefaults.count, label: groupDefaults.label }),
        selected: numberField(spellings(dialect.groups.selected), groupDefaults && { value: groupDefaults.selected, label: groupDefaults.label }),
        score: dialect.groups.score,
      }
    : unknownType
      ? unknownGroups(numberField(UNKNOWN_GROUP_KEYS.count), numberField(UNKNOWN_GROUP_KEYS.selected), unknownType, typeName)
      : undefined;
  const scale = dialect.scale ? numberField([dialect.scale.key], { value: dialect.scale.default, label: dialect.scale.defaultLabel }) : undefined;
  // Only DeepSeek-V2 itself has two readers that may disagree on the renormalisation (its copies have one).
  const v2 = dialect.groupsOnlyGroupLimited ? deepseekV2Reading(sitesFor(['topk_method']), dialectName === 'deepseek_v2' ? normalize : undefined) : undefined;
  const unknownWhen = dialect.unknownWhen?.(sitesFor) ?? {};
  const nameOrPath = modelSitesFor(['_name_or_path', 'name_or_path'])[0];
  const anchorSite = modelType ?? sitesFor(dialect.experts)[0];
  // A config saved from a model built in code has `"_name_or_path": ""`: the file names it then.
  const label = nameOrPath?.literal.kind === 'string' && nameOrPath.literal.value !== '' ? nameOrPath.literal.value : file.split(/[\\/]/).slice(-2).join('/');

  return {
    dialect: isDeepSeekOfficial(dialectName) ? 'deepseek-json' : 'hf-json',
    framework: dialect.framework,
    name: label,
    range: input.range,
    anchorRange: input.anchor ?? (anchorSite ? anchorSite.keyRange : { start: input.range.start, end: input.range.start + 1 }),
    experts: unlessUnknown(unwrittenUnknown(numberField(readOrder(dialectName, dialect.experts)), dialect.experts)),
    topK: unlessUnknown(topKFixed ? hardCoded<number | undefined>(topKFixed.value, topKFixed.label, sitesFor(dialect.topK), (l) => l.kind === 'int' && l.value === topKFixed.value) : unwrittenUnknown(numberField(readOrder(dialectName, dialect.topK)), dialect.topK)),
    order: unlessUnknown({ value: dialect.order, sites: [], defaultFrom: { label: `${dialect.framework} router` } }),
    scoreFunc: unlessUnknown(scoreRead),
    routerBias: unlessUnknown({ value: dialect.routerBias, sites: [], defaultFrom: { label: `${dialect.framework} router` } }),
    selectionBias: unlessUnknown(selectionBiasField(dialect, selection, dialect.selectionBiasSwitch ? sitesFor([dialect.selectionBiasSwitch]) : [], unknownWhen.selectionBias)),
    groups: groups && !v2?.greedy && (unknownType !== undefined || groups.count.value !== undefined || groups.selected.value !== undefined) ? withUnknownGroups(groups, v2?.unknownMethod ?? unknownWhen.groups) : undefined,
    // Where the readers differ, one reader's router, never a mix of the two: transformers' (scaled, not renormalised).
    normalize: unlessUnknown(v2?.readersDiffer ? { ...normalize, value: 'never', unknown: v2.readersDiffer } : normalize),
    scale: unlessUnknown(
      scale
        ? { ...scale, value: scale.value ?? 1, ...(v2?.readersDiffer ? { unknown: v2.readersDiffer } : {}), ...(unknownWhen.scale ? { unknown: unknownWhen.scale } : {}) }
        : { value: 1, sites: [], ...(unknownWhen.scale ? { unknown: unknownWhen.scale } : {}) },
    ),
    debugRoundRobin: { value: false, sites: [] },
    hidden: hiddenField,
    layers: modelNumberField(['num_hidden_layers', 'n_layers']),
    sites,
    identity: {
      family: familyFromHints([
        nameOrPath?.literal.kind === 'string' ? nameOrPath.literal.value : undefined,
        modelType?.literal.kind === 'string' ? modelType.literal.value : undefined,
        dialectName === 'openai-gpt-oss' ? 'gpt-oss' : undefined,
        file,
      ]),
      ...(modelType?.literal.kind === 'string' ? { modelType: modelType.literal.value } : {}),
      ...(nameOrPath ? { nameOrPath } : {}),
    },
    insertion: input.insertion,
    keyNames: {
      experts: dialect.experts[0]!,
      topK: dialect.topK[0]!,
      ...(dialect.scoreFunc.fixed === undefined && dialect.scoreFunc.keys[0] ? { scoreFunc: dialect.scoreFunc.keys[0] } : {}),
      ...(dialect.groups ? { groupsCount: dialect.groups.count, groupsSelected: dialect.groups.selected } : {}),
      ...(dialect.normalize.key ? { normalize: dialect.normalize.key } : {}),
      ...(dialect.scale ? { scale: dialect.scale.key } : {}),
    },
    ...(dialect.routerCapacity ? { routerCapacity: dialect.routerCapacity } : {}),
    ...(dialect.tokenNorm ? { tokenNorm: { epsilon: tokenNormEpsilon(numberField([dialect.tokenNorm.epsilonKey])), source: dialect.tokenNorm.source } } : {}),
    ...(dialect.expertScale ? { expertScale: { source: dialect.expertScale } } : {}),
  };
}

/**
 * Kimi Linear's `moe_router_activation_func`: transformers' native router scores with a sigmoid whatever it says, the
 * checkpoint's remote code and vLLM (`scoring_func=config.moe_router_activation_func`) with what it says. Every
 * published checkpoint writes "sigmoid", where they agree; any other value leaves the score function unknown.
 */
function kimiLinearScore(field: Field<string>, sitesFor: SitesFor): Field<string> {
  const written = sitesFor(['moe_router_activation_func']).at(-1);
  if (!written || (written.literal.kind === 'string' && written.literal.value === 'sigmoid')) return field;
  return { ...field, unknown: `\`moe_router_activation_func\` is ${literalText(written.literal)}: transformers' KimiLinearTopkRouter scores with a sigmoid whatever it says, while the checkpoint's remote code and vLLM score with what it says` };
}

/** Laguna's router softcaps the logits with a tanh when `moe_router_logit_softcapping` is above 0 (L175-176). */
function lagunaScore(field: Field<string>, sitesFor: SitesFor): Field<string> {
  const softcap = sitesFor(['moe_router_logit_softcapping']).at(-1);
  const value = softcap?.literal.kind === 'int' || softcap?.literal.kind === 'float' ? softcap.literal.value : softcap === undefined || softcap.literal.kind === 'none' ? 0 : undefined;
  if (value !== undefined && value <= 0) return field;
  return { ...field, unknown: `\`moe_router_logit_softcapping\` is ${literalText(softcap!.literal)}: Laguna's router squashes the logits with a tanh before the sigmoid (modeling_laguna.py L175-176), which MoE Lens does not model` };
}

/**
 * A.X-K2 masks the experts of the dropped groups with 0.0 after adding the selection bias (modeling_axk2.py L337-338):
 * a dropped expert can then outrank a kept one whose biased score is below 0, which DeepSeek-V3's -inf does not allow.
 * Unknown where some group is dropped (`n_group` written, `topk_group` not at least as large); a null `n_group` routes
 * without groups (L311-312), read as such.
 */
function axk2Groups(sitesFor: SitesFor): { groups?: string } {
  const count = sitesFor(['n_group']).at(-1)?.literal;
  if (count === undefined || count.kind === 'none') return {};
  const selected = sitesFor(['topk_group']).at(-1)?.literal;
  const number = (l: Literal | undefined): number | undefined => (l?.kind === 'int' || l?.kind === 'float' ? l.value : undefined);
  const [n, k] = [number(count), number(selected)];
  if (n !== undefined && k !== undefined && k >= n) return {};
  return { groups: `\`n_group\` is ${literalText(count)}: AXK2TopkRouter masks the experts of the dropped groups with 0.0, not -inf, after adding the selection bias (modeling_axk2.py L337-338), so one of them can outrank a kept expert whose biased score is below 0, which MoE Lens does not model` };
}

/**
 * The selection bias: the router's, unless a switch the file writes turns it off (false: none; true: the router's; any
 * other value: unknown), or a key makes it unknown (`unknownWhen`).
 */
function selectionBiasField(dialect: Dialect, selection: SelectionBias, switchSites: Site[], unknownBecause: string | undefined): Field<SelectionBias> {
  const label = dialect.selectionBiasLabel ?? `${dialect.framework} router`;
  if (unknownBecause) return { value: selection, sites: [], defaultFrom: { label }, unknown: unknownBecause };
  const written = switchSites.at(-1);
  if (!written) return { value: selection, sites: [], defaultFrom: { label } };
  const on = truthy(written.literal);
  if (on === undefined) return { value: selection, sites: switchSites, unknown: `\`${written.key}\` is ${literalText(written.literal)}, not a value MoE Lens can read as on or off` };
  return { value: on ? selection : 'none', sites: switchSites };
}

/** Cohere2-MoE's `expert_selection_fn`: "softmax" or "sigmoid"; anything else raises (modeling_cohere2_moe.py L159-160). */
function cohere2Score(field: Field<string>, sitesFor: SitesFor): Field<string> {
  const written = sitesFor(['expert_selection_fn']).at(-1);
  if (!written || (written.literal.kind === 'string' && (written.literal.value === 'softmax' || written.literal.value === 'sigmoid'))) return field;
  return { ...field, unknown: `\`expert_selection_fn\` is ${literalText(written.literal)}: Cohere2MoeTopKRouter raises ValueError for anything but "softmax" or "sigmoid" (modeling_cohere2_moe.py L159-160)` };
}

/**
 * Cohere2-MoE with shared experts: "average" (the default, configuration_cohere2_moe.py L119) returns (routed + shared) / 2
 * (modeling_cohere2_moe.py L188-193), halving the routed weights together with the shared output; "sum" adds them.
 */
function cohere2Shared(sitesFor: SitesFor): { scale?: string } {
  const shared = sitesFor(['num_shared_experts']).at(-1)?.literal;
  const count = shared === undefined ? 0 : shared.kind === 'int' || shared.kind === 'float' ? shared.value : undefined;
  if (count !== undefined && count <= 0) return {};
  const strategy = sitesFor(['shared_expert_combination_strategy']).at(-1)?.literal;
  const name = strategy === undefined ? 'average' : strategy.kind === 'string' ? strategy.value : undefined;
  if (count !== undefined && name === 'sum') return {};
  if (count === undefined) return { scale: `\`num_shared_experts\` is ${literalText(shared!)}, not a count Cohere2MoeSparseMoeBlock can compare with 0 (modeling_cohere2_moe.py L188)` };
  if (name !== 'average') return { scale: `\`shared_expert_combination_strategy\` is ${literalText(strategy!)}: Cohere2MoeSparseMoeBlock raises ValueError for anything but "sum" or "average" (modeling_cohere2_moe.py L194-195)` };
  return { scale: `with ${count} shared experts and \`shared_expert_combination_strategy\` "average"${strategy === undefined ? ' (the default)' : ''}, Cohere2MoeSparseMoeBlock returns (routed + shared) / 2 (modeling_cohere2_moe.py L188-193): the routed weights are halved together with the shared experts' output, which MoE Lens does not model` };
}

/**
 * transformers' DeepSeek-V4 router applies `ACT2FN[scoring_func]`: "sigmoid" and "sqrtsoftplus" are scores; there is
 * no "softmax" among transformers' activations (activations.py), so building the model raises KeyError, and any other
 * activation is no router MoE Lens knows. Those leave the score function unknown.
 */
function deepseekV4Score(field: Field<string>, sitesFor: SitesFor): Field<string> {
  const written = sitesFor(['scoring_func']).at(-1);
  if (!written || (written.literal.kind === 'string' && (written.literal.value === 'sigmoid' || written.literal.value === 'sqrtsoftplus'))) return field;
  return { ...field, unknown: `\`scoring_func\` is ${literalText(written.literal)}: transformers' DeepseekV4TopKRouter applies ACT2FN[scoring_func] (modeling_deepseek_v4.py L1078), whose activations have no softmax, so building the model raises KeyError for it` };
}

/**
 * DeepSeek-V2 (`deepseek_v2`) is read by two routers: the checkpoint's remote code (auto_map, `modeling_deepseek.py`
 * MoEGate) and transformers' native DeepseekV2TopkRouter (5.18.0 modeling_deepseek_v2.py L86-117). Both take a
 * softmax and limit the choice to groups only with `topk_method` "group_limited_greedy" (default "greedy",
 * configuration_deepseek_v2.py L116). With `norm_topk_prob` true they differ: the remote gate renormalises and then
 * does not scale; the native one never renormalises (it deletes norm_topk_prob) and always scales. Then both the
 * renormalisation and the scaling are unknown (the published V2 configs write false, where the two agree).
 */
function deepseekV2Reading(topkMethod: readonly Site[], normalize: Field<Normalize> | undefined): { greedy: boolean; readersDiffer?: string; unknownMethod?: string } {
  const method = topkMethod[topkMethod.length - 1]?.literal;
  const greedy = method === undefined || (method.kind === 'string' && method.value === 'greedy');
  // DeepseekV2TopkRouter has a branch for these two only (transformers 5.18.0 modeling_deepseek_v2.py L102-116): with
  // another (`noaux_tc`, DeepSeek-V3's) its forward ends unbound (UnboundLocalError), so no grouping is known.
  if (method !== undefined && !(method.kind === 'string' && (method.value === 'greedy' || method.value === 'group_limited_greedy'))) {
    return { greedy: false, unknownMethod: `\`topk_method\` ${literalText(method)} is neither "greedy" nor "group_limited_greedy", the two DeepSeek-V2's router knows (transformers 5.18.0 DeepseekV2TopkRouter fails on its first forward)` };
  }
  const readersDiffer =
    normalize?.value === 'always'
      ? 'with norm_topk_prob true, DeepSeek-V2\'s remote code renormalises and does not scale, transformers\' DeepseekV2TopkRouter scales and does not renormalise: which runs depends on trust_remote_code (the preview and `route` run transformers\')'
      : undefined;
  return { greedy, ...(readersDiffer ? { readersDiffer } : {}) };
}

/**
 * An expert count or top-k the file does not write: its config class has a default, which MoE Lens does not hold for
 * every model_type, so it is unknown, not "None by default" (sweep 34: DeepseekV3Config's top-k default is 8).
 */
function unwrittenUnknown(field: Field<number | undefined>, keys: readonly string[]): Field<number | undefined> {
  return field.sites.length === 0 && field.defaultFrom === undefined && field.unknown === undefined ? { ...field, unknown: `the file does not write \`${keys[0]}\`; the model runs with its config class's default, which MoE Lens does not read` } : field;
}

/**
 * An unknown model_type's expert groups: both fields keep what the file writes (go to definition, inspect) and
 * are unknown, so that no rule relies on them and the preview and `route` run without groups and say so.
 */
function unknownGroups(count: Field<number | undefined>, selected: Field<number | undefined>, unknownType: string, typeName: string | null): RouterSpec['groups'] {
  const written = count.sites.length > 0 || selected.sites.length > 0;
  // A router MoE Lens does not model (or a file transformers does not read) is no question of groups alone.
  const said = typeName !== null && (Object.hasOwn(UNMODELLED_ROUTERS, typeName) || Object.hasOwn(TEXT_CONFIG_ONLY, typeName));
  const unknown = said
    ? `${unknownType} (routed without groups)`
    : written
    ? `${unknownType}, nor whether it limits each token to ${selected.value ?? '?'} of ${count.value ?? '?'} expert groups (routed without groups)`
    : `${unknownType}, nor whether it groups experts (routed without groups)`;
  return { count: { ...count, unknown }, selected: { ...selected, unknown }, score: 'top2-sum' };
}

/** Groups whose effect on the choice a key of the file makes unknown (AXK2's 0.0 mask): both counts keep their sites. */
function withUnknownGroups(groups: NonNullable<RouterSpec['groups']>, unknown: string | undefined): RouterSpec['groups'] {
  return unknown ? { ...groups, count: { ...groups.count, unknown }, selected: { ...groups.selected, unknown } } : groups;
}

/**
 * The spellings of a routing value that a transformers 5.18.0 config class takes for another one and does
 * not declare as a field (its `attribute_map`, or a `__post_init__` that re-routes it): transformers sets them after
 * the fields (configuration_utils.py L138-175, L376-384, L517-520), so where a file writes both spellings, the model
 * runs with this one (sweep 34 loaded each pair with the config classes). A wrapper's are its text config's.
 */
const SET_LAST: Readonly<Record<string, readonly string[]>> = (() => {
  const table: Record<string, readonly string[]> = {};
  const put = (keys: readonly string[], ...types: string[]): void => types.forEach((type) => (table[type] = keys));
  put(['num_local_experts'], 'deepseek_v3', 'glm4_moe', 'glm4_moe_lite', 'nemotron_h', 'dots1', 'glm4v_moe', 'glm4v_moe_text', 'deepseek_v4', 'mimo_v2_flash', 'glm5_next', 'glm5_next_text', 'hy_v4', 'solar_open', 'axk1', 'axk2', 'mistral4');
  put(['num_local_experts', 'num_experts'], 'deepseek_v32', 'glm_moe_dsa');
  put(['num_local_experts'], 'qwen3_moe', 'jamba', 'olmoe', 'flex_olmo', 'mellum', 'qwen3_vl_moe', 'qwen3_vl_moe_text', 'hy_v3');
  // Not deepseek_v2: its remote code, which reads `n_routed_experts` only, may run instead (deepseekV2Reading).
  put(['num_experts'], 'gpt_oss', 'mixtral', 'minimax', 'minimax_m2', 'minimax_m3_vl', 'minimax_m3_vl_text', 'openai_privacy_filter', 'deepseek_ocr2', 'deepseek_ocr2_text');
  put(['num_experts', 'num_experts_per_tok'], 'ernie4_5_moe', 'ernie4_5_vl_moe', 'ernie4_5_vl_moe_text');
  put(['num_local_experts', 'num_experts_per_tok'], 'hunyuan_v1_moe');
  put(['num_experts', 'num_experts_per_token', 'moe_renormalize', 'num_expert_group'], 'kimi_linear');
  put(['moe_num_experts', 'moe_top_k'], 'step3p5', 'step3p7');
  return table;
})();

/** `keys` in the order a reader takes them where a file writes several: what it sets last first (SET_LAST). */
function readOrder(dialectName: string, keys: readonly string[]): readonly string[] {
  const last = SET_LAST[dialectName];
  return last ? [...keys.filter((key) => last.includes(key)), ...keys.filter((key) => !last.includes(key))] : keys;
}

/** The key the framework reads wins when aliases disagree: the first key in the order given (readOrder). */
function canonicalSite(found: readonly Site[], keys: readonly string[]): Site | undefined {
  for (const key of keys) {
    const matching = found.filter((s) => s.key === key);
    if (matching.length > 0) return matching[matching.length - 1];
  }
  return undefined;
}


function jsonInsertion(text: string, object: JsonNode): RouterSpec['insertion'] {
  // An object without its closing brace (truncated JSON) has no clean place to add a key.
  if (text[object.offset + object.length - 1] !== '}') return undefined;
  const properties = object.children ?? [];
  const last = properties[properties.length - 1];
  if (!last) return { offset: object.offset + 1, prefix: '', suffix: '' };
  const lineStart = text.lastIndexOf('\n', last.offset - 1) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart, last.offset))![0];
  const multiline = text.slice(object.offset, last.offset).includes('\n');
  // A new line ends as the file's lines do (CRLF where the object's last line break is one).
  const newline = text[lineStart - 2] === '\r' ? '\r\n' : '\n';
  return { offset: last.offset + last.length, prefix: multiline ? `,${newline}${indent}` : ', ', suffix: '' };
}

export function jsonLiteralText(value: unknown): string {
  return value === undefined ? 'null' : JSON.stringify(value);
}

function jsonErrorName(code: number): string {
  const names: Record<number, string> = {
    1: 'invalid symbol',
    2: 'invalid number format',
    3: 'property name expected',
    4: 'value expected',
    5: 'colon expected',
    6: 'comma expected',
    7: 'closing brace expected',
    8: 'closing bracket expected',
    9: 'end of file expected',
    10: 'invalid comment token',
    11: 'unexpected end of comment',
    12: 'unexpected end of string',
    13: 'unexpected end of number',
    14: 'invalid unicode',
    15: 'invalid escape character',
    16: 'invalid character',
  };
  return names[code] ?? `error ${code}`;
}


/**
 * The routing keys a `config.json` of this `model_type` is read for (the table above, so completions offer
 * exactly what MoE Lens reads); every family's keys when the type is not one MoE Lens knows.
 */
export function hfRoutingKeys(modelType: string | undefined): string[] {
  const tables = modelType && DIALECTS[modelType] ? [DIALECTS[modelType]!] : Object.values(DIALECTS);
  const keys = new Set<string>(['model_type']);
  for (const d of tables) for (const key of routingKeysOf(d)) keys.add(key);
  return [...keys];
}

/**
 * The keys a `config.json` of this `model_type` reads as spellings of one value (the expert count's, the top-k's, an
 * attribute_map alias's): where one is written, completing another would write a second, conflicting value.
 */
export function hfSpellingsOf(modelType: string | undefined, key: string): readonly string[] {
  const d = modelType && DIALECTS[modelType] ? DIALECTS[modelType]! : undefined;
  if (!d) return [key];
  const groups = [d.experts, d.topK, ...Object.entries(d.aliases ?? {}).map(([field, more]) => [field, ...more])];
  return groups.find((group) => group.includes(key)) ?? [key];
}

function routingKeysOf(d: Dialect): string[] {
  const keys = [...d.experts, ...d.topK, ...d.scoreFunc.keys, d.groups?.count, d.groups?.selected, d.normalize.key, d.scale?.key].filter((k): k is string => !!k);
  return [...keys, ...keys.flatMap((key) => d.aliases?.[key] ?? [])];
}

function readerName(dialectName: string): string {
  if (dialectName === 'deepseek-official') return 'DeepSeek-V3 `ModelArgs`';
  if (dialectName === 'deepseek-v4-official') return 'DeepSeek-V4 `ModelArgs`';
  if (dialectName === 'openai-gpt-oss') return 'gpt-oss `ModelConfig`';
  return `transformers (${dialectName})`;
}

/** What a reader that does not ignore an unknown key raises on it (census DS-005, HF-010). */
function readerRaises(dialectName: string): Pick<UnknownKey, 'raises' | 'stopsLoad'> {
  if (isDeepSeekOfficial(dialectName)) return { raises: "DeepSeek's `ModelArgs(**config)` (inference/generate.py) raises TypeError: __init__() got an unexpected keyword argument" };
  // configuration_dbrx.py: `if len(kwargs) != 0: raise ValueError(...)`, in transformers 5.18.0 too (L95-97, __post_init__).
  if (dialectName === 'dbrx') return { raises: 'transformers\' `DbrxFFNConfig` raises ValueError: Found unknown kwargs={…} on any key of `ffn_config` it does not define (configuration_dbrx.py L95-97 in 5.18.0)', stopsLoad: true };
  return {};
}

/** The `model_type`s MoE Lens knows the router of. */
export function hfModelTypes(): string[] {
  return Object.keys(DIALECTS);
}

/**
 * The norm's epsilon as the file writes it. Unwritten, routing assumes 1e-6 (what Gemma 4's published config.json
 * files write) and says so: the value hardly matters for a token of unit scale, but it is not the file's.
 */
function tokenNormEpsilon(field: Field<number | undefined>): Field<number> {
  if (field.value !== undefined && field.value >= 0) return { ...field, value: field.value };
  return { value: 1e-6, sites: field.sites, unknown: field.sites.length ? 'the norm\'s epsilon is not a non-negative number' : 'the file does not write the norm\'s epsilon (`rms_norm_eps`); routing assumes 1e-6' };
}
