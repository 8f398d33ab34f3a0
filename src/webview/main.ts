/**
 * Routing preview panel. Paints a skeleton at once, then runs the bound config's router graph on
 * synthetic tokens with onnxruntime-web (WebGPU first, WASM fallback), re-running (debounced) when a
 * control or the config changes; a newer request makes an older result stale, which is dropped.
 */
import './ort-start'; // first: ONNX Runtime's worker starts before the rest of the panel evaluates
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { checkRouterWeights, withoutLayers, type PreviewRouter, type PreviewSubject, type RouterWeights } from '../core/protocol';
import { routeReference, type RouterInputs } from '../core/router/cpu-router';
import type { RouterConfig } from '../core/router/router-config';
import { routeCommand } from '../core/preview';
import { loadStats, type LoadStats } from '../core/router/stats';
import { missingSelectionBias } from '../core/router/safetensors';
import { checkpointGateInputs, drawsWholeTokens, SyntheticDraw, syntheticSelectionBiasNote, syntheticWidth, type Distribution, type GateTokens, type SyntheticInputs, type SyntheticOptions } from '../core/router/synthetic';
import { BalancingTab } from './balancing';
import { loadState, onMessage, saveState, send } from './host';
import { configureOrt, executedRuns, gpuUploads, ortThread, ortWorkerFailure, prepareRouter, resolveBackend, runRouter, StaleRunError, type BackendInfo, type RunOptions } from './runner';
import { DEFAULTS, validateControls, type Controls, type ExportPayload } from './state';
import { renderChart, renderChartLegend } from './views/chart';
import { renderControls as renderControlsView } from './views/controls';
import { renderHeatmap, renderHeatmapLegend } from './views/heatmap';
import { custom, el, formatNumber } from './views/dom';
import { renderStats, renderTable } from './views/stats';

const app = document.getElementById('app')!;
const controlsHost = document.getElementById('controls')!;
const status = document.getElementById('status')!;
const views = document.getElementById('views')!;
const statsHost = document.getElementById('stats')!;
const footer = document.getElementById('footer')!;

let subject: PreviewSubject | undefined;
/** The words that run the CLI the extension ships, for "Copy as CLI command" (from the host). */
let cliWords: string | undefined;
let controls: Controls = { ...DEFAULTS, ...loadState<Controls>() };
let generation = 0;
let debounce: ReturnType<typeof setTimeout> | undefined;
let lastExport: ExportPayload | undefined;
/** A checkpoint's routers, every layer (from the host); undefined: synthetic weights. */
let weights: RouterWeights | undefined;
/** Index into `weights.layers` of the layer the histogram and statistics show. */
let selectedRow = 0;
/** The Balancing tab of the results shown (rebuilt with them; stepping stops when they change). */
let balancingTab: BalancingTab | undefined;

interface SeriesResult {
  readonly router: PreviewRouter;
  readonly counts: Int32Array;
  readonly stats: LoadStats;
  readonly runMs: number;
}

function setStatus(text: string, kind: 'info' | 'busy' | 'error' = 'info'): void {
  status.replaceChildren(...(kind === 'busy' ? [custom('vscode-progress-ring', { class: 'ring' })] : []), el('span', { class: kind === 'error' ? 'error' : '' }, text));
  app.setAttribute('aria-busy', kind === 'busy' ? 'true' : 'false');
}

function renderControls(): void {
  const comparisons = (subject?.comparisons ?? []).map((c): [string, string] => [c.id, c.label]);
  // Before the subject arrives the list is empty: keep the saved choice until it can be checked.
  if (subject && controls.compare !== 'none' && !comparisons.some(([id]) => id === controls.compare)) controls.compare = 'none';
  renderControlsView(controlsHost, controls, comparisons, { change: (patch, rerun) => update(patch, rerun), run: () => void start() });
}

function update(patch: Partial<Controls>, rerun = true): void {
  const before = controls.distribution;
  controls = { ...controls, ...patch };
  saveState(controls);
  if (controls.distribution !== before) renderControls();
  if (rerun && controls.autoRun) schedule();
}

function schedule(delay = 300): void {
  generation++; // anything running now is stale
  if (debounce) clearTimeout(debounce);
  debounce = setTimeout(() => void start(), delay);
}

