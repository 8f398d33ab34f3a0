/**
 * Every layer's router tensors from a .safetensors file or a sharded checkpoint (its folder or its
 * model.safetensors.index.json), for the routing preview: only the headers and the router tensors are read,
 * by byte range, never a whole shard (a 60 GB checkpoint opens in the time it takes to read a few MB).
 * Headers are validated as the CLI validates them (src/core/router/safetensors.ts); any problem is one
 * CheckpointError sentence naming the file and the tensor. Reads are asynchronous: the extension host's
 * thread is never held for the disk.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { CheckpointError, decodeFloat, headerLength, parseHeader, isVectorShape, ROUTER_VECTOR_KINDS, ROUTER_VECTORS, routerTensorCandidates, routerVectorLength, routerWeightLayer, vectorName, type RouterVector, type TensorEntry } from '../core/router/safetensors';
import { checkpointFiles, MAX_HIDDEN } from './checkpoint';
import type { RouterWeights } from '../core/protocol';

/** Router floats the preview holds at most (512 MB): DeepSeek-V3's 58 × 256 × 7168 fits, a larger one is refused with a sentence. */
export const MAX_ROUTER_FLOATS = 1 << 27;

/** A checkpoint's router tensors as the panel receives them (core/protocol.ts), less the time taken to read them. */
export type RouterLayers = Omit<RouterWeights, 'readMs'>;

export interface RouterLayerLimits {
  /** The config's expert count, when the caller knows it: every weight must be [experts, hidden]. */
  readonly experts?: number;
}

