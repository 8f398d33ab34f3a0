/** Load statistics the panel and `moe-lens route --json` report (shared/design/preview-panel.md). */
import { routerCapacityOf, type RouterCapacity } from '../model/router-spec';

export interface LoadStats {
  readonly tokens: number;
  readonly assignments: number;
  readonly meanLoad: number;
  readonly maxLoad: number;
  readonly minLoad: number;
  /** max / mean: 1 is perfectly balanced. */
  readonly maxOverMean: number;
  /** Coefficient of variation: std / mean of the per-expert loads. */
  readonly coefficientOfVariation: number;
  readonly idleExperts: number;
  /** Per-expert capacity at the capacity factor: ceil(T·k / E · C) (Megatron's get_capacity). */
  readonly capacity?: number;
  /** Share of token assignments beyond capacity (dropped when the dispatcher drops). */
  readonly droppedFraction?: number;
  /** Where the router enforces a capacity itself (Hunyuan-A13B): that capacity, and the share of assignments it drops. */
  readonly routerCapacity?: number;
  readonly routerDroppedFraction?: number;
  /** Tokens per expert-parallel rank (experts split into EP contiguous blocks), and max/mean across ranks. */
  readonly rankLoads: number[];
  readonly rankMaxOverMean: number;
}

export function loadStats(counts: ArrayLike<number>, tokens: number, topK: number, options: { capacityFactor?: number; expertParallel?: number; routerCapacity?: RouterCapacity } = {}): LoadStats {
  const loads = Array.from(counts);
  const E = loads.length;
  const assignments = loads.reduce((a, b) => a + b, 0);
  const mean = E > 0 ? assignments / E : 0;
  const max = Math.max(...loads);
  const variance = E > 0 ? loads.reduce((sum, x) => sum + (x - mean) ** 2, 0) / E : 0;
  const ep = Math.max(1, Math.floor(options.expertParallel ?? 1));
  const perRank = Math.ceil(E / ep);
  const rankLoads = Array.from({ length: ep }, (_, r) => loads.slice(r * perRank, (r + 1) * perRank).reduce((a, b) => a + b, 0));
  const rankMean = rankLoads.reduce((a, b) => a + b, 0) / ep;
  let capacity: number | undefined;
  let droppedFraction: number | undefined;
  if (options.capacityFactor !== undefined && options.capacityFactor > 0) {
    capacity = Math.ceil(((tokens * topK) / E) * options.capacityFactor);
    droppedFraction = overflowOf(loads, assignments, capacity);
  }
  const routerCapacity = options.routerCapacity ? routerCapacityOf(options.routerCapacity, tokens, topK, E) : undefined;
  return {
    tokens,
    assignments,
    meanLoad: mean,
    maxLoad: max,
    minLoad: Math.min(...loads),
    maxOverMean: mean > 0 ? max / mean : 0,
    coefficientOfVariation: mean > 0 ? Math.sqrt(variance) / mean : 0,
    idleExperts: loads.filter((x) => x === 0).length,
    ...(capacity !== undefined ? { capacity, droppedFraction: droppedFraction! } : {}),
    ...(routerCapacity !== undefined ? { routerCapacity, routerDroppedFraction: overflowOf(loads, assignments, routerCapacity) } : {}),
    rankLoads,
    rankMaxOverMean: rankMean > 0 ? Math.max(...rankLoads) / rankMean : 0,
  };
}

/** The share of the assignments beyond `limit` tokens an expert. */
function overflowOf(loads: readonly number[], assignments: number, limit: number): number {
  return assignments > 0 ? loads.reduce((sum, x) => sum + Math.max(0, x - limit), 0) / assignments : 0;
}
