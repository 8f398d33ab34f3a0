/**
 * The evaluator's subscripts of built dicts, identity and membership comparisons, and attribute assignment
 * (copy-on-write): each fires where Python's answer is known, stays unknown where it is not, and never
 * changes an object for whoever else holds it.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeTorchtitanPython, TORCHTITAN_KNOWLEDGE } from '../../src/core/parse/torchtitan-python';
import { PythonEvaluator } from '../../src/core/parse/python/evaluate';
import type { ObjectValue, PyValue } from '../../src/core/parse/python/values';
import { lintText } from '../../src/core/lint';
import { ProjectIndex } from '../../src/core/project';

const FILE = '/w/pkg/job.py';

/** Evaluates a document; its roots (module-level names and uncalled functions) by name. */
function evaluate(text: string, files: Record<string, string> = {}): { roots: Map<string, PyValue>; evaluator: PythonEvaluator } {
  const project = new ProjectIndex();
  project.setText(FILE, text);
  for (const [file, source] of Object.entries(files)) project.setText(file, source);
  const evaluator = new PythonEvaluator({ has: (f) => project.hasModule(f), parse: (f) => project.parsedModule(f) });
  evaluator.evaluateDocument(FILE);
  return { roots: new Map(evaluator.roots.map((r) => [r.context.name, r.value])), evaluator };
}

/** As `evaluate`, with what the torchtitan reader knows (its converters that keep the router). */
function evaluateWith(text: string): PythonEvaluator {
  const project = new ProjectIndex();
  project.setText(FILE, text);
  const evaluator = new PythonEvaluator({ has: (f) => project.hasModule(f), parse: (f) => project.parsedModule(f) }, TORCHTITAN_KNOWLEDGE);
  evaluator.evaluateDocument(FILE);
  return evaluator;
}

const asObject = (value: PyValue | undefined): ObjectValue => {
  assert.equal(value?.kind, 'object', `not an object: ${JSON.stringify(value && { kind: value.kind, reason: 'reason' in value ? value.reason : undefined })}`);
  return value as ObjectValue;
};

/** `object.a.b` through keywords. */
function path(value: PyValue | undefined, ...names: string[]): PyValue | undefined {
  let current = value;
  for (const name of names) current = current?.kind === 'object' ? current.keywords.get(name)?.value : undefined;
  return current;
}

const intOf = (value: PyValue | undefined): number | undefined => (value?.kind === 'int' ? value.value : undefined);
const boolOf = (value: PyValue | undefined): boolean | 'unknown' | undefined => (value?.kind === 'bool' ? value.value : value?.kind === 'unknown' ? 'unknown' : undefined);

describe('evaluator: a subscript of a dict it built', () => {
  const text = `def _small(width, depth=2):
    return Model.Config(width=width, depth=depth)


def _large(width, depth=8):
    return Model.Config(width=width * 2, depth=depth)


CONFIGS = {
    "small": _small,
    "large": _large,
}


def registry(flavor, width=16):
    return CONFIGS[flavor](width=width)


def large_job():
    return registry("large", width=32)


def small_job():
    return registry("small")


def unknown_flavor(flavor):
    return CONFIGS[flavor](width=4)


def missing_flavor():
    return CONFIGS["medium"](width=4)
`;

  it('by a key it knows yields the entry, a function that stays callable with the call\'s arguments', () => {
    const { roots } = evaluate(text);
    const large = asObject(roots.get('large_job'));
    assert.equal(large.className, 'Model.Config');
    assert.equal(intOf(path(large, 'width')), 64);
    assert.equal(intOf(path(large, 'depth')), 8);
    assert.equal(intOf(path(roots.get('small_job'), 'width')), 16);
    assert.equal(intOf(path(roots.get('small_job'), 'depth')), 2);
  });

  it('by a key it does not know, or one the dict lacks, builds nothing a builder returns', () => {
    const { roots } = evaluate(text);
    for (const name of ['unknown_flavor', 'missing_flavor']) {
      const value = roots.get(name);
      // The callee is not resolved: whatever it builds has no class and none of the builders' keywords.
      assert.ok(value?.kind !== 'object' || (value.cls === undefined && !value.keywords.has('depth')), name);
    }
  });

  it('a module-level table of builders still names each flavor by what its builder returns', () => {
    const { evaluator } = evaluate(text);
    const rows = new Map(evaluator.entries.filter((e) => e.context.file === FILE).map((e) => [e.context.name, e.value]));
    assert.equal(asObject(rows.get('small')).className, 'Model.Config');
    assert.equal(asObject(rows.get('large')).className, 'Model.Config');
  });
});

