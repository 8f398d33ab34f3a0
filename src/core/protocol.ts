/**
 * The routing-preview protocol: one map per direction, keyed by message type (`area/verb`). Both sides
 * switch over these exhaustively; the host validates every webview message with `parseWebviewMessage`
 * before use. Documented in docs/protocol.md.
 */
import type { BiasUpdateRule } from './router/balancing';
import type { RouterConfig } from './router/router-config';
import { ROUTER_VECTOR_KINDS, ROUTER_VECTORS, routerVectorLength, type RouterVector } from './router/safetensors';

/** A router the panel can run: the bound config, or a comparison variant of it. */
export interface PreviewRouter {
  readonly id: string;
  readonly label: string;
  readonly config: RouterConfig;
}

export interface PreviewSubject {
  /** Config name (flavor, builder or file label), file and 1-based line. */
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly router: PreviewRouter;
  /** Hidden size the config or checkpoint implies, to prefill the control. */
  readonly hidden?: number;
  /** Strategies to compare on the same tokens (flip order, selection bias on/off, other configs). */
  readonly comparisons: readonly PreviewRouter[];
  /** The config's selection bias is learned: synthetic inputs start it at zero, as training does. */
  readonly learnedSelectionBias?: boolean;
  /** The framework's own bias update, for the Balancing tab; absent where the router has no bias to balance. */
  readonly balancing?: BiasUpdateRule;
  /** Layers that route by token id, not by this router (RouterSpec.tokenIdLayers): a checkpoint's are not shown. */
  readonly tokenIdLayers?: { readonly layers: readonly number[]; readonly source: string };
}

/**
 * Every layer's router from a checkpoint, read by the host (headers and router tensors only, by byte range).
 * The arrays travel as typed arrays: VS Code (engines ≥ 1.57) transfers their ArrayBuffers to the webview
 * without JSON, so gpt-oss-120b's 36 × 128 × 2880 floats (53 MB) are one message. Each array owns its buffer.
 */
export interface RouterWeights {
  /** The file or index read, as the user knows it (workspace-relative where it can be). */
  readonly source: string;
  /** The naming convention found (`HF gpt-oss`, `HF DeepSeek/Qwen/OLMoE`, `torchtitan`, …): one per checkpoint. */
  readonly convention: string;
  /** The model's layer numbers that have a router, ascending (dense layers have none). */
  readonly layers: readonly number[];
  readonly experts: number;
  readonly hidden: number;
  /** [layers, experts, hidden], row-major: layer i's gate weight is `weight.subarray(i·E·H, (i+1)·E·H)`. */
  readonly weight: Float32Array;
  /** [layers, experts]: the router Linear's bias (gpt-oss, torchtitan `router.gate.bias`), when the checkpoint has one. */
  readonly bias?: Float32Array;
  /** [layers, experts]: the learned selection bias (`e_score_correction_bias`, `expert_bias`): the bias that routes. */
  readonly selectionBias?: Float32Array;
  /** [layers, hidden]: Gemma 4's learned scale of the normed token. */
  readonly tokenScale?: Float32Array;
  /** [layers, experts]: Gemma 4's learned scale of each chosen weight. */
  readonly expertScale?: Float32Array;
  /** The first router layer's tensor names, to show what was read. */
  readonly names: readonly string[];
  readonly readMs: number;
  /** Bytes read from disk: headers, the index and the router tensors. */
  readonly bytesRead: number;
}

/** The checkpoint's routers without the given layers (views where nothing is dropped, copies otherwise). */
export function withoutLayers(weights: RouterWeights, drop: readonly number[]): RouterWeights {
  const keep = weights.layers.flatMap((layer, row) => (drop.includes(layer) ? [] : [row]));
  if (keep.length === weights.layers.length) return weights;
  const rows = (array: Float32Array, width: number): Float32Array => {
    const out = new Float32Array(keep.length * width);
    keep.forEach((row, i) => out.set(array.subarray(row * width, (row + 1) * width), i * width));
    return out;
  };
  const { experts: E, hidden: H } = weights;
  const vectors: { [K in RouterVector]?: Float32Array } = {};
  for (const kind of ROUTER_VECTOR_KINDS) {
    const vector = weights[kind];
    if (vector) vectors[kind] = rows(vector, routerVectorLength(kind, E, H));
  }
  return { ...weights, layers: keep.map((row) => weights.layers[row]!), weight: rows(weights.weight, E * H), ...vectors };
}

