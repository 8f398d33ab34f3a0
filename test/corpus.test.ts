/**
 * The real-world corpus: configs copied verbatim from public repositories (test/corpus/manifest.*.json give
 * repo, path, commit, licence and the values a careful reader finds in each file). For every file this checks
 * what MoE Lens understood against the manifest and that a correct published config gets no error; the
 * per-file outcome is pinned in test/corpus/expected.json so a change in what is understood or reported is a
 * visible diff (UPDATE_CORPUS=1 rewrites it after a reviewed change).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { reportConfig, type ConfigReport, type FieldReport } from '../src/core/inspect';
import { lintText } from '../src/core/lint';
import { MESSAGE_LIMIT } from './rule-tester';
import { ProjectIndex } from '../src/core/project';
import { parsePython } from '../src/core/parse/python/syntax';
import { LineIndex } from '../src/core/text/source';

const CORPUS = resolve(import.meta.dirname, 'corpus');
const EXPECTED = join(CORPUS, 'expected.json');

interface ExpectedConfig {
  readonly name: string;
  readonly line?: number;
  readonly model?: string | null;
  readonly correct?: boolean;
  readonly num_experts?: number;
  readonly top_k?: number;
  readonly score_func?: string;
  /** Expert groups (DeepSeek's n_group / topk_group): null when the config routes without groups. */
  readonly num_groups?: number | null;
  readonly group_topk?: number | null;
}

interface Entry {
  readonly file: string;
  readonly repo: string;
  readonly path: string;
  readonly commit: string;
  readonly license: string;
  readonly dialect: string;
  readonly configs: readonly ExpectedConfig[];
}

interface Outcome {
  understood: boolean;
  /**
   * Not understood, but every value MoE Lens did not read it assumed as the manifest records it, and says so: an
   * unwritten Megatron default of a launch that may set the flag elsewhere (a sourced file, `$EXTRA_ARGS`).
   */
  assumedRight?: true;
  /** What was read or missed, per expected config: `name: experts/top_k/score`. */
  read: string[];
  diagnostics: string[];
}

function manifests(): Entry[] {
  return readdirSync(CORPUS)
    .filter((name) => /^manifest\..+\.json$/.test(name))
    .sort()
    .flatMap((name) => (JSON.parse(readFileSync(join(CORPUS, name), 'utf8')) as { files: Entry[] }).files);
}

/** Manifest dialects of frameworks MoE Lens does not read (Megatron-DeepSpeed: DeepSpeed's MoE flags). */
const OUT_OF_SCOPE = new Set(['olmo-python', 'other', 'megatron-deepspeed-args']);

// A script's default variant is labelled `MODEL=X (default)`; the manifest names it `MODEL=X`.
const normalise = (name: string): string => name.replace(/ \(default\)$/, '').toLowerCase().replace(/^_+/, '').replace(/[-_ ]/g, '');

/** The config MoE Lens found that the manifest's config means: same name, else the only one, else the same line. */
function match(expected: ExpectedConfig, found: readonly ConfigReport[]): ConfigReport | undefined {
  const exact = found.filter((c) => normalise(c.name) === normalise(expected.name));
  if (exact.length === 1) return exact[0];
  const byName = found.filter((c) => normalise(c.name).endsWith(normalise(expected.name)));
  if (byName.length === 1) return byName[0];
  if (found.length === 1) return found[0];
  return found.find((c) => c.line === expected.line);
}

/** Every message the corpus gets, with its file, for the check of their length. */
const messages: { readonly file: string; readonly message: string }[] = [];

