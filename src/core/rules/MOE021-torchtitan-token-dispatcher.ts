import type { RouterSpec, Site } from '../model/router-spec';
import type { SourceRange } from '../text/source';
import type { Rule, RuleContext } from './types';

/** torchtitan @b5bcd76, where the token dispatcher checks below were read. */
const COMMIT = 'b5bcd76';
const DISPATCHER_FILE = 'torchtitan/models/common/token_dispatcher.py';
/** The dispatchers `update_ep_token_dispatcher_config` checks (token_dispatcher.py @b5bcd76 lines 1205–1212). */
const EP_DISPATCHERS = new Set(['DeepEPTokenDispatcher.Config', 'HybridEPTokenDispatcher.Config', 'MinimalAsyncEPTokenDispatcher.Config']);
const MINIMAL_ASYNC_EP = 'MinimalAsyncEPTokenDispatcher.Config';
/** `make_token_dispatcher_config`'s choices (config_utils.py @b5bcd76 lines 388–425). */
const COMM_BACKENDS = new Set(['standard', 'deepep', 'hybridep', 'minimal_async_ep']);
/** torchtitan's parallelism degrees default to 1 (ParallelismConfig, and JobConfig's Parallelism before it). */
const DEGREE_DEFAULT = 1;

/** The site that sets a key last (the one the framework reads). */
function lastSite(sites: readonly Site[], key: string): Site | undefined {
  for (let i = sites.length - 1; i >= 0; i--) if (sites[i]!.key === key) return sites[i];
  return undefined;
}

/** A whole number written in this file. */
function intIn(site: Site | undefined): number | undefined {
  return site && site.file === undefined && site.literal.kind === 'int' ? site.literal.value : undefined;
}

/** The class a `layout` class site names (`torchtitan.distributed.activation_checkpoint.FullAC.Config`, or `file:FullAC.Config`) as its last two parts. */
function className(site: Site | undefined): string | undefined {
  if (site?.literal.kind !== 'expression') return undefined;
  const name = site.literal.text.slice(site.literal.text.lastIndexOf(':') + 1);
  return name.split('.').slice(-2).join('.');
}

/**
 * A parallelism degree: the int the job writes in this file; where it writes none, torchtitan's default of 1
 * when the job is whole (`launch.complete`); otherwise (a value from another file or an expression) unknown.
 */
function degree(layout: readonly Site[], key: string, complete: boolean): { value: number; site?: Site } | undefined {
  const site = lastSite(layout, key);
  if (!site) return complete ? { value: DEGREE_DEFAULT } : undefined;
  const value = intIn(site);
  return value === undefined ? undefined : { value, site };
}

interface Dispatcher {
  readonly cls: string;
  readonly site: Site;
  readonly fields: Map<string, Site>;
}

