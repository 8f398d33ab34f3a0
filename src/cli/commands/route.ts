/**
 * `moe-lens route CONFIG [--model NAME] [--layer N | --all-layers] [--weights FILE|DIR] [--activations FILE]
 *                  [--tokens T] [--hidden H] [--seed S] [--balance STEPS] [--json] ...` — runs the config's exact router. With captured
 * activations (scripts/capture_router_inputs.py) that record the model's own choice, it reports how often the
 * config's router picks the same expert set.
 * The --json shape is a contract relied on by outside checks: keep it stable.
 */
import { analyzeDocument } from '../../core/analyze';
import { INSPECTED_FIELDS, reportConfig, routedValue } from '../../core/inspect';
import type { RouterSpec } from '../../core/model/router-spec';
import { ProjectIndex } from '../../core/project';
import { prepareOnnxRouter, type OrtLike, type PreparedRouter } from '../../core/router/onnx-run';
import { BalancingSimulation, biasUpdateFor, splitBatches, type BalancingStep } from '../../core/router/balancing';
import type { RouterInputs } from '../../core/router/cpu-router';
import { routerConfigFromSpec, type RouterConfig } from '../../core/router/router-config';
import { CheckpointError, missingSelectionBias } from '../../core/router/safetensors';
import { loadStats } from '../../core/router/stats';
import { checkpointGateInputs, drawsWholeTokens, syntheticInputs, syntheticSelectionBiasNote, type Distribution, type SyntheticInputs } from '../../core/router/synthetic';
import { LineIndex } from '../../core/text/source';
import { activationLayers, loadActivations, loadRouterTensors, MAX_HIDDEN, type Activations, type RouterTensors } from '../checkpoint';
import { diskModuleLoader, readText } from '../files';
import type { CommandResult } from '../command-result';
import { join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Imported modules above this size are not read (they hold no config a router needs). */
const MAX_MODULE_BYTES = 2 * 1024 * 1024;

export interface RouteArguments {
  readonly config: string;
  readonly model?: string;
  readonly layer: number;
  readonly weights?: string;
  readonly activations?: string;
  readonly tokens: number;
  readonly hidden?: number;
  readonly seed: number;
  readonly distribution: Distribution;
  readonly capacityFactor?: number;
  readonly expertParallel: number;
  readonly json: boolean;
  /** Route every `layers.N.hidden_states` in the activations file (and compare each with the model's own choice). */
  readonly allLayers?: boolean;
  /**
   * Simulate the framework's own selection-bias update for `steps` steps: the tokens (drawn or captured) split
   * into `batches` batches, routed in turn.
   */
  readonly balance?: { readonly steps: number; readonly batches: number };
}

export const DEFAULT_TOKENS = 4096;
export const DEFAULT_HIDDEN = 2048;

class UsageError extends Error {}

const fail = (message: string): CommandResult => ({ stdout: '', stderr: `moe-lens route: ${message}`, exitCode: 2 });

export async function runRoute(args: RouteArguments): Promise<CommandResult> {
  const engine = new Engine();
  try {
    const started = Date.now();
    const { spec, file, line, lines } = pickSpec(args);
    // Never route a guess: the expert count and top-k must be read, and whatever else was assumed is said.
    const report = reportConfig(spec, file, lines);
    for (const [name, label] of [['num_experts', 'expert count'], ['top_k', 'top-k']] as const) {
      const field = report.fields[name];
      if (field.source === 'unknown' || field.source === 'assumed') {
        throw new UsageError(`the ${label} (\`${name}\`) of config "${spec.name}" is ${field.source}${field.detail ? ` (${field.detail})` : ''}; set it in the config (\`moe-lens inspect ${file}\` shows what was read).`);
      }
    }
    // Whatever was not read is routed with, and said: an unknown field's fallback, an assumed default (one the
    // launch may set where MoE Lens cannot see, such as `$EXTRA_ARGS` or another program's command line).
    const assumed = INSPECTED_FIELDS.filter((name) => report.fields[name].source === 'assumed' || report.fields[name].source === 'unknown').map((name) => {
      const field = report.fields[name];
      return { field: name, value: routedValue(name, spec), source: field.source, ...(field.detail ? { why: field.detail } : {}) };
    });
    const resolved = routerConfigFromSpec(spec);
    if ('error' in resolved) throw new UsageError(`config "${spec.name}" cannot be routed: ${resolved.error}.`);
    const config = resolved.config;
    const K = config.topK;
    const head = { config: { file, name: spec.name, line }, semantics: config.semantics, assumed, numExperts: config.experts, topK: K };
    const options = { ...(args.capacityFactor !== undefined ? { capacityFactor: args.capacityFactor } : {}), expertParallel: args.expertParallel, ...(config.routerCapacity ? { routerCapacity: config.routerCapacity } : {}) };

    if (args.allLayers) {
      if (args.activations === undefined) throw new UsageError('--all-layers routes every layer captured in an --activations file (layers.N.hidden_states); give one.');
      const layerNumbers = activationLayers(args.activations);
      if (layerNumbers.length === 0) {
        throw new CheckpointError(`${args.activations} has no per-layer hidden states ("layers.N.hidden_states") for --all-layers; scripts/capture_router_inputs.py writes them.`);
      }
      // DeepSeek-V4's hash layers route by token id, not by this router: they are left out, and the output says so.
      const tokenId = layerNumbers.filter((layer) => spec.tokenIdLayers?.layers.includes(layer));
      if (tokenId.length === layerNumbers.length) throw new UsageError(tokenIdLayerError(spec, tokenId));
      const layers = [];
      let hidden = 0;
      let runMs = 0;
      let backend = '';
      let weightsLabel = '';
      for (const layer of layerNumbers.filter((l) => !tokenId.includes(l))) {
        const { inputs, hidden: modelHidden, description, chosen, router } = buildInputs(args, layer, spec, config);
        const out = await engine.run(config, inputs);
        hidden = modelHidden;
        runMs += out.runMs;
        backend = out.backend;
        weightsLabel = router ? `${args.weights} (${router.convention})` : description.weights!;
        const check = chosen && router ? agreement(out.indices, chosen.data, inputs.tokens, K) : undefined;
        layers.push({
          layer,
          tokens: inputs.tokens,
          ...(router ? { router: router.names } : {}),
          counts: Array.from(out.counts),
          stats: loadStats(out.counts, inputs.tokens, K, options),
          ...(check ? { check } : {}),
        });
      }
      const checked = layers.filter((l) => l.check);
      const result = {
        backend,
        ...head,
        hidden,
        seed: args.seed,
        inputs: { weights: weightsLabel, activations: args.activations },
        layers,
        ...(tokenId.length > 0 ? { skippedLayers: { layers: tokenId, why: spec.tokenIdLayers!.source } } : {}),
        ...(checked.length > 0 ? { check: { layers: checked.length, tokens: sum(checked.map((l) => l.check!.tokens)), sameSet: sum(checked.map((l) => l.check!.sameSet)) } } : {}),
        timeMs: { run: Number(runMs.toFixed(3)), total: Date.now() - started },
      };
      return { stdout: args.json ? JSON.stringify(result) : allLayersSummary(result, args.weights !== undefined), stderr: '', exitCode: 0 };
    }

    if (args.balance) return await runBalance(engine, args, args.balance, spec, config, head, started);

    const { inputs, hidden, description, chosen, router } = buildInputs(args, args.layer, spec, config);
    const { counts, indices, weights, backend, runMs } = await engine.run(config, inputs);
    const stats = loadStats(counts, inputs.tokens, K, options);
    const check = chosen && router ? agreement(indices, chosen.data, inputs.tokens, K) : undefined;
    const result = {
      backend,
      ...head,
      tokens: inputs.tokens,
      hidden,
      seed: args.seed,
      inputs: description,
      counts: Array.from(counts),
      indices: Array.from({ length: inputs.tokens }, (_, t) => Array.from(indices.subarray(t * K, (t + 1) * K))),
      weights: Array.from({ length: inputs.tokens }, (_, t) => Array.from(weights.subarray(t * K, (t + 1) * K), (w) => Number(w.toPrecision(7)))),
      stats,
      ...(check ? { check } : {}),
      timeMs: { run: Number(runMs.toFixed(3)), total: Date.now() - started },
    };
    const note = chosen && !router ? `the file records the model's choices (${chosen.name}), but the router weights are synthetic: give --weights to compare` : undefined;
    return { stdout: args.json ? JSON.stringify(result) : humanSummary(result, note), stderr: '', exitCode: 0 };
  } catch (error) {
    if (error instanceof CheckpointError || error instanceof UsageError) return fail(error.message);
    return fail(`internal error: ${String((error as Error)?.message ?? error)}`);
  } finally {
    await engine.release();
  }
}

const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

/** Step 1 alone, then windows of `every` steps. */
function windows<T extends { step: number }>(steps: readonly T[], every: number): { from: number; to: number; rows: T[] }[] {
  const out = steps.length > 0 ? [{ from: 1, to: 1, rows: [steps[0]!] }] : [];
  for (let start = 1; start < steps.length; start += every) {
    const rows = steps.slice(start, start + every);
    out.push({ from: rows[0]!.step, to: rows.at(-1)!.step, rows });
  }
  return out;
}

/** `--balance STEPS`: the framework's bias update, step by step, on this router (src/core/router/balancing.ts). */
async function runBalance(
  engine: Engine,
  args: RouteArguments,
  balance: NonNullable<RouteArguments['balance']>,
  spec: RouterSpec,
  config: RouterConfig,
  head: { config: { file: string; name: string; line: number }; semantics: string; assumed: unknown[]; numExperts: number; topK: number },
  started: number,
): Promise<CommandResult> {
  const update = biasUpdateFor(spec);
  if ('unavailable' in update) throw new UsageError(`--balance simulates a learned selection bias, and config "${spec.name}" has none to simulate: ${update.unavailable}.`);
  if (!config.selectionBias || config.roundRobin) throw new UsageError(`--balance: config "${spec.name}" does not route by its selection bias (${config.semantics}).`);
  // The tokens (drawn, or captured) split into batches routed in turn, as the panel splits its tokens.
  const drawn = buildInputs(args, args.layer, spec, config);
  const batchCount = balance.batches;
  const perBatch = Math.floor(drawn.inputs.tokens / batchCount);
  if (perBatch < 1) throw new UsageError(`--batches ${batchCount} splits ${drawn.inputs.tokens} tokens into empty batches; give fewer batches or more tokens.`);
  // The matrix product on onnxruntime (float32, as the router graph runs); the steps in float64 (balancing.ts).
  const batches: Float64Array[] = [];
  for (const part of splitBatches(drawn.inputs, batchCount)) batches.push(await engine.choice(config, part));
  const checkpointBias = drawn.router?.selectionBias?.data;
  const simulation = new BalancingSimulation(config, update.rule, batches, checkpointBias);
  const every = Math.max(1, Math.round(balance.steps / 10));
  const steps: { step: number; maxOverMean: number; coefficientOfVariation: number; idleExperts: number; biasMin: number; biasMax: number }[] = [];
  let last: BalancingStep | undefined;
  for (let s = 0; s < balance.steps; s++) {
    last = simulation.step();
    steps.push({
      step: last.step,
      maxOverMean: Number(last.maxOverMean.toFixed(4)),
      coefficientOfVariation: Number(last.coefficientOfVariation.toFixed(4)),
      idleExperts: last.idleExperts,
      biasMin: Math.min(...last.bias),
      biasMax: Math.max(...last.bias),
    });
  }
  const result = {
    ...head,
    tokensPerStep: perBatch,
    hidden: drawn.hidden,
    seed: args.seed,
    inputs: { weights: drawn.description.weights!, activations: drawn.description.activations!, batches: batchCount, startBias: checkpointBias ? 'the checkpoint\'s' : 'zero (where training starts it)' },
    balance: { ...update.rule, steps, finalBias: Array.from(last!.bias), finalCounts: Array.from(last!.counts) },
    backend: engine.backend,
    timeMs: { total: Date.now() - started },
  };
  if (args.json) return { stdout: JSON.stringify(result), stderr: '', exitCode: 0 };
  const lines = [
    `config     ${head.config.name} (${head.config.file}:${head.config.line})`,
    `semantics  ${head.semantics}`,
    `rule       ${update.rule.source}`,
    `rate       ${update.rule.rateSource}`,
    `backend    ${engine.backend} (scores), then the bias steps in TypeScript · ${result.timeMs.total} ms`,
    `inputs     ${drawn.inputs.tokens} tokens in ${batchCount} batch${batchCount === 1 ? '' : 'es'} of ${result.tokensPerStep}, routed in turn × hidden ${result.hidden}; weights: ${result.inputs.weights}; tokens: ${result.inputs.activations}; bias starts at ${result.inputs.startBias}`,
    `           only the bias moves: the gate is frozen (no gradient step)`,
    '',
    // Batches differ: a row averages the steps since the previous row, so that it is not one batch's noise.
    '   steps  max/mean     CV  idle  bias range (at the last step)',
    ...windows(steps, every).map(({ from, to, rows }) => {
      const mean = (pick: (s: (typeof steps)[number]) => number): number => rows.reduce((a, s) => a + pick(s), 0) / rows.length;
      const last = rows.at(-1)!;
      return `${(from === to ? String(to) : `${from}-${to}`).padStart(8)}  ${mean((s) => s.maxOverMean).toFixed(2).padStart(8)}  ${mean((s) => s.coefficientOfVariation).toFixed(3).padStart(5)}  ${mean((s) => s.idleExperts).toFixed(1).padStart(4)}  ${last.biasMin.toExponential(2)} … ${last.biasMax.toExponential(2)}`;
    }),
  ];
  return { stdout: lines.join('\n'), stderr: '', exitCode: 0 };
}

/** How often MoE Lens's choice is the model's: the same SET of experts (order is not compared: HF takes top-k unsorted). */
export interface Agreement {
  readonly tokens: number;
  readonly sameSet: number;
  /** The first few tokens whose sets differ. */
  readonly mismatches: { token: number; moeLens: number[]; model: number[] }[];
}

const MAX_MISMATCHES = 8;

export function agreement(ours: Int32Array, model: Int32Array, tokens: number, k: number): Agreement {
  let sameSet = 0;
  const mismatches: Agreement['mismatches'] = [];
  for (let t = 0; t < tokens; t++) {
    const a = Array.from(ours.subarray(t * k, (t + 1) * k)).sort((x, y) => x - y);
    const b = Array.from(model.subarray(t * k, (t + 1) * k)).sort((x, y) => x - y);
    if (a.every((e, i) => e === b[i])) sameSet++;
    else if (mismatches.length < MAX_MISMATCHES) mismatches.push({ token: t, moeLens: a, model: b });
  }
  return { tokens, sameSet, mismatches };
}

function pickSpec(args: RouteArguments): { spec: RouterSpec; file: string; line: number; lines: LineIndex } {
  const read = readText(args.config);
  if (read.text === undefined) throw new UsageError(read.error!.replace(/^.*?: /, `${args.config}: `));
  // Defaults and builders come from what the config imports: the project reads those modules from disk
  // on first use (nearest package root), and nothing else.
  const project = new ProjectIndex(diskModuleLoader(MAX_MODULE_BYTES));
  // Absolute, so that a bare name has the folders above it (files.ts findFiles).
  const analysis = analyzeDocument(resolve(args.config), read.text, project);
  const specs = analysis.specs;
  if (specs.length === 0) throw new UsageError(`${args.config} holds no MoE router config that MoE Lens understands.`);
  let spec: RouterSpec | undefined;
  if (args.model !== undefined) {
    const wanted = args.model.toLowerCase();
    // A part of the name is enough when only one config has it: `--model 671B` for `train MODEL_SIZE=671B`.
    const byPart = specs.filter((s) => s.name.toLowerCase().split(/[\s=()]+/).includes(wanted));
    spec = specs.find((s) => s.name === args.model) ?? specs.find((s) => s.name.toLowerCase() === wanted) ?? (byPart.length === 1 ? byPart[0] : undefined);
    if (!spec) throw new UsageError(`${args.config} has no config named "${args.model}"; it has: ${specs.map((s) => s.name).join(', ')}.`);
  } else if (specs.length === 1) {
    spec = specs[0]!;
  } else {
    throw new UsageError(`${args.config} holds ${specs.length} configs; pick one with --model: ${specs.map((s) => s.name).join(', ')}.`);
  }
  const lines = new LineIndex(read.text);
  return { spec, file: args.config, line: lines.positionAt(spec.anchorRange.start).line + 1, lines };
}

function tokenIdLayerError(spec: RouterSpec, layers: readonly number[]): string {
  const routed = spec.tokenIdLayers!.layers;
  return `layer${layers.length === 1 ? '' : 's'} ${layers.join(', ')} of "${spec.name}" route${layers.length === 1 ? 's' : ''} by token id, not by its router (${spec.tokenIdLayers!.source}), which MoE Lens does not model; its router runs on the other layers (not ${routed.join(', ')}): pick one with --layer.`;
}

/**
 * The router's inputs for one layer: the checkpoint's or synthetic gate, on captured or synthetic tokens. `hidden`
 * is the model's hidden size; `inputs.hidden` is a token row's width, which is the expert count where synthetic
 * tokens are drawn in a synthetic gate's coordinates (whitened.ts).
 */
function buildInputs(args: RouteArguments, layer: number, spec: RouterSpec, config: RouterConfig): { inputs: RouterInputs; hidden: number; description: Record<string, string>; chosen?: Activations['chosen']; router?: RouterTensors } {
  // A layer's own tensors say nothing of this router where its block routes by token id (synthetic inputs have no layer).
  if ((args.weights !== undefined || args.activations !== undefined) && spec.tokenIdLayers?.layers.includes(layer)) throw new UsageError(tokenIdLayerError(spec, [layer]));
  const E = config.experts;
  const router = args.weights !== undefined ? loadRouterTensors(args.weights, layer, { experts: E, maxHidden: MAX_HIDDEN }) : undefined;
  const activations = args.activations !== undefined ? loadActivations(args.activations, layer, { experts: E, topK: config.topK }) : undefined;
  let hidden = args.hidden ?? spec.hidden.value ?? DEFAULT_HIDDEN;
  if (router) {
    // loadRouterTensors has checked every shape against the config's experts (checkRouterShape).
    const columns = router.weight.entry.shape[1]!;
    if (args.hidden !== undefined && args.hidden !== columns) throw new CheckpointError(`--hidden ${args.hidden} disagrees with the router weight's hidden size ${columns}.`);
    hidden = columns;
    // A bias the published model routes by is part of the checkpoint; a bias training learns starts at zero.
    if (config.selectionBias && !router.selectionBias && spec.selectionBias.value !== 'learned') throw new CheckpointError(missingSelectionBias(router.convention, layer, router.names));
    if (config.routerBias && !router.bias) throw new CheckpointError(`the config's router has a bias, but the checkpoint has no router bias for layer ${layer} (found ${router.names.join(', ')}).`);
    // Gemma 4's learned scales are part of its router: without them the checkpoint would route as it never does.
    if (config.tokenNorm && !router.tokenScale) throw new CheckpointError(`the config's router scales each normed token by a learned vector, but the checkpoint has none for layer ${layer} (found ${router.names.join(', ')}).`);
    if (config.expertScale && !router.expertScale) throw new CheckpointError(`the config's router scales each choice by a learned per-expert scale, but the checkpoint has none for layer ${layer} (found ${router.names.join(', ')}).`);
  }
  if (activations) {
    const [, columns] = activations.hidden.entry.shape;
    if (columns !== hidden) {
      const expected = router ? `the router weight "${router.names[0]}" expects ${hidden}` : `the router expects ${hidden}`;
      throw new CheckpointError(`"${activations.name}" in ${args.activations} has hidden size ${columns}, but ${expected}.`);
    }
  }
  const tokens = activations ? activations.hidden.entry.shape[0]! : args.tokens;
  // A learned selection bias starts at zero, as the panel draws it (the same generator, the same loads).
  const learned = spec.selectionBias.value === 'learned' && config.selectionBias;
  // The panel draws the same (its "Copy as CLI command" reproduces its loads): tokens in the gate's coordinates, a
  // checkpoint's gate through its own factor where it has one, else whole tokens (checkpointGateInputs).
  const draw = (fullTokens: boolean): SyntheticInputs =>
    syntheticInputs({ seed: args.seed, tokens: activations ? 0 : tokens, hidden, experts: E, distribution: args.distribution, zeroSelectionBias: learned, fullTokens });
  const synthetic = draw(activations !== undefined || drawsWholeTokens(config));
  const drawn = router ? checkpointGateInputs(synthetic, () => draw(true), router.weight.data, E, hidden) : synthetic;
  const biasNote = syntheticSelectionBiasNote(config, learned);
  const distribution = args.distribution.kind === 'clustered' ? `clustered (${args.distribution.clusters} clusters)` : 'isotropic';
  const coordinates = !activations && drawn.hidden !== hidden ? `; drawn in the gate's ${E} coordinates, the same logits as ${hidden} values` : '';
  return {
    hidden,
    inputs: {
      tokens,
      hidden: activations ? hidden : drawn.hidden,
      hiddenStates: activations?.hidden.data ?? drawn.hiddenStates,
      gateWeight: drawn.gateWeight,
      gateBias: router?.bias?.data ?? (router ? new Float32Array(E) : synthetic.gateBias),
      selectionBias: router?.selectionBias?.data ?? (router ? new Float32Array(E) : synthetic.selectionBias),
      // Synthetic: none, which routes as 1 (where training starts).
      ...(router?.tokenScale ? { tokenScale: router.tokenScale.data } : {}),
      ...(router?.expertScale ? { expertScale: router.expertScale.data } : {}),
    },
    description: {
      weights: router ? `${args.weights} (${router.convention}: ${router.names.join(', ')}${learned && !router.selectionBias ? '; no selection bias in it: the learned bias starts at zero, as training from it would' : ''})` : `synthetic (seed ${args.seed}${biasNote ? `; ${biasNote}` : ''})`,
      activations: activations ? (activations.name === 'hidden_states' ? String(args.activations) : `${args.activations} (${activations.name})`) : `synthetic ${distribution} (seed ${args.seed}${coordinates})`,
    },
    ...(activations?.chosen ? { chosen: activations.chosen } : {}),
    ...(router ? { router } : {}),
  };
}

/**
 * onnxruntime-node where it is installed (npm); else onnxruntime-web's WebAssembly build, bundled, with the
 * .wasm the extension ships beside this file (dist/ort): so the CLI inside the VSIX runs `route` with no
 * node_modules at all (issue #11: "Copy as CLI command" for someone with only the VSIX).
 */
async function loadOrt(): Promise<{ ort: OrtLike; name: string }> {
  try {
    // Loaded lazily: lint and rule commands never pay for the native binding.
    return { ort: (await import('onnxruntime-node')) as unknown as OrtLike, name: 'onnxruntime-node (cpu)' };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException)?.code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw error;
  }
  const web = await import('onnxruntime-web');
  const base = pathToFileURL(join(__dirname, 'ort') + sep).href;
  web.env.wasm.numThreads = 1;
  web.env.wasm.wasmPaths = { mjs: `${base}ort-wasm-simd-threaded.asyncify.mjs`, wasm: `${base}ort-wasm-simd-threaded.asyncify.wasm` };
  web.env.logLevel = 'error';
  return { ort: web as unknown as OrtLike, name: 'onnxruntime-web (wasm; onnxruntime-node is not installed)' };
}

