/**
 * Every layer's router from a checkpoint, for the routing preview (issue #11 "real checkpoints in the panel"):
 * single files and sharded folders, HF and torchtitan names, biases, located errors, and a sparse 4 GB file
 * that must open in well under 2 s reading only its header and router bytes.
 */
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { CheckpointError } from '../../src/core/router/safetensors';
import { loadRouterLayers } from '../../src/node/router-layers';
import { loadRouterTensors } from '../../src/node/checkpoint';
import { writeSafetensors, type TensorSpec } from '../cli/safetensors-writer';

const dir = mkdtempSync(join(tmpdir(), 'moe-lens-router-layers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const E = 4;
const H = 3;
/** Distinct, exactly representable values per layer and position. */
const values = (layer: number, count: number, salt: number): number[] => Array.from({ length: count }, (_, i) => layer * 100 + i + salt / 4);
/** BF16 keeps 8 significant bits: small halves only. */
const small = (layer: number, count: number, salt: number): number[] => Array.from({ length: count }, (_, i) => layer * 16 + i + salt * 0.5);
const f32 = (shape: number[], v: number[]): TensorSpec => ({ dtype: 'F32', shape, values: v });

function deepseekTensors(layers: number[]): Record<string, TensorSpec> {
  const tensors: Record<string, TensorSpec> = { 'model.embed_tokens.weight': f32([2, H], [0, 0, 0, 0, 0, 0]) };
  for (const l of layers) {
    tensors[`model.layers.${l}.mlp.gate.weight`] = f32([E, H], values(l, E * H, 0));
    tensors[`model.layers.${l}.mlp.gate.e_score_correction_bias`] = f32([E], values(l, E, 1));
    tensors[`model.layers.${l}.mlp.experts.0.up_proj.weight`] = f32([2, H], values(l, 2 * H, 2));
  }
  return tensors;
}

async function rejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof CheckpointError, String(error));
    assert.match(error.message, pattern);
    return true;
  });
}

