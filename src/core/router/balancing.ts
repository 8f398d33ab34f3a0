/**
 * Auxiliary-loss-free load balancing, simulated: each step routes one batch with the current selection bias,
 * counts the tokens each expert got, and updates the bias by the framework's own rule (issue #11 item 3).
 * Only the bias moves: the gate is frozen (no gradient step), so what the curve shows is the bias rule's own
 * dynamics on this router and these tokens. The pre-bias choice values of a batch are computed once, which
 * makes a step cost a top-k per token instead of a matrix product.
 */
import type { RouterSpec, Site } from '../model/router-spec';
import { gateSeenTokens, groupMaskScratch, maskGroups, scoreInPlace, topKInto, topKOfSumInto, type GroupMaskScratch, type RouterInputs } from './cpu-router';
import type { RouterConfig } from './router-config';
import { loadStats } from './stats';

/** How a framework updates its learned selection bias after a step, from its own source. */
export interface BiasUpdateRule {
  /** `sign`: bias += rate · sign(mean − load). `sign-centred`: the same step, minus its mean over experts. */
  readonly kind: 'sign' | 'sign-centred';
  readonly rate: number;
  /** Where the rate comes from: the config's key and line, or the default's declaration. */
  readonly rateSource: string;
  /** The update's code, cited. */
  readonly source: string;
}

export type BiasUpdateResult = { readonly rule: BiasUpdateRule } | { readonly unavailable: string };

const TORCHTITAN_RULE = 'torchtitan torchtitan/components/optimizer/optimizer.py @b5bcd76 l.512-518: delta = coeff · sign(mean − tokens_per_expert); delta −= delta.mean(); expert_bias += delta';
const MEGATRON_RULE = 'Megatron-LM megatron/core/transformer/moe/moe_utils.py @d98e8a6 l.1226-1228 (get_updated_expert_bias): expert_bias + sign(average_tokens − tokens_per_expert) · rate';
const DEEPSEEK_RULE = 'DeepSeek-V3 Technical Report (arXiv 2412.19437) §2.1.2: at the end of each step, b_i −= γ if expert i is overloaded, += γ if underloaded (γ = 0.001 for the first 14.3T tokens, §4.2)';

function writtenNumber(spec: RouterSpec, key: string): { value: number; site: Site } | undefined {
  const site = [...spec.sites].reverse().find((s) => s.key === key);
  if (!site || (site.literal.kind !== 'int' && site.literal.kind !== 'float')) return undefined;
  return { value: site.literal.value, site };
}

/**
 * The bias update of the config's framework, with its rate; unavailable (and why) when the config has no learned
 * selection bias, or the rate is not a number MoE Lens can read.
 */
export function biasUpdateFor(spec: RouterSpec): BiasUpdateResult {
  const selection = spec.selectionBias.value;
  if (selection === 'none') return { unavailable: 'the router has no selection bias to balance with' };
  const rate = (key: string, fallback: number, declaration: string): { rate: number; rateSource: string } | undefined => {
    const written = writtenNumber(spec, key);
    if (written) return written.value > 0 ? { rate: written.value, rateSource: `${key} = ${written.value} (written${written.site.file ? ` in ${written.site.file}` : ' in this file'})` } : undefined;
    if (spec.sites.some((s) => s.key === key)) return undefined;
    return { rate: fallback, rateSource: `${key} = ${fallback} (${declaration})` };
  };
  if (spec.framework === 'torchtitan') {
    const r = rate('load_balance_coeff', 1e-3, 'MoE.Config default, torchtitan/models/common/moe.py @b5bcd76 l.362');
    return r ? { rule: { kind: 'sign-centred', ...r, source: TORCHTITAN_RULE } } : { unavailable: '`load_balance_coeff` is not a positive number written in the file' };
  }
  if (spec.framework === 'megatron') {
    const r = rate('moe_router_bias_update_rate', 1e-3, 'TransformerConfig default, megatron/core/transformer/transformer_config.py @d98e8a6 l.821');
    return r ? { rule: { kind: 'sign', ...r, source: MEGATRON_RULE } } : { unavailable: '`--moe-router-bias-update-rate` is not a positive number written in the file' };
  }
  // A DeepSeek-V3 checkpoint's e_score_correction_bias was trained with the paper's rule (no training code is public).
  if (spec.framework === 'deepseek-official' || spec.framework === 'hf:deepseek_v3') {
    return { rule: { kind: 'sign', rate: 1e-3, rateSource: 'γ = 0.001 (DeepSeek-V3 Technical Report §4.2)', source: DEEPSEEK_RULE } };
  }
  return { unavailable: `MoE Lens knows no bias update rule for ${spec.framework} configs` };
}

/** One step's load, and the bias it leaves for the next step. */
export interface BalancingStep {
  /** 1-based: the bias after `step` updates. */
  readonly step: number;
  readonly maxOverMean: number;
  readonly coefficientOfVariation: number;
  readonly idleExperts: number;
  /** Tokens per expert in this step's batch (routed with the bias before this step's update). */
  readonly counts: Int32Array;
  readonly bias: Float64Array;
}

