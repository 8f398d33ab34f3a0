/**
 * Builds the router graph for a config and opens it with any onnxruntime flavour (onnx-session.ts); a round-robin
 * config, whose routing ignores the router, runs in the reference instead.
 */
import { buildRouterModel, type GraphOptions } from './onnx-graph';
import type { RouterConfig } from './router-config';
import { routeReference } from './cpu-router';
import { openRouterSession, type OrtLike, type PreparedRouter } from './onnx-session';

export type { OnnxRouterResult, OrtLike, PreparedRouter, ResidentFeeds, TensorLike } from './onnx-session';

/** A round-robin config's router: the reference assigns experts by token index (no graph). */
export function referenceRouter(config: RouterConfig, outputs: 'counts' | 'full', now: () => number = () => Date.now()): PreparedRouter {
  return {
    async run(inputs) {
      const start = now();
      const out = routeReference(config, inputs);
      const runMs = now() - start;
      return { counts: out.counts, ...(outputs === 'full' ? { indices: out.indices, weights: Float32Array.from(out.weights) } : {}), runMs, engine: 'reference' };
    },
    async release() {},
  };
}

export async function prepareOnnxRouter(
  ort: OrtLike,
  config: RouterConfig,
  hidden: number,
  options: { outputs: 'counts' | 'full' | 'choice'; counts?: GraphOptions['counts']; sessionOptions?: object; now?: () => number },
): Promise<PreparedRouter> {
  if (config.roundRobin && options.outputs !== 'choice') return referenceRouter(config, options.outputs, options.now);
  const model = buildRouterModel(config, { hidden, outputs: options.outputs, ...(options.counts ? { counts: options.counts } : {}) });
  return openRouterSession(ort, model, config, options);
}
