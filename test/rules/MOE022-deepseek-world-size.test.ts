import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { analyzeDocument } from '../../src/core/analyze';
import { declaredModelArgs, MODEL_ARGS_FIELDS } from '../../src/core/parse/deepseek-launch';
import { lintText } from '../../src/core/lint';
import { ProjectIndex } from '../../src/core/project';
import { deepseekWorldSize } from '../../src/core/rules/MOE022-deepseek-world-size';
import { runRuleTests } from '../rule-tester';

/**
 * DeepSeek-V3 @9b4e978: inference/configs/config_671B.json as published, and the README's commands (README.md
 * lines 288 and 296), run from a script at the repository's root after `cd inference`.
 */
const CONFIG_671B = {
  vocab_size: 129280,
  dim: 7168,
  inter_dim: 18432,
  moe_inter_dim: 2048,
  n_layers: 61,
  n_dense_layers: 3,
  n_heads: 128,
  n_routed_experts: 256,
  n_shared_experts: 1,
  n_activated_experts: 8,
  n_expert_groups: 8,
  n_limited_groups: 4,
  route_scale: 2.5,
  score_func: 'sigmoid',
  q_lora_rank: 1536,
  kv_lora_rank: 512,
  qk_nope_head_dim: 128,
  qk_rope_head_dim: 64,
  v_head_dim: 128,
  dtype: 'fp8',
};

const SCRIPT = '/w/DeepSeek-V3/run.sh';
const CONFIG_PATH = '/w/DeepSeek-V3/inference/configs/config_671B.json';

function project(config: Record<string, unknown> | string | undefined = CONFIG_671B, path = CONFIG_PATH): ProjectIndex {
  const index = new ProjectIndex();
  if (config !== undefined) index.setText(path, typeof config === 'string' ? config : JSON.stringify(config, null, 4));
  return index;
}

/** The lines of DeepSeek-V3 @9b4e978 the rows rest on (model.py l.219, 658, 667; convert.py l.81, 95; generate.py l.119). */
const DEEPSEEK_SOURCES: Record<string, string> = {
  'model.py': [
    '        assert out_features % world_size == 0, f"Output features must be divisible by world size (world_size={world_size})"',
    '        assert args.n_routed_experts % world_size == 0, f"Number of experts must be divisible by world size (world_size={world_size})"',
    '        self.shared_experts = MLP(args.dim, args.n_shared_experts * args.moe_inter_dim)',
    '',
  ].join('\n'),
  'convert.py': [
    '        save_file(state_dicts[i], os.path.join(save_path, f"model{i}-mp{mp}.safetensors"))',
    '    assert args.n_experts % args.model_parallel == 0, "Number of experts must be divisible by model parallelism"',
    '',
  ].join('\n'),
  'generate.py': '    load_model(model, os.path.join(ckpt_path, f"model{rank}-mp{world_size}.safetensors"))\n',
};

/** The project with these files of DeepSeek-V3's inference/ folder beside the script's `cd inference`. */
function withSources(index: ProjectIndex, sources: Record<string, string>): ProjectIndex {
  for (const [name, text] of Object.entries(sources)) index.setText(`/w/DeepSeek-V3/inference/${name}`, text);
  return index;
}

const CONVERT = (mp: string | number, experts: string | number = 256, save = '/path/to/DeepSeek-V3-Demo'): string =>
  `python convert.py --hf-ckpt-path /path/to/DeepSeek-V3 --save-path ${save} --n-experts ${experts} --model-parallel ${mp}\n`;
const TORCHRUN = (nnodes: string | number, nproc: string | number, config = 'configs/config_671B.json', ckpt = '/path/to/DeepSeek-V3-Demo'): string =>
  `torchrun --nnodes ${nnodes} --nproc-per-node ${nproc} --node-rank $RANK --master-addr $ADDR generate.py --ckpt-path ${ckpt} --config ${config} --interactive --temperature 0.7 --max-new-tokens 200\n`;
