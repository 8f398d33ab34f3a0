import type { RouterSpec, Site } from '../model/router-spec';
import { allKnown } from './helpers';
import type { Rule, RuleContext } from './types';

/** torchtitan's degrees that must be ≥ 1 (`ParallelDims._validate`); `data_parallel_shard_degree` may be -1. */
const TORCHTITAN_DEGREES = ['data_parallel_replicate_degree', 'context_parallel_degree', 'tensor_parallel_degree', 'pipeline_parallel_degree', 'expert_parallel_degree'];

/** The site that sets a key last (the one the framework reads). */
function lastSite(sites: readonly Site[] | undefined, key: string): Site | undefined {
  for (let i = (sites?.length ?? 0) - 1; i >= 0; i--) if (sites![i]!.key === key) return sites![i];
  return undefined;
}

/** A whole number set in this file (a shell variable or another file's value is not asserted on). */
function intSite(sites: readonly Site[] | undefined, key: string): Site | undefined {
  const site = lastSite(sites, key);
  return site && site.file === undefined && site.literal.kind === 'int' ? site : undefined;
}

const valueOf = (site: Site): number => (site.literal.kind === 'int' ? site.literal.value : Number.NaN);

export const expertParallelLayout = {
  code: 'MOE019',
  name: 'expert-parallel-layout',
  category: 'structure',
  defaultSeverity: 'error',
  status: 'preview',
  since: '0.1.0',
  census: ['TT-008', 'TT-009', 'TT-010', 'MEG-113', 'MEG-114', 'MEG-124'],
  censusStoppedFirst: {
    // Decoder.Config.update_from_config (decoder.py l.206, TT-010) runs before MinimalAsyncEP's own check of the
    // same division (minimal_async_ep/api.py l.119).
    'TT-021': ['TT-010'],
  },
  frameworks: ['torchtitan', 'megatron'],
  messages: {
    expertsNotDivisible: '{experts} experts do not split over `{key}` = {ep} ranks: the launch fails',
    degreeBelowOne: '`{key}` is {value}: torchtitan raises AssertionError (a degree must be >= 1)',
    shardDegree: '`data_parallel_shard_degree` is {value}: torchtitan raises AssertionError("dp_shard must -1 or >=1.")',
    sparseRegion: '`expert_parallel_degree` {ep} does not divide dp_shard × cp × tp = {region}: the launch fails',
    fsdp2: '`{fsdp2}` with `{key}` {ep}: Megatron stops at launch',
  },
  fix: { availability: 'none' },
  docs: {
    what:
      'Checks the expert-parallel layout a job sets against the router it trains, as the framework does at launch: the experts split evenly over the expert-parallel ranks (torchtitan job TOML `[parallelism] expert_parallel_degree` or a `config_registry.py` function\'s `ParallelismConfig(expert_parallel_degree=…)`, Megatron `--expert-model-parallel-size`), torchtitan\'s degrees are ≥ 1 (`data_parallel_shard_degree` -1 or ≥ 1) and its expert-parallel degree divides dp_shard × cp × tp when the shard degree is written, and Megatron\'s FSDP2 is not combined with expert parallelism.',
    why:
      'Each expert-parallel rank holds num_experts / EP experts; the frameworks refuse a layout that does not split them, after the job has queued for its GPUs. The checks quote each framework\'s message; the rows of shared/research/moe-launch-checks.tsv they cover are TT-008, TT-009 (with a written shard degree), TT-010, MEG-113, MEG-114 and MEG-124.',
    example: { dialect: 'toml', code: '[model]\nname = "gpt_oss"\nflavor = "120b"\n\n[parallelism]\nexpert_parallel_degree = 6\n' },
    useInstead: { dialect: 'toml', code: '[model]\nname = "gpt_oss"\nflavor = "120b"\n\n[parallelism]\nexpert_parallel_degree = 8\n' },
    references: [
      'torchtitan torchtitan/models/common/decoder.py @b5bcd76 lines 202–208: "{moe_fqn}.num_experts ({n}) must be divisible by expert_parallel_degree ({ep})."',
      'torchtitan torchtitan/distributed/parallel_dims.py @b5bcd76 lines 175–191 (ParallelDims._validate)',
      'Megatron-LM megatron/training/arguments.py @d98e8a6 lines 1655–1658: "Number of experts should be a multiple of expert model parallel_size."; line 1037 (FSDP2)',
      'Megatron-LM megatron/core/transformer/moe/moe_layer.py @d98e8a6 line 186 (the same condition as a bare assert where arguments.py is bypassed: NeMo, Megatron-Bridge)',
    ],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    if (spec.framework === 'torchtitan') checkTorchtitan(spec, context);
    else checkMegatron(spec, context);
  },
} satisfies Rule;

