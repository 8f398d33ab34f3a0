/**
 * Published routing facts, as data. Each value carries its status and sources (research/moe-routing-facts.md §2).
 * `verified`: a primary source (reference code, official config, paper) was read. `secondary`: only copies,
 * derived configs or framework recipes; rules word their message more weakly for these.
 */
import type { Family } from '../model/family';

export type FactStatus = 'verified' | 'secondary';

export interface Fact<T> {
  readonly value: T;
  readonly status: FactStatus;
  readonly sources: readonly string[];
}

export interface PublishedModel {
  readonly id: string;
  readonly family: Family;
  /** torchtitan flavor keys and builder names (without leading underscores), compared case-insensitively. */
  readonly flavors: readonly string[];
  /** Matches `_name_or_path` / hub ids. */
  readonly hubName: RegExp;
  /** layers × experts × hidden, for recognising a config by shape. */
  readonly shape: { readonly layers: number; readonly experts: number; readonly hidden: number };
  readonly experts: Fact<number>;
  readonly topK: Fact<number>;
  readonly scoreFunc: Fact<string>;
  readonly groups?: { readonly count: Fact<number>; readonly selected: Fact<number> };
  /**
   * The published router limits no token to expert groups, and says so (Kimi-K2's `"n_group": 1, "topk_group": 1`)
   * where its config class would otherwise default to a limit (8 groups, 4 kept).
   */
  readonly noGroupLimit?: Fact<boolean>;
  /** Whether the published router chooses experts with a per-expert selection bias. */
  readonly selectionBias: Fact<boolean>;
  /** Whether the k routing weights of a token sum to 1 (renormalised, or a softmax over the k alone). */
  readonly renormalized?: Fact<boolean>;
  /** Whether the router's gate projection has a bias. */
  readonly gateBias?: Fact<boolean>;
  /** The factor the routed experts' weights are multiplied by (`routed_scaling_factor`). */
  readonly scale?: Fact<number>;
  /** The publisher's own parameter counts, and what its "active" counts. */
  readonly parameters?: PublishedParameters;
}

/**
 * What a publisher's active count includes: every weight a token meets with both embedding tables
 * (`all`), or all but the input embedding (`no-input-embedding`, OpenAI's gpt-oss model card).
 */
export type ActiveConvention = 'all' | 'no-input-embedding';

export interface PublishedParameters {
  readonly total: Fact<number>;
  readonly active: Fact<number>;
  readonly activeCounts: ActiveConvention;
  /** A part the published total includes that is not the text decoder (Llama 4's vision encoder). */
  readonly totalIncludes?: string;
}

const GPT_OSS_RENORM = ['arXiv 2508.10925 §2.2: "weight the output of each expert by the softmax of the router projection over only the selected experts"', 'torchtitan PR #2319 (41753c67b): "Fix gpt-oss implementation (MoE router gate bias + top-k renorm)"'];
const GPT_OSS_GATE_BIAS = ['openai/gpt-oss gpt_oss/torch/model.py @7b58334: MLPBlock gate = torch.nn.Linear(hidden_size, num_experts) (bias on); HF stores mlp.router.bias', 'torchtitan PR #2319 (41753c67b)'];

const GPT_OSS_SOURCES = [
  'openai/gpt-oss gpt_oss/torch/model.py @7b58334: ModelConfig(num_experts=128, experts_per_token=4)',
  'gpt-oss model card, arXiv 2508.10925 §2.2: "we select the top-4 experts for each token"',
  'huggingface.co/openai/gpt-oss-120b config.json: "num_local_experts": 128, "num_experts_per_tok": 4',
  'NVIDIA/Megatron-LM examples/post_training/modelopt/conf/openai/gpt-oss-120b.sh @d98e8a6: --moe-router-topk 4',
];

const GPT_OSS_20B_SOURCES = [
  'gpt-oss model card, arXiv 2508.10925 §2.2: "32 for gpt-oss-20b ... top-4 experts"',
  'huggingface.co/openai/gpt-oss-20b config.json: "num_local_experts": 32, "num_experts_per_tok": 4',
  'NVIDIA/Megatron-LM examples/post_training/modelopt/conf/openai/gpt-oss-20b.sh @d98e8a6',
];