async function runSeries(router: PreviewRouter, inputs: RouterInputs, info: BackendInfo, isStale: () => boolean, options: Omit<RunOptions, 'isStale'> = {}): Promise<SeriesResult & { info: BackendInfo }> {
  const { config } = router;
  const stats = (counts: Int32Array) => loadStats(counts, inputs.tokens, config.topK, { capacityFactor: controls.capacityFactor, expertParallel: controls.ep, ...(config.routerCapacity ? { routerCapacity: config.routerCapacity } : {}) });
  // Round-robin routing ignores the router: the runner computes it with the reference, and the badge says so.
  const label = (engine: 'onnx' | 'reference', ran: BackendInfo): BackendInfo => (engine === 'reference' ? { backend: ran.backend, adapter: 'reference (round-robin ignores the router)' } : ran);
  try {
    const { counts, runMs, engine } = await runRouter(config, inputs, info.backend, { ...options, isStale });
    return { router, counts, stats: stats(counts), runMs, info: label(engine, info) };
  } catch (error) {
    if (error instanceof StaleRunError || info.backend !== 'webgpu' || controls.backend === 'webgpu') throw error;
    const fallback: BackendInfo = { backend: 'wasm', adapter: '', fallbackReason: `WebGPU failed (${String((error as Error)?.message ?? error)})` };
    send({ type: 'preview/log', body: { level: 'warn', message: fallback.fallbackReason! } });
    const { counts, runMs, engine } = await runRouter(config, inputs, 'wasm', { ...options, isStale });
    return { router, counts, stats: stats(counts), runMs, info: label(engine, fallback) };
  }
}

/**
 * The last request's synthetic inputs. An edit that changes only the router (top_k, score function, …)
 * reuses them: drawing 16384 × 2880 values takes about as long as routing them. One entry, freed with the panel.
 * The tokens are drawn as the run needs them (a superseded run leaves the rest for the next).
 */
let lastDrawn: { key: string; draw: SyntheticDraw } | undefined;

function drawFor(options: SyntheticOptions): SyntheticDraw {
  const key = JSON.stringify(options);
  if (lastDrawn?.key !== key) {
    lastDrawn = undefined; // let the old arrays go before drawing new ones
    lastDrawn = { key, draw: new SyntheticDraw(options) };
  }
  return lastDrawn.draw;
}

/** Lets the browser run what is queued (paint, ORT's start-up continuations) before more main-thread work. */
const nextTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Draws tokens, a slice at a time, until the session is ready (or all are drawn): WebAssembly compiles off the
 * main thread, so the draw and ORT's start-up overlap instead of following each other.
 */
async function drawWhileStarting(draw: SyntheticDraw, session: Promise<unknown>, isStale: () => boolean): Promise<void> {
  let ready = false;
  session.then(() => (ready = true), () => (ready = true));
  const slice = Math.max(1, Math.floor((1 << 20) / draw.inputs.hidden));
  while (!ready && !draw.complete && !isStale()) {
    draw.drawTo(draw.drawn + slice);
    await nextTask();
  }
}

/** Why the loaded checkpoint cannot route this config; undefined when it can. */
function weightsProblem(config: PreviewRouter['config'], w: RouterWeights): string | undefined {
  if (w.experts !== config.experts) return `The checkpoint's routers (${w.source}) have ${w.experts} experts, but this config routes over ${config.experts}: load this model's checkpoint, or use synthetic weights.`;
  if (config.routerBias && !w.bias) return `This config's router has a bias, but the checkpoint (${w.source}) has no router bias (it has ${w.names.join(', ')}).`;
  // Gemma 4's learned scales are part of its router (route --weights refuses the same).
  if ((config.tokenNorm && !w.tokenScale) || (config.expertScale && !w.expertScale)) return `This config's router scales the normed token and each choice by learned values, but the checkpoint (${w.source}) has no such tensors (it has ${w.names.join(', ')}).`;
  return undefined;
}

/**
 * The tokens a checkpoint's layers route, per layer (checkpointGateInputs, as `route --weights` draws them, so the
 * panel's loads for a layer are the CLI's): kept per row where they are the draw's own tokens (isotropic ones, or a
 * whole draw made once, the first time a layer needs one), since a gate's factor costs a pass over its weight.
 * Clustered tokens get an array of their own per layer (8 MB at 16,384 × 128): made again when asked, not kept, or
 * 36 layers would hold 300 MB.
 */
class CheckpointTokens {
  private readonly rows = new Map<number, GateTokens>();
  private whole?: SyntheticDraw;

  constructor(
    private readonly draw: SyntheticDraw,
    private readonly weights: RouterWeights,
  ) {}

  /** Layer `row`'s tokens and gate: [T, E] through its factor, or [T, H] through its weight. */
  forRow(row: number): GateTokens {
    let tokens = this.rows.get(row);
    if (!tokens) {
      const w = this.weights;
      const slab = w.experts * w.hidden;
      this.draw.drawTo(this.draw.options.tokens);
      tokens = checkpointGateInputs(this.draw.inputs, () => this.wholeDraw(), w.weight.subarray(row * slab, (row + 1) * slab), w.experts, w.hidden);
      if (tokens.hiddenStates === this.draw.inputs.hiddenStates || tokens.hiddenStates === this.whole?.inputs.hiddenStates) this.rows.set(row, tokens);
    }
    return tokens;
  }

