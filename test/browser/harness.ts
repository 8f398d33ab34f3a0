/**
 * Serves the built panel exactly as the extension builds it (previewHtml, same CSP) on 127.0.0.1, with a
 * stand-in for `acquireVsCodeApi` that answers `preview/ready` with a subject, and drives Debian Chromium.
 */
import { readFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { analyzeDocument } from '../../src/core/analyze';
import { previewSubject } from '../../src/core/preview';
import type { PreviewSubject } from '../../src/core/protocol';
import { createNonce, previewHtml } from '../../src/extension/preview-html';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan',
  // Chromium 156 preloads its omnibox popup (a WebUI page, chrome://omnibox-popup.top-chrome) in a renderer of its
  // own with every new page, even headless: 0.7–1.1 s of CPU beside the page under test, on a 2-core machine. It
  // is not part of a VS Code webview; with it, the panel's first histogram measured 0.72 s, without it 0.62 s.
  '--disable-features=PreloadTopChromeWebUI,WebUIOmniboxPopup,WebUIOmniboxAimPopup',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const MIME: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.html': 'text/html', '.map': 'application/json' };
const SERVED = ['dist/webview/', 'dist/ort/', 'test/browser/theme.css'];

export interface Harness {
  readonly origin: string;
  readonly browser: Browser;
  /** Every URL any opened page requested, from its first navigation on. */
  readonly requests: readonly string[];
  /** `page`: changes the panel's HTML before it is served (a test of another host's CSP). */
  open(subject: PreviewSubject, state?: object, page?: { html?: (html: string) => string }): Promise<Page>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  let origin = '';
  const pages = new Map<string, string>();
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    if (pages.has(path)) {
      response.writeHead(200, { 'content-type': 'text/html' }).end(pages.get(path));
      return;
    }
    const file = normalize(join(ROOT, path));
    if (!SERVED.some((prefix) => path.startsWith(prefix)) || !file.startsWith(ROOT) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (!existsSync(CHROMIUM)) {
    server.close();
    throw new Error(`Chromium is not at ${CHROMIUM}: install Debian's (apt-get install chromium) or set CHROMIUM_PATH.`);
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  let counter = 0;
  const requests: string[] = [];

  return {
    origin,
    browser,
    requests,
    async open(subject, state = {}, options = {}) {
      const nonce = createNonce();
      const html = previewHtml({ nonce, cspSource: origin, scriptUri: `${origin}/dist/webview/main.js`, styleUri: `${origin}/dist/webview/preview.css`, ortBaseUri: `${origin}/dist/ort/` });
      const message = { type: 'preview/subject', body: { subject, ortBaseUri: `${origin}/dist/ort/` } };
      const shim = `<link rel="stylesheet" href="${origin}/test/browser/theme.css">
<script nonce="${nonce}">
window.__posted = []; window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
const initialState = ${JSON.stringify(state)};
window.acquireVsCodeApi = () => ({
  postMessage: (m) => { window.__posted.push(m); if (m.type === 'preview/ready') window.postMessage(${JSON.stringify(message)}, '*'); },
  getState: () => initialState,
  setState: (s) => { window.__state = s; },
});
</script>`;
      const name = `page-${counter++}.html`;
      const served = html.replace('</title>', `</title>\n${shim}`);
      pages.set(name, options.html ? options.html(served) : served);
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`${origin}/${name}`);
      return page;
    },
    async close() {
      await browser.close();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

export async function waitForRun(page: Page, timeoutMs = 120_000): Promise<{ state: string; backend: string; counts: number[]; compareCounts: number[] | undefined; runMs: number; totalMs: number }> {
  await page.waitForFunction(() => ['done', 'error', 'invalid'].includes(document.getElementById('app')?.dataset.state ?? ''), undefined, { timeout: timeoutMs });
  return page.evaluate(() => {
    const data = document.getElementById('app')!.dataset;
    return {
      state: data.state ?? '',
      backend: data.backend ?? '',
      counts: data.counts ? JSON.parse(data.counts) : [],
      compareCounts: data.compareCounts ? JSON.parse(data.compareCounts) : undefined,
      runMs: Number(data.runMs),
      totalMs: Number(data.totalMs),
      status: document.getElementById('status')?.textContent ?? '',
    };
  });
}

/**
 * The preview subject of a config file, as the extension builds it: the file read from the repository (or `text`),
 * its first config or the one `name`d. Throws when the config cannot be routed.
 */
export function subjectFor(file: string, options: { text?: string; name?: string } = {}): PreviewSubject {
  const specs = analyzeDocument(file, options.text ?? readFileSync(join(ROOT, file), 'utf8')).specs;
  const spec = options.name ? specs.find((s) => s.name === options.name) : specs[0];
  if (!spec) throw new Error(`${file} has no config${options.name ? ` named ${options.name}` : ''}`);
  const subject = previewSubject(spec, file, 1, specs);
  if ('error' in subject) throw new Error(subject.error);
  return subject;
}
