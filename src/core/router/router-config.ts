/**
 * The router a config runs, with every value resolved: what the TS reference, the ONNX graph and the
 * panel all execute. Derived from a RouterSpec; each framework's semantics (research §1.4, §2.2, §3, §4.2).
 */
import { isDeepSeekOfficial, renormalizesAsRouted, routedGroups, semanticsLabel, type RouterCapacity, type RouterSpec } from '../model/router-spec';

export type ScoreFunction = 'softmax' | 'sigmoid' | 'sqrtsoftplus';

export interface RouterConfig {
  readonly experts: number;
  readonly topK: number;
  readonly order: 'score-then-topk' | 'topk-then-score';
  readonly scoreFunc: ScoreFunction;
  /** The gate Linear has a bias (added to the logits; both choice and weights see it). */
  readonly routerBias: boolean;
  /** A per-expert bias added to the scores (or, top-k-then-score, the logits) for choosing only. */
  readonly selectionBias: boolean;
  readonly groups?: {
    readonly count: number;
    readonly selected: number;
    /** top2-sum (torchtitan, HF DSV3), topk-over-groups-sum (Megatron: top-(k/selected)), max (DeepSeek V2). */
    readonly score: 'top2-sum' | 'topk-over-groups-sum' | 'max';
  };
  /** Renormalise the k weights: w / (sum + epsilon). */
  readonly normalize: boolean;
  readonly epsilon: number;
  readonly scale: number;
  readonly roundRobin: boolean;
  /** Human label of the semantics that ran, e.g. "torchtitan · score → top-4 · softmax · normalize always". */
  readonly semantics: string;
  /** A capacity the router enforces itself (Hunyuan-A13B): the counts are the choices, the stats say what it drops. */
  readonly routerCapacity?: RouterCapacity;
  /**
   * The gate sees the token normed (Gemma 4): x / √(mean(x²) + epsilon), times a learned scale per hidden unit
   * (RouterInputs.tokenScale, 1 where absent) and hidden^-0.5. Needs whole tokens (not the gate's coordinates).
   */
  readonly tokenNorm?: { readonly epsilon: number };
  /** Each chosen weight, after renormalising, is multiplied by a learned scale of its expert (RouterInputs.expertScale, 1 where absent). */
  readonly expertScale?: boolean;
}

export type RouterConfigResult = { readonly config: RouterConfig } | { readonly error: string };

const SCORE_FUNCTIONS: readonly string[] = ['softmax', 'sigmoid', 'sqrtsoftplus'];

export function routerConfigFromSpec(spec: RouterSpec): RouterConfigResult {
  const experts = spec.experts.value;
  const topK = spec.topK.value;
  if (experts === undefined || !Number.isInteger(experts) || experts < 1) return { error: `the expert count is not a positive integer (${String(experts)})` };
  if (topK === undefined || !Number.isInteger(topK) || topK < 1 || topK > experts) return { error: `top-k must be an integer between 1 and ${experts} (got ${String(topK)})` };
  if (!SCORE_FUNCTIONS.includes(spec.scoreFunc.value)) return { error: `unknown score function "${spec.scoreFunc.value}"` };
  const scoreFunc = spec.scoreFunc.value as ScoreFunction;
  const selectionBias = spec.selectionBias.value !== 'none';

  let groups: RouterConfig['groups'];
  const routed = routedGroups(spec);
  const count = routed?.count.value;
  if (routed && count !== undefined && count > 1) {
    const selected = routed.selected.value;
    if (selected === undefined || !Number.isInteger(selected) || selected < 1 || selected > count) return { error: `selected groups must be between 1 and ${count}` };
    if (!Number.isInteger(count) || experts % count !== 0) return { error: `${experts} experts do not split into ${count} groups` };
    const perGroup = experts / count;
    if (topK > selected * perGroup) return { error: `top-${topK} exceeds the ${selected * perGroup} experts reachable in ${selected} groups` };
    const score = routed.score === 'max-or-top2-with-bias' ? (selectionBias ? 'top2-sum' : 'max') : routed.score;
    if (score === 'top2-sum' && perGroup < 2) return { error: 'a top-2 group score needs at least 2 experts per group' };
    if (score === 'topk-over-groups-sum' && Math.floor(topK / selected) > perGroup) return { error: 'top-k ÷ selected groups exceeds the experts per group' };
    groups = { count, selected, score };
  }

  const normalize = renormalizesAsRouted(spec) ?? false;
  return {
    config: {
      experts,
      topK,
      order: spec.order.value,
      scoreFunc,
      routerBias: spec.routerBias.value,
      selectionBias,
      ...(groups ? { groups } : {}),
      normalize,
      // DeepSeek's official Gates (V3, V4) divide by the plain sum; everyone else adds 1e-20.
      epsilon: isDeepSeekOfficial(spec.framework) ? 0 : 1e-20,
      scale: spec.scale.value,
      roundRobin: spec.debugRoundRobin.value,
      semantics: semanticsLabel(spec),
      ...(spec.routerCapacity ? { routerCapacity: spec.routerCapacity } : {}),
      ...(spec.tokenNorm ? { tokenNorm: { epsilon: spec.tokenNorm.epsilon.value } } : {}),
      ...(spec.expertScale ? { expertScale: true } : {}),
    },
  };
}