/** Why a `preview/weights` body cannot be used (sizes that disagree); undefined when it can. */
export function checkRouterWeights(weights: RouterWeights): string | undefined {
  const { layers, experts: E, hidden: H } = weights;
  const L = layers.length;
  const whole = (n: number): boolean => Number.isSafeInteger(n) && n > 0;
  if (!Array.isArray(layers) || !whole(L) || !layers.every((l) => Number.isSafeInteger(l) && l >= 0)) return 'the router weights name no layers';
  if (!whole(E) || !whole(H)) return 'the router weights have no expert count or hidden size';
  if (!(weights.weight instanceof Float32Array) || weights.weight.length !== L * E * H) return `the router weights hold ${weights.weight?.length} floats, not ${L} layers × ${E} experts × ${H}`;
  for (const kind of ROUTER_VECTOR_KINDS) {
    const vector = weights[kind];
    const length = routerVectorLength(kind, E, H);
    if (vector !== undefined && (!(vector instanceof Float32Array) || vector.length !== L * length)) return `the ${ROUTER_VECTORS[kind].what} holds ${vector?.length} floats, not ${L} layers × ${length} ${ROUTER_VECTORS[kind].along}`;
  }
  return undefined;
}

export interface HostToWebview {
  /** First data after `preview/ready`, and again whenever the bound config changes. */
  /** `cli`: the words that run the extension's own CLI, for "Copy as CLI command" (`npx moe-lens` if absent). */
  'preview/subject': { readonly subject: PreviewSubject; readonly ortBaseUri: string; readonly cli?: string };
  /** The bound config can no longer be routed (parse failure, invalid values): show why. */
  'preview/error': { readonly message: string };
  /** The host is reading a checkpoint's routers ("Load router weights…" or `moeLens.preview.routerWeights`). */
  'preview/weights-loading': { readonly source: string };
  /** Every layer's router, read from a checkpoint: the panel routes its tokens through each. */
  'preview/weights': { readonly weights: RouterWeights };
  /** The checkpoint could not be read: one sentence naming the file and the tensor. The panel keeps what it had. */
  'preview/weights-error': { readonly message: string };
}

export interface WebviewToHost {
  /** Sent once the page is listening; the host answers with `preview/subject`. */
  'preview/ready': Record<string, never>;
  /** Copy text (the reproducing `moe-lens route` command) to the clipboard. */
  'preview/copy': { readonly text: string };
  /** Save the current results as JSON through a save dialog. */
  'preview/export': { readonly json: string };
  /** Something worth logging in the extension's output channel. */
  'preview/log': { readonly level: 'info' | 'warn' | 'error'; readonly message: string };
  /** "Load router weights…": the host asks for a .safetensors file or a sharded checkpoint's index, then reads its routers. */
  'preview/pick-weights': Record<string, never>;
}

export type Envelope<M> = { [K in keyof M]: { readonly type: K; readonly body: M[K] } }[keyof M];
export type HostMessage = Envelope<HostToWebview>;
export type WebviewMessage = Envelope<WebviewToHost>;

const MAX_TEXT = 4096;
const MAX_JSON = 64 * 1024 * 1024;

/**
 * One validator per message the webview may send, typed from `WebviewToHost`: a message added to the protocol
 * without a validator fails to compile, and so does a validator whose result does not fit its message.
 */
const WEBVIEW_MESSAGE_BODIES: { readonly [K in keyof WebviewToHost]: (body: Record<string, unknown>) => WebviewToHost[K] | undefined } = {
  'preview/ready': (body) => (Object.keys(body).length === 0 ? {} : undefined),
  'preview/copy': (body) => (typeof body.text === 'string' && body.text.length <= MAX_TEXT ? { text: body.text } : undefined),
  'preview/export': (body) => (typeof body.json === 'string' && body.json.length <= MAX_JSON ? { json: body.json } : undefined),
  'preview/log': (body) =>
    (body.level === 'info' || body.level === 'warn' || body.level === 'error') && typeof body.message === 'string' ? { level: body.level, message: body.message.slice(0, MAX_TEXT) } : undefined,
  'preview/pick-weights': (body) => (Object.keys(body).length === 0 ? {} : undefined),
};

/** The types the host sends, for the webview's filter of window messages (typed: a new message must be listed). */
const HOST_MESSAGE_TYPES: { readonly [K in keyof HostToWebview]: true } = {
  'preview/subject': true,
  'preview/error': true,
  'preview/weights-loading': true,
  'preview/weights': true,
  'preview/weights-error': true,
};

export function isHostMessageType(type: unknown): type is keyof HostToWebview {
  return typeof type === 'string' && Object.hasOwn(HOST_MESSAGE_TYPES, type);
}

/** Validates an untrusted message from the webview; returns undefined for anything malformed. */
export function parseWebviewMessage(raw: unknown): WebviewMessage | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const { type, body } = raw as { type?: unknown; body?: unknown };
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  if (typeof type !== 'string' || !Object.hasOwn(WEBVIEW_MESSAGE_BODIES, type)) return undefined;
  const key = type as keyof WebviewToHost;
  const parsed = WEBVIEW_MESSAGE_BODIES[key](body as Record<string, unknown>);
  return parsed === undefined ? undefined : ({ type: key, body: parsed } as WebviewMessage);
}
