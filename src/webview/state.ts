/** The panel's run settings, their defaults and limits, and what "Export JSON" writes: data, no DOM. */
import type { LoadStats } from '../core/router/stats';
import type { BackendChoice } from './runner';

export interface Controls {
  tokens: number;
  hidden: number;
  distribution: 'isotropic' | 'clustered';
  clusters: number;
  seed: number;
  capacityFactor: number;
  ep: number;
  compare: string;
  backend: BackendChoice;
  sorted: boolean;
  autoRun: boolean;
}

export const DEFAULTS: Controls = { tokens: 4096, hidden: 2048, distribution: 'isotropic', clusters: 8, seed: 0, capacityFactor: 1.25, ep: 1, compare: 'none', backend: 'auto', sorted: false, autoRun: true };
/** Token values the panel holds (256 MB of floats); `moe-lens route` for more. */
export const MAX_ELEMENTS = 1 << 26;

/**
 * Why the settings cannot run, in one sentence; undefined when they can. `width`: the values a token is drawn
 * with (the hidden size, or the expert count in the gate's coordinates: syntheticWidth).
 */
export function validateControls(controls: Controls, experts: number, width: number): string | undefined {
  const { tokens, hidden, clusters, capacityFactor, ep, seed } = controls;
  if (!Number.isInteger(tokens) || tokens < 1 || tokens > 1 << 20) return 'tokens must be an integer from 1 to 1,048,576';
  if (!Number.isInteger(hidden) || hidden < 1 || hidden > 65536) return 'hidden size must be an integer from 1 to 65,536';
  if (tokens * width > MAX_ELEMENTS) {
    const what = width === hidden ? 'tokens × hidden' : `tokens × ${width} (the gate's coordinates)`;
    return `${what} = ${tokens * width} floats is more than this panel holds (${MAX_ELEMENTS}); use moe-lens route for larger runs`;
  }
  if (!Number.isInteger(clusters) || clusters < 1) return 'clusters must be a positive integer';
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) return 'seed must be an integer from 0 to 4294967295';
  if (!(capacityFactor > 0)) return 'capacity factor must be positive';
  if (!Number.isInteger(ep) || ep < 1 || ep > experts) return 'EP size must be between 1 and the number of experts';
  return undefined;
}

/** What "Export JSON" writes and "Copy as CLI command" copies from: the last result. */
export interface ExportPayload {
  readonly config: { readonly name: string; readonly file: string; readonly line: number };
  readonly semantics: string;
  readonly backend: string;
  readonly adapter: string;
  readonly controls: Controls;
  readonly counts: number[];
  readonly stats: LoadStats;
  readonly compare?: { readonly label: string; readonly semantics: string; readonly counts: number[]; readonly stats: LoadStats };
  readonly timeMs: { readonly router: number; readonly total: number };
  /** The `moe-lens route` line that reproduces the run. */
  readonly command: string;
  /** A checkpoint's routers, every layer: the loads the heatmap shows; `counts` above are `selectedLayer`'s. */
  readonly weights?: {
    readonly source: string;
    readonly convention: string;
    readonly hidden: number;
    readonly selectedLayer: number;
    readonly layers: { readonly layer: number; readonly counts: number[]; readonly stats: LoadStats }[];
  };
}
