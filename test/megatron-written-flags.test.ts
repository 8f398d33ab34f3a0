/**
 * How a launch check reads a Megatron config: list flags, `--no-` switches, and when an unwritten flag is at
 * Megatron's default (a whole launch script) or unknown (anything else).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeMegatronArgs, analyzeMegatronYaml } from '../src/core/parse/megatron';
import { readFlags } from '../src/core/references/megatron-launch-checks/written-flags';

const script = (text: string) => {
  const spec = analyzeMegatronArgs(text, '/w/train.sh').specs[0];
  assert.ok(spec, 'no config read');
  return { spec, flags: readFlags(spec) };
};

describe('Megatron flags as launch checks read them', () => {
  it('reads every word of a list flag, and stops at the next flag or the end of the command', () => {
    const { flags } = script('torchrun pretrain_gpt.py --num-experts 8 --recompute-modules moe_act layernorm --moe-grouped-gemm\necho done\n');
    assert.deepEqual(flags.list('recompute_modules'), ['moe_act', 'layernorm']);
    assert.equal(flags.on('moe_grouped_gemm'), true);
    const last = script('torchrun pretrain_gpt.py --num-experts 8 --cuda-graph-modules moe_router moe_preprocess\necho done\n').flags;
    assert.deepEqual(last.list('cuda_graph_modules'), ['moe_router', 'moe_preprocess']);
  });

  it('reads a list across escaped newlines and inside an array, and a YAML sequence', () => {
    assert.deepEqual(script('torchrun pretrain_gpt.py --num-experts 8 --offload-modules \\\n  expert_fc1 \\\n  moe_act\n').flags.list('offload_modules'), ['expert_fc1', 'moe_act']);
    assert.deepEqual(script('A=(\n  --num-experts 8\n  --recompute-modules\n    moe\n    shared_experts\n)\ntorchrun pretrain_gpt.py ${A[@]}\n').flags.list('recompute_modules'), ['moe', 'shared_experts']);
    const yaml = analyzeMegatronYaml('num_moe_experts: 8\nrecompute_modules:\n  - moe_act\n  - mlp\n', '/w/c.yaml').specs[0]!;
    assert.deepEqual(readFlags(yaml).list('recompute_modules'), ['moe_act', 'mlp']);
  });

  it('takes `--no-X` and `--disable-X` as X written false', () => {
    const { flags } = script('torchrun pretrain_gpt.py --num-experts 8 --disable-bias-linear --no-bias-dropout-fusion\n');
    assert.equal(flags.on('add_bias_linear'), false);
    assert.equal(flags.on('bias_dropout_fusion'), false);
    assert.equal(flags.written('add_bias_linear'), true);
  });

  it('a whole launch reads an unwritten flag at its default, and remembers which', () => {
    const { spec, flags } = script('torchrun pretrain_gpt.py --num-experts 8 --moe-router-topk 2\n');
    assert.equal(spec.launch?.complete, true);
    assert.equal(flags.text('moe_token_dispatcher_type'), 'allgather');
    assert.equal(flags.on('add_bias_linear'), true);
    assert.equal(flags.number('moe_expert_capacity_factor'), undefined);
    assert.equal(flags.text('a_flag_without_a_known_default'), undefined);
    assert.deepEqual([...flags.defaultsRead], ['moe_token_dispatcher_type=allgather', 'add_bias_linear=true', 'moe_expert_capacity_factor=None']);
  });

  for (const [name, text, why] of [
    ['passes flags from the environment', 'torchrun pretrain_gpt.py --num-experts 8 ${EXTRA_ARGS}\n', 'passes `${EXTRA_ARGS}`'],
    ['passes its own arguments on', 'torchrun pretrain_gpt.py --num-experts 8 "$@"\n', 'passes `$@`'],
    ['sources a file', '. ./env.sh\ntorchrun pretrain_gpt.py --num-experts 8\n', 'sources `./env.sh`'],
    ['runs no entry point itself', 'MODEL_ARGS=(--num-experts 8 --moe-router-topk 2)\n', 'does not run a Megatron-LM entry point'],
  ] as const) {
    it(`is not a whole launch when it ${name}: unwritten flags stay unknown`, () => {
      const { spec, flags } = script(text);
      assert.equal(spec.launch?.complete, false);
      assert.ok(spec.launch?.why.includes(why), spec.launch?.why);
      assert.equal(flags.text('moe_token_dispatcher_type'), undefined);
    });
  }

  it('a switch that closes one array does not take the next array\'s assignment as its value', () => {
    const { spec, flags } = script('A=(\n  --num-experts 8\n  --overlap-grad-reduce\n)\nB=(\n  --split 99,1\n)\ntorchrun pretrain_gpt.py ${A[@]} ${B[@]}\n');
    assert.equal(flags.on('overlap_grad_reduce'), true);
    assert.equal(spec.launch?.complete, true, spec.launch?.why);
  });

  it('a flag whose own value is a variable (`--data-path=$DATA`) leaves the launch whole; MegaBlocks\' flags do not', () => {
    assert.equal(script('torchrun pretrain_gpt.py --num-experts 8 --data-path=$DATA\n').spec.launch?.complete, true);
    const megablocks = script('torchrun pretrain_gpt.py --moe-num-experts=8 --moe-top-k=2\n').spec.launch;
    assert.equal(megablocks?.complete, false);
    assert.ok(megablocks?.why.includes('MegaBlocks'));
  });

  it('a YAML config is never taken as a whole launch', () => {
    const yaml = analyzeMegatronYaml('num_moe_experts: 8\nmoe_router_topk: 2\n', '/w/c.yaml').specs[0]!;
    assert.equal(readFlags(yaml).text('moe_token_dispatcher_type'), undefined);
  });
});
