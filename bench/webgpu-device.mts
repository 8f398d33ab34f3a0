/**
 * The panel's router runs on a real GPU: onnxruntime-web's WebGPU build in Node, through the `webgpu` package
 * (Dawn), on the GPU machine the `device` tool lends (issue #11, item 5). Not part of `npm run bench`: this
 * machine has no GPU. Bundled here and run there with a carried Node (`scripts/gpu-bench-pack.sh` packs it and says how):
 *
 *   node webgpu-device.mjs WEBGPU_PACKAGE_DIR ORT_WASM_DIR
 *
 * Measures, for gpt-oss-120b's router (128 experts, top-4) with H = 2880, as the panel runs it:
 * - a run with tokens copied from a Float32Array (the panel before), and one with them already on the GPU
 *   (GpuTokens, the panel now), at 16,384 tokens;
 * - a router-only re-run (top-4 → top-2) on the resident tokens (target < 10 ms at 16,384);
 * - WASM (1 thread) against WebGPU with resident tokens at 65,536 tokens (target ≥ 50×), counts compared;
 * - 1,000 balancing steps of 4,096 tokens (torchtitan's rule, 4 batches): choice values on the GPU, steps in
 *   TypeScript, as the Balancing tab does them (target < 10 s);
 * - the same router on tokens drawn in the gate's 128 coordinates, as the panel now draws them for a synthetic
 *   gate (whitened.ts): fresh from the CPU each run and resident, at 16,384 and 65,536 tokens, against WASM.
 * Prints a Markdown table and a JSON line.
 */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { analyzeDocument } from '../src/core/analyze';
import { previewSubject } from '../src/core/preview';
import { BalancingSimulation, biasUpdateFor, splitBatches } from '../src/core/router/balancing';
import type { RouterInputs } from '../src/core/router/cpu-router';
import { prepareOnnxRouter, type OrtLike, type PreparedRouter } from '../src/core/router/onnx-run';
import type { RouterConfig } from '../src/core/router/router-config';
import { syntheticInputs } from '../src/core/router/synthetic';
import { GpuTokens } from '../src/webview/gpu-tokens';
import { readFileSync } from 'node:fs';

const [webgpuDir, ortDir] = process.argv.slice(2);
if (!webgpuDir || !ortDir) throw new Error('usage: node webgpu-device.mjs WEBGPU_PACKAGE_DIR ORT_WASM_DIR');

const now = (): number => performance.now();
/** Progress on stderr: a crash inside Dawn or ORT then shows where it happened. */
const progress = (what: string): void => void process.stderr.write(`[${(now() / 1000).toFixed(1)} s] ${what}\n`);

// Dawn delivers async results (pipelines, mapAsync) only when Node's event loop wakes: keep a timer alive.
const keepAwake = setInterval(() => undefined, 1);
const { create, globals } = (await import(pathToFileURL(join(webgpuDir, 'index.js')).href)) as { create(flags: string[]): unknown; globals: object };
progress('Dawn loaded');
Object.assign(globalThis, globals);
Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]) }, configurable: true });
progress('navigator.gpu set');
const ort = await import('onnxruntime-web/webgpu');
ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;
ort.env.wasm.wasmPaths = { mjs: pathToFileURL(join(ortDir, 'ort-wasm-simd-threaded.asyncify.mjs')).href, wasm: pathToFileURL(join(ortDir, 'ort-wasm-simd-threaded.asyncify.wasm')).href };
ort.env.logLevel = 'error';

