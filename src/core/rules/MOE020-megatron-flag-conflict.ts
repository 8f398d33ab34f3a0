import { literalText, type RouterSpec } from '../model/router-spec';
import { BRIDGE_COMMIT, CHECK_CUTOFF, DEPRECATED_SPELLING, LAUNCH_CHECKS, MEGATRON_COMMIT, launchFramework, launchMessage, olderMegatronRuns, runsUnder, summaryText, workspaceMegatron, type MegatronLaunchCheck } from '../references/megatron-launch-checks';
import { flagIndex, readFlags } from '../references/megatron-launch-checks/written-flags';
import type { Rule, RuleContext } from './types';
import { flagOf } from '../model/flag-name';

export const megatronFlagConflict = {
  code: 'MOE020',
  name: 'megatron-flag-conflict',
  category: 'compatibility',
  defaultSeverity: 'error',
  status: 'preview',
  since: '0.1.0',
  census: LAUNCH_CHECKS.map((check) => check.id),
  censusStoppedFirst: {
    // transformer_config.py l.3077 (MEG-090) stops it without the EP overlap, l.3086 (MEG-091) with it.
    'MEG-093': ['MEG-090', 'MEG-091'],
    // FusedSharedExpertMLP runs SharedExpertMLP.__init__ first, whose bias assert (shared_experts.py l.124) stops it.
    'MEG-153': ['MEG-152'],
    // The layer spec (gpt_layer_specs.py l.654) is built before Bridge counts FLOPs or memory per step, and the
    // FLOPs count (flop_utils.py l.1024) raises the same message first where a recipe's spec skips it.
    'MB-021': ['MEG-157'],
    // A moe_layer_freq that is neither int nor list (a pattern string in a Bridge YAML): the layer spec raises
    // (gpt_layer_specs.py l.660) when the model is built, before Bridge's FLOPs count of the first step
    // (flop_utils.py l.1023).
    'MB-022': ['MEG-158'],
  },
  frameworks: ['megatron'],
  // Megatron's message where it fits a Problems row; otherwise (a check with a `summary`) what is wrong in our words,
  // and the detail quotes Megatron's message.
  messages: {
    conflict: 'Megatron-LM stops {when}: "{message}"',
    recentConflict: 'Megatron-LM since {date} stops {when}: "{message}"',
    bridgeConflict: 'Megatron-Bridge stops {when}: "{message}"',
    conflictSummary: '{summary}; Megatron-LM stops {when}',
    recentConflictSummary: '{summary}; recent Megatron-LM stops {when}',
    bridgeConflictSummary: '{summary}; Megatron-Bridge stops {when}',
  },
  fix: { availability: 'none' },
  docs: {
    what:
      "Checks a Megatron-LM command line or YAML against Megatron's own launch checks on MoE settings (about 120 of them: token dispatcher and its backends, capacity and drop policy, expert, tensor and pipeline parallel sizes against the GPU count of the torchrun line, shared experts, expert-parallel communication overlap, recompute, offloading, CUDA graphs, grouped GEMM, inference-optimized layers, the MoE layer pattern) and argparse's choices for the MoE enum flags, quoting Megatron's message. A value that argparse never sees (a YAML of field names) gets the message Megatron Core raises instead. Each check reads the flags the config writes; a flag it does not write is taken at Megatron's default only in a script that holds the whole launch (it runs a `pretrain_*.py` entry point, sources nothing and passes no flags from the environment), and the diagnostic names each default it used. A Megatron-Bridge YAML config (a `--config-file` override of a recipe) gets Bridge's own checks (expert-parallel overlap, Megatron-FSDP v2, the MoE layer frequency) and Megatron Core's, not Megatron-LM's command-line ones; every key it does not write is the recipe's, so unknown. A Bridge YAML also reaches the Megatron Core checks that Megatron-LM's own arguments never let through: a model field Megatron-LM sets itself (`variable_seq_lengths`), expert parallelism with `num_moe_experts: null`, and a `moe_layer_freq` pattern written as a string, which Bridge passes on as a str (Megatron-LM's argparse type turns it into a list). A script for Ascend NPUs (it sets `HCCL_*`, `ASCEND_*`, `PYTORCH_NPU_ALLOC_CONF` or `NPUS_PER_NODE`, or names `mindspeed_llm`) runs Megatron-LM through MindSpeed, which patches the arguments and their checks at the Megatron version it pins: none of these checks is claimed for it. A YAML value that is filled in before launch (`${VAR}` for `envsubst`, OmegaConf's `${…}`) is unknown, as a shell `$VAR` is. A check Megatron-LM added within the year before the commit these are read at (after " + CHECK_CUTOFF + "; the commit of each is in since.ts) is a warning that names the commit that added it: a launch pinned to an older Megatron-LM, as forks and RL frameworks pin one, does not stop on it. Unless the check came with the flag or value it needs (`--moe-flex-dispatcher-backend ncclep`): an older Megatron-LM refuses that itself, so the launch stops on every Megatron-LM, an error. A YAML that writes a key only MindSpeed defines (`norm_topk_prob`, `moe_tp_extend_ep`) runs through MindSpeed too. A launch that names the Megatron-LM it runs by its date (Pai-Megatron-Patch's `MEGATRON_PATH=…/Megatron-LM-250624`) gets only the checks known to be in that Megatron-LM: those added after " + CHECK_CUTOFF + " and before that date; none for one older than " + CHECK_CUTOFF + ", where MoE Lens does not know which checks it had. Where the workspace holds the Megatron-LM that runs (a checkout above the config, or the `3rdparty/Megatron-LM` a Megatron-Bridge checkout pins), a recent check whose message its copy of the check's file does not hold is not reported: that Megatron-LM runs the config.",
    why:
      'TransformerConfig.__post_init__, parallel_state and the MoE layers raise these after the job has been scheduled and every rank has started (a few in a forward pass of the MoE layer, its router or its experts: at the first training step, after the model is built and the data loaded; the message says which); a typo in an enum flag stops argparse. The checks and their lines are data (src/core/references/megatron-launch-checks/, one file per census category, rows of test/census/moe-launch-checks.tsv), and a test is generated from each: the smallest flags that break it, and the nearest ones that do not.',
    example: { dialect: 'shell', code: 'torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 2 \\\n  --expert-model-parallel-size 8 --moe-enable-deepep --moe-token-dispatcher-type alltoall\n' },
    useInstead: { dialect: 'shell', code: 'torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 2 \\\n  --expert-model-parallel-size 8 --moe-enable-deepep --moe-token-dispatcher-type flex\n' },
    references: [
      `Megatron-LM megatron/core/transformer/transformer_config.py @${MEGATRON_COMMIT} (TransformerConfig.__post_init__; the line of each check is in its data and in the diagnostic)`,
      `Megatron-Bridge src/megatron/bridge/training/comm_overlap.py and config.py @${BRIDGE_COMMIT} (CommOverlapConfig.setup, ConfigContainer.validate)`,
    ],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    // A Megatron-Bridge config runs Bridge's own checks and Megatron Core's, not Megatron-LM's command line's.
    const framework = launchFramework(spec);
    const fired: { check: MegatronLaunchCheck; report: () => void }[] = [];
    // One index of the config's flags for every check (a 2 MB YAML has 170,000 sites).
    const index = flagIndex(spec.sites);
    // A launch that names the Megatron-LM it runs by its date (Pai-Megatron-Patch's `Megatron-LM-240126`): only checks
    // known to be in it, those added within the year before d98e8a6 and no later than it; older ones are of no known
    // date, so none is claimed for a Megatron-LM older than that year.
    const pinned = spec.launch?.pinned;
    // The Megatron-LM the workspace holds (a checkout above the config, a Bridge checkout's 3rdparty/Megatron-LM):
    // a recent check its own file lacks is not in the Megatron that runs.
    const checkout = workspaceMegatron(context.file, (path) => (context.project.hasModule(path) ? context.project.textOf(path) : undefined));
    for (const check of LAUNCH_CHECKS) {
      if (!runsUnder(check, framework)) continue;
      if (pinned && check.framework !== 'megatron-bridge' && (pinned.date <= CHECK_CUTOFF || (check.since !== undefined && check.since.date > pinned.date))) continue;
      // Fresh per check, so that the defaults named are the ones this check read.
      const flags = readFlags(spec, index);
      // The flag as the launch spells it: `--cuda-graph-scope`, deprecated, is the modules' flag (helper sweep H).
      const deprecated = DEPRECATED_SPELLING[check.at];
      const at = flags.site(check.at) ?? (deprecated ? flags.site(deprecated) : undefined);
      // Pointed at in this file only: a check on flags all inherited from another file is that file's finding.
      if (!at || at.file !== undefined) continue;
      // The flag a check came with, as this launch spells it: the deprecated flag is older than the check, its values are
      // not (`--cuda-graph-scope moe`: before 2b343d7 it took full, attn and full_iteration only; helper review Q).
      const cameWith = deprecated && !flags.written(check.at) && check.since?.with ? `${flagOf(deprecated)} ${at.items?.join(' ') ?? literalText(at.literal)}` : check.since?.with;
      // argparse sees only what is spelled as a command-line flag; a config of field names skips its choices.
      const spelledAsFlag = context.text.startsWith('--', at.keyRange.start);
      if ((check.argparse && !spelledAsFlag) || (check.fieldsOnly && spelledAsFlag) || !check.when(flags)) continue;
      if (check.framework !== 'megatron-bridge' && checkout.lacks(check) !== undefined) continue;
      const defaults = [...flags.defaultsRead];
      const bridge = check.framework === 'megatron-bridge';
      // A check younger than a year: a launch pinned to an older Megatron-LM runs, so not an error.
      const recent = olderMegatronRuns(check);
      const message = launchMessage(check, flags, at);
      // A check in a forward pass stops the run at its first training step, not as it starts.
      const when = check.stage === 'first-step' ? 'at its first training step' : 'at launch';
      const who = bridge ? 'Megatron-Bridge' : 'Megatron-LM';
      fired.push({
        check,
        report: () =>
          context.report({
            messageId: (bridge ? 'bridgeConflict' : recent ? 'recentConflict' : 'conflict') + (check.summary ? 'Summary' : ''),
            data: { message, when, ...(check.summary ? { summary: summaryText(check.summary, spelledAsFlag) } : {}), ...(check.since ?? {}) },
            ...(recent ? { severity: 'warning' as const } : {}),
            detail:
              // The message says what is wrong in a few words: Megatron's own, word for word, comes first here.
              (check.summary ? `${who} stops ${when}: "${message}". ` : '') +
              (bridge ? `Megatron-Bridge ${check.file} @${BRIDGE_COMMIT}` : `Megatron-LM ${check.file} @${MEGATRON_COMMIT}`) +
              ` line ${check.line} (census ${check.id}).` +
              (recent ? ` Megatron-LM added this check on ${check.since!.date} (${check.since!.commit}): a Megatron-LM older than that runs this config.` : '') +
              (check.since && cameWith
                ? ` Megatron-LM added this check on ${check.since.date} (${check.since.commit}); every config it fires on writes \`${cameWith}\`, which a Megatron-LM older than that refuses itself: every Megatron-LM stops this launch, the older ones on that flag.`
                : '') +
              (defaults.length > 0 ? ` Flags this script does not write are at Megatron's defaults (it ${spec.launch?.why}): ${defaults.join(', ')}.` : ''),
            range: at.keyRange,
          }),
      });
    }
    // A check raised earlier on the same config stops the run before the ones it shadows.
    const shadowed = new Set(fired.flatMap((f) => f.check.shadows ?? []));
    for (const f of fired) if (!shadowed.has(f.check.id)) f.report();
  },
} satisfies Rule;
