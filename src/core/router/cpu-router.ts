/**
 * The plain TypeScript router, in float64: the oracle the ONNX graph is tested against, itself tested
 * against vectors from an independent PyTorch implementation (scripts/reference/router_reference.py).
 */
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
  const order = Array.from({ length: values.length }, (_, i) => i);
  order.sort((a, b) => (values[b]! > values[a]! ? 1 : values[b]! < values[a]! ? -1 : a - b));
  return order.slice(0, k);
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

  for (let t = 0; t < T; t++) {
    for (let e = 0; e < E; e++) {
      let sum = config.routerBias && inputs.gateBias ? inputs.gateBias[e]! : 0;
      for (let h = 0; h < H; h++) sum += inputs.hiddenStates[t * H + h]! * inputs.gateWeight[e * H + h]!;
      logits[e] = sum;
    }
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
      if (config.scoreFunc === 'softmax') {
        let max = -Infinity;
        for (let e = 0; e < E; e++) max = Math.max(max, logits[e]!);
        let total = 0;
        for (let e = 0; e < E; e++) total += scores[e] = Math.exp(logits[e]! - max);
        for (let e = 0; e < E; e++) scores[e] = scores[e]! / total;
      } else {
        for (let e = 0; e < E; e++) scores[e] = scoreValue(config.scoreFunc, logits[e]!);
      }
      for (let e = 0; e < E; e++) choice[e] = scores[e]! + selectionBias(e);
      if (config.groups) maskGroups(config, choice);
      chosen = config.roundRobin ? Array.from({ length: K }, (_, i) => (t * K + i) % E) : topKIndices(choice, K);
      chosenWeights = chosen.map((e) => scores[e]!);
    }

    if (config.normalize) {
      const total = chosenWeights.reduce((a, b) => a + b, 0) + config.epsilon;
      chosenWeights = chosenWeights.map((w) => w / total);
    }
    for (let i = 0; i < K; i++) {
      indices[t * K + i] = chosen[i]!;
      weights[t * K + i] = chosenWeights[i]! * config.scale;
      counts[chosen[i]!]!++;
    }
  }
  return { indices, weights, counts };
}

/** Group-limited routing: keep the best `selected` groups by group score, set the rest to -inf. */
function maskGroups(config: RouterConfig, choice: Float64Array): void {
  const groups = config.groups!;
  const perGroup = config.experts / groups.count;
  const groupScores: number[] = [];
  for (let g = 0; g < groups.count; g++) {
    const members = Array.from(choice.subarray(g * perGroup, (g + 1) * perGroup));
    if (groups.score === 'max') {
      groupScores.push(Math.max(...members));
    } else {
      const take = groups.score === 'top2-sum' ? 2 : Math.floor(config.topK / groups.selected);
      groupScores.push(topKIndices(members, take).reduce((sum, i) => sum + members[i]!, 0));
    }
  }
  const keep = new Set(topKIndices(groupScores, groups.selected));
  for (let g = 0; g < groups.count; g++) {
    if (keep.has(g)) continue;
    for (let e = g * perGroup; e < (g + 1) * perGroup; e++) choice[e] = -Infinity;
  }
}