const GPT_OSS_CARD = 'gpt-oss model card, arXiv 2508.10925 Table 1: "Unembedding parameters are counted towards active, but not embeddings."';
const GPT_OSS_README = 'openai/gpt-oss README.md lines 18–19 @7b58334';
const DSV3_README = 'deepseek-ai/DeepSeek-V3 README.md line 47 @9b4e978: "671B total parameters with 37B activated for each token"; README_WEIGHTS.md: activation parameters "including 0.9B for Embedding and 0.9B for the output Head"; the 685B on Hugging Face adds the 14B MTP module (README line 99)';
// The Qwen cards and Mistral's blog were read through verbatim copies (mirrors of the cards, transcriptions of
// the post), not at their source: secondary.
const QWEN30_CARD = 'huggingface.co/Qwen/Qwen3-30B-A3B model card: "Number of Parameters: 30.5B in total and 3.3B activated"; "Non-Embedding: 29.9B" (so both embedding tables count)';
const QWEN235_CARD = 'huggingface.co/Qwen/Qwen3-235B-A22B model card: "Number of Parameters: 235B in total and 22B activated"';
const MIXTRAL_BLOG = 'mistral.ai/news/mixtral-of-experts (2023-12-11): "Mixtral has 46.7B total parameters but only uses 12.9B parameters per token"';
const LLAMA4_CARD = 'meta-llama/llama-models models/llama4/MODEL_CARD.md @a9c89c4: Llama 4 Scout (17Bx16E) "17B (Activated) 109B (Total)", text and image input';
const OLMOE_PAPER = 'allenai/OLMoE README.md line 4 @357454f: "1.3 billion active and 6.9 billion total parameters"; arXiv 2409.02060 Table 10: "Active params include vocab params."';

const verified = <T>(value: T, sources: readonly string[]): Fact<T> => ({ value, status: 'verified', sources });
const secondary = <T>(value: T, sources: readonly string[]): Fact<T> => ({ value, status: 'secondary', sources });

const DSV3 = ['deepseek-ai/DeepSeek-V3 inference/configs/config_671B.json @9b4e978'];
const DSV2 = ['deepseek-ai/DeepSeek-V3 inference/configs/config_236B.json @9b4e978'];
const DEEPSEEK_GATE_RENORM = ['deepseek-ai/DeepSeek-V3 inference/model.py @9b4e978 Gate.forward: `if self.score_func == "sigmoid": weights /= weights.sum(...)` (softmax weights are not renormalised)'];
const QWEN235 = ['Qwen/Qwen3-235B-A22B config.json (verbatim copy, transformers 4.51.0): "norm_topk_prob": true'];
/** Qwen3-MoE's router multiplies the top-k weights by nothing: the published configs have no scaling factor. */
const QWEN3_NO_SCALE = ['transformers modeling_qwen3_moe.py @16b6c53c Qwen3MoeSparseMoeBlock: the softmax top-k weights, renormalised when norm_topk_prob, with no scaling factor (config.json has none)'];
const QWEN30 = ['Qwen3-30B-A3B model card (secondary copies); torchtitan qwen3 30B-A3B flavor; Megatron modelopt recipe'];
/**
 * Mixtral weighs the two experts it picks by a softmax over those two: transformers divides the top-k of the softmax
 * over all experts by their sum; mistral-inference takes the softmax of the top-k logits (the same weights).
 */
