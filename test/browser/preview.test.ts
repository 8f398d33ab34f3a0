/**
 * The built panel in Debian Chromium: WebGPU (SwiftShader gives a real adapter) and WASM must both produce
 * the reference loads; no CSP violation and no request outside the panel's own resources.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzeDocument } from '../../src/core/analyze';
import { previewSubject } from '../../src/core/preview';
import { routeReference } from '../../src/core/router/cpu-router';
import { drawsWholeTokens, syntheticInputs } from '../../src/core/router/synthetic';
import type { PreviewSubject } from '../../src/core/protocol';
import { ROOT, startHarness, subjectFor, waitForRun, type Harness } from './harness';

function referenceCounts(subject: PreviewSubject, state: { tokens: number; hidden: number; seed: number; distribution?: 'isotropic' | 'clustered'; clusters?: number }, config = subject.router.config): number[] {
  const distribution = state.distribution === 'clustered' ? { kind: 'clustered' as const, clusters: state.clusters ?? 8 } : { kind: 'isotropic' as const };
  const inputs = syntheticInputs({ seed: state.seed, tokens: state.tokens, hidden: state.hidden, experts: config.experts, distribution, zeroSelectionBias: subject.learnedSelectionBias === true, fullTokens: drawsWholeTokens(config) });
  return Array.from(routeReference(config, { ...inputs, tokens: state.tokens }).counts);
}

describe('routing preview in Chromium', { timeout: 600_000 }, () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness();
  });
  after(async () => {
    await harness?.close();
  });

  const cases: [string, string, string | undefined][] = [
    ['HF gpt-oss-120b (top-k then softmax, router bias)', 'examples/hf/gpt-oss-120b/config.json', undefined],
    ['torchtitan DeepSeek-V3 671B (sigmoid, selection bias, groups)', 'examples/torchtitan/deepseek_v3/__init__.py', '671B'],
  ];
  it('auto does not pick a software WebGPU adapter (SwiftShader here): it runs on WASM and says why (issue #11)', async () => {
    const [, file] = cases[0]!;
    const subject = subjectFor(file);
    const state = { tokens: 512, hidden: 128, seed: 5, backend: 'auto' as const };
    const page = await harness.open(subject, state);
    const result = await waitForRun(page);
    assert.equal(result.state, 'done', JSON.stringify(result));
    assert.equal(result.backend, 'wasm');
    assert.deepEqual(result.counts, referenceCounts(subject, state));
    assert.match(await page.textContent('#status') ?? '', /Ran on WASM: the WebGPU adapter \(google · swiftshader\) renders in software/);
    await page.close();
  });

  for (const backend of ['webgpu', 'wasm'] as const) {
    for (const [label, file, name] of cases) {
      it(`${backend}: ${label} gives the reference loads`, async () => {
        const subject = subjectFor(file, { name });
        const state = { tokens: 512, hidden: 128, seed: 5, backend, distribution: 'clustered' as const, clusters: 6 };
        const page = await harness.open(subject, state);
        const result = await waitForRun(page);
        assert.equal(result.state, 'done', JSON.stringify(result));
        assert.equal(result.backend, backend);
        assert.deepEqual(result.counts, referenceCounts(subject, state));
        if (backend === 'webgpu') assert.match(await page.textContent('#backend') ?? '', /^WebGPU · google · swiftshader/);
        assert.deepEqual(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations), []);
        await page.close();
      });
    }
  }

  it('says what the synthetic gate does with a selection bias: a learned one at zero, a checkpoint\'s or a comparison\'s drawn (issue #11)', async () => {
    const runs: [string, string | undefined, string, RegExp][] = [
      ['examples/torchtitan/deepseek_v3/__init__.py', '671B', 'none', /through a synthetic gate \(seed 3\); the learned selection bias at its initial zero\.$/],
      ['examples/hf/deepseek-v3/config.json', undefined, 'none', /through a synthetic gate \(seed 3\); the checkpoint's selection bias drawn N\(0, 0\.1²\) per expert/],
      ['examples/hf/gpt-oss-120b/config.json', undefined, 'selection-bias', /through a synthetic gate \(seed 3\); the comparison's selection bias drawn N\(0, 0\.1²\) per expert\.$/],
      ['examples/hf/gpt-oss-120b/config.json', undefined, 'flip-order', /top-4 of 128 experts through a synthetic gate \(seed 3\)\.$/],
    ];
    for (const [file, name, compare, expected] of runs) {
      const page = await harness.open(subjectFor(file, { name }), { tokens: 256, hidden: 64, seed: 3, backend: 'wasm', compare });
      const result = await waitForRun(page);
      assert.equal(result.state, 'done', JSON.stringify(result));
      assert.match((await page.textContent('#status')) ?? '', expected, file);
      await page.close();
    }
  });

  it('a comparison series runs on the same tokens and equals the reference for the variant', async () => {
    const subject = subjectFor('examples/hf/gpt-oss-120b/config.json');
    const state = { tokens: 512, hidden: 128, seed: 2, backend: 'wasm', compare: 'flip-order' };
    const page = await harness.open(subject, state);
    const result = await waitForRun(page);
    const variant = subject.comparisons.find((c) => c.id === 'flip-order')!;
    assert.deepEqual(result.compareCounts, referenceCounts(subject, state, variant.config));
    await page.close();
  });

  it('editing a control re-runs; the table view lists every expert; invalid input says why', async () => {
    const subject = subjectFor('examples/hf/mixtral-8x7b/config.json');
    const page = await harness.open(subject, { tokens: 256, hidden: 64, seed: 0, backend: 'wasm' });
    const first = await waitForRun(page);
    await page.evaluate(() => (document.getElementById('app')!.dataset.state = 'stale'));
    await page.locator('#control-seed').evaluate((el: HTMLElement & { value: string }) => {
      el.value = '9';
      el.dispatchEvent(new Event('change'));
    });
    const second = await waitForRun(page);
    assert.notDeepEqual(second.counts, first.counts);
    assert.deepEqual(second.counts, referenceCounts(subject, { tokens: 256, hidden: 64, seed: 9 }));
    assert.equal(await page.locator('table.load-table tbody tr').count(), 8);
    await page.evaluate(() => (document.getElementById('app')!.dataset.state = 'stale'));
    await page.locator('#control-tokens').evaluate((el: HTMLElement & { value: string }) => {
      el.value = '0';
      el.dispatchEvent(new Event('change'));
    });
    const invalid = await waitForRun(page);
    assert.equal(invalid.state, 'invalid');
    assert.match(await page.textContent('#status') ?? '', /tokens must be an integer/);
    await page.close();
  });

  it('rapid config pushes: superseded ones never run; the last config wins (WebGPU)', async () => {
    const file = 'examples/torchtitan/gpt_oss/__init__.py';
    const text = readFileSync(join(ROOT, file), 'utf8');
    const subjectWithTopK = (k: number): PreviewSubject => {
      const edited = text.replace(/top_k=4,\n(\s+use_grouped_mm=True,\n\s+load_balance_coeff=None)/, `top_k=${k},\n$1`);
      const specs = analyzeDocument(file, edited).specs;
      const subject = previewSubject(specs.find((s) => s.name === '20b')!, file, 27, specs);
      assert.ok(!('error' in subject));
      return subject;
    };
    const state = { tokens: 512, hidden: 128, seed: 3, backend: 'webgpu' };
    const page = await harness.open(subjectWithTopK(4), state);
    await waitForRun(page);
    const runsBefore = Number(await page.getAttribute('#app', 'data-runs'));
    const uploadsBefore = Number(await page.getAttribute('#app', 'data-gpu-uploads'));
    assert.ok(uploadsBefore >= 1, 'the WebGPU run put its tokens on the GPU');
    await page.evaluate(() => {
      const app = document.getElementById('app')!;
      app.dataset.state = 'stale';
    });
    // Three pushes in one task: the first two are superseded before they can start.
    const messages = [3, 2, 1].map((k) => ({ type: 'preview/subject', body: { subject: subjectWithTopK(k), ortBaseUri: `${harness.origin}/dist/ort/` } }));
    await page.evaluate((all) => all.forEach((m) => window.postMessage(m, '*')), messages);
    const result = await waitForRun(page);
    assert.equal(result.state, 'done');
    const last = subjectWithTopK(1);
    assert.deepEqual(result.counts, referenceCounts(last, state));
    assert.equal(Number(await page.getAttribute('#app', 'data-runs')) - runsBefore, 1, 'superseded requests never run');
    assert.equal(Number(await page.getAttribute('#app', 'data-gpu-uploads')), uploadsBefore, 'a router-only edit re-runs on the tokens already on the GPU');
    await page.close();
  });

  it('the first run shows its first tokens at once, routed as the reference does, before the full result', async () => {
    const subject = subjectFor('examples/hf/gpt-oss-120b/config.json');
    // Drawn in the gate's 128 coordinates: the first look covers 1,024 × 128 × 128 / 128² = 1,024 tokens.
    const state = { tokens: 8192, hidden: 256, seed: 4, backend: 'wasm' };
    const page = await harness.open(subject, state);
    const result = await waitForRun(page);
    assert.equal(result.state, 'done', JSON.stringify(result));
    const first = await page.evaluate(() => {
      const data = document.getElementById('app')!.dataset;
      return { at: Number(data.firstLookAt), tokens: Number(data.firstLookTokens), counts: JSON.parse(data.firstLookCounts ?? 'null') as number[] | null, resultAt: Number(data.firstResultAt) };
    });
    assert.equal(first.tokens, 1024);
    assert.deepEqual(first.counts, referenceCounts(subject, { ...state, tokens: 1024 }), 'the first 1,024 of the same tokens');
    assert.ok(first.at < first.resultAt, `first look at ${first.at} ms, full result at ${first.resultAt} ms`);
    assert.deepEqual(result.counts, referenceCounts(subject, state), 'the full result replaced it');
    assert.equal(await page.locator('p.first-look').count(), 0);
    await page.close();
  });

  it('WASM routes the tokens in slices: on the first run the histogram grows with each slice, and the counts add up to the reference', async () => {
    // 40,000 tokens drawn in the gate's 128 coordinates: slices of 32,768 tokens (runner.ts SLICE_VALUES), so two runs of ORT.
    const subject = subjectFor('examples/hf/gpt-oss-120b/config.json');
    const state = { tokens: 40_000, hidden: 2880, seed: 5, backend: 'wasm' };
    const page = await harness.open(subject, state);
    const result = await waitForRun(page);
    assert.equal(result.state, 'done', JSON.stringify(result));
    const data = await page.evaluate(() => ({ ...document.getElementById('app')!.dataset }));
    const k = subject.router.config.topK;
    assert.equal(data.progress, `32768:${32768 * k}`, 'a histogram after each slice but the last, of every token routed so far');
    assert.ok(Number(data.firstProgressAt) < Number(data.firstResultAt));
    assert.deepEqual(result.counts, referenceCounts(subject, state));
    assert.equal(await page.locator('p.first-look').count(), 0, 'the whole result replaced the growing one');
    await page.close();
  });

  it('a router that drops tokens itself (Hunyuan-A13B): its semantics say so and the statistics give the share it drops', async () => {
    const subject = subjectFor('test/corpus/hf/Tencent-Hunyuan__Hunyuan-A13B@2798f3c/models/config.json');
    const state = { tokens: 2048, hidden: 512, seed: 1, backend: 'wasm' };
    const page = await harness.open(subject, state);
    const result = await waitForRun(page);
    assert.equal(result.state, 'done', JSON.stringify(result));
    const counts = referenceCounts(subject, state);
    assert.deepEqual(result.counts, counts, 'the counts are the choices, before the drop');
    assert.match((await page.textContent('#semantics')) ?? '', /drops tokens above max\(k, ⌊k·T\/E⌋\) an expert/);
    // ⌊8 · 2048 / 64⌋ = 256 tokens an expert.
    const dropped = counts.reduce((sum, c) => sum + Math.max(0, c - 256), 0) / (2048 * 8);
    assert.ok(dropped > 0, 'these tokens overflow some experts');
    const row = page.locator('#stats dt', { hasText: 'dropped by the router' });
    assert.equal(await row.count(), 1);
    assert.equal((await row.locator('xpath=following-sibling::dd[1]').textContent())?.trim(), `${(dropped * 100).toFixed(1)}%`);
    assert.equal(await page.locator('svg.chart line.router-capacity-line title').textContent(), 'the router keeps 256 tokens per expert');
    assert.match((await page.textContent('.chart-legend')) ?? '', /the router's own capacity, 256 tokens/);
    await page.close();
  });

  it('Gemma 4: the gate sees each token RMS-normed, so whole tokens are drawn, and the loads are the reference\'s (WASM and WebGPU)', async () => {
    const subject = subjectFor('test/corpus/hf3/ai-dynamo__aiconfigurator@095f58a/aic-core/src/aiconfigurator_core/model_configs/google--gemma-4-26B-A4B_config.json');
    assert.deepEqual(subject.router.config.tokenNorm, { epsilon: 1e-6 });
    for (const backend of ['wasm', 'webgpu']) {
      const state = { tokens: 1024, hidden: 512, seed: 3, backend };
      const page = await harness.open(subject, state);
      const result = await waitForRun(page);
      assert.equal(result.state, 'done', JSON.stringify(result));
      // Whole tokens, spelt out (not through drawsWholeTokens, which the panel uses): tokens drawn in the gate's
      // coordinates would be normed over E values instead of H, and route differently.
      const whole = syntheticInputs({ seed: 3, tokens: 1024, hidden: 512, experts: 128, distribution: { kind: 'isotropic' }, fullTokens: true });
      assert.deepEqual(result.counts, Array.from(routeReference(subject.router.config, { ...whole, tokens: 1024 }).counts), backend);
      assert.match((await page.textContent('#semantics')) ?? '', /token RMS-normed · score → top-8 · softmax · normalize always · × per-expert scale/);
      await page.close();
    }
  });

  it('starts onnxruntime-web as the page loads, before the config arrives (WASM)', async () => {
    const subject = subjectFor('examples/hf/mixtral-8x7b/config.json');
    const page = await harness.open(subject, { tokens: 256, hidden: 64, seed: 1, backend: 'wasm' });
    const result = await waitForRun(page);
    assert.equal(result.state, 'done', JSON.stringify(result));
    const data = await page.evaluate(() => ({ ...document.getElementById('app')!.dataset }));
    assert.ok(data.ortBase?.endsWith('/dist/ort/'), 'the page names where ORT is');
    assert.ok(Number(data.ortWarmUpAt) < Number(data.subjectAt), `ORT started at ${data.ortWarmUpAt} ms, the config came at ${data.subjectAt} ms`);
    await page.close();
  });

  it('routes WASM runs in its ORT worker, and on its own thread where the host forbids workers, with the same counts', async () => {
    const subject = subjectFor('examples/hf/deepseek-v3/config.json');
    const state = { tokens: 3000, hidden: 96, seed: 4, backend: 'wasm', compare: 'none' };
    const counts: Record<string, number[]> = {};
    for (const [thread, html] of [
      ['worker', undefined],
      ['panel', (page: string) => page.replace('worker-src blob:', "worker-src 'none'")],
    ] as const) {
      const page = await harness.open(subject, state, html ? { html } : {});
      const result = await waitForRun(page);
      assert.equal(result.state, 'done', JSON.stringify(result));
      assert.equal(await page.evaluate(() => document.getElementById('app')!.dataset.ortThread), thread);
      // Where the worker is not used, the output channel says why.
      const logged = await page.evaluate(() => (window as unknown as { __posted: { type: string; body: { message?: string } }[] }).__posted.filter((m) => m.type === 'preview/log').map((m) => m.body.message ?? ''));
      assert.equal(logged.some((message) => message.startsWith('The ORT worker is not used')), thread === 'panel', logged.join('\n'));
      counts[thread] = result.counts;
      await page.close();
    }
    assert.equal(counts.worker!.reduce((a, b) => a + b, 0), 3000 * 8);
    assert.deepEqual(counts.panel, counts.worker);
  });

  it('WebGPU: new tokens (another seed) replace those on the GPU, and route as the reference does', async () => {
    const subject = subjectFor('examples/hf/mixtral-8x7b/config.json');
    const page = await harness.open(subject, { tokens: 256, hidden: 64, seed: 0, backend: 'webgpu' });
    const first = await waitForRun(page);
    assert.equal(first.backend, 'webgpu');
    const uploads = Number(await page.getAttribute('#app', 'data-gpu-uploads'));
    await page.evaluate(() => (document.getElementById('app')!.dataset.state = 'stale'));
    await page.locator('#control-seed').evaluate((el: HTMLElement & { value: string }) => {
      el.value = '9';
      el.dispatchEvent(new Event('change'));
    });
    const second = await waitForRun(page);
    assert.deepEqual(second.counts, referenceCounts(subject, { tokens: 256, hidden: 64, seed: 9 }));
    assert.equal(Number(await page.getAttribute('#app', 'data-gpu-uploads')), uploads + 1);
    await page.close();
  });

  it('a config that cannot be routed says so in the header, with no controls that do nothing; a fixed config brings them back', async () => {
    const file = 'examples/torchtitan/gpt_oss/__init__.py';
    const specs = analyzeDocument(file, readFileSync(join(ROOT, file), 'utf8')).specs;
    const subject = previewSubject(specs.find((s) => s.name === '20b')!, file, 27, specs);
    assert.ok(!('error' in subject));
    const page = await harness.open(subject, { tokens: 256, hidden: 64, backend: 'wasm' });
    await waitForRun(page);
    await page.evaluate(() => window.postMessage({ type: 'preview/error', body: { message: 'the top_k (`top_k`) of config "20b" is unknown' } }, '*'));
    await page.waitForFunction(() => document.getElementById('app')!.dataset.state === 'error');
    assert.equal(await page.textContent('#semantics'), 'Not routed');
    assert.equal(await page.isVisible('#controls'), false);
    assert.match((await page.textContent('#status')) ?? '', /top_k .* is unknown/);
    await page.evaluate((body) => window.postMessage({ type: 'preview/subject', body }, '*'), { subject, ortBaseUri: `${harness.origin}/dist/ort/` });
    await waitForRun(page);
    assert.equal(await page.isVisible('#controls'), true);
    assert.notEqual(await page.textContent('#semantics'), 'Not routed');
    await page.close();
  });

  it('loads nothing from outside its own origin', () => {
    // Listened to from each page's first navigation: the page, its script and style, ORT's .mjs and .wasm.
    assert.ok(harness.requests.some((url) => url.endsWith('/dist/webview/main.js')), harness.requests.join('\n'));
    assert.ok(harness.requests.some((url) => url.endsWith('.wasm')), harness.requests.join('\n'));
    // blob: URLs of its own origin are the ORT worker's first script, made by the panel (wasm-client.ts).
    assert.deepEqual(harness.requests.filter((url) => !url.startsWith(harness.origin) && !url.startsWith(`blob:${harness.origin}/`)), []);
  });

  it('beside the editor (a 480 px panel) the chart keeps the full width and the statistics go below it', async () => {
    const subject = subjectFor('examples/hf/gpt-oss-120b/config.json');
    const page = await harness.open(subject, { tokens: 1024, hidden: 64, seed: 1, backend: 'wasm' });
    await page.setViewportSize({ width: 480, height: 900 });
    assert.equal((await waitForRun(page)).state, 'done');
    const box = async (selector: string) => (await page.locator(selector).first().boundingBox())!;
    const [chart, stats, body] = [await box('svg.chart'), await box('#stats'), await box('body')];
    assert.ok(chart.width >= 0.85 * body.width, `chart ${chart.width} px of ${body.width} px`);
    assert.ok(stats.y >= chart.y + chart.height, 'the statistics sit below the chart');
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results', 'preview-panel-narrow.png'), fullPage: true });
    await page.close();
  });

  it('takes the README screenshot (WebGPU, clustered tokens, compared with top-k-before-score flipped)', async () => {
    const subject = subjectFor('examples/hf/gpt-oss-120b/config.json');
    const page = await harness.open({ ...subject, file: 'examples/hf/gpt-oss-120b/config.json', line: 4 }, { tokens: 2048, hidden: 256, seed: 1, backend: 'webgpu', distribution: 'clustered', clusters: 12, compare: 'selection-bias', capacityFactor: 1.25, ep: 8 });
    const result = await waitForRun(page);
    assert.equal(result.state, 'done');
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-results', 'preview-panel.png') });
    // `npm run screenshot` refreshes the README's copy from this same run.
    if (process.env.UPDATE_SCREENSHOT) await page.screenshot({ path: join(ROOT, 'docs', 'preview-panel.png') });
    assert.equal(await page.locator('#control-capacityFactor:invalid').count(), 0, 'no control shows as invalid');
    await page.close();
  });
});
