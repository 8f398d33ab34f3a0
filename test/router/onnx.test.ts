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
      const reference = routeReference(vector.config, vector);
      // Counts from the chosen mask (what WebGPU runs) as well as from TopK's indices (the CPU's).
      const masked = await prepareOnnxRouter(ORT, vector.config, vector.hidden, { outputs: 'counts', counts: 'mask' });
      assert.deepEqual(Array.from((await masked.run(vector)).counts), Array.from(reference.counts), 'counts from the mask');
      await masked.release();
      const router = await prepareOnnxRouter(ORT, vector.config, vector.hidden, { outputs: 'full' });
      const out = await router.run(vector);
      await router.release();
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
    for (const counts of ['indices', 'mask'] as const) {
      const router = await prepareOnnxRouter(ORT, config, 64, { outputs: 'counts', counts });
      const out = await router.run(inputs);
      await router.release();
      assert.deepEqual(Array.from(out.counts), Array.from(routeReference(config, inputs).counts), counts);
      assert.equal(out.indices, undefined);
    }
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

/**
 * Exact ties at the k-th value: a sigmoid saturates to 1.0 in float32 for logits above ~17 (DeepSeek-style routers
 * with large logits), and equal gate rows give equal logits. torch.topk, ONNX TopK and the TypeScript reference
 * take exactly k, the lower index first; a `>= k-th value` mask took every tied expert, so loads summed to more
 * than tokens × k.
 */
describe('ties at the k-th value: exactly k experts, the lower index first', () => {
  const base = { routerBias: false, selectionBias: false, normalize: true, epsilon: 1e-20, scale: 1, roundRobin: false, semantics: '' } as const;
  // Hidden 2, 8 experts: experts 0-3 see logit 40·x0 (sigmoid 1.0 in float32), 4-7 see x1 (two equal rows each).
  const gateWeight = [40, 0, 40, 0, 40, 0, 40, 0, 0, 1, 0, 1, 0, 0.5, 0, 0.5];
  const hiddenStates = [1, 0, 1, 1, 0, 1, 0, -1];
  const inputs = { tokens: 4, hidden: 2, hiddenStates, gateWeight };
  const cases = [
    { name: 'sigmoid saturated: four experts score 1.0, top-2', config: { ...base, experts: 8, topK: 2, order: 'score-then-topk', scoreFunc: 'sigmoid' } },
    { name: 'top-k of logits first (equal rows), top-3, softmax after', config: { ...base, experts: 8, topK: 3, order: 'topk-then-score', scoreFunc: 'softmax' } },
    { name: 'group-limited with tied group scores (4 groups of 2, 2 kept), top-2', config: { ...base, experts: 8, topK: 2, order: 'score-then-topk', scoreFunc: 'sigmoid', groups: { count: 4, selected: 2, score: 'max' } } },
  ] as const;
  for (const { name, config } of cases) {
    it(name, async () => {
      const reference = routeReference(config, inputs);
      for (const [outputs, counts] of [['full', 'indices'], ['full', 'mask'], ['counts', 'indices'], ['counts', 'mask']] as const) {
        const router = await prepareOnnxRouter(ORT, config, 2, { outputs, counts });
        const out = await router.run(inputs);
        await router.release();
        assert.equal(Array.from(out.counts).reduce((a, b) => a + b, 0), inputs.tokens * config.topK, `${outputs}, ${counts}: loads sum to tokens × k`);
        assert.deepEqual(Array.from(out.counts), Array.from(reference.counts), `${outputs}, ${counts}`);
        if (outputs === 'full') {
          const graph = sortRows(out.indices!, out.weights!, config.topK);
          const ref = sortRows(reference.indices, reference.weights, config.topK);
          assert.deepEqual(graph.indices, ref.indices);
          graph.weights.forEach((w, i) => assert.ok(Math.abs(w - ref.weights[i]!) <= 2e-6, `weight ${i}: ${w} vs ${ref.weights[i]}`));
        }
      }
    });
  }
  it('the reference itself takes the lower index: token 0 (logits 40, 40, 40, 40, 0, …) goes to experts 0 and 1', () => {
    const out = routeReference(cases[0].config, inputs);
    assert.deepEqual(Array.from(out.indices.slice(0, 2)), [0, 1]);
  });
});
