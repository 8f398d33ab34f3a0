import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { mulberry32Bits, normalSampler, SyntheticDraw, syntheticInputs } from '../../src/core/router/synthetic';

describe('synthetic inputs', () => {
  it('draws tokens in order: a shorter draw is the prefix of a longer one (the first look of the panel relies on it)', () => {
    for (const distribution of [{ kind: 'isotropic' as const }, { kind: 'clustered' as const, clusters: 5 }]) {
      const long = syntheticInputs({ seed: 7, tokens: 1000, hidden: 24, experts: 16, distribution });
      const short = syntheticInputs({ seed: 7, tokens: 256, hidden: 24, experts: 16, distribution });
      assert.deepEqual(short.hiddenStates, long.hiddenStates.subarray(0, 256 * short.hidden), distribution.kind);
      assert.deepEqual(short.gateWeight, long.gateWeight);
    }
  });

  it('draws the same tokens in slices as at once (the panel routes each slice while it draws the next)', () => {
    for (const distribution of [{ kind: 'isotropic' as const }, { kind: 'clustered' as const, clusters: 5 }]) {
      const options = { seed: 11, tokens: 700, hidden: 24, experts: 16, distribution, zeroSelectionBias: true };
      const whole = syntheticInputs(options);
      const draw = new SyntheticDraw(options);
      assert.equal(draw.drawn, 0);
      assert.deepEqual(draw.inputs.gateWeight, whole.gateWeight);
      for (const upTo of [1, 1, 256, 255, 300, 699, 5000]) draw.drawTo(upTo);
      assert.equal(draw.drawn, 700);
      assert.ok(draw.complete);
      assert.deepEqual(draw.inputs, whole, distribution.kind);
    }
  });

  it('the ziggurat sampler is standard normal (moments and tails over 10^6 draws)', () => {
    const normal = normalSampler(mulberry32Bits(12345));
    const n = 1_000_000;
    let sum = 0;
    let sumSq = 0;
    let sum4 = 0;
    let beyond2 = 0;
    let beyond3 = 0;
    for (let i = 0; i < n; i++) {
      const x = normal();
      sum += x;
      sumSq += x * x;
      sum4 += x ** 4;
      if (Math.abs(x) > 2) beyond2++;
      if (Math.abs(x) > 3) beyond3++;
    }
    const mean = sum / n;
    const variance = sumSq / n - mean * mean;
    assert.ok(Math.abs(mean) < 0.005, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 0.005, `variance ${variance}`);
    assert.ok(Math.abs(sum4 / n - 3) < 0.05, `kurtosis ${sum4 / n}`);
    assert.ok(Math.abs(beyond2 / n - 0.0455) < 0.001, `P(|x|>2) ${beyond2 / n}`);
    assert.ok(Math.abs(beyond3 / n - 0.0027) < 0.0003, `P(|x|>3) ${beyond3 / n}`);
  });

  it('draws the documented stream: the same values in every version (saved commands and reports reproduce)', () => {
    const digest = (inputs: ReturnType<typeof syntheticInputs>): string => {
      const hash = createHash('sha256');
      for (const array of [inputs.hiddenStates, inputs.gateWeight, inputs.gateBias, inputs.selectionBias]) hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
      return hash.digest('hex').slice(0, 16);
    };
    // 2M isotropic draws reach the ziggurat's tail and wedge branches many times; the clustered case covers
    // the cluster picks interleaved with the draws, and the largest seed.
    assert.equal(digest(syntheticInputs({ seed: 0, tokens: 4096, hidden: 512, experts: 64, distribution: { kind: 'isotropic' }, fullTokens: true })), '90c1c9cc73d594b7');
    assert.equal(digest(syntheticInputs({ seed: 4294967295, tokens: 1000, hidden: 96, experts: 8, distribution: { kind: 'clustered', clusters: 7 }, fullTokens: true })), '21a84b5332a3ae35');
    // In the gate's coordinates (the default where E < H): the same stream, E values a token.
    assert.equal(digest(syntheticInputs({ seed: 0, tokens: 4096, hidden: 512, experts: 64, distribution: { kind: 'isotropic' } })), '592a5cf3b928470e');
    assert.equal(digest(syntheticInputs({ seed: 4294967295, tokens: 1000, hidden: 96, experts: 8, distribution: { kind: 'clustered', clusters: 7 } })), '8c161af0cadf11f9');
  });

  it('is deterministic per seed and scales the gate weight by 1/sqrt(H)', () => {
    const options = { seed: 4, tokens: 64, hidden: 256, experts: 16, distribution: { kind: 'isotropic' } as const, fullTokens: true };
    const a = syntheticInputs(options);
    const b = syntheticInputs(options);
    assert.deepEqual(a.hiddenStates, b.hiddenStates);
    assert.notDeepEqual(syntheticInputs({ ...options, seed: 5 }).hiddenStates, a.hiddenStates);
    const variance = a.gateWeight.reduce((s, x) => s + x * x, 0) / a.gateWeight.length;
    assert.ok(Math.abs(variance * 256 - 1) < 0.1, `weight variance ${variance}`);
  });

  it('clustered tokens sit near their centres (spread 0.5 instead of 1)', () => {
    const { hiddenStates } = syntheticInputs({ seed: 1, tokens: 400, hidden: 64, experts: 4, distribution: { kind: 'clustered', clusters: 2 }, fullTokens: true });
    // Two clusters: token-to-token distances are either ~0.5·sqrt(2H) (same) or larger (different).
    const distance = (i: number, j: number) => Math.sqrt(Array.from({ length: 64 }, (_, h) => (hiddenStates[i * 64 + h]! - hiddenStates[j * 64 + h]!) ** 2).reduce((a, b) => a + b, 0));
    const nearest = Math.min(...Array.from({ length: 399 }, (_, j) => distance(0, j + 1)));
    assert.ok(nearest < 0.5 * Math.sqrt(2 * 64) * 1.3, `nearest ${nearest}`);
  });
});