class AsyncSafetensors {
  bytesRead = 0;
  entries = new Map<string, TensorEntry>();
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  static async open(path: string): Promise<AsyncSafetensors> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new CheckpointError(code === 'ENOENT' ? `${path} does not exist.` : `${path} cannot be opened (${code ?? String(error)}).`);
    }
    const file = new AsyncSafetensors(path, handle);
    try {
      const size = (await handle.stat()).size;
      const length = headerLength(await file.read(0, Math.min(8, size)), path, size);
      file.entries = parseHeader(await file.read(8, length), path, size);
      return file;
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    // Its own ArrayBuffer (not Node's pool), so the decoder's aligned views never see a neighbour's bytes.
    const bytes = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(bytes, done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    this.bytesRead += done;
    if (done < length) throw new CheckpointError(`${this.path} ended after ${position + done} bytes while reading ${length} bytes at ${position}; it is truncated.`);
    return bytes;
  }

  async readInto(entry: TensorEntry, out: Float32Array): Promise<void> {
    decodeFloat(entry, await this.read(entry.start, entry.end - entry.start), this.path, out);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** Reads every layer's router (weight, and its biases where the checkpoint has them) from PATH. */
export async function loadRouterLayers(path: string, limits: RouterLayerLimits = {}): Promise<RouterLayers> {
  const { files, label } = checkpointFiles(path);
  let bytesRead = 0;
  if (files.size > 0 && label.endsWith('.json')) {
    // checkpointFiles read the index whole (it is small: names only).
    bytesRead += (await stat(label)).size;
  }
  const single = files.size === 0 ? path : files.get('*');
  const opened = new Map<string, Promise<AsyncSafetensors>>();
  const openFile = (file: string): Promise<AsyncSafetensors> => {
    let handle = opened.get(file);
    if (!handle) {
      handle = AsyncSafetensors.open(file).catch((error: unknown) => {
        if (error instanceof CheckpointError && /does not exist/.test(error.message) && !single) throw new CheckpointError(`the checkpoint index names shard ${basename(file)}, which does not exist.`);
        throw error;
      });
      opened.set(file, handle);
    }
    return handle;
  };
  try {
    const names = single ? [...(await openFile(single)).entries.keys()] : [...files.keys()];
    const has = new Set(names);
    // The layers with a router, by convention; one convention per checkpoint.
    const byConvention = new Map<string, number[]>();
    for (const name of names) {
      const found = routerWeightLayer(name);
      if (found) byConvention.set(found.convention, [...(byConvention.get(found.convention) ?? []), found.layer]);
    }
    if (byConvention.size === 0) {
      const routerish = names.filter((n) => /router|gate|expert_bias/.test(n));
      const shown = (routerish.length > 0 ? routerish : names).slice(0, 8);
      throw new CheckpointError(
        `${label} has no router weight of any layer (looked for ${routerTensorCandidates(0).map((c) => c.weight.replace('.0.', '.N.')).join(', ')}); tensors found: ${shown.join(', ') || 'none'}${names.length > shown.length ? `, … (${names.length} in all)` : ''}.`,
      );
    }
    if (byConvention.size > 1) throw new CheckpointError(`${label} mixes router names of ${[...byConvention.keys()].join(' and ')}; MoE Lens reads one convention per checkpoint.`);
    const [convention, unsorted] = [...byConvention][0]!;
    const layers = [...new Set(unsorted)].sort((a, b) => a - b);
    const candidates = layers.map((layer) => routerTensorCandidates(layer).find((c) => c.convention === convention)!);
    const where = async (name: string): Promise<{ file: AsyncSafetensors; entry: TensorEntry }> => {
      const file = await openFile(single ?? files.get(name)!);
      const entry = file.entries.get(name);
      if (!entry) throw new CheckpointError(`the index maps "${name}" to ${basename(file.path)}, but that shard has no such tensor.`);
      return { file, entry };
    };

    // Every header first: shapes are checked before a byte of data is read or a float allocated.
    const weights = await Promise.all(candidates.map((c) => where(c.weight)));
    const first = weights[0]!.entry;
    const experts = limits.experts ?? first.shape[0]!;
    const hidden = first.shape[1]!;
    for (const { file, entry } of weights) {
      const at = `router weight "${entry.name}" in ${file.path}`;
      if (entry.shape.length !== 2) throw new CheckpointError(`${at} has shape ${JSON.stringify(entry.shape)}; expected [experts, hidden].`);
      if (entry.shape[0] !== experts) {
        throw new CheckpointError(limits.experts !== undefined ? `${at} has shape ${JSON.stringify(entry.shape)}, but the config routes over ${experts} experts (expected [${experts}, hidden]).` : `${at} has ${entry.shape[0]} experts where "${first.name}" has ${experts}.`);
      }
      if (entry.shape[1]! < 1 || entry.shape[1]! > MAX_HIDDEN) throw new CheckpointError(`${at} has hidden size ${entry.shape[1]}; MoE Lens routes hidden sizes from 1 to ${MAX_HIDDEN}.`);
      if (entry.shape[1] !== hidden) throw new CheckpointError(`${at} has hidden size ${entry.shape[1]} where "${first.name}" has ${hidden}.`);
    }
    const total = layers.length * experts * hidden;
    if (total > MAX_ROUTER_FLOATS) throw new CheckpointError(`${label} has ${layers.length} router layers of ${experts} × ${hidden}: ${total} floats, more than the preview holds (${MAX_ROUTER_FLOATS}); route single layers with moe-lens route --weights --layer N.`);
    // The per-layer vectors a convention may have (ROUTER_VECTORS); each is in every router layer or in none.
    const vectors = async (kind: RouterVector): Promise<{ file: AsyncSafetensors; entry: TensorEntry }[] | undefined> => {
      const { what } = ROUTER_VECTORS[kind];
      const length = routerVectorLength(kind, experts, hidden);
      const names = candidates.map((c) => vectorName(c, kind, (name) => has.has(name)));
      const first = names.find((name) => name !== undefined);
      if (first === undefined) return undefined;
      const missing = names.indexOf(undefined);
      if (missing >= 0) throw new CheckpointError(`${label} has "${first}" but no ${candidates[missing]![kind]!.map((name) => `"${name}"`).join(' or ')}: a ${what} must be in every router layer.`);
      const found = await Promise.all(names.map((name) => where(name!)));
      for (const { file, entry } of found) {
        if (!isVectorShape(entry.shape, length)) throw new CheckpointError(`"${entry.name}" in ${file.path} has shape ${JSON.stringify(entry.shape)}; expected [${length}].`);
      }
      return found;
    };
    const found = new Map<RouterVector, { file: AsyncSafetensors; entry: TensorEntry }[]>();
    for (const kind of ROUTER_VECTOR_KINDS) {
      const tensors = await vectors(kind);
      if (tensors) found.set(kind, tensors);
    }

    const weight = new Float32Array(total);
    const read: { [K in RouterVector]?: Float32Array } = {};
    for (const kind of found.keys()) read[kind] = new Float32Array(layers.length * routerVectorLength(kind, experts, hidden));
    const slab = experts * hidden;
    // One read per tensor, in file order per shard; the shards are read concurrently.
    await Promise.all([
      ...weights.map(({ file, entry }, i) => file.readInto(entry, weight.subarray(i * slab, (i + 1) * slab))),
      ...[...found].flatMap(([kind, tensors]) => {
        const length = routerVectorLength(kind, experts, hidden);
        return tensors.map(({ file, entry }, i) => file.readInto(entry, read[kind]!.subarray(i * length, (i + 1) * length)));
      }),
    ]);
    const c0 = candidates[0]!;
    for (const file of await Promise.all(opened.values())) bytesRead += file.bytesRead;
    return {
      source: label,
      convention,
      layers,
      experts,
      hidden,
      weight,
      ...read,
      names: [c0.weight, ...[...found.values()].map((tensors) => tensors[0]!.entry.name)],
      bytesRead,
    };
  } finally {
    await Promise.all([...opened.values()].map((p) => p.then((f) => f.close(), () => undefined)));
  }
}
