/**
 * onnxruntime-web's WebGPU build, as its own module: the panel loads it only when a run goes to WebGPU (runner.ts).
 * Its asyncify WebAssembly (27 MB) takes about 1.5 s more to start than the plain build WASM runs use.
 */
export * from 'onnxruntime-web/webgpu';