const MIXTRAL_RENORM = ['transformers modular_mixtral.py @7792ab1a MixtralSparseMoeBlock: softmax over all experts, top-k, `routing_weights /= routing_weights.sum(dim=-1, keepdim=True)`', 'mistralai/mistral-inference moe.py l.26-27: softmax over the top-k logits'];
const MIXTRAL = ['mistralai/Mixtral-8x7B-v0.1 config.json (identical verbatim copies, transformers 4.36.0.dev0)'];
const LLAMA4 = ['third-party Llama 4 config excerpts; NVIDIA/Megatron-LM modelopt recipes @d98e8a6 (--moe-router-topk 1 --moe-router-score-function sigmoid)'];
const DBRX = ['databricks/dbrx-instruct config.json (verbatim copy, transformers 4.39.2): ffn_config.moe_num_experts 16, moe_top_k 4'];
const OLMOE = ['allenai/OLMoE-1B-7B test fixtures (secondary)'];
// Kimi-K2, GLM-4.5 and MiniMax-M2: the publishers' GitHub READMEs and the GLM-4.5 technical report were read; their
// config.json files only through copies, which agree with each other: values only a config.json gives are secondary.
const KIMI_README = ['MoonshotAI/Kimi-K2 README.md lines 55–67 @c6157be: "Number of Experts | 384", "Selected Experts per Token | 8", "Number of Layers (Dense layer included) | 61"'];
const KIMI_CONFIG = ['moonshotai/Kimi-K2-Instruct config.json, verbatim copies (alibaba/rtp-llm @be512b9, ai-dynamo/aiconfigurator, tenstorrent/tt-forge-models @cf1d3a0): "scoring_func": "sigmoid", "topk_method": "noaux_tc", "n_group": 1, "topk_group": 1, "norm_topk_prob": true, "routed_scaling_factor": 2.827'];
const GLM_REPORT = ['zai-org/GLM-4.5 resources/GLM_4_5_technical_report.pdf @bebc6b4, Table 1: "# Experts (total) 160 128", "# Experts Active Per Token 8 8"; §2.1: "We employ loss-free balance routing and sigmoid gates for MoE layers"'];
const GLM45_CONFIG = ['zai-org/GLM-4.5 config.json, verbatim copy (alibaba/rtp-llm @de8bee3): "norm_topk_prob": true, "routed_scaling_factor": 2.5; Megatron-Bridge GLM45ModelProvider355B moe_router_topk_scaling_factor 2.5'];
const GLM45_AIR_CONFIG = ['GLM-4.5-Air config values in Megatron-Bridge GLM45AirModelProvider106B @5f28ae8 (moe_router_topk_scaling_factor 1.0) and a GLM-4.5-Air-Base derived config (PrimeIntellect/INTELLECT-3-Base: "routed_scaling_factor": 1.0, "norm_topk_prob": true)'];
const MINIMAX_CONFIG = ['MiniMaxAI/MiniMax-M2 config.json, copies (aws-neuron/neuronx-distributed-inference @c86783e, ai-dynamo/aiconfigurator M2.5): "num_local_experts": 256, "num_experts_per_tok": 8, "scoring_func": "sigmoid"; transformers minimax_m2 (top-k of sigmoid + e_score_correction_bias, weights divided by their sum, no scaling)'];
const HUNYUAN_A13B_CONFIG = ['Tencent-Hunyuan/Hunyuan-A13B models/config.json @2798f3c (the publisher\'s repository): "num_experts": 64, "moe_topk": [8, …] for its 32 layers, "hidden_size": 4096'];
const HUNYUAN_A13B_CODE = ['Tencent-Hunyuan/Hunyuan-A13B models/modeling_hunyuan.py @2798f3c: HunYuanTopKGate (L445-467), a `wg` Linear without bias; topkgating (L74-140): softmax over all experts, top-k, the k weights divided by their sum'];
// Secondary: verbatim copies of the publishers' config.json files in other projects' repositories.
const MIXTRAL_22B = ['mistralai/Mixtral-8x22B-v0.1 config.json, verbatim copy (inference-sim/inference-sim @59649ee model_configs/mixtral-8x22b-v0.1/config.json): "num_local_experts": 8, "num_experts_per_tok": 2, "num_hidden_layers": 56, "hidden_size": 6144'];
const QWEN3_NEXT = ['Qwen/Qwen3-Next-80B-A3B-Thinking config.json, verbatim copy (ai-dynamo/aiconfigurator @1b7cfb1): "num_experts": 512, "num_experts_per_tok": 10, "norm_topk_prob": true, "num_hidden_layers": 48, "hidden_size": 2048'];
const QWEN3_NEXT_ROUTER = 'transformers 5.18.0 Qwen3NextSparseMoeBlock (modeling_qwen3_next.py L838-839): softmax over all experts, then top-k';
const QWEN35 = ['Qwen/Qwen3.5-35B-A3B config.json, verbatim copy (ai-dynamo/aiconfigurator @095f58a aic-core/src/aiconfigurator_core/model_configs/Qwen--Qwen3.5-35B-A3B_config.json): text_config "num_experts": 256, "num_experts_per_tok": 8, "num_hidden_layers": 40, "hidden_size": 2048'];
const QWEN35_122B = ['Qwen/Qwen3.5-122B-A10B config.json, verbatim copy (ai-dynamo/aiconfigurator @095f58a aic-core/src/aiconfigurator_core/model_configs/Qwen--Qwen3.5-122B-A10B_config.json): text_config "num_experts": 256, "num_experts_per_tok": 8, "num_hidden_layers": 48, "hidden_size": 3072'];
const QWEN35_397B = ['Qwen/Qwen3.5-397B-A17B config.json, verbatim copy (ai-dynamo/aiconfigurator @095f58a aic-core/src/aiconfigurator_core/model_configs/Qwen--Qwen3.5-397B-A17B_config.json): text_config "num_experts": 512, "num_experts_per_tok": 10, "num_hidden_layers": 60, "hidden_size": 4096; the same counts in THUDM/slime @aa84536 scripts/models/qwen3.5-397B-A17B.sh'];
const QWEN35_ROUTER = ['transformers @e36255c modular_qwen3_5_moe.py: Qwen3_5MoeTopKRouter = Qwen3VLMoeTextTopKRouter (softmax over all experts, top-k, always divided by their sum; no selection bias)'];
const GEMMA4 = ['google/gemma-4-26B-A4B config.json, verbatim copy (ai-dynamo/aiconfigurator @095f58a aic-core/src/aiconfigurator_core/model_configs/google--gemma-4-26B-A4B_config.json): text_config "enable_moe_block": true, "num_experts": 128, "top_k_experts": 8, "num_hidden_layers": 30, "hidden_size": 2816; the same counts in THUDM/slime @91f8526 scripts/models/gemma4-26B-A4B.sh ("Based on google/gemma-4-26B-A4B-it")'];
const GEMMA4_ROUTER = ['transformers @527d8b4 modular_gemma4.py Gemma4TextRouter: softmax over all experts, top-k, divided by their sum, times a learned per-expert scale; no selection bias'];
const MINIMAX_BIAS = ['huggingface.co/MiniMaxAI/MiniMax-M2 commit 35c5c79 (the publisher\'s config.json): "use_routing_bias": true'];

