/**
 * Reads router tensors from a .safetensors file or a sharded checkpoint folder, by offset: only the header
 * and the few router tensors are read, never a whole shard.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { CheckpointError, decodeFloat, headerLength, isVectorShape, parseHeader, ROUTER_VECTOR_KINDS, routerTensorCandidates, routerVectorLength, vectorName, type TensorEntry } from '../core/router/safetensors';

export interface LoadedTensor {
  readonly entry: TensorEntry;
  readonly data: Float32Array;
}

class SafetensorsFile {
  readonly entries: Map<string, TensorEntry>;
  private readonly fd: number;
  private readonly size: number;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'r');
    } catch (error) {
      throw new CheckpointError(`${path} cannot be opened (${(error as NodeJS.ErrnoException).code ?? String(error)}).`);
    }
    try {
      this.size = fstatSync(this.fd).size;
      const first8 = this.read(0, 8);
      const length = headerLength(first8, path, this.size);
      this.entries = parseHeader(this.read(8, length), path, this.size);
    } catch (error) {
      closeSync(this.fd); // a header that fails to parse must not leak the handle (issue #14)
      throw error;
    }
  }

  read(position: number, length: number): Uint8Array {
    const buffer = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buffer, done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, done);
  }

  tensor(name: string): LoadedTensor {
    const entry = this.entries.get(name)!;
    return { entry, data: decodeFloat(entry, this.read(entry.start, entry.end - entry.start), this.path) };
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Where each tensor lives: one file, or the shards named by model.safetensors.index.json. */
export function checkpointFiles(path: string): { files: Map<string, string>; label: string } {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new CheckpointError(`${path} does not exist.`);
  }
  // A sharded checkpoint's index file names its folder's shards.
  const indexFile = !stat.isDirectory() && path.endsWith('.index.json');
  if (!stat.isDirectory() && !indexFile) return { files: new Map(), label: path };
  const indexPath = indexFile ? path : join(path, 'model.safetensors.index.json');
  if (indexFile) path = dirname(path);
  else if (!existsSync(indexPath)) {
    const single = join(path, 'model.safetensors');
    if (existsSync(single)) return { files: new Map([['*', single]]), label: single };
    throw new CheckpointError(`${path} has neither model.safetensors.index.json nor model.safetensors.`);
  }
  let index: { weight_map?: Record<string, unknown> };
  try {
    index = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch {
    throw new CheckpointError(`${indexPath} is not valid JSON.`);
  }
  if (!index.weight_map || typeof index.weight_map !== 'object') throw new CheckpointError(`${indexPath} has no "weight_map" object.`);
  const root = resolve(path);
  const files = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(index.weight_map)) {
    if (typeof shard !== 'string' || shard !== basename(shard)) throw new CheckpointError(`${indexPath} maps "${tensor}" to ${JSON.stringify(shard)}, which is not a file name in the checkpoint folder.`);
    const shardPath = resolve(root, shard);
    if (!shardPath.startsWith(root + sep)) throw new CheckpointError(`${indexPath} maps "${tensor}" outside the checkpoint folder.`);
    files.set(tensor, shardPath);
  }
  return { files, label: indexPath };
}

export interface RouterTensors {
  readonly weight: LoadedTensor;
  readonly bias?: LoadedTensor;
  readonly selectionBias?: LoadedTensor;
  /** [hidden]: Gemma 4's learned scale of the normed token. */
  readonly tokenScale?: LoadedTensor;
  /** [experts]: Gemma 4's learned scale of each chosen weight. */
  readonly expertScale?: LoadedTensor;
  readonly convention: string;
  readonly names: string[];
}

/** What the config allows a checkpoint's router tensors to be: checked on the header, before a byte is read. */
export interface RouterLimits {
  readonly experts: number;
  readonly maxHidden: number;
}

/** Largest token count or hidden size `route` reads (the same caps as --tokens and --hidden). */
export const MAX_TOKENS = 1 << 20;
export const MAX_HIDDEN = 1 << 16;