describe('loadRouterLayers', () => {
  it('reads every layer of one file, HF DeepSeek names, with the learned selection bias; dense layers are skipped', async () => {
    const file = join(dir, 'deepseek.safetensors');
    writeSafetensors(file, deepseekTensors([1, 2, 3]));
    const read = await loadRouterLayers(file, { experts: E });
    assert.deepEqual(read.layers, [1, 2, 3]);
    assert.equal(read.convention, 'HF DeepSeek/Qwen/OLMoE');
    assert.deepEqual([read.experts, read.hidden], [E, H]);
    assert.deepEqual(Array.from(read.weight.subarray(E * H, 2 * E * H)), values(2, E * H, 0));
    assert.deepEqual(Array.from(read.selectionBias!.subarray(2 * E, 3 * E)), values(3, E, 1));
    assert.equal(read.bias, undefined);
    assert.deepEqual(read.names, ['model.layers.1.mlp.gate.weight', 'model.layers.1.mlp.gate.e_score_correction_bias']);
    // The experts' weights are never read.
    assert.ok(read.bytesRead < 8 + 2000 + 3 * (E * H + E) * 4, String(read.bytesRead));
  });

  it('reads the routers of Llama 4, Jamba, Hunyuan, Granite, LFM2-MoE, AFMoE and DeepSeek inference checkpoints under their published names, in both readers', async () => {
    // [convention, gate weight of layer N, selection bias of layer N or undefined]
    const names: [string, (n: number) => string, ((n: number) => string) | undefined][] = [
      ['HF Llama 4 / Jamba', (n) => `model.layers.${n}.feed_forward.router.weight`, undefined],
      ['HF Llama 4', (n) => `language_model.model.layers.${n}.feed_forward.router.weight`, undefined],
      ['HF Hunyuan', (n) => `model.layers.${n}.mlp.gate.wg.weight`, undefined],
      ['HF Granite MoE', (n) => `model.layers.${n}.block_sparse_moe.router.layer.weight`, undefined],
      ['HF LFM2-MoE', (n) => `model.layers.${n}.feed_forward.gate.weight`, (n) => `model.layers.${n}.feed_forward.expert_bias`],
      ['HF AFMoE', (n) => `model.layers.${n}.mlp.router.gate.weight`, (n) => `model.layers.${n}.mlp.expert_bias`],
      ['DeepSeek inference', (n) => `layers.${n}.ffn.gate.weight`, (n) => `layers.${n}.ffn.gate.bias`],
    ];
    for (const [convention, weight, bias] of names) {
      const file = join(dir, `${convention.replace(/\W+/g, '-')}.safetensors`);
      const tensors: Record<string, TensorSpec> = {};
      for (const l of [1, 2]) {
        tensors[weight(l)] = f32([E, H], values(l, E * H, 0));
        if (bias) tensors[bias(l)] = f32([E], values(l, E, 1));
      }
      writeSafetensors(file, tensors);
      const read = await loadRouterLayers(file, { experts: E });
      assert.deepEqual([read.convention, read.layers, read.names], [convention, [1, 2], [weight(1), ...(bias ? [bias(1)] : [])]]);
      assert.deepEqual(Array.from(read.weight.subarray(E * H)), values(2, E * H, 0));
      assert.deepEqual(read.selectionBias && Array.from(read.selectionBias.subarray(E)), bias ? values(2, E, 1) : undefined);
      const one = loadRouterTensors(file, 2, { experts: E, maxHidden: 64 });
      assert.deepEqual([one.convention, one.names], [convention, [weight(2), ...(bias ? [bias(2)] : [])]]);
    }
  });

  it("reads the selection bias as ERNIE 4.5 publishes it ([1, E] under moe_statics) and MiniMax-M2's beside its block_sparse_moe gate", async () => {
    const ernie = join(dir, 'ernie.safetensors');
    const tensors = deepseekTensors([1, 2]);
    for (const l of [1, 2]) {
      const bias = tensors[`model.layers.${l}.mlp.gate.e_score_correction_bias`]!;
      delete tensors[`model.layers.${l}.mlp.gate.e_score_correction_bias`];
      tensors[`model.layers.${l}.mlp.moe_statics.e_score_correction_bias`] = { ...bias, shape: [1, E] };
    }
    writeSafetensors(ernie, tensors);
    const read = await loadRouterLayers(ernie, { experts: E });
    assert.deepEqual(Array.from(read.selectionBias!.subarray(E, 2 * E)), values(2, E, 1));
    assert.deepEqual(read.names, ['model.layers.1.mlp.gate.weight', 'model.layers.1.mlp.moe_statics.e_score_correction_bias']);
    const minimax = join(dir, 'minimax.safetensors');
    writeSafetensors(minimax, {
      'model.layers.0.block_sparse_moe.gate.weight': f32([E, H], values(0, E * H, 0)),
      'model.layers.0.block_sparse_moe.e_score_correction_bias': f32([E], values(0, E, 1)),
    });
    assert.deepEqual(Array.from((await loadRouterLayers(minimax)).selectionBias!), values(0, E, 1));
    // Two rows (ERNIE 4.5 VL's two modalities) are not one vector.
    const two = join(dir, 'ernie-vl.safetensors');
    writeSafetensors(two, { 'model.layers.0.mlp.gate.weight': f32([E, H], values(0, E * H, 0)), 'model.layers.0.mlp.moe_statics.e_score_correction_bias': f32([2, E], [...values(0, E, 1), ...values(0, E, 2)]) });
    await rejects(loadRouterLayers(two), /"model\.layers\.0\.mlp\.moe_statics\.e_score_correction_bias" in .* has shape \[2,4\]; expected \[4\]/);
  });

  it('reads a sharded checkpoint by its folder or its index file; gpt-oss names with the router bias (BF16)', async () => {
    const folder = join(dir, 'sharded');
    rmSync(folder, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(folder);
    const shard = (layers: number[]): Record<string, TensorSpec> =>
      Object.fromEntries(layers.flatMap((l) => [
        [`model.layers.${l}.mlp.router.weight`, { dtype: 'BF16', shape: [E, H], values: small(l, E * H, 0) } as TensorSpec],
        [`model.layers.${l}.mlp.router.bias`, { dtype: 'BF16', shape: [E], values: small(l, E, 1) } as TensorSpec],
      ]));
    writeSafetensors(join(folder, 'model-00001-of-00002.safetensors'), shard([0, 1]));
    writeSafetensors(join(folder, 'model-00002-of-00002.safetensors'), shard([2]));
    const weightMap: Record<string, string> = {};
    for (const l of [0, 1, 2]) for (const t of ['weight', 'bias']) weightMap[`model.layers.${l}.mlp.router.${t}`] = `model-0000${l < 2 ? 1 : 2}-of-00002.safetensors`;
    writeFileSync(join(folder, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    for (const path of [folder, join(folder, 'model.safetensors.index.json')]) {
      const read = await loadRouterLayers(path);
      assert.deepEqual(read.layers, [0, 1, 2]);
      assert.equal(read.convention, 'HF gpt-oss');
      assert.deepEqual(Array.from(read.weight.subarray(2 * E * H)), small(2, E * H, 0));
      assert.deepEqual(Array.from(read.bias!.subarray(E, 2 * E)), small(1, E, 1));
      assert.equal(read.source, join(folder, 'model.safetensors.index.json'));
    }
    // A shard the index names but the folder lacks: the sentence names it.
    rmSync(join(folder, 'model-00002-of-00002.safetensors'));
    await rejects(loadRouterLayers(folder), /names shard model-00002-of-00002\.safetensors, which does not exist/);
  });

  it('reads torchtitan names (router.gate.weight, expert_bias)', async () => {
    const file = join(dir, 'torchtitan.safetensors');
    const tensors: Record<string, TensorSpec> = {};
    for (const l of [0, 1, 2]) {
      tensors[`layers.${l}.moe.router.gate.weight`] = f32([E, H], values(l, E * H, 0));
      tensors[`layers.${l}.moe.expert_bias`] = f32([E], values(l, E, 2));
      tensors[`layers.${l}.attention.wq.weight`] = f32([H, H], values(l, H * H, 1));
    }
    writeSafetensors(file, tensors);
    const read = await loadRouterLayers(file, { experts: E });
    assert.equal(read.convention, 'torchtitan');
    assert.deepEqual(read.layers, [0, 1, 2]);
    assert.deepEqual(Array.from(read.selectionBias!.subarray(0, E)), values(0, E, 2));
    assert.deepEqual(read.names, ['layers.0.moe.router.gate.weight', 'layers.0.moe.expert_bias']);
  });

  it("reads Gemma 4's names (router.proj.weight, scale [hidden], per_expert_scale [experts]), multimodal and text-only", async () => {
    for (const [prefix, convention] of [['model.language_model.layers', 'HF Gemma 4'], ['model.layers', 'HF Gemma 4 text']] as const) {
      const file = join(dir, `${convention.replace(/ /g, '-')}.safetensors`);
      const tensors: Record<string, TensorSpec> = {};
      for (const l of [0, 1]) {
        tensors[`${prefix}.${l}.router.proj.weight`] = f32([E, H], values(l, E * H, 0));
        tensors[`${prefix}.${l}.router.scale`] = f32([H], values(l, H, 1));
        tensors[`${prefix}.${l}.router.per_expert_scale`] = f32([E], values(l, E, 2));
      }
      writeSafetensors(file, tensors);
      const read = await loadRouterLayers(file, { experts: E });
      assert.equal(read.convention, convention);
      assert.deepEqual(Array.from(read.tokenScale!.subarray(H, 2 * H)), values(1, H, 1));
      assert.deepEqual(Array.from(read.expertScale!.subarray(E, 2 * E)), values(1, E, 2));
      assert.deepEqual(read.names, [`${prefix}.0.router.proj.weight`, `${prefix}.0.router.scale`, `${prefix}.0.router.per_expert_scale`]);
      const one = loadRouterTensors(file, 1, { experts: E, maxHidden: 65536 });
      assert.deepEqual(one.tokenScale!.data, read.tokenScale!.subarray(H, 2 * H));
      assert.deepEqual(one.expertScale!.data, read.expertScale!.subarray(E, 2 * E));
      // A scale of the wrong length is refused before a byte of it is read.
      writeSafetensors(file, { ...tensors, [`${prefix}.1.router.scale`]: f32([E], values(1, E, 1)) });
      await rejects(loadRouterLayers(file, { experts: E }), new RegExp(`"${prefix.replace(/\./g, '\\.')}\\.1\\.router\\.scale" in .* has shape \\[4\\]; expected \\[3\\]`));
    }
  });

  it('the captured DeepSeek-V3 fixture: the same tensors the CLI reads for each layer', async () => {
    const file = resolve(import.meta.dirname, '../fixtures/captured/deepseek_v3/router.safetensors');
    const read = await loadRouterLayers(file, { experts: 16 });
    assert.deepEqual(read.layers, [1, 2]);
    read.layers.forEach((layer, i) => {
      const one = loadRouterTensors(file, layer, { experts: 16, maxHidden: 65536 });
      assert.deepEqual(read.weight.subarray(i * 16 * 64, (i + 1) * 16 * 64), one.weight.data);
      assert.deepEqual(read.selectionBias!.subarray(i * 16, (i + 1) * 16), one.selectionBias!.data);
    });
  });

  it('says in one located sentence what is wrong: garbage, a truncated header, a wrong shape, a missing bias, no router', async () => {
    const garbage = join(dir, 'garbage.safetensors');
    writeFileSync(garbage, Buffer.from('this is not a safetensors file at all'));
    await rejects(loadRouterLayers(garbage), new RegExp(`^${garbage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has a \\d+-byte safetensors header, above`));
    const truncated = join(dir, 'truncated.safetensors');
    const whole = join(dir, 'whole.safetensors');
    writeSafetensors(whole, deepseekTensors([1]));
    const { readFileSync } = await import('node:fs');
    writeFileSync(truncated, readFileSync(whole).subarray(0, 40));
    await rejects(loadRouterLayers(truncated), /truncated\.safetensors declares a \d+-byte header but the file has only 40 bytes/);
    const short = join(dir, 'short.safetensors');
    writeFileSync(short, readFileSync(whole).subarray(0, readFileSync(whole).length - 8));
    await rejects(loadRouterLayers(short), /tensor "model\.layers\.1\.mlp\.experts\.0\.up_proj\.weight" in .*short\.safetensors ends at byte/);
    await rejects(loadRouterLayers(whole, { experts: 8 }), /router weight "model\.layers\.1\.mlp\.gate\.weight" in .*whole\.safetensors has shape \[4,3\], but the config routes over 8 experts/);
    const partial = join(dir, 'partial.safetensors');
    const tensors = deepseekTensors([1, 2]);
    delete tensors['model.layers.2.mlp.gate.e_score_correction_bias'];
    writeSafetensors(partial, tensors);
    await rejects(loadRouterLayers(partial), /has "model\.layers\.1\.mlp\.gate\.e_score_correction_bias" but no "model\.layers\.2\.mlp\.gate\.e_score_correction_bias"/);
    const none = join(dir, 'none.safetensors');
    writeSafetensors(none, { 'model.embed_tokens.weight': f32([1, 1], [0]) });
    await rejects(loadRouterLayers(none), /none\.safetensors has no router weight of any layer .*tensors found: model\.embed_tokens\.weight/);
    await rejects(loadRouterLayers(join(dir, 'absent.safetensors')), /absent\.safetensors does not exist/);
  });

  it('a sparse 60 GB checkpoint of gpt-oss-120b\'s router shape opens in under 2 s, reading only its header and router bytes', async () => {
    const file = join(dir, 'big.safetensors');
    const layers = 36;
    const experts = 128;
    const hidden = 2880;
    const routerBytes = experts * hidden * 2; // BF16
    const biasBytes = experts * 4;
    const header: Record<string, unknown> = {};
    let offset = 0;
    const chunks: [number, Buffer][] = [];
    for (let l = 0; l < layers; l++) {
      const weight = Buffer.alloc(routerBytes);
      for (let i = 0; i < experts * hidden; i++) weight.writeUInt16LE(0x3f80 + (l + 1), i * 2); // ≈ 1.0 + l·2⁻⁷
      header[`model.layers.${l}.mlp.gate.weight`] = { dtype: 'BF16', shape: [experts, hidden], data_offsets: [offset, offset + routerBytes] };
      chunks.push([offset, weight]);
      offset += routerBytes;
      const bias = Buffer.alloc(biasBytes);
      bias.writeFloatLE(l + 0.5, 0);
      header[`model.layers.${l}.mlp.gate.e_score_correction_bias`] = { dtype: 'F32', shape: [experts], data_offsets: [offset, offset + biasBytes] };
      chunks.push([offset, bias]);
      offset += biasBytes;
      // Each layer's experts: 1.7 GB of zeros (a hole) the reader must never touch.
      const expertBytes = 1_700_000_000;
      header[`model.layers.${l}.mlp.experts.down_proj`] = { dtype: 'BF16', shape: [expertBytes / 2], data_offsets: [offset, offset + expertBytes] };
      offset += expertBytes;
    }
    const json = Buffer.from(JSON.stringify(header));
    const fd = openSync(file, 'w');
    try {
      const length = Buffer.alloc(8);
      length.writeBigUInt64LE(BigInt(json.length));
      writeSync(fd, length, 0, 8, 0);
      writeSync(fd, json, 0, json.length, 8);
      for (const [at, bytes] of chunks) writeSync(fd, bytes, 0, bytes.length, 8 + json.length + at);
      ftruncateSync(fd, 8 + json.length + offset);
    } finally {
      closeSync(fd);
    }
    assert.ok(8 + json.length + offset > 60e9);
    const started = performance.now();
    const read = await loadRouterLayers(file, { experts });
    const ms = performance.now() - started;
    const expected = 8 + json.length + layers * (routerBytes + biasBytes);
    console.log(`sparse ${((8 + json.length + offset) / 1e9).toFixed(2)} GB checkpoint: opened in ${ms.toFixed(1)} ms, ${read.bytesRead} bytes read (header ${json.length + 8}, router ${layers * (routerBytes + biasBytes)})`);
    assert.equal(read.bytesRead, expected);
    assert.ok(ms < 2000, `${ms} ms`);
    assert.deepEqual(read.layers, Array.from({ length: layers }, (_, l) => l));
    assert.equal(read.weight[2 * experts * hidden + 5], 1 + 3 / 128);
    assert.equal(read.weight.length, layers * experts * hidden);
    // VS Code's postMessage transfers a typed array's whole backing buffer: each array owns exactly its own.
    for (const array of [read.weight, read.selectionBias!]) assert.deepEqual([array.byteOffset, array.buffer.byteLength], [0, array.byteLength]);
    assert.equal(read.selectionBias![experts], 1.5);
  });
});
