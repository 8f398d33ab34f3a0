import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeDocument } from '../../src/core/analyze';
import { checkRouterWeights, isHostMessageType, parseWebviewMessage, type RouterWeights } from '../../src/core/protocol';
import { cliInvocation, previewSubject, routeCommand } from '../../src/core/preview';
import type { PreviewSubject } from '../../src/core/protocol';
import { ProjectIndex } from '../../src/core/project';
import { syntheticInputs } from '../../src/core/router/synthetic';
import { loadStats } from '../../src/core/router/stats';
import { contentSecurityPolicy, createNonce, previewHtml } from '../../src/extension/preview-html';

const ROOT = resolve(import.meta.dirname, '..', '..');
const specsOf = (file: string) => analyzeDocument(file, readFileSync(resolve(ROOT, file), 'utf8')).specs;

describe('preview subject', () => {
  it('offers flip-order and selection-bias variants, and same-size configs of the file', () => {
    const specs = specsOf('examples/torchtitan/gpt_oss/__init__.py');
    const subject = previewSubject(specs.find((s) => s.name === '20b')!, 'gpt_oss/__init__.py', 27, specs);
    assert.ok(!('error' in subject));
    assert.deepEqual(subject.comparisons.map((c) => c.id), ['flip-order', 'selection-bias']);
    const flipped = subject.comparisons[0]!.config;
    assert.equal(flipped.order, 'topk-then-score');
    assert.match(flipped.semantics, /order flipped to topk-then-score$/);
    assert.equal(subject.comparisons[1]!.config.selectionBias, true, '20b sets load_balance_coeff=None, so the variant turns the bias on');
  });

  it('offers the published router where a config names a published model but routes differently (after MOE001)', () => {
    // The "120b" flavor of the example writes top_k=8; gpt-oss-120b routes each token to 4 of 128 experts.
    const specs = specsOf('examples/torchtitan/gpt_oss/__init__.py');
    const subject = previewSubject(specs.find((s) => s.name === '120b')!, 'f', 1, specs);
    assert.ok(!('error' in subject));
    const published = subject.comparisons.find((c) => c.id === 'published');
    assert.ok(published, subject.comparisons.map((c) => c.id).join(', '));
    assert.equal(published.label, 'published gpt-oss-120b');
    assert.equal(published.config.topK, 4);
    assert.equal(published.config.experts, 128);
    assert.match(published.config.semantics, /published gpt-oss-120b: top-4$/);
    // A flavor that already routes as published gets no such comparison (it would show the same bars).
    const same = previewSubject(specs.find((s) => s.name === '20b')!, 'f', 1, specs);
    assert.ok(!('error' in same) && !same.comparisons.some((c) => c.id === 'published'));
  });

  it('does not offer flipping with groups (top-k-before-score has no group scores)', () => {
    const specs = specsOf('examples/torchtitan/deepseek_v3/__init__.py');
    const subject = previewSubject(specs.find((s) => s.name === '671B')!, 'f', 1, specs);
    assert.ok(!('error' in subject));
    assert.deepEqual(subject.comparisons.map((c) => c.id), ['selection-bias']);
  });

  it('explains why a config cannot be routed', () => {
    const specs = specsOf('examples/torchtitan/deepseek_v3/__init__.py');
    const subject = previewSubject(specs.find((s) => s.name === 'experimental-96e')!, 'f', 1, specs);
    assert.deepEqual(subject, { error: '"experimental-96e" cannot be routed: unknown score function "sigmoid ".' });
  });

  it('a learned selection bias starts at zero in the synthetic inputs, and the panel says so (issue #11)', () => {
    const text = 'from torchtitan.models.moe import MoEArgs\nx = MoEArgs(num_experts=128, top_k=4, score_func="softmax", route_norm=True, load_balance_coeff=1e-3, topk_before_score=False, gate_bias=False, route_scale=1.0, num_expert_groups=None, num_limited_groups=None)\n';
    const project = new ProjectIndex();
    project.setText('torchtitan/models/moe/__init__.py', '@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    top_k: int = 1\n    load_balance_coeff: float | None = 1e-3\n');
    const spec = analyzeDocument('m.py', text, project).specs[0]!;
    const subject = previewSubject(spec, 'm.py', 2, []) as PreviewSubject;
    assert.equal(subject.learnedSelectionBias, true);
    assert.match(subject.router.config.semantics, /learned bias at its initial zero/);
    const drawn = syntheticInputs({ seed: 0, tokens: 4, hidden: 8, experts: 128, distribution: { kind: 'isotropic' }, zeroSelectionBias: true });
    const random = syntheticInputs({ seed: 0, tokens: 4, hidden: 8, experts: 128, distribution: { kind: 'isotropic' } });
    assert.ok(drawn.selectionBias.every((b) => b === 0));
    assert.deepEqual(drawn.hiddenStates, random.hiddenStates, 'every other input is the same');
  });

  it('never previews a guess: an unknown or assumed expert count or top-k is refused, and so is a hostile expert count', () => {
    const unknown = analyzeDocument('m.py', 'def build(n):\n    return MoEArgs(num_experts=n, top_k=2)\n').specs[0]!;
    assert.match((previewSubject(unknown, 'm.py', 2, []) as { error: string }).error, /its expert count is unknown \(no call sets `n` of `build`\)/);
    const assumed = analyzeDocument('m.py', 'from torchtitan.models.moe import MoEArgs\nx = MoEArgs(num_experts=8)\n').specs[0]!;
    assert.match((previewSubject(assumed, 'm.py', 2, []) as { error: string }).error, /its top-k is assumed/);
    const huge = analyzeDocument('config.json', '{"model_type": "mixtral", "num_local_experts": 100000000, "num_experts_per_tok": 2}').specs[0]!;
    assert.match((previewSubject(huge, 'config.json', 1, []) as { error: string }).error, /100000000 experts is above the 16384/);
  });

  it('the copied command runs the CLI the extension ships; a path a shell would quote is left out', () => {
    assert.equal(cliInvocation('/home/u/.vscode/extensions/moe-lens.moe-lens-0.1.0/dist/cli.js'), 'node /home/u/.vscode/extensions/moe-lens.moe-lens-0.1.0/dist/cli.js');
    assert.equal(cliInvocation('C:\\Users\\u\\.vscode\\extensions\\x\\dist\\cli.js'), 'node C:/Users/u/.vscode/extensions/x/dist/cli.js');
    assert.equal(cliInvocation('/home/Jane Doe/.vscode/extensions/x/dist/cli.js'), 'node <path to moe-lens cli.js>');
    const command = routeCommand({ cli: cliInvocation('/ext/dist/cli.js'), file: 'a.py', model: '120b', tokens: 16, hidden: 8, seed: 0, distribution: 'isotropic', clusters: 1, expertParallel: 1 });
    assert.equal(command, 'node /ext/dist/cli.js route a.py --model 120b --tokens 16 --hidden 8 --seed 0 --json');
  });

  it('routeCommand reproduces a panel run, and leaves out any path or name a shell would have to quote', () => {
    assert.equal(
      routeCommand({ file: 'configs/a.py', model: '120b', tokens: 2048, hidden: 2880, seed: 3, distribution: 'clustered', clusters: 4, capacityFactor: 1.25, expertParallel: 8 }),
      'npx moe-lens route configs/a.py --model 120b --tokens 2048 --hidden 2880 --seed 3 --distribution clustered --clusters 4 --capacity-factor 1.25 --ep 8 --json',
    );
    // Quoting that is safe in bash is not in fish, PowerShell or cmd.exe (issue #14): such words are left out.
    for (const hostile of ["fish\\'; touch pwned; #", "x'; calc; '", 'a & calc & b', 'my configs/a.py', '$(id)', '`id`']) {
      const command = routeCommand({ file: hostile, model: hostile, tokens: 16, hidden: 8, seed: 0, distribution: 'isotropic', clusters: 1, expertParallel: 1 });
      assert.equal(command, 'npx moe-lens route <CONFIG> --model <MODEL> --tokens 16 --hidden 8 --seed 0 --json');
    }
  });
});

