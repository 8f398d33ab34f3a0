/**
 * The plain TypeScript router, in float64: the oracle the ONNX graph is tested against, itself tested
 * against vectors from an independent PyTorch implementation (scripts/reference/router_reference.py).
 */
import { dot, dotFour } from './dot';
import type { RouterConfig } from './router-config';

export interface RouterInputs {
  readonly tokens: number;
  readonly hidden: number;
  /** [tokens, hidden], row-major. */
  readonly hiddenStates: ArrayLike<number>;
  /** [experts, hidden], row-major (the gate Linear's weight). */
  readonly gateWeight: ArrayLike<number>;
  /** [experts]; used when the config has a router bias. */
  readonly gateBias?: ArrayLike<number>;
  /** [experts]; used when the config has a selection bias. */
  readonly selectionBias?: ArrayLike<number>;
  /** [hidden]; the learned scale of a normed token (`tokenNorm`), 1 where absent. */
  readonly tokenScale?: ArrayLike<number>;
  /** [experts]; the learned scale of each chosen weight (`expertScale`), 1 where absent. */
  readonly expertScale?: ArrayLike<number>;
}

export interface RouterOutputs {
  /** [tokens, topK], each row ordered by descending choice score. */
  readonly indices: Int32Array;
  /** [tokens, topK], aligned with indices. */
  readonly weights: Float64Array;
  /** [experts] tokens routed to each expert. */
  readonly counts: Int32Array;
}

export function scoreValue(func: RouterConfig['scoreFunc'], x: number): number {
  if (func === 'sigmoid') return 1 / (1 + Math.exp(-x));
  // sqrt(softplus(x)); softplus computed stably.
  return Math.sqrt(x > 20 ? x : Math.log1p(Math.exp(x)));
}

/** Indices of the k largest values, largest first; ties go to the lower index (as torch.topk in practice). */
export function topKIndices(values: ArrayLike<number>, k: number): number[] {
  const out = new Int32Array(Math.min(k, values.length));
  topKInto(values, out.length, out);
  return Array.from(out);
}

/** `topKIndices` into `out` (k ≤ values.length), without allocating: the load-balancing simulation calls it per token. */
export function topKInto(values: ArrayLike<number>, k: number, out: Int32Array): void {
  let filled = 0;
  // The k-th largest value so far, once k are in: most values fall below it and cost one comparison.
  let kth = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (filled === k && !(v > kth)) continue;
    let at = filled < k ? filled++ : k - 1;
    while (at > 0 && v > values[out[at - 1]!]!) {
      out[at] = out[at - 1]!;
      at--;
    }
    out[at] = i;
    if (filled === k) kth = values[out[k - 1]!]!;
  }
}

/**
 * `topKInto` of `values[offset + e] + add[e]` for e < length, without writing the sums anywhere: the balancing
 * simulation's inner loop (every token of every step), where the copy and `topKInto`'s generic reads cost 3× the
 * time. Same order and ties as `topKInto` (a later equal value never displaces an earlier one).
 */
export function topKOfSumInto(values: Float64Array, offset: number, add: Float64Array, length: number, k: number, out: Int32Array, kept: Float64Array): void {
  let filled = 0;
  let kth = -Infinity;
  for (let e = 0; e < length; e++) {
    const v = values[offset + e]! + add[e]!;
    if (filled === k && !(v > kth)) continue;
    let at = filled < k ? filled++ : k - 1;
    while (at > 0 && v > kept[at - 1]!) {
      kept[at] = kept[at - 1]!;
      out[at] = out[at - 1]!;
      at--;
    }
    kept[at] = v;
    out[at] = e;
    if (filled === k) kth = kept[k - 1]!;
  }
}

/** Turns logits into scores in place, `values[start..start+length)` (softmax over the row, or element-wise). */
export function scoreInPlace(func: RouterConfig['scoreFunc'], values: Float64Array, start: number, length: number): void {
  const end = start + length;
  if (func === 'softmax') {
    let max = -Infinity;
    for (let e = start; e < end; e++) max = Math.max(max, values[e]!);
    let total = 0;
    for (let e = start; e < end; e++) total += values[e] = Math.exp(values[e]! - max);
    for (let e = start; e < end; e++) values[e] = values[e]! / total;
  } else {
    for (let e = start; e < end; e++) values[e] = scoreValue(func, values[e]!);
  }
}

/** out[e] = bias[e] + token · weight row e for every expert, four rows at a time (dotFour: the same bits as `dot`). */
function gateLogits(token: ArrayLike<number>, at: number, weight: ArrayLike<number>, H: number, E: number, bias: ArrayLike<number> | undefined, out: Float64Array): void {
  let e = 0;
  for (; e + 4 <= E; e += 4) dotFour(token, at, weight, e * H, H, out, e, bias ? bias[e]! : 0, bias ? bias[e + 1]! : 0, bias ? bias[e + 2]! : 0, bias ? bias[e + 3]! : 0);
  for (; e < E; e++) out[e] = dot(token, at, weight, e * H, H, bias ? bias[e]! : 0);
}

