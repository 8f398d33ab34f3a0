import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeTorchtitanPython } from '../../src/core/parse/torchtitan-python';
import { collectDeclarations } from '../../src/core/parse/python/declarations';
import { PythonEvaluator } from '../../src/core/parse/python/evaluate';
import { parsePython } from '../../src/core/parse/python/syntax';
import { ProjectIndex } from '../../src/core/project';
import { provenanceOf, renormalizes, renormalizesAsRouted, semanticsLabel } from '../../src/core/model/router-spec';

const specsOf = (text: string, file = 'torchtitan/models/gpt_oss/__init__.py', project?: ProjectIndex) => analyzeTorchtitanPython(text, file, project).specs;

describe('torchtitan Python dialect', () => {
  it('reads a flavor dict entry nested in model args, with ranges and the flavor name', () => {
    const text = 'gptoss_configs = {\n    "120b": GptOssModelArgs(dim=2880, n_layers=36, moe_args=MoEArgs(num_experts=128, top_k=4, score_func="softmax", route_norm=True, gate_bias=True)),\n}\n';
    const [spec] = specsOf(text);
    assert.ok(spec);
    assert.equal(spec.name, '120b');
    assert.equal(spec.identity.family, 'gpt-oss');
    assert.equal(spec.experts.value, 128);
    assert.equal(spec.topK.value, 4);
    assert.equal(text.slice(spec.topK.sites[0]!.valueRange.start, spec.topK.sites[0]!.valueRange.end), '4');
    assert.equal(text.slice(spec.topK.sites[0]!.keyRange.start, spec.topK.sites[0]!.keyRange.end), 'top_k');
    assert.equal(spec.hidden.value, 2880);
    assert.equal(spec.layers.value, 36);
    assert.equal(spec.routerBias.value, true);
    assert.equal(spec.normalize.value, 'always');
    assert.equal(semanticsLabel(spec), 'torchtitan · score → top-4 · softmax · router bias · selection bias (learned) · normalize always');
    // The config spans its whole flavor entry (a cursor anywhere in it picks this config); the anchor is the call.
    assert.match(text.slice(spec.range.start, spec.range.end), /^"120b": GptOssModelArgs\(dim=2880.*\)\)$/);
    assert.equal(text.slice(spec.anchorRange.start, spec.anchorRange.end), 'MoEArgs');
  });

  it('a functools.partial flavor is its builder called with the bound keywords (QIU023/torchtitan attention_residual)', () => {
    const text = [
      'from functools import partial',
      '',
      'def _moe(top_k=6, num_experts=64):',
      '    return MoEArgs(num_experts=num_experts, top_k=top_k, score_func="softmax")',
      '',
      'configs = {',
      '    "base": _moe,',
      '    "k8": partial(_moe, top_k=8),',
      '    "init": partial(external_init, std=0.02),',
      '}',
      '',
    ].join('\n');
    const byName = new Map(specsOf(text).map((spec) => [spec.name, spec]));
    assert.deepEqual([byName.get('base')?.topK.value, byName.get('k8')?.topK.value, byName.get('k8')?.experts.value], [6, 8, 64]);
    assert.equal(text.slice(byName.get('k8')!.topK.sites[0]!.valueRange.start, byName.get('k8')!.topK.sites[0]!.valueRange.end), '8');
    // A partial of something outside the workspace builds no config.
    assert.equal(byName.has('init'), false);
  });

  it('reads `2.` as the float Python makes of it, and a bare `yield`, without a syntax error (DeepSeek-V3 inference/model.py: `route_scale: float = 1.`)', () => {
    const text = 'a = MoEArgs(num_experts=8, top_k=2, score_func="sigmoid", route_scale=2.)\nb: float = 1.\nc = 1.real\n';
    assert.deepEqual(parsePython(text).errorRanges, []);
    const [spec] = specsOf(text);
    assert.equal(spec!.scale.value, 2);
    assert.deepEqual(spec!.scale.sites[0]!.literal, { kind: 'float', value: 2 });
    // A real member access stays one, and a missing name after a variable is still an error.
    assert.equal(parsePython('x = a.\n').errorRanges.length, 1);
    // A bare `yield` (a context manager's, torchtitan protocols/module.py @b5bcd76 l.136) is valid too.
    assert.deepEqual(parsePython('def f():\n    if a:\n        yield\n        return\n    x = yield\n').errorRanges, []);
    assert.equal(parsePython('def f():\n    yield )\n').errorRanges.length > 0, true);
  });

  it('a trailing-dot float followed by a comment is no syntax error, and its value ends at the dot (ms-swift megatron_args.py)', () => {
    // `freeze_parameters_ratio: float = 0.  # 0 ~ 1` in a dataclass: Lezer puts the comment inside the member
    // access it makes of `0.`, before the missing name; the file was reported as unparsable from there on.
    const text = '@dataclass\nclass Args:\n    num_moe_experts: int = 64\n    moe_router_topk: int = 6\n    moe_router_topk_scaling_factor: float = 2.  # as DeepSeek\n    ratio: float = 0.  # 0 ~ 1\n';
    assert.deepEqual(parsePython(text).errorRanges, []);
    const [spec] = specsOf(text, 'megatron_args.py');
    assert.deepEqual([spec?.experts.value, spec?.topK.value, spec?.scale.value], [64, 6, 2]);
    const site = spec!.scale.sites[0]!;
    assert.equal(text.slice(site.valueRange.start, site.valueRange.end), '2.', 'a fix rewrites the value, not the comment after it');
    assert.equal(parsePython('x = 1.  # c\ny = a.  # c\n').errorRanges.length, 1, 'a name still missing after a variable is an error');
  });

  it('a trailing-dot float followed by spaces is no syntax error (llm-jp/Megatron-LM @ea80de7 `time_offsets = [ 0. ]`)', () => {
    assert.deepEqual(parsePython('time_offsets = [ 0. ]\nm = MoEArgs(num_experts=8, top_k=2, route_scale=2. )\n').errorRanges, []);
    assert.deepEqual(specsOf('m = MoEArgs(num_experts=8, top_k=2, route_scale=2. )\n', 'flavors.py')[0]?.scale.value, 2);
    assert.equal(parsePython('x = [ a. ]\n').errorRanges.length, 1, 'a name missing after a variable is still an error');
  });

  it('a trailing-dot float before a keyword (`1. else`) is a float, not a member access named `else` (llm-foundry run_mpt_with_ft.py)', () => {
    const text = 'v = None if p == 1. else p * 2\nw = [2. for _ in range(3)]\nz = 3. if c else 4.\nm = MoEArgs(num_experts=8, top_k=2, route_scale=2. if True else 1.)\n';
    assert.deepEqual(parsePython(text).errorRanges, []);
    const [spec] = specsOf(text);
    assert.equal(spec!.scale.value, 2, 'the condition is decided: True picks 2.');
    const site = spec!.scale.sites.at(-1)!;
    assert.deepEqual(site.literal, { kind: 'float', value: 2 });
    assert.equal(text.slice(site.valueRange.start, site.valueRange.end), '2.', 'a fix rewrites the number with its dot');
    // Only a number's dot is blanked for the parser: a string keeps its text, a member access stays one.
    const kept = 'x = "1. if" if k else 1.real\n';
    assert.deepEqual(parsePython(kept).errorRanges, []);
    assert.equal(parsePython(kept).text, kept);
  });

  it('a trailing-dot float before an operator (`1. / n`, `100. * i`) or a keyword without a space (`1.if`) is a float (DeepSpeed engine.py, tutel)', () => {
    // DeepSpeed @38327e0 engine.py: `.mul_(1. / dp_world_size)`; tutel @82af7aa cosine_top.py: `1. / 0.01`, moe_mnist.py: `100. * batch_idx`.
    const text = 'a = 1. / 2\nb = 100. * i\nc = 3. - 1\nd = 1. < 2\ne = 1.if c else 2\nf = 2. ** 2\ng = 1.e5 + 1.j.imag\nm = MoEArgs(num_experts=8, top_k=2, route_scale=5. / 2)\n';
    assert.deepEqual(parsePython(text).errorRanges, []);
    const [spec] = specsOf(text);
    assert.equal(spec!.scale.value, 2.5);
    assert.equal(spec!.experts.value, 8);
  });

  it('a builder function names its config and spans it', () => {
    const text = 'def _deepseek_16b():\n    return MoEArgs(num_experts=64, top_k=6)\n';
    const [spec] = specsOf(text, 'torchtitan/models/deepseek_v3/__init__.py');
    assert.equal(spec?.name, 'deepseek_16b');
    assert.equal(text.slice(spec!.range.start, spec!.range.end).trimEnd(), text.trimEnd());
  });

  it('fills missing fields from a workspace dataclass in another file, and says where from', () => {
    const args = '@dataclass\nclass MoEArgs:\n    num_experts: int = 16\n    top_k: int = 2\n    score_func: str = "softmax"\n    load_balance_coeff: float | None = None\n';
    const project = new ProjectIndex();
    project.setText('args.py', args);
    const [spec] = specsOf('from args import MoEArgs\n\nx = MoEArgs(route_norm=True)\n', 'flavors.py', project);
    assert.equal(spec!.experts.value, 16);
    assert.equal(spec!.topK.value, 2);
    assert.deepEqual(spec!.topK.defaultFrom?.label, 'MoEArgs.top_k');
    assert.equal(spec!.topK.defaultFrom?.file, 'args.py');
    assert.equal(spec!.scoreFunc.value, 'softmax');
    assert.equal(spec!.selectionBias.value, 'none');
  });

  it('an import inside a function binds the class there, found from the module as a top-level import is', () => {
    const args = '@dataclass\nclass MoEArgs:\n    num_experts: int = 16\n    top_k: int = 2\n    score_func: str = "softmax"\n';
    const project = new ProjectIndex();
    project.setText('pkg/__init__.py', '');
    project.setText('pkg/args.py', args);
    const [spec] = specsOf('def build():\n    from pkg.args import MoEArgs\n    return MoEArgs(num_experts=8)\n', 'flavors.py', project);
    assert.equal(spec!.topK.value, 2);
    assert.equal(spec!.topK.defaultFrom?.file, 'pkg/args.py');
    // The import binds only inside its function: another function's `MoEArgs` stays a name nothing defines.
    const [, other] = specsOf('def build():\n    from pkg.args import MoEArgs\n    return MoEArgs(num_experts=8)\n\ndef other():\n    return MoEArgs(num_experts=8)\n', 'flavors.py', project);
    assert.equal(provenanceOf(other!.topK), 'unknown');
  });

  it('counts alone are no torchtitan router: a stand-in, another framework\'s class or a workspace class without router fields is not read as one', () => {
    for (const text of [
      'from types import SimpleNamespace\ncfg = SimpleNamespace(num_experts=8, top_k=2)\n',
      'import types\ncfg = types.SimpleNamespace(num_experts=8, top_k=2)\n',
      'import argparse\nargs = argparse.Namespace(num_experts=8, top_k=2)\n',
      'from unittest import mock\ncfg = mock.MagicMock(num_experts=8, top_k=2, score_func="softmax")\n',
      // vLLM's layer: its own keywords (`scoring_func`, `renormalize`), not torchtitan's.
      'from vllm.model_executor.layers.fused_moe import FusedMoE\nm = FusedMoE(num_experts=256, top_k=8, scoring_func="sigmoid", renormalize=True)\n',
      // TensorRT-LLM's MoeConfig (tensorrt_llm/layers/moe.py): 0 and 0 is its "no MoE", not a router with top-k 0.
      '@dataclass\nclass MoeConfig:\n    num_experts: int = 0\n    top_k: int = 0\n    normalization_mode: int = 1\n\ndense = MoeConfig()\nsparse = MoeConfig(num_experts=8, top_k=2)\n',
    ]) {
      assert.deepEqual(specsOf(text, 'test_router.py'), [], text);
    }
    // A class the workspace lacks that spells torchtitan's router keys is read by them; a workspace class that
    // declares them (a fork's RouterConfig) is one.
    const [spec] = specsOf('from olmo_core.nn.moe import MoERouterConfig\ncfg = MoERouterConfig(num_experts=8, top_k=2, score_func="softmax")\n', 'train.py');
    assert.equal(spec!.experts.value, 8);
    const [fork] = specsOf('@dataclass\nclass RouterConfig:\n    num_experts: int = 8\n    top_k: int = 2\n    route_norm: bool = True\n\ncfg = RouterConfig(num_experts=16)\n', 'train.py');
    assert.equal(fork!.topK.value, 2);
    // A dict of keywords names no class whose defaults could be looked up.
    const [dict] = specsOf('flavors = {"small": dict(dim=256, moe_args=dict(num_experts=8, top_k=2, route_norm=True))}\n', 'flavors.py');
    assert.equal(dict!.scoreFunc.unknown, 'the dict sets no `score_func`, and the default of what it is passed to is not known');
    // A dict that holds tensors is a call's inputs (pytorch/executorch @cff6f4d test_quantized_moe.py l.99-120, trimmed:
    // the kwargs of torch.ops.llama.quantized_moe_ffn), not a config.
    const kwargs = (x: string) => `import torch\n\ndef inputs():\n    return {\n        "x": ${x},\n        "num_experts": 4,\n        "score_func": "sigmoid",\n        "route_scale": 2.5,\n    }\n`;
    assert.deepEqual(specsOf(kwargs('torch.empty((4, 32), dtype=torch.float32, device="meta")'), 'test_quantized_moe.py'), []);
    assert.equal(specsOf(kwargs('torch.float32'), 'flavors.py').length, 1, 'a dtype is no tensor');
  });

  it('a function nothing here calls passes its `**kwargs` on with keywords its callers choose: what it does not write is unknown', () => {
    // NVIDIA/Model-Optimizer @a2fbac7 tests/_test_utils/torch/megatron/models.py l.365-432 (trimmed): callers elsewhere
    // pass `num_moe_experts=…` and any TransformerConfig field through `**config_kwargs`; read as Megatron's defaults.
    const text = 'from megatron.core.transformer.transformer_config import TransformerConfig\n\n\ndef get_model(num_moe_experts=8, **config_kwargs):\n    return TransformerConfig(num_layers=2, num_moe_experts=num_moe_experts, moe_router_score_function="sigmoid", **config_kwargs)\n';
    const [uncalled] = specsOf(text, 'models.py');
    assert.match(uncalled!.topK.unknown ?? '', /the call passes `\*\*` arguments MoE Lens cannot read, which may set it/);
    assert.equal(uncalled!.scoreFunc.value, 'sigmoid');
    // Megatron renormalises sigmoid weights only when k > 1: not known while k is not, though routing's fallback is top-2.
    assert.deepEqual([renormalizes(uncalled!), renormalizesAsRouted(uncalled!)], [undefined, true]);
    // Called here with nothing more, `**config_kwargs` is empty: Megatron's default top-k.
    const [called] = specsOf(`${text}\nmodel = get_model()\n`, 'models.py');
    assert.deepEqual([called!.topK.value, called!.topK.unknown, renormalizes(called!)], [2, undefined, true]);
  });

  it('a dataclass with Megatron\'s expert count is a router config only with a router field of its own, and never a dispatcher\'s', () => {
    assert.deepEqual(specsOf('from dataclasses import dataclass\n@dataclass\nclass ExpertMemoryEstimate:\n    num_moe_experts: int = 8\n', 'estimate.py'), []);
    assert.deepEqual(specsOf('from dataclasses import dataclass\n@dataclass\nclass TokenDispatcherConfig:\n    moe_router_topk: int = 2\n    num_moe_experts: int = 64\n', 'token_dispatcher.py'), []);
    const [own] = specsOf('from dataclasses import dataclass\n@dataclass\nclass MoEConfig:\n    num_moe_experts: int = 8\n    moe_router_topk: int = 2\n', 'provider.py');
    assert.equal(own!.topK.value, 2);
    // A base MoE Lens cannot read may declare the router's fields: still a config, its unwritten fields unknown.
    const [inherited] = specsOf('from dataclasses import dataclass\nfrom megatron.bridge.models import GPTModelProvider\n@dataclass\nclass Provider(GPTModelProvider):\n    num_moe_experts: int = 8\n', 'provider.py');
    assert.equal(inherited!.experts.value, 8);
  });

  it("a base after Megatron Core's TransformerConfig changes no router field (NeMo's io.IOMixin, Bridge's ModelProviderMixin[...]); a layer spec of the provider's own leaves the router's defaults unknown", () => {
    // Megatron-Bridge @067f987 gpt_provider.py l.129 and model_provider.py: GPTModelProvider(TransformerConfig,
    // ModelProviderMixin[MCoreGPTModel]), the mixin's own bases abc.ABC and Generic[ModelT].
    const project = new ProjectIndex();
    project.setText('w/megatron/bridge/__init__.py', '');
    project.setText('w/megatron/bridge/models/__init__.py', '');
    project.setText('w/megatron/bridge/models/model_provider.py', 'import abc\nfrom typing import Generic, TypeVar\nModelT = TypeVar("ModelT")\nclass ModelProviderMixin(abc.ABC, Generic[ModelT]):\n    pass\n');
    project.setText('w/megatron/bridge/models/gpt_provider.py', 'from dataclasses import dataclass\nfrom megatron.core.transformer.transformer_config import TransformerConfig\nfrom megatron.core.models.gpt import GPTModel as MCoreGPTModel\nfrom megatron.bridge.models.model_provider import ModelProviderMixin\n\ndef default_layer_spec(config):\n    return None\n\n@dataclass\nclass GPTModelProvider(TransformerConfig, ModelProviderMixin[MCoreGPTModel]):\n    transformer_layer_spec: object = default_layer_spec\n');
    const provider = (body: string) => specsOf(`from dataclasses import dataclass\nfrom megatron.bridge.models.gpt_provider import GPTModelProvider\n\n@dataclass\nclass TopOneProvider(GPTModelProvider):\n    num_moe_experts: int = 8\n    moe_router_topk: int = 1\n${body}`, 'w/megatron/bridge/models/top_one.py', project)[0]!;
    const plain = provider('');
    assert.equal(plain.scoreFunc.value, 'softmax');
    assert.equal(provenanceOf(plain.scoreFunc), 'default', "Megatron Core's default: the mixin after TransformerConfig declares no field");
    assert.equal(plain.order.value, 'topk-then-score');
    // The provider's own layer spec picks the router (Bridge's Gemma 4 provider swaps in Gemma4TopKRouter).
    const custom = provider('    transformer_layer_spec: object = None\n');
    assert.match(custom.scoreFunc.unknown ?? '', /TopOneProvider builds its layers with its own `transformer_layer_spec`, which picks the router/);
    assert.equal(custom.topK.value, 1, 'what the provider writes stays read');
    // NeMo @8cfedd7 diffusion/models/model.py l.110: DiTConfig(TransformerConfig, io.IOMixin).
    const nemo = specsOf('from dataclasses import dataclass\nfrom megatron.core.transformer.transformer_config import TransformerConfig\nfrom nemo.lightning import io\n\n@dataclass\nclass DiTConfig(TransformerConfig, io.IOMixin):\n    num_moe_experts: int = 64\n    moe_router_topk: int = 2\n', 'model.py')[0]!;
    assert.equal(provenanceOf(nemo.scoreFunc), 'default');
    // A base before TransformerConfig may declare the field first: unknown.
    const before = specsOf('from dataclasses import dataclass\nfrom megatron.core.transformer.transformer_config import TransformerConfig\nfrom nemo.lightning import io\n\n@dataclass\nclass DiTConfig(io.IOMixin, TransformerConfig):\n    num_moe_experts: int = 64\n    moe_router_topk: int = 2\n', 'model.py')[0]!;
    assert.match(before.scoreFunc.unknown ?? '', /DiTConfig does not set it, and its base IOMixin \(not in the workspace\) may/);
  });

  it("a call that builds a Megatron config with field names is a config: the call's keywords over the class's defaults, one spec a call", () => {
    // Megatron Core's own class, imported from outside the workspace: Megatron's defaults.
    const [core] = specsOf('from megatron.core.transformer.transformer_config import TransformerConfig\n\ncfg = TransformerConfig(num_layers=2, hidden_size=64, num_moe_experts=8, moe_router_topk=1)\n', 'train.py');
    assert.deepEqual([core!.name, core!.experts.value, core!.topK.value, core!.scoreFunc.value, provenanceOf(core!.scoreFunc)], ['cfg', 8, 1, 'softmax', 'default']);
    // NeMo @8cfedd7 tests/collections/llm/bitexact/mixtral/pretrain_mini_mixtral.py l.76-89: a workspace class's call.
    const text = 'from dataclasses import dataclass\nfrom megatron.core.transformer.transformer_config import TransformerConfig\n\n@dataclass\nclass MixtralConfig8x7B(TransformerConfig):\n    num_moe_experts: int = 8\n    moe_router_topk: int = 2\n    moe_router_pre_softmax: bool = False\n\nmixtral_config = MixtralConfig8x7B(num_layers=2, moe_router_topk=1, num_moe_experts=4)\n';
    const specs = specsOf(text, 'pretrain_mini_mixtral.py');
    assert.deepEqual(specs.map((s) => [s.name, s.experts.value, s.topK.value]), [['MixtralConfig8x7B', 8, 2], ['mixtral_config', 4, 1]]);
    const call = specs[1]!;
    assert.deepEqual(call.sites.filter((s) => s.key === 'moe_router_topk').length, 1, "the call's keyword replaces the class's default");
    assert.equal(call.order.sites[0]?.keyRange.start, text.indexOf('moe_router_pre_softmax'), "the class's default where the call writes nothing");
    // A class from outside the workspace spelling Megatron's names: what the call does not write is unknown.
    const [bridge] = specsOf('from megatron.bridge.models import HybridModelProvider\n\ndef recipe():\n    return HybridModelProvider(num_moe_experts=128, moe_router_topk=6, moe_router_score_function="sigmoid")\n', 'recipe.py');
    assert.deepEqual([bridge!.name, bridge!.experts.value, bridge!.topK.value, bridge!.scoreFunc.value], ['recipe', 128, 6, 'sigmoid']);
    assert.match(bridge!.scale.unknown ?? '', /the call does not set it, and HybridModelProvider \(not in the workspace\) may/);
    // A dispatcher's config and a test's stand-in are no router config.
    assert.deepEqual(specsOf('from megatron.core.x import TokenDispatcherConfig\nd = TokenDispatcherConfig(num_moe_experts=64, moe_router_topk=2)\n', 'd.py'), []);
    assert.deepEqual(specsOf('from types import SimpleNamespace\nd = SimpleNamespace(num_moe_experts=64, moe_router_topk=2)\n', 'd.py'), []);
    // Megatron-LM @d98e8a6 tests/unit_tests/transformer/moe/test_grouped_mlp.py l.60-68: built to be refused.
    const refused = 'import pytest\nfrom megatron.core.transformer.transformer_config import TransformerConfig\n\ndef test_refused():\n    with pytest.raises(ValueError, match="requires"):\n        TransformerConfig(num_layers=1, num_moe_experts=2, moe_router_topk=1)\n';
    assert.deepEqual(specsOf(refused, 'test_x.py'), []);
    assert.equal(specsOf(refused.replace('pytest.raises(ValueError, match="requires")', 'torch.no_grad()'), 'test_x.py').length, 1);
  });

  it('torchtitan Aug 2025 - Feb 2026: a learned bias is updated only where the TrainSpec builds optimizers with the load-balancing builder', () => {
    // garrett361/torchtitan @eb13ba2 (pytorch/torchtitan's commit): torchtitan/components/optimizer.py defines both
    // builders; experiments/qwen3/__init__.py l.188 registers plain build_optimizers, llama4's l.107 the other.
    const optimizer = 'def build_optimizers(model_parts, job_config):\n    return None\n\n\ndef build_optimizers_with_moe_load_balancing(model_parts, job_config):\n    return None\n';
    const flavors = (builder: string) =>
      `from torchtitan.components.optimizer import ${builder}\nfrom torchtitan.models.moe import MoEArgs\nfrom torchtitan.protocols.train_spec import TrainSpec, register_train_spec\n\nconfigs = {\n    "30B-A3B": MoEArgs(num_experts=128, top_k=8, score_func="softmax", load_balance_coeff=1e-3),\n}\n\nregister_train_spec(TrainSpec(name="qwen3", model_args=configs, build_optimizers_fn=${builder}))\n`;
    const bias = (builder: string, withOptimizer: boolean) => {
      const project = new ProjectIndex();
      if (withOptimizer) project.setText('/w/torchtitan/components/optimizer.py', optimizer);
      project.setText('/w/torchtitan/__init__.py', '');
      project.setText('/w/torchtitan/components/__init__.py', '');
      const file = '/w/torchtitan/experiments/qwen3/__init__.py';
      project.setText(file, flavors(builder));
      return specsOf(flavors(builder), file, project)[0]!.selectionBias;
    };
    const plain = bias('build_optimizers', true);
    assert.deepEqual([plain.value, plain.unknown], ['none', undefined]);
    assert.match(plain.defaultFrom?.label ?? '', /TrainSpec\(build_optimizers_fn=build_optimizers\) in __init__.py \(line 9\): that builder registers no update of `expert_bias`/);
    assert.equal(bias('build_optimizers_with_moe_load_balancing', true).value, 'learned');
    // Not in the workspace: the torchtitan version decides, so not known.
    assert.match(bias('build_optimizers', false).unknown ?? '', /whether this run learns one depends on its torchtitan version/);
  });

  it("a TrainSpec a sibling module builds over the file's flavor table decides too", () => {
    // xiao-hu/torchtitan @728bb3c torchtitan/experiments/qwen3_vl/__init__.py l.38-41 and train_spec.py l.161-173
    // (trimmed): `get_train_spec()` returns train_spec.py's TrainSpec with plain build_optimizers; MOE012 said it learns.
    const optimizer = 'def build_optimizers(model_parts, job_config):\n    return None\n\n\ndef build_optimizers_with_moe_load_balancing(model_parts, job_config):\n    return None\n';
    const flavors = 'from torchtitan.models.moe import MoEArgs\n\n\ndef get_train_spec():\n    from torchtitan.experiments.qwen3_vl.train_spec import qwen3_vl_train_spec\n\n    return qwen3_vl_train_spec\n\n\nqwen3_vl_args = {\n    "30B-A3B": MoEArgs(num_experts=128, top_k=8, score_func="softmax", load_balance_coeff=1e-3),\n}\n';
    const sibling = 'from torchtitan.components.optimizer import build_optimizers\nfrom torchtitan.protocols.train_spec import TrainSpec\n\nfrom . import qwen3_vl_args\n\nqwen3_vl_train_spec = TrainSpec(model_args=qwen3_vl_args, build_optimizers_fn=build_optimizers)\n';
    const project = new ProjectIndex();
    project.setText('/w/torchtitan/__init__.py', '');
    project.setText('/w/torchtitan/components/__init__.py', '');
    project.setText('/w/torchtitan/components/optimizer.py', optimizer);
    project.setText('/w/torchtitan/experiments/qwen3_vl/train_spec.py', sibling);
    const file = '/w/torchtitan/experiments/qwen3_vl/__init__.py';
    project.setText(file, flavors);
    const bias = specsOf(flavors, file, project)[0]!.selectionBias;
    assert.deepEqual([bias.value, bias.unknown], ['none', undefined]);
    assert.match(bias.defaultFrom?.label ?? '', /TrainSpec\(build_optimizers_fn=build_optimizers\) in train_spec.py \(line 6\)/);
  });

  it('torchtitan since Feb 2026: a learned bias is updated only where the ModelSpec names a post-optimizer hook', () => {
    // yichuan-w/torchtitan @0c94524 torchtitan/models/qwen3/__init__.py l.614-636 (trimmed) and torchtitan/trainer.py
    // l.446-449: the trainer calls post_optimizer_build_fn, which the qwen3 spec leaves None (upstream passes
    // register_moe_load_balancing_hook, models/qwen3/__init__.py l.633 @b5bcd76).
    const trainer = 'class Trainer:\n    def __init__(self, model_spec, optimizers, model_parts, parallel_dims):\n        if model_spec.post_optimizer_build_fn is not None:\n            model_spec.post_optimizer_build_fn(optimizers, model_parts, parallel_dims)\n';
    const flavors = (hook: string) =>
      `from torchtitan.models.moe import MoEArgs\nfrom torchtitan.protocols.model_spec import ModelSpec\n\nconfigs = {\n    "30B-A3B": MoEArgs(num_experts=128, top_k=8, score_func="softmax", load_balance_coeff=1e-3),\n}\n\n\ndef model_registry(flavor: str) -> ModelSpec:\n    return ModelSpec(\n        name="qwen3",\n        flavor=flavor,\n        model=configs[flavor],\n        post_optimizer_build_fn=${hook},\n    )\n`;
    const bias = (hook: string, trainerText: string | undefined) => {
      const project = new ProjectIndex();
      if (trainerText !== undefined) project.setText('/w/torchtitan/trainer.py', trainerText);
      const file = '/w/torchtitan/models/qwen3/__init__.py';
      project.setText(file, flavors(hook));
      return specsOf(flavors(hook), file, project)[0]!.selectionBias;
    };
    const none = bias('None', trainer);
    assert.deepEqual([none.value, none.unknown], ['none', undefined]);
    assert.match(none.defaultFrom?.label ?? '', /ModelSpec\(post_optimizer_build_fn=None\) in __init__.py \(line 10\): the trainer \(torchtitan\/trainer.py\) updates `expert_bias` only through post_optimizer_build_fn/);
    assert.equal(bias('register_moe_load_balancing_hook', trainer).value, 'learned');
    // No trainer in the workspace, or one that touches the bias itself: not known.
    assert.match(bias('None', undefined).unknown ?? '', /depends on the trainer, and torchtitan\/trainer.py is not in the workspace above this file/);
    assert.ok(bias('None', `${trainer}        self.expert_bias_update = True\n`).unknown);
  });

  it("a config_registry.py job takes its flavor's ModelSpec: no hook, no learned bias", () => {
    // PraMamba/torchtitan @8d6e182 torchtitan/models/qwen3/config_registry.py l.272-276 (trimmed):
    // `model_spec=model_registry("debugmodel_moe")`; the flavor file read "none", its registry entries "learned".
    const trainer = 'class Trainer:\n    def __init__(self, model_spec):\n        if model_spec.post_optimizer_build_fn is not None:\n            model_spec.post_optimizer_build_fn()\n';
    const flavors = 'from torchtitan.models.moe import MoEArgs\nfrom torchtitan.protocols.model_spec import ModelSpec\n\nconfigs = {\n    "debugmodel_moe": MoEArgs(num_experts=64, top_k=8, score_func="softmax", load_balance_coeff=1e-3),\n}\n\n\ndef model_registry(flavor: str) -> ModelSpec:\n    return ModelSpec(name="qwen3", model=configs[flavor], post_optimizer_build_fn=None)\n';
    const registry = 'from torchtitan.trainer import Trainer\n\nfrom . import model_registry\n\n\ndef qwen3_moe_debug() -> Trainer.Config:\n    return Trainer.Config(model_spec=model_registry("debugmodel_moe"))\n';
    const project = new ProjectIndex();
    project.setText('/w/torchtitan/trainer.py', trainer);
    project.setText('/w/torchtitan/models/qwen3/__init__.py', flavors);
    const file = '/w/torchtitan/models/qwen3/config_registry.py';
    project.setText(file, registry);
    const bias = specsOf(registry, file, project).find((s) => s.name === 'qwen3_moe_debug')!.selectionBias;
    assert.deepEqual([bias.value, bias.unknown], ['none', undefined]);
    assert.match(bias.defaultFrom?.label ?? '', /ModelSpec\(post_optimizer_build_fn=None\) in __init__.py/);
  });

  it("a port of Megatron's TransformerConfig in another framework (mindformers) is read for its counts, its router unknown", () => {
    // mindspore-lab/mindformers @fd4deeb mindformers/parallel_core/transformer_config.py (trimmed): MindSpore's own
    // TransformerConfig with Megatron's field names, and its own router; a test builds one.
    const port = 'from dataclasses import dataclass\n\n@dataclass\nclass TransformerConfig:\n    num_moe_experts: int = None\n    moe_router_topk: int = 2\n    moe_router_score_function: str = "softmax"\n    moe_router_pre_softmax: bool = False\n';
    const test = 'from mindformers.parallel_core.transformer_config import TransformerConfig\n\ndef get_config():\n    return TransformerConfig(num_moe_experts=8, moe_router_topk=2)\n';
    const at = (configFile: string) => {
      const project = new ProjectIndex();
      project.setText(configFile, port);
      project.setText('/w/tests/run_case.py', test.replace('mindformers.parallel_core.transformer_config', configFile.slice(3, -3).replace(/\//g, '.')));
      return specsOf(project.textOf('/w/tests/run_case.py')!, '/w/tests/run_case.py', project)[0]!;
    };
    const ported = at('/w/mindformers/parallel_core/transformer_config.py');
    assert.deepEqual([ported.experts.value, ported.topK.value], [8, 2]);
    for (const field of [ported.scoreFunc, ported.order, ported.normalize, ported.scale, ported.routerBias]) {
      assert.match(field.unknown ?? '', /TransformerConfig \(mindformers\/parallel_core\/transformer_config.py\) declares Megatron's router fields itself, outside Megatron Core/);
    }
    // The same class in a Megatron-LM checkout is Megatron Core's: its router is Megatron's.
    const core = at('/w/megatron/core/transformer/transformer_config.py');
    assert.deepEqual([core.scoreFunc.value, core.scoreFunc.unknown, core.order.unknown], ['softmax', undefined, undefined]);
  });

  it('what a call of a Megatron config may not have at run time is unknown: a parameter no call sets, a loop, `**` arguments, a branch MoE Lens cannot decide', () => {
    const head = 'from megatron.core.transformer.transformer_config import TransformerConfig\n\n';
    const read = (body: string) => specsOf(head + body, 'test_x.py')[0]!;
    // Megatron-LM @d98e8a6 tests/unit_tests/transformer/moe/test_grouped_tensor_dispatcher_numerics.py l.147.
    assert.match(read('def build(*, use_bias):\n    return TransformerConfig(num_moe_experts=4, moe_router_topk=2, add_bias_linear=use_bias)\n').routerBias.unknown ?? '', /`add_bias_linear` is not known here: no call sets `use_bias` of `build`/);
    assert.match(read('def build():\n    for k in (1, 4):\n        cfg = TransformerConfig(num_moe_experts=8, moe_router_topk=k)\n    return cfg\n').topK.unknown ?? '', /the call runs more than once .* `moe_router_topk` (1, 4|4, 1)$/);
    assert.match(read('def build(extra):\n    return TransformerConfig(num_moe_experts=8, **extra)\n').scoreFunc.unknown ?? '', /the call passes `\*\*` arguments MoE Lens cannot read/);
    // hicann/cann-recipes-train @93819a7 llm_rl/deepseek/verl_patches/models/mcore/config_converter.py l.93-138
    // (trimmed): overrides copied on with setattr were read as Megatron's defaults (top-k 2, softmax, a router bias).
    const copied = read('def convert(hf_config):\n    cfg = TransformerConfig(num_moe_experts=8)\n    params = dict(add_bias_linear=False, moe_router_topk=hf_config.num_experts_per_tok, moe_router_score_function=hf_config.scoring_func)\n    for k, v in params.items():\n        setattr(cfg, k, v)\n    return cfg\n');
    assert.deepEqual([copied.routerBias.value, copied.routerBias.unknown], [false, undefined]);
    assert.match(copied.topK.unknown ?? '', /`moe_router_topk` is not known here: `.num_experts_per_tok` of an unknown value/);
    assert.match(copied.scoreFunc.unknown ?? '', /`moe_router_score_function` is not known here: `.scoring_func` of an unknown value/);
    const branch = read('def build(flag):\n    cfg = TransformerConfig(num_moe_experts=8, moe_router_topk=2)\n    if flag:\n        cfg.moe_router_topk = 8\n    return cfg\n');
    assert.match(branch.topK.unknown ?? '', /`cfg.moe_router_topk` is set only in a branch MoE Lens cannot decide \(line 6\)/);
    // A helper that returns in a branch MoE Lens cannot decide returns something it cannot know.
    const helper = read('def opts(kind):\n    if kind == "a":\n        return {"moe_router_topk": 4}\n    return {}\n\ndef build(kind):\n    return TransformerConfig(num_moe_experts=8, **opts(kind))\n');
    assert.match(helper.topK.unknown ?? '', /the call passes `\*\*` arguments MoE Lens cannot read/);
    // Known branches and a single run stay read.
    assert.equal(read('def build():\n    cfg = TransformerConfig(num_moe_experts=8, moe_router_topk=2)\n    if True:\n        cfg.moe_router_topk = 4\n    return cfg\n').topK.value, 4);
  });

  it('a package in the project\'s src/ folder is found (src layout, nanotron), a loose src/*.py module is not', () => {
    const args = '@dataclass\nclass MoEArgs:\n    num_experts: int = 16\n    top_k: int = 2\n';
    const project = new ProjectIndex();
    project.setText('repo/src/pkg/__init__.py', '');
    project.setText('repo/src/pkg/args.py', args);
    project.setText('repo/src/loose.py', args);
    const [spec] = specsOf('from pkg.args import MoEArgs\nx = MoEArgs(num_experts=8)\n', 'repo/examples/moe/flavors.py', project);
    assert.equal(spec!.topK.defaultFrom?.file, 'repo/src/pkg/args.py');
    const [loose] = specsOf('from loose import MoEArgs\nx = MoEArgs(num_experts=8)\n', 'repo/examples/moe/flavors.py', project);
    assert.notEqual(loose!.topK.defaultFrom?.file, 'repo/src/loose.py');
    // A namespace package in src/ (Megatron-Bridge's `src/megatron/bridge/…`, `megatron` without `__init__.py`).
    project.setText('repo/src/megatron/bridge/__init__.py', '');
    project.setText('repo/src/megatron/bridge/args.py', args);
    const [namespace] = specsOf('from megatron.bridge.args import MoEArgs\nx = MoEArgs(num_experts=8)\n', 'repo/tests/test_args.py', project);
    assert.equal(namespace!.topK.defaultFrom?.file, 'repo/src/megatron/bridge/args.py');
  });

  it('never takes defaults from a file the imports do not name, and assumes nothing a rule may rely on', () => {
    const project = new ProjectIndex();
    project.setText('other_checkout/args.py', '@dataclass\nclass MoEArgs:\n    top_k: int = 16\n    score_func: str = "softmax"\n');
    // No import: `MoEArgs` is not the other checkout's class.
    const [spec] = specsOf('x = MoEArgs(num_experts=8)\n', 'flavors.py', project);
    assert.equal(spec!.topK.unknown, 'no keyword sets `top_k` and the default of MoEArgs is not in the workspace');
    assert.equal(provenanceOf(spec!.topK), 'unknown');
    // Imported from torchtitan, which the workspace does not hold: torchtitan's defaults are assumed, and said so.
    const [assumed] = specsOf('from torchtitan.models.moe import MoEArgs\nx = MoEArgs(num_experts=8)\n', 'flavors.py', project);
    assert.equal(assumed!.topK.value, 1);
    assert.equal(provenanceOf(assumed!.topK), 'assumed');
    assert.match(assumed!.topK.defaultFrom!.label, /default of `top_k`; torchtitan\.models\.moe\.MoEArgs is not in the workspace/);
  });

  it('a model config that writes no router routes with the one its class declares by default, unless MoE is switched off', () => {
    const project = new ProjectIndex();
    project.setText('models/moe.py', '@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    top_k: int = 1\n    score_func: str = "sigmoid"\n');
    project.setText('models/llama4/args.py', 'from models.moe import MoEArgs\n@dataclass\nclass ModelArgs:\n    dim: int = 4096\n    moe_args: MoEArgs = field(default_factory=MoEArgs)\n');
    project.setText('models/qwen3/args.py', 'from models.moe import MoEArgs\n@dataclass\nclass ModelArgs:\n    moe_enabled: bool = False\n    moe_args: MoEArgs = field(default_factory=MoEArgs)\n');
    const llama4 = 'from .args import ModelArgs\nflavors = {\n    "debugmodel": ModelArgs(dim=256, n_layers=6),\n    "small": ModelArgs(dim=512, n_layers=6),\n}\n';
    const specs = specsOf(llama4, 'models/llama4/__init__.py', project);
    assert.deepEqual(specs.map((s) => s.name), ['debugmodel', 'small']);
    assert.equal(specs[0]!.experts.value, 8);
    assert.equal(provenanceOf(specs[0]!.experts), 'default');
    assert.equal(specs[0]!.experts.defaultFrom?.label, 'MoEArgs.num_experts');
    assert.equal(specs[1]!.topK.value, 1);
    // Anchored at the flavor that routes this way, not inside the class file.
    assert.equal(llama4.slice(specs[0]!.anchorRange.start, specs[0]!.anchorRange.end), '"debugmodel"');
    const qwen3 = 'from .args import ModelArgs\nflavors = {\n    "dense": ModelArgs(dim=256),\n    "moe": ModelArgs(dim=256, moe_enabled=True),\n}\n';
    assert.deepEqual(specsOf(qwen3, 'models/qwen3/__init__.py', project).map((s) => s.name), ['moe']);
  });

  it('a flavor table of tens of thousands of rows is read in its first 2,000 (a budget), the rest unknown', () => {
    const rows = Array.from({ length: 5_000 }, (_, i) => `    "f${i}": MoEArgs(num_experts=8, top_k=2),`).join('\n');
    const parsed = parsePython(`configs = {\n${rows}\n}\n`);
    const evaluator = new PythonEvaluator({ has: (f) => f === 'm.py', parse: () => parsed });
    evaluator.evaluateDocument('m.py');
    assert.equal(evaluator.entries.length, 2_000);
    assert.equal(evaluator.entries[1_999]!.context.name, 'f1999');
  });

  it('falls back to torchtitan\'s MoEArgs defaults (sigmoid, top-1, learned bias) without a dataclass', () => {
    const [spec] = specsOf('from torchtitan.models.moe import MoEArgs\nx = MoEArgs(num_experts=16)\n', 'm.py');
    assert.equal(spec!.topK.value, 1);
    assert.equal(spec!.scoreFunc.value, 'sigmoid');
    assert.equal(spec!.selectionBias.value, 'learned');
    assert.match(spec!.scoreFunc.defaultFrom!.label, /torchtitan MoEArgs @238fa99/);
  });

  it('merges HEAD-style MoE.Config(router=TokenChoiceTopKRouter.Config(gate=Linear.Config(bias=True)))', () => {
    const text =
      'def _120b():\n    return MoE.Config(\n        num_experts=128,\n        router=TokenChoiceTopKRouter.Config(top_k=4, score_func="softmax", route_norm=True, gate=Linear.Config(bias=True)),\n        load_balance_coeff=1e-3,\n    )\n';
    const specs = specsOf(text);
    assert.equal(specs.length, 1);
    assert.equal(specs[0]!.name, '120b');
    assert.equal(specs[0]!.topK.value, 4);
    assert.equal(specs[0]!.experts.value, 128);
    assert.equal(specs[0]!.routerBias.value, true);
  });

  it('reads the PR-era fields: topk_before_score, use_router_bias, use_expert_bias', () => {
    const [spec] = specsOf('x = MoEArgs(num_experts=8, top_k=2, score_func="softmax", topk_before_score=True, use_router_bias=True, use_expert_bias=True)\n', 'm.py');
    assert.equal(spec!.order.value, 'topk-then-score');
    assert.equal(spec!.routerBias.value, true);
    assert.equal(spec!.selectionBias.value, 'learned');
    assert.equal(spec!.keyNames.selectionBias, 'use_expert_bias');
  });

  it('reads group settings and debug round-robin', () => {
    const [spec] = specsOf('x = MoEArgs(num_experts=64, top_k=6, num_expert_groups=8, num_limited_groups=3, _debug_force_load_balance=True)\n', 'm.py');
    assert.equal(spec!.groups?.count.value, 8);
    assert.equal(spec!.groups?.selected.value, 3);
    assert.equal(spec!.groups?.score, 'top2-sum');
    assert.equal(spec!.debugRoundRobin.value, true);
  });

  it('ignores router plumbing that only forwards variables, and unrelated calls', () => {
    const text = 'self.router = TokenChoiceTopKRouter(dim=dim, num_experts=moe_args.num_experts, top_k=moe_args.top_k)\nprint(top_k=3)\n';
    assert.deepEqual(specsOf(text, 'moe.py'), []);
  });

  it('keeps literal kinds: 8.0 is a float, "8" a string, -1 negative', () => {
    const [spec] = specsOf('x = MoEArgs(num_experts=8.0, top_k="2", route_scale=-1)\n', 'm.py');
    assert.deepEqual(spec!.experts.sites[0]!.literal, { kind: 'float', value: 8 });
    assert.deepEqual(spec!.topK.sites[0]!.literal, { kind: 'string', value: '2' });
    assert.deepEqual(spec!.scale.sites[0]!.literal, { kind: 'int', value: -1 });
  });

  it('collects dataclass fields (field(default=...) too) and constructor defaults', () => {
    const text =
      '@dataclasses.dataclass\nclass MoEArgs:\n    top_k: int = field(default=4)\n    route_norm: bool = False\n\nclass R:\n    def __init__(self, dim: int, *, top_k: int = 2, route_norm=True, **kwargs):\n        pass\n';
    const declarations = collectDeclarations(parsePython(text), 'm.py');
    assert.deepEqual(declarations.dataclasses[0]!.fields.get('top_k')!.literal, { kind: 'int', value: 4 });
    const params = declarations.constructors[0]!.params;
    assert.deepEqual([...params.keys()], ['dim', 'top_k', 'route_norm']);
    assert.deepEqual(params.get('route_norm')!.literal, { kind: 'bool', value: true });
    assert.equal(params.get('dim')!.literal, undefined);
  });

  it('binds positional arguments past a parameter whose default is a name', () => {
    // `num_experts=DEFAULT_EXPERTS` is one parameter: `DEFAULT_EXPERTS` must not take the next positional slot.
    const text = 'DEFAULT_EXPERTS = 8\n\ndef moe_args(num_experts=DEFAULT_EXPERTS, top_k=2):\n    return MoEArgs(num_experts=num_experts, top_k=top_k)\n\nconfigs = {\n    "16b": moe_args(64, 6),\n}\n';
    const [spec] = specsOf(text, 'torchtitan/models/deepseek_v3/__init__.py');
    assert.equal(spec?.experts.value, 64);
    assert.equal(spec?.topK.value, 6);
  });

  it('never throws on broken Python and still finds configs before the break', () => {
    const text = 'x = MoEArgs(num_experts=8, top_k=2)\ndef broken(:\n    y = MoEArgs(top_k=\n';
    const result = analyzeTorchtitanPython(text, 'm.py');
    assert.ok(result.parsed.errorRanges.length > 0);
    assert.equal(result.specs[0]!.topK.value, 2);
  });
});

describe('what a torchtitan class does not declare', () => {
  it('says the class has no such field where the workspace holds it (torchtitan @5fb7cc2: MoEArgs has no expert groups)', () => {
    const index = new ProjectIndex();
    index.setText('/w/torchtitan/models/moe.py', 'from dataclasses import dataclass\n\n@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    top_k: int = 1\n    score_func: str = "sigmoid"\n');
    const text = 'from torchtitan.models.moe import MoEArgs\n\nflavors = {"671B": MoEArgs(num_experts=256, top_k=8)}\n';
    const [spec] = analyzeTorchtitanPython(text, '/w/torchtitan/models/deepseek_v3/__init__.py', index).specs;
    assert.equal(provenanceOf(spec!.groups!.count), 'unknown');
    assert.match(spec!.groups!.count.unknown ?? '', /MoEArgs has no such field/);
  });
  it('says which base may declare a field the workspace class does not (an early llama4: BaseModelArgs outside the workspace)', () => {
    // surajK610/garcon-torchtitan @01b45db torchtitan/experiments/llama4/model/args.py l.20-58 (trimmed): it said "the
    // default of TransformerModelArgs is not in the workspace", where the class is.
    const index = new ProjectIndex();
    index.setText('/w/torchtitan/experiments/llama4/model/args.py', 'from dataclasses import dataclass\n\nfrom torchtitan.protocols.train_spec import BaseModelArgs\n\n\n@dataclass\nclass TransformerModelArgs(BaseModelArgs):\n    num_experts: int = 8\n    top_k: int = 1\n    use_grouped_mm: bool = True\n    load_balance_coeff: float | None = 1e-3\n');
    const text = 'from .model.args import TransformerModelArgs\n\nflavors = {"17bx16e": TransformerModelArgs(num_experts=16)}\n';
    const [spec] = analyzeTorchtitanPython(text, '/w/torchtitan/experiments/llama4/__init__.py', index).specs;
    assert.equal(spec!.topK.value, 1);
    assert.match(spec!.scoreFunc.unknown ?? '', /no keyword sets `score_func`; TransformerModelArgs does not declare it, and its base BaseModelArgs \(not in the workspace\) may/);
  });
});

describe("DeepSeek's reference ModelArgs and torchtitan's port of it", () => {
  it("a dataclass with DeepSeek's field names and torchtitan's own (load_balance_coeff) is no DeepSeek reference config", () => {
    // surajK610/garcon-torchtitan @01b45db torchtitan/models/deepseek_v3/model/args.py (trimmed): read as DeepSeek's
    // reference router, with no selection bias, where torchtitan's MoE learns one by default.
    const args = (extra: string) => `from dataclasses import dataclass\n\n\n@dataclass\nclass DeepSeekV3ModelArgs:\n    n_routed_experts: int = 64\n    n_activated_experts: int = 6\n    score_func: str = "softmax"\n    route_scale: float = 1.0\n${extra}`;
    assert.deepEqual(specsOf(args('    load_balance_coeff: float | None = 1e-3\n'), 'torchtitan/models/deepseek_v3/model/args.py'), []);
    assert.equal(specsOf(args(''), 'inference/model.py')[0]?.framework, 'deepseek-official');
  });

  it("DeepSeek's counts alone, or beside transformers' names for the router, are no DeepSeek reference config", () => {
    // modal-projects/nmoe @556f77c nmoe/hp_transfer.py l.33-37 (a learning-rate transfer spec, "0 for dense": MOE014
    // and MOE003 errors) and nmoe/config.py l.41-82 (`norm_topk_prob`, `routed_scaling_factor`: a sigmoid router with a
    // learned bias, read as DeepSeek's softmax one).
    const counts = 'from dataclasses import dataclass\n\n\n@dataclass\nclass ModelSpec:\n    dim: int\n    n_layers: int\n    n_routed_experts: int = 0\n    n_activated_experts: int = 0\n';
    assert.deepEqual(specsOf(counts, 'nmoe/hp_transfer.py'), []);
    assert.deepEqual(specsOf(`${counts}    route_scale: float = 1.0\n    norm_topk_prob: bool = True\n`, 'nmoe/config.py'), []);
    // With a field DeepSeek's Gate reads (u-r-a-bot/NANO-KIMI-K2 config.py: n_expert_groups, score_func): read.
    assert.equal(specsOf(`${counts}    n_expert_groups: int = 1\n`, 'config.py')[0]?.framework, 'deepseek-official');
  });
});

describe('functions nothing in the file calls', () => {
  it('a builder whose router values are its own parameters is no config; a flavor builder with other parameters is', () => {
    // pytorch/torchtitan @b5bcd76 torchtitan/models/common/config_utils.py l.311 (trimmed): make_moe_config, which
    // every flavor calls with its own values, was read as a model of 8 experts, top-1, from its parameter defaults.
    const builder = 'from torchtitan.models.moe import MoEArgs\n\n\ndef make_moe_config(*, num_experts: int = 8, top_k: int = 1, score_func: str = "sigmoid"):\n    return MoEArgs(num_experts=num_experts, top_k=top_k, score_func=score_func)\n';
    assert.deepEqual(specsOf(builder, 'torchtitan/models/common/config_utils.py'), []);
    const called = `${builder}\n\nflavors = {"x": make_moe_config(num_experts=64, top_k=6)}\n`;
    assert.deepEqual(specsOf(called, 'torchtitan/models/x/__init__.py').map((s) => [s.name, s.experts.value, s.topK.value]), [['x', 64, 6]]);
    const flavor = 'from torchtitan.models.moe import MoEArgs\n\n\ndef _debugmodel(attn_backend: str = "flex"):\n    return MoEArgs(num_experts=8, top_k=2)\n';
    assert.deepEqual(specsOf(flavor, 'torchtitan/models/x/__init__.py').map((s) => [s.name, s.experts.value]), [['debugmodel', 8]]);
  });
});

describe('a flavor with no MoE layer', () => {
  it('an interleave step above the layer count makes no MoE layer (torchtitan llama4): no router config', () => {
    // n-getty/torchtitan_xpu torchtitan/experiments/llama4/__init__.py l.54-61 (trimmed): "Effectively disable MoE".
    const flavors = (step: number) => `from torchtitan.models.moe import MoEArgs\n\nflavors = {\n    "debugmodel_dense_12_rank": TransformerModelArgs(dim=384, n_layers=6, moe_args=MoEArgs(num_experts=12), interleave_moe_layer_step=${step}),\n}\n`;
    assert.deepEqual(specsOf(flavors(100), 'torchtitan/experiments/llama4/__init__.py'), []);
    assert.equal(specsOf(flavors(2), 'torchtitan/experiments/llama4/__init__.py')[0]?.experts.value, 12);
  });
});

describe('expert groups', () => {
  it('without groups, a class default of the groups kept is no value of the router (torchtitan-npu DeepSeek-V4)', () => {
    // ZhanluModelSim/torchtitan-npu-simulator @e5e82b8 torchtitan_npu/models/deepseek_v4/moe.py l.35-36 (trimmed).
    const index = new ProjectIndex();
    index.setText('/w/torchtitan_npu/models/deepseek_v4/moe.py', 'from dataclasses import dataclass\n\n@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    top_k: int = 1\n    score_func: str = "sqrtsoftplus"\n    num_expert_groups: int | None = None\n    num_limited_groups: int | None = 8\n');
    const read = (args: string) => analyzeTorchtitanPython(`from torchtitan_npu.models.deepseek_v4.moe import MoEArgs\n\nflavors = {"x": MoEArgs(num_experts=256, top_k=6${args})}\n`, '/w/torchtitan_npu/models/deepseek_v4/__init__.py', index).specs[0]!.groups!;
    const none = read('');
    assert.deepEqual([none.count.value, none.selected.value, provenanceOf(none.selected)], [undefined, undefined, 'default']);
    assert.match(none.selected.defaultFrom?.label ?? '', /no expert groups \(`num_expert_groups` is None\), so `num_limited_groups` is not read/);
    assert.equal(read(', num_expert_groups=8').selected.value, 8);
  });
});

describe("the workspace's own torchtitan router decides", () => {
  // torchtitan @a9aa506 torchtitan/models/moe.py l.18-31 and l.214-216 (trimmed): from a9aa506 (2025-08-05) to bd3850b
  // (2025-09-11) the router renormalised only sigmoid scores. garrett361/torchtitan @19ae6f3 (test/corpus/tt2) and
  // AMD's fork @67f5364 write `score_func="softmax", route_norm=True` for DeepSeek-V2 236B: nothing is renormalised.
  const moe = (guard: string) =>
    `from dataclasses import dataclass\nfrom typing import Literal\n\n\n@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    score_func: Literal["softmax", "sigmoid"] = "sigmoid"\n    route_norm: bool = False\n    route_scale: float = 1.0\n    top_k: int = 1\n    load_balance_coeff: float | None = 1e-3\n\n\nclass TokenChoiceTopKRouter:\n    def forward(self, x):\n        ${guard}\n            denominator = top_scores.sum(dim=-1, keepdim=True) + 1e-20\n            top_scores = top_scores / denominator\n`;
  const flavor = (score: string) => `from torchtitan.models.moe import MoEArgs\n\nflavors = {"236B": MoEArgs(num_experts=160, top_k=6, score_func=${score}, route_norm=True, route_scale=16.0)}\n`;
  const read = (guard: string, score: string) => {
    const index = new ProjectIndex();
    index.setText('/w/torchtitan/models/moe.py', moe(guard));
    return analyzeTorchtitanPython(flavor(score), '/w/torchtitan/models/deepseek_v3/__init__.py', index).specs[0]!.normalize;
  };
  const sigmoidOnly = 'if self.score_func == "sigmoid" and self.route_norm:';

  it('route_norm with softmax scores renormalises nothing where the router renormalises only sigmoid scores', () => {
    const normalize = read(sigmoidOnly, '"softmax"');
    assert.deepEqual([normalize.value, normalize.unknown, provenanceOf(normalize)], ['never', undefined, 'default']);
    assert.match(normalize.defaultFrom?.label ?? '', /`route_norm` is True, but this torchtitan renormalises only sigmoid scores \(models\/moe.py line 17\): softmax scores are not renormalised/);
  });

  it('renormalises sigmoid scores there, softmax scores where the router always does, and is unknown with the score function', () => {
    assert.equal(read(sigmoidOnly, '"sigmoid"').value, 'always');
    assert.equal(read('if self.route_norm:', '"softmax"').value, 'always');
    assert.match(read(sigmoidOnly, 'SCORE').unknown ?? '', /renormalises only sigmoid scores \(models\/moe.py line 17\), and the score function is not known/);
  });
});

describe('other frameworks spelled in Python', () => {
  it("a config class is gpt-oss's or DeepSeek's reference config only where it declares that framework's top-k field too", () => {
    // openai/gpt-oss gpt_oss/torch/model.py @7b58334: ModelConfig(num_experts=128, experts_per_token=4).
    const gptOss = '@dataclass\nclass ModelConfig:\n    num_hidden_layers: int = 36\n    num_experts: int = 128\n    experts_per_token: int = 4\n    hidden_size: int = 2880\n';
    const [reference] = analyzeTorchtitanPython(`from dataclasses import dataclass\n\n${gptOss}`, 'gpt_oss/torch/model.py').specs;
    assert.equal(reference!.framework, 'openai:gpt-oss');
    assert.equal(reference!.topK.value, 4);
    // pytorch/torchtitan torchtitan/models/moe/moe.py @5fb7cc2: the MoEArgs declaration is torchtitan's, not gpt-oss's.
    const moeArgs = 'from dataclasses import dataclass\n\n@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    num_shared_experts: int = 1\n    score_func: str = "sigmoid"\n    top_k: int = 1\n';
    assert.deepEqual(analyzeTorchtitanPython(moeArgs, 'torchtitan/models/moe/moe.py').specs.map((s) => s.framework), []);
    // NousResearch/torchtitan experiments/deepseek_v3/model_config.py @d9cc6b4: HF-style names, not DeepSeek's ModelArgs.
    const hfStyle = 'from dataclasses import dataclass\n\n@dataclass\nclass ModelArgs:\n    n_routed_experts: int = 256\n    num_experts_per_tok: int = 8\n    scoring_func: str = "sigmoid"\n';
    assert.deepEqual(analyzeTorchtitanPython(hfStyle, 'model_config.py').specs.map((s) => s.framework), []);
  });


  it('an object of no known class names a router only by the keys its call writes, not by attributes set on it later', () => {
    // RLinf @a3816b5 rlinf/utils/ckpt_convertor/megatron_convertor/convert_mg_to_middle_file.py l.170-226 (trimmed):
    // argparse's namespace, filled in afterwards, was listed as a torchtitan router `get_args`.
    const converter = `import argparse


def get_args():
    parser = argparse.ArgumentParser()
    args = parser.parse_args()
    if args.mlp_type == "moe":
        if args.use_expert_bias is None:
            args.use_expert_bias = False
    else:
        args.num_experts = 0
    return args
`;
    assert.deepEqual(specsOf(converter, 'convert_mg_to_middle_file.py'), []);
    // Written in the call, the same keys are a router's.
    assert.equal(specsOf('from somewhere import RouterArgs\nargs = RouterArgs(num_experts=8, top_k=2, score_func="softmax")\n', 'conf.py').length, 1);
  });

  it("Grok-1's TransformerConfig(num_experts=8, num_selected_experts=2): softmax over all experts, top-2, not renormalised", () => {
    const text = 'def main():\n    model = LanguageModelConfig(model=TransformerConfig(emb_size=6144, num_experts=8, num_selected_experts=2))\n';
    const [spec] = analyzeTorchtitanPython(text, 'run.py').specs;
    assert.equal(spec!.framework, 'xai:grok-1');
    assert.equal(spec!.experts.value, 8);
    assert.equal(spec!.topK.value, 2);
    assert.equal(spec!.order.value, 'score-then-topk');
    assert.equal(spec!.normalize.value, 'never');
    assert.equal(text.slice(spec!.topK.sites[0]!.valueRange.start, spec!.topK.sites[0]!.valueRange.end), '2');
    // The same keywords on another class are another router (google/dopamine @5873f54 labs/moes/architectures/
    // networks.py l.184-190, trimmed: its own Flax MoE, whose router class is a parameter).
    assert.deepEqual(analyzeTorchtitanPython('def f():\n    return moe.MoE(module=mlp, num_experts=8, num_selected_experts=2)\n', 'networks.py').specs, []);
  });
});