describe('load statistics', () => {
  it('max/mean, CV, idle, capacity drops (ceil(T·k/E·C)) and EP ranks', () => {
    const stats = loadStats([6, 2, 0, 0], 4, 2, { capacityFactor: 1, expertParallel: 2 });
    assert.equal(stats.meanLoad, 2);
    assert.equal(stats.maxOverMean, 3);
    assert.equal(stats.idleExperts, 2);
    assert.equal(stats.capacity, 2);
    assert.equal(stats.droppedFraction, 4 / 8);
    assert.deepEqual(stats.rankLoads, [8, 0]);
    assert.equal(stats.rankMaxOverMean, 2);
    assert.ok(Math.abs(stats.coefficientOfVariation - Math.sqrt((16 + 0 + 4 + 4) / 4) / 2) < 1e-12);
  });

  it('a capacity the router keeps itself (Hunyuan-A13B): max(k, ⌊k·T/E⌋), reported beside the capacity factor\'s', () => {
    const rule = { formula: 'max(k, ⌊k·T/E⌋)', source: 'modeling_hunyuan.py L78' } as const;
    // 5 tokens, top-2 of 4 experts: ⌊10/4⌋ = 2 tokens an expert; loads 5, 3, 2, 0 drop 3 + 1 of 10 assignments.
    const stats = loadStats([5, 3, 2, 0], 5, 2, { capacityFactor: 2, routerCapacity: rule });
    assert.deepEqual([stats.routerCapacity, stats.routerDroppedFraction], [2, 4 / 10]);
    assert.deepEqual([stats.capacity, stats.droppedFraction], [5, 0], 'the capacity factor\'s what-if stays its own');
    // Never below k: one token, top-2 of 8 experts keeps both choices (⌊2/8⌋ = 0).
    assert.deepEqual([loadStats([1, 1, 0, 0, 0, 0, 0, 0], 1, 2, { routerCapacity: rule }).routerCapacity, loadStats([1, 1, 0, 0, 0, 0, 0, 0], 1, 2, { routerCapacity: rule }).routerDroppedFraction], [2, 0]);
    assert.equal(loadStats([5, 3, 2, 0], 5, 2).routerCapacity, undefined, 'other routers keep no capacity of their own');
  });
});