describe('evaluator: is / is not / == / != / in / not in', () => {
  const cases: [string, boolean | 'unknown'][] = [
    ['None is None', true],
    ['None is not None', false],
    ['[1] is None', false],
    ['[1] is not None', true],
    ['{"a": 1} is None', false],
    ['3 is None', false],
    ['Known() is not None', true],
    ['imported is None', 'unknown'],
    ['imported_call() is None', 'unknown'],
    ['unknown_name is not None', 'unknown'],
    ['True is True', true],
    ['1 is True', false],
    ['"a" is "a"', 'unknown'],
    ['2 is 2', 'unknown'],
    ['None == None', true],
    ['None != 0', true],
    ['None == []', false],
    ['"x" == "x"', true],
    ['"x" != "y"', true],
    ['unknown_name == None', 'unknown'],
    ['Known() == None', 'unknown'],
    ['"model" in ["model", "loss"]', true],
    ['"model" not in ["model", "loss"]', false],
    ['"opt" in ["model", "loss"]', false],
    ['"opt" not in ("model", "loss")', true],
    ['"opt" in ["model", unknown_name]', 'unknown'],
    ['"model" in ["model", unknown_name]', true],
    ['"k" in {"k": 1}', true],
    ['"j" in {"k": 1}', false],
    ['"j" in {"k": 1, **unknown_name}', 'unknown'],
    ['"od" in "model"', true],
    ['"x" in [s for s in unknown_name]', 'unknown'],
    ['"b" in GROWN', 'unknown'],
    ['"a" in GROWN', true],
    ['unknown_name in ["a"]', 'unknown'],
  ];
  const text =
    'from elsewhere import imported, imported_call\n\n\nclass Known:\n    pass\n\n\nGROWN = ["a"]\nGROWN.append("c")\n' +
    cases.map(([expression], i) => `v${i} = ${expression}\n`).join('');

  it('decides each comparison where both sides are known, and leaves the rest unknown', () => {
    const { roots } = evaluate(text);
    const got = cases.map(([expression], i) => [expression, boolOf(roots.get(`v${i}`))]);
    assert.deepEqual(got, cases);
  });

  it('an `if` on a known comparison takes its branch; on an unknown one it keeps no return from inside it', () => {
    const { roots } = evaluate(`def build(converters=None):
    config = A.Config(n=1)
    if converters is not None:
        config = B.Config(n=2)
    return config


def with_converters():
    return build(converters=[Conv.Config()])


def without_converters():
    return build()


def unknown_converters(converters):
    if converters is not None:
        return B.Config(n=2)
    return None
`);
    assert.equal(asObject(roots.get('with_converters')).className, 'B.Config');
    assert.equal(asObject(roots.get('without_converters')).className, 'A.Config');
    // As for any unknown condition: the branch's return is not taken as the function's, nor the return after it
    // (the function returns either): not known.
    const either = roots.get('unknown_converters');
    assert.equal(either?.kind, 'unknown');
    assert.match(either?.kind === 'unknown' ? either.reason : '', /`unknown_converters` returns from a branch of `converters is not None` \(line 17\) that MoE Lens cannot decide/);
  });

  it('a name bound in branches of an undecided `if` is known after it only where every way through agrees', () => {
    const { roots } = evaluate(`def both(flavor):
    if flavor == "a":
        k = 4
    else:
        k = 8
    return MoEArgs(top_k=k)


def one_branch(flavor):
    k = 4
    if flavor == "a":
        k = 8
    return MoEArgs(top_k=k)


def agree(flavor):
    if flavor == "a":
        k = 4
    elif flavor == "b":
        k = 4
    else:
        k = 4
    return MoEArgs(top_k=k)


def only_bound_there(flavor):
    if flavor == "a":
        k = 4
    return MoEArgs(top_k=k)


def decided():
    k = 4
    if 1 > 2:
        k = 8
    return MoEArgs(top_k=k)


def attribute_only(flavor):
    args = MoEArgs(top_k=4, num_experts=8)
    if flavor == "a":
        args.top_k = 8
    return args
`);
    const topK = (name: string): PyValue | undefined => asObject(roots.get(name)).keywords.get('top_k')?.value;
    for (const name of ['both', 'one_branch']) {
      const value = topK(name);
      assert.equal(value?.kind, 'unknown', name);
      assert.match(value?.kind === 'unknown' ? value.reason : '', /`k` is set differently in branches of `flavor == "a"` \(line \d+\) that MoE Lens cannot decide/);
    }
    for (const name of ['agree', 'only_bound_there']) assert.deepEqual([name, topK(name)?.kind, (topK(name) as { value?: unknown })?.value], [name, 'int', 4]);
    assert.deepEqual((topK('decided') as { value?: unknown }).value, 4);
    // An attribute set in the branch: that attribute is not known, the object and its other keywords still are.
    assert.equal(topK('attribute_only')?.kind, 'unknown');
    assert.equal((asObject(roots.get('attribute_only')).keywords.get('num_experts')?.value as { value?: unknown }).value, 8);
  });

  it('a top-level assignment into a table by a string key is a root named by the key (torchtitan-npu @306d569 adds flavors to torchtitan\'s table)', () => {
    const { roots } = evaluate('from torchtitan.models import deepseek_v3\n\ndeepseek_v3.deepseekv3_args["671B_debug"] = MoEArgs(num_experts=8, top_k=2)\nos.environ["X"] = "1"\ntable[key] = MoEArgs(num_experts=4)\n');
    assert.equal((asObject(roots.get('671B_debug')).keywords.get('num_experts')?.value as { value?: unknown }).value, 8);
    // Any other key is a root too (nothing in it is a config); a key that is not a plain string names none.
    assert.deepEqual([...roots.keys()].sort(), ['671B_debug', 'X']);
  });

  it('a top-level name an `if` or `try` may bind again is not known; the configs each way builds are still found', () => {
    const { roots } = evaluate(`import os

TOP_K = 4
if os.environ.get("BIG"):
    TOP_K = 8

if os.environ.get("SMALL"):
    EXPERTS = 8
else:
    EXPERTS = 16

if os.environ.get("SAME"):
    SCORE = "softmax"
else:
    SCORE = "softmax"

ONLY_HERE = 2
if os.environ.get("X"):
    LATER = 1
LATER = 3

if os.environ.get("ARGS"):
    ARGS = MoEArgs(top_k=2)
else:
    ARGS = MoEArgs(top_k=6)

CHOSEN = (EXPERTS, ARGS, SCORE)
`);
    const chosen = roots.get('CHOSEN');
    const [experts, args, score] = chosen?.kind === 'list' ? chosen.items : [];
    for (const [name, value] of [['TOP_K', roots.get('TOP_K')], ['EXPERTS', experts]] as const) {
      assert.equal(value?.kind, 'unknown', name);
      assert.match(value?.kind === 'unknown' ? value.reason : '', new RegExp(`\`${name}\` is bound at lines \\d+, \\d+, some in an \`if\` or \`try\` MoE Lens does not decide`));
    }
    assert.deepEqual([score?.kind, roots.get('LATER')?.kind, roots.get('ONLY_HERE')?.kind], ['string', 'int', 'int']);
    assert.equal((roots.get('LATER') as { value: number }).value, 3);
    assert.equal(args?.kind, 'unknown');
    assert.deepEqual((args?.kind === 'unknown' ? args.mayBe ?? [] : []).map((v) => (v.kind === 'object' ? (v.keywords.get('top_k')?.value as { value?: unknown }).value : v.kind)), [2, 6]);
  });
});

