/**
 * One pair of tests per Megatron launch check, generated from its data: the smallest flags that break it fire
 * (on the flag it names, quoting Megatron's message), the nearest valid flags stay quiet.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BRIDGE_CHECKS, CHECK_CUTOFF, LAUNCH_CHECKS, MEGATRON_LAUNCH_CHECKS, summaryText, type MegatronLaunchCheck } from '../../src/core/references/megatron-launch-checks';
import { CHECK_SINCE } from '../../src/core/references/megatron-launch-checks/since';
import { messageProbe } from '../../src/core/references/megatron-launch-checks/checkout';
import { ProjectIndex } from '../../src/core/project';
import { lintText } from '../../src/core/lint';
import { megatronFlagConflict } from '../../src/core/rules/MOE020-megatron-flag-conflict';
import type { Diagnostic } from '../../src/core/rules/types';
import { runRuleTests } from '../rule-tester';

const SCRIPT = 'examples/megatron/train.sh';

/** A launch line of an MoE model with the given flags (dest names → `--dest-name value`). */
function commandLine(flags: Readonly<Record<string, string | true>>, withoutExperts = false): string {
  const words = Object.entries(flags).map(([key, value]) => `--${key.replace(/_/g, '-')}${value === true ? '' : ` ${value}`}`);
  return `torchrun pretrain_gpt.py \\\n  ${withoutExperts ? '' : '--num-experts 64 '}--moe-router-topk 2 \\\n  ${words.join(' \\\n  ')}\n`;
}

/** A Megatron config of field names (a NeMo or yaml_arguments YAML): no argparse between it and Megatron Core. */
const FIELDS_YAML = 'conf/moe.yaml';
function fieldsYaml(keys: Readonly<Record<string, string | true>>): string {
  return `num_moe_experts: 64\nmoe_router_topk: 2\n${Object.entries(keys).map(([key, value]) => `${key}: ${value === true ? 'true' : value}\n`).join('')}`;
}
const COMMAND_LINE_CHECKS = MEGATRON_LAUNCH_CHECKS.filter((check) => !check.fieldsOnly && !check.bridgeOnly);
const FIELD_CHECKS = MEGATRON_LAUNCH_CHECKS.filter((check) => check.fieldsOnly && !check.bridgeOnly);
/** Megatron Core checks only a Megatron-Bridge config reaches (Megatron-LM sets the field itself, or stops first). */
const BRIDGE_ONLY_CHECKS = MEGATRON_LAUNCH_CHECKS.filter((check) => check.bridgeOnly);

const BRIDGE_YAML = 'examples/models/moe/conf/moe_override.yaml';
const BRIDGE_SECTIONS = new Set(['comm_overlap', 'mixed_precision', 'ddp', 'dist', 'train', 'optimizer', 'checkpoint']);

/**
 * A Megatron-Bridge override YAML with the given keys: `section.key` under that section, a bare section name as a
 * top-level scalar (`mixed_precision: bf16_mixed`), anything else under `model:`. Like a real override of an MoE
 * recipe, it writes the expert count only where the keys do.
 */
function bridgeYaml(keys: Readonly<Record<string, string | true>>): string {
  const sections = new Map<string, string[]>([['model', ['seq_length: 4096']]]);
  const top: string[] = [];
  for (const [path, value] of Object.entries(keys)) {
    const text = value === true ? 'true' : value;
    const dot = path.indexOf('.');
    const section = dot > 0 && BRIDGE_SECTIONS.has(path.slice(0, dot)) ? path.slice(0, dot) : undefined;
    if (section) sections.set(section, [...(sections.get(section) ?? []), `${path.slice(dot + 1)}: ${text}`]);
    else if (BRIDGE_SECTIONS.has(path)) top.push(`${path}: ${text}`);
    else sections.get('model')!.push(`${path}: ${text}`);
  }
  if (!sections.has('train')) sections.set('train', ['train_iters: 100']);
  return [...[...sections].map(([name, lines]) => `${name}:\n${lines.map((l) => `  ${l}\n`).join('')}`), ...top.map((l) => `${l}\n`)].join('');
}

/** The message with the trigger's value for `{value}`; a message naming other computed values, up to the first. */
function expectedMessage(check: MegatronLaunchCheck): string {
  const message = check.message.replace('{value}', String(check.trigger[check.at]));
  return message.includes('{') ? message.slice(0, message.indexOf('{')) : message;
}

/**
 * A check Megatron-LM added within a year of d98e8a6 is what Megatron-LM does since then (a launch pinned to an older
 * one runs): a warning that names the commit; an older one stops every current Megatron-LM, an error, as does a recent
 * one that came with the flag it needs (an older Megatron-LM refuses the flag).
 */
const recent = (check: MegatronLaunchCheck): boolean => check.since !== undefined && check.since.with === undefined;
const severityOf = (check: MegatronLaunchCheck): 'warning' | 'error' => (recent(check) ? 'warning' : 'error');
/** A check with a summary says what is wrong in our words and quotes Megatron's message in the detail (issue #12). */
const messageIdOf = (check: MegatronLaunchCheck): string => (recent(check) ? 'recentConflict' : 'conflict') + (check.summary ? 'Summary' : '');
/** What a diagnostic says in all: its message, then its detail (the hover). */
const said = (d: Diagnostic): string => `${d.message} ${d.detail ?? ''}`;