/** The token dispatcher configs the job's model builds, each with the fields read after it. */
function dispatchers(layout: readonly Site[]): Dispatcher[] {
  const out: Dispatcher[] = [];
  for (const site of layout) {
    if (site.key === 'token_dispatcher') {
      const cls = className(site);
      if (cls) out.push({ cls, site, fields: new Map() });
    } else if (site.key.startsWith('token_dispatcher.') && out.length > 0) {
      out[out.length - 1]!.fields.set(site.key.slice('token_dispatcher.'.length), site);
    }
  }
  // One per class and capacity: every MoE layer builds the same dispatcher.
  const seen = new Set<string>();
  return out.filter((d) => {
    const capacity = d.fields.get('num_max_tokens_per_rank');
    const key = `${d.cls}\u0000${capacity ? JSON.stringify(capacity.literal) : ''}\u0000${JSON.stringify(d.fields.get('non_blocking_capacity_factor')?.literal ?? null)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const inFile = (site: Site | undefined): Site | undefined => (site && site.file === undefined ? site : undefined);

export const torchtitanTokenDispatcher = {
  code: 'MOE021',
  name: 'torchtitan-token-dispatcher',
  category: 'structure',
  defaultSeverity: 'error',
  status: 'preview',
  since: '0.1.0',
  census: ['TT-011', 'TT-012', 'TT-013', 'TT-014', 'TT-019', 'TT-020', 'TT-022', 'TT-023', 'TT-025'],
  censusStoppedFirst: {
    // The dispatcher config's own check (token_dispatcher.py l.1250, TT-013) runs in update_from_config, before
    // DeepEPTokenDispatcher is built (l.816).
    'TT-016': ['TT-013'],
    // The same: the config check (l.1241, TT-012) before the dispatcher looks for its EP mesh (l.1059).
    'TT-018': ['TT-012'],
  },
  frameworks: ['torchtitan'],
  messages: {
    launch: 'torchtitan stops at launch: {problem}',
  },
  fix: { availability: 'none' },
  docs: {
    what:
      "Checks a torchtitan job against torchtitan's own launch checks on the MoE token dispatcher and the layout around it, quoting torchtitan's message: `moe_comm_backend` is one of `make_token_dispatcher_config`'s choices; a DeepEP, HybridEP or MinimalAsyncEP dispatcher needs expert parallelism (`expert_parallel_degree` > 1), `training.num_tokens_per_microbatch_per_dp_rank` divisible by `context_parallel_degree` × `tensor_parallel_degree`, and a written `num_max_tokens_per_rank` positive and at least that per-rank share; MinimalAsyncEP needs full activation checkpointing (`FullAC.Config()`, or `compile.memory_policy = \"full\"`); CUDA graphs with expert parallelism need a dispatcher that does not sync with the CPU (MinimalAsyncEP, or HybridEP with `non_blocking_capacity_factor`); and, in older jobs that still write it, `expert_tensor_parallel_degree` is 1 or the tensor-parallel degree. A `config_registry.py` job function is read where it builds its whole `Trainer.Config` itself and writes `num_tokens_per_microbatch_per_dp_rank` (the torchtitan these checks are from; a key it does not write is at its torchtitan default); attribute assignments at the top of the function body (`config.parallelism.expert_parallel_degree = 8`) are followed; a function that takes its config from another job function, changes it inside an `if` or a loop, or hands it to another function is not checked. A TOML job file takes the keys it does not write at JobConfig's defaults, unless it merges a `[job] custom_config_module`.",
    why:
      "torchtitan raises these while it builds the job's config (`update_from_config`, `Trainer.Config` validation, `ParallelDims`), after the job has been scheduled on its GPUs. The rows of test/census/moe-launch-checks.tsv they cover are TT-011 to TT-014, TT-019, TT-020 (the same message and condition as TT-012, which raises first), TT-022, TT-023 and TT-025.",
    example: {
      dialect: 'toml',
      code: '[model]\nname = "gpt_oss"\nflavor = "120b"\n\n[parallelism]\ntensor_parallel_degree = 2\nexpert_parallel_degree = 8\nexpert_tensor_parallel_degree = 4\n',
    },
    useInstead: {
      dialect: 'toml',
      code: '[model]\nname = "gpt_oss"\nflavor = "120b"\n\n[parallelism]\ntensor_parallel_degree = 2\nexpert_parallel_degree = 8\nexpert_tensor_parallel_degree = 2\n',
    },
    references: [
      `torchtitan ${DISPATCHER_FILE} @${COMMIT} lines 1196–1269 (update_ep_token_dispatcher_config)`,
      `torchtitan torchtitan/models/common/config_utils.py @${COMMIT} lines 388–425 (make_token_dispatcher_config)`,
      `torchtitan torchtitan/distributed/minimal_async_ep/api.py @${COMMIT} lines 84–143 (maybe_update_minimal_async_ep_config)`,
      `torchtitan torchtitan/trainer.py @${COMMIT} lines 168–199 (Trainer.Config._validate_cuda_graphs)`,
      'torchtitan torchtitan/distributed/parallel_dims.py @238fa99 lines 58–59 (ParallelDims._validate, ETP; removed with ETP in #3167, c4b409a)',
    ],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    if (spec.framework !== 'torchtitan' || !spec.layout) return;
    const layout = spec.layout;
    const complete = spec.launch?.complete === true;
    const report: Report = (message, where, id, range, defaults = []) => {
      // torchtitan's message where it fits a Problems row (issue #12); else what is wrong in a few words, and the
      // message first in the detail.
      const quoted = typeof message === 'string';
      context.report({
        messageId: 'launch',
        data: { problem: quoted ? `"${message}"` : message.summary },
        detail: (quoted ? '' : `torchtitan raises ValueError("${message.quote}"). `) + `torchtitan ${where} (census ${id}).` + (defaults.length > 0 ? ` Keys this job does not write are at torchtitan's defaults (it ${spec.launch?.why}): ${defaults.join(', ')}.` : ''),
        range,
      });
    };
    if (context.dialect === 'torchtitan-toml') {
      checkExpertTensorParallel(layout, complete, report);
      return;
    }
    // A config_registry.py job function is read only where it holds the whole job: one that changes its config
    // afterwards (or hands it to a function that may) could set any key to another value.
    if (!lastSite(layout, 'job') || !complete) return;
    checkExpertTensorParallel(layout, complete, report);
    checkDispatcher(spec, layout, report);
  },
} satisfies Rule;

/** torchtitan's message, quoted whole; or, where it does not fit a Problems row, a summary and its ValueError's message. */
type Message = string | { readonly summary: string; readonly quote: string };
type Report = (message: Message, where: string, id: string, range: SourceRange, defaults?: readonly string[]) => void;

/** `DeepEPTokenDispatcher.Config` → `DeepEP`. */
const shortName = (cls: string): string => cls.replace(/TokenDispatcher\.Config$/, '');

/** TT-025: `expert_tensor_parallel_degree` (torchtitan from aeb3a4b until c4b409a, which had this check throughout). */
function checkExpertTensorParallel(layout: readonly Site[], complete: boolean, report: Report): void {
  const etpSite = inFile(lastSite(layout, 'expert_tensor_parallel_degree'));
  const etp = intIn(etpSite);
  if (!etpSite || etp === undefined) return;
  const ep = degree(layout, 'expert_parallel_degree', complete);
  const tp = degree(layout, 'tensor_parallel_degree', complete);
  // A degree below 1 stops one assertion earlier ("Parallelism degree should be >= 1, except for dp_shard", line 46).
  if (!ep || !tp || etp < 1 || tp.value < 1 || ep.value <= 1 || etp === 1 || etp === tp.value) return;
  report('Currently we only support ETP=TP or ETP=1', 'torchtitan/distributed/parallel_dims.py @238fa99 line 59 (ParallelDims._validate: `if ep > 1: assert etp == tp or etp == 1`)', 'TT-025', etpSite.valueRange, tp.site ? [] : ['tensor_parallel_degree = 1']);
}

function checkDispatcher(spec: RouterSpec, layout: readonly Site[], report: Report): void {
  // Only a whole job function is read, and only one that writes `num_tokens_per_microbatch_per_dp_rank`: that
  // field came with torchtitan 73aed7f, where every check below already was (they came with 7b579ad, 4a93ee4,
  // 15db18b and f84224a).
  const tokensSite = inFile(lastSite(layout, 'training.num_tokens_per_microbatch_per_dp_rank'));
  const tokens = intIn(tokensSite);
  // A count below 1 stops earlier, in TrainingConfig.__post_init__ (torchtitan/config/configs.py @b5bcd76 line 55).
  if (!tokensSite || tokens === undefined || tokens <= 0) return;
  const backend = inFile(lastSite(layout, 'comm_backend'));
  if (backend?.literal.kind === 'string' && !COMM_BACKENDS.has(backend.literal.value)) {
    report(
      { summary: 'unknown comm backend; use standard, deepep, hybridep or minimal_async_ep', quote: `Unknown comm_backend: '${backend.literal.value}'. Must be one of 'standard', 'deepep', 'hybridep', 'minimal_async_ep'.` },
      `torchtitan/models/common/config_utils.py @${COMMIT} line 423 (make_token_dispatcher_config)`,
      'TT-019',
      backend.valueRange,
    );
  }
  const built = dispatchers(layout);
  if (built.length === 0) return;
  // Where a check on the dispatcher itself is shown: the backend the job writes, else the router it trains.
  const anchor = backend?.valueRange ?? spec.anchorRange;
  const ep = degree(layout, 'expert_parallel_degree', true);
  const cp = degree(layout, 'context_parallel_degree', true);
  const tp = degree(layout, 'tensor_parallel_degree', true);
  const pp = degree(layout, 'pipeline_parallel_degree', true);
  const named = (...degrees: [string, { site?: Site } | undefined][]): string[] => degrees.filter(([, d]) => d && !d.site).map(([key]) => `${key} = ${DEGREE_DEFAULT}`);
  const epRange = (): SourceRange => ep?.site?.valueRange ?? anchor;
  const epDispatchers = built.filter((d) => EP_DISPATCHERS.has(d.cls));

  // update_ep_token_dispatcher_config: the token count first, then each dispatcher.
  let required: number | undefined;
  if (epDispatchers.length > 0 && cp && tp) {
    const shards = cp.value * tp.value;
    if (shards > 0 && tokens % shards !== 0) {
      report(
        {
          summary: `${tokens} tokens per microbatch do not split over cp × tp = ${shards}`,
          quote: `training.num_tokens_per_microbatch_per_dp_rank (${tokens}) must be divisible by context_parallel_degree * tensor_parallel_degree (${shards}) so CP and TP/SP produce equal local token counts. Set training.num_tokens_per_microbatch_per_dp_rank to a multiple of ${shards}.`,
        },
        `${DISPATCHER_FILE} @${COMMIT} line 1227 (update_ep_token_dispatcher_config)`,
        'TT-011',
        tokensSite.valueRange,
        named(['context_parallel_degree', cp], ['tensor_parallel_degree', tp]),
      );
    } else if (shards > 0) {
      required = Math.floor(tokens / shards);
    }
  }
  for (const dispatcher of epDispatchers) {
    if (ep && ep.value === 1) {
      report(
        { summary: `the ${shortName(dispatcher.cls)} dispatcher needs \`expert_parallel_degree\` > 1`, quote: `${dispatcher.cls} requires expert parallelism (expert_parallel_degree > 1).` },
        `${DISPATCHER_FILE} @${COMMIT} line 1241 (update_ep_token_dispatcher_config)` + (dispatcher.cls === MINIMAL_ASYNC_EP ? `; torchtitan/distributed/minimal_async_ep/api.py @${COMMIT} line 113 checks the same after it` : ''),
        dispatcher.cls === MINIMAL_ASYNC_EP ? 'TT-012, TT-020' : 'TT-012',
        epRange(),
        named(['expert_parallel_degree', ep]),
      );
    }
    const capacitySite = dispatcher.fields.get('num_max_tokens_per_rank');
    const capacity = capacitySite?.literal.kind === 'int' ? capacitySite.literal.value : undefined;
    if (capacity === undefined) continue;
    const capacityRange = inFile(capacitySite)?.valueRange ?? anchor;
    if (capacity <= 0) {
      report({ summary: `\`num_max_tokens_per_rank\` is ${capacity}, not positive`, quote: `${dispatcher.cls} num_max_tokens_per_rank must be positive, got ${capacity}.` }, `${DISPATCHER_FILE} @${COMMIT} line 1250 (update_ep_token_dispatcher_config)`, 'TT-013', capacityRange);
    } else if (required !== undefined && capacity < required) {
      report(
        { summary: `\`num_max_tokens_per_rank\` ${capacity} is below the required ${required}`, quote: `${dispatcher.cls} num_max_tokens_per_rank (${capacity}) is smaller than the required per-rank capacity (${required}).` },
        `${DISPATCHER_FILE} @${COMMIT} line 1260 (update_ep_token_dispatcher_config: num_tokens_per_microbatch_per_dp_rank // (context_parallel_degree * tensor_parallel_degree))`,
        'TT-014',
        capacityRange,
        named(['context_parallel_degree', cp], ['tensor_parallel_degree', tp]),
      );
    }
  }

  const job = lastSite(layout, 'job');
  // torchtitan's own Trainer.Config, whose defaults are read below (a subclass may change them).
  const coreTrainer = job?.literal.kind === 'expression' && /torchtitan[./]trainer(\.py)?[.:]Trainer\.Config$/.test(job.literal.text);
  if (built.some((d) => d.cls === MINIMAL_ASYNC_EP) && ep && ep.value > 1) checkFullRecompute(layout, coreTrainer, anchor, report);
  checkCudaGraphs(layout, built, ep, pp, anchor, report, named);
}

/** TT-022: MinimalAsyncEP recomputes everything (`FullAC.Config`, or graph_trainer's `compile.memory_policy = "full"`). */
function checkFullRecompute(layout: readonly Site[], coreTrainer: boolean, anchor: SourceRange, report: Report): void {
  const written = lastSite(layout, 'activation_checkpoint');
  // Trainer.Config's default is `SelectiveAC.Config` (torchtitan/trainer.py @b5bcd76 lines 108–110).
  const checkpointing = written ? className(written) : coreTrainer ? 'SelectiveAC.Config' : undefined;
  if (!checkpointing || checkpointing === 'FullAC.Config') return;
  const policySite = lastSite(layout, 'compile.memory_policy');
  let policy: string | undefined;
  if (policySite) {
    if (policySite.literal.kind !== 'string') return;
    policy = policySite.literal.value;
  } else {
    // `getattr(config.compile, "memory_policy", None)`: torchtitan's own CompileConfig (torchtitan/config/configs.py
    // @b5bcd76 lines 294–314) has no such field; another class may.
    const compile = lastSite(layout, 'compile');
    const origin = compile?.literal.kind === 'expression' ? compile.literal.text : '';
    const coreCompile = compile ? /torchtitan[./]config[./]/.test(origin) && /[.:]CompileConfig$/.test(origin) : coreTrainer;
    if (!coreCompile) return;
  }
  if (policy === 'full') return;
  report(
    { summary: 'MinimalAsyncEP needs full activation checkpointing', quote: 'MinimalAsyncEP requires full recompute: set activation-checkpoint:full for eager training or --compile.memory_policy full for graph_trainer.' },
    `torchtitan/distributed/minimal_async_ep/api.py @${COMMIT} line 137 (maybe_update_minimal_async_ep_config)`,
    'TT-022',
    inFile(written)?.valueRange ?? anchor,
    written ? [] : ['activation_checkpoint = SelectiveAC.Config()'],
  );
}

/** TT-023: CUDA graphs (on unless `training.disable_cuda_graphs`) with expert parallelism need a dispatcher that does not sync with the CPU. */
function checkCudaGraphs(
  layout: readonly Site[],
  built: readonly Dispatcher[],
  ep: { value: number; site?: Site } | undefined,
  pp: { value: number; site?: Site } | undefined,
  anchor: SourceRange,
  report: Report,
  named: (...degrees: [string, { site?: Site } | undefined][]) => string[],
): void {
  const disabledSite = lastSite(layout, 'training.disable_cuda_graphs');
  // TrainingConfig.disable_cuda_graphs defaults to False (torchtitan/config/configs.py @b5bcd76 line 75).
  if (disabledSite && (disabledSite.literal.kind !== 'bool' || disabledSite.literal.value)) return;
  // Pipeline parallelism stops first with its own message; the expert-parallel check runs only with EP > 1.
  if (!pp || pp.value > 1 || !ep || ep.value === 1) return;
  const unsupported = built.find((d) => {
    if (d.cls === MINIMAL_ASYNC_EP) return false;
    if (d.cls !== 'HybridEPTokenDispatcher.Config') return true;
    const factor = d.fields.get('non_blocking_capacity_factor');
    return factor?.literal.kind === 'none';
  });
  if (!unsupported) return;
  report(
    {
      summary: 'CUDA graphs need a token dispatcher that does not sync with the CPU',
      quote: `CUDA graphs support only expert parallel token dispatcher configurations without CPU synchronization. Set HybridEP non_blocking_capacity_factor, or use MinimalAsyncEP, or set --training.disable_cuda_graphs. Unsupported token dispatcher: ${unsupported.cls}.`,
    },
    `torchtitan/trainer.py @${COMMIT} line 192 (Trainer.Config._validate_cuda_graphs)`,
    'TT-023',
    inFile(disabledSite)?.valueRange ?? inFile(ep.site)?.valueRange ?? anchor,
    [...(disabledSite ? [] : ['training.disable_cuda_graphs = False']), ...named(['pipeline_parallel_degree', pp])],
  );
}
