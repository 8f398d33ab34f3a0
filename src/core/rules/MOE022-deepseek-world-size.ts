/**
 * DeepSeek-V3's own inference code against the world size a launch script gives it (census DS-001..DS-004):
 * deepseek-ai/DeepSeek-V3 @9b4e978, inference/model.py, convert.py and generate.py.
 */
import type { RouterSpec, Site } from '../model/router-spec';
import { DEEPSEEK_COMMIT, MODEL_ARGS_DEFAULTS } from '../parse/deepseek-launch';
import type { SourceRange } from '../text/source';
import type { RelatedInformation, Rule, RuleContext } from './types';

const C = DEEPSEEK_COMMIT;

function lastSite(sites: readonly Site[] | undefined, key: string): Site | undefined {
  for (let i = (sites?.length ?? 0) - 1; i >= 0; i--) if (sites![i]!.key === key) return sites![i];
  return undefined;
}

const intOf = (site: Site | undefined): number | undefined => (site?.literal.kind === 'int' ? site.literal.value : undefined);

interface WorldSize {
  readonly value: number;
  /** "torchrun --nnodes 2 × --nproc-per-node 8" */
  readonly how: string;
  /** Where to point: the `--nproc-per-node` value, else the `--nnodes` value, else `torchrun` itself. */
  readonly range: SourceRange;
}

/** torchrun's world size, nnodes × nproc-per-node (torchrun defaults 1 and 1 for a flag it does not write). */
function worldSizeOf(spec: RouterSpec, text: string): WorldSize | undefined {
  const layout = spec.layout ?? [];
  const launcher = lastSite(layout, 'launcher');
  if (!launcher || launcher.literal.kind !== 'string' || launcher.literal.value !== 'torchrun') return undefined;
  const nnodes = lastSite(layout, 'nnodes');
  const nproc = lastSite(layout, 'nproc_per_node');
  const n = nnodes ? intOf(nnodes) : 1;
  const p = nproc ? intOf(nproc) : 1;
  if (n === undefined || p === undefined || n < 1 || p < 1) return undefined;
  const written = (s: Site | undefined, fallback: string): string => (s ? text.slice(s.keyRange.start, s.valueRange.end).replace(/\s*\\?\s*\n\s*/g, ' ') : fallback);
  return { value: n * p, how: `torchrun ${written(nnodes, '--nnodes 1 (default)')} × ${written(nproc, '--nproc-per-node 1 (default)')}`, range: (nproc ?? nnodes)?.valueRange ?? launcher.valueRange };
}

/** A `ModelArgs` value the config sets (a site in the JSON), or its default at model.py @9b4e978. */
interface Arg {
  readonly value: number;
  readonly site?: Site;
  readonly defaultLine?: number;
}

function argOf(layout: readonly Site[], key: string): Arg | undefined {
  const site = lastSite(layout, key);
  if (site) return site.literal.kind === 'int' ? { value: site.literal.value, site } : undefined;
  const fallback = MODEL_ARGS_DEFAULTS[key];
  return fallback ? { value: fallback[0], defaultLine: fallback[1] } : undefined;
}

const argText = (key: string, arg: Arg): string => `${key} = ${arg.value}${arg.defaultLine ? ` (ModelArgs default, model.py line ${arg.defaultLine})` : ''}`;

/** One `assert x % world_size == 0` of model.py, in the order `Transformer(args)` reaches it. */
interface Assertion {
  readonly census?: 'DS-001' | 'DS-002';
  readonly what: string;
  /** `what` in a few words, for the message (issue #12: one Problems row). */
  readonly short?: string;
  readonly value: number;
  readonly line: number;
  readonly message: (w: number) => string;
  readonly args: readonly [string, Arg][];
  readonly builtAt: string;
}

const EXPERTS = (w: number): string => `Number of experts must be divisible by world size (world_size=${w})`;
const OUTPUT = (w: number): string => `Output features must be divisible by world size (world_size=${w})`;
const INPUT = (w: number): string => `Input features must be divisible by world size (world_size=${w})`;
const VOCAB = (w: number): string => `Vocabulary size must be divisible by world size (world_size=${w})`;

/**
 * The world-size asserts `Transformer(args)` runs (model.py @9b4e978), in order: the embedding (l.764 → l.101),
 * layer 0's attention (l.715 → MLA l.425/429, 432 → l.219; l.433 → l.248), then its FFN (l.716): a dense MLP
 * (l.518 → l.219) when n_dense_layers > 0, else the MoE (l.658, then the shared experts' MLP l.667 → l.518 →
 * l.219); and the first MoE layer after the dense ones. Undefined when a value it needs is unknown.
 */
