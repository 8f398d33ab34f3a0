/**
 * Messages between the panel and its ORT worker (wasm-worker.ts), which runs onnxruntime-web's WASM backend off
 * the panel's thread. Every request names the whole session (graph and outputs), so any handler can answer it: the
 * worker, or the panel itself when the worker could not start (wasm-client.ts).
 */
import type { OnnxRouterResult } from '../core/router/onnx-session';
import type { RouterConfig } from '../core/router/router-config';

/** One graph and what it outputs, keyed as runner.ts caches sessions. */
export interface WasmSession {
  readonly key: string;
  readonly config: RouterConfig;
  readonly outputs: 'counts' | 'choice';
  /** The graph, built by the panel (buildRouterModel): the worker does not load the graph builder. */
  readonly model: Uint8Array;
}

/** A run's arrays, as Float32Arrays of their own (posted: their buffers are transferred). */
export interface WasmInputs {
  readonly tokens: number;
  readonly hidden: number;
  readonly hiddenStates: Float32Array;
  readonly gateWeight: Float32Array;
  readonly gateBias?: Float32Array;
  readonly selectionBias?: Float32Array;
  readonly tokenScale?: Float32Array;
  readonly expertScale?: Float32Array;
}

export type WasmRequest =
  /**
   * ORT's WebAssembly, fetched by the panel into a blob (a worker in a VS Code webview cannot load the webview's
   * resources: microsoft/vscode#315494, its requests hang), as that blob's URL: ORT fetches it from there and
   * compiles it as it reads it. Sent once, first.
   */
  | { readonly kind: 'start'; readonly wasmUrl: string }
  /** Starts a session (ORT too, the first time): the answer says it is ready. */
  | { readonly kind: 'prepare'; readonly id: number; readonly session: WasmSession }
  | { readonly kind: 'run'; readonly id: number; readonly session: WasmSession; readonly inputs: WasmInputs };

export type WasmResponse =
  | { readonly kind: 'prepared'; readonly id: number }
  | { readonly kind: 'ran'; readonly id: number; readonly result: OnnxRouterResult }
  | { readonly kind: 'failed'; readonly id: number; readonly message: string };
