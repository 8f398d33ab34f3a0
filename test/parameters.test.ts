/**
 * Parameter arithmetic against two independent references:
 * - the publishers' own figures (model cards, READMEs, papers; each cited in references/published-models.ts),
 *   total within 1% and active within 3%, active counted by each publisher's stated convention;
 * - transformers itself: test/fixtures/parameters/transformers-counts.json holds, per published config.json, the
 *   parameters of the model transformers builds from it (scripts/count_parameters_with_transformers.py, meta
 *   device, run on the GPU machine), which must equal MoE Lens's count exactly, part by part.
 * The configs are real files of the corpus (test/corpus/manifest.*.json give their provenance).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeDocument } from '../src/core/analyze';
import { specMarkdown } from '../src/core/hover';
import { reportConfig } from '../src/core/inspect';
import { countParameters, dtypeBytes, expertBytesPerRank, formatParameters } from '../src/core/model/parameters';
import type { RouterSpec } from '../src/core/model/router-spec';
import { ProjectIndex } from '../src/core/project';
import { PUBLISHED_MODELS } from '../src/core/references/published-models';
import { parametersOf } from '../src/core/references/parameters';
import { LineIndex } from '../src/core/text/source';

const CORPUS = resolve(import.meta.dirname, 'corpus');
const FIXTURES = resolve(import.meta.dirname, 'fixtures/parameters');
const REPOSITORY = resolve(import.meta.dirname, '..');
const project = new ProjectIndex((file) => (file.startsWith(CORPUS) && existsSync(file) && statSync(file).isFile() ? readFileSync(file, 'utf8') : undefined));

function specOf(file: string, name?: string, root = CORPUS): RouterSpec {
  const path = join(root, file);
  const specs = analyzeDocument(path, readFileSync(path, 'utf8'), project).specs;
  const spec = name === undefined ? specs[0] : specs.find((s) => s.name === name);
  assert.ok(spec, `${file}: no config ${name ?? ''}`);
  return spec;
}

/** Each published model, from a real config of it (config.json, DeepSeek's own config, a torchtitan flavor). */
const AIC = 'params/ai-dynamo__aiconfigurator@095f58a/aic-core/src/aiconfigurator_core/model_configs';
const PUBLISHED_CONFIGS: readonly { model: string; file: string; name?: string; root?: string }[] = [
  { model: 'gpt-oss-120b', file: 'params/tenstorrent__tt-metal@88769de/models/demos/gpt_oss/configs/gpt-oss-120b/config.json' },
  { model: 'gpt-oss-20b', file: `${AIC}/openai--gpt-oss-20b_config.json` },
  { model: 'deepseek-v3-671b', file: `${AIC}/deepseek-ai--DeepSeek-V3_config.json` },
  { model: 'qwen3-30b-a3b', file: `${AIC}/Qwen--Qwen3-30B-A3B_config.json` },
  { model: 'qwen3-235b-a22b', file: `${AIC}/Qwen--Qwen3-235B-A22B_config.json` },
  { model: 'mixtral-8x7b', file: 'params/yangulei__Mixtral-8x7B@2e54f23/config.json' },
  { model: 'olmoe-1b-7b', file: 'olmoe-1b-7b-0924.config.json', root: FIXTURES },
  { model: 'gpt-oss-120b', file: 'torchtitan/pytorch__torchtitan@aa5daa7/torchtitan/experiments/gpt_oss/__init__.py', name: '120b' },
  { model: 'gpt-oss-20b', file: 'torchtitan/pytorch__torchtitan@aa5daa7/torchtitan/experiments/gpt_oss/__init__.py', name: '20b' },
  { model: 'deepseek-v3-671b', file: 'models/deepseek-ai__DeepSeek-V3@b15f0db/inference/configs/config_v3.1.json' },
  { model: 'deepseek-v3-671b', file: 'torchtitan/pytorch__torchtitan@aa5daa7/torchtitan/models/deepseek_v3/__init__.py', name: '671B' },
  { model: 'llama4-scout-17b-16e', file: 'hf/ai-dynamo__aiconfigurator@64c5ddb/aic-core/src/aiconfigurator_core/model_configs/meta-llama--Llama-4-Scout-17B-16E-Instruct_config.json' },
];

const percent = (a: number, b: number): number => (100 * (a - b)) / b;

