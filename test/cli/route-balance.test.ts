/**
 * `moe-lens route --balance STEPS`: the framework's own selection-bias update, simulated on the config's router
 * (issue #11 item 3). The step arithmetic is checked against a NumPy reference in test/router/balancing.test.ts;
 * here: the command, its rule and rate per framework, the checkpoint's bias as the start, and its refusals.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { moeLens, ROOT } from './cli-helpers';

const route = (...args: string[]) => moeLens(['route', ...args]);
const json = (...args: string[]) => {
  const result = route(...args, '--json');
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout);
};
const CAPTURED = join(ROOT, 'test/fixtures/captured/deepseek_v3');

describe('moe-lens route --balance', () => {
  it("DeepSeek-V3: the paper's sign rule at γ = 0.001, one row per step, the bias moving by γ per step", () => {
    const out = json(join(ROOT, 'examples/hf/deepseek-v3/config.json'), '--balance', '12', '--tokens', '256', '--batches', '2');
    assert.match(out.balance.source, /arXiv 2412\.19437/);
    assert.equal(out.balance.kind, 'sign');
    assert.equal(out.balance.rate, 0.001);
    assert.equal(out.balance.steps.length, 12);
    assert.equal(out.balance.finalBias.length, 256);
    assert.equal(out.inputs.batches, 2);
    assert.equal(out.tokensPerStep, 128, 'the 256 tokens split into 2 batches');
    // Each step moves each bias by -γ, 0 or +γ: after 12 steps every bias is a multiple of γ within ±12γ.
    for (const b of out.balance.finalBias as number[]) {
      assert.ok(Math.abs(b) <= 12 * 0.001 + 1e-12);
      assert.ok(Math.abs(b / 0.001 - Math.round(b / 0.001)) < 1e-6, String(b));
    }
    assert.equal((out.balance.finalCounts as number[]).reduce((a, b) => a + b, 0), 128 * 8);
  });

  it("starts from the checkpoint's e_score_correction_bias when --weights gives one", () => {
    const zero = json(join(CAPTURED, 'config.json'), '--balance', '1', '--activations', join(CAPTURED, 'activations.safetensors'), '--layer', '1');
    const fromCheckpoint = json(join(CAPTURED, 'config.json'), '--balance', '1', '--activations', join(CAPTURED, 'activations.safetensors'), '--layer', '1', '--weights', join(CAPTURED, 'router.safetensors'));
    assert.match(zero.inputs.startBias, /^zero/);
    assert.match(fromCheckpoint.inputs.startBias, /checkpoint/);
    assert.equal(fromCheckpoint.inputs.batches, 4, 'the captured tokens split into the default 4 batches');
    assert.notDeepEqual(zero.balance.finalBias, fromCheckpoint.balance.finalBias);
  });

  it('prints the rule, the rate, that the gate is frozen, and windows of steps', () => {
    const result = route(join(ROOT, 'examples/hf/deepseek-v3/config.json'), '--balance', '30', '--tokens', '128', '--batches', '3');
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^rule {7}DeepSeek-V3 Technical Report/m);
    assert.match(result.stdout, /^rate {7}γ = 0\.001/m);
    assert.match(result.stdout, /only the bias moves: the gate is frozen/);
    assert.match(result.stdout, /^ +1 +\d\.\d\d/m);
    assert.match(result.stdout, /^ +29-30 +\d\.\d\d/m);
  });

  it('refuses a router with no selection bias, naming why', () => {
    const result = route(join(ROOT, 'examples/hf/mixtral-8x7b/config.json'), '--balance', '10');
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--balance simulates a learned selection bias, and config ".*" has none to simulate: the router has no selection bias/);
  });

  it('refuses more batches than tokens', () => {
    const result = route(join(ROOT, 'examples/hf/deepseek-v3/config.json'), '--balance', '3', '--tokens', '3', '--batches', '4');
    assert.equal(result.status, 2);
    assert.match(result.stderr, /splits 3 tokens into empty batches/);
  });

  it('refuses --batches without --balance, and --balance with --all-layers', () => {
    assert.equal(route(join(ROOT, 'examples/hf/deepseek-v3/config.json'), '--batches', '2').status, 2);
    const both = route(join(CAPTURED, 'config.json'), '--balance', '5', '--all-layers', '--activations', join(CAPTURED, 'activations.safetensors'));
    assert.equal(both.status, 2);
    assert.match(both.stderr, /drop --all-layers/);
  });
});