describe('evaluator: attribute assignment (copy-on-write)', () => {
  const text = `BASE = Parallelism.Config(expert_parallel_degree=1)


def base():
    return Trainer.Config(
        parallelism=Parallelism.Config(expert_parallel_degree=1, tensor_parallel_degree=2),
        training=Training.Config(steps=10),
    )


def derived():
    config = base()
    config.parallelism.expert_parallel_degree = 8
    config.training.steps += 5
    return config


def replaced():
    config = base()
    config.parallelism = Parallelism.Config(expert_parallel_degree=4)
    return config


def shared():
    p = BASE
    p.expert_parallel_degree = 16
    return p


def reads_shared():
    return BASE


def alias_read():
    config = base()
    p = config.parallelism
    config.parallelism.expert_parallel_degree = 2
    return p


def alias_write():
    config = base()
    p = config.parallelism
    p.expert_parallel_degree = 32
    return config


def not_set():
    config = base()
    config.compile.enable = True
    return config


def subscripted():
    config = base()
    config.training.steps_list[0] = 3
    return config


def on_a_parameter(config):
    config.parallelism.expert_parallel_degree = 64
    return config
`;

  it('updates the keyword of the object this function holds, located at the assignment', () => {
    const { roots, evaluator } = evaluate(text);
    const derived = roots.get('derived');
    const ep = path(derived, 'parallelism', 'expert_parallel_degree');
    assert.equal(intOf(ep), 8);
    const argument = asObject(path(derived, 'parallelism')).keywords.get('expert_parallel_degree')!;
    const at = (range: { start: number; end: number }) => text.slice(range.start, range.end);
    assert.equal(at(ep!.trace!.written.range), '8');
    assert.equal(at(argument.keyRange!), 'expert_parallel_degree');
    assert.equal(at(argument.assigned!.range), 'config.parallelism.expert_parallel_degree');
    // The other keywords are kept; `+=` is not computed, so the attribute it updates is no longer known.
    assert.equal(intOf(path(derived, 'parallelism', 'tensor_parallel_degree')), 2);
    assert.equal(path(derived, 'training', 'steps')?.kind, 'unknown');
    assert.equal(intOf(path(roots.get('replaced'), 'parallelism', 'expert_parallel_degree')), 4);
    assert.ok([...evaluator.attributeAssignments.values()].includes(true));
  });

  it('never changes the object for whoever else holds it: the function that built it, a module-level name', () => {
    const { roots } = evaluate(text);
    assert.equal(intOf(path(roots.get('base'), 'parallelism', 'expert_parallel_degree')), 1);
    assert.equal(intOf(path(roots.get('shared'), 'expert_parallel_degree')), 16);
    assert.equal(intOf(path(roots.get('reads_shared'), 'expert_parallel_degree')), 1);
    assert.equal(intOf(path(roots.get('BASE'), 'expert_parallel_degree')), 1);
  });

  it('at the top level, attributes assigned after the object is built are the module-level config\'s (a torchtitan EP demo script)', () => {
    // The shape of a public torchtitan EP + FSDP demo (sweep 35): `moe_args = MoEArgs()`, then its fields one by one.
    const demo = [
      '@dataclass',
      'class MoEArgs:',
      '    num_experts: int = 8',
      '    top_k: int = 1',
      '    score_func: str = "sigmoid"',
      '',
      'moe_args = MoEArgs()',
      'moe_args.num_experts = 2',
      'moe_args.top_k = 4',
      'other = MoEArgs()',
      'moe_args.score_func = "softmax"',
      '',
      'def model():',
      '    return moe_args',
      '',
    ].join('\n');
    const { roots } = evaluate(demo);
    const args = asObject(roots.get('moe_args'));
    assert.deepEqual([intOf(args.keywords.get('num_experts')?.value), intOf(args.keywords.get('top_k')?.value), (args.keywords.get('score_func')?.value as { value?: string }).value], [2, 4, 'softmax']);
    assert.equal(asObject(roots.get('other')).keywords.get('top_k'), undefined, 'another object of the class is untouched');
    assert.equal(intOf(asObject(roots.get('model')).keywords.get('top_k')?.value), 4, 'a function reads the name as the module left it');
    assert.deepEqual(lintText('/w/demo.py', `from dataclasses import dataclass\n${demo}`).diagnostics.map((d) => d.code), ['MOE003']);
  });

  it('within the function, another name for a changed object sees the change, either way round', () => {
    const { roots } = evaluate(text);
    assert.equal(intOf(path(roots.get('alias_read'), 'expert_parallel_degree')), 2);
    assert.equal(intOf(path(roots.get('alias_write'), 'parallelism', 'expert_parallel_degree')), 32);
  });

  it('an attribute on the way that is not an object it knows, or a subscript, becomes unknown, never a made-up object', () => {
    const { roots } = evaluate(text);
    const compile = path(roots.get('not_set'), 'compile');
    assert.equal(compile?.kind, 'unknown');
    assert.match((compile as { reason: string }).reason, /`config\.compile\.enable` is assigned, and `config\.compile` is not an object MoE Lens follows/);
    assert.equal(path(roots.get('subscripted'), 'training', 'steps_list')?.kind, 'unknown');
    assert.equal(intOf(path(roots.get('subscripted'), 'training', 'steps')), 10);
  });

  it('a value that is not an object (a parameter nothing called with one) is not followed', () => {
    const { roots, evaluator } = evaluate(text);
    assert.equal(roots.get('on_a_parameter')?.kind, 'unknown');
    assert.ok([...evaluator.attributeAssignments.values()].includes(false));
  });

  it('a frozen dataclass, or a class with its own __setattr__, makes the name unknown', () => {
    const { roots } = evaluate(`from dataclasses import dataclass


@dataclass(frozen=True)
class Frozen:
    n: int = 1


class Guarded:
    def __init__(self, n=1):
        self.n = n

    def __setattr__(self, name, value):
        pass


def frozen():
    f = Frozen(n=2)
    f.n = 3
    return f


def guarded():
    g = Guarded(n=2)
    g.n = 3
    return g
`);
    assert.equal(roots.get('frozen')?.kind, 'unknown');
    assert.equal(roots.get('guarded')?.kind, 'unknown');
  });

  it('thousands of assignments and aliases in one function stay within the analysis budget', () => {
    const lines = ['def job():', '    config = Trainer.Config(parallelism=Parallelism.Config(expert_parallel_degree=1))'];
    for (let i = 0; i < 300; i++) lines.push(`    alias${i} = config.parallelism`);
    for (let i = 0; i < 20_000; i++) lines.push(`    config.parallelism.expert_parallel_degree = ${i}`);
    lines.push(`    config${'.a'.repeat(5_000)} = 1`, '    return config', '');
    const started = performance.now();
    const { roots } = evaluate(lines.join('\n'));
    const ms = performance.now() - started;
    console.log(`# 20,000 attribute assignments with 300 aliases: ${ms.toFixed(0)} ms`);
    assert.ok(ms < 5_000, `${ms.toFixed(0)} ms`);
    assert.ok(roots.has('job'));
  });
});