function assertions(layout: readonly Site[]): Assertion[] | undefined {
  const get = (key: string): Arg | undefined => argOf(layout, key);
  const keys = ['vocab_size', 'n_heads', 'q_lora_rank', 'qk_nope_head_dim', 'qk_rope_head_dim', 'v_head_dim', 'inter_dim', 'moe_inter_dim', 'n_layers', 'n_dense_layers', 'n_routed_experts', 'n_shared_experts'] as const;
  const a: Partial<Record<(typeof keys)[number], Arg>> = {};
  for (const key of keys) {
    const arg = get(key);
    if (!arg) return undefined;
    a[key] = arg;
  }
  const A = a as Record<(typeof keys)[number], Arg>;
  const out: Assertion[] = [];
  out.push({ what: `vocab_size = ${A.vocab_size.value}`, value: A.vocab_size.value, line: 101, message: VOCAB, args: [['vocab_size', A.vocab_size]], builtAt: 'the embedding (l.764)' });
  if (A.n_layers.value < 1) return out;
  const qk = A.qk_nope_head_dim.value + A.qk_rope_head_dim.value;
  out.push({ what: `n_heads × (qk_nope_head_dim + qk_rope_head_dim) = ${A.n_heads.value * qk}`, value: A.n_heads.value * qk, line: 219, message: OUTPUT, args: [['n_heads', A.n_heads]], builtAt: `attention ${A.q_lora_rank.value === 0 ? 'wq (l.425)' : 'wq_b (l.429)'}` });
  out.push({ what: `n_heads × (qk_nope_head_dim + v_head_dim) = ${A.n_heads.value * (A.qk_nope_head_dim.value + A.v_head_dim.value)}`, value: A.n_heads.value * (A.qk_nope_head_dim.value + A.v_head_dim.value), line: 219, message: OUTPUT, args: [['n_heads', A.n_heads]], builtAt: 'attention wkv_b (l.432)' });
  out.push({ what: `n_heads × v_head_dim = ${A.n_heads.value * A.v_head_dim.value}`, value: A.n_heads.value * A.v_head_dim.value, line: 248, message: INPUT, args: [['n_heads', A.n_heads]], builtAt: 'attention wo (l.433)' });
  const moe = (): void => {
    out.push({ census: 'DS-001', what: argText('n_routed_experts', A.n_routed_experts), short: `n_routed_experts = ${A.n_routed_experts.value}`, value: A.n_routed_experts.value, line: 658, message: EXPERTS, args: [['n_routed_experts', A.n_routed_experts]], builtAt: 'MoE (l.716 → l.658)' });
    const shared = A.n_shared_experts.value * A.moe_inter_dim.value;
    out.push({
      census: 'DS-002',
      what: `the shared experts' width n_shared_experts × moe_inter_dim = ${A.n_shared_experts.value} × ${A.moe_inter_dim.value} = ${shared}`,
      short: `the shared experts' width ${shared}`,
      value: shared,
      line: 219,
      message: OUTPUT,
      args: [['n_shared_experts', A.n_shared_experts], ['moe_inter_dim', A.moe_inter_dim]],
      builtAt: 'the shared experts\' MLP (l.667 → ColumnParallelLinear w1, l.518)',
    });
  };
  const dense = Math.min(A.n_dense_layers.value, A.n_layers.value);
  if (dense > 0) {
    out.push({ census: 'DS-002', what: `the dense layers' width ${argText('inter_dim', A.inter_dim)}`, short: `the dense layers' inter_dim = ${A.inter_dim.value}`, value: A.inter_dim.value, line: 219, message: OUTPUT, args: [['inter_dim', A.inter_dim]], builtAt: 'a dense layer\'s MLP (l.716 → ColumnParallelLinear w1, l.518)' });
  }
  if (A.n_layers.value > Math.max(0, A.n_dense_layers.value)) moe();
  return out;
}

