import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeDocument } from '../../src/core/analyze';
import { lintText } from '../../src/core/lint';
import { ProjectIndex } from '../../src/core/project';
import { analyzeMegatronArgs, analyzeMegatronYaml } from '../../src/core/parse/megatron';
import { shellWords } from '../../src/core/parse/shell-words';

const CORPUS = resolve(import.meta.dirname, '../corpus');
import { provenanceOf, semanticsLabel } from '../../src/core/model/router-spec';
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

  it("--fmoefy: FastMoE's own layer routes; its --top-k (default 2) is read, its gate is unknown", () => {
    const [spec] = analyzeMegatronArgs('python pretrain_gpt.py --num-layers 2 --fmoefy --num-experts 8 --top-k 1\n', 'fmoe.sh').specs;
    assert.equal(spec!.experts.value, 8);
    assert.equal(spec!.topK.value, 1);
    for (const field of [spec!.scoreFunc, spec!.order, spec!.normalize, spec!.routerBias, spec!.selectionBias]) assert.match(field.unknown ?? '', /--fmoefy/);
    const [unwritten] = analyzeMegatronArgs('python pretrain_gpt.py --fmoefy --num-experts 8\n', 'fmoe.sh').specs;
    assert.equal(unwritten!.topK.value, 2);
    assert.match(unwritten!.topK.defaultFrom?.label ?? '', /FastMoE `--top-k` default/);
  });

  it('sinkhorn and quantile_balancing route with functions of their own: their score function, order, renormalisation, scale and bias are unknown', () => {
    for (const type of ['sinkhorn', 'quantile_balancing']) {
      const text = `model:\n  num_moe_experts: 4\n  moe_router_topk: 1\n  moe_router_load_balancing_type: ${type}\n  moe_router_score_function: sigmoid\n`;
      const [spec] = analyzeMegatronYaml(text, 'moe.yaml').specs;
      assert.equal(spec!.experts.value, 4);
      assert.equal(spec!.topK.value, 1);
      for (const field of [spec!.scoreFunc, spec!.order, spec!.normalize, spec!.scale, spec!.selectionBias]) {
        assert.equal(provenanceOf(field), 'unknown', type);
        assert.match(field.unknown!, new RegExp(`load-balancing-type ${type}\` routes with a function of its own`));
      }
      const [flags] = analyzeMegatronArgs(`python pretrain_gpt.py --num-experts 4 --moe-router-topk 2 --moe-router-load-balancing-type ${type}\n`, 'train.sh').specs;
      assert.equal(provenanceOf(flags!.scoreFunc), 'unknown');
    }
    // The aux-loss types route with the score function's top-k: read as before.
    const [aux] = analyzeMegatronYaml('model:\n  num_moe_experts: 4\n  moe_router_load_balancing_type: aux_loss\n', 'moe.yaml').specs;
    assert.equal(aux!.scoreFunc.value, 'softmax');
    assert.equal(provenanceOf(aux!.scoreFunc), 'default');
  });

  it("FlagScale's train YAML: system, model and data are one set of flags (a later section wins), so system's disable_bias_linear counts", () => {
    // FlagOpen/FlagScale @da4935e examples/deepseek_v3/conf/train/11b_a2b.yaml: `disable_bias_linear: true` under system:.
    const [spec] = analyzeMegatronYaml('system:\n  expert_model_parallel_size: 2\n  disable_bias_linear: true\nmodel:\n  num_layers: 4\n  num_experts: 8\n  moe_router_topk: 2\n', 'train/11b_a2b.yaml').specs;
    assert.equal(spec!.experts.value, 8);
    assert.equal(spec!.routerBias.value, false);
    assert.equal(provenanceOf(spec!.routerBias), 'literal');
    // A router key in system and the expert count in model are read together; model's value wins over system's.
    const [split] = analyzeMegatronYaml('system:\n  moe_router_topk: 4\n  num_experts: 4\nmodel:\n  num_experts: 8\ndata:\n  seq_length: 8\n', 'train/split.yaml').specs;
    assert.equal(split!.topK.value, 4);
    assert.equal(split!.experts.value, 8);
    // Another YAML with a system section (not FlagScale's shape: no model section) reads only its router's map.
    const [other] = analyzeMegatronYaml('system:\n  disable_bias_linear: true\nmegatron:\n  num_experts: 8\n  moe_router_topk: 2\n', 'other.yaml').specs;
    assert.equal(other!.routerBias.value, true);
  });

  it("Megatron-DeepSpeed's and MindSpeed's scripts: the framework each runs, and no Megatron-LM default passed off as theirs", () => {
    // microsoft/Megatron-DeepSpeed examples_deepspeed/MoE/ds_pretrain_gpt_1.3B_MoE128.sh @f4157be (test/corpus/launch2):
    // DeepSpeed's MoE routes top-1 unless `--topk` says otherwise; Megatron-LM's `--moe-router-topk` default is 2.
    const [ds] = analyzeMegatronArgs('deepspeed pretrain_gpt.py --num-experts 128 --moe-expert-parallel-size 16 --deepspeed --deepspeed_config ds.json\n', 'ds_pretrain_gpt_1.3B_MoE128.sh').specs;
    assert.equal(ds!.experts.value, 128);
    assert.equal(provenanceOf(ds!.topK), 'unknown');
    assert.match(ds!.topK.unknown ?? '', /Megatron-DeepSpeed, whose MoE layer is DeepSpeed's/);
    assert.equal((ds!.launch as { framework?: string }).framework, 'megatron-deepspeed');
    // Without `--deepspeed`: flags only Megatron-DeepSpeed defines (`--mlp-type`, `--ds-inference`; Megatron-LM refuses
    // them) name it too; not `--topk`, which other programs take as well (vLLM's benchmark_moe.py). microsoft/Megatron-DeepSpeed @50b3251 examples/generate_text.sh (test/corpus/sweep17).
    const generate = 'sweep17/microsoft__Megatron-DeepSpeed@50b3251/examples/generate_text.sh';
    const [gen] = analyzeMegatronArgs(readFileSync(join(CORPUS, generate), 'utf8'), generate).specs;
    assert.deepEqual([gen!.experts.value, provenanceOf(gen!.topK), (gen!.launch as { framework?: string }).framework], [2, 'unknown', 'megatron-deepspeed']);
    assert.match(gen!.topK.unknown ?? '', /passes `--ds-inference`, a flag only Megatron-DeepSpeed defines, so it runs Megatron-DeepSpeed/);
    assert.equal((analyzeMegatronArgs('torchrun pretrain_gpt.py --num-experts 8 --mlp-type residual\n', 'x.sh').specs[0]!.launch as { framework?: string }).framework, 'megatron-deepspeed');
    assert.equal((analyzeMegatronArgs('python3 benchmark_moe.py --num-experts 16 --topk 8\n', 'x.sh').specs[0]!.launch as { framework?: string }).framework, undefined);
    // What `echo` prints is text: aliyun/aicb @23eec3c scripts/megatron_gpt.sh l.30-63, its usage().
    const usage = 'usage() {\n  echo "Usage: \\$0 [options]\n      --moe_router_topk         Number of experts to route to for each token.\n      --num_experts          Number of experts in the MoE model.  \n      -h, --help                Display this help and exit"1>&2; exit 1;\n}\n';
    assert.deepEqual(analyzeMegatronArgs(usage, 'megatron_gpt.sh').specs, []);
    // … unless what it prints goes on to run: piped to a scheduler or a shell, or written to a job file (sweep 36).
    const launch = 'torchrun pretrain_gpt.py --num-experts 8 --moe-router-topk 4';
    for (const script of [`echo "#!/bin/bash\n${launch}" | sbatch\n`, `printf '%s\\n' "${launch}" > job.sh\nbash job.sh\n`, `echo "${launch}" | tee job.sh\n`, `echo "${launch}" >> run.sh\n`]) {
      assert.equal(analyzeMegatronArgs(script, 'x.sh').specs[0]?.topK.value, 4, script);
    }
    assert.deepEqual(analyzeMegatronArgs(`echo "${launch}" 1>&2\n`, 'x.sh').specs, [], 'shown on stderr: text');
    assert.equal(analyzeMegatronArgs('ARGS="--num-experts 8 --moe-router-topk 2"\ntorchrun pretrain_gpt.py $ARGS\n', 'x.sh').specs[0]!.experts.value, 8, 'a variable\'s string is still read');
    const [npu] = analyzeMegatronArgs('export HCCL_CONNECT_TIMEOUT=3600\ntorchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 4\n', 'pretrain_npu.sh').specs;
    assert.equal((npu!.launch as { framework?: string }).framework, 'mindspeed');
    assert.match(npu!.launch!.why, /runs on Ascend NPUs \(`HCCL_CONNECT_TIMEOUT`\)/);
    const [cuda] = analyzeMegatronArgs('torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 4\n', 'pretrain.sh').specs;
    assert.equal((cuda!.launch as { framework?: string }).framework, undefined, 'Megatron-LM itself');
  });

  it("MindSpeed's router where it is not Megatron's: its own routing types and --norm-topk-prob (router.py @c77308a)", () => {
    const npu = (flags: string): ReturnType<typeof analyzeMegatronArgs>['specs'][number] =>
      analyzeMegatronArgs(`NPUS_PER_NODE=8\ntorchrun pretrain_gpt.py --num-experts 512 --moe-router-topk 12 ${flags}\n`, 'pretrain_npu.sh').specs[0]!;
    // LongCat-Flash's script (test/corpus/launch2): softmax_topk is softmax, expert bias to choose, top-k, scale.
    const longcat = npu('--moe-router-load-balancing-type softmax_topk --moe-router-score-function sigmoid --moe-router-enable-expert-bias --moe-router-topk-scaling-factor 6.0 --moe-router-num-groups 8 --moe-router-group-topk 4');
    assert.equal((longcat.launch as { framework?: string }).framework, 'mindspeed');
    assert.equal(longcat.scoreFunc.value, 'softmax', 'whatever --moe-router-score-function says');
    assert.equal(longcat.scoreFunc.defaultFrom?.fixed, true);
    assert.equal(longcat.order.value, 'score-then-topk');
    assert.equal(longcat.selectionBias.value, 'learned');
    assert.equal(longcat.normalize.value, 'never');
    assert.equal(longcat.scale.value, 6);
    assert.equal(longcat.groups, undefined, 'softmax_topk reads no groups');
    assert.equal(npu('--moe-router-load-balancing-type softmax_topk --norm-topk-prob').normalize.value, 'always');
    // sparsemixer_topk (Phi-3.5-MoE's script): a function MoE Lens does not model; the counts stay read.
    const phi = npu('--moe-router-load-balancing-type sparsemixer_topk');
    assert.equal(phi.experts.value, 512);
    assert.equal(provenanceOf(phi.scoreFunc), 'unknown');
    assert.match(phi.order.unknown ?? '', /sparsemixer_topk/);
    assert.equal(provenanceOf(npu('--moe-router-load-balancing-type $LB').normalize), 'unknown');
    // Qwen3-Next's script: aux_loss (the default) with --norm-topk-prob renormalises after Megatron's routing.
    const next = npu('--moe-router-pre-softmax --norm-topk-prob');
    assert.match(next.normalize.unknown ?? '', /--norm-topk-prob/);
    assert.equal(provenanceOf(next.scale), 'unknown');
    // MindSpeed patches Megatron's arguments: an unwritten default is assumed, not read (withLaunch).
    assert.equal(provenanceOf(next.scoreFunc), 'assumed');
    assert.equal(provenanceOf(npu('--moe-router-load-balancing-type none --norm-topk-prob').normalize), 'assumed', 'none ignores it: the default, assumed on NPUs, not unknown');
    // On CUDA `--norm-topk-prob` is no Megatron-LM flag: a fork's (it is a routing flag), so the routing is not known.
    const cuda = analyzeMegatronArgs('torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 4 --norm-topk-prob\n', 'pretrain.sh').specs[0]!;
    assert.match(cuda.normalize.unknown ?? '', /the launch passes `--norm-topk-prob`, which Megatron-LM @d98e8a6 does not define/);
    assert.equal(cuda.topK.value, 4);
  });

  it('--use-checkpoint-args: the router arguments Megatron takes from the checkpoint are unknown (checkpointing.py @d98e8a6)', () => {
    const yaml = 'MODEL_ARGS:\n  --num-experts: 64\n  --moe-router-topk: 6\n  --moe-router-score-function: sigmoid\n  --moe-router-num-groups: 4\n  --moe-router-group-topk: 2\n  --use-checkpoint-args: true\n';
    const [spec] = analyzeMegatronYaml(yaml, 'model_config.yaml').specs;
    // The router's bias too: `add_bias_linear` is set from the checkpoint (l.2287, force=True; helper sweep 33 K).
    for (const field of [spec!.experts, spec!.topK, spec!.scoreFunc, spec!.order, spec!.normalize, spec!.scale, spec!.selectionBias, spec!.routerBias]) {
      assert.match(field.unknown ?? '', /--use-checkpoint-args/);
    }
    assert.equal(spec!.experts.value, 64, 'what the launch writes is still what a preview assumes');
    assert.equal(spec!.groups?.count.value, 4, 'expert groups are not taken from the checkpoint');
    const [off] = analyzeMegatronYaml(yaml.replace('true', 'false'), 'model_config.yaml').specs;
    assert.equal(provenanceOf(off!.experts), 'literal');
    const [script] = analyzeMegatronArgs('torchrun pretrain_gpt.py --num-experts 8 --moe-router-topk 2 --use-checkpoint-args --load ckpt\n', 'run.sh').specs;
    assert.equal(provenanceOf(script!.topK), 'unknown');
  });

  it('a YAML value filled in before launch (envsubst ${VAR}, OmegaConf ${a.b}, Primus ${VAR:default}) is not read', () => {
    const yaml = 'MODEL_ARGS:\n  --num-experts: ${NUM_EXPERTS}\n  --moe-router-topk: 8\n  --moe-router-score-function: ${oc.env:SCORE,sigmoid}\n  --moe-router-load-balancing-type: [aux_loss, $LB]\n';
    const [spec] = analyzeMegatronYaml(yaml, 'model_config.yaml').specs;
    assert.equal(provenanceOf(spec!.experts), 'unknown');
    assert.equal(spec!.topK.value, 8);
    assert.equal(provenanceOf(spec!.scoreFunc), 'unknown');
    const lb = spec!.sites.find((s) => s.key === 'moe_router_load_balancing_type')!;
    assert.equal(lb.items, undefined, 'a list with a placeholder is not read as its words');
  });

  it("evaluates the script's own integer arithmetic ($(( … ))), and leaves what it cannot evaluate unknown", () => {
    // THUDM/slime scripts/models/glm4.5-355B-A32B.sh @624b824 (test/corpus/launch4): 3 + 89 layers, so recognised.
    const slime = 'N_DENSE_LAYERS=3\nN_MOE_LAYERS=89\nMODEL_ARGS=(\n    --num-layers $((N_DENSE_LAYERS + N_MOE_LAYERS))\n    --hidden-size 5120\n    --num-experts 160\n    --moe-router-topk 8\n)\n';
    const [glm] = analyzeMegatronArgs(slime, 'scripts/models/glm4.5-355B-A32B.sh').specs;
    assert.equal(glm!.layers.value, 92);
    assert.equal(provenanceOf(glm!.layers), 'resolved');
    assert.equal(glm!.experts.value, 160, 'the array does not end at the expansion\'s `)`');
    const value = (expression: string, vars = 'A=6\nB=4\n'): unknown =>
      analyzeMegatronArgs(`${vars}torchrun pretrain_gpt.py --num-experts $((${expression})) --moe-router-topk 2\n`, 'run.sh').specs[0]?.experts;
    const read = (expression: string, vars?: string): number | undefined => {
      const field = value(expression, vars) as { value: number | undefined; unknown?: string };
      assert.ok(field, expression);
      return field.unknown === undefined ? field.value : undefined;
    };
    assert.equal(read('A * (B + 2) - $A / 4'), 35, 'bash truncates: 6 / 4 is 1');
    assert.equal(read('20 + ${A}*-B % 5'), 16, '-24 % 5 is -4, as in bash');
    assert.equal(read('A / 0'), undefined);
    assert.equal(read('A + UNSET'), undefined);
    assert.equal(read('A ** 2'), undefined, 'an operator it does not know');
    assert.equal(read('A + B', 'A=6\nB=four\n'), undefined);
  });

  it('ignores shell and YAML files without MoE arguments, and survives broken YAML', () => {
    assert.deepEqual(analyzeMegatronArgs('echo hello --name x', 'a.sh').specs, []);
    assert.deepEqual(analyzeMegatronYaml('a: [1, 2', 'a.yaml').specs, []);
    const broken = analyzeMegatronYaml('num_experts: 8\nmoe_router_topk: [\n', 'a.yaml');
    assert.ok(broken.errors.length > 0);
  });

  it('reads flags inside a quoted MODEL_ARGS string, --flag=value, and script variables (with their defaults)', () => {
    const text = 'SCALE=2.5\nMODEL_ARGS=" \\\n    --num-experts 128 \\\n    --moe-router-topk=${TOPK:-4} \\\n    --moe-router-score-function sigmoid \\\n    --moe-router-topk-scaling-factor $SCALE"\ntorchrun pretrain_gpt.py ${MODEL_ARGS}\n';
    const [spec] = analyzeMegatronArgs(text, 'conf/run.sh').specs;
    assert.ok(spec);
    assert.equal(spec.experts.value, 128);
    assert.equal(text.slice(spec.experts.sites[0]!.valueRange.start, spec.experts.sites[0]!.valueRange.end), '128');
    // `${TOPK:-4}`: the default, located inside the reference, passed through the flag.
    assert.equal(spec.topK.value, 4);
    assert.equal(text.slice(spec.topK.sites[0]!.valueRange.start, spec.topK.sites[0]!.valueRange.end), '4');
    assert.equal(spec.topK.sites[0]!.via?.length, 1);
    // `$SCALE`: the value assigned earlier in the script, where a fix would edit it.
    assert.equal(spec.scale.value, 2.5);
    assert.equal(text.slice(spec.scale.sites[0]!.valueRange.start, spec.scale.sites[0]!.valueRange.end), '2.5');
    assert.equal(spec.scoreFunc.value, 'sigmoid');
  });

  it("reads on past quoting concatenated inside a flag string (`\"'([1]*1)'\"` is one word in bash)", () => {
    // lkk12014402/Pai-Megatron-Patch @72fa91b sft_scripts_qwen3/examples/llama/sft_qwen3.sh l.187-199, shortened.
    const text = `moe_options=" \\\n    --num-experts 128 \\\n    --moe-layer-freq "'([1]*1)'" \\\n    --moe-router-pre-softmax \\\n    --moe-router-topk 8\n    "\ntorchrun pretrain_gpt.py \${moe_options}\n`;
    const [spec] = analyzeMegatronArgs(text, 'run.sh').specs;
    assert.ok(spec);
    assert.equal(spec.order.value, 'score-then-topk', '--moe-router-pre-softmax, after the concatenated quoting');
    assert.equal(spec.topK.value, 8);
    assert.equal(text.slice(spec.topK.sites[0]!.valueRange.start, spec.topK.sites[0]!.valueRange.end), '8');
    assert.equal(spec.experts.value, 128);
  });

  it("MindFormers' pynative YAML (training_config, parallel_config, model_config, moe_config) routes with MindFormers' router", () => {
    // Tele-AI/TeleChat3 @242aeb5 mindformers_telechat3/tests/st/test_distri_core/test_mixtral/config_mixtral_small.yaml, shortened.
    const yaml = (sections: string) => `${sections}moe_config:\n  num_experts: 4\n  moe_router_topk: 2\n  moe_router_load_balancing_type: 'aux_loss'\n`;
    const pynative = yaml('training_config:\n  seed: 1921\nparallel_config:\n  expert_model_parallel_size: 2\nmodel_config:\n  hidden_size: 32\n  add_bias_linear: False\n');
    const [spec] = analyzeMegatronYaml(pynative, 'config_mixtral_small.yaml').specs;
    assert.ok(spec);
    assert.deepEqual([spec.routerBias.value, spec.order.value, spec.scoreFunc.value, spec.scale.value, spec.selectionBias.value], [false, 'topk-then-score', 'softmax', 1, 'none']);
    assert.match(spec.routerBias.defaultFrom?.label ?? '', /MindFormers' pynative router .*router\.py l\.56-60/);
    assert.equal(spec.routerBias.defaultFrom?.fixed, true);
    // A moe_config section alone is not that format: Megatron's reading, as before.
    const [alone] = analyzeMegatronYaml(yaml(''), 'moe.yaml').specs;
    assert.doesNotMatch(alone?.routerBias.defaultFrom?.label ?? '', /MindFormers/);
  });

  it("NeMo 2's `model: config:` overrides a class the program builds: what it leaves out is unknown, not Megatron's default", () => {
    // aws/sagemaker-hyperpod-recipes @2631995 checkpointless_gpt_oss_120b_full_fine_tuning.yaml l.73-77, shortened:
    // the training script builds GPTOSSConfig120B(**cfg.model.config), whose top-k is 4.
    const text = 'optim:\n  config:\n    _target_: megatron.core.optimizer.OptimizerConfig\n    lr: 0.0001\nmodel:\n  config:\n    add_bias_linear: false\n    num_moe_experts: 128\n';
    const [spec] = analyzeMegatronYaml(text, 'recipe.yaml').specs;
    assert.ok(spec);
    assert.equal(spec.experts.value, 128);
    assert.match(spec.topK.unknown ?? '', /NeMo 2 `model\.config`/);
    assert.equal(spec.routerBias.value, false, 'written: read');
    // Under `model:` itself (Bridge, NeMo 1), Megatron's defaults as before.
    const [direct] = analyzeMegatronYaml('model:\n  num_moe_experts: 128\n', 'recipe.yaml').specs;
    assert.equal(direct?.topK.unknown, undefined);
  });

  it('an unset variable stays unknown; MegaBlocks flags route softmax before top-k', () => {
    const [unset] = analyzeMegatronArgs('python x.py --num-experts 8 --moe-router-topk $K\n', 'run.sh').specs;
    assert.equal(unset!.topK.value, undefined);
    const [megablocks] = analyzeMegatronArgs('NUM_EXPERTS=64\nif [ -n "${3}" ]; then\n    NUM_EXPERTS=$3;\nfi\nMOE_ARGS="--moe-num-experts=${NUM_EXPERTS} --moe-top-k=1"\n', 'dmoe.sh').specs;
    assert.equal(megablocks!.experts.value, 64);
    assert.equal(megablocks!.topK.value, 1);
    assert.equal(megablocks!.order.value, 'score-then-topk');
    assert.match(megablocks!.order.defaultFrom!.label, /MegaBlocks/);
  });

  it('one config per branch of the if/elif chain that picks the router, named by the value it tests', () => {
    const text = [
      'MODEL_SIZE=${MODEL_SIZE:-16B}',
      'EP=${EP:-1}',
      'if [ $MODEL_SIZE = 671B ]; then',
      '    NUM_EXPERTS=256',
      '    TOPK=8',
      '    opts="--moe-router-score-function sigmoid --moe-router-num-groups ${EP} --moe-router-group-topk 4"',
      'elif [ "$MODEL_SIZE" == "16B" ]; then',
      '    NUM_EXPERTS=64',
      '    TOPK=6',
      'fi',
      'torchrun pretrain_gpt.py $opts --num-experts ${NUM_EXPERTS} --moe-router-topk ${TOPK}',
      '',
    ].join('\n');
    const specs = analyzeMegatronArgs(text, 'train.sh').specs;
    assert.deepEqual(specs.map((s) => s.name), ['train MODEL_SIZE=671B', 'train MODEL_SIZE=16B (default)']);
    const [large, small] = specs;
    assert.deepEqual([large!.experts.value, large!.topK.value, large!.scoreFunc.value], [256, 8, 'sigmoid']);
    assert.deepEqual([small!.experts.value, small!.topK.value, small!.scoreFunc.value], [64, 6, 'softmax']);
    // Each value points at the assignment in its own branch.
    assert.equal(text.slice(large!.experts.sites[0]!.valueRange.start, large!.experts.sites[0]!.valueRange.end), '256');
    assert.equal(text.slice(large!.anchorRange.start, large!.anchorRange.end), 'if [ $MODEL_SIZE = 671B ]');
    // `${EP}` comes from the environment: written, but not a number in the file, so unknown (not "not set").
    assert.equal(large!.groups?.count.value, undefined);
    assert.equal(provenanceOf(large!.groups!.count), 'unknown');
    // A chain over something else (`-n "$3"`) is not a choice of router: one config, as before.
    assert.equal(analyzeMegatronArgs('if [ -n "$3" ]; then K=2; else K=4; fi\npython x.py --num-experts 8 --moe-router-topk 1\n', 'run.sh').specs.length, 1);
  });

  it('a later `if` on the chosen variable is decided in each variant; a branch that exits is no config (Megatron-MoE-ModelZoo convert_deepseek_v2.sh)', () => {
    // The shape of yanring/Megatron-MoE-ModelZoo's script: groups appended to moe_options only for DeepSeek-V2.
    // Read as if both ran, the Lite variant got DeepSeek-V2's 8 groups / 3 selected.
    const text = [
      'MODEL=${MODEL:-"DeepSeek-V2-Lite"}',
      'if [ ${MODEL} == "DeepSeek-V2-Lite" ]; then',
      '    NUM_EXPERTS=64',
      'elif [ ${MODEL} == "DeepSeek-V2" ]; then',
      '    NUM_EXPERTS=160',
      'else',
      '    echo "Error: unknown model ${MODEL}"',
      '    exit 1',
      'fi',
      'moe_options=" \\',
      '    --num-experts ${NUM_EXPERTS} \\',
      '    --moe-router-topk 6"',
      'if [ ${MODEL} == "DeepSeek-V2" ]; then',
      '    moe_options="${moe_options} \\',
      '        --moe-router-num-groups 8 \\',
      '        --moe-router-group-topk 3"',
      'fi',
      'python convert.py ${moe_options}',
      '',
    ].join('\n');
    const specs = analyzeMegatronArgs(text, 'convert_deepseek_v2.sh').specs;
    assert.deepEqual(specs.map((s) => s.name), ['convert_deepseek_v2 MODEL=DeepSeek-V2-Lite (default)', 'convert_deepseek_v2 MODEL=DeepSeek-V2']);
    const [lite, full] = specs;
    assert.equal(lite!.experts.value, 64);
    assert.equal(lite!.groups, undefined, 'the Lite variant routes without groups');
    assert.deepEqual([full!.experts.value, full!.groups?.count.value, full!.groups?.selected.value], [160, 8, 3]);
  });

  it('a flag passed in a branch MoE Lens cannot decide is unknown, never read as if the branch ran', () => {
    const text = [
      'if [ "$ENABLE_BIAS" = "1" ]; then',
      '    EXTRA="--moe-router-enable-expert-bias --moe-router-pre-softmax"',
      'fi',
      'if [ -n "$3" ]; then TOPK=4; fi',
      'python pretrain_gpt.py --num-experts 64 --moe-router-topk ${TOPK} --moe-router-score-function softmax ${EXTRA}',
      '',
    ].join('\n');
    const [spec] = analyzeMegatronArgs(text, 'run.sh').specs.filter((s) => s.name === 'run ENABLE_BIAS=1');
    const [without] = analyzeMegatronArgs(text, 'run.sh').specs.filter((s) => s.name === 'run ENABLE_BIAS=<other>');
    // A lone `if` over a variable that sets router flags: one config with its branch, one without.
    assert.ok(spec && without);
    assert.equal(spec.selectionBias.sites.length, 1);
    assert.equal(spec.order.value, 'score-then-topk');
    assert.equal(without.selectionBias.sites.length, 0);
    assert.equal(without.order.value, 'topk-then-score');
    // TOPK is set only when `$3` is given: unknown, with where it is set.
    assert.equal(provenanceOf(spec.topK), 'unknown');
    assert.match(spec.topK.unknown ?? '', /TOPK is set only inside `if \[ -n "\$3" \]` \(line 4\), which depends on how the script runs/);

    // Two undecided ifs: the first picks nothing (no variable), so each flag inside one is unknown.
    const opaque = 'if [ -f /etc/bias ]; then ARGS="--moe-router-enable-expert-bias"; fi\npython pretrain_gpt.py --num-experts 64 --moe-router-topk 2 --moe-router-score-function sigmoid $ARGS\n';
    const [guarded] = analyzeMegatronArgs(opaque, 'run.sh').specs;
    assert.equal(provenanceOf(guarded!.selectionBias), 'unknown');
    assert.match(guarded!.selectionBias.unknown ?? '', /`--moe-router-enable-expert-bias` is passed only inside `if \[ -f \/etc\/bias \]` \(line 1\)/);
    assert.equal(guarded!.experts.value, 64, 'flags outside the if are read as before');
  });

  it('a case statement that picks the model gives one config per arm; an argument loop\'s `--num-experts)` is no flag', () => {
    const text = [
      'MODEL_SIZE=${1:-16B}',
      'while [ $# -gt 0 ]; do',
      '  case "$1" in',
      '    --moe-router-topk) TOPK_OVERRIDE=$2; shift 2;;',
      '    *) shift;;',
      '  esac',
      'done',
      'case $MODEL_SIZE in',
      '    16B)',
      '        NUM_EXPERTS=64; TOPK=6',
      '        ;;',
      '    671B)',
      '        NUM_EXPERTS=256; TOPK=8; EXTRA="--moe-router-score-function sigmoid"',
      '        ;;',
      '    *)',
      '        echo "unknown size"; exit 1',
      '        ;;',
      'esac',
      'torchrun pretrain_gpt.py --num-experts ${NUM_EXPERTS} --moe-router-topk ${TOPK} $EXTRA',
      '',
    ].join('\n');
    const specs = analyzeMegatronArgs(text, 'train.sh').specs;
    assert.deepEqual(specs.map((s) => s.name), ['train MODEL_SIZE=16B (default)', 'train MODEL_SIZE=671B']);
    assert.deepEqual(specs.map((s) => [s.experts.value, s.topK.value, s.scoreFunc.value]), [[64, 6, 'softmax'], [256, 8, 'sigmoid']]);
    assert.equal(text.slice(specs[1]!.anchorRange.start, specs[1]!.anchorRange.end), '671B');
    // The pattern `--moe-router-topk)` is not a flag the launch passes.
    assert.ok(specs.every((s) => s.topK.sites.every((site) => text.slice(site.keyRange.start, site.keyRange.end) !== '--moe-router-topk' || site.keyRange.start > text.indexOf('torchrun'))));
  });

  it('a choice inside a choice is followed (Pai-Megatron-Patch qwen1_5), and a number set in the branch taken decides `-gt`', () => {
    const text = [
      'MODEL_SIZE=$2',
      'MOE=$3',
      'if [ $MOE = true ]; then',
      '    if [ $MODEL_SIZE = A2.7B ]; then',
      '        moe_options="--moe-router-topk 4 --num-experts 60"',
      '    else',
      '        moe_options="--moe-router-topk 2 --num-experts 8"',
      '    fi',
      'fi',
      'python pretrain_gpt.py ${moe_options}',
      '',
    ].join('\n');
    const specs = analyzeMegatronArgs(text, 'run.sh').specs;
    assert.deepEqual(specs.map((s) => [s.name, s.experts.value, s.topK.value]), [['run MOE=true MODEL_SIZE=A2.7B', 60, 4], ['run MOE=true MODEL_SIZE=<other>', 8, 2]]);
    // hf2mcore_qwen1.5_moe_convertor.sh: NUM_EXPERTS is set in the size's branch, and tested after it.
    const converter = 'if [ $MODEL_SIZE = A2.7B ]; then\n  NUM_EXPERTS=60\n  TOPK=4\nfi\nif [ $NUM_EXPERTS -gt 0 ]; then\n  opts="--moe-router-topk ${TOPK} --num-experts ${NUM_EXPERTS}"\nfi\npython convert.py $opts\n';
    const [a27b, other] = analyzeMegatronArgs(converter, 'convert.sh').specs;
    assert.deepEqual([a27b!.name, a27b!.experts.value, a27b!.topK.value], ['convert MODEL_SIZE=A2.7B', 60, 4]);
    // Unset here, NUM_EXPERTS may come from the environment: undecided, so unknown.
    assert.equal(provenanceOf(other!.experts), 'unknown');
  });

  it('`[ … ] && ARGS+=…` is a conditional too: a choice when it tests a variable, else its flags are unknown', () => {
    const text = 'ARGS="--num-experts 64 --moe-router-topk 2 --moe-router-score-function sigmoid"\n[ "$USE_BIAS" = "1" ] && ARGS+=" --moe-router-enable-expert-bias"\n[ -f groups ] && ARGS+=" --moe-router-num-groups 8 --moe-router-group-topk 2"\npython pretrain_gpt.py $ARGS\n';
    const specs = analyzeMegatronArgs(text, 'run.sh').specs;
    assert.deepEqual(specs.map((s) => [s.name, s.selectionBias.value]), [['run USE_BIAS=1', 'learned'], ['run USE_BIAS=<other>', 'none']]);
    for (const spec of specs) {
      assert.equal(provenanceOf(spec.groups!.count), 'unknown');
      assert.match(spec.groups!.count.unknown ?? '', /`--moe-router-num-groups` is passed only after `\[ -f groups \]` \(line 3\)/);
    }
  });

  it('a variable the script sets once, outside any if, decides an if after it', () => {
    const text = 'ROUTING=grouped\nif [ $ROUTING = grouped ]; then G="--moe-router-num-groups 8 --moe-router-group-topk 4"; fi\nif [ $ROUTING != grouped ]; then G="--moe-router-num-groups 2"; fi\npython pretrain_gpt.py --num-experts 64 --moe-router-topk 8 --moe-router-score-function sigmoid $G\n';
    const specs = analyzeMegatronArgs(text, 'run.sh').specs;
    assert.equal(specs.length, 1);
    assert.deepEqual([specs[0]!.groups?.count.value, specs[0]!.groups?.selected.value], [8, 4]);
    // Set after the if, or twice, it decides nothing.
    const late = 'if [ $ROUTING = grouped ]; then G="--moe-router-num-groups 8"; fi\nROUTING=grouped\npython pretrain_gpt.py --num-experts 64 --moe-router-topk 8 $G --moe-router-topk 8\n';
    assert.ok(analyzeMegatronArgs(late, 'run.sh').specs.every((s) => s.groups === undefined || provenanceOf(s.groups.count) !== 'literal' || s.name.includes('ROUTING=')));
  });

  it('a score function written as an unresolved variable is unknown, and so are the order and renormalisation it decides', () => {
    const [spec] = analyzeMegatronArgs('python x.py --num-experts 8 --moe-router-topk 2 --moe-router-score-function $SCORE\n', 'run.sh').specs;
    assert.equal(provenanceOf(spec!.scoreFunc), 'unknown');
    assert.equal(provenanceOf(spec!.order), 'unknown');
    assert.equal(provenanceOf(spec!.normalize), 'unknown');
  });

  it('reads the functional-test YAML spelling (MODEL_ARGS with --flag keys), and a dense NeMo config is no MoE config', () => {
    const text = 'MODEL_ARGS:\n  --num-layers: 12\n  --num-experts: 8\n  --moe-router-topk: 2\n  --moe-router-pre-softmax: true\n';
    const [spec] = analyzeMegatronYaml(text, 'model_config.yaml').specs;
    assert.equal(spec!.experts.value, 8);
    assert.equal(spec!.topK.value, 2);
    assert.equal(spec!.order.value, 'score-then-topk');
    assert.deepEqual(analyzeMegatronYaml('model:\n  num_moe_experts: 1\n  hidden_size: 4096\n', 'nemo.yaml').specs, []);
  });

  it('Primus extends: bases are merged in order, each value pointing into the file that sets it; an unreadable base leaves the rest unknown', () => {
    const files: Record<string, string> = {
      'configs/base.yaml': 'extends:\n  - root.yaml\nmoe_router_topk: 6\nmoe_router_score_function: sigmoid\n',
      'configs/root.yaml': 'moe_router_topk: 2\nnum_layers: 12\n',
    };
    const text = 'extends:\n  - base.yaml\nnum_experts: 256\nmoe_router_topk: 8\n';
    const [spec] = analyzeMegatronYaml(text, 'configs/model.yaml', (f) => files[f]).specs;
    assert.equal(spec!.experts.value, 256);
    assert.equal(spec!.topK.value, 8, 'the config itself wins over its bases');
    assert.equal(spec!.scoreFunc.value, 'sigmoid');
    assert.equal(spec!.scoreFunc.sites[0]!.file, 'configs/base.yaml');
    assert.equal(spec!.layers.value, 12);
    const [partial] = analyzeMegatronYaml(text, 'configs/model.yaml', () => undefined).specs;
    assert.equal(partial!.experts.value, 256);
    assert.match(partial!.scoreFunc.unknown ?? '', /may be set in base\.yaml, which MoE Lens could not read/);
    assert.match(partial!.groups?.count.unknown ?? '', /may be set in base\.yaml/);
    // A group count the config itself writes as null is Megatron's none, whatever the base says (mlcommons/training
    // @aa344c7 small_llm_moe_pretraining/primus/conf/gpt_oss_20B-pretrain.yaml l.138, a Primus override).
    const [none] = analyzeMegatronYaml(`${text}moe_router_num_groups: null\n`, 'configs/model.yaml', () => undefined).specs;
    assert.equal(none!.groups, undefined);
  });

  it('RLinf @a3816b5 (test/corpus): the actor\'s model block takes its experts and top-k from the checkpoint, and with Megatron-Bridge every router value', () => {
    const dir = resolve(import.meta.dirname, '..', 'corpus', 'sweep12', 'RLinf__RLinf@a3816b5', 'examples', 'reasoning', 'config', 'math');
    const qwen = readFileSync(join(dir, 'qwen3-30b-grpo-megatron.yaml'), 'utf8');
    const [spec] = analyzeMegatronYaml(qwen, 'qwen3-30b-grpo-megatron.yaml').specs;
    // `moe_router_topk: 2` is written, and dead: RLinf sets the checkpoint's num_experts_per_tok (8).
    assert.deepEqual([spec!.topK.value, provenanceOf(spec!.topK), provenanceOf(spec!.experts)], [2, 'unknown', 'unknown']);
    assert.match(spec!.topK.unknown ?? '', /RLinf sets it from the checkpoint's config.json, whatever this file writes \(RLinf\/RLinf @a3816b5 rlinf\/config.py l.428-433\)/);
    assert.equal(provenanceOf(spec!.order), 'literal');
    const moonlight = readFileSync(join(dir, 'moonlight-16b-grpo-megatron.yaml'), 'utf8');
    const [bridged] = analyzeMegatronYaml(moonlight, 'moonlight-16b-grpo-megatron.yaml').specs;
    for (const field of [bridged!.experts, bridged!.topK, bridged!.scoreFunc, bridged!.order, bridged!.scale, bridged!.selectionBias, bridged!.routerBias]) {
      assert.match(field.unknown ?? '', /RLinf builds this model with Megatron-Bridge from the checkpoint/);
    }
    // The same block outside an RLinf experiment (no `runner:`) is a Megatron config as written.
    const [plain] = analyzeMegatronYaml(qwen.replace(/^runner:/m, 'runner_x:'), 'qwen3-30b-grpo-megatron.yaml').specs;
    assert.deepEqual([plain!.topK.value, provenanceOf(plain!.topK)], [2, 'literal']);
  });

  it('a YAML that writes a key only MindSpeed defines runs through MindSpeed (Ascend/MindSpeed-RL @05a90d7, test/corpus): no Megatron-LM check, MindSpeed\'s renormalisation', () => {
    const file = resolve(import.meta.dirname, '..', 'corpus', 'sweep12', 'Ascend__MindSpeed-RL@05a90d7', 'configs', 'model', 'qwen3_30b_a3b.yaml');
    const text = readFileSync(file, 'utf8');
    const [spec] = analyzeMegatronYaml(text, file).specs;
    assert.deepEqual([spec!.experts.value, spec!.topK.value], [128, 8]);
    assert.equal((spec!.launch as { framework?: string } | undefined)?.framework, 'mindspeed');
    assert.match(spec!.launch?.why ?? '', /writes MindSpeed's own `norm_topk_prob`/);
    assert.match(spec!.normalize.unknown ?? '', /MindSpeed's `--norm-topk-prob` divides the aux_loss router's weights/);
    // `moe_token_dispatcher_type: alltoall_seq` is valid at the Megatron-LM core_v0.12.1 it pins (removed 2025-06-10).
    assert.deepEqual(lintText(file, text).diagnostics.map((d) => d.code), []);
    // Without MindSpeed's key, the same YAML is Megatron-LM's, which refuses alltoall_seq.
    const plain = text.replace('  norm_topk_prob: true\n', '');
    assert.deepEqual(lintText(file, plain).diagnostics.map((d) => `${d.code} ${d.severity}`), ['MOE020 error']);
  });

  describe('a Primus experiment: the model preset `model:` names, under the module\'s overrides', () => {
    const presets: Record<string, string> = {
      '/w/Primus/primus/configs/models/megatron/moe_base.yaml': 'moe_router_topk: 2\nmoe_router_pre_softmax: true\nadd_bias_linear: false\n',
      '/w/Primus/primus/configs/models/megatron/gpt_oss_20B.yaml': 'extends:\n  - moe_base.yaml\nnum_layers: 24\nnum_experts: 32\nmoe_router_topk: 4\n',
    };
    const read = (f: string): string | undefined => presets[f];
    const experiment = (model: string, overrides = '      train_iters: 50\n'): string =>
      `work_group: amd\nmodules:\n  pre_trainer:\n    framework: megatron\n    config: pre_trainer.yaml\n    model: ${model}\n    overrides:\n${overrides}`;
    const FILE = '/w/Primus/examples/megatron/configs/MI355X/exp.yaml';

    it('reads the preset found above the experiment, its `extends:` first, and the overrides over it', () => {
      const [spec] = analyzeMegatronYaml(experiment('gpt_oss_20B.yaml', '      moe_router_pre_softmax: false\n'), FILE, read).specs;
      assert.deepEqual([spec!.experts.value, spec!.topK.value, spec!.order.value, spec!.routerBias.value], [32, 4, 'topk-then-score', false]);
      assert.equal(spec!.experts.sites[0]!.file, '/w/Primus/primus/configs/models/megatron/gpt_oss_20B.yaml');
      assert.equal(spec!.routerBias.sites[0]!.file, '/w/Primus/primus/configs/models/megatron/moe_base.yaml');
      assert.deepEqual([provenanceOf(spec!.experts), provenanceOf(spec!.order)], ['resolved', 'literal']);
    });

    it('a preset a variable may replace (`${PRIMUS_MODEL:gpt_oss_20B}.yaml`) gives values routing assumes, none a rule asserts on', () => {
      const [spec] = analyzeMegatronYaml(experiment('${PRIMUS_MODEL:gpt_oss_20B}.yaml'), FILE, read).specs;
      assert.equal(spec!.topK.value, 4);
      assert.equal(provenanceOf(spec!.topK), 'unknown');
      assert.match(spec!.topK.unknown ?? '', /from gpt_oss_20B\.yaml, the preset `model:` names unless \$PRIMUS_MODEL is set/);
    });

    it('a preset it cannot find, or name (`${PRIMUS_MODEL}`), leaves what the overrides do not write unknown, and without them no config', () => {
      const [partial] = analyzeMegatronYaml(experiment('qwen3_30B_A3B.yaml', '      num_experts: 128\n'), FILE, read).specs;
      assert.equal(partial!.experts.value, 128);
      assert.match(partial!.topK.unknown ?? '', /may be set in qwen3_30B_A3B\.yaml, which MoE Lens could not read/);
      assert.deepEqual(analyzeMegatronYaml(experiment('${PRIMUS_MODEL}.yaml'), FILE, read).specs, []);
      assert.deepEqual(analyzeMegatronYaml(experiment('qwen3_30B_A3B.yaml'), FILE, read).specs, []);
      // A module of another framework is not Megatron's.
      assert.deepEqual(analyzeMegatronYaml(experiment('gpt_oss_20B.yaml').replace('framework: megatron', 'framework: torchtitan'), FILE, read).specs, []);
    });

    it('on Primus @fd1eeab (test/corpus): gpt_oss_20B.yaml named plainly gets its preset\'s MOE001 at `model:`; an override settles one', () => {
      const corpus = resolve(import.meta.dirname, '..', 'corpus', 'yaml3', 'AMD-AGI__Primus@fd1eeab');
      const project = new ProjectIndex((f) => (f.startsWith(corpus) && existsSync(f) && statSync(f).isFile() ? readFileSync(f, 'utf8') : undefined));
      const file = `${corpus}/examples/megatron/configs/MI355X/mine.yaml`;
      const findings = (text: string): string[][] =>
        lintText(file, text, project).diagnostics.filter((d) => d.code === 'MOE001').map((d) => [d.message.split(',')[0]!, text.slice(d.range.start, d.range.end)]);
      assert.deepEqual(findings(experiment('gpt_oss_20B.yaml')), [
        ['`moe_router_pre_softmax` is True', 'gpt_oss_20B.yaml'],
        ['`add_bias_linear` is False', 'gpt_oss_20B.yaml'],
      ]);
      assert.deepEqual(findings(experiment('gpt_oss_20B.yaml', '      moe_router_pre_softmax: false\n')), [['`add_bias_linear` is False', 'gpt_oss_20B.yaml']]);
      // Named through a variable (as every Primus gpt-oss experiment does): nothing asserted.
      assert.deepEqual(findings(experiment('${PRIMUS_MODEL:gpt_oss_20B}.yaml')), []);
    });
  });

  it('an OLMoE trainer YAML (MegaBlocks keys) routes softmax before top-k', () => {
    const [spec] = analyzeMegatronYaml('model:\n  d_model: 2048\n  moe_num_experts: 64\n  moe_top_k: 8\n', 'OLMoE-1B-7B.yaml').specs;
    assert.equal(spec!.experts.value, 64);
    assert.equal(spec!.topK.value, 8);
    assert.equal(spec!.order.value, 'score-then-topk');
  });

  it("a YAML in MegaBlocks' spelling takes the defaults of the program it is written for, never Megatron's", () => {
    // Without a top-k or a program MoE Lens recognises, top-k is unknown (MegaBlocks' own default is 1).
    const plain = analyzeMegatronYaml('model:\n  moe_num_experts: 2\n', 'dmoe.yaml').specs[0]!;
    assert.equal(plain.topK.value, undefined);
    assert.match(plain.topK.unknown ?? '', /MegaBlocks' `moe_top_k` is 1/);
    assert.equal(plain.scoreFunc.value, 'softmax');
    assert.equal(plain.normalize.value, 'never');
    // nanotron @2411b02 examples/moe/config_llamoe.yaml: its LlaMoEConfig spells top-k `num_experts_per_tok`.
    const llamoe = analyzeMegatronYaml(readFileSync(resolve(import.meta.dirname, '../corpus/sweep8/huggingface__nanotron@2411b02/examples/moe/config_llamoe.yaml'), 'utf8'), 'config_llamoe.yaml').specs[0]!;
    assert.deepEqual([llamoe.experts.value, llamoe.topK.value, provenanceOf(llamoe.topK)], [4, 1, 'literal']);
  });

  it("GPT-NeoX's config (keys in quotes): NeoX's top-k default, its Sinkhorn router unknown, its top-k router read, no false MOE008", () => {
    // EleutherAI/gpt-neox @ea7aefd configs/125M-dmoe.yml: `"moe_num_experts": 8,` and nothing else of MoE.
    const text = readFileSync(resolve(import.meta.dirname, '../corpus/sweep8/EleutherAI__gpt-neox@ea7aefd/configs/125M-dmoe.yml'), 'utf8');
    const read = (t: string) => analyzeMegatronYaml(t, '125M-dmoe.yml').specs[0]!;
    const neox = read(text);
    assert.deepEqual([neox.experts.value, neox.topK.value, provenanceOf(neox.topK), neox.routerBias.value], [8, 1, 'default', false]);
    assert.match(neox.topK.defaultFrom!.label, /neox_args\.py l\.1625/);
    for (const field of [neox.order, neox.scoreFunc, neox.normalize, neox.scale]) assert.match(field.unknown ?? '', /Sinkhorn router/);
    // `moe_top_k: 1` with a softmax was Megatron's MOE008 error ("softmax over one logit"); NeoX never softmaxes after top-k.
    const topOne = `${text.replace('"moe_num_experts": 8,', '"moe_num_experts": 8,\n   "moe_top_k": 1,')}`;
    assert.deepEqual(lintText('125M-dmoe.yml', topOne).diagnostics.map((d) => d.code), []);
    const topk = read(text.replace('"moe_num_experts": 8,', '"moe_num_experts": 8,\n   "moe_top_k": 2,\n   "moe_router_type": "topk",'));
    assert.deepEqual([topk.topK.value, topk.order.value, topk.scoreFunc.value, topk.normalize.value, topk.routerBias.value], [2, 'score-then-topk', 'softmax', 'never', false]);
  });

  it("MindSpeed-MM's Qwen3.5 MoE routes with Megatron's router at tensor parallel > 1 and with its own at 1 (softmax, top-k, renormalised)", () => {
    // Ascend/MindSpeed-MM @57069cd examples/mcore/qwen3_5/qwen3_5_35B_config.yaml (test/corpus/hf4): TP 2 through a
    // YAML anchor, and `moe_router_pre_softmax: true`, which only Megatron's router reads.
    const text = readFileSync(resolve(import.meta.dirname, '../corpus/hf4/Ascend__MindSpeed-MM@57069cd/examples/mcore/qwen3_5/qwen3_5_35B_config.yaml'), 'utf8');
    const read = (t: string) => analyzeMegatronYaml(t, 'qwen3_5_35B_config.yaml').specs[0]!;
    const tp2 = read(text);
    assert.deepEqual([tp2.experts.value, tp2.topK.value, tp2.order.value, tp2.normalize.value], [256, 8, 'score-then-topk', 'never'], "Megatron's pre-softmax router");
    const tp1 = read(text.replace('tensor_model_parallel_size: &TP 2', 'tensor_model_parallel_size: &TP 1'));
    assert.deepEqual([tp1.scoreFunc.value, tp1.order.value, tp1.normalize.value, tp1.selectionBias.value, tp1.groups], ['softmax', 'score-then-topk', 'always', 'none', undefined]);
    assert.match(tp1.normalize.defaultFrom?.label ?? '', /MindSpeed-MM @57069cd .*TopKRouter/);
    const unread = read(text.replace('    tensor_model_parallel_size: *TP', '    tensor_model_parallel_size: ${TP}'));
    assert.match(unread.normalize.unknown ?? '', /tensor parallel > 1 and its own at 1/);
    assert.equal(unread.order.unknown !== undefined, true);
    // Another model in the same kind of YAML is Megatron's as before.
    assert.equal(read(text.replace('model_id: qwen3_5_moe', 'model_id: qwen3_moe')).normalize.unknown, undefined);
  });

  it("a command kept in a string and run by eval (Pai-Megatron-Patch's run_cmd) is the launch; only echoed, it is not", () => {
    const script = (run: string): string =>
      `moe_options=" \\\n    --num-experts 64 --moe-router-topk 6"\nDISTRIBUTED_ARGS="--nproc_per_node 8"\nrun_cmd="torchrun $DISTRIBUTED_ARGS pretrain_deepseek.py\n \${moe_options}"\necho \${run_cmd}\n${run}`;
    const evaluated = analyzeMegatronArgs(script('eval ${run_cmd}\n'), 'run_mcore_deepseek.sh').specs[0]!;
    assert.deepEqual(evaluated.launch, { complete: true, why: 'runs pretrain_deepseek.py with every flag written in this file' });
    assert.equal(provenanceOf(evaluated.scoreFunc), 'default');
    const echoed = analyzeMegatronArgs(script(''), 'run_mcore_deepseek.sh').specs[0]!;
    assert.equal(echoed.launch!.complete, false);
    // Then an unwritten default is an assumption, and says why (inspect, hover and route show it so).
    assert.equal(provenanceOf(echoed.scoreFunc), 'assumed');
    assert.match(echoed.scoreFunc.defaultFrom!.label, /^Megatron moe_router_score_function default; the launch may set it elsewhere: it does not run a Megatron-LM entry point/);
    assert.equal(provenanceOf(echoed.topK), 'literal', 'what the script writes stays read');
    assert.equal(provenanceOf(echoed.selectionBias), 'assumed', 'the expert bias flag too (MindSpeed-LLM launches, a helper sweep)');
  });

  it('an entry point named by a variable the script sets (Megatron-LM examples/gptoss/02_train.sh) is the launch', () => {
    const text = 'PRETRAIN_SCRIPT_PATH="pretrain_gpt.py"\npython -m torch.distributed.run --nproc_per_node 8 ${PRETRAIN_SCRIPT_PATH} \\\n  --num-experts 8 --moe-router-topk 2\n';
    assert.deepEqual(analyzeMegatronArgs(text, '02_train.sh').specs[0]!.launch, { complete: true, why: 'runs pretrain_gpt.py with every flag written in this file' });
    const ambiguous = `if [ "$X" = 1 ]; then\n  PRETRAIN_SCRIPT_PATH="pretrain_gpt.py"\nelse\n  PRETRAIN_SCRIPT_PATH="train.py"\nfi\n${text.slice(text.indexOf('\n') + 1)}`;
    assert.equal(analyzeMegatronArgs(ambiguous, '02_train.sh').specs[0]!.launch!.complete, false);
  });

  it("a fork's own pretrain_*.py may define flags Megatron-LM lacks: only near misses of router flags are reported there", () => {
    const flags = '--num-experts 8 --moe-router-topk 2 --patch-size 14 --moe-router-score-functon sigmoid\n';
    const nearMisses = (program: string): string[] => (analyzeMegatronArgs(`torchrun ${program} ${flags}`, 'run.sh').specs[0]!.unknownKeys ?? []).map((u) => u.key);
    // Pai-Megatron-Patch's pretrain_qwen.py adds `--patch-size` (megatron_patch/arguments.py @a098ca5 l.94).
    assert.deepEqual(nearMisses('pretrain_qwen.py'), ['moe_router_score_functon']);
    assert.deepEqual(nearMisses('pretrain_gpt.py').sort(), ['moe_router_score_functon', 'patch_size']);
  });

  it("MegaBlocks' fork of Megatron-LM: what its LearnedRouter fixes holds whatever the launch passes; its arguments' defaults are assumed", () => {
    const spec = analyzeMegatronArgs('torchrun pretrain_gpt.py --moe-num-experts 8 --moe-top-k 2 --moe-capacity-factor 0\n', 'dmoe.sh').specs[0]!;
    assert.equal(spec.launch!.complete, false);
    for (const field of [spec.scoreFunc, spec.order, spec.routerBias, spec.scale]) {
      assert.equal(provenanceOf(field), 'default');
      assert.equal(field.defaultFrom?.fixed, true);
      assert.match(field.defaultFrom!.label, /^MegaBlocks LearnedRouter \(megablocks\/layers\/router\.py @78eea65 l\.90-103\)/);
    }
    assert.equal(spec.scoreFunc.value, 'softmax');
    assert.equal(spec.order.value, 'score-then-topk');
    assert.equal(provenanceOf(spec.normalize), 'assumed');
  });

  it("a NeMo-Run override's `model.config.*` keys are the model config's fields; what it leaves out is the recipe's, unknown", () => {
    // NVIDIA/Megatron-LM @d98e8a6 tests/functional_tests/test_cases/gpt-nemo/llama3-nemo_8b_mr_mbs1_gbs8_mcore_te_8experts_tp2_ep2_pp2_dgx_a100_1N8G/model_config.yaml
    const text = 'MODEL_ARGS:\n  trainer.devices: 8\n  model.config.add_bias_linear: False\n  model.config.num_moe_experts: 8\n  model.config.moe_router_topk: 2\nTEST_TYPE: regular\n';
    const [spec] = analyzeMegatronYaml(text, 'model_config.yaml').specs;
    assert.deepEqual([spec!.experts.value, spec!.topK.value, spec!.routerBias.value], [8, 2, false]);
    assert.match(spec!.scoreFunc.unknown ?? '', /NeMo-Run override \(`model.config.\*`\) of a NeMo recipe/);
    assert.equal(spec!.insertion, undefined, 'no fix adds a key in a spelling the file does not use');
  });

  it("a config inside an older Megatron checkout runs that checkout's router: no bias before Megatron-LM a329dd6", () => {
    // ROCm/Megatron-LM @2b855ba (October 2024): its TopKRouter has a weight and no bias (router.py l.42-66).
    const old = 'class Router(ABC, MegatronModule):\n    def __init__(self, config):\n        self.weight = torch.nn.Parameter(torch.empty((config.num_moe_experts, config.hidden_size)))\n\nclass TopKRouter(Router):\n    pass\n';
    const now = old.replace('self.weight', 'if self.config.add_bias_linear:\n            self.bias = None\n        self.weight');
    const script = 'torchrun pretrain_gpt.py --num-experts 8 --moe-router-topk 2\n';
    const yaml = 'MODEL_ARGS:\n  --num-experts: 8\n  --moe-router-topk: 2\n';
    const inCheckout = (router: string) => (path: string) => (path === 'repo/megatron/core/transformer/moe/router.py' ? router : undefined);
    const args = analyzeMegatronArgs(script, 'repo/examples/train.sh', inCheckout(old)).specs[0]!;
    assert.deepEqual([args.routerBias.value, args.routerBias.defaultFrom?.fixed], [false, true]);
    assert.match(args.routerBias.defaultFrom!.label, /this checkout's Megatron router .* has no bias: `add_bias_linear` reaches the router only since Megatron-LM a329dd6/);
    const test = analyzeMegatronYaml(yaml, 'repo/tests/functional_tests/test_cases/gpt/case/model_config.yaml', undefined, inCheckout(old)).specs[0]!;
    assert.equal(test.routerBias.value, false);
    // A checkout whose router reads add_bias_linear, or none at all: Megatron's default (True).
    assert.equal(analyzeMegatronArgs(script, 'repo/examples/train.sh', inCheckout(now)).specs[0]!.routerBias.value, true);
    assert.equal(analyzeMegatronArgs(script, 'repo/examples/train.sh').specs[0]!.routerBias.value, true);
  });

  it('two launches written out in one script (a sweep, two shell functions) are two configs, each of its own flags', () => {
    // Helper sweep 31's repro: read as one config, the second command's flags were MOE009 conflicts of the first's,
    // and the "safe" fix rewrote the first run's expert count.
    const line = (experts: number, k: number) => `torchrun --nproc-per-node 8 pretrain_gpt.py --num-layers 4 --num-experts ${experts} --moe-router-topk ${k} --expert-model-parallel-size 8\n`;
    for (const script of [`#!/bin/bash\n${line(8, 2)}${line(16, 4)}`, `run_small() {\n  ${line(8, 2)}}\nrun_big() {\n  ${line(16, 4)}}\nrun_$1\n`]) {
      const specs = analyzeMegatronArgs(script, 'sweep.sh').specs;
      assert.deepEqual(specs.map((s) => [s.experts.value, s.topK.value, s.launch?.complete]), [[8, 2, true], [16, 4, true]], script);
      assert.deepEqual(lintText('sweep.sh', script).diagnostics.filter((d) => d.code === 'MOE009'), []);
    }
    // One launch: its flags are one config, as before.
    assert.equal(analyzeMegatronArgs(line(8, 2), 'one.sh').specs.length, 1);
  });

  it('variables one launch passes together are one config; each launch of its own variable, a config with the variables beside it', () => {
    // Ascend/MindSpeed @028de58 tests_extend/system_tests/gpt/pretrain_gpt_megatron_moe_8k.sh (trimmed): GPT_ARGS
    // switches the bias off for both launches; pretrain_gpt_deepspeed_moe_128k.sh passes $GPT_ARGS $MOE_ARGS to one.
    const vars = 'GPT_ARGS="\n    --disable-bias-linear \\\n    --num-layers 2\n"\n\nMOE_ARGS_1="\n    --num-experts 4 \\\n    --moe-router-topk 2\n"\n\nMOE_ARGS_2="\n    --num-experts 8 \\\n    --moe-router-topk 2\n"\n\n';
    const two = vars + 'torchrun pretrain_gpt.py \\\n    $GPT_ARGS \\\n    $MOE_ARGS_1 \\\n    --seed 1234\n\ntorchrun pretrain_gpt.py \\\n    $GPT_ARGS \\\n    $MOE_ARGS_2 \\\n    --seed 1234\n';
    const specs = analyzeMegatronArgs(two, 'pretrain_gpt_megatron_moe_8k.sh').specs;
    assert.deepEqual(specs.map((s) => [s.name, s.experts.value, s.routerBias.value, provenanceOf(s.routerBias)]), [
      ['pretrain_gpt_megatron_moe_8k MOE_ARGS_1', 4, false, 'literal'],
      ['pretrain_gpt_megatron_moe_8k MOE_ARGS_2', 8, false, 'literal'],
    ]);
    const one = 'GPT_ARGS="\n    --disable-bias-linear \\\n    --moe-router-topk 2\n"\n\nMOE_ARGS="\n    --num-experts 2\n"\n\ntorchrun pretrain_gpt.py $GPT_ARGS $MOE_ARGS --seed 1234\n';
    const [merged, ...rest] = analyzeMegatronArgs(one, 'pretrain_gpt_deepspeed_moe_128k.sh').specs;
    assert.deepEqual([merged!.name, merged!.experts.value, merged!.topK.value, provenanceOf(merged!.topK), merged!.routerBias.value, rest.length], ['pretrain_gpt_deepspeed_moe_128k', 2, 2, 'literal', false, 0]);
    // Variables no launch passes (a script that only defines them): each its own config, as before.
    assert.equal(analyzeMegatronArgs(vars, 'vars.sh').specs.length, 2);
  });

  it("MindSpeed's Megatron (core_v0.12.1 or older) has no router bias, whatever add_bias_linear says", () => {
    // Ascend/MindSpeed @028de58 tests_extend/model_tests/benchmark_model/gpt_moe/pretrain_gpt_moe_128k.sh (trimmed): no
    // --disable-bias-linear; read as a router bias (Megatron's default since a329dd6), which that Megatron has not.
    const script = 'NPUS_PER_NODE=8\ntorchrun --nproc_per_node $NPUS_PER_NODE pretrain_gpt.py --num-experts 8 --moe-router-topk 2\n';
    const bias = analyzeMegatronArgs(script, 'gpt_moe/pretrain_gpt_moe_128k.sh').specs[0]!.routerBias;
    assert.deepEqual([bias.value, bias.defaultFrom?.fixed], [false, true]);
    assert.match(bias.defaultFrom!.label, /MindSpeed runs Megatron-LM core_v0.12.1 or older, whose router has no bias/);
    assert.equal(analyzeMegatronArgs(script.replace('NPUS_PER_NODE=8\n', '').replace(' --nproc_per_node $NPUS_PER_NODE', ''), 'train.sh').specs[0]!.routerBias.value, true);
    // tests_extend/system_tests/gpt/pretrain_gpt_deepspeed_moe_128k.sh l.32-39: MindSpeed's DeepSpeed-style MoE.
    const deepspeed = analyzeMegatronArgs(script.replace('--num-experts 8', '--moe-model-type deepspeed_moe --num-experts 8'), 'gpt/pretrain_gpt_deepspeed_moe_128k.sh').specs[0]!;
    assert.equal(deepspeed.experts.value, 8);
    for (const field of [deepspeed.topK, deepspeed.scoreFunc, deepspeed.normalize]) assert.match(field.unknown ?? '', /MindSpeed's DeepSpeed-style MoE \(`--moe-model-type deepspeed_moe`\) routes with its own TopKGate/);
    const yaml = analyzeMegatronYaml('num_experts: 8\nmoe_router_topk: 2\nnorm_topk_prob: true\n', 'configs/model/moe.yaml').specs[0]!.routerBias;
    assert.deepEqual([yaml.value, yaml.defaultFrom?.fixed], [false, true]);
  });

  it('a launch that names its Megatron-LM by date (Pai-Megatron-Patch) runs that Megatron: no router bias before a329dd6', () => {
    // alibaba/Pai-Megatron-Patch @a098ca5 examples/qwen3_next/run_mcore_qwen3.sh l.5-6 (trimmed): Megatron-LM-250908.
    const script = (date: string) => `MEGATRON_PATH=\${MEGATRON_PATCH_PATH}/backends/megatron/Megatron-LM-${date}\nexport PYTHONPATH=\${MEGATRON_PATH}:\${MEGATRON_PATCH_PATH}:$PYTHONPATH\ntorchrun pretrain_gpt.py --num-experts 8 --moe-router-topk 2\n`;
    const [old] = analyzeMegatronArgs(script('250908'), 'examples/qwen3_next/run_mcore_qwen3.sh').specs;
    assert.deepEqual(old!.launch?.pinned, { date: '2025-09-08', where: 'MEGATRON_PATH=${MEGATRON_PATCH_PATH}/backends/megatron/Megatron-LM-250908 (line 1)' });
    assert.deepEqual([old!.routerBias.value, old!.routerBias.defaultFrom?.fixed], [false, true]);
    assert.match(old!.routerBias.defaultFrom!.label, /the Megatron-LM this script runs \(MEGATRON_PATH=.*Megatron-LM-250908 \(line 1\)\) is from 2025-09-08: its router has no bias/);
    assert.equal(analyzeMegatronArgs(script('251120'), 'run.sh').specs[0]!.routerBias.value, true);
    // Not a date (a month 13), or not the path of a Megatron variable: nothing is pinned.
    assert.equal(analyzeMegatronArgs(script('251320'), 'run.sh').specs[0]!.launch?.pinned, undefined);
    assert.equal(analyzeMegatronArgs(script('250908').replace(/MEGATRON_PATH=/, 'LOG_DIR=').replace('${MEGATRON_PATH}:', ''), 'run.sh').specs[0]!.launch?.pinned, undefined);
  });

  it("a Nemotron recipe config (`recipe: {_target_: megatron.bridge.recipes.…}`) overrides that Bridge recipe: what it does not write is the recipe's", () => {
    // NVIDIA-NeMo/Nemotron @e27b371 src/nemotron/recipes/lightning35/stage0_pretrain/config/tiny.yaml (trimmed): read as a
    // whole Megatron config, softmax, no expert bias and a router bias, where the recipe sets sigmoid, the bias, scale 2.5.
    const text = 'run:\n  data: lightning35-pretrain-data-tiny:latest\n\nrecipe:\n  _target_: megatron.bridge.recipes.nemotronh.nemotron_3_5_lightning_pretrain_config\n\ntrain:\n  train_iters: 1700\n\nmodel:\n  num_layers: 4\n  num_moe_experts: 8\n  moe_router_topk: 2\n';
    const spec = analyzeDocument('config/tiny.yaml', text).specs[0]!;
    assert.deepEqual([spec.experts.value, spec.topK.value], [8, 2]);
    for (const field of [spec.scoreFunc, spec.selectionBias, spec.routerBias, spec.scale]) assert.match(field.unknown ?? '', /not written in this Megatron-Bridge YAML \(the recipe sets it\)/);
    // Without a Bridge recipe named, `run:` is no ConfigContainer section: read as before.
    assert.equal(analyzeDocument('config/tiny.yaml', text.replace('megatron.bridge.recipes.', 'my.recipes.')).specs[0]!.scoreFunc.unknown, undefined);
  });

  it('an expert-count key that holds a list of names (where to look in an HF config) is no Megatron setting', () => {
    // microsoft/Olive olive/assets/io_configs/defaults.yaml (trimmed): read as a Megatron router, top-2 softmax.
    const text = 'aliases:\n  head_dim: [text_config.head_dim]\n  num_experts:\n    - num_local_experts\n    - n_routed_experts\n    - text_config.num_experts\n';
    assert.deepEqual(analyzeMegatronYaml(text, 'olive/assets/io_configs/defaults.yaml').specs, []);
    assert.equal(analyzeMegatronYaml('num_experts: 8\nmoe_router_topk: 2\n', 'moe.yaml').specs.length, 1);
  });

  it('a Weights & Biases run record (`_wandb:`, every key `key: {value: …}`) is no Megatron config', () => {
    // KevinC259/MindSpeed-LLM @4e626e7 examples/mcore/qwen3/wandb/.../run-20251224_215008-e8aicbux/files/config.yaml
    // (trimmed): read as a launch, every router field unknown, quoting `{"value":false}`.
    const record = '_wandb:\n    value:\n        cli_version: 0.23.1\nmoe_router_topk:\n    value: 2\nmoe_router_load_balancing_type:\n    value: aux_loss\nnum_experts:\n    value: null\n';
    assert.deepEqual(analyzeMegatronYaml(record, 'wandb/run-20251224_215008-e8aicbux/files/config.yaml').specs, []);
    assert.equal(analyzeMegatronYaml(record.replace('_wandb', 'wandb_meta'), 'files/config.yaml').specs.length, 1);
  });

  it("a config inside a checkout of Megatron core 0.4 (SwitchMLP, no MoE router), or passing `--routing-mode`, routes as MoE Lens does not model", () => {
    // Zyphra/Megatron-LM @fa8b646 examples/moe_125m.sh and megatron/core/transformer/switch_mlp.py (trimmed): read as
    // top-2 softmax, Megatron's defaults since core 0.5, where SwitchMLP routes one expert by Sinkhorn and a sigmoid.
    const script = 'torchrun pretrain_gpt.py --num-experts 16 --num-layers 12\n';
    const switchMlp = (path: string) => (path === 'repo/megatron/core/transformer/switch_mlp.py' ? 'class SwitchMLP(MegatronModule):\n    pass\n' : undefined);
    const inCheckout = analyzeMegatronArgs(script, 'repo/examples/moe_125m.sh', switchMlp).specs[0]!;
    assert.equal(inCheckout.experts.value, 16);
    for (const field of [inCheckout.topK, inCheckout.scoreFunc, inCheckout.routerBias]) assert.match(field.unknown ?? '', /this checkout's Megatron \(megatron\/core\/transformer\/switch_mlp.py\) has no MoE router but core 0.4's SwitchMLP: it routes by `--routing-mode`/);
    const flag = analyzeMegatronArgs(script.replace('--num-layers 12', '--routing-mode sinkhorn'), 'train.sh').specs[0]!;
    assert.match(flag.topK.unknown ?? '', /`--routing-mode` is the flag of Megatron-LM core 0.4 and before/);
    assert.equal(analyzeMegatronArgs(script, 'train.sh').specs[0]!.topK.value, 2);
  });

  it("a routing flag Megatron-LM does not define (a fork's, an older Megatron's) leaves the router unknown; `$cmd` alone runs the launch", () => {
    // MooreThreads/MT-MegatronLM @e53585c examples/deepseek-v3/deepseek-v3-lite/run_pretrain_deepseekv3_musa.sh
    // l.175-221 (trimmed): its musa_patch adds --moe-router-use-sigmoid (DeepSeek-V3's sigmoid); read as softmax.
    const script = (flag: string) => `WORK_HOME=/w\nMOE_ARGS=(\n    --num-experts 256\n    --moe-router-topk 8\n    ${flag}\n)\n\ncmd="torchrun $WORK_HOME/pretrain_deepseekv2.py \\\n        \${MOE_ARGS[@]}\n    "\necho $cmd\n$cmd\n`;
    const [fork] = analyzeMegatronArgs(script('--moe-router-use-sigmoid'), 'run_pretrain_deepseekv3_musa.sh').specs;
    assert.deepEqual([fork!.experts.value, fork!.topK.value, fork!.launch?.complete], [256, 8, true]);
    for (const field of [fork!.scoreFunc, fork!.selectionBias, fork!.routerBias]) assert.match(field.unknown ?? '', /the launch passes `--moe-router-use-sigmoid`, which Megatron-LM @d98e8a6 does not define/);
    // A flag of another kind, or Megatron's own: the router is Megatron's.
    assert.equal(analyzeMegatronArgs(script('--use-musa'), 'run.sh').specs[0]!.scoreFunc.unknown, undefined);
    assert.equal(analyzeMegatronArgs(script('--moe-router-pre-softmax'), 'run.sh').specs[0]!.scoreFunc.unknown, undefined);
    // thu-ml/ReMoE scripts/train_llama_182m_remoe.sh (trimmed): its fork's ReLU router, and a granularity that
    // multiplies the expert count and top-k (transformer_config.py l.609-621): read as Megatron's softmax top-1.
    const remoe = analyzeMegatronArgs('torchrun pretrain_gpt.py --num-experts 8 --moe-router-topk 1 --moe-relu-routing --moe-granularity 2\n', 'train_llama_182m_remoe.sh').specs[0]!;
    assert.match(remoe.scoreFunc.unknown ?? '', /the launch passes `--moe-relu-routing`/);
    assert.match(remoe.topK.unknown ?? '', /the launch passes `--moe-granularity`, .*and may change the counts/);
    assert.equal(remoe.experts.unknown !== undefined, true);
    // A fork's flag about something else than the counts (MT-MegatronLM's device limit): the counts stay read.
    assert.equal(analyzeMegatronArgs(script('--moe-router-topk-limited-devices 4'), 'run.sh').specs[0]!.topK.value, 8);
    // Quoted, `"$cmd"` is one word bash cannot run: no launch.
    assert.notEqual(analyzeMegatronArgs(script('--use-musa').replace(/\n\$cmd\n$/, '\n"$cmd"\n'), 'run.sh').specs[0]?.launch?.complete, true);
  });

  it("another Megatron's load-balancing type leaves the router unknown, its expert groups too where only that Megatron's flags write them", () => {
    // charonkk/Mindspeed-LLM @de996e3 examples/mcore/deepseek3/pretrain_deepseek3_671b_4k_A3_ptd.sh l.63-74 (trimmed):
    // MindSpeed's noaux_tc routes with --n-group 8 --topk-group 4 (router.py l.363-364, l.500-514), not "no groups".
    const [spec] = analyzeMegatronArgs('torchrun pretrain_gpt.py --num-experts 256 --moe-router-topk 8 --moe-router-load-balancing-type noaux_tc --n-group 8 --topk-group 4 --moe-router-score-function sigmoid\n', 'pretrain_deepseek3.sh').specs;
    for (const field of [spec!.topK, spec!.groups?.count, spec!.groups?.selected]) assert.match(field?.unknown ?? '', /`noaux_tc` is no load-balancing type of Megatron-LM|does not define/);
    // Only the load-balancing type is another Megatron's: its groups are still not Megatron's "none".
    const [typeOnly] = analyzeMegatronArgs('torchrun pretrain_gpt.py --num-experts 256 --moe-router-topk 8 --moe-router-load-balancing-type noaux_tc\n', 'pretrain_deepseek3.sh').specs;
    for (const field of [typeOnly!.groups?.count, typeOnly!.groups?.selected]) assert.match(field?.unknown ?? '', /`noaux_tc` is no load-balancing type of Megatron-LM/);
  });

  it("a Python program of the script's own that borrows `--moe-router-topk` beside flags Megatron-LM does not define is no launch", () => {
    // cmu-flame/FLAME-MoE @e9b2fe2 scripts/empirical_analysis/router_saturation-290m.sh l.25-31: an offline analysis
    // whose argparse reuses the flag's name; read as a Megatron config with Megatron's defaults assumed.
    const loop = (flags: string) => `for moe_router_topk in 6 4 2 1; do\n    python3 scripts/empirical_analysis/modules/router_saturation_step2.py --moe-router-topk $moe_router_topk ${flags}\n  done\n`;
    assert.deepEqual(analyzeMegatronArgs(loop('--actives-pattern "$actives_pattern" --results-path $results_path'), 'router_saturation-290m.sh').specs, []);
    // With Megatron's own flags only, an expert count, or an entry point the script runs, it stays a config.
    assert.equal(analyzeMegatronArgs(loop('--num-layers 12'), 'run.sh').specs.length, 1);
    assert.equal(analyzeMegatronArgs(loop('--num-experts 64 --results-path x'), 'run.sh').specs.length, 1);
    assert.equal(analyzeMegatronArgs(`${loop('--results-path x')}torchrun pretrain_gpt.py --num-experts 64\n`, 'run.sh').specs.length, 1);
  });

  it("Hetu-Galvatron's YAML routes with Galvatron's copy of Megatron Core's router, which has no bias", () => {
    // PKU-DAIR/Hetu-Galvatron @cea12ff galvatron/scripts/accuracy_alignment/moe/train_dist.yaml (trimmed): Megatron's
    // key names under `runtime.model`, read by Galvatron's runtime; its router is a weight only (router.py l.40-43).
    const text = 'runtime:\n  parallel:\n    pp_deg: 1\n    galvatron_config_path: null\n  model:\n    num_moe_experts: 8\n    moe_router_topk: 2\n';
    const galvatron = analyzeMegatronYaml(text, 'scripts/accuracy_alignment/moe/train_dist.yaml').specs[0]!;
    assert.deepEqual([galvatron.experts.value, galvatron.topK.value, galvatron.routerBias.value], [8, 2, false]);
    assert.match(galvatron.routerBias.defaultFrom?.label ?? '', /Galvatron's runtime reads this file, and its router has a weight and no bias/);
    // Under a galvatron/ folder too (its model_configs/*.yaml), even where `add_bias_linear: true` is written.
    const model = analyzeMegatronYaml('add_bias_linear: true\nnum_moe_experts: 8\nmoe_router_topk: 2\n', 'galvatron/models/model_configs/x.yaml').specs[0]!;
    assert.equal(model.routerBias.value, false);
    // The same keys anywhere else are Megatron-LM's: a router bias by default.
    assert.equal(analyzeMegatronYaml(text.replace('    galvatron_config_path: null\n', ''), 'train.yaml').specs[0]!.routerBias.value, true);
  });

  it('a MaxText model YAML beside Megatron ones (Primus keeps both, with `extends:`) is no Megatron config', () => {
    // AMD-AGI/Primus @fd1eeab primus/configs/models/maxtext/grok1.yaml: read as Megatron's, its top-k was the default 2.
    const text = 'extends:\n  - model_base.yaml\n\ndecoder_block: "mixtral"\nbase_emb_dim: 6144\nnum_experts: 8\nnum_experts_per_tok: 2\n';
    assert.deepEqual(analyzeMegatronYaml(text, 'primus/configs/models/maxtext/grok1.yaml').specs, []);
    assert.equal(analyzeMegatronYaml(text.replace('decoder_block: "mixtral"\nbase_emb_dim: 6144\n', ''), 'primus/configs/models/megatron/x.yaml').specs.length, 1);
  });

  it("a model description that counts experts in another program's key (`num_routed_experts`) and in none of Megatron's is no Megatron config", () => {
    // wenxie-amd/Megatron-LM-Projection @6391035 projection/src/projection/model_configs/deepseek-ai__DeepSeek-V3.yaml
    // (trimmed): its projection tool's schema; read as Megatron's, it was "DeepSeek-V3" with no experts and softmax.
    const text = 'name: deepseek-ai/DeepSeek-V3\narchitecture:\n  num_layers: 61\n  hidden_size: 7168\nmoe:\n  enabled: true\n  moe_ffn_hidden_size: 2048\n  num_routed_experts: 256\n  moe_router_topk: 8\n';
    assert.deepEqual(analyzeMegatronYaml(text, 'model_configs/deepseek-ai__DeepSeek-V3.yaml').specs, []);
    // With Megatron's own count beside it, Megatron's config it is.
    assert.equal(analyzeMegatronYaml(text.replace('  moe_router_topk: 8\n', '  moe_router_topk: 8\n  num_experts: 256\n'), 'x.yaml').specs.length, 1);
  });
});
