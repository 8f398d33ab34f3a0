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
