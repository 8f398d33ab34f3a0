import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeMegatronArgs, analyzeMegatronYaml } from '../../src/core/parse/megatron';
import { shellWords } from '../../src/core/parse/shell-words';
import { semanticsLabel } from '../../src/core/model/router-spec';
import { recognizeModel } from '../../src/core/references/recognize';

describe('Megatron dialects', () => {
  it('shell words keep offsets, drop quotes, comments and line continuations', () => {
    const text = 'torchrun a.py \\\n  --num-experts "128" # experts\n  --moe-router-topk=${K}\n';
    const words = shellWords(text);
    assert.deepEqual(words.map((w) => w.text), ['torchrun', 'a.py', '--num-experts', '128', '--moe-router-topk=${K}']);
    assert.equal(text.slice(words[3]!.start, words[3]!.end), '"128"');
    assert.equal(words[4]!.dynamic, true);
  });

  it('reads launch-script flags: post-softmax by default, expert bias ignored on softmax, groups top-k/groups sum', () => {
    const text = 'python pretrain_gpt.py --num-layers 36 --hidden-size 2880 --num-experts 128 --moe-router-topk 4 \\\n  --moe-router-score-function softmax --disable-bias-linear --moe-router-num-groups 8 --moe-router-group-topk 4\n';
    const [spec] = analyzeMegatronArgs(text, 'conf/gpt-oss-120b.sh').specs;
    assert.ok(spec);
    assert.equal(spec.experts.value, 128);
    assert.equal(text.slice(spec.topK.sites[0]!.valueRange.start, spec.topK.sites[0]!.valueRange.end), '4');
    assert.equal(spec.order.value, 'topk-then-score');
    assert.equal(spec.routerBias.value, false);
    assert.equal(spec.groups?.score, 'topk-over-groups-sum');
    assert.equal(recognizeModel(spec)?.model.id, 'gpt-oss-120b');
    assert.equal(semanticsLabel(spec), 'megatron · top-4 → score · softmax · groups 4/8 (topk-over-groups-sum)');
  });

  it('sigmoid with expert bias: score then top-k, learned selection bias, renormalised when k > 1', () => {
    const [spec] = analyzeMegatronArgs('x.py --num-experts 256 --moe-router-topk 8 --moe-router-score-function sigmoid --moe-router-enable-expert-bias --moe-router-topk-scaling-factor 2.5', 'r1.sh').specs;
    assert.equal(spec!.order.value, 'score-then-topk');
    assert.equal(spec!.selectionBias.value, 'learned');
    assert.equal(spec!.normalize.value, 'when-k>1');
    assert.equal(spec!.scale.value, 2.5);
  });

  it('reads YAML with TransformerConfig names, nested under a section, keeping 1.0 a float', () => {
    const text = 'model:\n  num_moe_experts: 64\n  moe_router_topk: 2\n  moe_router_pre_softmax: true\n  moe_router_topk_scaling_factor: 1.0\n';
    const [spec] = analyzeMegatronYaml(text, 'moe.yaml').specs;
    assert.equal(spec!.experts.value, 64);
    assert.equal(spec!.order.value, 'score-then-topk');
    assert.deepEqual(spec!.scale.sites[0]!.literal, { kind: 'float', value: 1 });
    assert.equal(spec!.insertion?.prefix, '\n  ');
  });

  it('ignores shell and YAML files without MoE arguments, and survives broken YAML', () => {
    assert.deepEqual(analyzeMegatronArgs('echo hello --name x', 'a.sh').specs, []);
    assert.deepEqual(analyzeMegatronYaml('a: [1, 2', 'a.yaml').specs, []);
    const broken = analyzeMegatronYaml('num_experts: 8\nmoe_router_topk: [\n', 'a.yaml');
    assert.ok(broken.errors.length > 0);
  });
});