/** The ONNX router, built once per hidden size and reused across layers. */
class Engine {
  private ort?: { ort: OrtLike; name: string };
  /** By outputs and hidden size: the router graph for routing (`full`), and the pre-bias scores (`choice`). */
  private readonly prepared = new Map<string, PreparedRouter>();

  private async graph(config: RouterConfig, hidden: number, outputs: 'full' | 'choice'): Promise<PreparedRouter> {
    this.ort ??= await loadOrt();
    const key = `${outputs}|${hidden}`;
    let router = this.prepared.get(key);
    if (!router) {
      router = await prepareOnnxRouter(this.ort.ort, config, hidden, { outputs, now: () => performance.now(), sessionOptions: { logSeverityLevel: 3 } });
      this.prepared.set(key, router);
    }
    return router;
  }

  async run(config: RouterConfig, inputs: RouterInputs): Promise<{ counts: Int32Array; indices: Int32Array; weights: Float32Array; backend: string; runMs: number }> {
    const out = await (await this.graph(config, inputs.hidden, 'full')).run(inputs);
    const backend = out.engine === 'reference' ? 'reference (round-robin routing does not use the router)' : this.backend;
    return { counts: out.counts, indices: out.indices!, weights: out.weights!, backend, runMs: out.runMs };
  }