describe('webview protocol and page', () => {
  it('accepts well-formed messages and rejects everything else', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'preview/ready', body: {} }), { type: 'preview/ready', body: {} });
    assert.deepEqual(parseWebviewMessage({ type: 'preview/copy', body: { text: 'npx moe-lens route a.py' } }), { type: 'preview/copy', body: { text: 'npx moe-lens route a.py' } });
    for (const bad of [null, 'x', { type: 'preview/copy', body: { text: 5 } }, { type: 'preview/copy', body: { text: 'x'.repeat(5000) } }, { type: 'preview/run-shell', body: {} }, { type: 'preview/log', body: { level: 'fatal', message: 'x' } }, { type: 'preview/ready', body: { extra: 1 } }, { type: 'preview/ready' }]) {
      assert.equal(parseWebviewMessage(bad), undefined, JSON.stringify(bad));
    }
  });

  it('"Load router weights…" is one empty message; the host\'s weights are checked for sizes before use', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'preview/pick-weights', body: {} }), { type: 'preview/pick-weights', body: {} });
    assert.equal(parseWebviewMessage({ type: 'preview/pick-weights', body: { path: '/etc/passwd' } }), undefined);
    for (const type of ['preview/subject', 'preview/error', 'preview/weights', 'preview/weights-loading', 'preview/weights-error']) assert.ok(isHostMessageType(type), type);
    for (const type of ['preview/ready', 'toString', 5, undefined]) assert.equal(isHostMessageType(type), false, String(type));
    const weights: RouterWeights = { source: 'm.safetensors', convention: 'torchtitan', layers: [0, 1], experts: 2, hidden: 3, weight: new Float32Array(12), selectionBias: new Float32Array(4), names: [], readMs: 1, bytesRead: 100 };
    assert.equal(checkRouterWeights(weights), undefined);
    assert.match(checkRouterWeights({ ...weights, weight: new Float32Array(11) }) ?? '', /hold 11 floats, not 2 layers × 2 experts × 3/);
    assert.match(checkRouterWeights({ ...weights, selectionBias: new Float32Array(2) }) ?? '', /selection bias holds 2 floats/);
    assert.match(checkRouterWeights({ ...weights, layers: [] }) ?? '', /no layers/);
  });

  it('the copied command names the loaded checkpoint and the layer shown', () => {
    const base = { file: 'a.py', model: '120b', tokens: 16, hidden: 8, seed: 0, distribution: 'isotropic' as const, clusters: 1, expertParallel: 1 };
    assert.match(routeCommand({ ...base, weights: 'ckpt/model.safetensors.index.json', layer: 5 }), / --weights ckpt\/model\.safetensors\.index\.json --layer 5 --json$/);
    assert.match(routeCommand({ ...base, weights: 'my ckpt/x.safetensors', layer: 0 }), / --weights <WEIGHTS> --layer 0 --json$/);
  });

  it('the page has a per-load nonce, no unsafe-inline, no remote origins', () => {
    const a = createNonce();
    const b = createNonce();
    assert.notEqual(a, b);
    assert.match(a, /^[0-9a-f]{48}$/);
    const csp = contentSecurityPolicy({ nonce: a, cspSource: 'https://*.vscode-cdn.net' });
    assert.match(csp, /^default-src 'none'; /);
    assert.match(csp, new RegExp(`script-src 'nonce-${a}' 'wasm-unsafe-eval' https://\\*\\.vscode-cdn\\.net`));
    assert.doesNotMatch(csp, /'unsafe-inline'|[^-]'unsafe-eval'|https?:\/\/(?!\*\.vscode-cdn\.net)/);
    const html = previewHtml({ nonce: a, cspSource: 'https://*.vscode-cdn.net', scriptUri: 's.js', styleUri: 's.css' });
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.ok(html.includes(`<script type="module" nonce="${a}" src="s.js">`));
    assert.doesNotMatch(html, /style="/);
    // Where ORT's files are, for its start before the config arrives: an attribute, escaped.
    const named = previewHtml({ nonce: a, cspSource: 'x', scriptUri: 's.js', styleUri: 's.css', ortBaseUri: 'https://x/dist/ort/?a="b"&c' });
    assert.ok(named.includes('<main id="app" aria-busy="true" data-ort-base="https://x/dist/ort/?a=&quot;b&quot;&amp;c">'));
  });
});
