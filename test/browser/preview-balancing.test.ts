/**
 * The Balancing tab (issue #11 item 3), in Debian Chromium: "Step" takes one step of the framework's own bias
 * update on the tokens the panel routed, and its bias is the one the TypeScript simulation computes from the same
 * tokens; "Run" steps on, "Pause" stops it, "Reset" goes back to the start; a router with no selection bias has
 * no tab. The screenshot is looked at (test-results/preview-balancing.png).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BalancingSimulation, choiceValues, splitBatches } from '../../src/core/router/balancing';
import { syntheticInputs } from '../../src/core/router/synthetic';
import { ROOT, startHarness, subjectFor, waitForRun, type Harness } from './harness';

const TORCHTITAN = 'from torchtitan.models.moe import MoEArgs\n\nmoe = MoEArgs(num_experts=16, top_k=2, score_func="sigmoid", load_balance_coeff=0.01)\n';

const steps = (page: import('playwright-core').Page): Promise<number> => page.evaluate(() => Number(document.getElementById('app')!.dataset.balanceSteps ?? '0'));

describe('routing preview: the Balancing tab', { timeout: 600_000 }, () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness();
  });
  after(async () => {
    await harness?.close();
  });

  it("torchtitan's centred update: Step matches the TypeScript simulation; Run, Pause and Reset work; screenshot", async () => {
    const subject = subjectFor('flavors.py', { text: TORCHTITAN });
    assert.ok(subject.balancing, 'the subject carries the bias update rule');
    assert.equal(subject.balancing.kind, 'sign-centred');
    const state = { tokens: 1024, hidden: 32, seed: 3, backend: 'wasm' };
    const page = await harness.open(subject, state);
    assert.equal((await waitForRun(page)).state, 'done');
    await page.click('vscode-tab-header[data-tab="balancing"]');
    await page.click('#balancing-step');
    await page.waitForFunction(() => document.getElementById('app')!.dataset.balanceSteps === '1');

    // The same tokens, split the same way, stepped by the core simulation.
    const config = subject.router.config;
    const drawn = syntheticInputs({ seed: 3, tokens: 1024, hidden: 32, experts: 16, distribution: { kind: 'isotropic' }, zeroSelectionBias: true });
    const batches = splitBatches({ ...drawn, tokens: 1024 }, 4).map((part) => choiceValues(config, part));
    const reference = new BalancingSimulation(config, subject.balancing, batches, drawn.selectionBias);
    const first = reference.step();
    const panelBias = JSON.parse((await page.getAttribute('#app', 'data-balance-bias')) ?? '[]') as number[];
    assert.equal(panelBias.length, 16);
    panelBias.forEach((b, e) => assert.ok(Math.abs(b - first.bias[e]!) < 1e-9, `expert ${e}: ${b} vs ${first.bias[e]}`));
    assert.ok(first.bias.some((b) => b !== 0), 'one step moved the bias');
    assert.match((await page.textContent('#balancing-status')) ?? '', /^Step 1: max\/mean \d\.\d\d and CV/);

    // Run, then pause before the 200 steps are done: the count stops. The pause is clicked from inside the page as
    // soon as 31 steps are done: a click from here raced the run, which on a fast machine finished all 200 first
    // (then Pause is disabled and Playwright waited on it until its timeout).
    // (A string: the test's transpiler would wrap a named function in a helper the page does not have.)
    const pausing = page.evaluate(`new Promise((resolve) => {
      const tick = () => {
        if (Number(document.getElementById('app').dataset.balanceSteps) < 31) return void setTimeout(tick, 0);
        document.getElementById('balancing-pause').click();
        resolve();
      };
      tick();
    })`);
    await page.click('#balancing-run');
    await pausing;
    await page.waitForFunction(() => document.querySelector('#balancing-run')?.hasAttribute('disabled') === false);
    const paused = await steps(page);
    await page.waitForTimeout(300);
    assert.equal(await steps(page), paused, 'no step after Pause');
    assert.ok(paused < 201, `paused at ${paused}`);
    assert.doesNotMatch((await page.textContent('#balancing-status')) ?? '', /running/, 'the status says it stopped');
    // The centred rule keeps the bias summing to zero.
    const bias = JSON.parse((await page.getAttribute('#app', 'data-balance-bias')) ?? '[]') as number[];
    assert.ok(Math.abs(bias.reduce((a, b) => a + b, 0)) < 1e-9);
    assert.equal(await page.locator('svg.balancing-curve path.curve.ratio').count(), 1);
    assert.equal(await page.locator('svg.bias-bars rect.bar').count(), 16);

    await page.setViewportSize({ width: 720, height: 900 });
    await page.waitForTimeout(200);
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results', 'preview-balancing.png'), fullPage: true });
    // `npm run screenshot` refreshes the README's copy from this same run.
    if (process.env.UPDATE_SCREENSHOT) await page.screenshot({ path: join(ROOT, 'docs', 'preview-balancing.png'), fullPage: true });
    await page.setViewportSize({ width: 290, height: 900 });
    await page.waitForTimeout(200);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0, 'no sideways scroll at 290 px');

    await page.click('#balancing-reset');
    await page.waitForFunction(() => document.getElementById('app')!.dataset.balanceSteps === '0');
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations), []);
    await page.close();
  });

  it('webgpu: a Step on WebGPU (SwiftShader here) equals the core simulation too', async () => {
    const subject = subjectFor('flavors.py', { text: TORCHTITAN });
    const page = await harness.open(subject, { tokens: 512, hidden: 32, seed: 8, backend: 'webgpu' });
    const run = await waitForRun(page);
    assert.equal(run.state, 'done', JSON.stringify(run));
    assert.equal(run.backend, 'webgpu');
    await page.click('vscode-tab-header[data-tab="balancing"]');
    await page.click('#balancing-step');
    await page.waitForFunction(() => document.getElementById('app')!.dataset.balanceSteps === '1', undefined, { timeout: 120_000 });
    const config = subject.router.config;
    const drawn = syntheticInputs({ seed: 8, tokens: 512, hidden: 32, experts: 16, distribution: { kind: 'isotropic' }, zeroSelectionBias: true });
    const batches = splitBatches({ ...drawn, tokens: 512 }, 4).map((part) => choiceValues(config, part));
    const first = new BalancingSimulation(config, subject.balancing!, batches, drawn.selectionBias).step();
    const panelBias = JSON.parse((await page.getAttribute('#app', 'data-balance-bias')) ?? '[]') as number[];
    panelBias.forEach((b, e) => assert.ok(Math.abs(b - first.bias[e]!) < 1e-9, `expert ${e}: ${b} vs ${first.bias[e]}`));
    await page.close();
  });

  it("HF DeepSeek-V3 (a static bias, drawn at random for routing): the simulation starts it at zero, as route --balance does", async () => {
    const file = 'examples/hf/deepseek-v3/config.json';
    const subject = subjectFor(file);
    assert.match(subject.balancing?.source ?? '', /2412\.19437/);
    const page = await harness.open(subject, { tokens: 512, hidden: 32, seed: 2, backend: 'wasm' });
    assert.equal((await waitForRun(page)).state, 'done');
    await page.click('vscode-tab-header[data-tab="balancing"]');
    assert.match((await page.textContent('.balancing')) ?? '', /The bias starts at zero \(where training starts it\)/);
    await page.click('#balancing-step');
    await page.waitForFunction(() => document.getElementById('app')!.dataset.balanceSteps === '1');
    const config = subject.router.config;
    const drawn = syntheticInputs({ seed: 2, tokens: 512, hidden: 32, experts: 256, distribution: { kind: 'isotropic' }, zeroSelectionBias: false });
    const batches = splitBatches({ ...drawn, tokens: 512 }, 4).map((part) => choiceValues(config, part));
    const first = new BalancingSimulation(config, subject.balancing!, batches).step();
    const panelBias = JSON.parse((await page.getAttribute('#app', 'data-balance-bias')) ?? '[]') as number[];
    assert.equal(panelBias.length, 256);
    panelBias.forEach((b, e) => assert.ok(Math.abs(b - first.bias[e]!) < 1e-9, `expert ${e}: ${b} vs ${first.bias[e]}`));
    // One step from zero moves each bias by exactly −γ, 0 or +γ.
    assert.ok(panelBias.every((b) => [-0.001, 0, 0.001].some((v) => Math.abs(b - v) < 1e-12)));
    await page.close();
  });

  it('a router without a selection bias has no Balancing tab', async () => {
    const subject = subjectFor('config.json', { text: '{"model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 2, "hidden_size": 32}' });
    assert.equal(subject.balancing, undefined);
    const page = await harness.open(subject, { tokens: 256, hidden: 32, seed: 1, backend: 'wasm' });
    assert.equal((await waitForRun(page)).state, 'done');
    assert.equal(await page.locator('vscode-tab-header[data-tab="balancing"]').count(), 0);
    await page.close();
  });
});