  private wholeDraw(): SyntheticInputs {
    this.whole ??= new SyntheticDraw({ ...this.draw.options, fullTokens: true });
    this.whole.drawTo(this.whole.options.tokens);
    return this.whole.inputs;
  }
}

/** Layer `row`'s router inputs: the checkpoint's tensors (views, no copy) on the shared tokens. */
function layerInputs(w: RouterWeights, row: number, tokens: number, drawn: CheckpointTokens): RouterInputs {
  const E = w.experts;
  return {
    tokens,
    ...drawn.forRow(row),
    gateBias: w.bias ? w.bias.subarray(row * E, (row + 1) * E) : new Float32Array(E),
    // The learned bias in the checkpoint is the bias that routes; without one (a bias training learns) it starts at zero.
    selectionBias: w.selectionBias ? w.selectionBias.subarray(row * E, (row + 1) * E) : new Float32Array(E),
    ...(w.tokenScale ? { tokenScale: w.tokenScale.subarray(row * w.hidden, (row + 1) * w.hidden) } : {}),
    ...(w.expertScale ? { expertScale: w.expertScale.subarray(row * E, (row + 1) * E) } : {}),
  };
}

function distributionOf(c: Controls): Distribution {
  return c.distribution === 'clustered' ? { kind: 'clustered', clusters: c.clusters } : { kind: 'isotropic' };
}

async function start(): Promise<void> {
  if (!subject) return;
  const mine = ++generation;
  if (weights && controls.hidden !== weights.hidden) {
    // The checkpoint fixes the hidden size; the control shows it.
    controls = { ...controls, hidden: weights.hidden };
    saveState(controls);
    renderControls();
  }
  const mismatch = weights ? weightsProblem(subject.router.config, weights) : undefined;
  if (mismatch) {
    setStatus(mismatch, 'error');
    app.dataset.state = 'invalid';
    return;
  }
  const experts = subject.router.config.experts;
  const problem = validateControls(controls, experts, syntheticWidth({ hidden: controls.hidden, experts, fullTokens: drawsWholeTokens(subject.router.config) }));
  if (problem) {
    setStatus(problem, 'error');
    app.dataset.state = 'invalid';
    return;
  }
  app.dataset.state = 'running';
  setStatus(`Routing ${controls.tokens} tokens…`, 'busy');
  await new Promise((resolve) => setTimeout(resolve, 0)); // let the busy state paint
  try {
    const config = subject.router.config;
    const began = performance.now();
    const info = await resolveBackend(controls.backend);
    if (controls.backend === 'webgpu' && info.backend !== 'webgpu') throw new Error(`WebGPU was requested but ${info.fallbackReason}`);
    const drawOptions: SyntheticOptions = {
      seed: controls.seed,
      tokens: controls.tokens,
      hidden: controls.hidden,
      experts: config.experts,
      distribution: distributionOf(controls),
      zeroSelectionBias: subject.learnedSelectionBias === true,
      // Whole tokens only for a gate that norms each token; a checkpoint's gates take the draw into their own
      // coordinates (CheckpointTokens).
      fullTokens: drawsWholeTokens(config),
    };
    // Start the session before drawing: on WASM, the ORT worker builds it while this thread draws.
    const session = prepareRouter(config, syntheticWidth(drawOptions), info.backend);
    session.catch(() => undefined);
    const draw = drawFor(drawOptions);
    const firstRun = app.dataset.firstResultAt === undefined;
    if (firstRun && !weights && controls.tokens > firstLookTokens(draw)) {
      try {
        showFirstLook(subject.router, draw);
      } catch (error) {
        // Only a preview: the full run below says what went wrong, if anything does.
        send({ type: 'preview/log', body: { level: 'error', message: `first look: ${String((error as Error)?.stack ?? error)}` } });
      }
      await new Promise((resolve) => setTimeout(resolve, 0)); // let it paint before the long draw
      if (mine !== generation) return;
    }
    const isStale = (): boolean => mine !== generation;
    await drawWhileStarting(draw, session, isStale);
    if (mine !== generation) return;
    const synthetic = draw.inputs;
    const inputs: RouterInputs = { ...synthetic, tokens: controls.tokens };
    const drawTo = (end: number): void => draw.drawTo(end);
    const compareRouter = subject.comparisons.find((c) => c.id === controls.compare);
    if (weights) {
      // DeepSeek-V4's hash layers route by token id, not by this router: not shown as its layers (weightsBar says so).
      const w = routedWeights(weights, subject.tokenIdLayers?.layers ?? []);
      if (w.layers.length === 0) throw new Error(`every layer of the checkpoint routes by token id, not by this router (${subject.tokenIdLayers!.source}).`);
      // A published model's bias is part of its router; a bias training learns starts at zero (route.ts does the same).
      if (subject.router.config.selectionBias && !w.selectionBias && subject.learnedSelectionBias !== true) throw new Error(missingSelectionBias(w.convention, w.layers[0]!, w.names));
      draw.drawTo(controls.tokens);
      const drawn = new CheckpointTokens(draw, w);
      const results: (SeriesResult & { info: BackendInfo })[] = [];
      let ran = info;
      for (let row = 0; row < w.layers.length; row++) {
        if (row > 0) setStatus(`Routing ${controls.tokens} tokens through layer ${w.layers[row]} (${row + 1} of ${w.layers.length})…`, 'busy');
        const result = await runSeries({ ...subject.router, label: `layer ${w.layers[row]}` }, layerInputs(w, row, controls.tokens, drawn), ran, isStale);
        ran = result.info;
        results.push(result);
      }
      selectedRow = Math.min(selectedRow, w.layers.length - 1);
      // One set of inputs for the comparison and the view: clustered tokens are re-centred per call (CheckpointTokens).
      const selected = layerInputs(w, selectedRow, controls.tokens, drawn);
      const compare = compareRouter ? await runSeries({ ...compareRouter, label: `${compareRouter.label}, layer ${w.layers[selectedRow]}` }, selected, ran, isStale) : undefined;
      if (mine !== generation) return;
      layered = { weights: w, results, drawn, totalMs: performance.now() - began };
      show(results[selectedRow]!, compare, layered.totalMs, false, selected);
      return;
    }
    layered = undefined;
    // On the first run, the histogram grows slice by slice (WASM) until the whole result replaces it.
    const progress = firstRun ? (counts: Int32Array, tokens: number) => showProgress(subject!.router, counts, tokens, controls.tokens) : undefined;
    const primary = await runSeries(subject.router, inputs, info, isStale, { before: drawTo, ...(progress ? { progress } : {}) });
    const compare = compareRouter ? await runSeries(compareRouter, inputs, primary.info, isStale, { before: drawTo }) : undefined;
    if (mine !== generation) return; // a newer request superseded this one
    show(primary, compare, performance.now() - began, false, inputs);
  } catch (error) {
    if (mine !== generation || error instanceof StaleRunError) return;
    // A first look of a run that failed is not a result of this config: it goes with the run.
    if (views.querySelector('p.first-look')) views.replaceChildren();
    app.dataset.state = 'error';
    setStatus(`Could not run the router: ${String((error as Error)?.message ?? error)}`, 'error');
    send({ type: 'preview/log', body: { level: 'error', message: String((error as Error)?.stack ?? error) } });
  }
}

