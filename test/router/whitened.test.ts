import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { routeReference } from '../../src/core/router/cpu-router';
import type { RouterConfig } from '../../src/core/router/router-config';
import { drawsWholeTokens, mulberry32Bits, normalSampler, syntheticInputs, syntheticWidth, tokensForGate } from '../../src/core/router/synthetic';
import { centresInGateCoordinates, gateCholesky } from '../../src/core/router/whitened';

/** A gate whose experts differ: row norms from 0.5 to 2 and a shared direction, so W·Wᵀ is far from a multiple of I. */
function structuredGate(E: number, H: number, seed: number): Float32Array {
  const normal = normalSampler(mulberry32Bits(seed));
  const shared = Float64Array.from({ length: H }, () => normal());
  const W = new Float32Array(E * H);
  for (let e = 0; e < E; e++) {
    const scale = 0.5 + (1.5 * e) / (E - 1);
    for (let h = 0; h < H; h++) W[e * H + h] = (scale * normal() + (e % 3) * 0.8 * shared[h]!) / Math.sqrt(H);
  }
  return W;
}

const gram = (A: ArrayLike<number>, rows: number, cols: number): Float64Array => {
  const out = new Float64Array(rows * rows);
  for (let i = 0; i < rows; i++) for (let j = 0; j < rows; j++) for (let k = 0; k < cols; k++) out[i * rows + j]! += A[i * cols + k]! * A[j * cols + k]!;
  return out;
};

const SOFTMAX_TOP2: RouterConfig = { experts: 16, topK: 2, order: 'score-then-topk', scoreFunc: 'softmax', routerBias: true, selectionBias: false, normalize: true, epsilon: 0, scale: 1, roundRobin: false, semantics: 'test' };

