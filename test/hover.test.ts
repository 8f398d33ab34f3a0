import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeDocument } from '../src/core/analyze';
import { codeSpan, hoverAt } from '../src/core/hover';
import { completionsAt } from '../src/core/complete';
import { ProjectIndex } from '../src/core/project';
import { LineIndex } from '../src/core/text/source';

describe('hovers', () => {
  const text = 'gptoss_configs = {\n    "120b": MoEArgs(num_experts=128, top_k=4, score_func="softmax", route_norm=True),\n}\n';
  const analysis = analyzeDocument('torchtitan/models/gpt_oss/__init__.py', text);

  it('explain a routing key in this framework, with the semantics and the recognised model', () => {
    const hover = hoverAt(analysis, text.indexOf('route_norm') + 2)!;
    assert.equal(text.slice(hover.range.start, hover.range.end), 'route_norm');
    assert.match(hover.markdown, /\*\*`route_norm`\*\* — Renormalise the k selected weights/);
    assert.match(hover.markdown, /Semantics of `120b`: torchtitan · score → top-4 · softmax · selection bias \(learned\) · normalize always/);
    // Short beside a finding's hover (issue #12): what the config does not write is the callee's hover.
    assert.doesNotMatch(hover.markdown, /Not written here/);
    assert.ok(hover.markdown.split('\n').length <= 5, hover.markdown);
  });

  it("a config.json's `top_k` is text generation's sampling, not the router's top-k; completion offers no published value there (sweep 36)", () => {
    const text = '{"_name_or_path": "moonshotai/Kimi-K2-Instruct", "model_type": "kimi_k2", "n_routed_experts": 384, "num_experts_per_tok": 8, "n_group": 1, "topk_group": 1, "routed_scaling_factor": 2.827, "num_hidden_layers": 61, "hidden_size": 7168, "top_k": 50}';
    const analysis = analyzeDocument('config.json', text);
    assert.match(hoverAt(analysis, text.indexOf('"top_k"') + 2)!.markdown, /^\*\*`top_k`\*\* — top-k sampling of text generation, not the router's top-k \(`num_experts_per_tok`\)/);
    assert.equal(completionsAt('config.json', text, text.indexOf('50'), analysis), undefined);
    assert.deepEqual(completionsAt('config.json', text, text.indexOf(': 8,') + 2, analysis)?.entries.map((e) => e.detail), ['published kimi-k2']);
    // A torchtitan `top_k` is the router's (its field's sites are the call's keywords, read through the flavor table).
    const flavors = 'gptoss_configs = {\n    "120b": GptOssModelArgs(n_layers=36, moe_args=MoEArgs(num_experts=128, top_k=8, score_func="softmax")),\n}\n';
    assert.match(hoverAt(analyzeDocument('torchtitan/models/gpt_oss/__init__.py', flavors), flavors.indexOf('top_k') + 1)!.markdown, /^\*\*`top_k`\*\* — Experts each token is routed to/);
  });

  it('the callee shows where every value not written comes from, unknown ones included', () => {
    const hover = hoverAt(analysis, text.indexOf('MoEArgs') + 1)!;
    assert.match(hover.markdown, /Recognised as \*\*gpt-oss-120b\*\* \(flavor "120b"\)/);
    // `MoEArgs` is not imported: its defaults are not guessed, and the hover says so.
    // Fields with one reason share its line (issue #12: a line each did not fit a 900 px window).
    assert.match(hover.markdown, /^- `topk_before_score` \?, `route_scale` \?, `num_expert_groups` \?, `num_limited_groups` \? — unknown, each: no keyword sets it and the default of MoEArgs is not in the workspace$/m);
    // The selection bias is named as what it is, not by the key it follows from (its value is the router's: learned).
    assert.match(hover.markdown, /^- selection bias \? — unknown: no keyword sets `load_balance_coeff` and the default of MoEArgs is not in the workspace$/m);
    assert.match(hover.markdown, /^- gate bias \? — unknown: no keyword sets `gate_bias` and the default of MoEArgs is not in the workspace$/m);
  });

  it('a job file\'s flavor: what the job trains, and a pointer to the flavor (its hover has each value\'s source)', () => {
    const project = new ProjectIndex();
    project.setText('repo/torchtitan/models/moe.py', 'from dataclasses import dataclass\n\n@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    top_k: int = 1\n    route_scale: float = 1.0\n');
    project.setText('repo/torchtitan/models/gpt_oss/__init__.py', `from ..moe import MoEArgs\n\n${text}`);
    const job = '[model]\nname = "gpt_oss"\nflavor = "120b"\n';
    const hover = hoverAt(analyzeDocument('repo/torchtitan/models/gpt_oss/train_configs/job.toml', job, project), job.indexOf('120b'))!;
    assert.match(hover.markdown, /Semantics: torchtitan · score → top-4 · softmax/);
    assert.match(hover.markdown, /Recognised as \*\*gpt-oss-120b\*\*/);
    assert.match(hover.markdown, /Values from the flavor in `__init__\.py`: go to definition opens it/);
    assert.doesNotMatch(hover.markdown, /Not written here/);
  });

  it('says what a router is equivalent to (information that is not a finding: issue #12)', () => {
    const qwen = '{"model_type": "qwen3_moe", "num_experts": 128, "num_experts_per_tok": 8, "norm_topk_prob": true}';
    const hover = hoverAt(analyzeDocument('config.json', qwen), qwen.indexOf('norm_topk_prob') + 2)!;
    assert.match(hover.markdown, /Equivalent: softmax over all experts, top-8, then renormalise is the same routing as top-8 on the logits then softmax over the 8/);
    // Keys as the file spells them; a field the format has no key for, in words (the callee's summary).
    const summary = hoverAt(analyzeDocument('config.json', qwen), qwen.indexOf('model_type') + 2)!.markdown;
    // Declared defaults share one line (the summary fits without scrolling); Inspect File names each source.
    assert.match(summary, /Defaults, not written here: score function softmax, top-k before scoring false, /);
    assert.doesNotMatch(summary, /scoreFunc|selectionBias|`score_func`/);
    // Unknown selection bias (MoEArgs not imported): nothing is claimed.
    assert.doesNotMatch(hoverAt(analysis, text.indexOf('route_norm') + 2)!.markdown, /Equivalent:/);
  });

  it('the callee shows the config summary; outside a config there is no hover', () => {
    assert.match(hoverAt(analysis, text.indexOf('MoEArgs') + 1)!.markdown, /MoE Lens\*\* · `120b`/);
    assert.equal(hoverAt(analysis, 2), undefined);
  });

  it('a flavor name cannot break out of its code span (issue #14)', () => {
    const text = 'configs = {\n    "a`[x](https://evil.example)`b": MoEArgs(num_experts=8, top_k=2),\n}\n';
    const hostile = analyzeDocument('m.py', text);
    const hover = hoverAt(hostile, text.indexOf('MoEArgs') + 1)!;
    assert.match(hover.markdown, /\*\*MoE Lens\*\* · ``a`\[x\]\(https:\/\/evil\.example\)`b``/);
    assert.equal(codeSpan('`x'), '`` `x ``');
  });
  it('names a key as the file spells it, and places a value resolved in the same file by line, not by path (issue #12)', () => {
    const script = '#!/bin/bash\nEXPERTS=64\ntorchrun pretrain_gpt.py --num-experts $EXPERTS --moe-router-topk 2 --moe-router-score-function sigmoid\n';
    const file = '/w/repo/train.sh';
    const launch = analyzeDocument(file, script);
    const lines = new LineIndex(script);
    assert.match(hoverAt(launch, script.indexOf('--moe-router-topk') + 3, lines, file)!.markdown, /^\*\*`--moe-router-topk`\*\* — Megatron: experts each token is routed to/);
    const summary = hoverAt(launch, launch.specs[0]!.anchorRange.start, lines, file)!.markdown;
    assert.match(summary, /^Not written here as a literal:\n- `num_experts` 64 — resolved at line 2: via 3:40$/m);
    assert.doesNotMatch(summary, /\/w\/repo/, 'no path of the file itself');
    const yaml = 'num_moe_experts: 8\nmoe_router_topk: 2\n';
    assert.match(hoverAt(analyzeDocument('/w/m.yaml', yaml), 2, new LineIndex(yaml))!.markdown, /^\*\*`num_moe_experts`\*\* — Routed experts per MoE layer/);
  });
  it('a key in a builder function that several flavors call, and the keywords and parameters its values pass through (issue #12: 250 keys of real torchtitan files had none)', () => {
    const builder = 'from torchtitan.models.moe import MoEArgs\n\n\ndef _build(num_experts, top_k):\n    return MoEArgs(num_experts=num_experts, top_k=top_k, score_func="softmax")\n\n\nflavors = {\n    "a": _build(num_experts=8, top_k=2),\n    "b": _build(num_experts=16, top_k=4),\n}\n';
    const file = '/w/torchtitan/models/x/__init__.py';
    const flavors = analyzeDocument(file, builder);
    const at = (needle: string) => hoverAt(flavors, builder.indexOf(needle) + 1, new LineIndex(builder), file)?.markdown ?? '';
    assert.match(at('score_func'), /^\*\*`score_func`\*\* — Score function[^]*Read by 2 configs: `a`, `b`; each one's hover says where its values come from\.$/);
    assert.match(at('num_experts, top_k'), /^\*\*`num_experts`\*\* — Routed experts[^]*Read by 2 configs: `a`, `b`/, 'the parameter');
    assert.match(at('top_k=top_k'), /^\*\*`top_k`\*\* — Experts each token is routed to[^]*Read by 2 configs/, "the builder's keyword");
    // The flavor's own keyword: one config reads it.
    assert.match(at('num_experts=8'), /^\*\*`num_experts`\*\* — Routed experts[^]*Semantics of `a`: torchtitan · score → top-2 · softmax/);
    assert.equal(at('def _build'), '', 'not on a word no config reads');
  });
  it("names a key only where the text at its place is that key: not setattr's `k`, not a value, and a switch as written (helper review Q)", () => {
    const setattr = 'from megatron.core.transformer import TransformerConfig\n\n\ndef _base(hf_config, **kwargs) -> TransformerConfig:\n    base_config = {\n        "num_layers": hf_config.num_hidden_layers,\n        "num_moe_experts": hf_config.n_routed_experts,\n    }\n    base_config.update(kwargs)\n    return TransformerConfig(**base_config)\n\n\ndef hf_to_mcore(hf_config) -> TransformerConfig:\n    cfg = _base(hf_config=hf_config)\n    params = dict(\n        moe_router_topk=hf_config.num_experts_per_tok,\n        add_bias_linear=False,\n    )\n    for k, v in params.items():\n        setattr(cfg, k, v)\n    return cfg\n';
    const titleAt = (file: string, text: string, needle: string): string | undefined => hoverAt(analyzeDocument(file, text), text.indexOf(needle) + 1, new LineIndex(text), file)?.markdown.split('\n')[0];
    assert.equal(titleAt('/w/config_converter.py', setattr, 'num_experts_per_tok'), '**`moe_router_topk`** — Megatron: experts each token is routed to (default 2).');
    const builder = 'from torchtitan.models.moe import MoEArgs\n\n\ndef _cfg(n, k):\n    return MoEArgs(num_experts=n, top_k=k, score_func="softmax", route_norm=False)\n\n\nargs = {"small": _cfg(n=8, k=2), "large": _cfg(n=64, k=6)}\n';
    assert.match(titleAt('/w/torchtitan/models/x/__init__.py', builder, 'softmax') ?? '', /^\*\*`score_func`\*\*/, 'a quoted value is not the key');
    const script = 'torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 2 --moe-router-score-function sigmoid --moe-router-enable-expert-bias 2>&1 | tee log.txt\n';
    assert.match(titleAt('/w/train.sh', script, '--moe-router-enable-expert-bias') ?? '', /^\*\*`--moe-router-enable-expert-bias`\*\*/, 'a switch has no value of its own');
  });

  it("a builder's parameter is read by the configs that pass it and by those that take its default (helper review Q)", () => {
    const builder = 'from torchtitan.models.moe import MoEArgs\n\n\ndef _cfg(n: int, k: int, score: str = "softmax", norm: bool = False):\n    return MoEArgs(num_experts=n, top_k=k, score_func=score, route_norm=norm)\n\n\nargs = {\n    "small": _cfg(n=8, k=2),\n    "medium": _cfg(n=16, k=2, score="sigmoid"),\n    "large": _cfg(n=64, k=6, score="sigmoid", norm=True),\n}\n';
    const file = '/w/torchtitan/models/x/__init__.py';
    const at = (needle: string) => hoverAt(analyzeDocument(file, builder), builder.indexOf(needle) + 1, new LineIndex(builder), file)?.markdown ?? '';
    assert.match(at('score: str'), /Read by 3 configs: `small`, `medium`, `large`/);
    assert.match(at('norm: bool'), /Read by 3 configs: `small`, `medium`, `large`/);
  });
});
