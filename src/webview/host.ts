/** Typed messaging with the extension host, and persisted UI state. */
import { isHostMessageType, type HostMessage, type WebviewMessage } from '../core/protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const api: VsCodeApi = acquireVsCodeApi();

export function send(message: WebviewMessage): void {
  api.postMessage(message);
}

export function onMessage(handler: (message: HostMessage) => void): void {
  window.addEventListener('message', (event: MessageEvent) => {
    const data = event.data as { type?: unknown } | undefined;
    if (data && isHostMessageType(data.type)) handler(data as HostMessage);
  });
}

export function loadState<T>(): Partial<T> {
  const state = api.getState();
  return state && typeof state === 'object' ? (state as Partial<T>) : {};
}

export function saveState<T>(state: T): void {
  api.setState(state);
}
