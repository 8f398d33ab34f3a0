import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeDocument } from '../../src/core/analyze';
import { routeReference } from '../../src/core/router/cpu-router';
import { routerConfigFromSpec, type RouterConfig } from '../../src/core/router/router-config';
import { mulberry32Bits, normalSampler, syntheticInputs, tokensForGate } from '../../src/core/router/synthetic';
import { moeLens, ROOT, scratchDir } from './cli-helpers';
import { writeSafetensors } from './safetensors-writer';

const MIXTRAL = join(ROOT, 'examples/hf/mixtral-8x7b/config.json');
const route = (...args: string[]) => moeLens(['route', ...args]);
const json = (...args: string[]) => {
  const result = route(...args, '--json');
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout);
};

function configOf(file: string, model?: string): RouterConfig {
  const specs = analyzeDocument(file, readFileSync(file, 'utf8')).specs;
  const spec = model ? specs.find((s) => s.name === model)! : specs[0]!;
  const result = routerConfigFromSpec(spec);
  assert.ok('config' in result);
  return result.config;
}

/** A safetensors file whose header declares one F32 tensor of `shape`, its data a sparse hole. */
function sparseTensorFile(path: string, name: string, shape: number[]): string {
  const bytes = shape.reduce((a, b) => a * b, 1) * 4;
  const header = Buffer.from(JSON.stringify({ [name]: { dtype: 'F32', shape, data_offsets: [0, bytes] } }));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(path, Buffer.concat([length, header]));
  truncateSync(path, 8 + header.length + bytes);
  return path;
}

