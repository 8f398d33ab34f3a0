/**
 * Tokens kept on the GPU between WebGPU runs. Copying 16,384 × 2880 tokens from a Float32Array to the GPU took
 * ~150 of the 158 ms a run took on an H200, the graph itself 4.5 ms (../shared/research/real-gpu-webgpu.md): a
 * run on the same tokens (a router-only edit, another layer of a checkpoint, the Balancing tab) reuses them. The
 * panel draws tokens once per seed and shape and passes the same array, so the array's identity is the key.
 * The panel (runner.ts) and the GPU bench (bench/webgpu-device.mts) share this.
 */
import type * as ortWeb from 'onnxruntime-web/webgpu';
import type { RouterInputs } from '../core/router/cpu-router';
import type { ResidentFeeds, TensorLike } from '../core/router/onnx-run';

type OrtWebGpu = Pick<typeof ortWeb, 'env' | 'Tensor'>;

/** The WebGPU device ORT runs on, as far as this uses it (the webview's types have no WebGPU). */
interface GpuBufferLike {
  destroy(): void;
}
interface GpuDeviceLike {
  createBuffer(descriptor: { size: number; usage: number }): GpuBufferLike;
  readonly queue: { writeBuffer(buffer: GpuBufferLike, offset: number, data: ArrayBufferLike, dataOffset: number, size: number): void };
}
// GPUBufferUsage.STORAGE | COPY_SRC | COPY_DST: what ORT's WebGPU backend needs of an input buffer.
const TOKEN_BUFFER_USAGE = 0x80 | 0x04 | 0x08;

export class GpuTokens {
  private resident: { source: Float32Array; tensor: TensorLike & { dispose(): void } } | undefined;
  /** Uploads so far (tests check that a re-run on the same tokens makes none). */
  uploads = 0;

  /** `ort`: the WebGPU build of onnxruntime-web, whose sessions the tensors are fed to (its device is theirs). */
  constructor(private readonly ort: () => Promise<OrtWebGpu>) {}

  /** The tokens of `inputs` as a GPU tensor: the one already there when the array is the same, else a new upload. */
  async feedsFor(inputs: RouterInputs): Promise<ResidentFeeds> {
    const source = inputs.hiddenStates;
    if (!(source instanceof Float32Array)) return {};
    if (this.resident?.source === source) return { hiddenStates: this.resident.tensor };
    this.resident?.tensor.dispose();
    this.resident = undefined;
    const ort = await this.ort();
    const device = (await ort.env.webgpu.device) as unknown as GpuDeviceLike;
    // WebGPU copies in multiples of 4 bytes, which a Float32Array always is.
    const buffer = device.createBuffer({ size: source.byteLength, usage: TOKEN_BUFFER_USAGE });
    device.queue.writeBuffer(buffer, 0, source.buffer, source.byteOffset, source.byteLength);
    const tensor = ort.Tensor.fromGpuBuffer(buffer as never, { dataType: 'float32', dims: [inputs.tokens, inputs.hidden], dispose: () => buffer.destroy() });
    this.uploads++;
    this.resident = { source, tensor };
    return { hiddenStates: tensor };
  }
}
