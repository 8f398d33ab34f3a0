import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeDocument } from '../src/core/analyze';
import { completionsAt, signatureAt } from '../src/core/complete';

/** Completions at the `|` in `source`. */
function at(file: string, source: string) {
  const offset = source.indexOf('|');
  const text = source.replace('|', '');
  const result = completionsAt(file, text, offset, analyzeDocument(file, text));
  return { labels: result?.entries.map((e) => e.label) ?? [], result, text };
}

describe('completions', () => {
  it('inside MoEArgs( offers the keys not written yet, with their doc line', () => {
    const { labels, result } = at('flavors.py', 'x = MoEArgs(num_experts=8, |)\n');
    assert.ok(labels.includes('score_func') && labels.includes('top_k') && labels.includes('route_norm'));
    assert.ok(!labels.includes('num_experts'), 'already written');
    assert.match(result!.entries.find((e) => e.label === 'score_func')!.detail!, /Score function/);
    assert.equal(result!.entries.find((e) => e.label === 'top_k')!.insertText, 'top_k=');
  });

  it("offers the keywords of the call's own class: the workspace's where MoE Lens read it, else torchtitan's class of that name", () => {
    const declared = 'from dataclasses import dataclass\n\n\n@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    top_k: int = 1\n    score_func: str = "sigmoid"\n\n\nx = MoEArgs(num_experts=8, |)\n';
    assert.deepEqual(at('flavors.py', declared).labels.sort(), ['score_func', 'top_k'], 'a fork whose MoEArgs has three fields');
    const router = at('flavors.py', 'r = TokenChoiceTopKRouter.Config(num_experts=8, |)\n').labels;
    assert.ok(router.includes('top_k') && !router.includes('load_balance_coeff') && !router.includes('num_shared_experts'), router.join());
    // The outer MoE.Config of a nested router (torchtitan @b5bcd76): not the router's keywords, which it does not take.
    const outer = at('flavors.py', 'm = MoE.Config(\n    num_experts=8,\n    router=TokenChoiceTopKRouter.Config(top_k=2, score_func="softmax"),\n    |\n)\n').labels;
    assert.ok(!outer.includes('route_norm') && !outer.includes('top_k'), outer.join());
    const inner = at('flavors.py', 'm = MoE.Config(\n    num_experts=8,\n    router=TokenChoiceTopKRouter.Config(top_k=2, |),\n)\n').labels;
    assert.ok(inner.includes('score_func') && !inner.includes('top_k'), `the router's own keywords, less those it writes: ${inner.join()}`);
    const moeArgs = at('flavors.py', 'x = MoEArgs(|)\n').labels;
    assert.ok(!moeArgs.includes('topk_before_score') && !moeArgs.includes('use_expert_bias'), 'no keyword of an unmerged PR');
  });

  it('offers score_func values, quoted as needed, and nothing outside a router call', () => {
    assert.deepEqual(at('flavors.py', 'x = MoEArgs(score_func=|)\n').labels, ['softmax', 'sigmoid']);
    assert.equal(at('flavors.py', 'x = MoEArgs(score_func=|)\n').result!.entries[0]!.insertText, '"softmax"');
    assert.equal(at('flavors.py', 'x = MoEArgs(score_func="s|")\n').result!.entries[0]!.insertText, 'softmax');
    assert.deepEqual(at('flavors.py', 'x = print(|)\n').labels, []);
    assert.deepEqual(at('flavors.py', 'x = MoEArgs(top_k=max(1, |))\n').labels, []);
  });

  it('a config recognised as a published model offers its published value first', () => {
    const { result } = at('torchtitan/models/gpt_oss/__init__.py', 'gptoss_configs = {\n    "120b": GptOssModelArgs(dim=2880, n_layers=36, moe_args=MoEArgs(num_experts=128, top_k=|8, score_func="softmax")),\n}\n');
    assert.deepEqual(result!.entries[0], { label: '4', kind: 'value', detail: 'published gpt-oss-120b', insertText: '4', sortText: '0' });
  });

  it('config.json: the keys its model_type is read for, and model_type values', () => {
    const keys = at('config.json', '{"model_type": "deepseek_v3",\n  "|\n}').labels;
    assert.ok(keys.includes('n_routed_experts') && keys.includes('n_group') && keys.includes('routed_scaling_factor'), keys.join());
    assert.ok(!keys.includes('model_type'));
    // Not another spelling of a count the file writes: it would be a second, conflicting one (sweep 36).
    const mixtral = at('config.json', '{"model_type": "mixtral", "num_local_experts": 8,\n  "|\n}').labels;
    assert.ok(!mixtral.includes('num_experts') && !mixtral.includes('num_local_experts') && mixtral.includes('num_experts_per_tok'), mixtral.join());
    assert.ok(at('config.json', '{"model_type": "mixtral",\n  "|\n}').labels.includes('num_experts'));
    assert.ok(at('config.json', '{"model_type": "|"}').labels.includes('qwen3_moe'));
    assert.deepEqual(at('config.json', '{"model_type": "deepseek_v3", "scoring_func": "|"}').labels, ['softmax', 'sigmoid']);
  });

  it('Megatron YAML keys and values, and launch-script flags; nothing in files that are not MoE configs', () => {
    assert.ok(at('moe.yaml', 'num_moe_experts: 8\n|').labels.includes('moe_router_topk'));
    assert.deepEqual(at('moe.yaml', 'num_moe_experts: 8\nmoe_router_score_function: |').labels, ['softmax', 'sigmoid', 'sqrtsoftplus']);
    assert.deepEqual(at('.github/workflows/ci.yml', 'on: push\n|').labels, []);
    assert.deepEqual(at('package.json', '{"name": "x",\n  "|').labels, []);
    assert.deepEqual(at('build.sh', 'make --|').labels, []);
    const flags = at('train.sh', 'torchrun pretrain_gpt.py --num-experts 8 --moe-|').labels;
    assert.ok(flags.includes('--moe-router-topk') && !flags.includes('--num-experts'), flags.join());
    assert.ok(at('train.sh', 'python x.py --num-experts 8 --moe-router-load-balancing-type |').labels.includes('seq_aux_loss'));
  });

  it("Megatron-LM's functional-test YAML (flags as keys under MODEL_ARGS): flags offered as its keys are spelled", () => {
    const yaml = 'MODEL_ARGS:\n  --num-experts: 8\n  --moe-router-topk: 2\n  --moe-|';
    const { labels, result } = at('model_config.yaml', yaml);
    assert.ok(labels.includes('--moe-router-score-function') && !labels.includes('--moe-router-topk') && !labels.includes('--num-experts'), labels.join());
    assert.ok(!labels.some((l) => !l.startsWith('--')), 'no field names beside flags');
    assert.equal(result!.entries.find((e) => e.label === '--moe-router-score-function')!.insertText, '--moe-router-score-function: ');
    assert.deepEqual(at('model_config.yaml', 'MODEL_ARGS:\n  --num-experts: 8\n  --moe-router-score-function: |').labels, ['softmax', 'sigmoid', 'sqrtsoftplus']);
    // Only under MODEL_ARGS: ENV_VARS are environment variables, and a flag key at the top is never passed (helper review Q).
    assert.deepEqual(at('model_config.yaml', 'ENV_VARS:\n  CUDA_DEVICE_MAX_CONNECTIONS: 1\n  |\nMODEL_ARGS:\n  --num-experts: 8\n').labels, []);
    assert.deepEqual(at('model_config.yaml', 'MODEL_ARGS:\n  --num-experts: 8\n|').labels, []);
    // A `--flag:` inside a block scalar of a YAML of field names does not make it one of flags.
    const fields = at('moe.yaml', 'num_moe_experts: 8\nnote: >\n  --moe-router-topk: 4\n|').labels;
    assert.ok(fields.includes('moe_router_topk') && !fields.some((label) => label.startsWith('--')), fields.join());
  });

  it('signature help inside MoEArgs( shows its keywords with torchtitan\'s defaults, the one being typed active', () => {
    const text = 'x = MoEArgs(num_experts=8, top_k=';
    const help = signatureAt('f.py', text, text.length)!;
    assert.match(help.label, /^MoEArgs\(num_experts=8, /);
    const [from, to] = help.parameters[help.active]!.label;
    assert.equal(help.label.slice(from, to), 'top_k=1');
    assert.equal(signatureAt('f.py', 'print(', 6), undefined);
  });
});