describe('parameter counts', () => {
  it('match each publisher\'s figures: total within 1%, active within 3%, by the publisher\'s convention', () => {
    const rows: string[] = [];
    const misses: string[] = [];
    for (const { model, file, name, root } of PUBLISHED_CONFIGS) {
      const spec = specOf(file, name, root);
      const counted = parametersOf(spec);
      assert.ok(counted && !('unknown' in counted), `${file} ${name ?? ''}: not counted ${JSON.stringify(counted)}`);
      const published = PUBLISHED_MODELS.find((m) => m.id === model)!.parameters!;
      assert.equal(counted.published?.model, model, `${file}: recognised as ${model}`);
      const total = percent(counted.total, published.total.value);
      const active = percent(counted.active, published.active.value);
      rows.push(`| ${model} | ${file.split('/').slice(-2).join('/')}${name ? ` "${name}"` : ''} | ${counted.total.toLocaleString('en-US')} (${formatParameters(published.total.value)}, ${total.toFixed(2)}%) | ${counted.active.toLocaleString('en-US')} (${formatParameters(published.active.value)}, ${active.toFixed(2)}%) | ${published.activeCounts} |`);
      if (Math.abs(total) > 1 || Math.abs(active) > 3) misses.push(rows[rows.length - 1]!);
    }
    console.log(['# | model | config | total (published, off) | active (published, off) | active counts |', ...rows.map((r) => `# ${r}`)].join('\n'));
    assert.deepEqual(misses, []);
    const required = ['gpt-oss-20b', 'gpt-oss-120b', 'deepseek-v3-671b', 'qwen3-30b-a3b', 'qwen3-235b-a22b', 'mixtral-8x7b', 'llama4-scout-17b-16e', 'olmoe-1b-7b'];
    assert.deepEqual(required.filter((id) => !PUBLISHED_CONFIGS.some((c) => c.model === id)), []);
  });

  it('count gpt-oss-120b exactly as OpenAI\'s model card breaks it down (Table 1)', () => {
    // arXiv 2508.10925 Table 1: MLP 114.71B, attention 0.96B, embed + unembed 1.16B, active 5.13B, total 116.83B.
    const counted = parametersOf(specOf('torchtitan/pytorch__torchtitan@aa5daa7/torchtitan/experiments/gpt_oss/__init__.py', '120b'));
    assert.ok(counted && !('unknown' in counted));
    const b = counted.breakdown;
    assert.equal(((b.routedExperts + b.routers) / 1e9).toFixed(2), '114.71');
    assert.equal(((b.attention + b.norms) / 1e9).toFixed(2), '0.96');
    assert.equal(((b.embedding + b.unembedding) / 1e9).toFixed(2), '1.16');
    assert.equal(counted.total, 116_829_156_672);
    assert.equal(counted.active, 5_132_849_472);
  });

  it('are shown in the hover and in inspect (JSON: plain integers)', () => {
    const spec = specOf('models/deepseek-ai__DeepSeek-V3@b15f0db/inference/configs/config_v3.1.json');
    const report = reportConfig(spec, 'config_v3.1.json', new LineIndex(''));
    assert.equal(report.parameters?.total, 671_026_419_200);
    assert.equal(report.parameters?.active, 37_552_297_472);
    assert.ok(Number.isInteger(report.parameters?.total) && Number.isInteger(report.parameters?.active));
    assert.match(specMarkdown(spec), /Parameters: \*\*671B\*\* total, \*\*37\.55B\*\* active \(active counts both embedding tables\); deepseek-v3-671b publishes 671B \/ 37B\./);
  });

  it('say which size is missing instead of guessing it', () => {
    const text = '{"model_type": "qwen3_moe", "num_experts": 128, "num_experts_per_tok": 8, "hidden_size": 2048, "num_hidden_layers": 48}';
    const spec = analyzeDocument('config.json', text).specs[0]!;
    assert.deepEqual(parametersOf(spec), { unknown: 'the file does not set `vocab_size`' });
    assert.match(specMarkdown(spec), /Parameters: not counted \(the file does not set `vocab_size`\)\./);
  });

  it('read configs as transformers 5.x saves them: `"head_dim": null` falls back as if absent, `num_local_experts` for `num_experts`', () => {
    const mixtral = JSON.parse(readFileSync(join(CORPUS, 'params/yangulei__Mixtral-8x7B@2e54f23/config.json'), 'utf8')) as Record<string, unknown>;
    const counted = parametersOf(analyzeDocument('config.json', JSON.stringify({ ...mixtral, head_dim: null })).specs[0]!);
    assert.deepEqual(counted, parametersOf(analyzeDocument('config.json', JSON.stringify(mixtral)).specs[0]!));
    assert.ok(counted && !('unknown' in counted));
    const qwen3 = '{"model_type": "qwen3_moe", "num_local_experts": 128, "num_experts_per_tok": 8, "hidden_size": 2048, "num_hidden_layers": 48, "vocab_size": 151936, "num_attention_heads": 32, "num_key_value_heads": 4, "head_dim": 128, "moe_intermediate_size": 768}';
    const qwen3Counted = parametersOf(analyzeDocument('config.json', qwen3).specs[0]!);
    assert.ok(qwen3Counted && !('unknown' in qwen3Counted), JSON.stringify(qwen3Counted));
  });

  it('count layers without iterating them: a hostile layer count costs nothing (issue #14)', () => {
    const started = performance.now();
    for (const [type, extra] of [
      ['qwen3_moe', '"num_experts": 128, "moe_intermediate_size": 768, "intermediate_size": 6144, "decoder_sparse_step": 1, "mlp_only_layers": [0, 5]'],
      ['deepseek_v3', '"n_routed_experts": 256, "moe_intermediate_size": 2048, "first_k_dense_replace": 3, "n_shared_experts": 1, "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128, "intermediate_size": 18432'],
    ] as const) {
      const text = `{"model_type": "${type}", "num_experts_per_tok": 8, "vocab_size": 1000, "hidden_size": 64, "num_hidden_layers": 1000000000000, "num_attention_heads": 4, "num_key_value_heads": 4, "head_dim": 16, ${extra}}`;
      const counted = parametersOf(analyzeDocument('config.json', text).specs[0]!);
      assert.ok(counted && !('unknown' in counted) && counted.total > 1e15, `${type}: ${JSON.stringify(counted)}`);
    }
    assert.ok(performance.now() - started < 1000, 'counted, not iterated');
    // And the arithmetic is the loop's: DeepSeek-V3's 61 layers, first_k_dense_replace 3, MoE every layer after;
    // a Qwen3 config of 10 layers with decoder_sparse_step 2 would be sparse at 1, 3, 5, 7, 9; mlp_only_layers
    // [0, 5, 7] makes 5 and 7 dense (0 is dense anyway): MoE layers 1, 3, 9.
    const spec = specOf(`${AIC}/deepseek-ai--DeepSeek-V3_config.json`);
    assert.ok(spec.shape && 'shape' in spec.shape);
    assert.equal(countParameters(spec.shape.shape).moeLayers, 58);
    const qwen = analyzeDocument('config.json', '{"model_type": "qwen3_moe", "num_experts": 8, "num_experts_per_tok": 2, "vocab_size": 100, "hidden_size": 8, "num_hidden_layers": 10, "num_attention_heads": 2, "head_dim": 4, "moe_intermediate_size": 4, "intermediate_size": 16, "decoder_sparse_step": 2, "mlp_only_layers": [0, 5, 7]}').specs[0]!;
    assert.ok(qwen.shape && 'shape' in qwen.shape);
    assert.equal(countParameters(qwen.shape.shape).moeLayers, 3);
    // basetenlabs/kingkong @a469d59 torchtitan/models/deepseek_v3/__init__.py l.196 (`n_layers=2, n_dense_layers=3`):
    // torchtitan builds two dense layers and no MoE layer; the count was -7.9B (-1 MoE layers).
    const dense = countParameters({ ...spec.shape.shape, layers: 2, denseLayers: 3 });
    assert.deepEqual([dense.moeLayers, dense.total > 0, dense.breakdown.routedExperts], [0, true, 0]);
  });

  it('size expert weights per expert-parallel rank for a dtype', () => {
    const spec = specOf('models/deepseek-ai__DeepSeek-V3@b15f0db/inference/configs/config_v3.1.json');
    assert.ok(spec.shape && 'shape' in spec.shape);
    const count = countParameters(spec.shape.shape);
    // 58 MoE layers × 256 experts × 3 × 7168 × 2048 weights, in bf16, over 64 ranks.
    assert.equal(expertBytesPerRank(count, 256, 64, dtypeBytes('bfloat16')!), (58 * 256 * 3 * 7168 * 2048 * 2) / 64);
    assert.equal(expertBytesPerRank(count, 256, 48, 2), undefined, '256 experts do not split over 48 ranks');
    assert.equal(dtypeBytes('float8_e4m3fn'), 1);
    assert.equal(dtypeBytes('int4'), undefined);
  });
});

