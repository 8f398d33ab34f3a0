// Bundles with esbuild: the extension (CommonJS for the extension host), the CLI (CommonJS for Node).
// `--watch` rebuilds on change; `--production` minifies and drops source maps.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: production ? false : 'linked',
  minify: production,
  legalComments: 'none',
  define: { MOE_LENS_VERSION: JSON.stringify(version) },
  logLevel: 'warning',
  // jsonc-parser's UMD build uses dynamic requires esbuild cannot follow; its ESM build bundles cleanly.
  mainFields: ['module', 'main'],
};

const builds = [
  { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  // The engine's thread in the editor: the extension host only sends it texts (src/extension/analysis/).
  { ...common, entryPoints: ['src/extension/analysis/worker.ts'], outfile: 'dist/analysis-worker.js' },
  // `node dist/cli.js` (and bin/moe-lens.js) starts the launcher, which loads the engine through V8's code cache.
  { ...common, entryPoints: ['src/cli/launch.ts'], outfile: 'dist/cli.js' },
  {
    ...common,
    entryPoints: ['src/cli/entry.ts'],
    outfile: 'dist/cli-main.js',
    external: ['onnxruntime-node', './cli-route.js'],
    define: { ...common.define, MOE_LENS_ROUTE_MODULE: JSON.stringify('./cli-route.js') },
  },
  // `moe-lens route` (ONNX builder, protobuf runtime, checkpoint reader) loads only when used.
  // Without onnxruntime-node (the CLI inside the VSIX), `route` runs onnxruntime-web's Node build, which reads
  // `import.meta.url`; CommonJS has none, so it is this file's URL.
  {
    ...common,
    entryPoints: ['src/cli/commands/route.ts'],
    outfile: 'dist/cli-route.js',
    external: ['onnxruntime-node'],
    define: { ...common.define, 'import.meta.url': '__moeLensModuleUrl' },
    banner: { js: "const __moeLensModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  },
];

// The panel: an ES module for the browser. `onnxruntime-web-use-extern-wasm` picks ORT's variant that loads
// its WebAssembly glue from env.wasm.wasmPaths instead of embedding it; only the files ORT_FILES names are shipped.
builds.push({
  ...common,
  platform: 'browser',
  format: 'esm',
  target: 'chrome120',
  entryPoints: ['src/webview/main.ts'],
  outfile: 'dist/webview/main.js',
  conditions: ['onnxruntime-web-use-extern-wasm'],
  mainFields: ['module', 'browser', 'main'],
});
// ORT's WebGPU build, loaded by the panel only for a WebGPU run (src/webview/runner.ts): its own module, with
// its own copy of ORT's registry, so that the plain build's `wasm` backend and this one never meet.
builds.push({
  ...common,
  platform: 'browser',
  format: 'esm',
  target: 'chrome120',
  entryPoints: ['src/webview/ort-webgpu.ts'],
  outfile: 'dist/webview/ort-webgpu.js',
  conditions: ['onnxruntime-web-use-extern-wasm'],
  mainFields: ['module', 'browser', 'main'],
});
// The panel's ORT worker (src/webview/wasm-worker.ts): ORT's plain WASM build with its glue embedded (no
// `onnxruntime-web-use-extern-wasm`), since a worker in a VS Code webview cannot load the webview's resources. Its
// text is also inlined into the panel's bundle (`import source from 'ort-worker-source'`), which starts the worker
// from a blob of it at once, without fetching it first; the file itself is what the panel imports where no
// worker can start.
const ortWorker = {
  ...common,
  platform: 'browser',
  format: 'esm',
  target: 'chrome120',
  entryPoints: ['src/webview/wasm-worker.ts'],
  outfile: 'dist/webview/wasm-worker.js',
  sourcemap: false,
  mainFields: ['module', 'browser', 'main'],
};
builds.push(ortWorker);
/** Resolves `ort-worker-source` to the ORT worker's bundled text (rebuilt, and watched, with the panel). */
const ortWorkerSource = {
  name: 'ort-worker-source',
  setup(build) {
    build.onResolve({ filter: /^ort-worker-source$/ }, () => ({ path: 'ort-worker-source', namespace: 'ort-worker' }));
    build.onLoad({ filter: /.*/, namespace: 'ort-worker' }, async () => {
      const result = await esbuild.build({ ...ortWorker, write: false, metafile: true });
      return { contents: result.outputFiles[0].text, loader: 'text', watchFiles: Object.keys(result.metafile.inputs) };
    });
  },
};
builds.find((options) => options.outfile === 'dist/webview/main.js').plugins = [ortWorkerSource];
export const ORT_FILES = ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];
mkdirSync('dist/ort', { recursive: true });
mkdirSync('dist/webview', { recursive: true });
for (const file of ORT_FILES) copyFileSync(`node_modules/onnxruntime-web/dist/${file}`, `dist/ort/${file}`);
copyFileSync('media/preview.css', 'dist/webview/preview.css');

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
