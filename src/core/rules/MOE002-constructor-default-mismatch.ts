import type { Literal } from '../model/router-spec';
import type { DataclassDecl } from '../parse/python/declarations';
import { namesClass } from '../parse/python/imports';
import { TORCHTITAN_ROUTER_KEYS } from '../references/torchtitan';
import { literalText, sameLiteral } from './helpers';
import type { Rule, RuleContext } from './types';
import { baseName } from '../text/paths';

/**
 * Whether a constructor's body gives a `None` parameter a value of its own: `name or D`, `name if name is not None
 * else D`, `D if name is None else name`, `if name is None:` (jianzhnie/Kimi2-PCL @095a804
 * utils/get_mcore_weights_from_ckpt.py l.976: `num_experts=num_experts or 128` beside `ModelConfig.num_experts = 128`).
 */
export function replacesNone(body: string, name: string): boolean {
  const n = name.replace(/[^A-Za-z0-9_]/g, '');
  return new RegExp(String.raw`\b${n}\s+or\b|\b${n}\s+is\s+(?:not\s+)?None\b|\bNone\s+(?:is\s+not|is|!=|==)\s+${n}\b|\b${n}\s*(?:!=|==)\s*None\b`).test(body);
}

/**
 * The text to write for a value: as its source spells it when that is the literal itself, else the literal
 * printed back where that is exact Python (`field(default=4)` gives `4`); undefined when neither is safe.
 */
function valueSource(source: string | undefined, literal: Literal): string | undefined {
  if (source !== undefined && !source.includes('(')) return source;
  if (literal.kind === 'float' || literal.kind === 'int') return Number.isFinite(literal.value) && (literal.kind === 'float' || Number.isSafeInteger(literal.value)) ? literalText(literal) : undefined;
  return literal.kind === 'expression' ? undefined : literalText(literal);
}

