/**
 * The panel's HTML. Pure (no `vscode` import) so the browser test loads exactly what users get.
 * CSP: per-load nonce for our one script, `'wasm-unsafe-eval'` for ONNX Runtime's WebAssembly, blobs the panel
 * makes itself (its ORT worker's script and WebAssembly), and only the webview's own resource origin; no inline
 * styles, no remote origins.
 */
export interface PreviewHtmlOptions {
  readonly nonce: string;
  /** `webview.cspSource`: the origin the webview's own resources are served from. */
  readonly cspSource: string;
  readonly scriptUri: string;
  readonly styleUri: string;
  /** Where ONNX Runtime's files are: the panel starts its WebAssembly before the config arrives. */
  readonly ortBaseUri?: string;
}

export function contentSecurityPolicy(options: Pick<PreviewHtmlOptions, 'nonce' | 'cspSource'>): string {
  const { nonce, cspSource } = options;
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}' 'wasm-unsafe-eval' ${cspSource}`,
    // blob: ORT's WebAssembly, which the panel fetches for its worker (src/webview/wasm-client.ts).
    `connect-src ${cspSource} blob:`,
    // The ORT worker, started from a blob of its script: the only worker.
    'worker-src blob:',
  ].join('; ');
}

export function previewHtml(options: PreviewHtmlOptions): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(options)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${options.styleUri}">
<title>MoE Lens: routing preview</title>
</head>
<body>
<main id="app" aria-busy="true"${options.ortBaseUri ? ` data-ort-base="${attribute(options.ortBaseUri)}"` : ''}>
  <header class="header">
    <div class="title"><h1 id="config-name">Routing preview</h1><span id="config-location" class="muted"></span></div>
    <div class="badges"><span id="semantics" class="semantics muted">Loading the config…</span><span id="backend" class="badge">…</span><span id="timing" class="muted"></span></div>
  </header>
  <section id="controls" class="controls" aria-label="Run settings"></section>
  <section id="status" class="status" role="status" aria-live="polite"></section>
  <section class="results">
    <div id="views" class="views"></div>
    <aside id="stats" class="stats" aria-label="Load statistics"></aside>
  </section>
  <footer class="footer" id="footer"></footer>
</main>
<script type="module" nonce="${options.nonce}" src="${options.scriptUri}"></script>
</body>
</html>`;
}

function attribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

/** A fresh nonce for each load of the panel, from the platform's CSPRNG. */
export function createNonce(): string {
  const bytes = new Uint8Array(24);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