function checkTorchtitan(spec: RouterSpec, context: RuleContext): void {
  const layout = spec.layout;
  if (!layout) return;
  for (const key of TORCHTITAN_DEGREES) {
    const site = intSite(layout, key);
    if (site && valueOf(site) < 1) context.report({ messageId: 'degreeBelowOne', data: { key, value: valueOf(site) }, detail: 'torchtitan raises AssertionError("Parallelism degree should be >= 1, except for dp_shard").', range: site.valueRange });
  }
  const shard = intSite(layout, 'data_parallel_shard_degree');
  if (shard && valueOf(shard) !== -1 && valueOf(shard) < 1) context.report({ messageId: 'shardDegree', data: { value: valueOf(shard) }, range: shard.valueRange });
  const ep = intSite(layout, 'expert_parallel_degree');
  if (!ep || valueOf(ep) < 1) return;
  const degree = valueOf(ep);
  if (allKnown(spec.experts) && spec.experts.value !== undefined && spec.experts.value % degree !== 0) {
    context.report({
      messageId: 'expertsNotDivisible',
      data: { experts: spec.experts.value, key: 'expert_parallel_degree', ep: degree },
      detail: `torchtitan raises ValueError("<layer>.num_experts (${spec.experts.value}) must be divisible by expert_parallel_degree (${degree}).").`,
      range: ep.valueRange,
    });
  }
  // dp_shard = -1 (the default) takes what the world size leaves; only a written shard degree is checked.
  if (shard && valueOf(shard) >= 1) {
    const degreeOf = (key: string): number | undefined => {
      const site = lastSite(layout, key);
      if (!site) return 1;
      return site.literal.kind === 'int' ? site.literal.value : undefined;
    };
    const cp = degreeOf('context_parallel_degree');
    const tp = degreeOf('tensor_parallel_degree');
    if (cp === undefined || tp === undefined || cp < 1 || tp < 1) return;
    const region = valueOf(shard) * cp * tp;
    if (region % degree !== 0) {
      context.report({
        messageId: 'sparseRegion',
        data: { ep: degree, region },
        detail: `torchtitan raises ValueError("expert_parallel_degree (${degree}) must divide dp_shard * cp * tp (${region})") since 253a12a (2026-08-22); an older one fails building its device mesh.`,
        range: ep.valueRange,
      });
    }
  }
}

function checkMegatron(spec: RouterSpec, context: RuleContext): void {
  const ep = intSite(spec.sites, 'expert_model_parallel_size');
  if (!ep || valueOf(ep) <= 1) return;
  const degree = valueOf(ep);
  if (allKnown(spec.experts) && spec.experts.value !== undefined && spec.experts.value > 0 && spec.experts.value % degree !== 0) {
    context.report({
      messageId: 'expertsNotDivisible',
      data: { experts: spec.experts.value, key: spec.dialect === 'megatron-args' ? '--expert-model-parallel-size' : ep.key, ep: degree },
      detail: 'Megatron asserts "Number of experts should be a multiple of expert model parallel_size."',
      range: ep.valueRange,
    });
  }
  const fsdp2 = [...spec.sites].reverse().find((s) => s.key === 'use_torch_fsdp2' && s.file === undefined);
  // Named as the file spells them: flags on a command line, fields in a YAML (helper review Q14).
  const flags = spec.dialect === 'megatron-args';
  if (fsdp2 && fsdp2.literal.kind === 'bool' && fsdp2.literal.value) {
    context.report({
      messageId: 'fsdp2',
      data: { fsdp2: flags ? '--use-torch-fsdp2' : fsdp2.key, key: flags ? '--expert-model-parallel-size' : ep.key, ep: degree },
      detail: 'Megatron asserts "--use-torch-fsdp2 is not supported with expert parallelism".',
      range: ep.valueRange,
    });
  }
}