/**
 * The first look's work: 1,024 tokens in gpt-oss-120b's gate coordinates (1,024 × 128 × 128 multiply-adds, ~20 ms
 * here). It shares the main thread with ORT's start-up, so every token it routes delays the full result: 5,760
 * tokens (5.6× this) made it come 30–50 ms later. Whole tokens (a checkpoint's, or E ≥ H) take at least 256.
 */
const FIRST_LOOK_WORK = 1024 * 128 * 128;

/** Tokens the panel's first run shows before the rest are routed (see showFirstLook): at least 256. */
function firstLookTokens(draw: SyntheticDraw): number {
  return Math.max(256, Math.floor(FIRST_LOOK_WORK / (draw.inputs.hidden * draw.options.experts)));
}

/**
 * The panel's first run shows the load of its first tokens at once (firstLookTokens): drawn first (the draw is
 * sequential, so they are the tokens the full run routes first) and routed by the TypeScript router (the parity
 * oracle, the same math), while onnxruntime-web starts and the rest are drawn. ORT's slices then grow it
 * (showProgress) until the whole result replaces it.
 */
function showFirstLook(router: PreviewRouter, draw: SyntheticDraw): void {
  const tokens = firstLookTokens(draw);
  draw.drawTo(tokens);
  const { hidden } = draw.inputs;
  const { counts } = routeReference(router.config, { ...draw.inputs, tokens, hiddenStates: draw.inputs.hiddenStates.subarray(0, tokens * hidden) });
  showPartial(router, counts, tokens, `First look: the first ${tokens} of ${draw.options.tokens} tokens, routed while the rest are drawn and onnxruntime-web starts…`);
  app.dataset.firstLookCounts = JSON.stringify(Array.from(counts));
  app.dataset.firstLookTokens = String(tokens);
  app.dataset.firstLookAt = String(performance.now());
}