export const constructorDefaultMismatch = {
  code: 'MOE002',
  name: 'constructor-default-mismatch',
  category: 'structure',
  defaultSeverity: 'warning',
  status: 'stable',
  since: '0.1.0',
  messages: {
    mismatch: '`{className}` defaults `{param}` to {ctorValue}, `{dataclass}` to {fieldValue}',
  },
  fix: {
    availability: 'always',
    kinds: {
      matchDataclass: { title: 'Set the `{name}` default to {value} (match `{dataclass}`)', safety: 'safe' },
      // Changes what every other user of the dataclass gets; it names the file it edits.
      matchConstructor: { title: 'Set `{dataclass}.{name}` to {value} (match the constructor){where}', safety: 'unsafe' },
    },
  },
  docs: {
    what:
      'Compares the parameter defaults of a class `__init__` (such as a router) with the field defaults of the `@dataclass` that configures it (such as `MoEArgs`), and flags routing parameters (`top_k`, `score_func`, `topk_before_score`, …) whose defaults disagree. The dataclass is one the constructor\'s file declares or imports (through re-exports too): a file that never names a config class is not compared with it, whatever its fields. Other shared names (`dim`, `dtype`) are not compared: a module that takes a torch `dtype` beside a config\'s `dtype = "fp8"` shares a name, not a meaning. A `None` default that the constructor body replaces (`x or 128`, `x if x is not None else …`, `if x is None:`) means "not given": what it becomes is not compared.',
    why:
      'Code that builds the router from the dataclass gets the dataclass default, while code (and tests) that construct the router directly get the constructor default: the same name means two routings. torchtitan PR #2212 gave `TokenChoiceTopKRouter.__init__` `topk_before_score: bool = True` while `MoEArgs` said `False`; its review asked that the config stay the source of truth.',
    example: {
      dialect: 'python',
      code: '@dataclass\nclass MoEArgs:\n    top_k: int = 1\n    topk_before_score: bool = False\n\nclass TokenChoiceTopKRouter(nn.Module):\n    def __init__(self, dim: int, top_k: int, topk_before_score: bool = True):\n        super().__init__()\n',
    },
    useInstead: {
      dialect: 'python',
      code: '@dataclass\nclass MoEArgs:\n    top_k: int = 1\n    topk_before_score: bool = False\n\nclass TokenChoiceTopKRouter(nn.Module):\n    def __init__(self, dim: int, top_k: int, topk_before_score: bool = False):\n        super().__init__()\n',
    },
    fixSafety:
      'Aligning the constructor to the dataclass is safe: configs keep their behaviour, which is what `--fix` and fix-all do. Changing the dataclass instead changes every config that relies on the default, so that quick fix is marked unsafe.',
    references: ['torchtitan PR #2212 review (the dataclass is the source of truth)', 'torchtitan torchtitan/models/moe/moe.py @238fa9953 lines 21–41, 210–232'],
  },
  check(context: RuleContext) {
    const declarations = context.declarations;
    if (!declarations || declarations.constructors.length === 0) return;
    const seen = new Set<string>();
    const dataclasses: DataclassDecl[] = [];
    // Imports decide which classes this file can mean (a standalone benchmark's Router was compared with a
    // TransformerModelArgs it never imports: NousResearch/torchtitan @d9cc6b4 simpleMoE.py).
    const python = context.python;
    const sources = { has: (f: string) => f === context.file || context.project.hasModule(f), parse: (f: string) => (f === context.file ? python : context.project.parsedModule(f)) };
    for (const decl of [...declarations.dataclasses, ...context.project.dataclassesDeclaring(TORCHTITAN_ROUTER_KEYS)]) {
      const id = `${decl.file}\u0000${decl.name}`;
      if (seen.has(id)) continue;
      seen.add(id);
      if (![...decl.fields.keys()].some((name) => TORCHTITAN_ROUTER_KEYS.has(name))) continue;
      // Only one a constructor here could mirror (two shared names) is worth following this file's imports for.
      if (!declarations.constructors.some((ctor) => sharesTwo(ctor.params, decl.fields))) continue;
      // A class this file names through an import is spelled in it (its own name in the import, or at its use); one
      // re-exported under another name on the way is not followed.
      if (decl.file !== context.file && (!python || !context.text.includes(decl.name.split('.')[0]!) || !namesClass(sources, context.file, python, decl.name, decl.file))) continue;
      dataclasses.push(decl);
    }
    for (const ctor of declarations.constructors) {
      // The one dataclass this constructor mirrors: the most shared parameters (at least two), one in this
      // file first. Pairing it with every look-alike made a hostile file report quadratically (issue #14).
      let best: { dataclass: DataclassDecl; shared: string[] } | undefined;
      for (const dataclass of dataclasses) {
        if (dataclass.name === ctor.className) continue;
        const shared = [...ctor.params.keys()].filter((name) => dataclass.fields.has(name));
        if (shared.length < 2) continue; // not the class this dataclass configures
        const better = !best || shared.length > best.shared.length || (shared.length === best.shared.length && dataclass.file === context.file && best.dataclass.file !== context.file);
        if (better) best = { dataclass, shared };
      }
      if (best) {
        const { dataclass, shared } = best;
        // Only routing settings: a module that also takes `dtype` or `dim` (DeepSeek-V4's `Expert(dim, inter_dim,
        // dtype=None)` beside `ModelArgs.dtype = "fp8"`) shares a name, not a meaning.
        for (const name of shared.filter((n) => TORCHTITAN_ROUTER_KEYS.has(n))) {
          const param = ctor.params.get(name)!;
          const field = dataclass.fields.get(name)!;
          if (!param.literal || !param.valueRange || !field.literal || !field.valueRange) continue;
          if (param.literal.kind === 'expression' || field.literal.kind === 'expression') continue;
          // `x=None` that the body replaces (`x or 128`) is "not given", not a second default: what it becomes is not compared.
          if (param.literal.kind === 'none' && ctor.bodyRange && replacesNone(context.text.slice(ctor.bodyRange.start, ctor.bodyRange.end), name)) continue;
          if (sameLiteral(param.literal, field.literal)) continue;
          const otherFile = dataclass.file === context.file ? undefined : dataclass.file;
          // Each side's value as its source spells it: re-printing a parsed number could write `Infinity` or
          // turn an exact integer into `1e+23` (issue #14). No text, no fix.
          const fieldText = valueSource((otherFile ? context.project.textOf(otherFile) : context.text)?.slice(field.valueRange.start, field.valueRange.end), field.literal);
          const paramText = valueSource(context.text.slice(param.valueRange.start, param.valueRange.end), param.literal);
          context.report({
            messageId: 'mismatch',
            data: {
              className: ctor.className,
              param: name,
              ctorValue: literalText(param.literal),
              dataclass: dataclass.name,
              fieldValue: literalText(field.literal),
            },
            detail: `Code that calls \`${ctor.className}.__init__\` without \`${name}\` gets ${literalText(param.literal)}, while \`${dataclass.name}.${name}\` defaults to ${literalText(field.literal)} for code that builds it from \`${dataclass.name}\`: the same name means two routings.`,
            range: param.valueRange,
            related: [
              {
                ...(otherFile ? { file: otherFile } : {}),
                range: field.valueRange,
                message: `\`${dataclass.name}.${name}\` defaults to ${literalText(field.literal)} here`,
              },
            ],
            fixes: [
              {
                kind: 'matchDataclass',
                data: { name, value: literalText(field.literal), dataclass: dataclass.name },
                edits: fieldText !== undefined ? [{ range: param.valueRange, newText: fieldText }] : [],
                preferred: true,
              },
              {
                kind: 'matchConstructor',
                data: { name, value: literalText(param.literal), dataclass: dataclass.name, where: otherFile ? ` in ${baseName(otherFile)}` : '' },
                edits: paramText !== undefined ? [{ ...(otherFile ? { file: otherFile } : {}), range: field.valueRange, newText: paramText }] : [],
              },
            ],
          });
        }
      }
    }
  },
} satisfies Rule;

/** Whether a constructor's parameters and a dataclass's fields share at least two names (the pairing below needs two). */
function sharesTwo(params: ReadonlyMap<string, unknown>, fields: ReadonlyMap<string, unknown>): boolean {
  let shared = 0;
  for (const name of params.keys()) if (fields.has(name) && ++shared >= 2) return true;
  return false;
}