/** `length`: a vector of that many floats; else the gate weight, [experts, hidden]. */
function checkRouterShape(entry: TensorEntry, limits: RouterLimits, length?: number): void {
  const shape = entry.shape;
  if (length !== undefined) {
    if (!isVectorShape(shape, length)) throw new CheckpointError(`"${entry.name}" has shape ${JSON.stringify(shape)}; expected [${length}].`);
    return;
  }
  if (shape.length !== 2 || shape[0] !== limits.experts) {
    throw new CheckpointError(`router weight "${entry.name}" has shape ${JSON.stringify(shape)}, but the config routes over ${limits.experts} experts (expected [${limits.experts}, hidden]).`);
  }
  if (shape[1]! < 1 || shape[1]! > limits.maxHidden) throw new CheckpointError(`router weight "${entry.name}" has hidden size ${shape[1]}; MoE Lens routes hidden sizes from 1 to ${limits.maxHidden}.`);
}

export function loadRouterTensors(path: string, layer: number, limits: RouterLimits): RouterTensors {
  const { files, label } = checkpointFiles(path);
  const opened = new Map<string, SafetensorsFile>();
  const open = (file: string): SafetensorsFile => {
    let handle = opened.get(file);
    if (!handle) {
      if (!existsSync(file)) throw new CheckpointError(`the checkpoint index names shard ${basename(file)}, which does not exist.`);
      handle = new SafetensorsFile(file);
      opened.set(file, handle);
    }
    return handle;
  };
  try {
    // One file (a .safetensors path, or a folder's model.safetensors) or shards named by the index.
    const single = files.size === 0 ? path : files.get('*');
    const has = (name: string): boolean => (single ? open(single).entries.has(name) : files.has(name));
    const load = (name: string, length?: number): LoadedTensor => {
      const handle = open(single ?? files.get(name)!);
      if (!handle.entries.has(name)) throw new CheckpointError(`the index maps "${name}" to ${basename(handle.path)}, but that shard has no such tensor.`);
      checkRouterShape(handle.entries.get(name)!, limits, length);
      return handle.tensor(name);
    };
    for (const candidate of routerTensorCandidates(layer)) {
      if (!has(candidate.weight)) continue;
      const weight = load(candidate.weight);
      const result: { -readonly [K in keyof RouterTensors]: RouterTensors[K] } = { weight, convention: candidate.convention, names: [candidate.weight] };
      for (const kind of ROUTER_VECTOR_KINDS) {
        const name = vectorName(candidate, kind, has);
        if (name === undefined) continue;
        result[kind] = load(name, routerVectorLength(kind, limits.experts, weight.entry.shape[1]!));
        result.names.push(name);
      }
      return result;
    }
    const available = single ? [...open(single).entries.keys()] : [...files.keys()];
    const routerish = available.filter((n) => /router|gate|expert_bias/.test(n));
    const shown = (routerish.length > 0 ? routerish : available).slice(0, 12);
    throw new CheckpointError(
      `no router weight for layer ${layer} in ${label} (looked for ${routerTensorCandidates(layer).map((c) => c.weight).join(', ')}); tensors found: ${shown.join(', ') || 'none'}${available.length > shown.length ? `, … (${available.length} in all)` : ''}.`,
    );
  } finally {
    for (const handle of opened.values()) handle.close();
  }
}

/** Captured router inputs: one layer's hidden states and, when the capture recorded them, the model's own choices. */
export interface Activations {
  /** The tensor read: `layers.N.hidden_states`, or the single `hidden_states` of older files. */
  readonly name: string;
  readonly hidden: LoadedTensor;
  /** `layers.N.topk_indices` [tokens, K]: the experts the model itself chose (scripts/capture_router_inputs.py). */
  readonly chosen?: { readonly name: string; readonly k: number; readonly data: Int32Array };
}

const LAYER_HIDDEN = /^layers\.(\d+)\.hidden_states$/;

/** The layers a captured file holds hidden states for (`layers.N.hidden_states`), ascending. */
export function activationLayers(path: string): number[] {
  const file = new SafetensorsFile(path);
  try {
    return layersIn(file);
  } finally {
    file.close();
  }
}

function layersIn(file: SafetensorsFile): number[] {
  const layers: number[] = [];
  for (const name of file.entries.keys()) {
    const match = LAYER_HIDDEN.exec(name);
    if (match && Number.isSafeInteger(Number(match[1]))) layers.push(Number(match[1]));
  }
  return layers.sort((a, b) => a - b);
}

/** What the config routes over: the chosen experts a file records must fit it. */
export interface ChoiceLimits {
  readonly experts: number;
  readonly topK: number;
}