/** The counts of the tokens routed so far, while the rest are routed (first run, WASM slices). */
function showProgress(router: PreviewRouter, counts: Int32Array, tokens: number, total: number): void {
  showPartial(router, counts, tokens, `Routed ${tokens} of ${total} tokens so far…`);
  setStatus(`Routing ${total} tokens: ${tokens} done…`, 'busy');
  // For tests and the bench: the tokens each histogram covered, and when the first came.
  app.dataset.progress = `${app.dataset.progress ? `${app.dataset.progress},` : ''}${tokens}:${counts.reduce((a, b) => a + b, 0)}`;
  app.dataset.firstProgressAt ??= String(performance.now());
}

function showPartial(router: PreviewRouter, counts: Int32Array, tokens: number, sentence: string): void {
  const mean = loadStats(counts, tokens, router.config.topK).meanLoad;
  const chartHost = el('div', { class: 'chart-host' });
  views.replaceChildren(el('p', { class: 'first-look' }, sentence), chartHost);
  chartHost.replaceChildren(renderChart({ label: router.label, counts }, undefined, { sorted: controls.sorted, mean, width: chartHost.clientWidth }));
}

/** The last run through a checkpoint's layers: every layer's result, and the tokens (a row click reruns only a comparison). */
let layered: { weights: RouterWeights; results: (SeriesResult & { info: BackendInfo })[]; drawn: CheckpointTokens; totalMs: number } | undefined;

/** A row of the heatmap was picked: show that layer (running the comparison for it, if one is chosen). */
async function selectLayer(row: number): Promise<void> {
  if (!layered || !subject || row === selectedRow) return;
  selectedRow = row;
  const run = layered;
  const primary = run.results[row]!;
  const compareRouter = subject.comparisons.find((c) => c.id === controls.compare);
  const inputs = layerInputs(run.weights, row, controls.tokens, run.drawn);
  if (!compareRouter) {
    show(primary, undefined, run.totalMs, true, inputs);
    return;
  }
  const mine = ++generation;
  setStatus(`Running ${compareRouter.label} on layer ${run.weights.layers[row]}…`, 'busy');
  try {
    const compare = await runSeries({ ...compareRouter, label: `${compareRouter.label}, layer ${run.weights.layers[row]}` }, inputs, primary.info, () => mine !== generation);
    if (mine === generation) show(primary, compare, run.totalMs, true, inputs);
  } catch (error) {
    if (mine !== generation || error instanceof StaleRunError) return;
    setStatus(`Could not run the comparison: ${String((error as Error)?.message ?? error)}`, 'error');
  }
}

let chartResize: ResizeObserver | undefined;

/** Redraws the chart when its host's width changes (the panel resized, or the Chart tab shown): one observer, for the current chart. */
function watchWidth(host: HTMLElement, redraw: () => void, heat?: { host: HTMLElement; redraw: () => void }): void {
  chartResize?.disconnect();
  let width = host.clientWidth;
  let heatWidth = heat?.host.clientWidth ?? 0;
  chartResize = new ResizeObserver(() => {
    if (heat && heat.host.clientWidth !== heatWidth) {
      heatWidth = heat.host.clientWidth;
      heat.redraw();
    }
    if (host.clientWidth === width) return;
    width = host.clientWidth;
    redraw();
  });
  chartResize.observe(host);
  if (heat) chartResize.observe(heat.host);
}

/** Where the Balancing tab's bias starts: the checkpoint's, else zero (where training starts it), as `route --balance`. */
function biasStart(run: typeof layered, inputs: RouterInputs): { startBias?: ArrayLike<number>; startLabel: string } {
  if (run?.weights.selectionBias && inputs.selectionBias) return { startBias: inputs.selectionBias, startLabel: `the checkpoint's bias (layer ${run.weights.layers[selectedRow]})` };
  return { startLabel: run ? 'zero (the checkpoint has no selection bias)' : 'zero (where training starts it)' };
}

/**
 * What the synthetic gate does with a selection bias, said where the loads are (issue #11): a learned bias at its
 * initial zero, a checkpoint's drawn at random — which, not the routing order, may be what a comparison shows.
 */
function syntheticBiasText(config: RouterConfig, compare: PreviewRouter | undefined): string {
  const own = syntheticSelectionBiasNote(config, subject?.learnedSelectionBias === true);
  const compared = compare && !config.selectionBias && compare.config.selectionBias ? 'the comparison\'s selection bias drawn N(0, 0.1²) per expert' : undefined;
  const notes = [own, compared].filter((n) => n !== undefined);
  return notes.length ? `; ${notes.join('; ')}` : '';
}