export const deepseekWorldSize = {
  code: 'MOE022',
  name: 'deepseek-world-size',
  category: 'compatibility',
  defaultSeverity: 'error',
  status: 'preview',
  since: '0.1.0',
  census: ['DS-001', 'DS-002', 'DS-003', 'DS-004'],
  frameworks: ['deepseek-official'],
  messages: {
    modelBuild: '{what} is not divisible by the world size {worldSize}: the model build fails',
    convert: '`--n-experts` {experts} is not divisible by `--model-parallel` {mp}: convert.py raises AssertionError',
    shards: 'generate.py runs on {worldSize} ranks, but the checkpoint was converted for {mp} ranks: no shard for {worldSize}',
  },
  fix: { availability: 'none' },
  docs: {
    what:
      "Checks a shell script that runs DeepSeek-V3's own inference code (`python convert.py …` and `torchrun … generate.py --ckpt-path … --config X.json`, as DeepSeek's README does) against the checks that code makes at launch: convert.py's `--n-experts` divisible by its `--model-parallel`; and, for generate.py, whose world size is torchrun's `--nnodes` × `--nproc-per-node`, the routed experts (`n_routed_experts`), the shared experts' width (`n_shared_experts` × `moe_inter_dim`) and the dense layers' width (`inter_dim`) of the `--config` JSON divisible by that world size, and the checkpoint folder converted for that world size (`model{rank}-mp{world_size}.safetensors`) when the same script converts it (the same `--save-path` and `--ckpt-path`, written identically). The config JSON is read relative to the script's folder, after the `cd`s the script makes; a key it does not write is at the `ModelArgs` default of model.py. Nothing is assumed: a shell variable, an elastic `--nnodes 1:2`, `--nproc-per-node gpu`, a config that cannot be read, a command inside an `if`, a loop or a function (for the checkpoint pairing), or a plain `python generate.py` (whose world size is the environment's `WORLD_SIZE`) is not checked; shell variables are not expanded, even where the script assigns them. Where the workspace holds the convert.py, generate.py or model.py a command runs, a check is made only if that file has the line it rests on (a fork or another DeepSeek release may not). A script that also passes Megatron flags is read as Megatron's.",
    why:
      "DeepSeek's inference code shards every routed expert, and the MLPs' widths, over all ranks (`world_size` is the whole torchrun job), and loads one converted shard per rank named after the world size; a layout that does not split, or a checkpoint converted for another number of ranks, fails after every node has started and (for generate.py) after the model is being built. The rows of test/census/moe-launch-checks.tsv covered are DS-001, DS-002, DS-003 and DS-004.",
    example: { dialect: 'shell', code: 'python convert.py --hf-ckpt-path /path/to/DeepSeek-V3 --save-path /path/to/DeepSeek-V3-Demo --n-experts 256 --model-parallel 12\n' },
    useInstead: { dialect: 'shell', code: 'python convert.py --hf-ckpt-path /path/to/DeepSeek-V3 --save-path /path/to/DeepSeek-V3-Demo --n-experts 256 --model-parallel 16\n' },
    references: [
      `DeepSeek-V3 inference/model.py @${C} line 658 (MoE: "Number of experts must be divisible by world size (world_size=…)"), lines 219 and 248 (ColumnParallelLinear / RowParallelLinear), line 667 (shared experts' MLP), line 716 (dense layers' MLP), lines 55–86 (ModelArgs defaults), line 758 (world_size = dist.get_world_size())`,
      `DeepSeek-V3 inference/convert.py @${C} line 95 ("Number of experts must be divisible by model parallelism"), line 81 (model{i}-mp{mp}.safetensors)`,
      `DeepSeek-V3 inference/generate.py @${C} line 100 (WORLD_SIZE), line 113 (ModelArgs(**json.load(f))), line 119 (model{rank}-mp{world_size}.safetensors)`,
      `DeepSeek-V3 README.md @${C} lines 288 and 296 (the convert and torchrun commands)`,
    ],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    if (spec.dialect !== 'deepseek-launch' || !spec.layout) return;
    const layout = spec.layout;
    const command = lastSite(layout, 'command');
    if (command?.literal.kind !== 'string') return;
    // A row whose line the workspace's own convert.py / generate.py / model.py does not have (a fork, another release).
    const lacks = new Set(layout.filter((s) => s.key === 'source_lacks' && s.literal.kind === 'string').map((s) => (s.literal as { value: string }).value));
    if (command.literal.value === 'convert') {
      if (!lacks.has('DS-003')) checkConvert(layout, context);
      return;
    }
    checkGenerate(spec, layout, context, lacks);
  },
} satisfies Rule;

