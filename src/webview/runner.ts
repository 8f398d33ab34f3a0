/**
 * Runs router graphs with onnxruntime-web: WebGPU when an adapter exists (or is asked for), WASM otherwise.
 * One thread each (webviews are not cross-origin isolated), no ORT proxy worker; sessions are cached per graph.
 *
 * Two builds of ORT: WASM runs use the plain build (a 14 MB .wasm) in a worker of the panel's own
 * (wasm-worker.ts, started as the panel opens, so that ORT's start-up runs beside the panel's first look and
 * drawing); WebGPU runs use the asyncify build (27 MB, needed for WebGPU) on the panel's thread, loaded from its own
 * module the first time a run goes to WebGPU (its tokens stay on the GPU between runs: gpu-tokens.ts).
 */
import type * as ortWeb from 'onnxruntime-web/webgpu';
import { buildRouterModel } from '../core/router/onnx-graph';
import { prepareOnnxRouter, referenceRouter, type OrtLike, type PreparedRouter } from '../core/router/onnx-run';
import { GpuTokens } from './gpu-tokens';
import { WasmClient, type OrtThread } from './wasm-client';
import type { RouterInputs } from '../core/router/cpu-router';
import type { RouterConfig } from '../core/router/router-config';

type Ort = typeof ortWeb;

export type BackendChoice = 'auto' | 'webgpu' | 'wasm';
export type Backend = 'webgpu' | 'wasm';

export interface BackendInfo {
  readonly backend: Backend;
  /** e.g. "google · swiftshader"; empty for WASM. */
  readonly adapter: string;
  /** Why WebGPU was not used, when it was not. */
  readonly fallbackReason?: string;
}

/** Where the ORT files are (set once by the host's first message). */
let ortBase: string | undefined;
/** WASM sessions and runs, in the panel's ORT worker. */
let wasm: WasmClient | undefined;

/** Configures ONNX Runtime once: changing `ort.env` after it started is not supported. */
export function configureOrt(baseUri: string): void {
  if (ortBase !== undefined) return;
  ortBase = baseUri.endsWith('/') ? baseUri : `${baseUri}/`;
  wasm = new WasmClient(new URL('./wasm-worker.js', import.meta.url).href, ortBase); // started by the first WASM request
}

/** Where WASM runs are answered (the worker, or the panel where none could start); shown to tests as data-ort-thread. */
export const ortThread = (): OrtThread | undefined => wasm?.thread;

/** Why WASM runs are answered on the panel's thread, when they are. */
export const ortWorkerFailure = (): string | undefined => wasm?.failure;

function configureWebGpu(ort: Ort): Ort {
  const file = 'ort-wasm-simd-threaded.asyncify';
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = { mjs: `${ortBase}${file}.mjs`, wasm: `${ortBase}${file}.wasm` };
  ort.env.logLevel = 'error';
  return ort;
}

let ortWebGpu: Promise<Ort> | undefined;

/** The WebGPU build of ORT, loaded (beside this bundle) the first time a run goes to WebGPU. */
function ortWebGpuBuild(): Promise<Ort> {
  ortWebGpu ??= (import(new URL('./ort-webgpu.js', import.meta.url).href) as Promise<Ort>).then(configureWebGpu);
  ortWebGpu.catch(() => (ortWebGpu = undefined));
  return ortWebGpu;
}

interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

interface GpuNavigator {
  gpu?: { requestAdapter(): Promise<{ info?: AdapterInfo; isFallbackAdapter?: boolean } | null> };
}

/** What the one adapter probe found: WebGPU's answer, and whether the adapter renders in software. */
interface Probe {
  readonly info: BackendInfo;
  readonly software: boolean;
}

let adapterProbe: Promise<Probe> | undefined;

/**
 * A CPU implementation of WebGPU (SwiftShader in Chromium without a GPU, Mesa's llvmpipe/lavapipe, Windows'
 * WARP): the router then ran 7–12 s where WASM took 0.2–0.3 s (issue #11), so "auto" does not pick it.
 */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render|\bwarp\b/i;