  /** The pre-bias values top-k compares, [T,E], for the load-balancing simulation. */
  async choice(config: RouterConfig, inputs: RouterInputs): Promise<Float64Array> {
    return Float64Array.from((await (await this.graph(config, inputs.hidden, 'choice')).run(inputs)).choice!);
  }

  get backend(): string {
    return this.ort?.name ?? '';
  }

  async release(): Promise<void> {
    for (const router of this.prepared.values()) await router.release();
    this.prepared.clear();
  }
}

const percent = (part: number, whole: number): string => `${((part / whole) * 100).toFixed(1)}%`;

function checkLine(check: Agreement): string {
  return `${check.sameSet}/${check.tokens} tokens (${percent(check.sameSet, check.tokens)}) get the model's own expert set`;
}

function mismatchLines(check: Agreement, indent: string): string[] {
  return check.mismatches.map((m) => `${indent}token ${m.token}: MoE Lens [${m.moeLens.join(', ')}] · model [${m.model.join(', ')}]`);
}

function allLayersSummary(
  result: {
    config: { file: string; name: string; line: number };
    semantics: string;
    assumed: { field: string; value: unknown; source: string; why?: string }[];
    backend: string;
    hidden: number;
    numExperts: number;
    inputs: { weights: string; activations: string };
    layers: { layer: number; tokens: number; stats: ReturnType<typeof loadStats>; check?: Agreement }[];
    skippedLayers?: { layers: readonly number[]; why: string };
    check?: { layers: number; tokens: number; sameSet: number };
    timeMs: { run: number };
  },
  weightsGiven: boolean,
): string {
  const lines = [
    `config     ${result.config.name} (${result.config.file}:${result.config.line})`,
    `semantics  ${result.semantics}`,
    ...result.assumed.map((a, i) => `${i === 0 ? 'assumed   ' : '          '} ${a.field} = ${JSON.stringify(a.value)} (${a.source}${a.why ? `: ${a.why}` : ''})`),
    `inputs     ${result.layers.length} layers × hidden ${result.hidden}; weights: ${result.inputs.weights}; tokens: ${result.inputs.activations}`,
    `backend    ${result.backend} · ${result.timeMs.run.toFixed(1)} ms`,
    ...(result.skippedLayers ? [`skipped    layer${result.skippedLayers.layers.length === 1 ? '' : 's'} ${result.skippedLayers.layers.join(', ')}: ${result.skippedLayers.why}`] : []),
    '',
    'layer  tokens  max/mean  idle     same expert set as the model',
  ];
  for (const layer of result.layers) {
    const same = layer.check ? `${layer.check.sameSet}/${layer.check.tokens} (${percent(layer.check.sameSet, layer.check.tokens)})` : '—';
    lines.push(`${String(layer.layer).padStart(5)}  ${String(layer.tokens).padStart(6)}  ${layer.stats.maxOverMean.toFixed(2).padStart(8)}  ${`${layer.stats.idleExperts}/${result.numExperts}`.padEnd(7)}  ${same}`);
    if (layer.check) lines.push(...mismatchLines(layer.check, '         '));
  }
  if (result.check) lines.push('', `check      ${result.check.sameSet}/${result.check.tokens} tokens (${percent(result.check.sameSet, result.check.tokens)}) over ${result.check.layers} layers get the model's own expert set`);
  else if (!weightsGiven) lines.push('', 'check      needs the router weights the model used: give --weights (scripts/capture_router_inputs.py writes them)');
  return lines.join('\n');
}