function show(primary: SeriesResult & { info: BackendInfo }, compare: SeriesResult | undefined, totalMs: number, keepScroll: boolean, inputs: RouterInputs): void {
  const { info } = primary;
  const scrollY = keepScroll ? window.scrollY : undefined;
  const backendLabel = info.backend === 'webgpu' ? `WebGPU · ${info.adapter}` : info.adapter ? `WASM · ${info.adapter}` : 'WASM';
  document.getElementById('backend')!.textContent = backendLabel;
  document.getElementById('backend')!.setAttribute('title', info.fallbackReason ?? 'the backend that ran');
  document.getElementById('timing')!.textContent = `${formatNumber(primary.runMs, 1)} ms router · ${formatNumber(totalMs, 0)} ms total`;
  const run = layered;
  const routedText = run
    ? `Routed ${controls.tokens} tokens through the ${run.weights.layers.length} router layers of ${run.weights.source} to top-${primary.router.config.topK} of ${primary.router.config.experts} experts; showing layer ${run.weights.layers[selectedRow]}.`
    : `Routed ${controls.tokens} tokens to top-${primary.router.config.topK} of ${primary.router.config.experts} experts through a synthetic gate (seed ${controls.seed})${syntheticBiasText(primary.router.config, compare?.router)}.`;
  setStatus(info.fallbackReason ? `Ran on WASM: ${info.fallbackReason}. ${routedText}` : routedText);

  const mean = primary.stats.meanLoad;
  const chartSeries = { label: primary.router.label, counts: primary.counts };
  const compareSeries = compare ? { label: compare.router.label, counts: compare.counts } : undefined;
  const chartHost = el('div', { class: 'chart-host' });
  const capacities = {
    ...(primary.stats.capacity !== undefined ? { capacity: primary.stats.capacity } : {}),
    ...(primary.stats.routerCapacity !== undefined ? { routerCapacity: primary.stats.routerCapacity } : {}),
  };
  const drawChart = (): void =>
    chartHost.replaceChildren(renderChart(chartSeries, compareSeries, { sorted: controls.sorted, mean, width: chartHost.clientWidth, ...capacities }));
  drawChart();
  watchWidth(chartHost, drawChart);
  const sorted = custom('vscode-checkbox', { id: 'sorted', ...(controls.sorted ? { checked: '' } : {}) }, 'sort by load');
  sorted.addEventListener('change', () => {
    update({ sorted: (sorted as unknown as { checked: boolean }).checked }, false);
    drawChart();
  });
  const tabs = custom(
    'vscode-tabs',
    { id: 'view-tabs' },
    custom('vscode-tab-header', { slot: 'header', id: 'tab-chart' }, 'Chart'),
    custom('vscode-tab-panel', {}, el('div', { class: 'chart-toolbar' }, sorted), chartHost, renderChartLegend(chartSeries, compareSeries, { mean, ...capacities }, controls.capacityFactor)),
    custom('vscode-tab-header', { slot: 'header', id: 'tab-table' }, 'Table'),
    custom('vscode-tab-panel', {}, renderTable(primary.counts, compare?.counts, mean, primary.stats.capacity)),
  );
  balancingTab?.dispose();
  balancingTab = undefined;
  const rule = subject?.balancing;
  if (rule && primary.router.config.selectionBias) {
    balancingTab = new BalancingTab({ config: primary.router.config, rule, inputs, backend: info.backend, ...biasStart(run, inputs) });
    const tab = balancingTab;
    const header = custom('vscode-tab-header', { slot: 'header', 'data-tab': 'balancing' }, 'Balancing');
    // Drawn at the panel's width once the tab is shown (a hidden tab has no width).
    header.addEventListener('click', () => requestAnimationFrame(() => tab.redraw()));
    tabs.append(header, custom('vscode-tab-panel', {}, tab.element));
  }
  const heatHost = run ? el('div', { class: 'heatmap-host' }) : undefined;
  const drawHeat = (): void => {
    if (!run || !heatHost) return;
    // A redraw (the panel resized) keeps the keyboard focus on the row it was on.
    const focused = heatHost.contains(document.activeElement) ? (document.activeElement as Element).getAttribute('data-row') : null;
    heatHost.replaceChildren(
      renderHeatmap(
        run.results.map((r, row) => ({ layer: run.weights.layers[row]!, counts: r.counts })),
        { mean, selected: selectedRow, width: heatHost.clientWidth, select: (row) => void selectLayer(row) },
      ),
    );
    if (focused !== null) heatHost.querySelector<SVGGElement>(`g.heat-row[data-row="${focused}"]`)?.focus({ preventScroll: true });
  };
  views.replaceChildren(...(run && heatHost ? [weightsBar(run.weights), heatHost, renderHeatmapLegend(mean), el('h2', { class: 'layer-title' }, `Layer ${run.weights.layers[selectedRow]}`)] : []), tabs);
  drawHeat();
  if (heatHost) {
    watchWidth(chartHost, drawChart, { host: heatHost, redraw: drawHeat });
    // A row picked on the heatmap keeps the focus there (arrows go on); a run from the controls leaves it alone.
    if (keepScroll) heatHost.querySelector<SVGGElement>(`g.heat-row[data-row="${selectedRow}"]`)?.focus({ preventScroll: true });
  }
  if (scrollY !== undefined) window.scrollTo({ top: scrollY });
  statsHost.replaceChildren(renderStats(primary.stats, compare?.stats, compare?.router.label));

  const command = routeCommand({
    ...(cliWords ? { cli: cliWords } : {}),
    file: subject!.file,
    model: subject!.name,
    tokens: controls.tokens,
    hidden: controls.hidden,
    seed: controls.seed,
    distribution: controls.distribution,
    clusters: controls.clusters,
    capacityFactor: controls.capacityFactor,
    expertParallel: controls.ep,
    ...(run ? { weights: run.weights.source, layer: run.weights.layers[selectedRow]! } : {}),
  });
  lastExport = {
    config: { name: subject!.name, file: subject!.file, line: subject!.line },
    semantics: primary.router.config.semantics,
    backend: info.backend,
    adapter: info.adapter,
    controls,
    counts: Array.from(primary.counts),
    stats: primary.stats,
    ...(compare ? { compare: { label: compare.router.label, semantics: compare.router.config.semantics, counts: Array.from(compare.counts), stats: compare.stats } } : {}),
    timeMs: { router: primary.runMs, total: totalMs },
    command,
    ...(run
      ? {
          weights: {
            source: run.weights.source,
            convention: run.weights.convention,
            hidden: run.weights.hidden,
            selectedLayer: run.weights.layers[selectedRow]!,
            layers: run.results.map((r, row) => ({ layer: run.weights.layers[row]!, counts: Array.from(r.counts), stats: r.stats })),
          },
        }
      : {}),
  };
  app.dataset.state = 'done';
  app.dataset.backend = info.backend;
  app.dataset.counts = JSON.stringify(Array.from(primary.counts));
  app.dataset.compareCounts = compare ? JSON.stringify(Array.from(compare.counts)) : '';
  app.dataset.runMs = String(primary.runMs);
  app.dataset.runs = String(executedRuns); // tests check that superseded requests never ran
  app.dataset.gpuUploads = String(gpuUploads()); // and that a WebGPU re-run on the same tokens keeps them on the GPU
  app.dataset.ortThread = ortThread() ?? ''; // and that WASM runs went to the ORT worker
  const failure = ortWorkerFailure();
  if (failure && app.dataset.ortWorkerFailure !== failure) send({ type: 'preview/log', body: { level: 'warn', message: failure } }); // once, in the output channel
  app.dataset.ortWorkerFailure = failure ?? '';
  app.dataset.totalMs = String(totalMs);
  app.dataset.command = command; // what "Copy as CLI command" copies (the e2e suite runs it)
  app.dataset.layer = run ? String(run.weights.layers[selectedRow]) : '';
  // Milliseconds since the page started loading when the first histogram appeared (npm run bench).
  app.dataset.firstResultAt ??= String(performance.now());
}

