/**
 * Megatron flags written as Python strings (miles' `scripts/models/*.py`, Fast-LLM's test argv lists): read as the
 * launch words they become, each value located in the Python file, a module constant an f-string takes followed to
 * where it is written; argparse definitions and docstrings that name a flag are no launch.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeDocument } from '../../src/core/analyze';
import { lintText } from '../../src/core/lint';
import { provenanceOf } from '../../src/core/model/router-spec';
import { applyEdits } from '../../src/core/text/source';

const MILES = resolve(import.meta.dirname, '..', 'corpus', 'sweep11', 'radixark__miles@31f1ca9', 'scripts', 'models');
const specsOf = (file: string, text: string) => analyzeDocument(file, text).specs;

describe('Megatron flags in Python strings', () => {
  it("miles @31f1ca9 deepseek-v3.py: every routing value read where the string writes it; unwritten flags assumed", () => {
    const file = `${MILES}/deepseek-v3.py`;
    const text = readFileSync(file, 'utf8');
    const [spec, ...rest] = specsOf(file, text);
    assert.equal(rest.length, 0);
    assert.equal(spec!.dialect, 'megatron-args');
    const at = (field: { sites: readonly { valueRange: { start: number; end: number } }[] }) => text.slice(field.sites[0]!.valueRange.start, field.sites[0]!.valueRange.end);
    assert.deepEqual([at(spec!.experts), at(spec!.topK), at(spec!.scoreFunc), at(spec!.scale)], ['256', '8', 'sigmoid', '2.5']);
    assert.deepEqual([spec!.groups?.count.value, spec!.groups?.selected.value, spec!.selectionBias.value, spec!.routerBias.value], [8, 4, 'learned', false]);
    // miles passes these words with the rest of a launch: a flag they do not write may be set there.
    assert.equal(spec!.launch?.complete, false);
    assert.equal(provenanceOf(spec!.normalize), 'assumed');
    assert.equal(spec!.insertion, undefined, 'no fix adds a flag inside the strings');
    assert.deepEqual(lintText(file, text).diagnostics.map((d) => d.code), []);
  });

  it("miles @31f1ca9 glm5-744B-A40B.py: f\"--num-experts {MOE_ROUTED_EXPERTS} \" is the module constant, located where it is written", () => {
    const file = `${MILES}/glm5-744B-A40B.py`;
    const text = readFileSync(file, 'utf8');
    const [spec] = specsOf(file, text);
    assert.deepEqual([spec!.experts.value, spec!.topK.value], [256, 8]);
    assert.equal(provenanceOf(spec!.experts), 'resolved');
    const line = (offset: number) => text.slice(0, offset).split('\n').length;
    assert.deepEqual([line(spec!.experts.sites[0]!.valueRange.start), line(spec!.topK.sites[0]!.valueRange.start)], [1, 2]);
  });

  it('a published model\'s wrong value in a string or a constant gets MOE001, and its fix edits the Python so that it lints clean', () => {
    const text = 'TOP_K = 8\n\n\ndef model_args():\n    return (\n        "--num-experts 128 "\n        f"--moe-router-topk {TOP_K} "\n    )\n';
    const file = '/w/scripts/models/gpt-oss-120b.py';
    const found = lintText(file, text).diagnostics.filter((d) => d.code === 'MOE001');
    assert.deepEqual(found.map((d) => [d.message.split(',')[0], text.slice(d.range.start, d.range.end)]), [['`--moe-router-topk` is 8', '8']]);
    const fixed = applyEdits(text, found[0]!.fixes[0]!.edits).text;
    assert.equal(fixed, text.replace('TOP_K = 8', 'TOP_K = 4'));
    assert.deepEqual(lintText(file, fixed).diagnostics.filter((d) => d.code === 'MOE001' && /moe_router_topk/.test(d.message)), []);
  });

  it('a value computed in an f-string is not known; each group of strings is a launch of its own, named by its code', () => {
    const text = [
      'def small(k):',
      '    return (',
      '        "--num-experts 8 "',
      '        f"--moe-router-topk {k} "',
      '    )',
      '',
      '',
      'def big():',
      '    return "--num-experts 64 --moe-router-topk 6"',
      '',
      '',
      'ARGV = ["--num-experts=4", "--moe-router-topk=2"]',
      '',
    ].join('\n');
    const specs = specsOf('/w/args.py', text);
    assert.deepEqual(specs.map((s) => [s.name, s.experts.value, s.topK.value]), [['small', 8, undefined], ['big', 64, 6], ['ARGV', 4, 2]]);
    assert.match(specs[0]!.topK.unknown ?? '', /is not a number written in the file/);
  });

  it('a file of many flag strings is read in its first 16; a group longer than 64 KB is not read', () => {
    const many = Array.from({ length: 20 }, (_, i) => `X${i} = "--num-experts ${8 + i} --moe-router-topk 2"`).join('\n');
    assert.deepEqual(specsOf('/w/many.py', many).map((s) => s.experts.value), Array.from({ length: 16 }, (_, i) => 8 + i));
    const long = `X = ("--num-experts 8 "\n${'    "--moe-router-topk 2 "\n'.repeat(3000)})\n`;
    assert.deepEqual(specsOf('/w/long.py', long), []);
  });

  it('argparse definitions, help text, usage lines in docstrings and printed messages that name a flag are no launch', () => {
    const text = 'def add(parser):\n    """Adds --num-experts to the parser."""\n    parser.add_argument("--num-experts", type=int, help="--moe-router-topk sets k")\n    parser.add_argument("--moe-router-topk", type=int, default=2)\n';
    assert.deepEqual(specsOf('/w/arguments.py', text), []);
    // Megatron-LM @d98e8a6 tools/moe_routing/analyze_routing.py (its own flag, in its usage) and
    // analyze_routing_predictability.py l.189 (a warning it prints).
    const tool = '"""Usage:\n    python analyze_routing.py /path/to/trace_dir --num-experts 512\n"""\n\n\ndef check(args, E):\n    if args.num_experts != E:\n        print(f"WARNING: --num-experts {args.num_experts} != router weight dim {E}. Using {E}.")\n';
    assert.deepEqual(specsOf('/w/tools/analyze_routing.py', tool), []);
  });
});