describe('parameter counts against transformers', () => {
  const fixture = join(FIXTURES, 'transformers-counts.json');
  it('equal the parameters of the model transformers builds from each published config, part by part', () => {
    const recorded = JSON.parse(readFileSync(fixture, 'utf8')) as { transformers: string; counts: { file: string; total: number; parts: Record<string, number> }[] };
    assert.ok(recorded.counts.length >= 8, 'one count per published config');
    for (const entry of recorded.counts) {
      const counted = parametersOf(specOf(entry.file, undefined, REPOSITORY));
      assert.ok(counted && !('unknown' in counted), `${entry.file}: not counted`);
      const b = counted.breakdown;
      const ours: Record<string, number> = {
        embedding: b.embedding,
        unembedding: b.unembedding,
        attention: b.attention,
        norms: b.norms,
        denseFfn: b.denseFfn,
        routedExperts: b.routedExperts,
        sharedExperts: b.sharedExperts,
        routers: b.routers,
        encoder: counted.total - (b.embedding + b.unembedding + b.attention + b.norms + b.denseFfn + b.routedExperts + b.sharedExperts + b.routers),
      };
      const theirs = Object.fromEntries(Object.keys(ours).map((k) => [k, entry.parts[k] ?? 0]));
      assert.deepEqual(ours, theirs, `${entry.file} (transformers ${recorded.transformers})`);
      assert.equal(counted.total, entry.total, entry.file);
    }
  });
});