export function routeReference(config: RouterConfig, inputs: RouterInputs): RouterOutputs {
  const { tokens: T, hidden: H } = inputs;
  const E = config.experts;
  const K = config.topK;
  const indices = new Int32Array(T * K);
  const weights = new Float64Array(T * K);
  const counts = new Int32Array(E);
  const logits = new Float64Array(E);
  const scores = new Float64Array(E);
  const choice = new Float64Array(E);
  const groupScratch = groupMaskScratch(config);
  const normed = config.tokenNorm ? new Float64Array(H) : undefined;

  for (let t = 0; t < T; t++) {
    const token = normed ? normToken(config.tokenNorm!.epsilon, inputs, t, normed) : inputs.hiddenStates;
    const at = normed ? 0 : t * H;
    gateLogits(token, at, inputs.gateWeight, H, E, config.routerBias ? inputs.gateBias : undefined, logits);
    const selectionBias = (e: number): number => (config.selectionBias && inputs.selectionBias ? inputs.selectionBias[e]! : 0);
    let chosen: number[];
    let chosenWeights: number[];

    if (config.order === 'topk-then-score') {
      for (let e = 0; e < E; e++) choice[e] = logits[e]! + selectionBias(e);
      chosen = topKIndices(choice, K);
      if (config.scoreFunc === 'softmax') {
        const max = Math.max(...chosen.map((e) => logits[e]!));
        const exps = chosen.map((e) => Math.exp(logits[e]! - max));
        const total = exps.reduce((a, b) => a + b, 0);
        chosenWeights = exps.map((x) => x / total);
      } else {
        chosenWeights = chosen.map((e) => scoreValue(config.scoreFunc, logits[e]!));
      }
    } else {
      scores.set(logits);
      scoreInPlace(config.scoreFunc, scores, 0, E);
      for (let e = 0; e < E; e++) choice[e] = scores[e]! + selectionBias(e);
      if (config.groups) maskGroups(config, choice, groupScratch);
      chosen = config.roundRobin ? Array.from({ length: K }, (_, i) => (t * K + i) % E) : topKIndices(choice, K);
      chosenWeights = chosen.map((e) => scores[e]!);
    }

    if (config.normalize) {
      const total = chosenWeights.reduce((a, b) => a + b, 0) + config.epsilon;
      chosenWeights = chosenWeights.map((w) => w / total);
    }
    for (let i = 0; i < K; i++) {
      indices[t * K + i] = chosen[i]!;
      const expertScale = config.expertScale && inputs.expertScale ? inputs.expertScale[chosen[i]!]! : 1;
      weights[t * K + i] = chosenWeights[i]! * expertScale * config.scale;
      counts[chosen[i]!]!++;
    }
  }
  return { indices, weights, counts };
}

/**
 * Token t as a `tokenNorm` gate sees it, into `out`: x / √(mean(x²) + ε) · scale · hidden^-0.5 (Gemma4TextRouter:
 * an RMSNorm without weight, then its own `scale` and `scalar_root_size`).
 */
export function normToken(epsilon: number, inputs: RouterInputs, t: number, out: Float64Array): Float64Array {
  const H = inputs.hidden;
  let squares = 0;
  for (let h = 0; h < H; h++) squares += inputs.hiddenStates[t * H + h]! ** 2;
  const factor = 1 / Math.sqrt(squares / H + epsilon) / Math.sqrt(H);
  for (let h = 0; h < H; h++) out[h] = inputs.hiddenStates[t * H + h]! * factor * (inputs.tokenScale ? inputs.tokenScale[h]! : 1);
  return out;
}

/** Every token as the gate sees it, [T, H] in float64: normed where the config says so (`tokenNorm`), else as given. */
export function gateSeenTokens(config: RouterConfig, inputs: RouterInputs): Float64Array {
  if (!config.tokenNorm) return Float64Array.from(inputs.hiddenStates);
  const H = inputs.hidden;
  const out = new Float64Array(inputs.tokens * H);
  for (let t = 0; t < inputs.tokens; t++) normToken(config.tokenNorm.epsilon, inputs, t, out.subarray(t * H, (t + 1) * H));
  return out;
}

/** Reusable buffers for `maskGroups` (one per router config; nothing is allocated per token). */
export interface GroupMaskScratch {
  readonly groupScores: Float64Array;
  readonly best: Int32Array;
  readonly keep: Int32Array;
}

export function groupMaskScratch(config: RouterConfig): GroupMaskScratch {
  const groups = config.groups;
  const take = !groups ? 0 : groups.score === 'max' ? 1 : groups.score === 'top2-sum' ? 2 : Math.floor(config.topK / groups.selected);
  return { groupScores: new Float64Array(groups?.count ?? 0), best: new Int32Array(take), keep: new Int32Array(groups?.selected ?? 0) };
}

/**
 * Group-limited routing: keep the best `selected` groups by group score (the max, the top-2 sum, or Megatron's
 * top-(k/selected) sum), set the rest to -inf. In place, on one token's choice values.
 */
export function maskGroups(config: RouterConfig, choice: Float64Array, scratch: GroupMaskScratch): void {
  const groups = config.groups!;
  const perGroup = config.experts / groups.count;
  const { groupScores, best, keep } = scratch;
  for (let g = 0; g < groups.count; g++) {
    const members = choice.subarray(g * perGroup, (g + 1) * perGroup);
    topKInto(members, best.length, best);
    let sum = 0;
    for (let i = 0; i < best.length; i++) sum += members[best[i]!]!;
    groupScores[g] = sum;
  }
  topKInto(groupScores, keep.length, keep);
  for (let g = 0; g < groups.count; g++) if (!keep.includes(g)) choice.fill(-Infinity, g * perGroup, (g + 1) * perGroup);
}