function renderFooter(): void {
  const copy = custom('vscode-button', { id: 'copy-command', secondary: '' }, 'Copy as CLI command');
  copy.addEventListener('click', () => {
    if (lastExport) send({ type: 'preview/copy', body: { text: lastExport.command } });
  });
  const exportButton = custom('vscode-button', { id: 'export-json', secondary: '' }, 'Export JSON');
  exportButton.addEventListener('click', () => {
    if (lastExport) send({ type: 'preview/export', body: { json: JSON.stringify(lastExport, null, 2) } });
  });
  const load = custom('vscode-button', { id: 'load-weights', secondary: '', title: 'Route through a checkpoint\'s own routers, every layer: a .safetensors file or a sharded checkpoint (only the router tensors are read)' }, 'Load router weights…');
  load.addEventListener('click', () => send({ type: 'preview/pick-weights', body: {} }));
  footer.replaceChildren(load, copy, exportButton);
}

/** The last checkpoint without its token-id layers: copied once, not on every run (a V4 checkpoint is ~180 MB). */
let withoutTokenIdLayers: { readonly from: RouterWeights; readonly drop: string; readonly to: RouterWeights } | undefined;

function routedWeights(loaded: RouterWeights, drop: readonly number[]): RouterWeights {
  const key = drop.join(',');
  if (withoutTokenIdLayers?.from !== loaded || withoutTokenIdLayers.drop !== key) withoutTokenIdLayers = { from: loaded, drop: key, to: withoutLayers(loaded, drop) };
  return withoutTokenIdLayers.to;
}

