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
  'preview/subject': { readonly subject: PreviewSubject; readonly ortBaseUri: string };
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

/** Validates an untrusted message from the webview; returns undefined for anything malformed. */
export function parseWebviewMessage(raw: unknown): WebviewMessage | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const { type, body } = raw as { type?: unknown; body?: unknown };
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  switch (type) {
    case 'preview/ready':
      return Object.keys(record).length === 0 ? { type, body: {} } : undefined;
    case 'preview/copy':
      return typeof record.text === 'string' && record.text.length <= MAX_TEXT ? { type, body: { text: record.text } } : undefined;
    case 'preview/export':
      return typeof record.json === 'string' && record.json.length <= MAX_JSON ? { type, body: { json: record.json } } : undefined;
    case 'preview/log':
      return (record.level === 'info' || record.level === 'warn' || record.level === 'error') && typeof record.message === 'string'
        ? { type, body: { level: record.level, message: record.message.slice(0, MAX_TEXT) } }
        : undefined;
    default:
      return undefined;
  }
}