export const PUBLISHED_MODELS: readonly PublishedModel[] = [
  {
    id: 'gpt-oss-120b',
    family: 'gpt-oss',
    flavors: ['120b'],
    hubName: /gpt-oss-120b/i,
    shape: { layers: 36, experts: 128, hidden: 2880 },
    experts: verified(128, GPT_OSS_SOURCES),
    topK: verified(4, GPT_OSS_SOURCES),
    scoreFunc: verified('softmax', ['arXiv 2508.10925 §2.2: "softmax of the router projection over only the selected experts"']),
    selectionBias: verified(false, ['openai/gpt-oss gpt_oss/torch/model.py @7b58334: MLPBlock gate is nn.Linear, no selection bias']),
    renormalized: verified(true, GPT_OSS_RENORM),
    gateBias: verified(true, GPT_OSS_GATE_BIAS),
    parameters: { total: verified(116_830_000_000, [GPT_OSS_CARD + ': 116.83B total', GPT_OSS_README]), active: verified(5_130_000_000, [GPT_OSS_CARD + ': 5.13B active']), activeCounts: 'no-input-embedding' },
  },
  {
    id: 'gpt-oss-20b',
    family: 'gpt-oss',
    flavors: ['20b'],
    hubName: /gpt-oss-20b/i,
    shape: { layers: 24, experts: 32, hidden: 2880 },
    experts: verified(32, GPT_OSS_20B_SOURCES),
    topK: verified(4, GPT_OSS_20B_SOURCES),
    scoreFunc: verified('softmax', ['arXiv 2508.10925 §2.2']),
    selectionBias: verified(false, ['openai/gpt-oss gpt_oss/torch/model.py @7b58334']),
    renormalized: verified(true, GPT_OSS_RENORM),
    gateBias: verified(true, GPT_OSS_GATE_BIAS),
    parameters: { total: verified(20_910_000_000, [GPT_OSS_CARD + ': 20.91B total', GPT_OSS_README]), active: verified(3_610_000_000, [GPT_OSS_CARD + ': 3.61B active']), activeCounts: 'no-input-embedding' },
  },
  {
    id: 'deepseek-v3-671b',
    family: 'deepseek',
    flavors: ['671b', 'deepseek-v3', 'deepseek-r1'],
    hubName: /deepseek-(v3|r1)(?![-.]?lite)/i,
    shape: { layers: 61, experts: 256, hidden: 7168 },
    experts: verified(256, DSV3),
    topK: verified(8, DSV3),
    scoreFunc: verified('sigmoid', DSV3),
    groups: { count: verified(8, DSV3), selected: verified(4, DSV3) },
    renormalized: verified(true, DEEPSEEK_GATE_RENORM),
    // config_671B.json "route_scale": 2.5 (HF config.json "routed_scaling_factor": 2.5).
    scale: verified(2.5, DSV3),
    selectionBias: verified(true, ['deepseek-ai/DeepSeek-V3 inference/model.py @9b4e978: Gate.bias when dim == 7168']),
    parameters: { total: verified(671_000_000_000, [DSV3_README]), active: verified(37_000_000_000, [DSV3_README]), activeCounts: 'all' },
  },
  {
    id: 'deepseek-v2-236b',
    family: 'deepseek',
    flavors: ['236b'],
    hubName: /deepseek-v2(\.5)?(?!-lite)/i,
    shape: { layers: 60, experts: 160, hidden: 5120 },
    experts: verified(160, DSV2),
    topK: verified(6, DSV2),
    scoreFunc: verified('softmax', DSV2),
    groups: { count: verified(8, DSV2), selected: verified(3, DSV2) },
    selectionBias: verified(false, DSV2),
    renormalized: verified(false, DEEPSEEK_GATE_RENORM),
    // config_236B.json "route_scale": 16.0 (HF config.json "routed_scaling_factor": 16.0).
    scale: verified(16, DSV2),
  },
  {
    id: 'qwen3-235b-a22b',
    family: 'qwen3',
    flavors: ['235b-a22b'],
    hubName: /qwen3-235b-a22b/i,
    shape: { layers: 94, experts: 128, hidden: 4096 },
    experts: verified(128, QWEN235),
    topK: verified(8, QWEN235),
    scoreFunc: verified('softmax', ['transformers modeling_qwen3_moe.py @16b6c53c: softmax router']),
    selectionBias: verified(false, ['transformers modeling_qwen3_moe.py @16b6c53c']),
    renormalized: verified(true, QWEN235),
    scale: verified(1, QWEN3_NO_SCALE),
    parameters: { total: secondary(235_000_000_000, [QWEN235_CARD]), active: secondary(22_000_000_000, [QWEN235_CARD]), activeCounts: 'all' },
  },
  {
    id: 'qwen3-30b-a3b',
    family: 'qwen3',
    flavors: ['30b-a3b'],
    hubName: /qwen3-30b-a3b/i,
    shape: { layers: 48, experts: 128, hidden: 2048 },
    experts: secondary(128, QWEN30),
    topK: secondary(8, QWEN30),
    scoreFunc: verified('softmax', ['transformers modeling_qwen3_moe.py @16b6c53c: softmax router']),
    selectionBias: verified(false, ['transformers modeling_qwen3_moe.py @16b6c53c']),
    renormalized: secondary(true, QWEN30),
    scale: verified(1, QWEN3_NO_SCALE),
    parameters: { total: secondary(30_500_000_000, [QWEN30_CARD]), active: secondary(3_300_000_000, [QWEN30_CARD]), activeCounts: 'all' },
  },
  {
    id: 'mixtral-8x7b',
    family: 'mixtral',
    flavors: ['8x7b'],
    hubName: /mixtral-8x7b/i,
    shape: { layers: 32, experts: 8, hidden: 4096 },
    experts: verified(8, MIXTRAL),
    topK: verified(2, MIXTRAL),
    scoreFunc: verified('softmax', ['transformers modular_mixtral.py @7792ab1a: softmax router']),
    selectionBias: verified(false, ['transformers modular_mixtral.py @7792ab1a']),
    renormalized: verified(true, MIXTRAL_RENORM),
    parameters: { total: secondary(46_700_000_000, [MIXTRAL_BLOG]), active: secondary(12_900_000_000, [MIXTRAL_BLOG]), activeCounts: 'all' },
  },
  {
    id: 'llama4-scout-17b-16e',
    family: 'llama4',
    flavors: ['17bx16e', '17bx16e_irope', 'scout'],
    hubName: /llama-4-scout/i,
    shape: { layers: 48, experts: 16, hidden: 5120 },
    experts: secondary(16, LLAMA4),
    topK: secondary(1, LLAMA4),
    scoreFunc: secondary('sigmoid', LLAMA4),
    selectionBias: secondary(false, LLAMA4),
    parameters: { total: verified(109_000_000_000, [LLAMA4_CARD]), active: verified(17_000_000_000, [LLAMA4_CARD]), activeCounts: 'all', totalIncludes: 'the vision encoder (the card lists text and image input; the text model alone is 107.8B)' },
  },
  {
    id: 'llama4-maverick-17b-128e',
    family: 'llama4',
    flavors: ['17bx128e', '17bx128e_irope', 'maverick'],
    hubName: /llama-4-maverick/i,
    shape: { layers: 48, experts: 128, hidden: 5120 },
    experts: secondary(128, LLAMA4),
    topK: secondary(1, LLAMA4),
    scoreFunc: secondary('sigmoid', LLAMA4),
    selectionBias: secondary(false, LLAMA4),
  },
  {
    id: 'dbrx',
    family: 'dbrx',
    flavors: ['dbrx', '132b'],
    hubName: /dbrx/i,
    shape: { layers: 40, experts: 16, hidden: 6144 },
    experts: verified(16, DBRX),
    topK: verified(4, DBRX),
    scoreFunc: secondary('softmax', ['DBRX router (unverified against the HF source)']),
    selectionBias: secondary(false, DBRX),
  },
  {
    id: 'kimi-k2',
    family: 'kimi',
    flavors: ['kimi-k2', 'kimi_k2', '1t-a32b'],
    hubName: /kimi-k2(?![-_.]?5)/i,
    shape: { layers: 61, experts: 384, hidden: 7168 },
    experts: verified(384, KIMI_README),
    topK: verified(8, KIMI_README),
    scoreFunc: secondary('sigmoid', KIMI_CONFIG),
    noGroupLimit: secondary(true, KIMI_CONFIG),
    selectionBias: secondary(true, KIMI_CONFIG),
    renormalized: secondary(true, KIMI_CONFIG),
    gateBias: secondary(false, ['DeepseekV3TopkRouter (the class Kimi-K2 reuses: MoonshotAI/Kimi-K2 docs/deploy_guidance.md l.195): a weight and a separate e_score_correction_bias, no gate bias']),
    scale: secondary(2.827, KIMI_CONFIG),
  },
  {
    id: 'glm-4.5',
    family: 'glm',
    flavors: ['glm-4.5', 'glm4.5', '355b-a32b'],
    hubName: /glm-4\.5(?![-_]?air|v)/i,
    shape: { layers: 92, experts: 160, hidden: 5120 },
    experts: verified(160, GLM_REPORT),
    topK: verified(8, GLM_REPORT),
    scoreFunc: verified('sigmoid', GLM_REPORT),
    selectionBias: verified(true, GLM_REPORT),
    renormalized: secondary(true, GLM45_CONFIG),
    scale: secondary(2.5, GLM45_CONFIG),
  },
  {
    id: 'glm-4.5-air',
    family: 'glm',
    flavors: ['glm-4.5-air', 'glm4.5-air', '106b-a12b'],
    hubName: /glm-4\.5-?air/i,
    shape: { layers: 46, experts: 128, hidden: 4096 },
    experts: verified(128, GLM_REPORT),
    topK: verified(8, GLM_REPORT),
    scoreFunc: verified('sigmoid', GLM_REPORT),
    selectionBias: verified(true, GLM_REPORT),
    renormalized: secondary(true, GLM45_AIR_CONFIG),
    // Not GLM-4.5's 2.5: every source for the Air model says 1.0.
    scale: secondary(1, GLM45_AIR_CONFIG),
  },
  {
    id: 'minimax-m2',
    family: 'minimax',
    flavors: ['minimax-m2', 'minimax_m2', '230b-a10b'],
    hubName: /minimax-m2/i,
    shape: { layers: 62, experts: 256, hidden: 3072 },
    experts: secondary(256, MINIMAX_CONFIG),
    topK: secondary(8, MINIMAX_CONFIG),
    scoreFunc: secondary('sigmoid', MINIMAX_CONFIG),
    selectionBias: verified(true, MINIMAX_BIAS),
    renormalized: secondary(true, MINIMAX_CONFIG),
    scale: secondary(1, MINIMAX_CONFIG),
  },
  {
    id: 'mixtral-8x22b',
    family: 'mixtral',
    flavors: ['8x22b'],
    hubName: /mixtral-8x22b/i,
    shape: { layers: 56, experts: 8, hidden: 6144 },
    experts: secondary(8, MIXTRAL_22B),
    topK: secondary(2, MIXTRAL_22B),
    scoreFunc: verified('softmax', ['transformers modular_mixtral.py @7792ab1a: softmax router']),
    selectionBias: verified(false, ['transformers modular_mixtral.py @7792ab1a']),
    renormalized: verified(true, MIXTRAL_RENORM),
  },
  {
    id: 'qwen3-next-80b-a3b',
    family: 'qwen3',
    flavors: [],
    hubName: /qwen3-next-80b-a3b/i,
    shape: { layers: 48, experts: 512, hidden: 2048 },
    experts: secondary(512, QWEN3_NEXT),
    topK: secondary(10, QWEN3_NEXT),
    scoreFunc: secondary('softmax', [QWEN3_NEXT_ROUTER]),
    selectionBias: secondary(false, [QWEN3_NEXT_ROUTER]),
    renormalized: secondary(true, QWEN3_NEXT),
    scale: secondary(1, [QWEN3_NEXT_ROUTER]),
  },
  {
    id: 'qwen3.5-35b-a3b',
    family: 'qwen3',
    flavors: ['35b-a3b'],
    hubName: /qwen3\.5-35b-a3b/i,
    shape: { layers: 40, experts: 256, hidden: 2048 },
    experts: secondary(256, QWEN35),
    topK: secondary(8, QWEN35),
    scoreFunc: verified('softmax', QWEN35_ROUTER),
    selectionBias: verified(false, QWEN35_ROUTER),
    renormalized: verified(true, QWEN35_ROUTER),
  },
  {
    id: 'qwen3.5-122b-a10b',
    family: 'qwen3',
    flavors: ['122b-a10b'],
    hubName: /qwen3\.5-122b-a10b/i,
    shape: { layers: 48, experts: 256, hidden: 3072 },
    experts: secondary(256, QWEN35_122B),
    topK: secondary(8, QWEN35_122B),
    scoreFunc: verified('softmax', QWEN35_ROUTER),
    selectionBias: verified(false, QWEN35_ROUTER),
    renormalized: verified(true, QWEN35_ROUTER),
  },
  {
    id: 'qwen3.5-397b-a17b',
    family: 'qwen3',
    flavors: ['397b-a17b'],
    hubName: /qwen3\.5-397b-a17b/i,
    shape: { layers: 60, experts: 512, hidden: 4096 },
    experts: secondary(512, QWEN35_397B),
    topK: secondary(10, QWEN35_397B),
    scoreFunc: verified('softmax', QWEN35_ROUTER),
    selectionBias: verified(false, QWEN35_ROUTER),
    renormalized: verified(true, QWEN35_ROUTER),
  },
  {
    id: 'gemma-4-26b-a4b',
    family: 'gemma',
    flavors: [],
    hubName: /gemma-4-26b-a4b/i,
    shape: { layers: 30, experts: 128, hidden: 2816 },
    experts: secondary(128, GEMMA4),
    topK: secondary(8, GEMMA4),
    scoreFunc: verified('softmax', GEMMA4_ROUTER),
    selectionBias: verified(false, GEMMA4_ROUTER),
    renormalized: verified(true, GEMMA4_ROUTER),
  },
  {
    id: 'olmoe-1b-7b',
    family: 'olmoe',
    flavors: ['1b-7b'],
    hubName: /olmoe-1b-7b/i,
    shape: { layers: 16, experts: 64, hidden: 2048 },
    experts: secondary(64, OLMOE),
    topK: secondary(8, OLMOE),
    scoreFunc: secondary('softmax', OLMOE),
    selectionBias: secondary(false, OLMOE),
    parameters: { total: verified(6_900_000_000, [OLMOE_PAPER]), active: verified(1_300_000_000, [OLMOE_PAPER]), activeCounts: 'all' },
  },
  {
    id: 'hunyuan-a13b',
    family: 'hunyuan',
    flavors: ['hunyuan-a13b', 'hunyuan_a13b', '80b-a13b'],
    hubName: /hunyuan-a13b/i,
    shape: { layers: 32, experts: 64, hidden: 4096 },
    experts: verified(64, HUNYUAN_A13B_CONFIG),
    topK: verified(8, HUNYUAN_A13B_CONFIG),
    scoreFunc: verified('softmax', HUNYUAN_A13B_CODE),
    selectionBias: verified(false, HUNYUAN_A13B_CODE),
    renormalized: verified(true, HUNYUAN_A13B_CODE),
    gateBias: verified(false, HUNYUAN_A13B_CODE),
  },
];
