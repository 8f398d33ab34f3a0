/**
 * `moe-lens route --activations --all-layers` on router inputs captured from real transformers models
 * (test/fixtures/captured/<family>/, made by scripts/capture_router_inputs.py on random-initialised models; its
 * README says how): MoE Lens's router must pick the model's own expert set for every token of every layer.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { moeLens, ROOT, scratchDir } from './cli-helpers';
import { writeSafetensors, type TensorSpec } from './safetensors-writer';

const CAPTURED = join(ROOT, 'test/fixtures/captured');
const route = (...args: string[]) => moeLens(['route', ...args]);
const json = (...args: string[]) => {
  const result = route(...args, '--json');
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout);
};

/** Each captured family: its MoE layers (DeepSeek-V3's first layer is dense) and its top-k. */
const FAMILIES = [
  { family: 'gpt_oss', layers: [0, 1], topK: 4, semantics: /^hf:gpt_oss · top-4 → score · softmax · router bias/ },
  { family: 'deepseek_v3', layers: [1, 2], topK: 4, semantics: /^hf:deepseek_v3 · score → top-4 · sigmoid · selection bias .* groups 2\/4 \(top2-sum\)/ },
  { family: 'qwen3_moe', layers: [0, 1], topK: 4, semantics: /^hf:qwen3_moe · score → top-4 · softmax/ },
  { family: 'mixtral', layers: [0, 1, 2], topK: 2, semantics: /^hf:mixtral · score → top-2 · softmax/ },
  { family: 'ernie4_5_moe', layers: [0, 1], topK: 4, semantics: /^hf:ernie4_5_moe · score → top-4 · softmax · selection bias \(static\) · normalize always$/ },
  { family: 'gemma4', layers: [0, 1], topK: 4, semantics: /^hf:gemma4 · token RMS-normed · score → top-4 · softmax · normalize always · × per-expert scale$/ },
] as const;

const files = (family: string) => ({
  config: join(CAPTURED, family, 'config.json'),
  weights: join(CAPTURED, family, 'router.safetensors'),
  activations: join(CAPTURED, family, 'activations.safetensors'),
});

/** Every F32/I64 tensor of a small safetensors file, to rewrite one in a test. */
function readTensors(path: string): Record<string, TensorSpec> {
  const bytes = readFileSync(path);
  const length = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<string, { dtype: 'F32' | 'I64'; shape: number[]; data_offsets: [number, number] }>;
  const out: Record<string, TensorSpec> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const data = bytes.subarray(8 + length + entry.data_offsets[0], 8 + length + entry.data_offsets[1]);
    const values = entry.dtype === 'F32' ? Array.from({ length: data.length / 4 }, (_, i) => data.readFloatLE(i * 4)) : Array.from({ length: data.length / 8 }, (_, i) => Number(data.readBigInt64LE(i * 8)));
    out[name] = { dtype: entry.dtype, shape: entry.shape, values };
  }
  return out;
}