/** The README's flow: convert for 16, run on 2 nodes × 8. */
const README = `cd inference\n${CONVERT(16)}${TORCHRUN(2, 8)}`;

const EXPERTS_MSG = (w: number): string => `Number of experts must be divisible by world size (world_size=${w})`;
const OUTPUT_MSG = (w: number): string => `Output features must be divisible by world size (world_size=${w})`;
const CONVERT_MSG = 'Number of experts must be divisible by model parallelism';

/** A small DeepSeek config whose every width splits over 12 ranks; `n_routed_experts` is left at its default (64). */
const SMALL = { vocab_size: 1536, dim: 256, inter_dim: 1536, moe_inter_dim: 192, n_layers: 2, n_dense_layers: 1, n_heads: 12, n_shared_experts: 1, n_activated_experts: 2, qk_nope_head_dim: 32, qk_rope_head_dim: 16, v_head_dim: 32, kv_lora_rank: 64 };

runRuleTests(deepseekWorldSize, {
  valid: [
    { name: "DeepSeek's README flow: convert --model-parallel 16, torchrun 2 nodes × 8 (config_671B.json)", file: SCRIPT, code: README, project: project() },
    { name: 'the same on one node of 16 processes', file: SCRIPT, code: `cd inference\n${CONVERT(16)}${TORCHRUN(1, 16)}`, project: project() },
    { name: 'DS-001 nearest valid: 96 experts over 8 ranks', file: SCRIPT, code: `cd inference\n${TORCHRUN(1, 8)}`, project: project({ ...CONFIG_671B, n_routed_experts: 96 }) },
    { name: 'DS-003 nearest valid: --n-experts 256 --model-parallel 8', file: SCRIPT, code: CONVERT(8) },
    { name: 'DS-003: --model-parallel from a variable', file: SCRIPT, code: CONVERT('$MP') },
    { name: 'DS-003: --n-experts from a variable', file: SCRIPT, code: CONVERT(12, '${N_EXPERTS}') },
    { name: '--nnodes from a variable', file: SCRIPT, code: `cd inference\n${TORCHRUN('$NNODES', 8)}`, project: project({ ...CONFIG_671B, n_routed_experts: 100 }) },
    { name: '--nproc-per-node from a variable (and DS-004 not decided)', file: SCRIPT, code: `cd inference\n${CONVERT(16)}${TORCHRUN(1, '${GPUS}')}`, project: project({ ...CONFIG_671B, n_routed_experts: 100 }) },
    { name: 'elastic --nnodes 1:2', file: SCRIPT, code: `cd inference\n${CONVERT(16)}${TORCHRUN('1:2', 8)}`, project: project({ ...CONFIG_671B, n_routed_experts: 100 }) },
    { name: '--nproc-per-node gpu', file: SCRIPT, code: `cd inference\n${CONVERT(16)}${TORCHRUN(1, 'gpu')}`, project: project({ ...CONFIG_671B, n_routed_experts: 100 }) },
    { name: 'the config cannot be read', file: SCRIPT, code: `cd inference\n${TORCHRUN(1, 8)}`, project: project(undefined) },
    { name: 'the config is not JSON json.load reads', file: SCRIPT, code: `cd inference\n${TORCHRUN(1, 8)}`, project: project('{ "n_routed_experts": 100, }') },
    { name: 'the config path is a variable', file: SCRIPT, code: `cd inference\n${TORCHRUN(1, 8, '$CONFIG')}`, project: project({ ...CONFIG_671B, n_routed_experts: 100 }) },
    { name: 'a cd MoE Lens cannot follow', file: SCRIPT, code: `cd $DEEPSEEK_HOME/inference\n${TORCHRUN(1, 8)}`, project: project({ ...CONFIG_671B, n_routed_experts: 100 }) },
    { name: 'without the cd, configs/ is not beside the script', file: SCRIPT, code: TORCHRUN(1, 8), project: project({ ...CONFIG_671B, n_routed_experts: 100 }) },
    {
      name: 'a config key ModelArgs rejects: generate.py raises TypeError first (line 113)',
      file: SCRIPT,
      code: `cd inference\n${TORCHRUN(1, 8)}`,
      project: project({ ...CONFIG_671B, n_routed_experts: 100, num_experts: 100 }),
    },
    { name: 'n_routed_experts written as a float', file: SCRIPT, code: `cd inference\n${TORCHRUN(1, 8)}`, project: project(JSON.stringify({ ...CONFIG_671B, n_routed_experts: 0 }).replace('"n_routed_experts":0', '"n_routed_experts":100.0')) },
    {
      name: 'plain python generate.py: the world size is the environment\'s WORLD_SIZE',
      file: SCRIPT,
      code: `cd inference\n${CONVERT(16)}python generate.py --ckpt-path /path/to/DeepSeek-V3-Demo --config configs/config_671B.json --interactive\n`,
      project: project({ ...CONFIG_671B, n_routed_experts: 100 }),
    },
    { name: 'DS-004: the paths are not written identically', file: SCRIPT, code: `cd inference\n${CONVERT(16)}${TORCHRUN(1, 8, 'configs/config_671B.json', '/path/to/DeepSeek-V3-Demo/')}`, project: project() },
    { name: 'DS-004: the convert runs inside an if', file: SCRIPT, code: `cd inference\nif [ ! -d /path/to/DeepSeek-V3-Demo ]; then\n  ${CONVERT(16)}fi\n${TORCHRUN(1, 8)}`, project: project() },
    { name: 'DS-004: the generate runs inside a loop', file: SCRIPT, code: `cd inference\n${CONVERT(16)}for i in 1 2; do\n  ${TORCHRUN(1, 8)}done\n`, project: project() },
    { name: 'DS-004: a relative checkpoint path with a cd between', file: SCRIPT, code: `${CONVERT(16, 256, 'ckpt')}cd inference\n${TORCHRUN(1, 8, 'configs/config_671B.json', 'ckpt')}`, project: project() },
    { name: 'DS-004: another convert wrote the folder for 8 ranks too', file: SCRIPT, code: `cd inference\n${CONVERT(8)}${CONVERT(16)}${TORCHRUN(1, 8)}`, project: project() },
    { name: 'DS-004: a convert with a variable save path may have written it', file: SCRIPT, code: `cd inference\n${CONVERT(16)}${CONVERT(8, 256, '$OUT')}${TORCHRUN(1, 8)}`, project: project() },
    { name: 'DS-004: an abbreviated convert may have written the folder', file: SCRIPT, code: `cd inference\n${CONVERT(16)}python convert.py --hf-ckpt-path /a --save /path/to/DeepSeek-V3-Demo --n-experts 256 --model-parallel 8\n${TORCHRUN(1, 8)}`, project: project() },
    { name: 'DS-004: the convert runs after the generate', file: SCRIPT, code: `cd inference\n${TORCHRUN(1, 8)}${CONVERT(16)}`, project: project() },
    { name: 'commands in a comment and a heredoc', file: SCRIPT, code: `cd inference\n# ${CONVERT(12)}cat <<EOF\n${CONVERT(12)}${TORCHRUN(3, 4)}EOF\n`, project: project() },
    {
      name: "the workspace's model.py does not assert on the experts (a fork)",
      file: SCRIPT,
      code: `cd inference\n${TORCHRUN(1, 8)}`,
      project: withSources(project({ ...CONFIG_671B, n_routed_experts: 100 }), { 'model.py': 'class MoE:\n    def __init__(self, args):\n        self.n_local_experts = args.n_routed_experts // world_size\n' }),
    },
    {
      name: "the workspace's convert.py does not assert (a fork that pads the experts)",
      file: SCRIPT,
      code: `cd inference\n${CONVERT(12)}`,
      project: withSources(project(), { 'convert.py': 'n_local_experts = -(-n_experts // mp)\n' }),
    },
    {
      name: "DS-004: the workspace's generate.py names its shards otherwise",
      file: SCRIPT,
      code: `cd inference\n${CONVERT(16)}${TORCHRUN(1, 8)}`,
      project: withSources(project(), { 'generate.py': 'load_model(model, os.path.join(ckpt_path, f"model{rank}.safetensors"))\n' }),
    },
    { name: "another project's generate.py (no --ckpt-path/--config)", file: SCRIPT, code: 'torchrun --nproc-per-node 7 generate.py --model llama --config c.json\n' },
    { name: 'an abbreviated flag argparse may expand', file: SCRIPT, code: 'python convert.py --hf-ckpt-path a --save-path b --n-exp 256 --n-experts 256 --model-parallel 12\n' },
  ],
  invalid: [
    {
      // deepseek-ai/DeepSeek-V3.2-Exp @3b99a53 inference/model.py: ModelArgs adds the indexer's fields (l.19-91), the
      // shared experts' MLP passes `reduce_output=False` (l.767), the asserts are V3's (l.220, l.758).
      name: "DS-001/002: V3.2-Exp's own model.py, whose ModelArgs takes its config's indexer keys",
      file: SCRIPT,
      code: `cd inference\n${TORCHRUN(1, 8)}`,
      project: withSources(project({ ...CONFIG_671B, n_routed_experts: 100, index_n_heads: 64, index_topk: 2048 }), {
        'model.py': `@dataclass\nclass ModelArgs:\n    """Doc."""\n${[...Object.keys(CONFIG_671B), 'index_n_heads', 'index_topk'].map((k) => `    ${k}: int = 1\n`).join('')}\n\n${DEEPSEEK_SOURCES['model.py']!.replace('args.moe_inter_dim)', 'args.moe_inter_dim, reduce_output=False)')}`,
      }),
      errors: [{ messageId: 'modelBuild', text: '8', includes: [EXPERTS_MSG(8), 'n_routed_experts = 100'] }],
      output: null,
    },
    {
      name: 'DS-001: 100 routed experts over torchrun 1 node × 8',
      file: SCRIPT,
      code: `cd inference\n${TORCHRUN(1, 8)}`,
      project: project({ ...CONFIG_671B, n_routed_experts: 100 }),
      errors: [{ messageId: 'modelBuild', text: '8', includes: [EXPERTS_MSG(8), 'n_routed_experts = 100', 'census DS-001', 'inference/model.py @9b4e978 line 658', CONFIG_PATH] }],
      output: null,
    },
    {
      name: 'DS-001: --nnodes=2 --nproc_per_node=8 spellings (world size 16)',
      file: SCRIPT,
      code: `cd inference\ntorchrun --nnodes=2 --nproc_per_node=8 generate.py --ckpt-path /ckpt --config=configs/config_671B.json --interactive\n`,
      project: project({ ...CONFIG_671B, n_routed_experts: 72 }),
      errors: [{ messageId: 'modelBuild', text: '8', includes: [EXPERTS_MSG(16), 'census DS-001'] }],
      output: null,
    },
    {
      name: 'DS-001: python -m torch.distributed.run, line continuations, config relative to the script',
      file: '/w/DeepSeek-V3/inference/launch.sh',
      code: 'python3 -m torch.distributed.run \\\n  --nproc-per-node 8 \\\n  generate.py --ckpt-path /ckpt \\\n  --config configs/config_671B.json --input-file prompts.txt\n',
      project: project({ ...CONFIG_671B, n_routed_experts: 100 }),
      errors: [{ messageId: 'modelBuild', text: '8', includes: [EXPERTS_MSG(8)] }],
      output: null,
    },
    {
      name: 'DS-001: n_routed_experts at its ModelArgs default (64, model.py line 67) over 12 ranks',
      file: SCRIPT,
      code: `cd inference\ntorchrun --nproc-per-node 12 generate.py --ckpt-path /ckpt --config configs/small.json --interactive\n`,
      project: project(SMALL, '/w/DeepSeek-V3/inference/configs/small.json'),
      errors: [{ messageId: 'modelBuild', text: '12', includes: [EXPERTS_MSG(12), 'n_routed_experts = 64 (ModelArgs default, model.py line 67)'] }],
      output: null,
    },
    {
      name: 'DS-001 and DS-002 on 3 × 4 ranks of the README config, the embedding stopping first',
      file: SCRIPT,
      code: `cd inference\n${TORCHRUN(3, 4)}`,
      project: project(),
      errors: [
        { messageId: 'modelBuild', text: '4', includes: [EXPERTS_MSG(12), 'census DS-001', 'Vocabulary size must be divisible by world size (world_size=12)'] },
        { messageId: 'modelBuild', text: '4', includes: [OUTPUT_MSG(12), 'n_shared_experts × moe_inter_dim = 1 × 2048', 'census DS-002'] },
      ],
      output: null,
    },
    {
      name: "DS-002: the shared experts' width 1 × 2052 over 8 ranks",
      file: SCRIPT,
      code: `cd inference\n${TORCHRUN(1, 8)}`,
      project: project({ ...CONFIG_671B, moe_inter_dim: 2052, n_dense_layers: 0 }),
      errors: [{ messageId: 'modelBuild', text: '8', includes: [`DeepSeek-V3's model.py asserts "${OUTPUT_MSG(8)}": the shared experts' width n_shared_experts × moe_inter_dim = 1 × 2052 = 2052 is not divisible by the world size 8.`, 'census DS-002', 'model.py @9b4e978 line 219'] }],
      output: null,
    },
    {
      name: "DS-002: the dense layers' inter_dim 18436 over 8 ranks",
      file: SCRIPT,
      code: `cd inference\n${TORCHRUN(1, 8)}`,
      project: project({ ...CONFIG_671B, inter_dim: 18436 }),
      errors: [{ messageId: 'modelBuild', text: '8', includes: [OUTPUT_MSG(8), 'inter_dim = 18436', 'census DS-002'] }],
      output: null,
    },
    {
      name: "DS-001 and DS-004 checked against the workspace's own DeepSeek-V3 sources (the lines they rest on)",
      file: SCRIPT,
      code: `cd inference\n${CONVERT(16)}${TORCHRUN(1, 8)}`,
      project: withSources(project({ ...CONFIG_671B, n_routed_experts: 96 + 4 }), DEEPSEEK_SOURCES),
      errors: [{ messageId: 'modelBuild', text: '8', includes: [EXPERTS_MSG(8)] }],
      output: null,
    },
    {
      name: "DS-004 with the workspace's own DeepSeek-V3 sources",
      file: SCRIPT,
      code: `cd inference\n${CONVERT(16)}${TORCHRUN(1, 8)}`,
      project: withSources(project(), DEEPSEEK_SOURCES),
      errors: [{ messageId: 'shards', text: '8', includes: ['model0-mp8.safetensors'] }],
      output: null,
    },
    {
      name: 'DS-003: --n-experts 256 --model-parallel 12',
      file: SCRIPT,
      code: CONVERT(12),
      errors: [{ messageId: 'convert', text: '12', includes: [`DeepSeek-V3's convert.py raises AssertionError("${CONVERT_MSG}").`, 'convert.py @9b4e978 line 95', 'census DS-003'] }],
      output: null,
    },
    {
      name: 'DS-003: --model-parallel=12 inside an if (the command fails wherever it runs)',
      file: SCRIPT,
      code: 'if [ "$CONVERT" = 1 ]; then\n  python convert.py --hf-ckpt-path "$HF" --save-path "$OUT" --n-experts=256 --model-parallel=12\nfi\n',
      errors: [{ messageId: 'convert', text: '12', includes: [CONVERT_MSG] }],
      output: null,
    },
    {
      name: "DS-004: the README's conversion for 16 run on one node of 8",
      file: SCRIPT,
      code: `cd inference\n${CONVERT(16)}${TORCHRUN(1, 8)}`,
      project: project(),
      errors: [{ messageId: 'shards', text: '8', includes: ['/path/to/DeepSeek-V3-Demo was converted with `--model-parallel` 16: rank 0 loads model0-mp8.safetensors, which convert.py did not write (FileNotFoundError).', 'generate.py @9b4e978 line 119', 'convert.py @9b4e978 line 81', 'census DS-004'] }],
      output: null,
    },
    {
      name: 'DS-004: decided without the config (it cannot be read), relative checkpoint path, && chain',
      file: SCRIPT,
      code: `${CONVERT(16, 256, 'demo')}torchrun --nproc-per-node 4 inference/generate.py --ckpt-path demo --config $CFG --interactive && echo done\n`,
      errors: [{ messageId: 'shards', text: '4', includes: ['model0-mp4.safetensors'] }],
      output: null,
    },
    {
      name: 'DS-004: torchrun with neither flag written runs one process (torchrun defaults)',
      file: SCRIPT,
      code: `cd inference\n${CONVERT(16)}torchrun generate.py --ckpt-path /path/to/DeepSeek-V3-Demo --config configs/config_671B.json --interactive\n`,
      project: project(),
      errors: [{ messageId: 'shards', text: 'torchrun', includes: ['model0-mp1.safetensors', '--nnodes 1 (default) × --nproc-per-node 1 (default)'] }],
      output: null,
    },
  ],
});

