import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RouterConfig } from '../../src/core/router/router-config';

export interface RouterVector {
  readonly name: string;
  readonly config: RouterConfig;
  readonly tokens: number;
  readonly hidden: number;
  readonly hiddenStates: number[];
  readonly gateWeight: number[];
  readonly gateBias: number[];
  readonly selectionBias: number[];
  /** Gemma 4's learned scales (RouterConfig.tokenNorm, expertScale), where the case has them. */
  readonly tokenScale?: number[];
  readonly expertScale?: number[];
  readonly expected: { indices: number[]; weights: number[]; counts: number[] };
}

/** Fixed vectors from the independent PyTorch implementation (scripts/reference/router_reference.py). */
export const ROUTER_VECTORS: readonly RouterVector[] = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '..', 'fixtures', 'router-vectors.json'), 'utf8'),
).cases;

/** Rows re-ordered by expert id, so engines that order the k differently compare equal. */
export function sortRows(indices: ArrayLike<number>, weights: ArrayLike<number>, k: number): { indices: number[]; weights: number[] } {
  const outIndices: number[] = [];
  const outWeights: number[] = [];
  for (let row = 0; row < indices.length / k; row++) {
    const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => indices[row * k + a]! - indices[row * k + b]!);
    for (const i of order) {
      outIndices.push(indices[row * k + i]!);
      outWeights.push(weights[row * k + i]!);
    }
  }
  return { indices: outIndices, weights: outWeights };
}