/** The pre-bias values the top-k compares for one batch, [tokens, experts]: scores, or logits (top-k before score). */
export function choiceValues(config: RouterConfig, inputs: RouterInputs): Float64Array {
  const { tokens: T, hidden: H } = inputs;
  const E = config.experts;
  const out = new Float64Array(T * E);
  // Typed copies keep the inner loop monomorphic. Tokens go in blocks, so that a gate row is read once per block
  // from memory rather than once per token (a 256 × 7168 gate is 15 MB: per token that is memory-bound).
  const x = gateSeenTokens(config, inputs);
  const w = Float64Array.from(inputs.gateWeight);
  const BLOCK = 8;
  for (let t0 = 0; t0 < T; t0 += BLOCK) {
    const t1 = Math.min(T, t0 + BLOCK);
    for (let e = 0; e < E; e++) {
      const we = e * H;
      const bias = config.routerBias && inputs.gateBias ? inputs.gateBias[e]! : 0;
      for (let t = t0; t < t1; t++) {
        const xt = t * H;
        let s0 = 0;
        let s1 = 0;
        let h = 0;
        for (; h + 1 < H; h += 2) {
          s0 += x[xt + h]! * w[we + h]!;
          s1 += x[xt + h + 1]! * w[we + h + 1]!;
        }
        if (h < H) s0 += x[xt + h]! * w[we + h]!;
        out[t * E + e] = bias + (s0 + s1);
      }
    }
  }
  if (config.order === 'topk-then-score') return out;
  for (let t = 0; t < T; t++) scoreInPlace(config.scoreFunc, out, t * E, E);
  return out;
}

/**
 * The simulation, one step at a time (the panel's run / pause / step drive it; the CLI loops). Batches are used
 * in turn; each is the `choiceValues` of one batch of tokens.
 */
export class BalancingSimulation {
  readonly bias: Float64Array;
  private steps = 0;
  private readonly choice: Float64Array;
  private readonly picked: Int32Array;
  private readonly pickedValues: Float64Array;
  private readonly groupScratch: GroupMaskScratch;

  constructor(
    private readonly config: RouterConfig,
    private readonly rule: BiasUpdateRule,
    private readonly batches: readonly Float64Array[],
    initialBias?: ArrayLike<number>,
  ) {
    if (batches.length === 0 || batches.some((b) => b.length === 0 || b.length % config.experts !== 0)) throw new Error('each batch must hold [tokens, experts] choice values');
    this.bias = Float64Array.from(initialBias ?? new Float64Array(config.experts));
    this.choice = new Float64Array(config.experts);
    this.picked = new Int32Array(config.topK);
    this.pickedValues = new Float64Array(config.topK);
    this.groupScratch = groupMaskScratch(config);
  }

  get stepsDone(): number {
    return this.steps;
  }

  step(): BalancingStep {
    const { experts: E, topK: K } = this.config;
    const batch = this.batches[this.steps % this.batches.length]!;
    const T = batch.length / E;
    const counts = new Int32Array(E);
    for (let t = 0; t < T; t++) {
      if (this.config.groups) {
        for (let e = 0; e < E; e++) this.choice[e] = batch[t * E + e]! + this.bias[e]!;
        maskGroups(this.config, this.choice, this.groupScratch);
        topKInto(this.choice, K, this.picked);
      } else {
        topKOfSumInto(batch, t * E, this.bias, E, K, this.picked, this.pickedValues);
      }
      for (let i = 0; i < K; i++) counts[this.picked[i]!]!++;
    }
    const stats = loadStats(counts, T, K);
    this.update(counts);
    this.steps++;
    return { step: this.steps, maxOverMean: stats.maxOverMean, coefficientOfVariation: stats.coefficientOfVariation, idleExperts: stats.idleExperts, counts, bias: Float64Array.from(this.bias) };
  }

  private update(counts: Int32Array): void {
    const E = counts.length;
    let total = 0;
    for (let e = 0; e < E; e++) total += counts[e]!;
    const mean = total / E;
    const delta = new Float64Array(E);
    let deltaMean = 0;
    for (let e = 0; e < E; e++) deltaMean += delta[e] = this.rule.rate * Math.sign(mean - counts[e]!);
    deltaMean /= E;
    for (let e = 0; e < E; e++) this.bias[e] = this.bias[e]! + delta[e]! - (this.rule.kind === 'sign-centred' ? deltaMean : 0);
  }
}

/** The tokens split into `count` batches of ⌊T / count⌋ tokens (views; the rest are left out), routed in turn. */
export function splitBatches(inputs: RouterInputs, count: number): RouterInputs[] {
  const per = Math.floor(inputs.tokens / count);
  const H = inputs.hidden;
  const rows = (from: number): ArrayLike<number> =>
    inputs.hiddenStates instanceof Float32Array || inputs.hiddenStates instanceof Float64Array ? inputs.hiddenStates.subarray(from * H, (from + per) * H) : Array.prototype.slice.call(inputs.hiddenStates, from * H, (from + per) * H);
  return Array.from({ length: per > 0 ? count : 0 }, (_, b) => ({ ...inputs, tokens: per, hiddenStates: rows(b * per) }));
}