/** The key a Bridge check points at, as written in the YAML (`ddp.megatron_fsdp_version` → `megatron_fsdp_version`). */
const bridgeKey = (check: MegatronLaunchCheck): string => check.at.slice(check.at.indexOf('.') + 1);
/** The trigger's value for the key the check points at (a Bridge trigger may write it under a section). */
const triggerValue = (check: MegatronLaunchCheck): string =>
  String(check.trigger[check.at] ?? Object.entries(check.trigger).find(([path]) => path.endsWith(`.${check.at}`))?.[1]);

describe('MOE020: the commits that added recent checks (since.ts)', () => {
  it('name checks MOE020 runs, each younger than the cutoff, with a short commit', () => {
    const ids = new Set(MEGATRON_LAUNCH_CHECKS.map((check) => check.id));
    for (const [id, { commit, date }] of Object.entries(CHECK_SINCE)) {
      assert.ok(ids.has(id), `${id} is no check`);
      assert.ok(date > CHECK_CUTOFF && /^\d{4}-\d{2}-\d{2}$/.test(date) && /^[0-9a-f]{7}$/.test(commit), `${id}: ${commit} ${date}`);
    }
    assert.equal(MEGATRON_LAUNCH_CHECKS.filter((check) => check.since).length, Object.keys(CHECK_SINCE).length);
  });

  it("a check that came with its flag names a flag (and value) its trigger writes, one the check cannot fire without", () => {
    const withFlag = MEGATRON_LAUNCH_CHECKS.filter((check) => check.since?.with);
    assert.equal(withFlag.length, 41); // MEG-022, MEG-072 and MEG-073 came later than their flags (helper sweep H)
    for (const check of withFlag) {
      const [flag, value] = check.since!.with!.split(' ');
      const key = flag!.replace(/^--/, '').replace(/-/g, '_');
      const written = check.trigger[key];
      assert.ok(written !== undefined, `${check.id}: its trigger does not write ${flag}`);
      if (value) assert.ok(String(written).split(' ').includes(value), `${check.id}: its trigger writes ${flag} ${String(written)}`);
      // Without that flag the check does not fire: every config it stops writes it.
      const without = Object.fromEntries(Object.entries(check.trigger).filter(([other]) => other !== key));
      const fired = (flags: Readonly<Record<string, string | true>>): boolean =>
        lintText(SCRIPT, commandLine(flags, check.withoutExperts)).diagnostics.some((d) => d.code === 'MOE020' && said(d).includes(expectedMessage(check)));
      assert.ok(fired(check.trigger), `${check.id} does not fire on its trigger`);
      assert.ok(!fired(without), `${check.id} fires without ${flag}`);
    }
  });
});

describe('MOE020: a launch that names the Megatron-LM it runs by its date (Pai-Megatron-Patch)', () => {
  // alibaba/Pai-Megatron-Patch examples/*/run_*.sh: `MEGATRON_PATH=${MEGATRON_PATCH_PATH}/backends/megatron/Megatron-LM-YYMMDD`.
  const pinnedTo = (date: string, check: MegatronLaunchCheck) =>
    `MEGATRON_PATH=\${MEGATRON_PATCH_PATH}/backends/megatron/Megatron-LM-${date}\nexport PYTHONPATH=\${MEGATRON_PATH}:\${MEGATRON_PATCH_PATH}:$PYTHONPATH\n${commandLine(check.trigger, check.withoutExperts)}`;
  const fires = (text: string, check: MegatronLaunchCheck) => lintText(SCRIPT, text).diagnostics.some((d) => d.code === 'MOE020' && said(d).includes(expectedMessage(check)));
  const old = COMMAND_LINE_CHECKS.find((check) => !check.since && !check.withoutExperts)!;
  const recent = COMMAND_LINE_CHECKS.find((check) => check.id === 'MEG-043')!;

  it('gets the checks added after the cutoff and before its date', () => {
    assert.ok(fires(pinnedTo('260801', recent), recent), 'MEG-043 (2026-07-02) is in a Megatron-LM of 2026-08-01');
    assert.ok(!fires(pinnedTo('260601', recent), recent), 'but not in one of 2026-06-01');
    assert.ok(fires(pinnedTo('260601', old), old), `${old.id} (before the cutoff) is in one of 2026-06-01`);
  });

  it('gets none where it is older than the cutoff: which checks it had is not known', () => {
    assert.ok(fires(commandLine(old.trigger), old));
    assert.ok(!fires(pinnedTo('240718', old), old));
  });
});