function outcomeOf(entry: Entry, project: ProjectIndex): Outcome {
  const file = join(CORPUS, entry.file);
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const result = lintText(file, text, project);
  messages.push(...result.diagnostics.map((d) => ({ file: entry.file, message: `${d.code} ${d.message}` })));
  const found = result.analysis.specs.map((spec) => reportConfig(spec, file, result.lines));
  const read: string[] = [];
  let understood = true;
  let assumedRight = true;
  for (const expected of entry.configs) {
    const actual = match(expected, found);
    const f = actual?.fields;
    // Understood means read, not assumed: a value MoE Lens only assumed (or could not read) does not count.
    // undefined where MoE Lens did not read the value (a read null is "none": no groups).
    const readValue = (field: FieldReport): FieldReport['value'] | undefined => (field.source === 'assumed' || field.source === 'unknown' ? undefined : field.value);
    const known = (field: FieldReport): FieldReport['value'] => readValue(field) ?? null;
    const got = f ? `${known(f.num_experts) ?? '?'}/${known(f.top_k) ?? '?'}/${known(f.score_func) ?? '?'}` : 'not found';
    const ok =
      actual !== undefined &&
      (expected.num_experts === undefined || known(f!.num_experts) === expected.num_experts) &&
      (expected.top_k === undefined || known(f!.top_k) === expected.top_k) &&
      (expected.score_func === undefined || known(f!.score_func) === expected.score_func);
    understood &&= ok;
    const routed = (field: FieldReport): FieldReport['value'] => field.value;
    assumedRight &&=
      actual !== undefined &&
      (expected.num_experts === undefined || routed(f!.num_experts) === expected.num_experts) &&
      (expected.top_k === undefined || routed(f!.top_k) === expected.top_k) &&
      (expected.score_func === undefined || (f!.score_func.source !== 'unknown' && routed(f!.score_func) === expected.score_func));
    read.push(`${expected.name}: ${got}${ok ? '' : ` (manifest: ${expected.num_experts ?? '?'}/${expected.top_k ?? '?'}/${expected.score_func ?? '?'})`}`);
    // Groups read wrongly are a misread, not a gap: a value MoE Lens claims to know that the manifest contradicts.
    if (f && expected.num_groups !== undefined) {
      const claimed = [readValue(f.num_expert_groups), readValue(f.num_limited_groups)];
      const published = [expected.num_groups, expected.group_topk ?? null];
      if (claimed.some((value, i) => value !== undefined && value !== published[i])) {
        understood = false;
        const show = (v: unknown): string => (v === undefined ? '?' : v === null ? 'none' : String(v));
        read.push(`${expected.name} groups: ${claimed.map(show).join('/')} (manifest: ${published.map(show).join('/')})`);
      }
    }
  }
  const diagnostics = result.diagnostics.map((d) => {
    const at = result.lines.positionAt(d.range.start);
    return `${at.line + 1}:${at.character + 1} ${d.code} ${d.severity}`;
  });
  return { understood, read, diagnostics, ...(!understood && assumedRight ? { assumedRight: true as const } : {}) };
}

