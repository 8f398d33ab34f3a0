/**
 * The panel with a checkpoint's routers (issue #11 "real checkpoints in the panel"), in Debian Chromium: the
 * `preview/weights` message routes the same tokens through every layer; the layer × expert heatmap has a row
 * per layer and a column per expert; clicking a row shows that layer's loads (the reference's, with the
 * checkpoint's learned bias); a gpt-oss-120b-sized message (53 MB) works; at 290 px nothing scrolls sideways.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { PreviewSubject } from '../../src/core/protocol';
import { routeReference } from '../../src/core/router/cpu-router';
import { mulberry32Bits, normalSampler, syntheticInputs, tokensForGate } from '../../src/core/router/synthetic';
import { loadRouterLayers, type RouterLayers } from '../../src/node/router-layers';
import { runRoute } from '../../src/cli/commands/route';
import { ROOT, startHarness, subjectFor, waitForRun, type Harness } from './harness';
import { writeSafetensors, type TensorSpec } from '../cli/safetensors-writer';

const FIXTURE = 'test/fixtures/captured/deepseek_v3';

/** Posts the weights as the host does (typed arrays survive structured cloning) and waits for the run. */
async function postWeights(page: Page, read: RouterLayers, source: string): Promise<void> {
  await page.evaluate(() => (document.getElementById('app')!.dataset.state = 'stale'));
  await page.evaluate(
    ({ read, source }) => {
      const weights = {
        source,
        convention: read.convention,
        layers: read.layers,
        experts: read.experts,
        hidden: read.hidden,
        weight: new Float32Array(read.weight),
        ...(read.selectionBias ? { selectionBias: new Float32Array(read.selectionBias) } : {}),
        ...(read.bias ? { bias: new Float32Array(read.bias) } : {}),
        ...(read.tokenScale ? { tokenScale: new Float32Array(read.tokenScale) } : {}),
        ...(read.expertScale ? { expertScale: new Float32Array(read.expertScale) } : {}),
        names: read.names,
        readMs: 3,
        bytesRead: read.bytesRead,
      };
      window.postMessage({ type: 'preview/weights', body: { weights } }, '*');
    },
    {
      read: {
        ...read,
        weight: Array.from(read.weight),
        selectionBias: read.selectionBias ? Array.from(read.selectionBias) : undefined,
        bias: read.bias ? Array.from(read.bias) : undefined,
        tokenScale: read.tokenScale ? Array.from(read.tokenScale) : undefined,
        expertScale: read.expertScale ? Array.from(read.expertScale) : undefined,
      },
      source,
    },
  );
}

function referenceLayer(subject: PreviewSubject, read: RouterLayers, row: number, state: { tokens: number; seed: number }): number[] {
  const config = subject.router.config;
  const { experts: E, hidden: H } = read;
  const isotropic = { kind: 'isotropic' } as const;
  const gate = read.weight.subarray(row * E * H, (row + 1) * E * H);
  // The panel's tokens for a checkpoint: drawn in this gate's coordinates, routed through its factor (E < H here).
  const drawn = syntheticInputs({ seed: state.seed, tokens: state.tokens, hidden: H, experts: E, distribution: isotropic, zeroSelectionBias: subject.learnedSelectionBias === true });
  const viaGate = tokensForGate(drawn, gate, E, H);
  assert.ok(viaGate, 'a 16 × 64 gate has a factor');
  return Array.from(
    routeReference(config, {
      tokens: state.tokens,
      ...viaGate,
      gateBias: read.bias?.subarray(row * E, (row + 1) * E) ?? new Float32Array(E),
      selectionBias: read.selectionBias?.subarray(row * E, (row + 1) * E) ?? new Float32Array(E),
    }).counts,
  );
}