describe('synthetic tokens in the gate\'s coordinates (whitened.ts)', () => {
  it('L·Lᵀ equals W·Wᵀ, and there is no factor where E ≥ H or the rows are dependent', () => {
    const [E, H] = [16, 64];
    const W = structuredGate(E, H, 5);
    const L = gateCholesky(W, E, H)!;
    const want = gram(W, E, H);
    const got = gram(L, E, E);
    for (let i = 0; i < E * E; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 1e-9, `entry ${i}: ${got[i]} vs ${want[i]}`);
    for (let i = 0; i < E; i++) for (let j = i + 1; j < E; j++) assert.equal(L[i * E + j], 0, 'lower triangular');
    assert.equal(gateCholesky(W, E, E), undefined, 'E = H saves nothing');
    const dependent = Float32Array.from(W);
    dependent.copyWithin(3 * H, 2 * H, 3 * H); // row 3 = row 2
    assert.equal(gateCholesky(dependent, E, H), undefined);
  });

  it('a centre in the gate\'s coordinates has the same logits: L·a = W·μ', () => {
    const [E, H, C] = [16, 64, 3];
    const W = structuredGate(E, H, 6);
    const L = gateCholesky(W, E, H)!;
    const normal = normalSampler(mulberry32Bits(9));
    const centres = Float32Array.from({ length: C * H }, () => normal());
    const a = centresInGateCoordinates(L, W, centres, C, E, H);
    for (let c = 0; c < C; c++) {
      for (let e = 0; e < E; e++) {
        let direct = 0;
        for (let h = 0; h < H; h++) direct += W[e * H + h]! * centres[c * H + h]!;
        let viaFactor = 0;
        for (let k = 0; k < E; k++) viaFactor += L[e * E + k]! * a[c * E + k]!;
        assert.ok(Math.abs(direct - viaFactor) < 1e-4, `centre ${c}, expert ${e}: ${direct} vs ${viaFactor}`);
      }
    }
  });

  it('routes as whole tokens do: the same loads within sampling error, on a gate where the order of L matters', () => {
    const [E, H, T] = [16, 64, 40_000];
    const W = structuredGate(E, H, 7);
    const L = Float32Array.from(gateCholesky(W, E, H)!);
    const bias = new Float32Array(E);
    const normal = normalSampler(mulberry32Bits(21));
    const whole = Float32Array.from({ length: T * H }, () => normal());
    const coordinates = Float32Array.from({ length: T * E }, () => normal());
    const loads = (hidden: number, hiddenStates: Float32Array, gateWeight: Float32Array): Int32Array => routeReference(SOFTMAX_TOP2, { tokens: T, hidden, hiddenStates, gateWeight, gateBias: bias }).counts;
    const direct = loads(H, whole, W);
    const whitened = loads(E, coordinates, L);
    // Lᵀ in place of L (the mistake this guards against) gives another covariance, and other loads.
    const transposed = Float32Array.from({ length: E * E }, (_, i) => L[(i % E) * E + Math.floor(i / E)]!);
    const wrong = loads(E, coordinates, transposed);
    const worst = (counts: Int32Array): number => Math.max(...Array.from(counts, (c, e) => Math.abs(c - direct[e]!) / Math.sqrt(2 * Math.max(direct[e]!, 1))));
    assert.ok(worst(whitened) < 5, `whitened loads differ by ${worst(whitened).toFixed(1)} σ: ${whitened} vs ${direct}`);
    assert.ok(worst(wrong) > 10, `the transposed factor should not pass (${worst(wrong).toFixed(1)} σ)`);
  });

  it("a checkpoint's gate routes the draw's tokens through its own factor (clustered ones re-centred); a whole draw, E ≥ H or dependent rows do not", () => {
    const [E, H] = [16, 64];
    const gate = structuredGate(E, H, 11);
    const isotropic = { kind: 'isotropic' } as const;
    const drawn = syntheticInputs({ seed: 1, tokens: 50, hidden: H, experts: E, distribution: isotropic });
    const viaGate = tokensForGate(drawn, gate, E, H)!;
    assert.equal(viaGate.hidden, E);
    assert.equal(viaGate.hiddenStates, drawn.hiddenStates, 'the same tokens for every layer: one upload to the GPU');
    const want = gram(gate, E, H);
    const got = gram(viaGate.gateWeight, E, E);
    for (let i = 0; i < E * E; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 1e-4, `entry ${i}`);
    // Clustered: each token keeps the draw's noise and takes this gate's centre: token − a_c(synthetic) + a_c(gate).
    const grouped = syntheticInputs({ seed: 1, tokens: 50, hidden: H, experts: E, distribution: { kind: 'clustered', clusters: 4 } });
    const recentred = tokensForGate(grouped, gate, E, H)!;
    assert.notEqual(recentred.hiddenStates, grouped.hiddenStates, 'an array of its own: the centres are this gate\'s');
    const { centres, inGate, ids } = grouped.clustered!;
    const here = centresInGateCoordinates(gateCholesky(gate, E, H)!, gate, centres, 4, E, H);
    for (const t of [0, 17, 49]) {
      for (const e of [0, 9]) assert.ok(Math.abs(recentred.hiddenStates[t * E + e]! - (grouped.hiddenStates[t * E + e]! - inGate[ids[t]! * E + e]! + here[ids[t]! * E + e]!)) < 1e-6);
    }
    assert.equal(tokensForGate(syntheticInputs({ seed: 1, tokens: 50, hidden: H, experts: E, distribution: isotropic, fullTokens: true }), gate, E, H), undefined, 'a whole draw');
    const dependent = Float32Array.from(gate);
    dependent.copyWithin(5 * H, 4 * H, 5 * H);
    assert.equal(tokensForGate(drawn, dependent, E, H), undefined, 'no factor');
  });

  it("clustered tokens re-centred into a checkpoint's gate route as whole clustered tokens do, cluster by cluster (within sampling error)", () => {
    const [E, H, C, T] = [16, 64, 3, 60_000];
    const W = structuredGate(E, H, 13);
    const drawn = syntheticInputs({ seed: 8, tokens: T, hidden: H, experts: E, distribution: { kind: 'clustered', clusters: C } });
    const { centres, ids } = drawn.clustered!;
    const viaGate = tokensForGate(drawn, W, E, H)!;
    const bias = new Float32Array(E);
    const normal = normalSampler(mulberry32Bits(31));
    const loads = (hidden: number, hiddenStates: Float32Array, gateWeight: Float32Array, tokens: number): Int32Array => routeReference(SOFTMAX_TOP2, { tokens, hidden, hiddenStates, gateWeight, gateBias: bias }).counts;
    // Worst per-expert gap between two samples' shares, in standard errors.
    const gap = (a: Int32Array, n: number, b: Int32Array, m: number): number =>
      Math.max(...Array.from(a, (count, e) => {
        const p = (count + b[e]!) / (n + m);
        return Math.abs(count / n - b[e]! / m) / Math.sqrt(Math.max(p * (1 - p), 1e-9) * (1 / n + 1 / m));
      }));
    let worstRecentred = 0;
    let worstUnmoved = 0;
    for (let c = 0; c < C; c++) {
      const rows = Array.from(ids, (id, t) => (id === c ? t : -1)).filter((t) => t >= 0);
      const pick = (states: Float32Array): Float32Array => Float32Array.from(rows.flatMap((t) => Array.from(states.subarray(t * E, (t + 1) * E))));
      // The same cluster drawn whole: its centre μ_c plus 0.5·ε in H values, through W itself.
      const n = 20_000;
      const whole = Float32Array.from({ length: n * H }, (_, i) => centres[c * H + (i % H)]! + 0.5 * normal());
      const direct = loads(H, whole, W, n);
      worstRecentred = Math.max(worstRecentred, gap(loads(E, pick(viaGate.hiddenStates), viaGate.gateWeight, rows.length), rows.length, direct, n));
      // The mistake this guards against: the synthetic gate's centres routed through this gate's factor.
      worstUnmoved = Math.max(worstUnmoved, gap(loads(E, pick(drawn.hiddenStates), viaGate.gateWeight, rows.length), rows.length, direct, n));
    }
    assert.ok(worstRecentred < 5, `re-centred loads differ by ${worstRecentred.toFixed(1)} σ`);
    assert.ok(worstUnmoved > 10, `tokens left at the synthetic gate's centres should not pass (${worstUnmoved.toFixed(1)} σ)`);
  });

  it('the panel and the CLI draw in the gate\'s coordinates where E < H, whole otherwise', () => {
    const base = { seed: 3, tokens: 10, experts: 8, distribution: { kind: 'isotropic' as const } };
    const whitened = syntheticInputs({ ...base, hidden: 32 });
    assert.equal(whitened.whitened, true);
    assert.equal(whitened.hidden, 8);
    assert.equal(whitened.hiddenStates.length, 10 * 8);
    assert.equal(whitened.gateWeight.length, 8 * 8);
    assert.equal(syntheticWidth({ ...base, hidden: 32 }), 8);
    // The factor is of the gate the full draw uses (the stream starts with it): L·Lᵀ = W·Wᵀ.
    const full = syntheticInputs({ ...base, hidden: 32, fullTokens: true });
    assert.equal(full.whitened, false);
    const want = gram(full.gateWeight, 8, 32);
    const got = gram(whitened.gateWeight, 8, 8);
    for (let i = 0; i < 64; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 1e-5);
    assert.deepEqual(whitened.gateBias, full.gateBias);
    for (const hidden of [8, 4]) {
      const inputs = syntheticInputs({ ...base, hidden });
      assert.equal(inputs.whitened, false, `E = 8, H = ${hidden}`);
      assert.equal(inputs.hidden, hidden);
      assert.equal(syntheticWidth({ ...base, hidden }), hidden);
    }
  });

  it("a gate that norms each token (Gemma 4) draws whole tokens: the norm is of a token's H values, which W·x does not keep", () => {
    assert.equal(drawsWholeTokens({ tokenNorm: { epsilon: 1e-6 } }), true);
    assert.equal(drawsWholeTokens({}), false, "a checkpoint's gates, clustered or not, go through each gate's factor");
  });
});