describe('route reproduces the expert choices captured from transformers models', () => {
  for (const { family, layers, topK, semantics } of FAMILIES) {
    it(`${family}: every layer, every token, the same expert set (--all-layers)`, () => {
      const { config, weights, activations } = files(family);
      const out = json(config, '--weights', weights, '--activations', activations, '--all-layers');
      assert.match(out.semantics, semantics);
      assert.equal(out.topK, topK);
      assert.deepEqual(out.layers.map((l: { layer: number }) => l.layer), layers);
      for (const layer of out.layers) {
        assert.equal(layer.tokens, 64);
        assert.deepEqual(layer.check.mismatches, [], `${family} layer ${layer.layer}`);
        assert.equal(layer.check.sameSet, layer.check.tokens, `${family} layer ${layer.layer}: ${layer.check.sameSet}/${layer.check.tokens}`);
        assert.equal(layer.counts.reduce((a: number, b: number) => a + b, 0), 64 * topK);
      }
      assert.deepEqual(out.check, { layers: layers.length, tokens: 64 * layers.length, sameSet: 64 * layers.length });
    });

    it(`${family}: one layer at a time (--layer N) agrees too, and the text output says so`, () => {
      const { config, weights, activations } = files(family);
      for (const layer of layers) {
        const out = json(config, '--weights', weights, '--activations', activations, '--layer', String(layer));
        assert.equal(out.tokens, 64);
        assert.equal(out.inputs.activations, `${activations} (layers.${layer}.hidden_states)`);
        assert.deepEqual(out.check, { tokens: 64, sameSet: 64, mismatches: [] });
      }
      const text = route(config, '--weights', weights, '--activations', activations, '--all-layers');
      assert.equal(text.status, 0, text.stderr);
      assert.match(text.stdout, new RegExp(`check {6}${64 * layers.length}/${64 * layers.length} tokens \\(100\\.0%\\) over ${layers.length} layers get the model's own expert set`));
    });
  }

  it('the captured biases matter: without them the choices differ (DeepSeek-V3 and ERNIE 4.5 selection biases, gpt-oss router bias)', () => {
    const dir = scratchDir('captured-nobias');
    for (const [family, suffix] of [['deepseek_v3', 'e_score_correction_bias'], ['ernie4_5_moe', 'e_score_correction_bias'], ['gpt_oss', 'router.bias']] as const) {
      const { config, weights, activations } = files(family);
      const tensors = readTensors(weights);
      const zeroed = Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, name.endsWith(suffix) ? { ...t, values: t.values.map(() => 0) } : t]));
      const file = join(dir, `${family}.safetensors`);
      writeSafetensors(file, zeroed);
      const out = json(config, '--weights', file, '--activations', activations, '--all-layers');
      assert.ok(out.check.sameSet < out.check.tokens, `${family}: zeroing ${suffix} should change some choices (${out.check.sameSet}/${out.check.tokens})`);
      assert.ok(out.layers.every((l: { check: { mismatches: unknown[] } }) => l.check.mismatches.length > 0));
    }
  });

  it('the selection bias is read under each name published checkpoints give it; a config that routes by one and a checkpoint without it exit 2', () => {
    const { config, weights, activations } = files('deepseek_v3');
    const tensors = readTensors(weights);
    const dir = scratchDir('captured-bias-names');
    // [gate weight, selection bias] as MiniMax-M2, K-EXAONE, Ling 2.0, ERNIE 4.5 (a [1, E] row, also as transformers saves it) and Laguna publish them.
    const spellings = [
      ['block_sparse_moe.gate.weight', 'block_sparse_moe.e_score_correction_bias'],
      ['mlp.gate.weight', 'mlp.e_score_correction_bias'],
      ['mlp.gate.weight', 'mlp.gate.expert_bias'],
      ['mlp.gate.weight', 'mlp.moe_statics.e_score_correction_bias'],
      ['mlp.gate.weight', 'mlp.gate.moe_statics.e_score_correction_bias'],
      ['mlp.gate.weight', 'mlp.experts.e_score_correction_bias'],
    ] as const;
    for (const [gate, bias] of spellings) {
      const renamed = Object.fromEntries(
        Object.entries(tensors).map(([name, t]) => {
          const layer = /^model\.layers\.(\d+)\./.exec(name)?.[1];
          if (name.endsWith('mlp.gate.weight')) return [`model.layers.${layer}.${gate}`, t];
          if (name.endsWith('mlp.gate.e_score_correction_bias')) return [`model.layers.${layer}.${bias}`, bias.includes('moe_statics') ? { ...t, shape: [1, ...t.shape] } : t];
          return [name, t];
        }),
      );
      const file = join(dir, `${bias}.safetensors`);
      writeSafetensors(file, renamed);
      const out = json(config, '--weights', file, '--activations', activations, '--all-layers');
      assert.equal(out.check.sameSet, out.check.tokens, `${bias}: ${out.check.sameSet}/${out.check.tokens}`);
    }
    const without = join(dir, 'without.safetensors');
    writeSafetensors(without, Object.fromEntries(Object.entries(tensors).filter(([name]) => !name.endsWith('e_score_correction_bias'))));
    const refused = route(config, '--weights', without, '--activations', activations, '--layer', '1');
    assert.equal(refused.status, 2, refused.stdout);
    assert.match(refused.stderr, /chooses experts with a selection bias \(e_score_correction_bias\), but the checkpoint has none for layer 1 \(looked for model\.layers\.1\.mlp\.gate\.e_score_correction_bias, .*model\.layers\.1\.mlp\.experts\.e_score_correction_bias; found model\.layers\.1\.mlp\.gate\.weight\)/);
  });

  it("Gemma 4's learned token scale matters: set to one, the choices differ (the per-expert scale only weighs them)", () => {
    const { config, weights, activations } = files('gemma4');
    const tensors = readTensors(weights);
    const dir = scratchDir('captured-gemma4-scales');
    const ones = (suffix: string) => Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, name.endsWith(suffix) ? { ...t, values: t.values.map(() => 1) } : t]));
    const unscaled = join(dir, 'unscaled.safetensors');
    writeSafetensors(unscaled, ones('router.scale'));
    const out = json(config, '--weights', unscaled, '--activations', activations, '--all-layers');
    assert.ok(out.check.sameSet < out.check.tokens, `a token scale of one should change some choices (${out.check.sameSet}/${out.check.tokens})`);
    const unweighted = join(dir, 'unweighted.safetensors');
    writeSafetensors(unweighted, ones('router.per_expert_scale'));
    assert.equal(json(config, '--weights', unweighted, '--activations', activations, '--all-layers').check.sameSet, 128);
  });

  it('the group limit matters: DeepSeek-V3 routed without n_group/topk_group picks other experts', () => {
    const { config, weights, activations } = files('deepseek_v3');
    const ungrouped = join(scratchDir('captured-nogroups'), 'config.json');
    writeFileSync(ungrouped, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), n_group: 1, topk_group: 1 }));
    const out = json(ungrouped, '--weights', weights, '--activations', activations, '--all-layers');
    assert.ok(out.check.sameSet < out.check.tokens, `ungrouped routing should differ somewhere (${out.check.sameSet}/${out.check.tokens})`);
  });

  it('without --weights the model\'s choices are not compared (the weights would be synthetic)', () => {
    const { config, activations } = files('mixtral');
    const out = json(config, '--activations', activations, '--layer', '1');
    assert.equal(out.check, undefined);
    const text = route(config, '--activations', activations, '--all-layers');
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /check {6}needs the router weights the model used: give --weights/);
  });

  describe('bad captures exit 2 with one located sentence', () => {
    const dir = scratchDir('captured-bad');
    const { config, weights } = files('mixtral');
    const hidden = (tokens: number, width: number): TensorSpec => ({ dtype: 'F32', shape: [tokens, width], values: Array.from({ length: tokens * width }, (_, i) => Math.sin(i)) });
    const cases: [string, () => string[], RegExp][] = [
      ['--all-layers without --activations', () => ['--all-layers'], /--all-layers routes the layers captured in an --activations file/],
      ['--all-layers with --layer', () => ['--all-layers', '--layer', '1', '--activations', files('mixtral').activations], /--all-layers routes every layer in the --activations file; drop --layer/],
      ['a layer the file does not hold', () => ['--weights', weights, '--activations', files('deepseek_v3').activations, '--layer', '0'], /has no "layers\.0\.hidden_states"; it holds hidden states for layers 1, 2 \(pick one with --layer, or route them all with --all-layers\)/],
      ['--all-layers on a file with no per-layer tensors', () => {
        const file = join(dir, 'flat.safetensors');
        writeSafetensors(file, { hidden_states: hidden(4, 64) });
        return ['--activations', file, '--all-layers'];
      }, /has no per-layer hidden states \("layers\.N\.hidden_states"\) for --all-layers/],
      ['hidden size differing from the router weight', () => {
        const file = join(dir, 'narrow.safetensors');
        writeSafetensors(file, { 'layers.0.hidden_states': hidden(4, 32) });
        return ['--weights', weights, '--activations', file];
      }, /"layers\.0\.hidden_states" in .*narrow\.safetensors has hidden size 32, but the router weight "model\.layers\.0\.mlp\.gate\.weight" expects 64/],
      ['chosen experts of the wrong shape', () => {
        const file = join(dir, 'k3.safetensors');
        writeSafetensors(file, { 'layers.0.hidden_states': hidden(4, 64), 'layers.0.topk_indices': { dtype: 'I64', shape: [4, 3], values: Array.from({ length: 12 }, (_, i) => i % 3) } });
        return ['--weights', weights, '--activations', file];
      }, /"layers\.0\.topk_indices" in .*k3\.safetensors has shape \[4,3\]; expected \[4, 2\] \(its hidden states' 4 tokens × the config's top-2\)/],
      ['a chosen expert out of range', () => {
        const file = join(dir, 'e9.safetensors');
        writeSafetensors(file, { 'layers.0.hidden_states': hidden(2, 64), 'layers.0.topk_indices': { dtype: 'I64', shape: [2, 2], values: [0, 1, 2, 9] } });
        return ['--weights', weights, '--activations', file];
      }, /"layers\.0\.topk_indices" in .*e9\.safetensors names expert 9 at token 1; the config routes over experts 0 to 7/],
      ['a chosen expert named twice', () => {
        const file = join(dir, 'twice.safetensors');
        writeSafetensors(file, { 'layers.0.hidden_states': hidden(2, 64), 'layers.0.topk_indices': { dtype: 'I64', shape: [2, 2], values: [0, 1, 3, 3] } });
        return ['--weights', weights, '--activations', file];
      }, /names expert 3 twice for token 1/],
      ['chosen experts stored as floats', () => {
        const file = join(dir, 'float-idx.safetensors');
        writeSafetensors(file, { 'layers.0.hidden_states': hidden(2, 64), 'layers.0.topk_indices': { dtype: 'F32', shape: [2, 2], values: [0, 1, 2, 3] } });
        return ['--weights', weights, '--activations', file];
      }, /"layers\.0\.topk_indices" in .*float-idx\.safetensors is F32; chosen experts must be I64, I32, I16 or U8/],
    ];
    for (const [name, args, pattern] of cases) {
      it(name, () => {
        const result = route(config, ...args());
        assert.equal(result.status, 2, result.stdout);
        assert.match(result.stderr, pattern);
        assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
      });
    }
  });
});
