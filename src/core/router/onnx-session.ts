/**
 * Runs a router graph (onnx-graph.ts) with any onnxruntime flavour (node in the CLI, web in the panel): both expose
 * the same API, described here structurally so the core imports neither. Apart from the graph builder, so that a
 * graph built elsewhere runs without it (the panel's ORT worker: src/webview/wasm-worker.ts).
 */
import { GRAPH_INPUTS } from './graph-inputs';
import type { RouterConfig } from './router-config';
import type { RouterInputs } from './cpu-router';

export interface TensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
}
interface SessionLike {
  run(feeds: Record<string, TensorLike>): Promise<Record<string, TensorLike>>;
  release?(): Promise<void>;
}
export interface OrtLike {
  readonly InferenceSession: { create(model: Uint8Array, options?: object): Promise<SessionLike> };
  readonly Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => TensorLike;
}

export interface OnnxRouterResult {
  readonly counts: Int32Array;
  readonly indices?: Int32Array;
  readonly weights?: Float32Array;
  /** With `outputs: 'choice'`: the pre-bias values top-k compares, [T,E]. */
  readonly choice?: Float32Array;
  readonly runMs: number;
  /** `reference` for round-robin configs, whose routing ignores the router and needs no graph. */
  readonly engine: 'onnx' | 'reference';
}

/** Inputs already in the backend's memory (the panel keeps WebGPU runs' tokens on the GPU): used instead of the arrays. */
export interface ResidentFeeds {
  /** The tokens, [T, H], as `inputs.hiddenStates` holds them. */
  readonly hiddenStates?: TensorLike;
}

export interface PreparedRouter {
  run(inputs: RouterInputs, resident?: ResidentFeeds): Promise<OnnxRouterResult>;
  release(): Promise<void>;
}

const asFloat32 = (values: ArrayLike<number>): Float32Array => (values instanceof Float32Array ? values : Float32Array.from(values));

export interface SessionOptions {
  /** What the graph outputs (as it was built with). */
  readonly outputs: 'counts' | 'full' | 'choice';
  /** ORT's own session options. */
  readonly sessionOptions?: object;
  readonly now?: () => number;
}

/** A session for `model`, the graph buildRouterModel built for `config`, fed and read as that graph expects. */
export async function openRouterSession(ort: OrtLike, model: Uint8Array, config: RouterConfig, options: SessionOptions): Promise<PreparedRouter> {
  const now = options.now ?? (() => Date.now());
  const session = await ort.InferenceSession.create(model, options.sessionOptions);
  return {
    async run(inputs, resident) {
      const E = config.experts;
      const feeds: Record<string, TensorLike> = {
        [GRAPH_INPUTS.hidden]: resident?.hiddenStates ?? new ort.Tensor('float32', asFloat32(inputs.hiddenStates), [inputs.tokens, inputs.hidden]),
        [GRAPH_INPUTS.weight]: new ort.Tensor('float32', asFloat32(inputs.gateWeight), [E, inputs.hidden]),
      };
      if (config.routerBias) feeds[GRAPH_INPUTS.bias] = new ort.Tensor('float32', asFloat32(inputs.gateBias ?? new Float32Array(E)), [E]);
      if (config.selectionBias && options.outputs !== 'choice') feeds[GRAPH_INPUTS.selection] = new ort.Tensor('float32', asFloat32(inputs.selectionBias ?? new Float32Array(E)), [E]);
      if (config.tokenNorm) feeds[GRAPH_INPUTS.tokenScale] = new ort.Tensor('float32', asFloat32(inputs.tokenScale ?? new Float32Array(inputs.hidden).fill(1)), [inputs.hidden]);
      if (config.expertScale && options.outputs === 'full') feeds[GRAPH_INPUTS.expertScale] = new ort.Tensor('float32', asFloat32(inputs.expertScale ?? new Float32Array(E).fill(1)), [E]);
      const start = now();
      const out = await session.run(feeds);
      const runMs = now() - start;
      if (out.choice) return { counts: new Int32Array(E), choice: out.choice.data as Float32Array, runMs, engine: 'onnx' };
      return {
        counts: out.counts!.data as Int32Array,
        ...(out.indices ? { indices: out.indices.data as Int32Array, weights: out.weights!.data as Float32Array } : {}),
        runMs,
        engine: 'onnx',
      };
    },
    async release() {
      await session.release?.();
    },
  };
}