describe('moe-lens route', () => {
  it('--json prints the documented object, aligned indices/weights, and the reference loads', () => {
    const out = json(MIXTRAL, '--tokens', '256', '--hidden', '64', '--seed', '3');
    assert.equal(out.backend, 'onnxruntime-node (cpu)');
    assert.equal(out.numExperts, 8);
    assert.equal(out.topK, 2);
    assert.equal(out.counts.length, 8);
    assert.equal(out.indices.length, 256);
    assert.equal(out.weights.length, 256);
    assert.equal(out.indices[0].length, 2);
    assert.ok(out.weights.every((row: number[]) => Math.abs(row[0]! + row[1]! - 1) < 1e-5), 'Mixtral renormalises');
    for (const key of ['maxOverMean', 'coefficientOfVariation', 'idleExperts', 'meanLoad', 'maxLoad']) assert.ok(key in out.stats, key);
    const config = configOf(MIXTRAL);
    const inputs = { tokens: 256, ...syntheticInputs({ seed: 3, tokens: 256, hidden: 64, experts: 8, distribution: { kind: 'isotropic' } }) };
    assert.deepEqual(out.counts, Array.from(routeReference(config, inputs).counts));
    assert.equal(out.counts.reduce((a: number, b: number) => a + b, 0), 512);
  });

  it('--model picks a flavor; clustered tokens, capacity factor and EP stats', () => {
    const file = join(ROOT, 'examples/torchtitan/deepseek_v3/__init__.py');
    const out = json(file, '--model', '671B', '--tokens', '128', '--hidden', '32', '--distribution', 'clustered', '--clusters', '4', '--capacity-factor', '1.0', '--ep', '8');
    assert.equal(out.numExperts, 256);
    assert.match(out.semantics, /^torchtitan · score → top-8 · sigmoid · selection bias \(learned\) · groups 4\/8 \(top2-sum\)/);
    assert.equal(out.stats.rankLoads.length, 8);
    assert.equal(out.stats.capacity, 4);
    assert.ok(out.stats.droppedFraction > 0);
  });

  it('reads router weights by name from a .safetensors file (F32, F16 and BF16)', () => {
    const dir = scratchDir('ckpt');
    const weight = Array.from({ length: 8 * 16 }, (_, i) => Math.sin(i * 1.3) * 0.5);
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      const file = join(dir, `${dtype}.safetensors`);
      writeSafetensors(file, {
        'model.layers.0.block_sparse_moe.gate.weight': { dtype, shape: [8, 16], values: weight },
        'model.layers.0.self_attn.q_proj.weight': { dtype, shape: [2, 2], values: [1, 2, 3, 4] },
      });
      const out = json(MIXTRAL, '--weights', file, '--tokens', '64', '--seed', '1');
      assert.equal(out.hidden, 16, dtype);
      assert.match(out.inputs.weights, /HF Mixtral: model.layers.0.block_sparse_moe.gate.weight/);
    }
  });

  it("routes a checkpoint's gate on the panel's tokens in that gate's coordinates, isotropic or clustered; a gate without a factor on whole tokens", () => {
    const dir = scratchDir('coordinates');
    const file = join(dir, 'gate.safetensors');
    const normal = normalSampler(mulberry32Bits(5));
    const weight = Array.from({ length: 8 * 16 }, () => normal() * 0.3);
    writeSafetensors(file, { 'model.layers.0.block_sparse_moe.gate.weight': { dtype: 'F32', shape: [8, 16], values: weight } });
    const gate = Float32Array.from(weight);
    const config = configOf(MIXTRAL);
    const isotropic = { kind: 'isotropic' } as const;
    const out = json(MIXTRAL, '--weights', file, '--tokens', '300', '--seed', '2');
    assert.equal(out.hidden, 16, 'the model\'s hidden size, not the coordinates\'');
    assert.match(out.inputs.activations, /drawn in the gate's 8 coordinates, the same logits as 16 values/);
    const viaGate = tokensForGate(syntheticInputs({ seed: 2, tokens: 300, hidden: 16, experts: 8, distribution: isotropic }), gate, 8, 16)!;
    assert.deepEqual(out.counts, Array.from(routeReference(config, { tokens: 300, ...viaGate }).counts));
    // Clustered: the draw's noise, each centre carried into this gate's coordinates (tokensForGate).
    const clustered = { kind: 'clustered', clusters: 3 } as const;
    const grouped = json(MIXTRAL, '--weights', file, '--tokens', '300', '--seed', '2', '--distribution', 'clustered', '--clusters', '3');
    assert.match(grouped.inputs.activations, /drawn in the gate's 8 coordinates/);
    const recentred = tokensForGate(syntheticInputs({ seed: 2, tokens: 300, hidden: 16, experts: 8, distribution: clustered }), gate, 8, 16)!;
    assert.deepEqual(grouped.counts, Array.from(routeReference(config, { tokens: 300, ...recentred }).counts));
    // A gate of rank 2 (sin(a + b) rows) has no factor: whole tokens, the same as a whole draw.
    const flat = join(dir, 'rank2.safetensors');
    const rank2 = Array.from({ length: 8 * 16 }, (_, i) => Math.sin(i * 1.3) * 0.5);
    writeSafetensors(flat, { 'model.layers.0.block_sparse_moe.gate.weight': { dtype: 'F32', shape: [8, 16], values: rank2 } });
    const low = json(MIXTRAL, '--weights', flat, '--tokens', '300', '--seed', '2');
    assert.doesNotMatch(low.inputs.activations, /coordinates/);
    const wholeIso = syntheticInputs({ seed: 2, tokens: 300, hidden: 16, experts: 8, distribution: isotropic, fullTokens: true }).hiddenStates;
    assert.deepEqual(low.counts, Array.from(routeReference(config, { tokens: 300, hidden: 16, hiddenStates: wholeIso, gateWeight: Float32Array.from(rank2) }).counts));
  });

  it('reads a sharded checkpoint through model.safetensors.index.json, touching only the router shard', () => {
    const dir = scratchDir('shards');
    writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), { 'model.layers.3.block_sparse_moe.gate.weight': { dtype: 'BF16', shape: [8, 4], values: Array.from({ length: 32 }, (_, i) => i / 32) } });
    writeFileSync(join(dir, 'model-00002-of-00002.safetensors'), 'this shard is never opened');
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'model.layers.3.block_sparse_moe.gate.weight': 'model-00001-of-00002.safetensors', 'lm_head.weight': 'model-00002-of-00002.safetensors' } }));
    const out = json(MIXTRAL, '--weights', dir, '--layer', '3', '--tokens', '32');
    assert.equal(out.hidden, 4);
  });

  it('uses given activations', () => {
    const dir = scratchDir('act');
    const file = join(dir, 'acts.safetensors');
    writeSafetensors(file, { hidden_states: { dtype: 'F32', shape: [10, 64], values: Array.from({ length: 640 }, (_, i) => Math.cos(i)) } });
    const out = json(MIXTRAL, '--activations', file, '--hidden', '64');
    assert.equal(out.tokens, 10);
    assert.equal(out.inputs.activations, file);
  });

  it("DeepSeek-V4's hash layers route by token id: a layer's own tensors are not routed as the config's router; --all-layers leaves them out and says so", () => {
    const dir = scratchDir('v4-hash');
    // DeepseekV4Config without mlp_layer_types: layers 0-2 are "hash_moe", layer 3 the learned router.
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ model_type: 'deepseek_v4', n_routed_experts: 8, num_experts_per_tok: 2, num_hidden_layers: 4, hidden_size: 4 }));
    const tensors: Parameters<typeof writeSafetensors>[1] = {};
    const acts: Parameters<typeof writeSafetensors>[1] = {};
    for (let layer = 0; layer < 4; layer++) {
      tensors[`model.layers.${layer}.mlp.gate.weight`] = { dtype: 'F32', shape: [8, 4], values: Array.from({ length: 32 }, (_, i) => Math.sin(i + layer)) };
      tensors[`model.layers.${layer}.mlp.gate.e_score_correction_bias`] = { dtype: 'F32', shape: [8], values: Array.from({ length: 8 }, (_, i) => i / 100) };
      acts[`layers.${layer}.hidden_states`] = { dtype: 'F32', shape: [6, 4], values: Array.from({ length: 24 }, (_, i) => Math.cos(i * (layer + 1))) };
    }
    const weights = join(dir, 'router.safetensors');
    const activations = join(dir, 'acts.safetensors');
    writeSafetensors(weights, tensors);
    writeSafetensors(activations, acts);
    const refused = route(config, '--weights', weights, '--layer', '1');
    assert.equal(refused.status, 2, refused.stdout);
    assert.match(refused.stderr, /layer 1 of ".*" routes by token id, not by its router \(transformers 5\.18\.0 DeepseekV4Config: without `mlp_layer_types`, the first 3 layers are "hash_moe".*pick one with --layer/);
    assert.equal(route(config, '--weights', weights, '--layer', '3').status, 0);
    const all = json(config, '--weights', weights, '--activations', activations, '--all-layers');
    assert.deepEqual(all.layers.map((l: { layer: number }) => l.layer), [3]);
    assert.deepEqual(all.skippedLayers.layers, [0, 1, 2]);
    assert.match(route(config, '--weights', weights, '--activations', activations, '--all-layers').stdout, /skipped {4}layers 0, 1, 2: transformers 5\.18\.0 DeepseekV4Config/);
    // Synthetic inputs have no layer of their own: the config's router, as before.
    assert.equal(route(config).status, 0);
  });

  describe('bad input exits 2 with one clear sentence and no stack trace', () => {
    const dir = scratchDir('bad');
    const cases: [string, () => string[], RegExp][] = [
      ['missing tensor lists the names found', () => {
        const file = join(dir, 'no-router.safetensors');
        writeSafetensors(file, { 'model.layers.0.mlp.experts.0.w1': { dtype: 'F32', shape: [1], values: [1] }, 'model.layers.0.mlp.gate_proj.weight': { dtype: 'F32', shape: [1], values: [1] } });
        return ['--weights', file];
      }, /no router weight for layer 0 in .*no-router\.safetensors .*tensors found: model\.layers\.0\.mlp\.gate_proj\.weight/],
      ['shape mismatch', () => {
        const file = join(dir, 'shape.safetensors');
        writeSafetensors(file, { 'model.layers.0.block_sparse_moe.gate.weight': { dtype: 'F32', shape: [4, 2], values: [1, 2, 3, 4, 5, 6, 7, 8] } });
        return ['--weights', file];
      }, /has shape \[4,2\], but the config routes over 8 experts/],
      ['unsupported dtype', () => {
        const file = join(dir, 'dtype.safetensors');
        writeSafetensors(file, { 'model.layers.0.block_sparse_moe.gate.weight': { dtype: 'I64', shape: [8, 1], values: [1, 2, 3, 4, 5, 6, 7, 8] } });
        return ['--weights', file];
      }, /is I64; router tensors must be F32, F16, BF16 or F64/],
      ['corrupt header', () => {
        const file = join(dir, 'corrupt.safetensors');
        const length = Buffer.alloc(8);
        length.writeBigUInt64LE(12n);
        writeFileSync(file, Buffer.concat([length, Buffer.from('{"a": [1, 2'), Buffer.alloc(4)]));
        return ['--weights', file];
      }, /corrupt safetensors header: it is not valid UTF-8 JSON/],
      ['header length beyond the file', () => {
        const file = join(dir, 'short.safetensors');
        const length = Buffer.alloc(8);
        length.writeBigUInt64LE(5000n);
        writeFileSync(file, Buffer.concat([length, Buffer.from('{}')]));
        return ['--weights', file];
      }, /declares a 5000-byte header but the file has only 10 bytes/],
      ['offsets out of bounds', () => {
        const file = join(dir, 'bounds.safetensors');
        writeSafetensors(file, { 'model.layers.0.block_sparse_moe.gate.weight': { dtype: 'F32', shape: [8, 1], values: [1, 2, 3, 4, 5, 6, 7, 8] } }, {
          headerOverride: (h) => ((h['model.layers.0.block_sparse_moe.gate.weight'] as { data_offsets: number[] }).data_offsets = [0, 64]),
        });
        return ['--weights', file];
      }, /ends at byte 64 of a 32-byte data section/],
      ['index naming a missing shard', () => {
        const shardDir = mkdtempSync(join(dir, 'idx-'));
        writeFileSync(join(shardDir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'model.layers.0.block_sparse_moe.gate.weight': 'model-00009.safetensors' } }));
        return ['--weights', shardDir];
      }, /names shard model-00009\.safetensors, which does not exist/],
      ['index escaping the folder', () => {
        const shardDir = mkdtempSync(join(dir, 'esc-'));
        writeFileSync(join(shardDir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'x.weight': '../../etc/passwd' } }));
        return ['--weights', shardDir];
      }, /which is not a file name in the checkpoint folder/],
      // Issue #14: shapes are checked on the header, before any data is read. The files are sparse: the
      // declared data occupies no disk, and reading it would take gigabytes.
      ['activations declaring 100,000,000 tokens', () => ['--activations', sparseTensorFile(join(dir, 'huge-acts.safetensors'), 'hidden_states', [100_000_000, 1])], /has 100000000 tokens; MoE Lens routes 1 to 1048576 tokens/],
      ['a router weight of shape [500000000, 1]', () => ['--weights', sparseTensorFile(join(dir, 'huge-weight.safetensors'), 'model.layers.0.block_sparse_moe.gate.weight', [500_000_000, 1])], /has shape \[500000000,1\], but the config routes over 8 experts/],
      ['a router weight with a hidden size of 10,000,000', () => ['--weights', sparseTensorFile(join(dir, 'wide.safetensors'), 'model.layers.0.block_sparse_moe.gate.weight', [8, 10_000_000])], /has hidden size 10000000; MoE Lens routes hidden sizes from 1 to 65536/],
      ['a file with several configs and no --model', () => [], /holds 3 configs; pick one with --model: debugmodel, 20b, 120b/],
      ['a config that is not MoE', () => [], /holds no MoE router config/],
    ];
    for (const [name, args, message] of cases) {
      it(name, () => {
        const config = name.startsWith('a file with several') ? join(ROOT, 'examples/torchtitan/gpt_oss/__init__.py') : name.startsWith('a config that') ? join(ROOT, 'package.json') : MIXTRAL;
        const result = route(config, ...args());
        assert.equal(result.status, 2, result.stdout);
        assert.match(result.stderr, message);
        assert.equal(result.stderr.trim().split('\n').length, 1, 'one sentence');
        assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
      });
    }
  });

  it('lists what it assumed with the values the router ran with', () => {
    // torchtitan is not in this folder: its MoEArgs defaults are assumed, and route says which it used.
    const file = join(scratchDir('assumed'), 'flavors.py');
    writeFileSync(file, 'from torchtitan.models.moe import MoEArgs\nx = MoEArgs(num_experts=8, top_k=2)\n');
    const out = json(file, '--tokens', '16', '--hidden', '32');
    const assumed = new Map<string, unknown>(out.assumed.map((a: { field: string; value: unknown; source: string }) => [a.field, a.value]));
    assert.ok(out.assumed.every((a: { source: string }) => a.source === 'assumed'));
    assert.equal(assumed.get('score_func'), 'sigmoid');
    assert.equal(assumed.get('topk_before_score'), false);
    assert.equal(assumed.get('route_norm'), configOf(file).normalize);
    assert.equal(assumed.has('num_experts') || assumed.has('top_k'), false);
  });

  it("never routes a launch's unwritten top-k where the launch may set it elsewhere (another program's command line)", () => {
    // vLLM's benchmark_moe.py takes `--num-experts` and `--topk`: no Megatron entry point runs here, so Megatron's
    // top-k default (2) is a guess, not a value read: route refuses it and says why (it routed top-2 before).
    const file = join(scratchDir('launch'), 'bench.sh');
    writeFileSync(file, 'python3 benchmark_moe.py --num-experts 16 --topk 8 --tune\n');
    const refused = route(file, '--tokens', '16', '--hidden', '32');
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /the top-k \(`top_k`\) of config "bench" is assumed \(Megatron moe_router_topk default; the launch may set it elsewhere: it does not run a Megatron-LM entry point/);
    // Its other unwritten defaults are assumptions too, listed with the values routed once top-k is written.
    writeFileSync(file, 'python3 benchmark_moe.py --num-experts 16 --moe-router-topk 8 --tune\n');
    const scoreFunc = json(file, '--tokens', '16', '--hidden', '32').assumed.find((a: { field: string }) => a.field === 'score_func');
    assert.equal(scoreFunc?.value, 'softmax');
    assert.match(scoreFunc?.why ?? '', /the launch may set it elsewhere: it does not run a Megatron-LM entry point/);
    // A whole launch (pretrain_gpt.py, every flag written here): Megatron's defaults hold and are not listed.
    writeFileSync(file, 'python pretrain_gpt.py --num-experts 16\n');
    assert.deepEqual(json(file, '--tokens', '16', '--hidden', '32').assumed.map((a: { field: string }) => a.field), []);
  });

  it("says a checkpoint's selection bias was drawn, not read, when it routes synthetic weights (ERNIE 4.5)", () => {
    const file = join(scratchDir('static-bias'), 'config.json');
    writeFileSync(file, '{"model_type": "ernie4_5_moe", "moe_num_experts": 64, "moe_k": 6, "hidden_size": 64}');
    const result = route(file, '--tokens', '64');
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /weights: synthetic \(seed 0; the checkpoint's selection bias drawn N\(0, 0\.1²\) per expert/);
  });

  it('usage errors exit 2', () => {
    assert.equal(route().status, 2);
    assert.equal(route(MIXTRAL, '--tokens', 'many').status, 2);
    assert.equal(route(MIXTRAL, '--distribution', 'gaussian').status, 2);
  });

  it("Gemma 4: routes a checkpoint's router with its learned token and per-expert scales, on whole tokens; refuses one without them", () => {
    const dir = scratchDir('gemma4');
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ model_type: 'gemma4', text_config: { model_type: 'gemma4_text', enable_moe_block: true, num_experts: 8, top_k_experts: 2, hidden_size: 16, rms_norm_eps: 1e-6 } }));
    const normal = normalSampler(mulberry32Bits(9));
    const weight = Float32Array.from({ length: 8 * 16 }, () => normal() * 0.3);
    const tokenScale = Float32Array.from({ length: 16 }, (_, h) => 0.25 + (h % 5) * 0.5);
    const expertScale = Float32Array.from({ length: 8 }, (_, e) => 0.5 + e * 0.25);
    const prefix = 'model.language_model.layers.0.router';
    const file = join(dir, 'model.safetensors');
    writeSafetensors(file, {
      [`${prefix}.proj.weight`]: { dtype: 'F32', shape: [8, 16], values: Array.from(weight) },
      [`${prefix}.scale`]: { dtype: 'F32', shape: [16], values: Array.from(tokenScale) },
      [`${prefix}.per_expert_scale`]: { dtype: 'F32', shape: [8], values: Array.from(expertScale) },
    });
    const out = json(config, '--weights', file, '--tokens', '200', '--seed', '4');
    assert.match(out.semantics, /^hf:gemma4 · token RMS-normed · score → top-2 · softmax · normalize always · × per-expert scale$/);
    assert.match(out.inputs.weights, /HF Gemma 4: model\.language_model\.layers\.0\.router\.proj\.weight, \S+\.scale, \S+\.per_expert_scale/);
    assert.doesNotMatch(out.inputs.activations, /coordinates/, 'the norm needs whole tokens');
    const tokens = syntheticInputs({ seed: 4, tokens: 200, hidden: 16, experts: 8, distribution: { kind: 'isotropic' }, fullTokens: true }).hiddenStates;
    const expected = routeReference(configOf(config), { tokens: 200, hidden: 16, hiddenStates: tokens, gateWeight: weight, tokenScale, expertScale });
    assert.deepEqual(out.counts, Array.from(expected.counts));
    // Each row's weights sum to its experts' mean scale, not to 1: the per-expert scale was applied.
    out.weights.forEach((row: number[], t: number) => {
      const want = [expected.weights[t * 2]!, expected.weights[t * 2 + 1]!];
      row.forEach((w, i) => assert.ok(Math.abs(w - want[i]!) < 1e-5, `token ${t}: ${row} vs ${want}`));
    });
    const bare = join(dir, 'bare.safetensors');
    writeSafetensors(bare, { [`${prefix}.proj.weight`]: { dtype: 'F32', shape: [8, 16], values: Array.from(weight) } });
    const refused = route(config, '--weights', bare, '--tokens', '10');
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /scales each normed token by a learned vector, but the checkpoint has none for layer 0 \(found model\.language_model\.layers\.0\.router\.proj\.weight\)/);
  });
});
