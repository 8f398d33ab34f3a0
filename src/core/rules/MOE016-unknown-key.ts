import type { UnknownKey } from '../model/router-spec';
import { editDistance } from './helpers';
import type { Rule, RuleContext } from './types';

/** The one accepted key close enough to be what was meant; none when two are equally close. */
function nearest(unknownKey: UnknownKey): string | undefined {
  const scored = unknownKey.accepted.map((key) => ({ key, distance: editDistance(unknownKey.key.toLowerCase(), key.toLowerCase(), 2) })).filter((s) => s.distance <= 2);
  const best = Math.min(...scored.map((s) => s.distance));
  const at = scored.filter((s) => s.distance === best);
  return at.length === 1 ? at[0]!.key : undefined;
}

export const unknownKey = {
  code: 'MOE016',
  name: 'unknown-key',
  category: 'structure',
  defaultSeverity: 'error',
  status: 'preview',
  since: '0.2.0',
  messages: {
    notAKeyword: '`{key}` is not a keyword `{owner}` takes{suggestion}',
  },
  fix: { availability: 'sometimes', kinds: { rename: { title: 'Rename `{key}` to `{suggestion}`', safety: 'safe' } } },
  docs: {
    what:
      'Flags a keyword that the config class does not take: a misspelt `MoEArgs(topk=2)`, or a key of another framework. It fires only where the class is resolved through the file\'s imports to a declaration in the workspace whose keywords are known exactly (a dataclass\'s fields, or an `__init__` without `**kwargs`), and offers the nearest keyword when one is clearly meant.',
    why: 'Python raises TypeError ("got an unexpected keyword argument") when the config is built, which in a flavor table means at import, after the job was queued; in a builder function it fails only when that flavor is chosen.',
    example: {
      dialect: 'python',
      code: 'from dataclasses import dataclass\n\n@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    top_k: int = 1\n\nmoe = MoEArgs(num_experts=8, topk=2)\n',
    },
    useInstead: {
      dialect: 'python',
      code: 'from dataclasses import dataclass\n\n@dataclass\nclass MoEArgs:\n    num_experts: int = 8\n    top_k: int = 1\n\nmoe = MoEArgs(num_experts=8, top_k=2)\n',
    },
    fixSafety: 'The rename is offered only for one clearly nearest keyword that the call does not write already; the config does not build without it, so no working behaviour changes.',
    references: [
      'Python docs, dataclasses: the generated `__init__` takes exactly the fields (not `ClassVar`, not `init=False`)',
      'torchtitan torchtitan/models/moe/moe.py @238fa9953 lines 21–41 (`MoEArgs` is a dataclass)',
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
        const suggestion = nearest(unknown);
        const written = new Set(spec.sites.filter((s) => s.file === undefined).map((s) => s.key));
        const shown = [...unknown.accepted].sort();
        context.report({
          messageId: 'notAKeyword',
          data: { key: unknown.key, owner: unknown.owner, suggestion: suggestion ? ` (did you mean \`${suggestion}\`?)` : '' },
          detail: `Building it raises TypeError: __init__() got an unexpected keyword argument '${unknown.key}'. \`${unknown.owner}\` takes: ${shown.slice(0, 16).join(', ')}${shown.length > 16 ? ', …' : ''}.`,
          range: unknown.keyRange,
          fixes: suggestion && !written.has(suggestion) ? [{ kind: 'rename', data: { key: unknown.key, suggestion }, edits: [{ range: unknown.keyRange, newText: suggestion }], preferred: true }] : [],
        });
      }
    }
  },
} satisfies Rule;
