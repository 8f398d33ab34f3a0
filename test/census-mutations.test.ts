/**
 * Mutated copies of a real launch script, one pair per Megatron-LM launch check: Megatron-LM's own Mixtral
 * example (test/corpus/megatron/NVIDIA__Megatron-LM@d98e8a6/examples/mixtral/train_mixtral_8x7b_distributed.sh,
 * a whole launch: it runs pretrain_gpt.py with every flag in the file) with the check's breaking flags added to
 * its MoE array must get that check, on the line of the flag it names; with the nearest valid flags instead it
 * must not. The generated rule tests prove each check on a minimal command line; these prove it among the flags
 * of a real file, where Megatron's defaults and the file's own flags meet it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { lintText } from '../src/core/lint';
import { LineIndex } from '../src/core/text/source';
import { analyzeMegatronArgs } from '../src/core/parse/megatron';
import { MEGATRON_LAUNCH_CHECKS, type MegatronLaunchCheck, type WrittenFlags } from '../src/core/references/megatron-launch-checks';
import { readFlags } from '../src/core/references/megatron-launch-checks/written-flags';

const FILE = resolve(import.meta.dirname, 'corpus/megatron/NVIDIA__Megatron-LM@d98e8a6/examples/mixtral/train_mixtral_8x7b_distributed.sh');
const ORIGINAL = readFileSync(FILE, 'utf8');
const ANCHOR = '    --overlap-grad-reduce\n)';

const flag = (key: string): string => `--${key.replace(/_/g, '-')}`;

/** The flags a check's condition reads when it decides on its breaking flags (recorded, not guessed). */
function keysRead(check: MegatronLaunchCheck): Set<string> {
  const words = Object.entries(check.trigger).map(([key, value]) => `${flag(key)}${value === true ? '' : ` ${value}`}`);
  const spec = analyzeMegatronArgs(`torchrun pretrain_gpt.py --num-experts 64 --moe-router-topk 2 ${words.join(' ')}\n`, '/w/train.sh').specs[0]!;
  const flags = readFlags(spec);
  const read = new Set<string>();
  const recording = (name: keyof WrittenFlags) => (key: string) => {
    read.add(key);
    return (flags[name] as (key: string) => unknown)(key);
  };
  check.when({ complete: flags.complete, bridge: flags.bridge, on: recording('on'), text: recording('text'), number: recording('number'), list: recording('list'), written: recording('written') } as WrittenFlags);
  return read;
}

/**
 * The real file with the lines of the flags the check reads taken out (so that they are at Megatron's
 * defaults, as in the generated test) and `flags` added to its MOE_ARGS array.
 */
function mutated(check: MegatronLaunchCheck, flags: Readonly<Record<string, string | true>>): string {
  const read = keysRead(check);
  const kept = ORIGINAL.split('\n').filter((line) => {
    const written = /^\s*--([a-z0-9-]+)/.exec(line)?.[1]?.replace(/-/g, '_');
    if (written === undefined) return true;
    // The expert count and top-k stay (the file must remain an MoE config), unless the check writes its own.
    if (written === 'num_experts' && check.withoutExperts) return false;
    if ((written === 'num_experts' || written === 'moe_router_topk') && !(written in flags)) return true;
    const negates = written === 'disable_bias_linear' ? 'add_bias_linear' : written.replace(/^(no|disable)_/, '');
    return !(read.has(written) || read.has(negates) || written in flags);
  });
  const lines = Object.entries(flags).map(([key, value]) => `    ${flag(key)}${value === true ? '' : ` ${value}`}`);
  return kept.join('\n').replace(ANCHOR, `    --overlap-grad-reduce\n${lines.join('\n')}\n)`);
}

const findings = (text: string) => lintText(FILE, text).diagnostics.filter((d) => d.code === 'MOE020');

describe('mutated copies of a real Megatron-LM launch script', () => {
  it('the real file itself has no MOE020 finding', () => {
    assert.ok(ORIGINAL.includes(ANCHOR));
    assert.deepEqual(findings(ORIGINAL).map((d) => d.message), []);
  });

  // A launch script is a command line: the checks of configs of field names (fieldsOnly) never run on it, nor
  // those only a Megatron-Bridge config reaches (bridgeOnly).
  for (const check of MEGATRON_LAUNCH_CHECKS.filter((c) => !c.fieldsOnly && !c.bridgeOnly)) {
    it(`${check.id}: breaking flags added → the check fires on --${check.at.replace(/_/g, '-')}; nearest valid flags → it does not`, () => {
      const broken = mutated(check, check.trigger);
      const hits = findings(broken).filter((d) => d.detail?.includes(`(census ${check.id})`));
      assert.equal(hits.length, 1, `${check.id} did not fire once: ${findings(broken).map((d) => d.detail).join(' | ')}`);
      const lines = new LineIndex(broken);
      const flagLine = broken.split('\n').findLastIndex((l) => l.trim().startsWith(`--${check.at.replace(/_/g, '-')}`));
      assert.equal(lines.positionAt(hits[0]!.range.start).line, flagLine);
      const quiet = findings(mutated(check, check.valid)).filter((d) => d.detail?.includes(`(census ${check.id})`));
      assert.deepEqual(quiet.map((d) => d.message), []);
    });
  }
});