async function probeWebGpu(): Promise<Probe> {
  const gpu = (navigator as unknown as GpuNavigator).gpu;
  if (!gpu) return { info: { backend: 'wasm', adapter: '', fallbackReason: 'this webview has no navigator.gpu' }, software: false };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { info: { backend: 'wasm', adapter: '', fallbackReason: 'no WebGPU adapter is available' }, software: false };
    const info = adapter.info ?? {};
    const name = [info.vendor, info.architecture || info.description].filter(Boolean).join(' · ') || 'adapter';
    const software = info.isFallbackAdapter === true || adapter.isFallbackAdapter === true || SOFTWARE_ADAPTER.test(`${info.vendor ?? ''} ${info.architecture ?? ''} ${info.description ?? ''}`);
    return { info: { backend: 'webgpu', adapter: name }, software };
  } catch (error) {
    return { info: { backend: 'wasm', adapter: '', fallbackReason: `requesting a WebGPU adapter failed (${String(error)})` }, software: false };
  }
}

/** The backend a choice runs on: "webgpu" takes any adapter, "auto" only one that is not a software renderer. */
export async function resolveBackend(choice: BackendChoice): Promise<BackendInfo> {
  if (choice === 'wasm') return { backend: 'wasm', adapter: '' };
  adapterProbe ??= probeWebGpu();
  const probe = await adapterProbe;
  if (choice === 'auto' && probe.software) {
    return { backend: 'wasm', adapter: '', fallbackReason: `the WebGPU adapter (${probe.info.adapter}) renders in software, where WASM is faster; choose WebGPU to use it anyway` };
  }
  return probe.info;
}

const sessions = new Map<string, Promise<PreparedRouter>>();

/** Starts (or reuses) the session for a graph and its outputs; one cache for the routing and the choice graphs. */
function session(config: RouterConfig, hidden: number, backend: Backend, outputs: 'counts' | 'choice'): Promise<PreparedRouter> {
  const key = `${outputs}|${backend}|${hidden}|${JSON.stringify({ ...config, semantics: '' })}`;
  let prepared = sessions.get(key);
  if (!prepared) {
    if (backend === 'wasm' && config.roundRobin && outputs === 'counts') {
      prepared = Promise.resolve(referenceRouter(config, outputs, () => performance.now())); // no graph: see onnx-run.ts
    } else if (backend === 'wasm') {
      const client = wasm;
      // TopK's indices counted on the CPU (onnx-graph.ts): WASM's fastest. A graph that cannot be built rejects.
      prepared = client
        ? (async () => client.prepare({ key, config, outputs, model: buildRouterModel(config, { hidden, outputs, counts: 'indices' }) }))()
        : Promise.reject(new Error('configureOrt was not called'));
    } else {
      prepared = ortWebGpuBuild().then((ort) =>
        prepareOnnxRouter(ort as unknown as OrtLike, config, hidden, {
          outputs,
          // The chosen mask: TopK's int64 indices would go back to the CPU (WASM counts the indices: wasm-worker.ts).
          counts: 'mask',
          sessionOptions: { executionProviders: ['webgpu'], graphOptimizationLevel: 'all' },
          now: () => performance.now(),
        }),
      );
    }
    sessions.set(key, prepared);
    prepared.catch(() => sessions.delete(key));
  }
  return prepared;
}

/** Starts (or reuses) the session for a graph. Call it early: on WASM it starts in the ORT worker. */
export function prepareRouter(config: RouterConfig, hidden: number, backend: Backend): Promise<PreparedRouter> {
  return session(config, hidden, backend, 'counts');
}

/** The smallest router: a session for it makes ORT fetch, compile and start its WebAssembly. */
const WARM_UP: RouterConfig = { experts: 2, topK: 1, order: 'score-then-topk', scoreFunc: 'softmax', routerBias: false, selectionBias: false, normalize: false, epsilon: 0, scale: 1, roundRobin: false, semantics: 'warm-up' };

/**
 * Starts ONNX Runtime's WebAssembly in the ORT worker as the panel opens, before the config arrives, where runs
 * will go to WASM: its start-up (~0.3 s on the 2-core machine the bench runs on) then overlaps the page's load, the
 * host's analysis of the config and the panel's first look. Not on WebGPU, whose build is another module.
 */
export async function warmUp(choice: BackendChoice): Promise<void> {
  const info = await resolveBackend(choice);
  if (info.backend === 'wasm') await prepareRouter(WARM_UP, 1, 'wasm').catch(() => undefined);
}

/** The run in flight: ORT runs are serialised (overlapping WebGPU runs of two sessions were seen to hang). */
let inFlight: Promise<unknown> = Promise.resolve();

/** Runs `work` once the previous ORT run has finished. */
async function serialised<T>(work: () => Promise<T>): Promise<T> {
  const previous = inFlight;
  let release!: () => void;
  inFlight = new Promise<void>((resolve) => (release = resolve));
  try {
    await previous.catch(() => undefined);
    return await work();
  } finally {
    release();
  }
}

