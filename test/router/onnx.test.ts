import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { buildRouterModel } from '../../src/core/router/onnx-graph';
import { prepareOnnxRouter, type OrtLike } from '../../src/core/router/onnx-run';
import { choiceValues } from '../../src/core/router/balancing';
import { routeReference } from '../../src/core/router/cpu-router';
import { syntheticInputs } from '../../src/core/router/synthetic';
import { ROUTER_VECTORS, sortRows } from './vectors';

const ORT = ort as unknown as OrtLike;

describe('ONNX router graph (onnxruntime-node) equals the TypeScript reference', () => {
  for (const vector of ROUTER_VECTORS) {
    if (vector.config.roundRobin) {
      it(`${vector.name}: computed without a graph, by the shared runner`, async () => {
        assert.throws(() => buildRouterModel(vector.config, { hidden: vector.hidden, outputs: 'full' }), /round-robin/);
        const router = await prepareOnnxRouter(ORT, vector.config, vector.hidden, { outputs: 'full' });
        const out = await router.run(vector);
        assert.equal(out.engine, 'reference');
        assert.deepEqual(sortRows(out.indices!, out.weights!, vector.config.topK).indices, vector.expected.indices);
        assert.deepEqual(Array.from(out.counts), vector.expected.counts);
      });
      continue;
    }
    it(vector.name, async () => {
      const router = await prepareOnnxRouter(ORT, vector.config, vector.hidden, { outputs: 'full' });
      const out = await router.run(vector);
      await router.release();
      const reference = routeReference(vector.config, vector);
      assert.deepEqual(Array.from(out.counts), Array.from(reference.counts));
      const graph = sortRows(out.indices!, out.weights!, vector.config.topK);
      const ref = sortRows(reference.indices, reference.weights, vector.config.topK);
      assert.deepEqual(graph.indices, ref.indices);
      graph.weights.forEach((w, i) => assert.ok(Math.abs(w - ref.weights[i]!) <= 2e-6 * Math.max(1, Math.abs(ref.weights[i]!)), `weight ${i}: ${w} vs ${ref.weights[i]}`));
    });
  }

  it('counts-only graph gives the same loads on a larger synthetic batch (2048 × 64, 32 experts, top-4, groups)', async () => {
    const config = { experts: 32, topK: 4, order: 'score-then-topk', scoreFunc: 'sigmoid', routerBias: false, selectionBias: true, groups: { count: 8, selected: 4, score: 'top2-sum' }, normalize: true, epsilon: 1e-20, scale: 2.5, roundRobin: false, semantics: '' } as const;
    const inputs = { tokens: 2048, ...syntheticInputs({ seed: 7, tokens: 2048, hidden: 64, experts: 32, distribution: { kind: 'clustered', clusters: 8 }, fullTokens: true }) };
    const router = await prepareOnnxRouter(ORT, config, 64, { outputs: 'counts' });
    const out = await router.run(inputs);
    await router.release();
    assert.deepEqual(Array.from(out.counts), Array.from(routeReference(config, inputs).counts));
    assert.equal(out.indices, undefined);
  });
});

describe("the 'choice' graph (the load-balancing simulation's pre-bias values) equals choiceValues", () => {
  for (const vector of ROUTER_VECTORS.filter((v) => !v.config.roundRobin)) {
    it(vector.name, async () => {
      const graph = await prepareOnnxRouter(ORT, vector.config, vector.hidden, { outputs: 'choice' });
      const out = await graph.run(vector);
      await graph.release();
      const expected = choiceValues(vector.config, vector);
      assert.equal(out.choice!.length, expected.length);
      out.choice!.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) <= 2e-6 * Math.max(1, Math.abs(expected[i]!)), `value ${i}: ${v} vs ${expected[i]}`));
    });
  }
});
