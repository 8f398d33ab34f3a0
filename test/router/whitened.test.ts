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

  it("a checkpoint's gate routes the draw's isotropic tokens through its own factor; clustered tokens, E ≥ H or dependent rows do not", () => {
    const [E, H] = [16, 64];
    const gate = structuredGate(E, H, 11);
    const isotropic = { kind: 'isotropic' } as const;
    const drawn = syntheticInputs({ seed: 1, tokens: 50, hidden: H, experts: E, distribution: isotropic });
    const viaGate = tokensForGate(drawn, isotropic, gate, E, H)!;
    assert.equal(viaGate.hidden, E);
    assert.equal(viaGate.hiddenStates, drawn.hiddenStates, 'the same tokens for every layer: one upload to the GPU');
    const want = gram(gate, E, H);
    const got = gram(viaGate.gateWeight, E, E);
    for (let i = 0; i < E * E; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 1e-4, `entry ${i}`);
    const clustered = { kind: 'clustered', clusters: 4 } as const;
    assert.equal(tokensForGate(syntheticInputs({ seed: 1, tokens: 50, hidden: H, experts: E, distribution: clustered }), clustered, gate, E, H), undefined, "clustered centres are the synthetic gate's");
    assert.equal(tokensForGate(syntheticInputs({ seed: 1, tokens: 50, hidden: H, experts: E, distribution: isotropic, fullTokens: true }), isotropic, gate, E, H), undefined, 'a whole draw');
    const dependent = Float32Array.from(gate);
    dependent.copyWithin(5 * H, 4 * H, 5 * H);
    assert.equal(tokensForGate(drawn, isotropic, dependent, E, H), undefined, 'no factor');
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
    const isotropic = { kind: 'isotropic' as const };
    assert.equal(drawsWholeTokens({ tokenNorm: { epsilon: 1e-6 } }, isotropic, false), true);
    assert.equal(drawsWholeTokens({}, isotropic, false), false);
    assert.equal(drawsWholeTokens({}, isotropic, true), false, "a checkpoint's gate routes isotropic tokens through its factor");
    assert.equal(drawsWholeTokens({}, { kind: 'clustered', clusters: 4 }, true), true);
  });
});