const gpu = (globalThis as unknown as { navigator: { gpu: { requestAdapter(): Promise<{ info?: Record<string, unknown>; isFallbackAdapter?: boolean } | null> } } }).navigator.gpu;
progress('WebGPU and ORT loaded');
const adapter = await gpu.requestAdapter();
// A Node-only pitfall (../shared/research/real-gpu-webgpu.md): Dawn's writeBuffer does not take a view on a
// SharedArrayBuffer, and ORT's threaded WebAssembly heap is one. A browser takes it; here it is copied first.
{
  type WriteBuffer = (buffer: unknown, offset: number, data: ArrayBufferLike | ArrayBufferView, dataOffset?: number, size?: number) => void;
  const device = await (adapter as unknown as { requestDevice(): Promise<{ queue: object; destroy(): void }> }).requestDevice();
  const queue = Object.getPrototypeOf(device.queue) as { writeBuffer: WriteBuffer };
  const write = queue.writeBuffer;
  queue.writeBuffer = function (this: unknown, buffer, offset, data, dataOffset, size) {
    const shared = data instanceof SharedArrayBuffer || (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer);
    const copy = !shared ? data : ArrayBuffer.isView(data) ? new (data.constructor as new (from: ArrayBufferView) => ArrayBufferView)(data) : new Uint8Array(new Uint8Array(data)).buffer;
    return write.call(this, buffer, offset, copy, dataOffset, size);
  } as WriteBuffer;
  device.destroy();
}
const adapterInfo = { vendor: adapter?.info?.vendor, architecture: adapter?.info?.architecture, description: adapter?.info?.description, isFallbackAdapter: adapter?.isFallbackAdapter ?? adapter?.info?.isFallbackAdapter };

const H = 2880;
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

function configOf(file: string, text: string, name?: string): { config: RouterConfig; spec: ReturnType<typeof analyzeDocument>['specs'][number] } {
  const specs = analyzeDocument(file, text).specs;
  const spec = (name ? specs.find((s) => s.name === name) : specs[0])!;
  const subject = previewSubject(spec, file, 1, specs);
  if ('error' in subject) throw new Error(subject.error);
  return { config: subject.router.config, spec };
}

const gptOssFile = 'examples/hf/gpt-oss-120b/config.json';
const gptOss = configOf(gptOssFile, readFileSync(gptOssFile, 'utf8')).config;

/**
 * Synthetic inputs: whole tokens (the graph at the model's width, as the rows before the panel's change measured
 * it), or, `inGateCoordinates`, the panel's own for a synthetic gate: E values a token (whitened.ts).
 */
const draw = (tokens: number, experts: number, inGateCoordinates = false): RouterInputs => {
  const drawn = syntheticInputs({ seed: 0, tokens, hidden: H, experts, distribution: { kind: 'isotropic' }, fullTokens: !inGateCoordinates });
  if (inGateCoordinates && !drawn.whitened) throw new Error('expected tokens in the gate\'s coordinates');
  return { tokens, hidden: drawn.hidden, hiddenStates: drawn.hiddenStates, gateWeight: drawn.gateWeight, gateBias: drawn.gateBias, selectionBias: new Float32Array(experts) };
};

async function prepare(config: RouterConfig, backend: 'webgpu' | 'wasm', outputs: 'counts' | 'choice' = 'counts', hidden = H): Promise<{ router: PreparedRouter; createMs: number }> {
  const start = now();
  const router = await prepareOnnxRouter(ort as unknown as OrtLike, config, hidden, { outputs, counts: backend === 'webgpu' ? 'mask' : 'indices', sessionOptions: { executionProviders: [backend], graphOptimizationLevel: 'all' }, now });
  return { router, createMs: now() - start };
}

/** One untimed first run, then the median of `runs`, each run awaited to its counts on the CPU. */
async function timeRuns(run: () => Promise<{ counts: Int32Array }>, runs: number): Promise<{ ms: number; counts: Int32Array }> {
  let counts = (await run()).counts;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = now();
    counts = (await run()).counts;
    times.push(now() - start);
  }
  return { ms: median(times), counts };
}

const l1 = (a: Int32Array, b: Int32Array): number => a.reduce((sum, v, i) => sum + Math.abs(v - b[i]!), 0);