function checkConvert(layout: readonly Site[], context: RuleContext): void {
  const experts = lastSite(layout, 'n_experts');
  const mp = lastSite(layout, 'model_parallel');
  const e = intOf(experts);
  const m = intOf(mp);
  // All four flags are required (convert.py lines 90–93): argparse stops first where one is missing.
  if (!lastSite(layout, 'hf_ckpt_path') || !lastSite(layout, 'save_path') || e === undefined || m === undefined || m < 1) return;
  if (e % m === 0) return;
  context.report({
    messageId: 'convert',
    data: { experts: e, mp: m },
    detail: `DeepSeek-V3's convert.py raises AssertionError("Number of experts must be divisible by model parallelism"). DeepSeek-V3 inference/convert.py @${C} line 95 asserts args.n_experts % args.model_parallel == 0 (census DS-003).`,
    range: mp!.valueRange,
    related: [{ range: experts!.valueRange, message: `--n-experts ${e}` }],
  });
}

function checkGenerate(spec: RouterSpec, layout: readonly Site[], context: RuleContext, lacks: ReadonlySet<string>): void {
  const world = worldSizeOf(spec, context.text);
  if (!world) return;
  let buildFails = false;
  const config = lastSite(layout, 'config_file');
  // ModelArgs(**config) raises TypeError on a key it does not take (generate.py line 113) before any assert.
  // A model.py other than DeepSeek-V3's (either assert missing) may build the model otherwise: not decided.
  const sameModel = !lacks.has('DS-001') && !lacks.has('DS-002');
  if (sameModel && config?.literal.kind === 'string' && !layout.some((s) => s.key === 'config_rejected_key')) {
    const path = config.literal.value;
    const checks = assertions(layout);
    const failing = (checks ?? []).filter((c) => c.value % world.value !== 0);
    const first = failing[0];
    // Any assert that fails (the embedding's, the attention's too) stops the run before the shards are loaded.
    buildFails = failing.length > 0;
    for (const check of failing) {
      if (!check.census) continue;
      const where = (arg: Arg): string => (arg.site ? `${path}` : `ModelArgs default, inference/model.py @${C} line ${arg.defaultLine}`);
      const related: RelatedInformation[] = check.args.flatMap(([key, arg]) => (arg.site ? [{ file: path, range: arg.site.valueRange, message: `${key} = ${arg.value}` }] : []));
      const stoppedEarlier = first && first !== check ? ` Transformer(args) reaches ${first.builtAt} first: the run stops there with AssertionError("${first.message(world.value)}") (model.py line ${first.line}).` : '';
      context.report({
        messageId: 'modelBuild',
        data: { what: check.short ?? check.what, worldSize: world.value },
        detail:
          `DeepSeek-V3's model.py asserts "${check.message(world.value)}": ${check.what} is not divisible by the world size ${world.value}. ` +
          `World size ${world.value} = ${world.how} (generate.py reads WORLD_SIZE, line 100; model.py line 758). ` +
          `Values from ${check.args.map(([key, arg]) => `${key}: ${where(arg)}`).join('; ')}. ` +
          `DeepSeek-V3 inference/model.py @${C} line ${check.line}, reached from ${check.builtAt} (census ${check.census}).` +
          stoppedEarlier,
        range: world.range,
        related,
      });
    }
  }
  // DS-004: the checkpoint this script converted for another world size. Not reported where the model build above
  // already stops the run (generate.py builds the model at line 116, loads the shard at line 119).
  const converted = lastSite(layout, 'converted_model_parallel');
  const mp = intOf(converted);
  if (buildFails || lacks.has('DS-004') || !converted || mp === undefined || mp === world.value || (converted.items ?? []).includes(String(world.value))) return;
  const ckpt = lastSite(layout, 'ckpt_path');
  const path = ckpt?.literal.kind === 'string' ? ckpt.literal.value : '--ckpt-path';
  context.report({
    messageId: 'shards',
    data: { worldSize: world.value, mp },
    detail:
      `${path} was converted with \`--model-parallel\` ${mp}: rank 0 loads model0-mp${world.value}.safetensors, which convert.py did not write (FileNotFoundError). ` +
      `World size ${world.value} = ${world.how}. convert.py writes model{i}-mp${mp}.safetensors for i < ${mp} (inference/convert.py @${C} line 81); ` +
      `generate.py loads os.path.join(ckpt_path, f"model{rank}-mp{world_size}.safetensors") (inference/generate.py @${C} line 119) (census DS-004).`,
    range: world.range,
    related: [{ range: converted.valueRange, message: `converted with --model-parallel ${mp}` }],
  });
}