describe('torchtitan: config_registry.py jobs that assign attributes', () => {
  const MODEL = `from torchtitan.models.common.moe import MoE, TokenChoiceTopKRouter
from torchtitan.protocols.model_spec import ModelSpec


def _debugmodel(moe_comm_backend):
    return Decoder.Config(dim=256, layers=[MoE.Config(num_experts=8, router=TokenChoiceTopKRouter.Config(num_experts=8, top_k=2, score_func="softmax"))])


configs = {"debugmodel": _debugmodel}


def model_registry(flavor, moe_comm_backend="standard", converters=None):
    config = configs[flavor](moe_comm_backend=moe_comm_backend)
    if converters is not None:
        for c in converters:
            config = c.build().convert(config)
    return ModelSpec(name="ds", flavor=flavor, model=config)
`;
  const REGISTRY = `from torchtitan.config import ParallelismConfig, TrainingConfig
from torchtitan.trainer import Trainer

from . import model_registry


def ds_debugmodel() -> Trainer.Config:
    return Trainer.Config(
        model_spec=model_registry("debugmodel"),
        training=TrainingConfig(num_tokens_per_microbatch_per_dp_rank=16384),
        parallelism=ParallelismConfig(expert_parallel_degree=1),
    )


def ds_debugmodel_ep6() -> Trainer.Config:
    config = ds_debugmodel()
    config.model_spec = model_registry("debugmodel", moe_comm_backend="hybridep")
    config.parallelism.expert_parallel_degree = 6
    return config


def ds_whole_ep6() -> Trainer.Config:
    config = Trainer.Config(
        model_spec=model_registry("debugmodel"),
        training=TrainingConfig(num_tokens_per_microbatch_per_dp_rank=16384),
        parallelism=ParallelismConfig(expert_parallel_degree=1),
    )
    config.parallelism.expert_parallel_degree = 6
    return config
`;
  const project = (): ProjectIndex => {
    const index = new ProjectIndex();
    index.setText('/w/torchtitan/models/ds/__init__.py', MODEL);
    return index;
  };
  const file = '/w/torchtitan/models/ds/config_registry.py';

  it('reads the router through model_registry → the flavor table → its builder, and the layout the job assigns', () => {
    const specs = analyzeTorchtitanPython(REGISTRY, file, project()).specs;
    const byName = new Map(specs.map((s) => [s.name, s]));
    assert.deepEqual([...byName.keys()], ['ds_debugmodel', 'ds_debugmodel_ep6', 'ds_whole_ep6']);
    for (const spec of specs) assert.deepEqual([spec.experts.value, spec.topK.value, spec.scoreFunc.value], [8, 2, 'softmax']);
    const derived = byName.get('ds_debugmodel_ep6')!;
    const ep = derived.layout!.filter((s) => s.key === 'expert_parallel_degree').at(-1)!;
    assert.deepEqual(ep.literal, { kind: 'int', value: 6 });
    assert.equal(ep.file, undefined);
    const line = (offset: number) => REGISTRY.slice(0, offset).split('\n').length;
    assert.equal(line(ep.valueRange.start), line(REGISTRY.indexOf('config.parallelism.expert_parallel_degree = 6')));
    assert.equal(REGISTRY.slice(ep.keyRange.start, ep.keyRange.end), 'expert_parallel_degree');
    assert.deepEqual(derived.layout!.find((s) => s.key === 'comm_backend')?.literal, { kind: 'string', value: 'hybridep' });
    // Its other keys are the base job's, written in that function: not read as a whole job.
    assert.equal(derived.launch?.complete, false);
    assert.match(derived.launch!.why, /takes its Trainer\.Config from `ds_debugmodel`/);
    const whole = byName.get('ds_whole_ep6')!;
    assert.equal(whole.launch?.complete, true);
    assert.match(whole.launch!.why, /changes it only by the attribute assignment it writes/);
    // The base job is unchanged by the jobs that take its config.
    assert.deepEqual(byName.get('ds_debugmodel')!.layout!.find((s) => s.key === 'expert_parallel_degree')?.literal, { kind: 'int', value: 1 });
  });

  it('MOE019 reports the assigned degree that does not split the experts, at the assignment', () => {
    const found = lintText(file, REGISTRY, project()).diagnostics.filter((d) => d.code === 'MOE019');
    const line = (offset: number) => REGISTRY.slice(0, offset).split('\n').length;
    const assignment = 'config.parallelism.expert_parallel_degree = 6';
    assert.deepEqual(
      found.map((d) => line(d.range.start)),
      [line(REGISTRY.indexOf(assignment)), line(REGISTRY.lastIndexOf(assignment))],
    );
    for (const d of found) assert.equal(REGISTRY.slice(d.range.start, d.range.end), '6');
  });
});