const tokens = new GpuTokens(async () => ort);
const rows: [string, string][] = [];
const results: Record<string, number | string | object> = { adapter: adapterInfo };

// 16,384 tokens: from the CPU (the panel before) and resident (the panel now).
const T = 16_384;
const inputs16k = draw(T, gptOss.experts);
progress(`adapter ${JSON.stringify(adapterInfo)}; tokens drawn`);
const webgpu = await prepare(gptOss, 'webgpu');
progress(`WebGPU session created in ${webgpu.createMs.toFixed(0)} ms`);
const fromCpu = await timeRuns(() => webgpu.router.run(inputs16k), 7);
progress('runs with tokens from the CPU done');
const resident = await timeRuns(async () => webgpu.router.run(inputs16k, await tokens.feedsFor(inputs16k)), 7);
results.fromCpu16k = fromCpu.ms;
results.resident16k = resident.ms;
results.residentEqualsFromCpu = l1(fromCpu.counts, resident.counts);
rows.push([`WebGPU, ${T} tokens copied from a Float32Array each run (the panel before)`, `${fromCpu.ms.toFixed(1)} ms`]);
rows.push([`WebGPU, ${T} tokens resident on the GPU (GpuTokens, the panel now)`, `${resident.ms.toFixed(1)} ms`]);

progress('resident runs done');
// A router-only edit: top-4 → top-2, same tokens; its session is new (created once, timed apart).
const edited = await prepare({ ...gptOss, topK: 2 }, 'webgpu');
const reRun = await timeRuns(async () => edited.router.run(inputs16k, await tokens.feedsFor(inputs16k)), 7);
results.routerOnlyRerun16k = reRun.ms;
results.routerOnlySessionCreateMs = edited.createMs;
rows.push([`router-only re-run (top-4 → top-2) on resident tokens, ${T} tokens (target < 10 ms); its session was created once in ${edited.createMs.toFixed(0)} ms`, `${reRun.ms.toFixed(1)} ms`]);

progress('router-only re-runs done');
// 65,536 tokens: WASM against resident WebGPU.
const T64 = 65_536;
const inputs64k = draw(T64, gptOss.experts);
const wasm = await prepare(gptOss, 'wasm');
const wasm64 = await timeRuns(() => wasm.router.run(inputs64k), 3);
progress('WASM runs done');
const gpu64 = await timeRuns(async () => webgpu.router.run(inputs64k, await tokens.feedsFor(inputs64k)), 7);
results.wasm64k = wasm64.ms;
results.webgpuResident64k = gpu64.ms;
results.countsL1WasmVsWebgpu64k = l1(wasm64.counts, gpu64.counts);
rows.push([`WASM (1 thread), ${T64} tokens`, `${wasm64.ms.toFixed(0)} ms`]);
rows.push([`WebGPU resident, ${T64} tokens: ${(wasm64.ms / gpu64.ms).toFixed(0)}× WASM (target ≥ 50×); counts differ from WASM by L1 ${results.countsL1WasmVsWebgpu64k} of ${T64 * gptOss.topK}`, `${gpu64.ms.toFixed(1)} ms`]);

progress('65,536-token runs done');
// 1,000 balancing steps of 4,096 tokens, torchtitan's rule, as the Balancing tab runs them.
const balanceText = 'from torchtitan.models.moe import MoEArgs\n\nmoe = MoEArgs(num_experts=128, top_k=4, score_func="sigmoid", load_balance_coeff=1e-3)\n';
const balance = configOf('flavors.py', balanceText);
const rule = biasUpdateFor(balance.spec);
if (!('rule' in rule)) throw new Error(rule.unavailable);
const balanceStart = now();
const choiceGraph = await prepare(balance.config, 'webgpu', 'choice');
const balanceInputs = draw(T, balance.config.experts);
const batches: Float64Array[] = [];
for (const part of splitBatches(balanceInputs, 4)) batches.push(Float64Array.from((await choiceGraph.router.run(part, await tokens.feedsFor(part))).choice!));
const choiceMs = now() - balanceStart;
const simulation = new BalancingSimulation(balance.config, rule.rule, batches);
let last;
for (let s = 0; s < 1000; s++) last = simulation.step();
const balanceMs = now() - balanceStart;
results.balance1000 = balanceMs;
results.balanceChoiceMs = choiceMs;
results.balanceFinalMaxOverMean = last!.maxOverMean;
rows.push([`1,000 balancing steps of ${T / 4} tokens (choice values on the GPU in ${choiceMs.toFixed(0)} ms incl. session, steps in TypeScript; target < 10 s); final max/mean ${last!.maxOverMean.toFixed(2)}`, `${balanceMs.toFixed(0)} ms`]);

