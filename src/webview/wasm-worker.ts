/**
 * onnxruntime-web's WASM backend, as a module of its own (dist/webview/wasm-worker.js), with ORT's glue code inside
 * (its "bundle" build) so that it loads nothing by itself but its WebAssembly. The panel starts it as a dedicated
 * worker (wasm-client.ts): ORT's start-up (its 14 MB WebAssembly compiled lazily as it runs, its runtime and first
 * session: one task of ~0.25 s) and every run then leave the panel's thread free. Where no worker can start, the
 * panel imports this module and calls `answer` itself, after `useFiles`.
 */
import * as ort from 'onnxruntime-web/wasm';
import { openRouterSession, type OrtLike, type PreparedRouter } from '../core/router/onnx-session';
import type { WasmRequest, WasmResponse, WasmSession } from './wasm-protocol';

type Request = Exclude<WasmRequest, { kind: 'start' }>;

const sessions = new Map<string, Promise<PreparedRouter>>();
let handOver!: (configure: () => void) => void;
/** Where ORT gets its WebAssembly: a blob the panel fetched (`start`), or its file (`useFiles`). */
const configured = new Promise<() => void>((resolve) => (handOver = resolve)).then((configure) => {
  ort.env.wasm.numThreads = 1; // webviews are not cross-origin isolated
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  configure();
});

/** In the panel (no worker): ORT fetches its WebAssembly from `ortBase`, as the page may. */
export function useFiles(ortBase: string): void {
  handOver(() => (ort.env.wasm.wasmPaths = { wasm: `${ortBase}ort-wasm-simd-threaded.wasm` }));
}

async function session(spec: WasmSession): Promise<PreparedRouter> {
  await configured;
  let prepared = sessions.get(spec.key);
  if (!prepared) {
    prepared = openRouterSession(ort as unknown as OrtLike, spec.model, spec.config, {
      outputs: spec.outputs,
      sessionOptions: { executionProviders: ['wasm'], graphOptimizationLevel: 'all' },
      now: () => performance.now(),
    });
    sessions.set(spec.key, prepared);
    prepared.catch(() => sessions.delete(spec.key));
  }
  return prepared;
}

/** Answers one request; failures are answers too (`failed`, with ORT's message). */
export async function answer(request: Request): Promise<WasmResponse> {
  try {
    const router = await session(request.session);
    if (request.kind === 'prepare') return { kind: 'prepared', id: request.id };
    return { kind: 'ran', id: request.id, result: await router.run(request.inputs) };
  } catch (error) {
    return { kind: 'failed', id: request.id, message: error instanceof Error ? error.message : String(error) };
  }
}

/** The buffers a response hands back without a copy: arrays that are a whole buffer of their own (ORT copies its outputs out of its memory). */
function transferables(response: WasmResponse): ArrayBuffer[] {
  if (response.kind !== 'ran') return [];
  const { counts, choice, indices, weights } = response.result;
  return [counts, choice, indices, weights].flatMap((array) =>
    array && array.buffer instanceof ArrayBuffer && array.byteOffset === 0 && array.byteLength === array.buffer.byteLength ? [array.buffer] : [],
  );
}

interface WorkerScope {
  addEventListener(type: 'message', listener: (event: MessageEvent<WasmRequest>) => void): void;
  postMessage(message: WasmResponse, transfer: Transferable[]): void;
}

// As a worker (no document), answer the panel's messages; imported into the panel, only export.
if (typeof document === 'undefined') {
  const scope = globalThis as unknown as WorkerScope;
  scope.addEventListener('message', ({ data: request }) => {
    if (request.kind === 'start') handOver(() => (ort.env.wasm.wasmPaths = { wasm: request.wasmUrl }));
    else void answer(request).then((response) => scope.postMessage(response, transferables(response)));
  });
}