describe("MOE020: the workspace's own Megatron-LM (a checkout above the config, a Bridge checkout's 3rdparty/Megatron-LM)", () => {
  // GeodesicResearch/geodesic-megatron @df06386: its Bridge YAMLs run the megatron-core of 3rdparty/Megatron-LM, pinned
  // on a Megatron-LM of 2026-03-27; MEG-043 (69c4868, 2026-07-02) is not in it, and the 846-iteration run it flagged trained.
  const check = MEGATRON_LAUNCH_CHECKS.find((c) => c.id === 'MEG-043')!;
  const lint = (file: string, files: Record<string, string>) => {
    const project = new ProjectIndex();
    for (const [path, text] of Object.entries(files)) project.setText(path, text);
    return lintText(file, commandLine(check.trigger, check.withoutExperts), project).diagnostics.filter((d) => d.code === 'MOE020' && said(d).includes(expectedMessage(check)));
  };
  const holding = `        raise ValueError(\n            ${JSON.stringify(check.message.slice(0, 40))}\n            ${JSON.stringify(check.message.slice(40))}\n        )\n`;
  const lacking = 'class TransformerConfig:\n    pass\n';

  it('a recent check the workspace copy of its file lacks is not reported; one it holds is, as before', () => {
    assert.equal(lint('/w/examples/train.sh', {}).length, 1, 'no workspace Megatron: the warning that names the commit');
    assert.deepEqual(lint('/w/configs/run.sh', { [`/w/3rdparty/Megatron-LM/${check.file}`]: lacking }), []);
    assert.deepEqual(lint('/w/Megatron-LM/examples/run.sh', { [`/w/Megatron-LM/${check.file}`]: lacking }), []);
    // Its message split over two string literals, as Megatron's source writes long messages.
    assert.deepEqual(lint('/w/configs/run.sh', { [`/w/3rdparty/Megatron-LM/${check.file}`]: holding }).map((d) => d.severity), ['warning']);
  });

  it('every recent check it may leave out has a long enough literal part of its message to look for', () => {
    for (const c of MEGATRON_LAUNCH_CHECKS.filter((c) => c.since && !c.since.with)) assert.ok(messageProbe(c.message) !== undefined, c.id);
    assert.equal(messageProbe('Cannot offload {value} while recomputing the entire MoE layer.'), 'while recomputing the entire MoE layer.');
  });
});

describe('MOE020: what is wrong fits a Problems row; Megatron\'s own message is quoted whole (issue #12)', () => {
  const limit = 100;
  const who = (check: MegatronLaunchCheck): string => (check.framework === 'megatron-bridge' ? 'Megatron-Bridge' : 'Megatron-LM');
  const whenOf = (check: MegatronLaunchCheck): string => (check.stage === 'first-step' ? 'at its first training step' : 'at launch');
  const idOf = (check: MegatronLaunchCheck): keyof typeof megatronFlagConflict.messages =>
    `${check.framework === 'megatron-bridge' ? 'bridgeConflict' : recent(check) ? 'recentConflict' : 'conflict'}${check.summary ? 'Summary' : ''}` as keyof typeof megatronFlagConflict.messages;
  const fill = (check: MegatronLaunchCheck, data: Record<string, string>): string =>
    megatronFlagConflict.messages[idOf(check)].replace(/\{(\w+)\}/g, (whole, name: string) => data[name] ?? whole);
  /** The spellings a check's flags may have: a command line's (and Megatron-LM's test YAML's), a YAML's of field names. */
  const spellings = (check: MegatronLaunchCheck): boolean[] =>
    check.framework === 'megatron-bridge' || check.bridgeOnly || check.fieldsOnly ? [false] : check.argparse ? [true] : [true, false];

  it('a check without a summary quotes a message of no config values that fits', () => {
    for (const check of LAUNCH_CHECKS.filter((c) => !c.summary)) {
      assert.ok(!/\{\w+\}/.test(check.message), `${check.id} names values of the config: it needs a summary`);
      const message = fill(check, { message: check.message, when: whenOf(check), ...(check.since ?? {}) });
      assert.ok(message.length <= limit, `${check.id}: ${message.length} characters: ${message}`);
    }
  });

  it('a summary fits in every spelling its flags may have, and names flags its check reads', () => {
    for (const check of LAUNCH_CHECKS.filter((c) => c.summary)) {
      for (const asFlag of spellings(check)) {
        const message = fill(check, { summary: summaryText(check.summary!, asFlag), when: whenOf(check), ...(check.since ?? {}) });
        assert.ok(message.length <= limit, `${check.id}: ${message.length} characters: ${message}`);
      }
      // Every config of the tests writes the expert count and top-k, or leaves the count out (withoutExperts).
      const keys = new Set([check.at, 'num_experts', 'moe_router_topk', ...Object.keys(check.trigger), ...Object.keys(check.valid)].map((k) => k.slice(k.lastIndexOf('.') + 1)));
      for (const [, key] of check.summary!.matchAll(/`([a-z][a-z0-9_]*)(?: [^`]+)?`/g)) assert.ok(keys.has(key!), `${check.id}'s summary names \`${key}\`, which its trigger and valid configs do not write`);
    }
  });

  it('flags are spelled as the config spells them', () => {
    assert.equal(summaryText('`moe_enable_deepep` needs `moe_token_dispatcher_type flex`', true), '`--moe-enable-deepep` needs `--moe-token-dispatcher-type flex`');
    assert.equal(summaryText('`moe_enable_deepep` needs `moe_token_dispatcher_type flex`', false), '`moe_enable_deepep` needs `moe_token_dispatcher_type: flex`');
    assert.equal(summaryText('`moe_ffn_hidden_size` is set but `num_experts` is not', false), '`moe_ffn_hidden_size` is set but `num_moe_experts` is not');
    const check = MEGATRON_LAUNCH_CHECKS.find((c) => c.id === 'MEG-032')!;
    const first = (file: string, text: string) => lintText(file, text).diagnostics.find((d) => d.code === 'MOE020')!;
    assert.equal(first(SCRIPT, commandLine(check.trigger)).message, '`--moe-shared-expert-overlap` needs the alltoall or flex dispatcher; Megatron-LM stops at launch');
    assert.equal(first(FIELDS_YAML, fieldsYaml(check.trigger)).message, '`moe_shared_expert_overlap` needs the alltoall or flex dispatcher; Megatron-LM stops at launch');
  });

  it("a summary's detail begins with Megatron's message, word for word, and when it stops", () => {
    const check = MEGATRON_LAUNCH_CHECKS.find((c) => c.id === 'MEG-127')!;
    const found = lintText(SCRIPT, commandLine(check.trigger, check.withoutExperts)).diagnostics.find((d) => d.code === 'MOE020')!;
    assert.equal(found.message, 'MoE with TP > 1 needs `--sequence-parallel`; Megatron-LM stops at its first training step');
    assert.ok(found.detail!.startsWith(`Megatron-LM stops at its first training step: "${check.message}". Megatron-LM ${check.file} @d98e8a6 line ${check.line} (census MEG-127).`), found.detail);
    for (const c of COMMAND_LINE_CHECKS.filter((c) => c.summary && !/\{\w+\}/.test(c.message))) {
      const d = lintText(SCRIPT, commandLine(c.trigger, c.withoutExperts)).diagnostics.find((d) => d.code === 'MOE020' && d.detail?.includes(c.id));
      assert.ok(d?.detail?.startsWith(`${who(c)} stops ${whenOf(c)}: "${c.message}". `), `${c.id}: ${d?.detail}`);
    }
  });
});

