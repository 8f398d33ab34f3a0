/** The ORT worker's bundled text (dist/webview/wasm-worker.js), inlined into the panel's bundle by scripts/build.mjs. */
declare module 'ort-worker-source' {
  const source: string;
  export default source;
}