function humanSummary(result: {
  config: { file: string; name: string; line: number };
  semantics: string;
  assumed: { field: string; value: unknown; source: string; why?: string }[];
  backend: string;
  tokens: number;
  hidden: number;
  numExperts: number;
  topK: number;
  inputs: Record<string, string>;
  counts: number[];
  stats: ReturnType<typeof loadStats>;
  check?: Agreement;
  timeMs: { run: number };
}, note?: string): string {
  const { stats } = result;
  const lines = [
    `config     ${result.config.name} (${result.config.file}:${result.config.line})`,
    `semantics  ${result.semantics}`,
    ...result.assumed.map((a, i) => `${i === 0 ? 'assumed   ' : '          '} ${a.field} = ${JSON.stringify(a.value)} (${a.source}${a.why ? `: ${a.why}` : ''})`),
    `inputs     ${result.tokens} tokens × hidden ${result.hidden}; weights: ${result.inputs.weights}; tokens: ${result.inputs.activations}`,
    `backend    ${result.backend} · ${result.timeMs.run.toFixed(1)} ms`,
    `load       max/mean ${stats.maxOverMean.toFixed(2)} · CV ${stats.coefficientOfVariation.toFixed(3)} · idle ${stats.idleExperts}/${result.numExperts}` +
      (stats.routerDroppedFraction !== undefined ? ` · the router drops ${(stats.routerDroppedFraction * 100).toFixed(1)}% (it keeps ${stats.routerCapacity} tokens an expert)` : '') +
      (stats.droppedFraction !== undefined ? ` · dropped ${(stats.droppedFraction * 100).toFixed(1)}% at capacity ${stats.capacity}` : '') +
      (stats.rankLoads.length > 1 ? ` · EP ranks max/mean ${stats.rankMaxOverMean.toFixed(2)}` : ''),
    ...(result.check ? [`check      ${checkLine(result.check)}`, ...mismatchLines(result.check, '           ')] : []),
    ...(note ? [`check      ${note}`] : []),
    '',
  ];
  const max = Math.max(1, ...result.counts);
  const order = result.counts.map((c, e) => [e, c] as const).sort((a, b) => b[1] - a[1]);
  const shown = order.length <= 24 ? order : [...order.slice(0, 8), undefined, ...order.slice(-8)];
  lines.push('expert  tokens');
  for (const row of shown) {
    if (!row) {
      lines.push(`  …     (${order.length - 16} more)`);
      continue;
    }
    lines.push(`${String(row[0]).padStart(6)}  ${'█'.repeat(Math.round((row[1] / max) * 40)).padEnd(40)} ${row[1]}`);
  }
  return lines.join('\n');
}