runRuleTests(megatronFlagConflict, {
  valid: [
    ...COMMAND_LINE_CHECKS.map((check) => ({ name: `${check.id}: the nearest valid flags`, file: SCRIPT, code: commandLine(check.valid, check.withoutExperts) })),
    ...COMMAND_LINE_CHECKS.filter((check) => check.withoutExperts).map((check) => ({ name: `${check.id}: the same flags with the expert count written`, file: SCRIPT, code: commandLine(check.trigger) })),
    ...COMMAND_LINE_CHECKS.filter((check) => check.withoutExperts).map((check) => ({ name: `${check.id}: an expert count that may come from the environment is not taken as missing`, file: SCRIPT, code: commandLine(check.trigger, true).replace('pretrain_gpt.py', 'pretrain_gpt.py ${MOE_ARGS}') })),
    ...FIELD_CHECKS.map((check) => ({ name: `${check.id} (YAML of field names): the nearest valid config`, file: FIELDS_YAML, code: fieldsYaml(check.valid) })),
    // NVIDIA/NeMo @8cfedd7 nemo/collections/diffusion/models/model.py l.281-290 (trimmed): a dataclass field never
    // goes through argparse's choices; Megatron Core routes any other type as top-k (router.py @d98e8a6 l.771-790).
    {
      name: 'a load-balancing type argparse would refuse, in a Python config class (argparse never sees it)',
      file: 'model.py',
      code: 'from dataclasses import dataclass\n\nfrom megatron.core.transformer.transformer_config import TransformerConfig\n\n\n@dataclass\nclass ECDiTConfig(TransformerConfig):\n    moe_router_load_balancing_type: str = "expert_choice"\n    moe_router_pre_softmax: bool = True\n    moe_router_topk: int = 1\n    num_moe_experts: int = 64\n',
    },
    // Ascend/MindSpeed-LLM examples/mcore/ling_v2/pretrain_ling_mini_16b_4k_ptd.sh @c77308a (test/corpus/launch2):
    // on NPUs Megatron runs through MindSpeed, whose pinned version still takes `alltoall_seq`.
    {
      name: "MindSpeed's own dispatcher choice on Ascend NPUs",
      file: SCRIPT,
      code: 'export PYTORCH_NPU_ALLOC_CONF=expandable_segments:True\ntorchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 4 --moe-token-dispatcher-type alltoall_seq\n',
    },
    // Ascend/MindSpeed-LLM examples/mcore/glm45-air/generate_glm45_air_106b_ptd.sh and phi35/pretrain_phi35_moe_ptd.sh
    // @c77308a: no NPU runtime variable, but an NPU count; MindSpeed adds `alltoall_seq` and `sparsemixer_topk`.
    {
      name: 'a MindSpeed script known by its NPU count (NPUS_PER_NODE), with a dispatcher MindSpeed adds',
      file: SCRIPT,
      code: 'NPUS_PER_NODE=8\ntorchrun --nproc_per_node $NPUS_PER_NODE inference.py --num-experts 128 --moe-router-topk 8 --moe-token-dispatcher-type alltoall_seq\n',
    },
    {
      name: 'a MindSpeed script known by its layer spec (mindspeed_llm), with a load-balancing type MindSpeed adds',
      file: SCRIPT,
      code: 'torchrun pretrain_gpt.py --spec mindspeed_llm.tasks.models.spec.phi35_moe_spec layer_spec --num-experts 16 --moe-router-topk 2 --moe-router-load-balancing-type sparsemixer_topk\n',
    },
    // yanring/Megatron-MoE-ModelZoo model_configs/benchmarking/Qwen2-57B-A14B.yaml @e865051: sbatch_benchmarking.sh
    // runs `envsubst` on the YAML first, so Megatron never sees `${MOE_TOKEN_DISPATCHER}`.
    {
      name: 'a YAML placeholder filled in before launch (envsubst) is not a value Megatron refuses, nor one later checks read',
      file: 'model_configs/benchmarking/Qwen2-57B-A14B.yaml',
      code: 'MODEL_ARGS:\n  --num-experts: 64\n  --moe-router-topk: 8\n  --moe-token-dispatcher-type: ${MOE_TOKEN_DISPATCHER}\n  --moe-shared-expert-overlap: true\n  --moe-shared-expert-intermediate-size: 20480\n',
    },
    ...FIELD_CHECKS.map((check) => ({ name: `${check.id} is not argparse's: a command line gets argparse's choices message instead`, file: SCRIPT, code: commandLine(check.valid) })),
    ...BRIDGE_CHECKS.map((check) => ({ name: `${check.id} (Megatron-Bridge YAML): the nearest valid config`, file: BRIDGE_YAML, code: bridgeYaml(check.valid) })),
    ...BRIDGE_ONLY_CHECKS.map((check) => ({ name: `${check.id} (Megatron-Bridge YAML): the nearest valid config`, file: BRIDGE_YAML, code: bridgeYaml(check.valid) })),
    ...BRIDGE_ONLY_CHECKS.map((check) => ({ name: `${check.id}: Megatron-LM never reaches it (a YAML of field names with the same keys)`, file: FIELDS_YAML, code: fieldsYaml(check.trigger) })),
    { name: 'Megatron-Bridge: a layer pattern written as a YAML list is a list', file: BRIDGE_YAML, code: bridgeYaml({ num_moe_experts: '64', num_layers: '4', moe_layer_freq: '[1, 1, 0, 1]' }) },
    { name: 'Megatron-Bridge: an integer layer frequency is an int', file: BRIDGE_YAML, code: bridgeYaml({ num_moe_experts: '64', num_layers: '4', moe_layer_freq: '2' }) },
    {
      name: 'Megatron-Bridge: the model\'s own overlap_moe_expert_parallel_comm is not read (the recipe\'s comm_overlap replaces it)',
      file: BRIDGE_YAML,
      code: bridgeYaml({ overlap_moe_expert_parallel_comm: true, expert_model_parallel_size: '1', moe_token_dispatcher_type: 'alltoall' }),
    },
    {
      name: 'Megatron-Bridge: an unwritten key is the recipe\'s (no EP size written: MB-003 cannot be decided)',
      file: BRIDGE_YAML,
      code: bridgeYaml({ 'comm_overlap.overlap_moe_expert_parallel_comm': true }),
    },
    {
      name: 'Megatron-Bridge: the model\'s bf16 is mixed precision\'s to set (no mixed_precision written: MB-006 cannot be decided)',
      file: BRIDGE_YAML,
      code: bridgeYaml({ 'comm_overlap.overlap_moe_expert_parallel_comm': true, expert_model_parallel_size: '2', moe_token_dispatcher_type: 'alltoall', bf16: 'false', fp16: 'false' }),
    },
    {
      name: 'a YAML with a model: section and keys that are not ConfigContainer sections is read as Megatron-LM YAML, not Bridge',
      file: 'conf/model_config.yaml',
      code: 'model:\n  num_moe_experts: 8\ntrainer:\n  devices: 8\ncomm_overlap:\n  overlap_moe_expert_parallel_comm: true\n',
    },
    { name: 'a flag the script does not write is not taken at its default when the script passes flags from the environment', file: SCRIPT, code: commandLine({ moe_enable_deepep: true }).replace('pretrain_gpt.py', 'pretrain_gpt.py ${EXTRA_ARGS}') },
    { name: '… or sources another file', file: SCRIPT, code: 'source ./dispatcher.sh\n' + commandLine({ moe_enable_deepep: true }) },
    { name: '… or runs no Megatron entry point itself (a model-args file that a run script sources)', file: 'scripts/models/deepseek.sh', code: 'MODEL_ARGS=(\n  --num-experts 64 --moe-router-topk 2\n  --moe-enable-deepep\n)\n' },
    { name: 'an array the script sets itself keeps it whole', file: SCRIPT, code: 'MOE_ARGS=(\n  --moe-enable-deepep\n  --moe-token-dispatcher-type flex\n  --expert-model-parallel-size 2\n)\ntorchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 2 ${MOE_ARGS[@]}\n' },
    { name: 'a --no- switch writes its flag false (--disable-bias-linear with shared experts)', file: SCRIPT, code: commandLine({ moe_shared_expert_intermediate_size: '2048', disable_bias_linear: true }) },
    { name: 'a dispatcher from a shell variable is not read', file: SCRIPT, code: 'D=${DISPATCHER:-}\n' + commandLine({ moe_enable_deepep: true, moe_token_dispatcher_type: '$D' }) },
  ],
  invalid: [
    {
      name: 'the same dispatcher choice on CUDA: Megatron-LM refuses it',
      file: SCRIPT,
      code: 'torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 4 --moe-token-dispatcher-type alltoall_seq\n',
      errors: [{ messageId: 'conflictSummary', text: '--moe-token-dispatcher-type', includes: ["invalid choice: 'alltoall_seq'"] }],
      output: null,
    },
    {
      name: "argparse names the load-balancing type it refuses, and its choices",
      file: SCRIPT,
      code: 'torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 4 --moe-router-load-balancing-type seq_aux_loss sparsemixer_topk\n',
      errors: [{ messageId: 'conflictSummary', text: '--moe-router-load-balancing-type', includes: ["invalid choice: 'sparsemixer_topk' (choose from aux_loss, seq_aux_loss, global_aux_loss, sinkhorn, quantile_balancing, none)"] }],
      output: null,
    },
    {
      name: 'a YAML value written as is (no placeholder) is checked',
      file: 'model_configs/benchmarking/Qwen2-57B-A14B.yaml',
      code: 'MODEL_ARGS:\n  --num-experts: 64\n  --moe-router-topk: 8\n  --moe-token-dispatcher-type: alltoall_seq\n',
      errors: [{ messageId: 'conflictSummary', text: '--moe-token-dispatcher-type', includes: ["invalid choice: 'alltoall_seq'"] }],
      output: null,
    },
    // Exactly one finding each: where a Bridge check mirrors a Megatron Core one (MB-003 and MEG-079, …), the
    // Megatron Core one it `shadows` is not reported.
    ...BRIDGE_CHECKS.map((check) => ({
      name: `${check.id} (Megatron-Bridge YAML): ${check.message}`,
      file: BRIDGE_YAML,
      code: bridgeYaml(check.trigger),
      errors: [
        {
          messageId: check.summary ? 'bridgeConflictSummary' : 'bridgeConflict',
          text: bridgeKey(check),
          severity: 'error' as const,
          includes: [check.message.replace('{value}', triggerValue(check)), check.id, `Megatron-Bridge ${check.file} @067f987 line ${check.line}`],
        },
      ],
      output: null,
    })),
    {
      name: 'Megatron-Bridge: Megatron Core\'s own checks run on the model keys (and name Megatron-LM)',
      file: BRIDGE_YAML,
      code: bridgeYaml({ moe_enable_deepep: true, moe_token_dispatcher_type: 'alltoall' }),
      errors: [{ messageId: 'conflict', text: 'moe_enable_deepep', includes: ['DeepEP backend is only supported with flex token dispatcher.', 'Megatron-LM megatron/core/'] }],
      output: null,
    },
    {
      name: 'Megatron-Bridge: with `comm_overlap: null` the model\'s own overlap flag reaches Megatron Core (MEG-079, not Bridge\'s MB-003)',
      file: BRIDGE_YAML,
      code: bridgeYaml({ overlap_moe_expert_parallel_comm: true, expert_model_parallel_size: '1', moe_token_dispatcher_type: 'alltoall', comm_overlap: 'null' }),
      errors: [{ messageId: 'conflictSummary', text: 'overlap_moe_expert_parallel_comm', includes: ['MEG-079'] }],
      output: null,
    },
    {
      name: 'Megatron-Bridge: a mixed-precision preset (bf16_mixed) sets bf16, so only MB-003 fires, not MB-006',
      file: BRIDGE_YAML,
      code: bridgeYaml({ 'comm_overlap.overlap_moe_expert_parallel_comm': true, expert_model_parallel_size: '1', mixed_precision: 'bf16_mixed' }),
      errors: [{ messageId: 'bridgeConflictSummary', text: 'overlap_moe_expert_parallel_comm', includes: ['MB-003'] }],
      output: null,
    },
    {
      name: "Megatron-Bridge: argparse's choices are Megatron-LM's command line; a bad dispatcher reaches Megatron Core's MoE layer instead",
      file: BRIDGE_YAML,
      code: bridgeYaml({ moe_token_dispatcher_type: 'bogus' }),
      errors: [{ messageId: 'conflictSummary', text: 'moe_token_dispatcher_type', includes: ['Unsupported token dispatcher type: bogus', 'MEG-125'] }],
      output: null,
    },
    ...BRIDGE_ONLY_CHECKS.map((check) => ({
      name: `${check.id} (Megatron-Bridge YAML, Megatron Core's check): ${check.message}`,
      file: BRIDGE_YAML,
      code: bridgeYaml(check.trigger),
      errors: [{ messageId: messageIdOf(check), text: bridgeKey(check), severity: severityOf(check), includes: [expectedMessage(check), check.id, `${check.file} @d98e8a6 line ${check.line}`] }],
      output: null,
    })),
    // Rows caught through the check Megatron raises first on the same config (rules' `censusStoppedFirst`).
    {
      name: 'MEG-093 (stopped first by MEG-090): delay_wgrad_compute with overlap_dispatch_backward_with_experts_wgrad, no EP overlap',
      file: SCRIPT,
      code: commandLine({ delay_wgrad_compute: true, overlap_dispatch_backward_with_experts_wgrad: true }),
      errors: [{ messageId: 'conflictSummary', text: '--delay-wgrad-compute', includes: ['overlap_moe_expert_parallel_comm must be enabled when enabling delay_wgrad_compute', 'MEG-090'] }],
      output: null,
    },
    {
      name: 'MEG-093 (stopped first by MEG-091): the same with the EP overlap on',
      file: SCRIPT,
      code: commandLine({ delay_wgrad_compute: true, overlap_dispatch_backward_with_experts_wgrad: true, overlap_moe_expert_parallel_comm: true, moe_token_dispatcher_type: 'alltoall', expert_model_parallel_size: '2', bf16: true }),
      errors: [{ messageId: 'conflictSummary', text: '--overlap-dispatch-backward-with-experts-wgrad', includes: ['overlap_moe_expert_parallel_comm must be disabled when enabling overlap_dispatch_backward_with_experts_wgrad.', 'MEG-091'] }],
      output: null,
    },
    {
      name: 'MEG-153 (stopped first by MEG-152): grouped GEMM for shared experts with bias linear layers',
      file: SCRIPT,
      code: commandLine({ moe_shared_expert_intermediate_size: '2048', use_grouped_gemm_for_shared_expert: true }),
      errors: [{ messageId: 'conflict', text: '--moe-shared-expert-intermediate-size', includes: ['bias is not supported in the shared experts', 'MEG-152'] }],
      output: null,
    },
    {
      name: 'MB-021 (stopped first by MEG-157): a Megatron-Bridge layer pattern of the wrong length',
      file: BRIDGE_YAML,
      code: bridgeYaml({ num_moe_experts: '64', num_layers: '4', moe_layer_freq: '[1,1,1]' }),
      errors: [{ messageId: 'conflictSummary', text: 'moe_layer_freq', includes: ['Invalid length of moe_layer_pattern', 'MEG-157'] }],
      output: null,
    },
    {
      name: 'MB-022 (stopped first by MEG-158): a Megatron-LM layer pattern written as a string in a Megatron-Bridge YAML reaches the spec as a str',
      file: BRIDGE_YAML,
      code: bridgeYaml({ num_moe_experts: '64', num_layers: '4', moe_layer_freq: '"([1]*2+[0])*2"' }),
      errors: [{ messageId: 'conflictSummary', text: 'moe_layer_freq', includes: ["Invalid moe_layer_freq: <class 'str'>, ", 'MEG-158'] }],
      output: null,
    },
    ...COMMAND_LINE_CHECKS.map((check) => ({
      name: `${check.id}: ${check.message}`,
      file: SCRIPT,
      code: commandLine(check.trigger, check.withoutExperts),
      errors: [{ messageId: messageIdOf(check), text: `--${check.at.replace(/_/g, '-')}`, severity: severityOf(check), includes: [expectedMessage(check), check.id] }],
      output: null,
    })),
    ...FIELD_CHECKS.map((check) => ({
      name: `${check.id} (YAML of field names): ${check.message}`,
      file: FIELDS_YAML,
      code: fieldsYaml(check.trigger),
      errors: [{ messageId: messageIdOf(check), text: check.at, severity: severityOf(check), includes: [expectedMessage(check), check.id] }],
      output: null,
    })),
    {
      name: 'a whole launch script: an unwritten flag is at Megatron\'s default, and the detail names it',
      file: SCRIPT,
      code: commandLine({ moe_enable_deepep: true }),
      errors: [{ messageId: 'conflict', text: '--moe-enable-deepep', includes: ['DeepEP backend is only supported with flex token dispatcher.', "at Megatron's defaults (it runs pretrain_gpt.py with every flag written in this file): moe_token_dispatcher_type=allgather"] }],
      output: null,
    },
    // Helper sweep H (Megatron-LM d98e8a6 and dev d48bd6b): a `full_iteration` module value is no module; Megatron makes
    // it `cuda_graph_impl='full_iteration'` before TransformerConfig checks the local implementation (arguments.py
    // l.263-294, cuda_graph_config.py l.10-13). DeepSeek-V4-Pro's GB300 recipe (dev) writes local + full_iteration.
    {
      name: "MEG-072: local CUDA graphs with a full_iteration scope are Megatron's full-iteration graphs, not local ones",
      file: SCRIPT,
      code: commandLine({ fine_grained_activation_offloading: true, offload_modules: 'core_attn', cuda_graph_impl: 'local', cuda_graph_scope: 'full_iteration' }),
      errors: [],
      output: null,
    },
    {
      name: 'MEG-069: hidden dropout with graphed MoE recomputation, in the full-iteration graph local + full_iteration becomes',
      file: SCRIPT,
      code: commandLine({ cuda_graph_impl: 'local', cuda_graph_modules: 'full_iteration', recompute_granularity: 'selective', recompute_modules: 'moe', hidden_dropout: '0.1' }),
      errors: [{ messageId: 'recentConflictSummary', text: '--recompute-modules', severity: 'warning', includes: ['hidden dropout is not supported with graphed MLP/MoE recomputation.'] }],
      output: null,
    },
    // `--cuda-graph-scope`, deprecated, is still accepted and copied into cuda_graph_modules (arguments.py l.633-641):
    // a check pointing at the modules points at it (they were silent on it), and its values came with the check.
    {
      name: 'MEG-062 and MEG-066 on a launch that spells the modules with the deprecated --cuda-graph-scope',
      file: SCRIPT,
      code: commandLine({ cuda_graph_impl: 'transformer_engine', cuda_graph_scope: 'moe moe_router', moe_token_dispatcher_type: 'alltoall' }),
      errors: [
        { messageId: 'conflict', text: '--cuda-graph-scope', includes: ['moe cuda graph is only supported with drop-padding MoE.', 'writes `--cuda-graph-scope moe moe_router`'] },
        { messageId: 'conflict', text: '--cuda-graph-scope', includes: ['cuda_graph_modules must not contain both moe and moe_router.'] },
      ],
      output: null,
    },
    // MEG-022's message and condition came with 883533e (2026-08-14), not with --moe-single-grouped-bias (6815c0f,
    // 2026-05-15): Megatron-LM between the two runs this launch, Megatron-Bridge 067f987's own pin 2a75ac1 among them.
    {
      name: 'MEG-022 is a recent check (a warning), since 883533e',
      file: SCRIPT,
      code: commandLine({ moe_grouped_gemm: true, moe_single_grouped_bias: true, no_bias_dropout_fusion: true }),
      errors: [{ messageId: 'recentConflictSummary', text: '--moe-single-grouped-bias', severity: 'warning', includes: ['Megatron-LM added this check on 2026-08-14 (883533e)'] }],
      output: null,
    },
    // MEG-035 reads Megatron's default too: padding to capacity without a capacity factor, which is None unless written
    // (transformer_config.py l.917, l.1864; helper review I: only a negative factor written fired).
    {
      name: 'MEG-035: padding to capacity in a whole launch that leaves the capacity factor at None',
      file: SCRIPT,
      code: commandLine({ moe_pad_expert_input_to_capacity: true }),
      errors: [{ messageId: 'conflictSummary', text: '--moe-pad-expert-input-to-capacity', includes: ['moe_expert_capacity_factor must be set to use moe_pad_expert_input_to_capacity', "at Megatron's defaults"] }],
      output: null,
    },
    // A check in a forward pass (moe_layer.py l.638 `forward`) stops the run at its first training step, not at launch
    // (NeMo-Framework-Launcher's Mixtral 8x22B YAML, helper sweep 30): the message says when.
    {
      name: 'MEG-127 (tensor parallel without sequence parallel) stops the run at its first training step',
      file: SCRIPT,
      code: commandLine({ tensor_model_parallel_size: '2', expert_tensor_parallel_size: '1', nproc_per_node: '8' }),
      errors: [{ messageId: 'conflictSummary', text: '--tensor-model-parallel-size', includes: ['Megatron-LM stops at its first training step: "During training, performance may degrade'] }],
      output: null,
    },
    // Messages Megatron builds with f-strings are printed whole, with the config's values (they stopped at the first
    // value: "Cannot offload ").
    {
      name: 'MEG-043 prints the modules it cannot offload, as Python prints the set',
      file: SCRIPT,
      code: commandLine({ fine_grained_activation_offloading: true, recompute_granularity: 'selective', recompute_modules: 'moe', offload_modules: 'expert_fc1 moe_act core_attn' }),
      errors: [{ messageId: 'recentConflictSummary', text: '--offload-modules', severity: 'warning', includes: ['recent Megatron-LM stops at launch', 'Megatron-LM added this check on 2026-07-02 (69c4868)', "Cannot offload {'expert_fc1', 'moe_act'} while recomputing the entire MoE layer.", "or remove {'expert_fc1', 'moe_act'} from --offload-modules."] }],
      output: null,
    },
    // GeodesicResearch/geodesic-megatron @df06386 configs/pa_warm_start_sft_120b/pa_warm_start_sft_120b_8k.yaml
    // l.121-124 (the keys of a Bridge fork whose Megatron predates the check): a warning naming the commit.
    {
      name: 'a check Megatron-LM added within the year (MEG-043, 2026-07-02) is a warning that says since when',
      file: FIELDS_YAML,
      code: 'num_moe_experts: 128\nmoe_router_topk: 4\nrecompute_granularity: selective\nrecompute_modules: ["core_attn", "moe", "shared_experts"]\nfine_grained_activation_offloading: true\noffload_modules: ["expert_fc1", "moe_act"]\n',
      errors: [{ messageId: 'recentConflictSummary', text: 'offload_modules', severity: 'warning', includes: ['Megatron-LM stops at launch: "Cannot offload', 'Megatron-LM added this check on 2026-07-02 (69c4868)', 'a Megatron-LM older than that runs this config'] }],
      output: null,
    },
    // A recent check that came with the value it needs: Megatron-LM before 2d7060f (2026-07-08) has no `ncclep`
    // backend (argparse refuses it), so the launch stops on every Megatron-LM: an error that says why.
    {
      name: 'a recent check that came with its flag (MEG-026, ncclep) is an error that names the flag',
      file: SCRIPT,
      code: commandLine({ moe_flex_dispatcher_backend: 'ncclep', moe_token_dispatcher_type: 'alltoall' }),
      errors: [{ messageId: 'conflictSummary', text: '--moe-flex-dispatcher-backend', severity: 'error', includes: ["moe_flex_dispatcher_backend='ncclep' requires moe_token_dispatcher_type='flex'.", 'added this check on 2026-07-08 (2d7060f); every config it fires on writes `--moe-flex-dispatcher-backend ncclep`, which a Megatron-LM older than that refuses itself'] }],
      output: null,
    },
    {
      name: 'MEG-157 prints the pattern, its length and the layers',
      file: SCRIPT,
      code: commandLine({ num_layers: '4', moe_layer_freq: '[1]*3' }),
      errors: [{ messageId: 'conflictSummary', text: '--moe-layer-freq', includes: ['Invalid length of moe_layer_pattern: 3, expected 4, current moe layer pattern: [1, 1, 1]'] }],
      output: null,
    },
    {
      name: 'MEG-159 and MEG-158 print the pattern',
      file: SCRIPT,
      code: commandLine({ num_layers: '4', moe_layer_freq: '[1]*3+[2]' }),
      errors: [{ messageId: 'conflictSummary', text: '--moe-layer-freq', includes: ['Invalid layer pattern: [1, 1, 1, 2]'] }],
      output: null,
    },
    {
      name: 'MEG-158 prints the tuple',
      file: SCRIPT,
      code: commandLine({ num_layers: '4', moe_layer_freq: '[1]*3,[0]' }),
      errors: [{ messageId: 'conflictSummary', text: '--moe-layer-freq', includes: ["Invalid moe_layer_freq: <class 'tuple'>, ([1, 1, 1], [0])"] }],
      output: null,
    },
    {
      name: 'Megatron-LM test YAML spelling (MODEL_ARGS with --flag: value keys)',
      file: 'tests/functional_tests/test_cases/moe/case/model_config.yaml',
      code: 'MODEL_ARGS:\n  --num-experts: 8\n  --moe-router-topk: 2\n  --moe-enable-deepep: true\n  --moe-token-dispatcher-type: alltoall\n',
      errors: [{ messageId: 'conflict', text: '--moe-enable-deepep', includes: ['DeepEP backend is only supported with flex token dispatcher.'] }],
      output: null,
    },
  ],
});
