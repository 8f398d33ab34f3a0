import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { provenanceOf } from '../../src/core/model/router-spec';
import { definitionAt } from '../../src/core/definition';
import { analyzeTorchtitanToml } from '../../src/core/parse/torchtitan-toml';
import { ProjectIndex } from '../../src/core/project';

const FLAVORS = 'qwen3_configs = {\n    "30B-A3B": MoEArgs(num_experts=128, top_k=8, score_func="softmax", route_norm=True),\n}\n';
const JOB = '[job]\ndescription = "Qwen3 30B-A3B"\n\n[model]\nname = "qwen3"\nflavor = "30B-A3B"\n';

describe('torchtitan TOML job configs', () => {
  const project = new ProjectIndex();
  project.setText('repo/torchtitan/models/qwen3/__init__.py', FLAVORS);

  it('reads the flavor the job trains from its flavor file, every value located there, anchored at `flavor`', () => {
    const { specs, notes } = analyzeTorchtitanToml(JOB, 'repo/torchtitan/models/qwen3/train_configs/qwen3_30b.toml', project);
    assert.deepEqual(notes, []);
    const [spec] = specs;
    assert.equal(spec!.name, 'qwen3/30B-A3B');
    assert.equal(spec!.experts.value, 128);
    assert.equal(spec!.topK.value, 8);
    assert.equal(spec!.topK.sites[0]!.file, 'repo/torchtitan/models/qwen3/__init__.py');
    assert.equal(provenanceOf(spec!.topK), 'resolved');
    assert.equal(JOB.slice(spec!.anchorRange.start, spec!.anchorRange.end), '"30B-A3B"');
    assert.equal(spec!.insertion, undefined, 'nothing is inserted into the job file');
    // Go to definition from `flavor = "30B-A3B"` lands on the flavor's entry in the flavor file.
    const offset = JOB.indexOf('"30B-A3B"') + 3;
    const target = definitionAt({ specs }, offset);
    assert.equal(target?.file, 'repo/torchtitan/models/qwen3/__init__.py');
    assert.match(FLAVORS.slice(target!.range.start, target!.range.end), /^"30B-A3B": MoEArgs\(num_experts=128/);
    assert.equal(definitionAt({ specs }, JOB.indexOf('[job]')), undefined);
  });

  it("finds the flavors beside a job kept outside the package, the path relative or not (LambdaLabsML/torchtitan's configs/)", () => {
    // `torchrun -m torchtitan.train configs/job.toml` from the checkout's root imports <root>/torchtitan.
    const flavors = new ProjectIndex();
    flavors.setText('torchtitan/models/qwen3/__init__.py', FLAVORS);
    flavors.setText('/w/repo/torchtitan/models/qwen3/__init__.py', FLAVORS);
    for (const job of ['configs/qwen3_30b.toml', 'qwen3_30b.toml', '/w/repo/configs/qwen3_30b.toml']) {
      const { specs, notes } = analyzeTorchtitanToml(JOB, job, flavors);
      assert.deepEqual([notes, specs.map((s) => [s.name, s.experts.value])], [[], [['qwen3/30B-A3B', 128]]], job);
    }
  });

  it('reads the [parallelism] degrees as the job\'s layout, located in the job file', () => {
    const job = `${JOB}\n[parallelism]\nexpert_parallel_degree = 8\ntensor_parallel_degree = 2\n`;
    const [spec] = analyzeTorchtitanToml(job, 'repo/torchtitan/models/qwen3/train_configs/qwen3_30b.toml', project).specs;
    assert.deepEqual(spec!.layout!.map((s) => [s.key, s.literal, job.slice(s.valueRange.start, s.valueRange.end)]), [
      ['expert_parallel_degree', { kind: 'int', value: 8 }, '8'],
      ['tensor_parallel_degree', { kind: 'int', value: 2 }, '2'],
    ]);
  });

  it('says so when the flavor or the model cannot be found, and on a TOML syntax error', () => {
    const missingFlavor = analyzeTorchtitanToml(JOB.replace('flavor = "30B-A3B"', 'flavor = "30B-A4B"'), 'repo/torchtitan/models/qwen3/train_configs/x.toml', project);
    assert.deepEqual(missingFlavor.specs, []);
    assert.match(missingFlavor.notes[0]!.message, /^Flavor "30B-A4B" is not one MoE Lens read; did you mean "30B-A3B"\?$/);
    assert.equal(missingFlavor.notes[0]!.detail, 'Its router is not checked. repo/torchtitan/models/qwen3/__init__.py has: 30B-A3B.', 'the flavors it has go to the hover');
    // A name of any length keeps the note in one row (helper review Q).
    for (const flavor of [`30B-A3B_${'with_extra_long_name_'.repeat(4)}`, `30B-A3b${'x'.repeat(60)}`]) {
      const long = analyzeTorchtitanToml(JOB.replace('flavor = "30B-A3B"', `flavor = "${flavor}"`), 'repo/torchtitan/models/qwen3/train_configs/x.toml', project);
      assert.ok(long.notes[0]!.message.length <= 100, long.notes[0]!.message);
    }
    const longModel = analyzeTorchtitanToml(JOB.replace('"qwen3"', `"${'deepseek_v3_experimental_internal_fork_'.repeat(2)}"`), 'repo/torchtitan/models/qwen3/train_configs/x.toml', project);
    assert.ok(longModel.notes[0]!.message.length <= 100, longModel.notes[0]!.message);
    const farOff = analyzeTorchtitanToml(JOB.replace('flavor = "30B-A3B"', 'flavor = "235B"'), 'repo/torchtitan/models/qwen3/train_configs/x.toml', project);
    assert.doesNotMatch(farOff.notes[0]!.message, /Did you mean/, 'no suggestion when nothing is close');
    const missingModel = analyzeTorchtitanToml(JOB.replace('"qwen3"', '"llama9"'), 'repo/torchtitan/models/qwen3/train_configs/x.toml', project);
    assert.match(missingModel.notes[0]!.message, /^Model "llama9"'s flavors are not in this workspace; its router is not checked\.$/);
    assert.match(missingModel.notes[0]!.detail ?? '', /looked for torchtitan\/models\/llama9\/__init__\.py in the folders above this job file/);
    // A dense model has no router to miss (Doraemonzzz/torchtitan_plugin @224600d config/llama/*.toml; sweep 35).
    for (const dense of ['llama', 'llama2', 'llama3', 'flux']) {
      assert.deepEqual(analyzeTorchtitanToml(JOB.replace('"qwen3"', `"${dense}"`), 'repo/config/llama/x.toml', project).notes, [], dense);
    }
    const broken = analyzeTorchtitanToml('[model\nname = "qwen3"\nflavor = "x"\n', 'x.toml', project);
    assert.match(broken.notes[0]!.message, /^TOML syntax error/);
  });

  it("a dense flavor (llama3's \"8B\", qwen3's \"0.6B\") is no MoE config: nothing is said; an MoE-looking entry not read keeps its note", () => {
    const dense = new ProjectIndex();
    // As torchtitan's flavor files spell them: an entry built in place, and one that names a function of the file.
    dense.setText(
      'repo/torchtitan/models/qwen3/__init__.py',
      'def _0_6b():\n    return Qwen3ModelArgs(dim=1024, n_layers=28)\n\ndef _odd():\n    return Qwen3ModelArgs(dim=2048, moe_enabled=True, moe_args=build())\n\nqwen3_configs = {\n    "8B": Qwen3ModelArgs(dim=4096, n_layers=36),\n    "0.6B": _0_6b,\n    "odd": _odd,\n    "30B-A3B": MoEArgs(num_experts=128, top_k=8, score_func="softmax", route_norm=True),\n}\n',
    );
    const job = (flavor: string) => analyzeTorchtitanToml(JOB.replace('flavor = "30B-A3B"', `flavor = "${flavor}"`), 'repo/torchtitan/models/qwen3/train_configs/x.toml', dense);
    for (const flavor of ['8B', '0.6B']) assert.deepEqual(job(flavor), { specs: [], notes: [] }, flavor);
    assert.match(job('odd').notes[0]?.message ?? '', /Flavor "odd" is not one MoE Lens found/, 'it says moe: an MoE flavor not read, not a dense one');
    assert.match(job('70B').notes[0]?.message ?? '', /Flavor "70B" is not one MoE Lens found/, 'a flavor the file does not define');
    assert.equal(job('30B-A3B').specs.length, 1);
  });

  it('reads only the [model] table: thousands of other keys cost a text scan, and offsets are kept', () => {
    const before = `[training]\n${Array.from({ length: 50_000 }, (_, i) => `k${i} = ${i}`).join('\n')}\n`;
    const job = `${before}${JOB.slice(JOB.indexOf('[model]'))}[parallelism]\nexpert_parallel_degree = 8\n`;
    const started = performance.now();
    const { specs, notes } = analyzeTorchtitanToml(job, 'repo/torchtitan/models/qwen3/train_configs/big.toml', project);
    const ms = performance.now() - started;
    assert.deepEqual(notes, []);
    assert.equal(job.slice(specs[0]!.anchorRange.start, specs[0]!.anchorRange.end), '"30B-A3B"');
    // The whole file through the TOML parser took over a second; the [model] table alone, milliseconds.
    assert.ok(ms < 500, `${ms.toFixed(0)} ms`);
  });
});