/**
 * Layer `layer`'s router inputs from FILE: `layers.N.hidden_states` where the file has per-layer tensors, else the
 * single `hidden_states` (files written before per-layer capture). Shapes are checked on the header, before any
 * data is read; `layers.N.topk_indices`, when present, must be [tokens, top-k] integers naming experts of the config.
 */
export function loadActivations(path: string, layer: number, limits: ChoiceLimits): Activations {
  const file = new SafetensorsFile(path);
  try {
    const layered = `layers.${layer}.hidden_states`;
    const layers = layersIn(file);
    let name: string;
    if (file.entries.has(layered)) name = layered;
    else if (file.entries.has('hidden_states')) name = 'hidden_states';
    else if (layers.length > 0) {
      throw new CheckpointError(`${path} has no "${layered}"; it holds hidden states for layer${layers.length > 1 ? 's' : ''} ${layers.join(', ')} (pick one with --layer, or route them all with --all-layers).`);
    } else {
      throw new CheckpointError(`${path} has no "${layered}" or "hidden_states" tensor; tensors found: ${[...file.entries.keys()].slice(0, 12).join(', ') || 'none'}.`);
    }
    // The declared shape is checked before the data is read: a header claiming 100,000,000 tokens is refused,
    // not allocated (issue #14).
    const entry = file.entries.get(name)!;
    const shape = entry.shape;
    if (shape.length !== 2) throw new CheckpointError(`"${name}" in ${path} has shape ${JSON.stringify(shape)}; expected [tokens, hidden].`);
    if (shape[0]! < 1 || shape[0]! > MAX_TOKENS) throw new CheckpointError(`"${name}" in ${path} has ${shape[0]} tokens; MoE Lens routes 1 to ${MAX_TOKENS} tokens.`);
    if (shape[1]! < 1 || shape[1]! > MAX_HIDDEN) throw new CheckpointError(`"${name}" in ${path} has hidden size ${shape[1]}; MoE Lens routes hidden sizes from 1 to ${MAX_HIDDEN}.`);
    const chosenName = name === layered ? `layers.${layer}.topk_indices` : 'topk_indices';
    const chosen = file.entries.has(chosenName) ? readChoices(file, file.entries.get(chosenName)!, shape[0]!, limits) : undefined;
    return { name, hidden: file.tensor(name), ...(chosen ? { chosen: { name: chosenName, k: limits.topK, data: chosen } } : {}) };
  } finally {
    file.close();
  }
}

function readChoices(file: SafetensorsFile, entry: TensorEntry, tokens: number, limits: ChoiceLimits): Int32Array {
  const where = `"${entry.name}" in ${file.path}`;
  const shape = entry.shape;
  if (shape.length !== 2 || shape[0] !== tokens || shape[1] !== limits.topK) {
    throw new CheckpointError(`${where} has shape ${JSON.stringify(shape)}; expected [${tokens}, ${limits.topK}] (its hidden states' ${tokens} tokens × the config's top-${limits.topK}).`);
  }
  const bytes = file.read(entry.start, entry.end - entry.start);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = tokens * limits.topK;
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let value: number;
    switch (entry.dtype) {
      case 'I64':
        value = Number(view.getBigInt64(i * 8, true));
        break;
      case 'I32':
        value = view.getInt32(i * 4, true);
        break;
      case 'I16':
        value = view.getInt16(i * 2, true);
        break;
      case 'U8':
        value = view.getUint8(i);
        break;
      default:
        throw new CheckpointError(`${where} is ${entry.dtype}; chosen experts must be I64, I32, I16 or U8.`);
    }
    if (!Number.isInteger(value) || value < 0 || value >= limits.experts) {
      throw new CheckpointError(`${where} names expert ${value} at token ${Math.floor(i / limits.topK)}; the config routes over experts 0 to ${limits.experts - 1}.`);
    }
    out[i] = value;
  }
  for (let t = 0; t < tokens; t++) {
    const row = out.subarray(t * limits.topK, (t + 1) * limits.topK);
    if (new Set(row).size !== row.length) throw new CheckpointError(`${where} names expert ${findRepeat(row)} twice for token ${t}; a token's top-${limits.topK} experts are distinct.`);
  }
  return out;
}

function findRepeat(row: Int32Array): number {
  const seen = new Set<number>();
  for (const e of row) {
    if (seen.has(e)) return e;
    seen.add(e);
  }
  return -1;
}
