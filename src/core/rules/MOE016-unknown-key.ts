import type { UnknownKey } from '../model/router-spec';
import { editDistance } from './helpers';
import type { Rule, RuleContext } from './types';
import { flagOf } from '../model/flag-name';

/** The one accepted key close enough to be what was meant; none when two are equally close. */
function nearest(unknownKey: UnknownKey): string | undefined {
  const scored = unknownKey.accepted.map((key) => ({ key, distance: editDistance(unknownKey.key.toLowerCase(), key.toLowerCase(), 2) })).filter((s) => s.distance <= 2);
  const best = Math.min(...scored.map((s) => s.distance));
  const at = scored.filter((s) => s.distance === best);
  return at.length === 1 ? at[0]!.key : undefined;
}

/** The longest message a Problems row shows whole (issue #12). */
const ROW = 100;

/**
 * The phrase naming who rejects the key, kept in the message where the message fits a row; where a long key does
 * not leave room, it moves to the detail (as `moved`) and the message keeps the key and the key meant.
 */
function ownerPhrase(withOwner: string, phrase: string, without: string, sentence: string): { phrase: string; moved: string } {
  return withOwner.length <= ROW ? { phrase, moved: '' } : { phrase: without, moved: `${sentence} ` };
}

export const unknownKey = {
  code: 'MOE016',
  name: 'unknown-key',
  category: 'structure',
  defaultSeverity: 'error',
  status: 'preview',
  since: '0.2.0',
  census: ['DS-005', 'HF-010', 'MB-023'],
  messages: {
    notAKeyword: '`{key}` is not a keyword{owner}{suggestion}',
    notRead: '`{key}` is not a key{reader} (did you mean `{suggestion}`?)',
    notAFlag: '`{flag}` is {unknown} (did you mean `{suggestion}`?)',
    notAFlagLong: 'Not a Megatron-LM argument; did you mean `{suggestion}`?',
    ignored: '`{key}` is not a key {owner} reads: {instead}',
  },
  fix: {
    availability: 'sometimes',
    kinds: {
      rename: { title: 'Rename `{key}` to `{suggestion}`', safety: 'safe' },
      // The key meant starts being read: the router changes from its default to the value written.
      readAs: { title: 'Rename `{key}` to `{suggestion}` so that it is read', safety: 'unsafe' },
      // A fork's extra arguments may define the flag as written: renaming it is not certain to keep behaviour.
      renameFlag: { title: 'Replace `{flag}` with `{suggestion}`', safety: 'unsafe' },
    },
  },
  docs: {
    what:
      'Flags a keyword that the config class does not take: a misspelt `MoEArgs(topk=2)`, or a key of another framework. It fires only where the class is resolved through the file\'s imports to a declaration in the workspace whose keywords are known exactly (a dataclass\'s fields, or an `__init__` without `**kwargs`), and offers the nearest keyword when one is clearly meant. A DeepSeek inference config (`inference/configs/*.json`) is checked the same way against the `ModelArgs` dataclass of the checkout\'s own `inference/model.py`, which `generate.py` builds with `ModelArgs(**json.load(f))`. In a Megatron-LM command line, a flag one or two letters from a router flag the line does not pass (`--moe-router-topK`), and any flag that a `pretrain_*.py` entry point receives which is not one of the 865 its `parse_args` defines but one letter (two for long names) from exactly one of them (`--tensor-model-paralel-size`), is a warning: Megatron\'s parser rejects it, unless a fork defines it; so in a script MindSpeed (Ascend NPUs) or Megatron-DeepSpeed runs, whose parsers add flags of their own, only a near miss of a router flag is. In a DBRX `config.json`, a near miss inside `ffn_config` is an error: transformers\' `DbrxFFNConfig` rejects unknown keys (still in 5.18.0), so the config does not load. In an OLMoE `config.json`, a `scoring_func` other than softmax is a warning: transformers keeps it and never reads it (OLMoE always scores with softmax), and Megatron-Bridge\'s OLMoE conversion refuses it. In a JSON config (HF `config.json`, DeepSeek\'s and gpt-oss\'s own, without that model.py), it flags a top-level key one or two letters from a routing key that the file does not set (`num_expert_per_tok`), as a warning: the key meant is then at its default. It stays quiet on the keys every transformers config reads itself (`PretrainedConfig`\'s generation defaults: a config saved from a loaded model has `"top_k": 50`, sampling\'s top-k), on keys the model\'s own config class defines near a routing key (Nemotron-H\'s Mamba `n_groups`), and in a `config.json` whose `model_type` MoE Lens does not know: its reader (remote code, a newer transformers) may read any key.',
    why: 'Python raises TypeError ("got an unexpected keyword argument") when the config is built, which in a flavor table means at import, after the job was queued; in a builder function it fails only when that flavor is chosen. transformers keeps an unknown `config.json` key as an attribute and never reads it, so a misspelt routing key silently routes with the default.',
    example: {
      dialect: 'python',
      code: 'from dataclasses import dataclass\n\n@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    top_k: int = 1\n\nmoe = MoEArgs(num_experts=8, topk=2)\n',
    },
    useInstead: {
      dialect: 'python',
      code: 'from dataclasses import dataclass\n\n@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    top_k: int = 1\n\nmoe = MoEArgs(num_experts=8, top_k=2)\n',
    },
    fixSafety: 'A Python keyword is renamed only to one clearly nearest keyword that the call does not write already; the config does not build without it, so no working behaviour changes (safe). Renaming a JSON key makes the router read a value it ignored so far, which changes the routing, so that fix is unsafe.',
    references: [
      'Python docs, dataclasses: the generated `__init__` takes exactly the fields (not `ClassVar`, not `init=False`)',
      'transformers PretrainedConfig.__init__: keys it does not know are set as attributes (`setattr(self, key, value)`), read by no model code',
      'transformers configuration_utils.py `PretrainedConfig._get_global_generation_defaults()`: `max_length`, `do_sample`, `num_beams`, `temperature`, `top_k` (50), `top_p`, … (the generation keys a saved config carries)',
      'NVIDIA/Megatron-LM megatron/training/arguments.py `parse_args`: `argparse.ArgumentParser(description=\'Megatron-LM Arguments\', allow_abbrev=False)`, then `parser.parse_args()` unless `ignore_unknown_args`; the flags it defines @d98e8a6 are listed by scripts/extract_megatron_flags.py (src/core/references/megatron-flags.ts)',
      'deepseek-ai/DeepSeek-V3 inference/generate.py: `args = ModelArgs(**json.load(f))`; inference/model.py @b15f0db lines 55–86 (`ModelArgs` fields)',
      'torchtitan torchtitan/models/moe/moe.py @238fa9953 lines 21–41 (`MoEArgs` is a dataclass)',
      "NVIDIA-NeMo/Megatron-Bridge src/megatron/bridge/models/olmoe/olmoe_bridge.py @067f987 line 92: `if hasattr(hf_config, \"scoring_func\") and hf_config.scoring_func != \"softmax\": raise ValueError(...)`",
    ],
  },
  /**
   * The file as a whole: a builder's call site reached from several flavors is one finding, not one per
   * flavor.
   */
  check(context: RuleContext) {
    const seen = new Set<number>();
    for (const spec of context.specs) {
      for (const unknown of spec.unknownKeys ?? []) {
        if (seen.has(unknown.keyRange.start)) continue;
        seen.add(unknown.keyRange.start);
        const written = new Set(spec.sites.filter((s) => s.file === undefined).map((s) => s.key));
        if (unknown.effect === 'flag') {
          const written = context.text.slice(unknown.keyRange.start, unknown.keyRange.end);
          const meant = unknown.accepted[0]!;
          const suggestion = flagOf(meant);
          const owner = ownerPhrase(`\`${written}\` is not a Megatron-LM argument (did you mean \`${suggestion}\`?)`, 'not a Megatron-LM argument', 'unknown', `\`${written}\` is not a Megatron-LM argument.`);
          // A long flag's typo and the flag meant do not both fit one row (issue #12): the range shows the typo.
          const fits = `\`${written}\` is unknown (did you mean \`${suggestion}\`?)`.length <= ROW;
          context.report({
            messageId: fits ? 'notAFlag' : 'notAFlagLong',
            data: { flag: written, unknown: owner.phrase, suggestion },
            detail: `${owner.moved}Megatron-LM parses its arguments with \`allow_abbrev=False\` and \`parser.parse_args()\` (megatron/training/arguments.py), so \`${written}\` stops the launch with "unrecognized arguments" and \`${suggestion}\` keeps its default; unless the entry script's extra arguments define it.`,
            range: unknown.keyRange,
            severity: 'warning',
            fixes: [{ kind: 'renameFlag', data: { flag: written, suggestion }, edits: [{ range: unknown.keyRange, newText: suggestion }] }],
          });
          continue;
        }
        if (unknown.effect === 'ignored' && unknown.instead !== undefined) {
          // Another model's routing key: kept, never read; a stricter reader of the same file stops on it.
          context.report({
            messageId: 'ignored',
            data: { key: unknown.key, owner: unknown.owner, instead: unknown.instead },
            detail: `${unknown.owner} keeps \`${unknown.key}\` as an attribute that no model code reads.${unknown.raises ? ` ${unknown.raises}.` : ''}`,
            range: unknown.keyRange,
            severity: 'warning',
          });
          continue;
        }
        if (unknown.effect === 'ignored') {
          // A JSON config's near miss: read by nothing, so the router runs with the default of the key meant.
          const meant = unknown.accepted[0]!;
          // A reader sure to raise on a key it does not define (DBRX's FFN config) never loads the file.
          const owner = ownerPhrase(`\`${unknown.key}\` is not a key ${unknown.owner} reads (did you mean \`${meant}\`?)`, ` ${unknown.owner} reads`, '', `\`${unknown.key}\` is not a key ${unknown.owner} reads.`);
          context.report({
            messageId: 'notRead',
            data: { key: unknown.key, reader: owner.phrase, suggestion: meant },
            detail: owner.moved + (unknown.stopsLoad
              ? `The config does not load: ${unknown.raises}. The key meant is \`${meant}\`, which this file does not set.`
              : `${unknown.owner} reads \`${meant}\`, which this file does not set, so the router uses its default; \`${unknown.key}\` is kept but never read${unknown.raises ? `, or stops the load: ${unknown.raises}` : ''}.`),
            range: unknown.keyRange,
            severity: unknown.stopsLoad ? 'error' : 'warning',
            fixes: [{ kind: 'readAs', data: { key: unknown.key, suggestion: meant }, edits: [{ range: unknown.keyRange, newText: context.formatValue(meant) }] }],
          });
          continue;
        }
        const suggestion = nearest(unknown);
        const shown = [...unknown.accepted].sort();
        const meant = suggestion ? ` (did you mean \`${suggestion}\`?)` : '';
        const owner = ownerPhrase(`\`${unknown.key}\` is not a keyword \`${unknown.owner}\` takes${meant}`, ` \`${unknown.owner}\` takes`, '', `\`${unknown.key}\` is not a keyword \`${unknown.owner}\` takes.`);
        context.report({
          messageId: 'notAKeyword',
          data: { key: unknown.key, owner: owner.phrase, suggestion: meant },
          detail: `${owner.moved}Building it raises TypeError: __init__() got an unexpected keyword argument '${unknown.key}'. \`${unknown.owner}\` takes: ${shown.slice(0, 16).join(', ')}${shown.length > 16 ? ', …' : ''}.`,
          range: unknown.keyRange,
          // A keyword is written bare; a JSON key (DeepSeek's ModelArgs config) in quotes.
          fixes: suggestion && !written.has(suggestion) ? [{ kind: 'rename', data: { key: unknown.key, suggestion }, edits: [{ range: unknown.keyRange, newText: /^["']/.test(context.text.slice(unknown.keyRange.start, unknown.keyRange.end)) ? JSON.stringify(suggestion) : suggestion }], preferred: true }] : [],
        });
      }
    }
  },
} satisfies Rule;
