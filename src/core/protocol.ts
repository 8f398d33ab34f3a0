/**
 * The routing-preview protocol: one map per direction, keyed by message type (`area/verb`). Both sides
 * switch over these exhaustively; the host validates every webview message with `parseWebviewMessage`
 * before use. Documented in docs/protocol.md.
 */
import type { RouterConfig } from './router/router-config';

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
}

export interface HostToWebview {
  /** First data after `preview/ready`, and again whenever the bound config changes. */
  /** `cli`: the words that run the extension's own CLI, for "Copy as CLI command" (`npx moe-lens` if absent). */
  'preview/subject': { readonly subject: PreviewSubject; readonly ortBaseUri: string; readonly cli?: string };
  /** The bound config can no longer be routed (parse failure, invalid values): show why. */
  'preview/error': { readonly message: string };
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
};

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