/** The checkpoint's layers that route by token id, which the heatmap leaves out: one sentence, or nothing. */
function tokenIdNote(w: RouterWeights): string[] {
  const skipped = w.layers.filter((layer) => subject?.tokenIdLayers?.layers.includes(layer));
  return skipped.length > 0 ? [` · not shown: layer${skipped.length === 1 ? '' : 's'} ${skipped.join(', ')}, routed by token id (${subject!.tokenIdLayers!.source})`] : [];
}

/** What was loaded, and the way back to synthetic weights. */
function weightsBar(w: RouterWeights): HTMLElement {
  const megabytes = (w.bytesRead / 1e6).toFixed(w.bytesRead < 1e7 ? 2 : 0);
  const extras = [w.bias ? 'router bias' : '', w.selectionBias ? 'learned selection bias' : '', w.tokenScale ? 'token scale' : '', w.expertScale ? 'per-expert scale' : ''].filter(Boolean);
  const biases = extras.length > 1 ? `${extras.slice(0, -1).join(', ')} and ${extras.at(-1)}` : (extras[0] ?? '');
  const synthetic = custom('vscode-button', { id: 'synthetic-weights', secondary: '', title: 'Drop the checkpoint and route with seeded synthetic weights again' }, 'Use synthetic weights');
  synthetic.addEventListener('click', () => {
    weights = undefined;
    layered = undefined;
    selectedRow = 0;
    app.dataset.weights = '';
    schedule(0);
  });
  return el(
    'div',
    { class: 'weights-bar' },
    el(
      'p',
      { class: 'muted' },
      el('strong', {}, 'Checkpoint routers: '),
      el('span', { class: 'weights-source' }, w.source),
      ` · ${w.convention} · ${w.layers.length} layer${w.layers.length === 1 ? '' : 's'} of ${w.experts} × ${w.hidden}${biases ? ` with ${biases}` : ''} · ${megabytes} MB read in ${w.readMs} ms`,
      // The checkpoint as loaded: `w` is what was routed, without those layers.
      ...tokenIdNote(weights ?? w),
    ),
    synthetic,
  );
}

function applyWeights(next: RouterWeights): void {
  const problem = checkRouterWeights(next);
  if (problem) {
    setStatus(`The router weights cannot be used: ${problem}.`, 'error');
    send({ type: 'preview/log', body: { level: 'error', message: problem } });
    return;
  }
  weights = next;
  selectedRow = 0;
  app.dataset.weights = next.source;
  app.dataset.weightsError = '';
  if (subject) schedule(0);
}

function applySubject(next: PreviewSubject, ortBaseUri: string, cli: string | undefined): void {
  const first = subject === undefined;
  // When the config arrived (the bench times the first look from here as well as from the page's start).
  if (first) app.dataset.subjectAt = String(performance.now());
  subject = next;
  cliWords = cli;
  configureOrt(ortBaseUri);
  if (first && next.hidden !== undefined && loadState<Controls>().hidden === undefined) controls.hidden = next.hidden;
  document.getElementById('config-name')!.textContent = next.name;
  document.getElementById('config-location')!.textContent = `${next.file}:${next.line}`;
  document.getElementById('semantics')!.textContent = next.router.config.semantics;
  controlsHost.style.display = '';
  footer.style.display = '';
  renderControls();
  if (first) void start();
  else if (controls.autoRun) schedule(0);
}

onMessage((message) => {
  switch (message.type) {
    case 'preview/subject':
      applySubject(message.body.subject, message.body.ortBaseUri, message.body.cli);
      break;
    case 'preview/error':
      // Nothing can run: say so where the eye lands (the header), not under controls that do nothing.
      generation++;
      app.dataset.state = 'error';
      document.getElementById('semantics')!.textContent = 'Not routed';
      document.getElementById('backend')!.textContent = '—';
      controlsHost.style.display = 'none';
      footer.style.display = 'none';
      document.getElementById('timing')!.textContent = '';
      views.replaceChildren();
      statsHost.replaceChildren();
      setStatus(message.body.message, 'error');
      break;
    case 'preview/weights-loading':
      setStatus(`Reading the router weights of ${message.body.source}…`, 'busy');
      break;
    case 'preview/weights':
      applyWeights(message.body.weights);
      break;
    case 'preview/weights-error':
      // The panel keeps what it had (synthetic weights, or the checkpoint loaded before); the sentence says why.
      app.dataset.weightsError = message.body.message;
      setStatus(message.body.message, 'error');
      break;
    default: {
      // Every message of the protocol is handled: a new one fails to compile here.
      const unhandled: never = message;
      send({ type: 'preview/log', body: { level: 'warn', message: `unhandled message ${JSON.stringify(unhandled)}` } });
    }
  }
});

renderControls();
renderFooter();
setStatus('Waiting for the config…', 'busy');
send({ type: 'preview/ready', body: {} });