describe('torchtitan @b5bcd76 (test/corpus): deepseek_v3/config_registry.py as written', () => {
  const corpus = resolve(import.meta.dirname, '..', 'corpus');
  const file = join(corpus, 'torchtitan/pytorch__torchtitan@b5bcd76/torchtitan/models/deepseek_v3/config_registry.py');
  const project = new ProjectIndex((f) => (f.startsWith(corpus) && existsSync(f) && statSync(f).isFile() ? readFileSync(f, 'utf8') : undefined));
  const text = readFileSync(file, 'utf8');
  const specs = new Map(analyzeTorchtitanPython(text, file, project).specs.map((s) => [s.name, s]));
  const line = (offset: number) => text.slice(0, offset).split('\n').length;
  const last = (name: string, key: string) => specs.get(name)!.layout!.filter((s) => s.key === key).at(-1);

  it('a job that swaps its model_spec by attribute assignment trains that model: HybridEP, and the base job\'s EP', () => {
    const hybridep = 'deepseek_v3_debugmodel_hybridep';
    assert.match(last(hybridep, 'token_dispatcher')!.literal.kind === 'expression' ? (last(hybridep, 'token_dispatcher')!.literal as { text: string }).text : '', /HybridEPTokenDispatcher\.Config$/);
    assert.deepEqual(last(hybridep, 'comm_backend')?.literal, { kind: 'string', value: 'hybridep' });
    const ep = last(hybridep, 'expert_parallel_degree')!;
    assert.deepEqual([ep.literal, line(ep.valueRange.start)], [{ kind: 'int', value: 1 }, 66]);
    assert.equal(specs.get(hybridep)!.launch?.complete, false);
    // The base job itself still trains the standard all-to-all dispatcher.
    assert.match((last('deepseek_v3_debugmodel', 'token_dispatcher')!.literal as { text: string }).text, /AllToAllTokenDispatcher\.Config$/);
  });

  it('an assigned training key and a reassigned ParallelismConfig are located where the job writes them', () => {
    const graphs = last('deepseek_v3_16b_hybridep', 'training.disable_cuda_graphs')!;
    assert.deepEqual([graphs.literal, line(graphs.valueRange.start), graphs.file], [{ kind: 'bool', value: false }, 184, undefined]);
    assert.deepEqual(last('deepseek_v3_16b', 'training.disable_cuda_graphs')?.literal, { kind: 'bool', value: true });
    const ep = last('deepseek_v3_16b_minimal_async_ep', 'expert_parallel_degree')!;
    assert.deepEqual([ep.literal, line(ep.valueRange.start)], [{ kind: 'int', value: 1 }, 202]);
  });

  it("jobs that quantise with torchtitan's float8 / MXFP8 converters keep their flavor's router (model_registry's `for c in converters: config = c.build().convert(config)`)", () => {
    const router = (name: string) => {
      const spec = specs.get(name)!;
      return [spec.experts.value, spec.topK.value, spec.scoreFunc.value, spec.groups?.count.value, spec.scale.value, spec.selectionBias.value];
    };
    assert.deepEqual(router('deepseek_v3_671b_float8'), router('deepseek_v3_671b'));
    assert.deepEqual(router('deepseek_v3_671b_float8'), [256, 8, 'sigmoid', 8, 2.5, 'learned']);
    assert.deepEqual(router('deepseek_v3_debugmodel_mxfp8'), router('deepseek_v3_debugmodel'));
    // Where each value is written is where the flavor writes it, as for the job without converters.
    assert.deepEqual(specs.get('deepseek_v3_671b_float8')!.topK.sites.at(-1)?.valueRange, specs.get('deepseek_v3_671b')!.topK.sites.at(-1)?.valueRange);
  });

  it('a helper that calls itself is not followed into its recursion, and cannot leave the file\'s config class unread', () => {
    // Megatron-Bridge @067f987 qwen_vl/qwen35_vl_provider.py: a module-level spec walker that calls itself from two
    // places (for each sub-spec, and for the MTP block), run as an uncalled function, branched 12 calls deep and
    // took every step of the budget; the provider class in the same file was then not read at all.
    const walker = 'def walk(spec, cls):\n    if spec is None:\n        return\n    if hasattr(spec, "layer_specs"):\n        for s in spec.layer_specs:\n            walk(s, cls)\n        return\n    sub = getattr(spec, "submodules", None)\n    if hasattr(sub, "mtp"):\n        walk(sub.mtp, cls)\n    if not hasattr(sub, "x"):\n        return\n';
    const provider = 'from dataclasses import dataclass\nfrom megatron.bridge.models.gpt_provider import GPTModelProvider\n\n\n@dataclass\nclass P(GPTModelProvider):\n    num_moe_experts: int = 512\n    moe_router_topk: int = 10\n\n\n';
    const specs = analyzeTorchtitanPython(provider + walker, FILE).specs;
    assert.deepEqual(specs.map((s) => [s.name, s.experts.value, s.topK.value]), [['P', 512, 10]]);
    const { roots } = evaluate('def count(n=3):\n    return count(n - 1)\n');
    assert.match(JSON.stringify(roots.get('count')), /`count` calls itself; a recursion is not followed/);
  });

  it('the functions nothing calls may use three quarters of the budget: the config class after them is still read', () => {
    // No recursion: twelve functions, each calling the next twice, are 2^12 calls of a few hundred steps.
    const chain = Array.from({ length: 12 }, (_, i) => `def f${i}(x=1):\n    ${i === 11 ? 'return [x + k for k in range(3)] + [x * k for k in range(3)]' : `f${i + 1}(x)\n    return f${i + 1}(x + 1)`}\n`).join('\n');
    const filler = Array.from({ length: 40 }, (_, k) => `    y${k} = {"a": [x, x + 1, x + 2], "b": (x, x * 2)}\n`).join('');
    const heavy = chain.replace('def f11(x=1):\n', `def f11(x=1):\n${filler}`);
    const provider = '@dataclass\nclass P(GPTModelProvider):\n    num_moe_experts: int = 64\n    moe_router_topk: int = 6\n\n';
    const { evaluator } = evaluate(heavy);
    assert.ok(evaluator.budgetExhausted === false, 'the functions stop at their share, not at the end of the budget');
    const specs = analyzeTorchtitanPython(`from dataclasses import dataclass\nfrom megatron.bridge.models.gpt_provider import GPTModelProvider\n\n${heavy}\n${provider}`, FILE).specs;
    assert.deepEqual(specs.map((s) => [s.name, s.experts.value, s.topK.value]), [['P', 64, 6]]);
  });
});