describe('real-world corpus', () => {
  const entries = manifests();
  // Imports are followed inside the corpus only, as the CLI follows them on disk.
  const project = new ProjectIndex((file) => (file.startsWith(CORPUS) && existsSync(file) && statSync(file).isFile() ? readFileSync(file, 'utf8') : undefined));
  const outcomes = new Map(entries.filter((e) => e.dialect !== 'support' && e.configs.length > 0).map((e) => [e.file, outcomeOf(e, project)] as const));

  it('has files from at least 12 repositories, each with full provenance, and every file it lists', () => {
    const repos = new Set(entries.map((e) => e.repo));
    assert.ok(repos.size >= 12, `only ${repos.size} repositories`);
    for (const entry of entries) {
      assert.match(entry.commit, /^[0-9a-f]{40}$/, `${entry.file}: commit`);
      assert.ok(entry.license && entry.path && entry.repo, `${entry.file}: provenance`);
      assert.ok(existsSync(join(CORPUS, entry.file)), `${entry.file} is listed but missing`);
    }
  });

  it('a typo in a keyword of torchtitan main\'s real router config is an error with the keyword meant (MOE016)', () => {
    // The flavor is written here; the classes are torchtitan's own at b5bcd76 (common/moe.py → protocols/module.py
    // → config/configurable.py), followed through the imports, so the router config's keywords are known exactly.
    const file = join(CORPUS, 'torchtitan/pytorch__torchtitan@b5bcd76/torchtitan/models/flavor_under_test.py');
    const text = 'from torchtitan.models.common.moe import TokenChoiceTopKRouter\n\nrouter = TokenChoiceTopKRouter.Config(num_experts=128, top_k=4, score_func="softmax", route_nrom=True)\n';
    const found = lintText(file, text, project).diagnostics.filter((d) => d.code === 'MOE016');
    assert.deepEqual(found.map((d) => [text.slice(d.range.start, d.range.end), d.severity, d.fixes[0]?.title]), [['route_nrom', 'error', 'Rename `route_nrom` to `route_norm`']]);
    assert.match(found[0]!.message, /`route_nrom` is not a keyword `TokenChoiceTopKRouter\.Config` takes \(did you mean `route_norm`\?\)/);
    assert.equal(lintText(file, text.replace('route_nrom', 'route_norm'), project).diagnostics.filter((d) => d.code === 'MOE016').length, 0);
  });

  it('the same typo stays unreported where the router config\'s base is not resolved (never guessed: ac359c0)', () => {
    // At ac359c0, `Module.Config` is looked up through `Module(nn.Module, Configurable)`: nn.Module comes first and
    // is outside the workspace, so whether it has a `Config` is not known, and neither are the keywords.
    const file = join(CORPUS, 'torchtitan/pytorch__torchtitan@ac359c0/torchtitan/models/gpt_oss/__init__.py');
    const text = readFileSync(file, 'utf8').replace('route_norm=True', 'route_nrom=True');
    assert.ok(text.includes('route_nrom'));
    assert.deepEqual(lintText(file, text, project).diagnostics.filter((d) => d.code === 'MOE016'), []);
  });

  it('a config_registry.py job\'s ParallelismConfig is checked against the experts it trains (MOE019)', () => {
    // torchtitan @ac359c0: gpt_oss_debugmodel() trains model_registry("debugmodel") (8 experts) with EP 1.
    const file = join(CORPUS, 'torchtitan/pytorch__torchtitan@ac359c0/torchtitan/models/gpt_oss/config_registry.py');
    const text = readFileSync(file, 'utf8');
    const found = (t: string) => lintText(file, t, project).diagnostics.filter((d) => d.code === 'MOE019').map((d) => [t.slice(d.range.start, d.range.end), d.message]);
    assert.deepEqual(found(text), []);
    const broken = text.replace('expert_parallel_degree=1,', 'expert_parallel_degree=3,');
    assert.deepEqual(found(broken).map(([at]) => at), ['3']);
    assert.match(found(broken)[0]![1]!, /8 experts do not split over `expert_parallel_degree` = 3 ranks/);
  });

  it("a torchtitan_recipes job that takes another job's config and sets its expert parallelism is read and checked (MOE019)", () => {
    // pytorch/torchtitan @b5bcd76 torchtitan_recipes/tests/h100.py l.80-84: `config = deepseek_v3_debugmodel_hybridep()`
    // then `config.parallelism.expert_parallel_degree = 2`. It names no routing word, and the pre-check skipped it
    // (helper sweep G): an EP degree of 3 over 8 experts, which torchtitan refuses, went unreported.
    const file = join(CORPUS, 'tt3/pytorch__torchtitan@b5bcd76/torchtitan_recipes/tests/h100.py');
    const text = readFileSync(file, 'utf8');
    const found = (t: string) => lintText(file, t, project).diagnostics.filter((d) => d.code === 'MOE019').map((d) => d.message);
    assert.deepEqual(found(text), []);
    assert.deepEqual(lintText(file, text, project).analysis.specs.map((spec) => [spec.name, spec.experts.value]), [
      ['deepseek_v3_debugmodel_minimal_async_ep_fsdp2_tp2_cp2_ep8', 8],
      ['deepseek_v3_debugmodel_hybridep_fsdp4_ep2_compile', 8],
    ]);
    const broken = text.replace('config.parallelism.expert_parallel_degree = 2', 'config.parallelism.expert_parallel_degree = 3');
    // Values passed on from the flavor file are placed there; their text is the value, not a key to name.
    const [report] = lintText(file, text, project).analysis.specs.map((spec) => reportConfig(spec, file, new LineIndex(text), (other) => new LineIndex(readFileSync(other, 'utf8'))));
    assert.deepEqual([report!.fields.score_func.value, report!.fields.score_func.key, report!.fields.route_norm.key], ['softmax', undefined, undefined]);
    // fsdp4: dp_shard 4, cp 1, tp 1, which 3 does not divide either.
    assert.deepEqual(found(broken), ['8 experts do not split over `expert_parallel_degree` = 3 ranks: the launch fails', '`expert_parallel_degree` 3 does not divide dp_shard × cp × tp = 4: the launch fails']);
  });

  it("torchtitan's Module(nn.Module, Configurable): its Config comes from Configurable, not from PyTorch's nn.Module", () => {
    // krea-ai/torchtitan @26a0985 (helper sweep G): `MoE.Config(Module.Config)` read nn.Module first, found it outside
    // the workspace, and left every field MoE.Config does not declare unknown (`topk_before_score`), so MOE007 and
    // MOE008 could not fire on that era's configs. The router scores before top-k (moe.py l.258-274).
    const file = join(CORPUS, 'sweep18/krea-ai__torchtitan@26a0985/torchtitan/models/llama4/__init__.py');
    const specs = lintText(file, readFileSync(file, 'utf8'), project).analysis.specs;
    assert.deepEqual(specs.map((spec) => [spec.name, spec.order.value, spec.order.unknown]), [
      ['debugmodel', 'score-then-topk', undefined],
      ['17bx16e', 'score-then-topk', undefined],
      ['17bx128e', 'score-then-topk', undefined],
    ]);
  });

  it("a slime/miles launch with --custom-model-provider-path routes with that provider's model: no value of the script is the router's", () => {
    // radixark/miles @31f1ca9 scripts/models/inkling.py (helper sweep J): the provider takes the expert count and top-k
    // from the checkpoint's config.json and routes with its own InklingRouter; the script's --num-experts 256 and
    // --moe-router-topk 6 read as literal, with a Megatron sigmoid router.
    const file = join(CORPUS, 'sweep18/radixark__miles@31f1ca9/scripts/models/inkling.py');
    const [spec] = lintText(file, readFileSync(file, 'utf8'), project).analysis.specs;
    for (const field of [spec!.experts, spec!.topK, spec!.scoreFunc, spec!.normalize, spec!.scale]) {
      assert.match(field.unknown ?? '', /^the launch builds its model with `--custom-model-provider-path miles_plugins\.models\.inkling\.model\.inkling_model_provider`/);
    }
    assert.match(spec!.experts.unknown!, /sets the config and the router \(it is not in the workspace\); MoE Lens does not read it$/);
    // THUDM/slime @91f8526: its Gemma 4 provider builds the config from the arguments and the layers from --spec, as
    // Megatron's own provider does: read as any launch.
    const gemma = join(CORPUS, 'megatron/THUDM__slime@91f8526/scripts/models/gemma4-26B-A4B.sh');
    const [slime] = lintText(gemma, readFileSync(gemma, 'utf8'), project).analysis.specs;
    assert.deepEqual([slime!.experts.value, slime!.topK.value, slime!.scoreFunc.value, slime!.scoreFunc.unknown], [128, 8, 'softmax', undefined]);
  });

  it("DeepSeek-V4's hash layers in MindSpeed's launch (--n-hash-layers) and Primus's YAML (num_hash_layers) route by token id", () => {
    // Helper sweep K: `route --layer 0` routed them with the learned router, which the HF config.json path refuses.
    const file = join(CORPUS, 'sweep18/Ascend__MindSpeed-LLM@c77308a/examples/mcore/deepseek4_flash/pretrain_deepseek4_flash_4k_A3_ptd.sh');
    const [spec] = lintText(file, readFileSync(file, 'utf8'), project).analysis.specs;
    assert.deepEqual(spec!.tokenIdLayers?.layers, [0, 1, 2]);
    assert.match(spec!.tokenIdLayers!.source, /^`--n-hash-layers` 3/);
    const primus = 'num_moe_experts: 256\nmoe_router_topk: 6\nmoe_router_score_function: sqrtsoftplus\nnum_layers: 43\nnum_hash_layers: 3\n';
    assert.deepEqual(lintText('/w/primus/configs/models/megatron/deepseek_v4_base.yaml', primus).analysis.specs[0]!.tokenIdLayers?.layers, [0, 1, 2]);
  });

  it('flags each torch.histc over expert ids in real torchtitan model code, with the bincount rewrite, unsafe on a GPU (MOE017)', () => {
    // torchtitan counted tokens per expert with histc until #3450: two calls in moe.py @aa5daa7 (router, reorderer).
    const file = join(CORPUS, 'torchtitan/pytorch__torchtitan@aa5daa7/torchtitan/models/moe/moe.py');
    const text = readFileSync(file, 'utf8');
    const found = lintText(file, text, project).diagnostics.filter((d) => d.code === 'MOE017');
    assert.deepEqual(found.map((d) => text.slice(d.range.start, d.range.end)), ['torch.histc', 'torch.histc']);
    for (const d of found) assert.deepEqual(d.fixes.map((f) => [f.safety, f.edits[0]!.newText]), [['unsafe', 'torch.bincount(selected_experts_indices.view(-1), minlength=self.num_experts)']]);
    // fairseq's moe branch counts argmax ids shifted by one, in parentheses: flagged, no fix (min is 1).
    const gate = join(CORPUS, 'sweep9/facebookresearch__fairseq@ebea007/fairseq/modules/moe/top2gate.py');
    const gateText = readFileSync(gate, 'utf8');
    const gateFound = lintText(gate, gateText, project).diagnostics.filter((d) => d.code === 'MOE017');
    assert.deepEqual(gateFound.map((d) => [new LineIndex(gateText).positionAt(d.range.start).line + 1, d.fixes.length]), [[153, 0], [157, 0]]);
  });

  it('a DeepSeek inference config is checked against the ModelArgs of its own checkout (MOE016)', () => {
    // deepseek-ai/DeepSeek-V3 @b15f0db: generate.py builds `ModelArgs(**json.load(f))` from inference/model.py.
    const file = join(CORPUS, 'models/deepseek-ai__DeepSeek-V3@b15f0db/inference/configs/config_v3.1.json');
    const text = readFileSync(file, 'utf8');
    const found = (t: string) => lintText(file, t, project).diagnostics.filter((d) => d.code === 'MOE016').map((d) => [t.slice(d.range.start, d.range.end), d.severity, d.fixes.map((f) => f.edits[0]!.newText)]);
    assert.deepEqual(found(text), [], 'every key of the published config is a ModelArgs field');
    assert.deepEqual(found(text.replace('"n_activated_experts"', '"n_activated_expert"')), [['"n_activated_expert"', 'error', ['"n_activated_experts"']]]);
    // A field of a later ModelArgs (V3.2's indexer) is rejected by this checkout's V3 ModelArgs.
    assert.deepEqual(found(text.replace('"dtype"', '"index_n_heads": 64,\n    "dtype"')), [['"index_n_heads"', 'error', []]]);
  });

  it('stays quiet where linting mirrored repositories once found it wrong (manifest.sweep6.json … manifest.sweep9.json)', () => {
    // Linted with every corpus file of its checkout in the project, as `moe-lens lint <checkout>` reads a folder.
    const lintIn = (file: string, checkout: string) => {
      const workspace = new ProjectIndex((f) => (f.startsWith(CORPUS) && existsSync(f) && statSync(f).isFile() ? readFileSync(f, 'utf8') : undefined));
      const walk = (dir: string): void => {
        for (const name of readdirSync(dir)) {
          const path = join(dir, name);
          if (statSync(path).isDirectory()) walk(path);
          else if (path.endsWith('.py')) workspace.setText(path, readFileSync(path, 'utf8'));
        }
      };
      walk(join(CORPUS, checkout));
      const path = join(CORPUS, file);
      return lintText(path, readFileSync(path, 'utf8'), workspace).diagnostics.map((d) => `${d.code} ${d.message}`);
    };
    // A dense flavor's job: no note that the flavor is missing (it is in the file, without a router).
    assert.deepEqual(lintIn('tt3/rakkit__torchtitan@3819737/torchtitan/models/qwen3/train_configs/qwen3_0.6b.toml', 'tt3/rakkit__torchtitan@3819737'), []);
    // A constructor is compared only with a dataclass its file declares or imports (TransformerModelArgs is elsewhere).
    assert.deepEqual(lintIn('tt3/NousResearch__torchtitan@d9cc6b4/torchtitan/experiments/kernels/triton_mg_group_gemm/simpleMoE.py', 'tt3/NousResearch__torchtitan@d9cc6b4').filter((d) => d.startsWith('MOE002')), []);
    // Valid Python is not reported as unparsable: `0.  # comment`, `1. else`.
    // … `1. / n` (DeepSpeed, tutel), and a config.json with Python's Infinity is no JSON syntax error.
    for (const file of [
      'sweep6/modelscope__ms-swift@3602360/swift/megatron/arguments/megatron_args.py',
      'sweep6/mosaicml__llm-foundry@8c8dd48/scripts/inference/run_mpt_with_ft.py',
      'sweep7/microsoft__DeepSpeed@38327e0/deepspeed/runtime/engine.py',
      'sweep7/microsoft__tutel@82af7aa/tutel/gates/cosine_top.py',
      // … a decorator of any expression (PEP 614) and a parenthesised `with` (Python 3.10).
      'sweep7/hiyouga__LLaMA-Factory@ff6d4d1/src/llamafactory/v1/plugins/model_plugins/kernels/ops/mlp/cuda_fused_moe.py',
      'sweep7/ai-dynamo__aiconfigurator@095f58a/collector/vllm/collect_moe.py',
      'sweep7/ai-dynamo__aiconfigurator@095f58a/aic-core/src/aiconfigurator_core/model_configs/nvidia--NVIDIA-Nemotron-3-Super-120B-A12B-FP8_config.json',
    ]) {
      assert.deepEqual(lintIn(file, file.split('/').slice(0, 2).join('/')).filter((d) => d.startsWith('MOE000')), [], file);
    }
    // Valid Python Lezer 1.1.19 misread (sweep 35): gpt-fast's rank-0 `print = lambda …`, exo's `case (` over lines.
    for (const file of ['sweep17/pytorch-labs__gpt-fast@32971d3/generate.py', 'sweep17/pytorch-labs__gpt-fast@32971d3/mixtral-moe/generate.py', 'sweep17/exo-explore__exo@b5375f8/src/exo/api/adapters/responses.py']) {
      assert.deepEqual(parsePython(readFileSync(join(CORPUS, file), 'utf8')).errorRanges, [], file);
      assert.deepEqual(lintIn(file, file.split('/').slice(0, 2).join('/')).filter((d) => d.startsWith('MOE000')), [], file);
    }
    // What a usage() echoes is text: aicb's help lines (`--moe_router_topk         Number of experts …`) were two MOE014s.
    assert.deepEqual(lintIn('sweep17/aliyun__aicb@23eec3c/scripts/megatron_gpt.sh', 'sweep17/aliyun__aicb@23eec3c'), []);
    // A module that loads only on Ascend NPUs (`import torch_npu`): MOE017's CPU failure cannot happen there.
    assert.deepEqual(lintIn('sweep8/volcengine__verl@b178a3c/verl/models/transformers/npu_patch.py', 'sweep8/volcengine__verl@b178a3c'), []);
    // A script that runs a program of its own, whose argparse defines `--num-experts` and `--top-k` (DeepSpeed's MoE
    // layer, not Megatron's): no Megatron launch is read from it.
    const cifar = 'sweep9/deepspeedai__DeepSpeedExamples@45b4b71/training/cifar/run_ds_moe.sh';
    const cifarText = readFileSync(join(CORPUS, cifar), 'utf8');
    assert.deepEqual(lintText(join(CORPUS, cifar), cifarText, project).analysis.specs, []);
    // … decided by the program's text: renamed away, the workspace does not hold it, and the script is Megatron's flags again.
    assert.equal(lintText(join(CORPUS, cifar), cifarText.replace('cifar10_deepspeed.py', 'elsewhere.py'), project).analysis.specs.length, 1);
    // torchtitan b5bcd76: a flavor table is no config of its own, a private helper its callers use is none either,
    // and a registry function another one wraps is one.
    const names = (file: string) => lintText(join(CORPUS, file), readFileSync(join(CORPUS, file), 'utf8'), project).analysis.specs.map((spec) => spec.name);
    const head = 'tt3/pytorch__torchtitan@b5bcd76/torchtitan/models';
    assert.deepEqual(names(`${head}/gpt_oss/__init__.py`), ['debugmodel', '20b', '120b']);
    assert.deepEqual(names(`${head}/gpt_oss/config_registry.py`), ['gpt_oss_debugmodel', 'gpt_oss_debugmodel_flex', 'gpt_oss_20b', 'gpt_oss_120b']);
    // … and a learned bias from a builder's default says where it comes from, not "is set".
    const qwen3 = join(CORPUS, `${head}/qwen3/__init__.py`);
    assert.deepEqual(lintText(qwen3, readFileSync(qwen3, 'utf8'), project).diagnostics.map((d) => d.detail?.match(/learned: `load_balance_coeff` [^.]*\.\d+ in config_utils\.py/)?.[0]), ['learned: `load_balance_coeff` is 0.001 in config_utils.py', 'learned: `load_balance_coeff` is 0.001 in config_utils.py']);
    assert.deepEqual(names(`${head}/qwen3/config_registry.py`), ['qwen3_debugmodel_moe_param_groups', 'qwen3_30b_a3b', 'qwen3_moe_debug', 'qwen3_moe_deepep']);
    // Jobs that quantise with torchtitan's float8 / MXFP8 converters (`config = c.build().convert(config)`) keep
    // their router, and are listed.
    const registry = 'torchtitan/pytorch__torchtitan@b5bcd76/torchtitan/models/deepseek_v3/config_registry.py';
    assert.deepEqual(names(registry).filter((name) => /float8|mxfp8/.test(name)), ['deepseek_v3_debugmodel_mxfp8', 'deepseek_v3_671b_float8']);
    // A token dispatcher's dataclass sizes buffers with Megatron's field names (Automodel): no router config.
    assert.deepEqual(names('sweep9/NVIDIA-NeMo__Automodel@36044ad/nemo_automodel/components/moe/megatron/token_dispatcher.py'), []);
    // FlagScale's system section removes the router's bias (disable_bias_linear, line 8): no bias read from Megatron's default.
    const flagScale = lintText(join(CORPUS, 'sweep7/FlagOpen__FlagScale@da4935e/examples/deepseek_v3/conf/train/11b_a2b.yaml'), readFileSync(join(CORPUS, 'sweep7/FlagOpen__FlagScale@da4935e/examples/deepseek_v3/conf/train/11b_a2b.yaml'), 'utf8'));
    assert.deepEqual(flagScale.analysis.specs.map((spec) => [spec.routerBias.value, spec.routerBias.sites.at(-1)?.key]), [[false, 'disable_bias_linear']]);
  });

  it('gives no error on a config the manifest records as correct', () => {
    const falseErrors = [...outcomes].flatMap(([file, outcome]) => {
      const entry = entries.find((e) => e.file === file)!;
      if (entry.configs.some((c) => c.correct === false)) return [];
      return outcome.diagnostics.filter((d) => d.endsWith(' error')).map((d) => `${file} ${d}`);
    });
    assert.deepEqual(falseErrors, []);
  });

  it('says what is wrong in one Problems row (at most 100 characters) on every real file, as the rule tests do', () => {
    assert.ok(messages.length > 20, `only ${messages.length} messages`);
    const long = messages.filter((m) => m.message.length - 'MOE000 '.length > MESSAGE_LIMIT);
    assert.deepEqual(long, []);
  });

  it('reads what it read before (test/corpus/expected.json), and says how much it understands', () => {
    const current = Object.fromEntries([...outcomes].sort(([a], [b]) => a.localeCompare(b)));
    const understood = [...outcomes.values()].filter((o) => o.understood).length;
    // Files of frameworks MoE Lens does not read (OLMo-core's Python, Fast-LLM's, Megatron-DeepSpeed's) are kept to
    // prove it stays quiet on them and claims nothing it cannot know; the target is about the dialects it reads.
    const read = [...outcomes].filter(([file]) => !OUT_OF_SCOPE.has(entries.find((e) => e.file === file)!.dialect));
    const readUnderstood = read.filter(([, o]) => o.understood).length;
    const readAssumedRight = read.filter(([, o]) => o.assumedRight).length;
    const percent = (n: number, of: number): string => `${((n / of) * 100).toFixed(1)}%`;
    console.log(
      `# corpus: ${entries.length} files from ${new Set(entries.map((e) => e.repo)).size} repositories; ${understood} of ${outcomes.size} files with routing values understood (${percent(understood, outcomes.size)}); ` +
        `${readUnderstood} of ${read.length} in the dialects MoE Lens reads (${percent(readUnderstood, read.length)}), and ${readAssumedRight} more whose unread values it assumed as the manifest records them, and said so`,
    );
    if (process.env.UPDATE_CORPUS) writeFileSync(EXPECTED, `${JSON.stringify(current, null, 2)}\n`);
    // Issue #9's target: at least 95% of the files that hold routing values, read right. Since an unwritten default
    // of a launch that may set the flag elsewhere is an assumption (withLaunch), a file whose only unread value is
    // such a default, assumed right and said to be assumed, counts toward it; read outright, at least 90%.
    assert.ok(readUnderstood / read.length >= 0.9, `only ${readUnderstood} of ${read.length} understood`);
    assert.ok((readUnderstood + readAssumedRight) / read.length >= 0.95, `only ${readUnderstood} + ${readAssumedRight} assumed right of ${read.length}`);
    const expected = JSON.parse(readFileSync(EXPECTED, 'utf8')) as Record<string, Outcome>;
    assert.deepEqual(current, expected, 'the corpus outcome changed: review the diff, then rerun with UPDATE_CORPUS=1');
  });
});
