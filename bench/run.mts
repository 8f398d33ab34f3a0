/**
 * `npm run bench`: whole-process times, median of several runs, side by side with a peer on the same input.
 * Ratios matter, not absolute times: machines are noisy. The CLI timed is the production build (minified, as
 * the VSIX ships it and users run it): `npm run bench` builds it first; `npm run build` restores the dev build.
 */
import { spawnSync } from 'node:child_process';
import * as esbuild from 'esbuild';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join, resolve } from 'node:path';
import { generateConfigFile } from './generate';
import { AnalysisClient } from '../src/extension/analysis/client';
import { startHarness, waitForRun } from '../test/browser/harness';
import { analyzeDocument } from '../src/core/analyze';
import { previewSubject } from '../src/core/preview';
import { readFileSync } from 'node:fs';

const root = resolve(import.meta.dirname, '..');

function timeCommand(command: string, args: string[], runs: number, env: (run: number) => NodeJS.ProcessEnv = () => process.env): { median: number; status: number | null } {
  const times: number[] = [];
  let status: number | null = null;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: env(i) });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    status = result.status;
    if (result.error) throw result.error;
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, status };
}

const dir = mkdtempSync(join(tmpdir(), 'moe-lens-bench-'));
const file = join(dir, 'flavors.py');
const text = generateConfigFile(200, 5000);
writeFileSync(file, text);
const lineCount = text.split('\n').length;

/**
 * The CLI keeps V8's code cache in the user's cache folder (src/cli/launch.ts): a user's first lint after an
 * install or upgrade compiles everything, every later one starts from the cache. Both are timed, each in a cache
 * folder of its own.
 */
const lintArgs = [join(root, 'bin', 'moe-lens.js'), 'lint', file, '--format', 'json'];
const warmCache = mkdtempSync(join(tmpdir(), 'moe-lens-bench-cache-'));
spawnSync(process.execPath, lintArgs, { cwd: root, env: { ...process.env, XDG_CACHE_HOME: warmCache } });
const lens = timeCommand(process.execPath, lintArgs, 7, () => ({ ...process.env, XDG_CACHE_HOME: warmCache }));
const lensFirst = timeCommand(process.execPath, lintArgs, 3, () => ({ ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'moe-lens-bench-cache-')) }));

/**
 * Issue #10's workspace: 20 torchtitan model folders (the example gpt-oss flavors and their model args) and 200
 * TOML job files that pick a flavor and set an expert-parallel degree, linted in one process.
 */
const jobs = (() => {
  const workspace = mkdtempSync(join(tmpdir(), 'moe-lens-bench-jobs-'));
  const flavors = readFileSync(join(root, 'examples/torchtitan/gpt_oss/__init__.py'), 'utf8');
  const args = readFileSync(join(root, 'examples/torchtitan/gpt_oss/model/args.py'), 'utf8');
  const moeArgs = readFileSync(join(root, 'examples/torchtitan/moe/args.py'), 'utf8');
  mkdirSync(join(workspace, 'torchtitan/models/moe'), { recursive: true });
  writeFileSync(join(workspace, 'torchtitan/models/moe/args.py'), moeArgs);
  for (let m = 0; m < 20; m++) {
    const model = join(workspace, `torchtitan/models/model_${m}`);
    mkdirSync(join(model, 'model'), { recursive: true });
    mkdirSync(join(model, 'train_configs'), { recursive: true });
    writeFileSync(join(model, '__init__.py'), flavors);
    writeFileSync(join(model, 'model/args.py'), args);
    for (let j = 0; j < 10; j++) {
      const flavor = ['debugmodel', '20b', '120b'][j % 3];
      writeFileSync(join(model, `train_configs/job_${j}.toml`), `[job]\ndescription = "job ${j}"\n\n[model]\nname = "model_${m}"\nflavor = "${flavor}"\n\n[parallelism]\nexpert_parallel_degree = ${[1, 2, 4, 8, 6][j % 5]}\n`);
    }
  }
  return timeCommand(process.execPath, [join(root, 'bin', 'moe-lens.js'), 'lint', workspace, '--format', 'json'], 5);
})();
const pyright = timeCommand(process.execPath, [join(root, 'node_modules', 'pyright', 'index.js'), file], 3);