describe('the evaluator: loops over known lists, and conversions a reader knows keep the router', () => {
  it('a for loop over a short list written in the code runs its body for each item, the loop variable bound to it', () => {
    const { roots } = evaluate('def last(ks):\n    out = None\n    for k in ks:\n        out = k * 2\n    return out\n\nx = last([1, 3])\n');
    assert.equal(intOf(roots.get('x')), 6);
    // A list grown in a loop, or a long one, runs the body once with the loop variable unknown.
    const { roots: grown } = evaluate('def last(ks):\n    out = None\n    for k in ks:\n        out = k * 2\n    return out\n\nxs = []\nxs.append(3)\ny = last(xs)\nz = last(list(range(20)))\n');
    assert.equal(grown.get('y')?.kind, 'unknown');
    assert.equal(grown.get('z')?.kind, 'unknown');
  });

  const registry = (converter: string, from: string) =>
    `from torchtitan.models.moe import MoEArgs\n${from}\n\ndef model_registry(converters=None):\n    config = MoEArgs(num_experts=16, top_k=2, score_func="softmax")\n    if converters is not None:\n        for c in converters:\n            config = c.build().convert(config)\n    return config\n\ndef quantised():\n    return model_registry(converters=[${converter}.Config(model_compile_enabled=True)])\n`;

  it("torchtitan's float8 / MXFP8 converters return the model config they were given; any other converter's result is unknown", () => {
    const returned = (text: string) => roots(text).get('quantised');
    const roots = (text: string) => new Map(evaluateWith(text).roots.map((r) => [r.context.name, r.value]));
    for (const [converter, from] of [
      ['Float8LinearConverter', 'from torchtitan.components.quantization import Float8LinearConverter'],
      ['MXFP8GroupedExpertsConverter', 'from torchtitan.components.quantization.mx import MXFP8GroupedExpertsConverter'],
    ]) {
      const config = asObject(returned(registry(converter!, from!)));
      assert.deepEqual([config.className, intOf(path(config, 'top_k'))], ['MoEArgs', 2], converter);
    }
    // LoRA rewrites the model it is given (torchtitan/components/lora.py): not known to keep the router.
    assert.notEqual((returned(registry('LoRAConverter', 'from torchtitan.components.lora import LoRAConverter')) as ObjectValue | undefined)?.className, 'MoEArgs');
    // A workspace's own class of the same name is not torchtitan's.
    assert.notEqual((returned(registry('Float8LinearConverter', 'from mypkg.quant import Float8LinearConverter')) as ObjectValue | undefined)?.className, 'MoEArgs');
  });
});