describe('routing preview with a checkpoint\'s routers', { timeout: 600_000 }, () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness();
  });
  after(async () => {
    await harness?.close();
  });

  it('the captured DeepSeek-V3 checkpoint: a heatmap row per layer, a column per expert; a row click shows that layer', async () => {
    const subject = subjectFor(`${FIXTURE}/config.json`);
    const read = await loadRouterLayers(join(ROOT, FIXTURE, 'router.safetensors'), { experts: subject.router.config.experts });
    assert.deepEqual(read.layers, [1, 2]);
    const state = { tokens: 512, hidden: 32, seed: 4, backend: 'wasm' };
    const page = await harness.open(subject, state);
    assert.equal((await waitForRun(page)).state, 'done');
    await postWeights(page, read, `${FIXTURE}/router.safetensors`);
    const first = await waitForRun(page);
    assert.equal(first.state, 'done', JSON.stringify(first));
    assert.equal(await page.locator('svg.heatmap g.heat-row').count(), 2);
    assert.equal(await page.getAttribute('svg.heatmap', 'data-columns'), '16');
    assert.equal(await page.locator('svg.heatmap g.heat-row').first().locator('rect.cell').count(), 16);
    assert.equal(await page.getAttribute('#app', 'data-layer'), '1');
    assert.equal(await page.inputValue('#control-hidden').catch(async () => page.locator('#control-hidden').evaluate((el) => (el as HTMLInputElement).value)), '64', 'the checkpoint fixes the hidden size');
    // The histogram shows layer 1's loads: the reference router's, with the checkpoint's learned bias.
    assert.deepEqual(first.counts, referenceLayer(subject, read, 0, state));
    assert.match(await page.textContent('.layer-title') ?? '', /Layer 1/);
    assert.match(await page.getAttribute('#app', 'data-command') ?? '', /--weights test\/fixtures\/captured\/deepseek_v3\/router\.safetensors --layer 1 /);

    await page.locator('svg.heatmap g.heat-row[data-layer="2"] rect.cell').nth(3).click();
    await page.waitForFunction(() => document.getElementById('app')!.dataset.layer === '2');
    const second = await waitForRun(page);
    assert.deepEqual(second.counts, referenceLayer(subject, read, 1, state));
    assert.notDeepEqual(second.counts, first.counts);
    assert.match(await page.textContent('.layer-title') ?? '', /Layer 2/);
    assert.equal(await page.getAttribute('svg.heatmap g.heat-row[data-layer="2"]', 'aria-pressed'), 'true');
    // "Copy as CLI command" reproduces the layer shown: the CLI reads the same router and draws the same tokens.
    const command = (await page.getAttribute('#app', 'data-command')) ?? '';
    assert.match(command, / --weights test\/fixtures\/captured\/deepseek_v3\/router\.safetensors --layer 2 --json$/);
    const cli = await runRoute({ config: join(ROOT, FIXTURE, 'config.json'), layer: 2, weights: join(ROOT, FIXTURE, 'router.safetensors'), tokens: 512, hidden: 64, seed: 4, distribution: { kind: 'isotropic' }, expertParallel: 1, json: true });
    assert.equal(cli.exitCode, 0, cli.stderr);
    assert.deepEqual(JSON.parse(cli.stdout).counts, second.counts);
    await page.setViewportSize({ width: 480, height: 900 });
    await page.waitForTimeout(200);
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results', 'preview-heatmap-deepseek.png'), fullPage: true });
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 0, 'no sideways scroll, long paths included');
    // The keyboard picks rows too.
    await page.keyboard.press('ArrowUp');
    await page.waitForFunction(() => document.getElementById('app')!.dataset.layer === '1');
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations), []);

    // A checkpoint error is one sentence in the status; the heatmap stays.
    await page.evaluate(() => window.postMessage({ type: 'preview/weights-error', body: { message: 'x.safetensors has a corrupt safetensors header: it is not valid UTF-8 JSON.' } }, '*'));
    await page.waitForFunction(() => document.getElementById('app')!.dataset.weightsError !== '');
    assert.match(await page.textContent('#status') ?? '', /x\.safetensors has a corrupt safetensors header/);
    assert.equal(await page.locator('svg.heatmap g.heat-row').count(), 2);

    // "Load router weights…" asks the host; "Use synthetic weights" drops the checkpoint.
    await page.click('#load-weights');
    assert.ok((await page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted.map((m) => m.type))).includes('preview/pick-weights'));
    await page.evaluate(() => (document.getElementById('app')!.dataset.state = 'stale'));
    await page.click('#synthetic-weights');
    await waitForRun(page);
    assert.equal(await page.locator('svg.heatmap').count(), 0);
    await page.close();
  });

  it("Gemma 4's routers: each layer routes whole tokens through its normed gate with its own learned scales, as the reference does", async () => {
    const subject = subjectFor('test/corpus/hf3/ai-dynamo__aiconfigurator@095f58a/aic-core/src/aiconfigurator_core/model_configs/google--gemma-4-26B-A4B_config.json');
    const [E, H] = [128, 48];
    const dir = mkdtempSync(join(tmpdir(), 'moe-lens-gemma4-'));
    const file = join(dir, 'model.safetensors');
    const normal = normalSampler(mulberry32Bits(11));
    const tensors: Record<string, TensorSpec> = {};
    for (const l of [0, 1]) {
      const prefix = `model.language_model.layers.${l}.router`;
      tensors[`${prefix}.proj.weight`] = { dtype: 'F32', shape: [E, H], values: Array.from({ length: E * H }, () => normal() * 0.2) };
      // Scales far from 1 (and different per layer), so that a panel ignoring them routes differently.
      tensors[`${prefix}.scale`] = { dtype: 'F32', shape: [H], values: Array.from({ length: H }, (_, h) => (h % 7 === l ? 6 : 0.2)) };
      tensors[`${prefix}.per_expert_scale`] = { dtype: 'F32', shape: [E], values: Array.from({ length: E }, (_, e) => 0.5 + (e % 3)) };
    }
    writeSafetensors(file, tensors);
    const read = await loadRouterLayers(file, { experts: E });
    const state = { tokens: 1024, hidden: H, seed: 6, backend: 'wasm' };
    const page = await harness.open(subject, state);
    assert.equal((await waitForRun(page)).state, 'done');
    await postWeights(page, read, 'gemma4/model.safetensors');
    const first = await waitForRun(page);
    assert.equal(first.state, 'done', JSON.stringify(first));
    assert.match((await page.textContent('.weights-bar')) ?? '', /with token scale and per-expert scale/);
    const whole = syntheticInputs({ seed: 6, tokens: 1024, hidden: H, experts: E, distribution: { kind: 'isotropic' }, fullTokens: true });
    const layer = (row: number): number[] =>
      Array.from(
        routeReference(subject.router.config, {
          ...whole,
          tokens: 1024,
          gateWeight: read.weight.subarray(row * E * H, (row + 1) * E * H),
          tokenScale: read.tokenScale!.subarray(row * H, (row + 1) * H),
          expertScale: read.expertScale!.subarray(row * E, (row + 1) * E),
        }).counts,
      );
    assert.deepEqual(first.counts, layer(0));
    const unscaled = Array.from(routeReference(subject.router.config, { ...whole, tokens: 1024, gateWeight: read.weight.subarray(0, E * H) }).counts);
    assert.notDeepEqual(first.counts, unscaled, 'the token scale changes the choices here');
    await page.locator('svg.heatmap g.heat-row[data-layer="1"] rect.cell').first().click();
    await page.waitForFunction(() => document.getElementById('app')!.dataset.layer === '1');
    assert.deepEqual((await waitForRun(page)).counts, layer(1));
    await page.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const backend of ['wasm', 'webgpu'] as const) {
    it(`${backend}: a saturated sigmoid (every positive logit scores 1.0 in float32) routes exactly k experts a token, the lower index first, as the reference does`, async () => {
      const subject = subjectFor(`${FIXTURE}/config.json`);
      const captured = await loadRouterLayers(join(ROOT, FIXTURE, 'router.safetensors'), { experts: subject.router.config.experts });
      // The captured gates × 10⁸: logits of millions, whose sigmoid is exactly 1 or 0 in float32 and in the reference's
      // float64 alike (logits between 17 and 37, or -745 and -104, saturate only in float32), so experts and groups tie
      // at the k-th score (the learned bias set to zero: a checkpoint without one is refused).
      const read: RouterLayers = { ...captured, weight: captured.weight.map((w) => w * 1e8), selectionBias: new Float32Array(captured.selectionBias!.length) };
      const state = { tokens: 512, hidden: 32, seed: 4, backend };
      const page = await harness.open(subject, state);
      assert.equal((await waitForRun(page)).state, 'done');
      await postWeights(page, read, 'saturated/router.safetensors');
      const result = await waitForRun(page);
      assert.equal(result.state, 'done', JSON.stringify(result));
      assert.equal(result.backend, backend);
      assert.equal(result.counts.reduce((a, b) => a + b, 0), 512 * subject.router.config.topK, 'loads sum to tokens × k');
      assert.deepEqual(result.counts, referenceLayer(subject, read, 0, state));
      await page.close();
    });
  }

  it('a checkpoint for another expert count says so and does not run', async () => {
    const subject = subjectFor('examples/hf/mixtral-8x7b/config.json');
    const read = await loadRouterLayers(join(ROOT, FIXTURE, 'router.safetensors'));
    const page = await harness.open(subject, { tokens: 128, hidden: 32, seed: 1, backend: 'wasm' });
    await waitForRun(page);
    await postWeights(page, read, 'router.safetensors');
    const result = await waitForRun(page);
    assert.equal(result.state, 'invalid');
    assert.match(await page.textContent('#status') ?? '', /have 16 experts, but this config routes over 8/);
    await page.close();
  });


  it("DeepSeek-V4's hash layers (routed by token id) are not shown as the config's router; the bar says which were left out", async () => {
    const subject = subjectFor('v4/config.json', { text: JSON.stringify({ model_type: 'deepseek_v4', n_routed_experts: 8, num_experts_per_tok: 2, num_hidden_layers: 5, hidden_size: 4 }) });
    assert.deepEqual(subject.tokenIdLayers?.layers, [0, 1, 2]);
    const file = join(mkdtempSync(join(tmpdir(), 'moe-lens-v4-')), 'router.safetensors');
    const tensors: Record<string, TensorSpec> = {};
    for (let layer = 0; layer < 5; layer++) {
      tensors[`model.layers.${layer}.mlp.gate.weight`] = { dtype: 'F32', shape: [8, 4], values: Array.from({ length: 32 }, (_, i) => Math.sin(i * (layer + 1))) };
      tensors[`model.layers.${layer}.mlp.gate.e_score_correction_bias`] = { dtype: 'F32', shape: [8], values: Array.from({ length: 8 }, (_, i) => (i - layer) / 50) };
    }
    writeSafetensors(file, tensors);
    const read = await loadRouterLayers(file, { experts: 8 });
    const page = await harness.open(subject, { tokens: 64, hidden: 4, seed: 1, backend: 'wasm' });
    await waitForRun(page);
    await postWeights(page, read, 'router.safetensors');
    assert.equal((await waitForRun(page)).state, 'done');
    assert.deepEqual(await page.locator('svg.heatmap g.heat-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-layer'))), ['3', '4']);
    assert.match(await page.textContent('.weights-bar') ?? '', /not shown: layers 0, 1, 2, routed by token id/);
    assert.match(await page.textContent('.layer-title') ?? '', /Layer 3/);
    await page.close();
  });

  it('a checkpoint without the selection bias its published router chooses by says so and does not run (no zero bias)', async () => {
    const subject = subjectFor(`${FIXTURE}/config.json`);
    assert.ok(subject.router.config.selectionBias && subject.learnedSelectionBias !== true);
    const read = await loadRouterLayers(join(ROOT, FIXTURE, 'router.safetensors'), { experts: subject.router.config.experts });
    const { selectionBias, ...withoutBias } = read;
    assert.ok(selectionBias);
    const page = await harness.open(subject, { tokens: 128, hidden: 32, seed: 1, backend: 'wasm' });
    await waitForRun(page);
    await postWeights(page, { ...withoutBias, names: [read.names[0]!] }, 'router.safetensors');
    const result = await waitForRun(page);
    assert.equal(result.state, 'error');
    assert.match(await page.textContent('#status') ?? '', /chooses experts with a selection bias \(e_score_correction_bias\), but the checkpoint has none for layer 1 \(looked for model\.layers\.1\.mlp\.gate\.e_score_correction_bias, /);
    await page.close();
  });
  it('gpt-oss-120b-sized routers (36 × 128 × 2880 floats, 53 MB) in one message; at 290 px nothing scrolls sideways; screenshot', async () => {
    const subject = subjectFor('examples/hf/gpt-oss-120b/config.json');
    const page = await harness.open({ ...subject, line: 4 }, { tokens: 1024, hidden: 2880, seed: 1, backend: 'wasm', distribution: 'clustered', clusters: 12 });
    assert.equal((await waitForRun(page)).state, 'done');
    await page.evaluate(() => (document.getElementById('app')!.dataset.state = 'stale'));
    const posted = await page.evaluate(() => {
      const [L, E, H] = [36, 128, 2880];
      // A layer-dependent skew, so the heatmap shows structure: later layers favour low expert ids.
      // (No named function here: the test's transpiler would wrap it in a helper the page lacks.)
      let seed = 7;
      const weight = new Float32Array(L * E * H);
      for (let i = 0; i < weight.length; i++) {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        weight[i] = (seed / 4294967296 - 0.5) * 0.06;
      }
      const bias = new Float32Array(L * E);
      for (let l = 0; l < L; l++) {
        for (let e = 0; e < E; e++) {
          seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
          bias[l * E + e] = (l / L) * 1.5 * Math.cos((e / E) * Math.PI) + (seed / 4294967296 - 0.5) * 0.4;
        }
      }
      const started = performance.now();
      window.postMessage({ type: 'preview/weights', body: { weights: { source: 'gpt-oss-120b/model.safetensors.index.json', convention: 'HF gpt-oss', layers: Array.from({ length: L }, (_, l) => l), experts: E, hidden: H, weight, bias, names: ['model.layers.0.mlp.router.weight', 'model.layers.0.mlp.router.bias'], readMs: 812, bytesRead: 26573067 } } }, '*');
      return { bytes: weight.byteLength, postMs: performance.now() - started };
    });
    assert.equal(posted.bytes, 36 * 128 * 2880 * 4);
    const started = Date.now();
    const result = await waitForRun(page, 300_000);
    assert.equal(result.state, 'done', JSON.stringify(result));
    console.log(`53 MB weights: postMessage ${posted.postMs.toFixed(1)} ms; 36 layers × 1024 tokens routed in ${Date.now() - started} ms (WASM)`);
    assert.equal(await page.locator('svg.heatmap g.heat-row').count(), 36);
    assert.equal(await page.getAttribute('svg.heatmap', 'data-columns'), '128');
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results', 'preview-heatmap.png'), fullPage: true });
    if (process.env.UPDATE_SCREENSHOT) await page.screenshot({ path: join(ROOT, 'docs', 'preview-heatmap.png'), fullPage: true });
    await page.setViewportSize({ width: 290, height: 900 });
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${overflow} px of sideways scroll at 290 px`);
    const heat = (await page.locator('svg.heatmap').boundingBox())!;
    assert.ok(heat.x >= 0 && heat.x + heat.width <= 290, JSON.stringify(heat));
    await page.screenshot({ path: join(ROOT, 'test-results', 'preview-heatmap-290.png'), fullPage: true });
    await page.close();
  });
});
