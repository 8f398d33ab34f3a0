/** Small helpers rules share. */
import { isKnown, literalText, type Field, type Literal, type RouterSpec, type Site } from '../model/router-spec';
import type { SourceRange } from '../text/source';
import { writtenKey } from '../parse/spelling';
import type { RuleContext } from './types';
import { flagOf } from '../model/flag-name';

/** The sites written in the linted file itself (a value written in an imported module is reported at the config). */
export function localSites(field: Field<unknown>): Site[] {
  return field.sites.filter((site) => site.file === undefined);
}

/** Where to flag a field: the value the framework reads (last site in this file), else the config's anchor. */
export function fieldRange(spec: RouterSpec, field: Field<unknown>): SourceRange {
  const sites = localSites(field);
  const site = sites[sites.length - 1];
  return site ? site.valueRange : spec.anchorRange;
}

/** Whether every field is known: rules never assert on a value MoE Lens could not determine or only assumed. */
export function allKnown(...fields: (Field<unknown> | undefined)[]): boolean {
  return fields.every((field) => isKnown(field));
}

/**
 * Whether the config itself holds its unwritten defaults: a torchtitan class's, a `config.json`'s config class's, a
 * Megatron flag's only in a launch that writes every flag it passes (`$EXTRA_ARGS`, a sourced file, MindSpeed's
 * patches or a YAML's other layers may set it elsewhere).
 */
export function defaultsHold(spec: RouterSpec): boolean {
  if (spec.dialect === 'megatron-args') return spec.launch?.complete === true;
  return spec.dialect === 'torchtitan-python' || spec.dialect === 'hf-json' || spec.dialect === 'deepseek-json';
}

/**
 * A field's key for a message, as the file spells it (`--moe-router-topk` in a launch script; issue #12), or, not
 * written, the key that would set it (`fallback`), as a flag on a command line.
 */
export function keyOf(field: Field<unknown>, fallback: string, context?: Pick<RuleContext, 'text' | 'dialect'>): string {
  const site = field.sites[field.sites.length - 1];
  if (site) return context && site.file === undefined ? writtenKey(site, context.text) : site.key;
  return context?.dialect === 'megatron-args' && /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/.test(fallback) ? flagOf(fallback) : fallback;
}

export { editDistance } from '../text/edit-distance';

/** Re-exported for the rules: how a literal reads in a message. */
export { literalText };

export function sameLiteral(a: Literal, b: Literal): boolean {
  const numeric = (l: Literal): number | undefined => (l.kind === 'int' || l.kind === 'float' ? l.value : undefined);
  if (numeric(a) !== undefined && numeric(b) !== undefined) return numeric(a) === numeric(b);
  if (a.kind !== b.kind) return false;
  if (a.kind === 'expression' || b.kind === 'expression') return false;
  return literalText(a) === literalText(b);
}

/** The sites in this file that set counts (experts, top-k, groups). */
export function countSites(spec: RouterSpec): Site[] {
  return [spec.experts, spec.topK, spec.groups?.count, spec.groups?.selected].flatMap((f) => (f ? localSites(f) : []));
}

export const isTorchtitan = (spec: RouterSpec): boolean => spec.framework === 'torchtitan';