// --- the longest synchronous slices and an edit's cost, in process, with the engine bundled as it ships ----
const inProcessBundle = join(mkdtempSync(join(tmpdir(), 'moe-lens-bench-bundle-')), 'in-process.cjs');
await esbuild.build({ entryPoints: [join(root, 'bench', 'in-process.ts')], outfile: inProcessBundle, bundle: true, platform: 'node', format: 'cjs', target: 'node20', minify: true, mainFields: ['module', 'main'], logLevel: 'warning' });
const inProcessRun = spawnSync(process.execPath, [inProcessBundle, file], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
if (inProcessRun.status !== 0) throw new Error(inProcessRun.stderr);
const [perEdit, ...wholeLints] = JSON.parse(inProcessRun.stdout) as { what: string; ms: number }[];

/**
 * The same edits as the editor makes them: the host sends the text to the built analysis worker
 * (dist/analysis-worker.js, production build) and waits for its answer, decoded (AnalysisClient, as the extension
 * uses it). This adds the answer's trip back (the diagnostics and the configs' names and places, a structured clone)
 * to the engine's time; the host's own share is its event loop's busy time. The configs themselves, with their
 * provenance (0.9 MB as JSON here), cross only when a hover or inspect asks (src/extension/analysis/protocol.ts).
 */
const perEditRoundTrip = await (async () => {
  const at = text.indexOf('top_k=', text.length / 2) + 'top_k='.length;
  const versions = Array.from({ length: 8 }, (_, i) => text.slice(0, at) + String(1 + i) + text.slice(at + 1));
  const client = new AnalysisClient(join(root, 'dist', 'analysis-worker.js'), { timeMs: 10_000, memoryMb: 1024 });
  const times: number[] = [];
  let hostBusy = Number.NaN;
  try {
    let before = performance.eventLoopUtilization();
    for (let i = 0; i < 300; i++) {
      if (i === 100) before = performance.eventLoopUtilization();
      const start = performance.now();
      const outcome = await client.request({ kind: 'lint', file: 'file:///bench/flavors.py', text: versions[i % versions.length]!, options: { severities: {}, maxFileSize: 4 * 1024 * 1024 } });
      if (outcome.status !== 'answered') throw new Error(JSON.stringify(outcome));
      if (i >= 100) times.push(performance.now() - start);
    }
    hostBusy = performance.eventLoopUtilization(before).active / 200;
  } finally {
    client.dispose();
  }
  times.sort((a, b) => a - b);
  return { what: `the same edit as the editor sends it: round trip through the analysis worker (production build); the extension host's thread was busy ${hostBusy.toFixed(1)} ms of it`, ms: times[times.length >> 1]! };
})();
const slices = [
  perEdit!,
  perEditRoundTrip,
  ...wholeLints,
];

// --- moe-lens route vs numpy: 16,384 tokens × 2880 × 128 experts, top-4 (gpt-oss-120b's router) ---------
const [T, H, E, K] = [16384, 2880, 128, 4];
const gptOss = join(root, 'examples', 'hf', 'gpt-oss-120b', 'config.json');
const routeRuns: { run: number; total: number }[] = [];
for (let i = 0; i < 5; i++) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [join(root, 'bin', 'moe-lens.js'), 'route', gptOss, '--tokens', String(T), '--json'], { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(result.stderr);
  routeRuns.push({ run: JSON.parse(result.stdout).timeMs.run, total: wall });
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const routeRun = median(routeRuns.map((r) => r.run));
const routeTotal = median(routeRuns.map((r) => r.total));
// OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are unset for numpy so it runs its current kernels (env notes).
const numpyEnv = { ...process.env };
delete numpyEnv.OPENBLAS_CORETYPE;
delete numpyEnv.OPENBLAS_L2_SIZE;
/**
 * moe-lens draws synthetic tokens in the gate's E coordinates (src/core/router/whitened.ts: the same logits as
 * H-wide tokens, 22× less work at 2880 × 128), so the peers do the same math on E-wide tokens.
 */
const W = E;
const numpy = spawnSync('python3', [join(root, 'bench', 'numpy_router.py'), String(T), String(W), String(E), String(K), '7'], { encoding: 'utf8', env: numpyEnv });
const numpyResult = numpy.status === 0 ? (JSON.parse(numpy.stdout) as { median_ms: number; first_ms: number; numpy: string }) : undefined;
const numpyMs = numpyResult?.median_ms ?? Number.NaN;

// --- load-balancing dynamics: 1,000 steps of 4,096 tokens (16,384 drawn, in 4 batches), torchtitan's rule ----
const balanceConfig = join(mkdtempSync(join(tmpdir(), 'moe-lens-bench-balance-')), 'flavors.py');
writeFileSync(balanceConfig, 'from torchtitan.models.moe import MoEArgs\n\nmoe = MoEArgs(num_experts=128, top_k=4, score_func="sigmoid", load_balance_coeff=1e-3)\n');
const balanceRuns: number[] = [];
for (let i = 0; i < 3; i++) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [join(root, 'bin', 'moe-lens.js'), 'route', balanceConfig, '--balance', '1000', '--tokens', String(T), '--hidden', String(H), '--json'], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(result.stderr);
  balanceRuns.push(Number(process.hrtime.bigint() - start) / 1e6);
}
const balanceMs = median(balanceRuns);
const numpyBalance = spawnSync('python3', [join(root, 'bench', 'numpy_balancing.py'), String(T), String(W), String(E), String(K), '1000', '4'], { encoding: 'utf8', env: numpyEnv });
const numpyBalanceMs = numpyBalance.status === 0 ? (JSON.parse(numpyBalance.stdout) as { total_ms: number }).total_ms : Number.NaN;

// --- the panel: WASM time to first histogram, same shape, in Chromium ---------------------------------
// Each of PANEL_RUNS panels is a fresh page (ORT starts again: nothing carries over but the browser's own caches);
// the medians are reported, and the range of the first histogram (one run varied by ±15% here).
const PANEL_RUNS = 5;
const harness = await startHarness();
const panelRuns: { firstHistogram: number; firstLook: number; firstProgress: number; subjectAt: number; router: number; longestTask: number }[] = [];
let firstLookTokens = Number.NaN;
let editTotal = Number.NaN;
let editRouter = Number.NaN;
try {
  const specs = analyzeDocument(gptOss, readFileSync(gptOss, 'utf8')).specs;
  const subject = previewSubject(specs[0]!, 'examples/hf/gpt-oss-120b/config.json', 4, specs);
  if ('error' in subject) throw new Error(subject.error);
  let page!: Awaited<ReturnType<typeof harness.open>>;
  for (let run = 0; run < PANEL_RUNS; run++) {
    if (run > 0) await page.close();
    page = await harness.open(subject, { tokens: T, hidden: H, seed: 0, backend: 'wasm', compare: 'none' });
    const result = await waitForRun(page, 600_000);
    if (result.state !== 'done') throw new Error(JSON.stringify(result));
    const data = await page.evaluate(() => ({ ...document.getElementById('app')!.dataset }));
    firstLookTokens = Number(data.firstLookTokens);
    // The page's thread cannot answer input during a long task (> 50 ms): the longest one until the first histogram.
    const longestTask = await page.evaluate(
      (until) =>
        new Promise<number>((resolve) => {
          new PerformanceObserver((list) => resolve(Math.max(0, ...list.getEntries().filter((e) => e.startTime < until).map((e) => e.duration)))).observe({ type: 'longtask', buffered: true });
          setTimeout(() => resolve(0), 500); // no long task at all: the observer is never called
        }),
      Number(data.firstResultAt),
    );
    panelRuns.push({ firstHistogram: Number(data.firstResultAt), firstLook: Number(data.firstLookAt), firstProgress: Number(data.firstProgressAt), subjectAt: Number(data.subjectAt), router: result.runMs, longestTask });
  }
  // An edit that changes only the router (top-4 → top-2): the panel reuses the tokens it drew.
  const edited = readFileSync(gptOss, 'utf8').replace(/("(?:num_experts_per_tok|experts_per_token)": )4/g, '$12');
  const editedSpecs = analyzeDocument(gptOss, edited).specs;
  const editedSubject = previewSubject(editedSpecs[0]!, 'examples/hf/gpt-oss-120b/config.json', 4, editedSpecs);
  if ('error' in editedSubject || editedSubject.router.config.topK !== 2) throw new Error('the edited config is not top-2');
  await page.evaluate(() => (document.getElementById('app')!.dataset.state = 'stale'));
  await page.evaluate((m) => window.postMessage(m, '*'), { type: 'preview/subject', body: { subject: editedSubject, ortBaseUri: `${harness.origin}/dist/ort/` } });
  const rerun = await waitForRun(page, 600_000);
  if (rerun.state !== 'done' || rerun.counts.reduce((a, b) => a + b, 0) !== T * 2) throw new Error(JSON.stringify({ ...rerun, counts: undefined }));
  editTotal = rerun.totalMs;
  editRouter = rerun.runMs;
  await page.close();
} finally {
  await harness.close();
}
const of = (key: keyof (typeof panelRuns)[number]): number => median(panelRuns.map((r) => r[key]));
const firstHistogram = of('firstHistogram');
const firstLook = of('firstLook');
const firstProgress = of('firstProgress');
const subjectAt = of('subjectAt');
const panelRouter = of('router');
const firstHistogramRange = `${Math.min(...panelRuns.map((r) => r.firstHistogram)).toFixed(0)}–${Math.max(...panelRuns.map((r) => r.firstHistogram)).toFixed(0)} ms`;

const rows = [
  ['task', 'moe-lens', 'peer', 'peer', 'ratio (peer / moe-lens)', 'target'],
  ['---', '---', '---', '---', '---', '---'],
  [
    `lint ${lineCount}-line file, 200 MoE calls (whole process)`,
    `${lens.median.toFixed(0)} ms`,
    'pyright 1.1.414',
    `${pyright.median.toFixed(0)} ms`,
    `${(pyright.median / lens.median).toFixed(1)}×`,
    '≥ 10× and < 300 ms',
  ],
  [`lint, same file, first run after an install (no compile cache yet; median of 3)`, `${lensFirst.median.toFixed(0)} ms`, 'pyright 1.1.414', `${pyright.median.toFixed(0)} ms`, `${(pyright.median / lensFirst.median).toFixed(1)}×`, ''],
  [
    `route ${T} tokens × ${E} experts, top-${K}, hidden ${H} drawn in the gate's ${W} coordinates: router compute (one cold run per process)`,
    `${routeRun.toFixed(0)} ms`,
    numpyResult ? `numpy ${numpyResult.numpy} + OpenBLAS, same math (${W}-wide tokens): warm median (cold first run ${numpyResult.first_ms.toFixed(0)} ms)` : `numpy failed: ${numpy.stderr.slice(0, 200)}`,
    `${numpyMs.toFixed(0)} ms`,
    `${(routeRun / numpyMs).toFixed(2)}× numpy's warm time, ${(routeRun / (numpyResult?.first_ms ?? Number.NaN)).toFixed(2)}× its cold time`,
    '≤ 1.0× numpy',
  ],
  [
    `route --balance 1000: 1,000 bias-update steps of ${T / 4} tokens (${T} × ${H} × ${E}, top-${K}, in 4 batches; drawn in ${W} gate coordinates), whole process`,
    `${balanceMs.toFixed(0)} ms`,
    `numpy, vectorised (scores of ${W}-wide tokens + steps; inputs drawn outside the timing)`,
    `${numpyBalanceMs.toFixed(0)} ms`,
    `${(numpyBalanceMs / balanceMs).toFixed(1)}×`,
    '< 10 s',
  ],
  ['lint a workspace of 200 torchtitan job files (TOML) + 20 flavor files (whole process)', `${jobs.median.toFixed(0)} ms`, '', '', '', '< 1000 ms'],
  [`route, same shape: whole process (incl. synthetic inputs, JSON)`, `${routeTotal.toFixed(0)} ms`, '', '', '', ''],
  [`panel (Chromium, WASM, 1 thread; median of ${PANEL_RUNS} fresh pages): time to the first look (the first ${firstLookTokens} tokens, routed in TypeScript), same shape; ${(firstLook - subjectAt).toFixed(0)} ms of it after the config reached the page`, `${firstLook.toFixed(0)} ms`, '', '', '', ''],
  // Slices hold 4 Mi values: 16,384 tokens in 128 coordinates are one slice, so there is no partial histogram.
  ...(Number.isNaN(firstProgress) ? [] : [[`panel (Chromium, WASM, 1 thread): time to the first histogram from onnxruntime-web (its first slice of ${Math.floor((4 * 1024 * 1024) / W)} tokens), same shape`, `${firstProgress.toFixed(0)} ms`, '', '', '', '']]),
  [`panel (Chromium, WASM, 1 thread; median of ${PANEL_RUNS} fresh pages, range ${firstHistogramRange}): time to first histogram of all tokens, same shape`, `${firstHistogram.toFixed(0)} ms`, 'of which router', `${panelRouter.toFixed(0)} ms`, '', '< 500 ms'],
  [`panel: the longest task on the page's thread until then (median; input waits for it)`, `${of('longestTask').toFixed(0)} ms`, '', '', '', ''],
  [`panel: re-run after a router-only edit (top-4 → top-2), same shape`, `${editTotal.toFixed(0)} ms`, 'of which router', `${editRouter.toFixed(0)} ms`, '', ''],
  ...slices.map((s) => [s.what, `${s.ms.toFixed(1)} ms`, '', '', '', '']),
];
console.log(rows.map((r) => `| ${r.join(' | ')} |`).join('\n'));
console.log(`\nmoe-lens exit ${lens.status}, pyright exit ${pyright.status}; medians of 7 and 3 runs; file: ${file}`);

/**
 * A fact of the machine that weighs on the panel's rows: the first write to memory fresh from the OS (the panel's
 * 16,384 × 2880 tokens are 189 MB). It cost 8–12 µs per 4 KB page on the 2-core sandbox the bench was written on,
 * and 1.05 µs on the GPU machine (an H200 host): 0.55 s against 0.05 s for the tokens alone.
 */
const firstTouch = spawnSync(process.execPath, ['-e', 'const t = performance.now(); new Float32Array(16384 * 2880).fill(1); console.log(performance.now() - t)'], { encoding: 'utf8' });
const firstTouchMs = Number(firstTouch.stdout);
console.log(`machine: writing 189 MB of fresh memory (16,384 whole tokens of 2880; the panel's, in 128 gate coordinates, are 8 MB) took ${firstTouchMs.toFixed(0)} ms here (${((firstTouchMs * 1000) / ((16384 * 2880 * 4) / 4096)).toFixed(2)} µs per 4 KB page)`);
