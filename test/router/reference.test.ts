import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { routeReference } from '../../src/core/router/cpu-router';
import { ROUTER_VECTORS, sortRows } from './vectors';

describe('TypeScript reference router equals the independent PyTorch implementation', () => {
  assert.ok(ROUTER_VECTORS.length >= 16);
  for (const vector of ROUTER_VECTORS) {
    it(vector.name, () => {
      const out = routeReference(vector.config, vector);
      const sorted = sortRows(out.indices, out.weights, vector.config.topK);
      assert.deepEqual(sorted.indices, vector.expected.indices);
      assert.deepEqual(Array.from(out.counts), vector.expected.counts);
      sorted.weights.forEach((w, i) => assert.ok(Math.abs(w - vector.expected.weights[i]!) <= 1e-9 * Math.max(1, Math.abs(w)), `weight ${i}: ${w} vs ${vector.expected.weights[i]}`));
    });
  }
});

describe('the reference computes every expert\'s logit, whatever the expert count', () => {
  // gateLogits sums four experts at a time; 7 and 5 experts leave 3 and 1 to the loop after it.
  for (const experts of [7, 5]) {
    it(`${experts} experts, all chosen: the weights are the softmax of bias + x · w for each`, () => {
      const [tokens, hidden] = [3, 6];
      const hiddenStates = Array.from({ length: tokens * hidden }, (_, i) => Math.sin(i + 1));
      const gateWeight = Array.from({ length: experts * hidden }, (_, i) => Math.cos(3 * i + 2));
      const gateBias = Array.from({ length: experts }, (_, e) => 0.1 * e - 0.2);
      const config = { experts, topK: experts, order: 'score-then-topk', scoreFunc: 'softmax', routerBias: true, selectionBias: false, normalize: false, epsilon: 0, scale: 1, roundRobin: false, semantics: '' } as const;
      const out = routeReference(config, { tokens, hidden, hiddenStates, gateWeight, gateBias });
      const sorted = sortRows(out.indices, out.weights, experts);
      for (let t = 0; t < tokens; t++) {
        const logits = Array.from({ length: experts }, (_, e) => gateBias[e]! + hiddenStates.slice(t * hidden, (t + 1) * hidden).reduce((s, x, h) => s + x * gateWeight[e * hidden + h]!, 0));
        const max = Math.max(...logits);
        const total = logits.reduce((s, l) => s + Math.exp(l - max), 0);
        for (let e = 0; e < experts; e++) {
          const want = Math.exp(logits[e]! - max) / total;
          assert.ok(Math.abs(sorted.weights[t * experts + e]! - want) < 1e-12, `token ${t}, expert ${e}: ${sorted.weights[t * experts + e]} vs ${want}`);
        }
      }
    });
  }
});