describe('MOE022 scope', () => {
  it("reads the ModelArgs fields of the workspace's model.py as V3's own code declares them (docstring left out)", () => {
    const v3 = readFileSync('test/corpus/models/deepseek-ai__DeepSeek-V3@b15f0db/inference/model.py', 'utf8');
    assert.deepEqual([...(declaredModelArgs(v3) ?? [])].sort(), [...MODEL_ARGS_FIELDS].sort());
    assert.equal(declaredModelArgs('class ModelArgs:\n    dim: int = 1\n'), undefined, 'no dataclass');
  });

  it('a convert that fails its own assert (DS-003) is not also reported as a mismatched checkpoint', () => {
    const found = lintText(SCRIPT, `cd inference\n${CONVERT(12)}${TORCHRUN(1, 8)}`, project(), { rules: [deepseekWorldSize] }).diagnostics.filter((d) => d.code === 'MOE022');
    assert.deepEqual(found.map((d) => d.messageId), ['convert']);
  });

  it('a Megatron script that mentions convert.py stays with the Megatron parser', () => {
    const text = 'python tools/checkpoint/convert.py --model-type GPT\ntorchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 2\n';
    assert.equal(analyzeDocument('/w/train.sh', text).dialect, 'megatron-args');
  });

  it('the launch specs carry no router values into other rules (the JSON is linted on its own)', () => {
    const { specs } = analyzeDocument(SCRIPT, README, project());
    assert.equal(specs.length, 2);
    for (const spec of specs) {
      assert.equal(spec.dialect, 'deepseek-launch');
      assert.ok(spec.topK.unknown && spec.scoreFunc.unknown && spec.layers.unknown && spec.hidden.unknown);
      assert.deepEqual(spec.sites.filter((s) => s.file !== undefined), []);
    }
    assert.equal(specs[1]!.experts.value, 256);
    assert.equal(specs[1]!.experts.sites[0]!.file, CONFIG_PATH);
    // The README's flow is clean under every rule, not only MOE022.
    assert.deepEqual(lintText(SCRIPT, README, project()).diagnostics.map((d) => `${d.code} ${d.message}`), []);
  });

  it('stays bounded on a hostile script', () => {
    const line = TORCHRUN(1, 8);
    const text = `cd inference\n${line.repeat(20_000)}${'"'.repeat(3)}(((\n<<EOF\n`;
    const started = Date.now();
    const result = lintText(SCRIPT, text, project({ ...CONFIG_671B, n_routed_experts: 100 }));
    assert.ok(Date.now() - started < 5000);
    assert.ok(result.diagnostics.filter((d) => d.code === 'MOE022').length <= 200);
  });
});