/** WebGPU runs keep their tokens on the GPU between runs (gpu-tokens.ts). */
const gpuTokens = new GpuTokens(ortWebGpuBuild);

/** Uploads of tokens to the GPU; shown to tests as data-gpu-uploads. */
export const gpuUploads = (): number => gpuTokens.uploads;

export class StaleRunError extends Error {}

/** ORT runs actually executed (superseded requests are not counted); shown to tests as data-runs. */
export let executedRuns = 0;

/**
 * Values per WASM slice (4 Mi floats, 16 MB: 1,456 whole tokens of 2880, 32,768 in 128 gate coordinates). ORT copies a run's token tensor into its
 * WebAssembly memory, which grows to hold it: a 16,384 × 2880 run grew it by 189 MB, and writing fresh pages
 * cost about as much as the matmul (cold run 1.44 s, warm 0.71 s in Node here). Slices reuse one slice's memory
 * (cold total 0.80 s at 1,024 tokens a slice) and give a histogram after the first.
 */
const SLICE_VALUES = 4 * 1024 * 1024;

export interface RunOptions {
  /** Checked before the run starts and between slices: a superseded request stops (StaleRunError). */
  readonly isStale?: () => boolean;
  /** Called before tokens [0, end) are routed: the panel draws them then (a sequential draw, see SyntheticDraw). */
  readonly before?: (end: number) => void;
  /** The counts so far after each WASM slice but the last, and the tokens they cover. */
  readonly progress?: (counts: Int32Array, tokens: number) => void;
}

/**
 * Runs one graph once the previous run has finished. `isStale` is checked after waiting, so a request that
 * a newer one superseded never starts; a run already started completes its slice. On WASM the tokens are
 * routed in slices (SLICE_VALUES) whose counts add up; on WebGPU in one run, on the tokens kept on the GPU.
 */
export function runRouter(config: RouterConfig, inputs: RouterInputs, backend: Backend, options: RunOptions = {}): Promise<{ counts: Int32Array; runMs: number; engine: 'onnx' | 'reference' }> {
  const isStale = options.isStale ?? (() => false);
  return serialised(async () => {
    if (isStale()) throw new StaleRunError('superseded');
    const router = await prepareRouter(config, inputs.hidden, backend);
    if (isStale()) throw new StaleRunError('superseded');
    executedRuns++;
    // Round-robin (computed by the reference, not ORT) assigns by token index: one piece.
    if (backend === 'webgpu' || config.roundRobin) {
      options.before?.(inputs.tokens);
      const out = await router.run(inputs, backend === 'webgpu' ? await gpuTokens.feedsFor(inputs) : undefined);
      return { counts: out.counts, runMs: out.runMs, engine: out.engine };
    }
    if (!(inputs.hiddenStates instanceof Float32Array)) options.before?.(inputs.tokens); // copied whole below
    const states = inputs.hiddenStates instanceof Float32Array ? inputs.hiddenStates : Float32Array.from(inputs.hiddenStates);
    const slice = Math.max(1, Math.floor(SLICE_VALUES / inputs.hidden));
    const counts = new Int32Array(config.experts);
    let runMs = 0;
    let engine: 'onnx' | 'reference' = 'onnx';
    for (let from = 0; from < inputs.tokens; from += slice) {
      if (from > 0 && isStale()) throw new StaleRunError('superseded');
      const to = Math.min(inputs.tokens, from + slice);
      options.before?.(to);
      const part = { ...inputs, tokens: to - from, hiddenStates: states.subarray(from * inputs.hidden, to * inputs.hidden) };
      const out = await router.run(part);
      for (let e = 0; e < counts.length; e++) counts[e]! += out.counts[e]!;
      runMs += out.runMs;
      engine = out.engine;
      if (to < inputs.tokens) options.progress?.(counts, to);
    }
    return { counts, runMs, engine };
  });
}

/**
 * The values top-k compares before the selection bias, [T,E] (the Balancing tab computes them once per batch and
 * then steps the bias in TypeScript). Serialised with the routing runs.
 */
export function runChoiceValues(config: RouterConfig, inputs: RouterInputs, backend: Backend): Promise<Float64Array> {
  const prepared = session(config, inputs.hidden, backend, 'choice');
  return serialised(async () => {
    const router = await prepared;
    return Float64Array.from((await router.run(inputs, backend === 'webgpu' ? await gpuTokens.feedsFor(inputs) : undefined)).choice!);
  });
}