describe('evaluator: setattr', () => {
  // hicann/cann-recipes-train @93819a7 llm_rl/deepseek/verl_patches/models/mcore/config_converter.py l.97-137 (trimmed):
  // a dict of overrides copied onto a built config key by key. Read as Megatron's defaults before.
  const loop = `def build(hf_config):
    config = Config(top_k=2, bias=True)
    params = dict(
        bias=False,
        top_k=hf_config.num_experts_per_tok,
        experts=64,
    )
    for k, v in params.items():
        setattr(config, k, v)
    return config
`;

  it('with a name it knows is an attribute assignment', () => {
    const { roots } = evaluate('def build():\n    config = Config(top_k=2)\n    setattr(config, "top_k", 4)\n    setattr(config.moe, "experts", 8)\n    return config\n');
    const config = asObject(roots.get('build'));
    assert.equal(intOf(path(config, 'top_k')), 4);
    assert.equal(path(config, 'moe')?.kind, 'unknown', 'an attribute path through something not built is unknown');
  });

  it('in a loop over a dict it knows runs once per entry (`for k, v in d.items()`)', () => {
    const { roots } = evaluate(loop);
    const config = asObject(roots.get('build'));
    assert.deepEqual([boolOf(path(config, 'bias')), intOf(path(config, 'experts'))], [false, 64]);
    assert.equal(path(config, 'top_k')?.kind, 'unknown', 'the value copied from an unknown hf_config');
  });

  it('with a name it does not know leaves the object unknown', () => {
    // A dict spread it cannot read, or a loop over an unknown mapping: any attribute may have changed.
    for (const text of [loop.replace('params = dict(', 'params = dict(**hf_config.overrides,'), loop.replace('params.items()', 'hf_config.overrides.items()')]) {
      const built = evaluate(text).roots.get('build');
      assert.equal(built?.kind, 'unknown', text);
      assert.match((built as { reason: string }).reason, /setattr\(config, k, v\)` \(line 9\) sets an attribute MoE Lens cannot name/);
    }
  });

  it('is not followed where the code rebinds the name', () => {
    const { roots } = evaluate('def setattr(o, k, v):\n    pass\n\n\ndef build():\n    config = Config(top_k=2)\n    setattr(config, "top_k", 4)\n    return config\n');
    assert.equal(intOf(path(asObject(roots.get('build')), 'top_k')), 2);
  });
});

describe('evaluator: a local dict or list changed in place (copy-on-write)', () => {
  /** `Config(**config)` after `config` was changed by `change` (torchtitan-npu-simulator's flavor builders). */
  const built = (change: string, extra = ''): PyValue | undefined =>
    evaluate(`def _base():\n    return {"dim": 4096, "moe_args": MoE(experts=256, top_k=6)}\n\n\ndef build(flag):\n    config = _base()\n    alias = config\n${extra}    ${change}\n    return (Config(**config), alias, config)\n`).roots.get('build');
  const first = (value: PyValue | undefined): PyValue | undefined => (value?.kind === 'list' ? value.items[0] : undefined);
  const second = (value: PyValue | undefined): PyValue | undefined => (value?.kind === 'list' ? value.items[1] : undefined);
  const third = (value: PyValue | undefined): PyValue | undefined => (value?.kind === 'list' ? value.items[2] : undefined);

  it('applies an item assignment, update, setdefault, pop, del and clear where every key is known', () => {
    const experts = (change: string): number | undefined => intOf(path(first(built(change)), 'moe_args', 'experts'));
    assert.equal(experts('config["moe_args"] = MoE(experts=16, top_k=2)'), 16);
    assert.equal(experts('config.update({"moe_args": MoE(experts=16, top_k=2)})'), 16);
    assert.equal(experts('config.update(moe_args=MoE(experts=32, top_k=2))'), 32);
    assert.equal(experts('config.setdefault("moe_args", MoE(experts=16))'), 256, 'setdefault keeps an entry that is there');
    assert.equal(intOf(path(first(built('config.setdefault("n_layers", 3)')), 'n_layers')), 3, 'setdefault adds one that is not');
    for (const change of ['config.pop("moe_args")', 'del config["moe_args"]', 'config.clear()']) assert.equal(path(first(built(change)), 'moe_args'), undefined, change);
    assert.equal(intOf(path(first(built('config.pop("missing", None)')), 'moe_args', 'experts')), 256, 'pop of a key that is not there changes nothing');
  });

  it('changes every local that holds the same dict, and no dict anyone else holds', () => {
    assert.equal(intOf(path(second(built('config["moe_args"] = MoE(experts=16)')) as PyValue, 'experts')), undefined);
    const alias = second(built('config["moe_args"] = MoE(experts=16)'));
    assert.equal(alias?.kind, 'dict');
    const entry = (alias as { entries: readonly { key: PyValue; value: PyValue }[] }).entries.find((e) => e.key.kind === 'string' && e.key.value === 'moe_args');
    assert.equal(intOf(path(entry?.value, 'experts')), 16, 'an alias of the dict sees the change');
    const { roots } = evaluate('BASE = {"moe_args": MoE(experts=256)}\n\n\ndef build():\n    config = dict(**BASE)\n    config["moe_args"] = MoE(experts=16)\n    return Config(**config)\n');
    assert.equal(intOf(path(roots.get('build'), 'moe_args', 'experts')), 16);
    const base = roots.get('BASE');
    assert.equal(base?.kind, 'dict');
    assert.equal(intOf(path((base as { entries: readonly { value: PyValue }[] }).entries[0]?.value, 'experts')), 256, 'the module-level dict it was copied from is unchanged');
  });

  it('leaves the dict unknown where a key, the entries or the path are not known', () => {
    for (const [change, why] of [
      ['config[flag] = MoE(experts=16)', /changes an entry MoE Lens cannot name/],
      ['config.update(flag)', /adds entries MoE Lens cannot read/],
      ['config.update(**flag)', /passes \* or \*\* arguments/],
      ['config.popitem()', /removes an entry MoE Lens does not track/],
      ['config["moe_args"].experts = 16', /changes it where MoE Lens does not follow/],
    ] as const) {
      const value = third(built(change));
      assert.equal(value?.kind, 'unknown', change);
      assert.equal(second(built(change))?.kind, 'unknown', `${change}: its alias too`);
      assert.match((value as { reason: string }).reason, why, change);
    }
  });

  it('in a branch MoE Lens cannot decide, makes the entry it sets unknown', () => {
    const value = first(built('config["moe_args"] = MoE(experts=16)', '    if flag:\n    '));
    const moe = path(value, 'moe_args');
    assert.equal(moe?.kind, 'unknown');
    assert.match((moe as { reason: string }).reason, /runs only in a branch MoE Lens cannot decide/);
  });

  it('replaces a list item at a known index, and forgets a list changed at an unknown one', () => {
    const { roots } = evaluate('def build(i):\n    layers = [MoE(experts=8), MoE(experts=8)]\n    layers[-1] = MoE(experts=64)\n    return layers\n\n\ndef other(i):\n    layers = [MoE(experts=8)]\n    layers[i] = MoE(experts=64)\n    return layers\n');
    const layers = roots.get('build');
    assert.equal(layers?.kind, 'list');
    assert.deepEqual((layers as { items: PyValue[] }).items.map((item) => intOf(path(item, 'experts'))), [8, 64]);
    assert.equal(roots.get('other')?.kind, 'unknown');
  });
});

describe('torchtitan: a flavor builder that swaps moe_args in its dict (torchtitan-npu-simulator @e5e82b8)', () => {
  const text = `from dataclasses import dataclass


@dataclass
class MoEArgs:
    num_experts: int = 8
    top_k: int = 1
    score_func: str = "sigmoid"


@dataclass
class ModelConfig:
    dim: int = 64
    moe_args: MoEArgs = None


def _small_moe() -> MoEArgs:
    return MoEArgs(num_experts=16, top_k=2, score_func="softmax")


def _base() -> dict:
    return {"dim": 4096, "moe_args": MoEArgs(num_experts=256, top_k=6, score_func="softmax")}


def _small() -> ModelConfig:
    config = _base()
    config.update({"moe_args": _small_moe()})
    return ModelConfig(**config)


configs = {"small": _small}
`;
  it('reads the router the flavor runs, and lists no router the builder threw away', () => {
    const project = new ProjectIndex();
    project.setText('/w/flavors.py', text);
    const { specs } = analyzeTorchtitanPython(text, '/w/flavors.py', project);
    assert.deepEqual(specs.map((s) => [s.name, s.experts.value, s.topK.value]), [['small', 16, 2]]);
  });
});

describe('torchtitan: configs built where the file runs as a program', () => {
  it('reads the assignments of `if __name__ == "__main__":` and of a `with` body, as Python runs them; a bare call there leaves its function a root of its own', () => {
    // meta-pytorch/autoparallel @a54c252 examples/native_ds3/example_deepseek.py l.378-396 (trimmed).
    const text = `from dataclasses import dataclass


@dataclass
class MoEArgs:
    num_experts: int = 8
    top_k: int = 1


def main():
    return MoEArgs(num_experts=16, top_k=2)


if __name__ == "__main__":
    num_experts = 128
    with torch.device("meta"):
        moe_args = MoEArgs(num_experts=num_experts, top_k=1)
    main()
`;
    const project = new ProjectIndex();
    project.setText('/w/example.py', text);
    const { specs } = analyzeTorchtitanPython(text, '/w/example.py', project);
    assert.deepEqual(specs.map((s) => [s.name, s.experts.value, s.topK.value]), [['main', 16, 2], ['moe_args', 128, 1]]);
    // Under another condition, the body is not run as the program's.
    const other = text.replace('if __name__ == "__main__":', 'if DEBUG:');
    assert.deepEqual(analyzeTorchtitanPython(other, '/w/example.py', project).specs.map((s) => s.name), ['main']);
  });
});

describe('evaluator: classes it reads through many modules', () => {
  it('reads a dataclass whose module is the 100th a file imports (torchtitan @b5bcd76 experiments/rl config_registry.py), and a field of a class with an unread ancestor is not known', () => {
    const files: Record<string, string> = {};
    const imports: string[] = [];
    for (let i = 0; i < 100; i++) {
      files[`/w/pkg/m${i}.py`] = `X${i} = ${i}\n`;
      imports.push(`from pkg.m${i} import X${i}`);
    }
    files['/w/pkg/__init__.py'] = '';
    files['/w/pkg/router.py'] = 'from dataclasses import dataclass\n\n\n@dataclass\nclass Router:\n    top_k: int = 1\n    num_experts: int = 8\n';
    const text = `${imports.join('\n')}\nfrom pkg.router import Router\n\nALL = [${Array.from({ length: 100 }, (_, i) => `X${i}`).join(', ')}]\nr = Router(num_experts=16)\n`;
    const { roots, evaluator } = evaluate(text, files);
    const router = asObject(roots.get('r'));
    assert.equal(router.cls?.name, 'Router', 'the class is read, not cut off by a module cap');
    assert.equal(evaluator.declaresField(router.cls!, 'top_k'), true);
    // A base of a base that is not in the workspace may declare any field.
    const chain = evaluate('from outside import Base\n\n\nclass Mid(Base):\n    pass\n\n\nclass Leaf(Mid):\n    x: int = 1\n\n\nleaf = Leaf()\n');
    const leaf = asObject(chain.roots.get('leaf'));
    assert.equal(chain.evaluator.declaresField(leaf.cls!, 'top_k'), undefined);
  });
});