progress('balancing done');
// The panel now: a synthetic gate's tokens drawn in its 128 coordinates (the same logits; whitened.ts). Fresh
// tokens are uploaded with each run here (8 MB at 16,384), as after a change of seed or token count.
const E = gptOss.experts;
const drawStart = now();
const gate16k = draw(T, E, true);
const drawMs = now() - drawStart;
const webgpuGate = await prepare(gptOss, 'webgpu', 'counts', E);
const gateFromCpu = await timeRuns(() => webgpuGate.router.run(gate16k), 7);
const gateResident = await timeRuns(async () => webgpuGate.router.run(gate16k, await tokens.feedsFor(gate16k)), 7);
results.gateCoordinates = { drawMs16k: drawMs, fromCpu16k: gateFromCpu.ms, resident16k: gateResident.ms };
rows.push([`the panel now: ${T} tokens drawn in the gate's ${E} coordinates in TypeScript (incl. the gate's Cholesky factor)`, `${drawMs.toFixed(0)} ms`]);
rows.push([`WebGPU, those ${T} tokens copied from a Float32Array each run (8 MB)`, `${gateFromCpu.ms.toFixed(1)} ms`]);
rows.push([`WebGPU, those ${T} tokens resident`, `${gateResident.ms.toFixed(1)} ms`]);
const gate64k = draw(T64, E, true);
const wasmGate = await prepare(gptOss, 'wasm', 'counts', E);
const wasmGate64 = await timeRuns(() => wasmGate.router.run(gate64k), 3);
const gpuGate64 = await timeRuns(async () => webgpuGate.router.run(gate64k, await tokens.feedsFor(gate64k)), 7);
const gpuGate64FromCpu = await timeRuns(() => webgpuGate.router.run(gate64k), 7);
results.gateCoordinates = { ...(results.gateCoordinates as object), wasm64k: wasmGate64.ms, webgpuResident64k: gpuGate64.ms, webgpuFromCpu64k: gpuGate64FromCpu.ms, countsL1: l1(wasmGate64.counts, gpuGate64.counts) };
rows.push([`WASM (1 thread), ${T64} tokens in the gate's coordinates`, `${wasmGate64.ms.toFixed(0)} ms`]);
rows.push([`WebGPU, ${T64} tokens in the gate's coordinates, resident: ${(wasmGate64.ms / gpuGate64.ms).toFixed(0)}× WASM; copied each run: ${gpuGate64FromCpu.ms.toFixed(1)} ms (${(wasmGate64.ms / gpuGate64FromCpu.ms).toFixed(0)}×); counts differ from WASM by L1 ${l1(wasmGate64.counts, gpuGate64.counts)} of ${T64 * gptOss.topK}`, `${gpuGate64.ms.toFixed(1)} ms`]);

clearInterval(keepAwake);
console.log(`adapter: ${JSON.stringify(adapterInfo)}\n`);
console.log('| task | time |\n| --- | --- |');
for (const [task, time] of rows) console.log(`| ${task} | ${time} |`);
console.log(`\n${JSON.stringify(results)}`);
process.exit(0);
