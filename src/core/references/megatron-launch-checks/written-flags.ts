/**
 * How a launch check reads a Megatron config's flags (WrittenFlags): the last site of each dest name wins; a
 * `--no-X` / `--disable-X` switch writes X false (argument_utils.py l.183 names store_false flags so); an
 * unwritten flag of a whole launch reads as Megatron's default, and each default read is remembered so that the
 * diagnostic can say which ones it rests on.
 */
import type { RouterSpec, Site } from '../../model/router-spec';
import { launchFramework, type WrittenFlags } from './check';
import { MEGATRON_DEFAULTS, type MegatronDefault } from './defaults';

export interface ReadFlags extends WrittenFlags {
  /** The site that writes a flag (under its own name, not a `--no-` switch). */
  site(key: string): Site | undefined;
  /** The defaults conditions have read so far, as `name=value`. */
  readonly defaultsRead: ReadonlySet<string>;
}

/** Switches named otherwise than `--no-X` / `--disable-X` (an `arg_names` override in the field's metadata). */
const NEGATIONS: Readonly<Record<string, string>> = {
  add_bias_linear: 'disable_bias_linear', // transformer_config.py l.213
};

type Value = { readonly written: true; readonly site: Site } | { readonly written: false; readonly value: MegatronDefault };

function defaultText(value: MegatronDefault): string {
  return value === null ? 'None' : Array.isArray(value) ? value.join(' ') : String(value);
}

/** The last site of each key: built once per config, shared by the reads of every check. */
export function flagIndex(sites: readonly Site[]): ReadonlyMap<string, Site> {
  const byKey = new Map<string, Site>();
  for (const site of sites) byKey.set(site.key, site);
  return byKey;
}

/** A fresh reading of the config's flags (its own record of defaults read); `index` from flagIndex(spec.sites). */
export function readFlags(spec: Pick<RouterSpec, 'sites' | 'launch'>, index?: ReadonlyMap<string, Site>): ReadFlags {
  const byKey = index ?? flagIndex(spec.sites);
  const complete = spec.launch?.complete === true;
  const defaultsRead = new Set<string>();
  const negated = (key: string): Site | undefined => byKey.get(`no_${key}`) ?? byKey.get(`disable_${key}`) ?? (NEGATIONS[key] ? byKey.get(NEGATIONS[key]) : undefined);
  const value = (key: string): Value | undefined => {
    const site = byKey.get(key);
    if (site) return { written: true, site };
    const off = negated(key);
    if (off && (off.literal.kind !== 'bool' || off.literal.value)) return { written: true, site: { ...off, key, literal: { kind: 'bool', value: false } } };
    const known = complete ? MEGATRON_DEFAULTS[key] : undefined;
    if (!known) return undefined;
    defaultsRead.add(`${key}=${defaultText(known.value)}`);
    return { written: false, value: known.value };
  };
  return {
    complete,
    bridge: launchFramework(spec) === 'megatron-bridge',
    defaultsRead,
    site: (key) => byKey.get(key),
    written: (key) => byKey.has(key) || negated(key) !== undefined,
    on: (key) => {
      const v = value(key);
      if (!v) return undefined;
      if (!v.written) return typeof v.value === 'boolean' ? v.value : undefined;
      const literal = v.site.literal;
      if (literal.kind === 'bool') return literal.value;
      if (literal.kind === 'string' && /^(true|false)$/i.test(literal.value)) return literal.value.toLowerCase() === 'true';
      return undefined;
    },
    text: (key) => {
      const v = value(key);
      if (!v) return undefined;
      if (!v.written) return typeof v.value === 'string' ? v.value : undefined;
      return v.site.literal.kind === 'string' ? v.site.literal.value : undefined;
    },
    number: (key) => {
      const v = value(key);
      if (!v) return undefined;
      if (!v.written) return typeof v.value === 'number' ? v.value : undefined;
      const literal = v.site.literal;
      return literal.kind === 'int' || literal.kind === 'float' ? literal.value : undefined;
    },
    list: (key) => {
      const v = value(key);
      if (!v) return undefined;
      if (!v.written) return Array.isArray(v.value) ? v.value : typeof v.value === 'string' ? [v.value] : v.value === null ? [] : undefined;
      if (v.site.items) return v.site.items;
      const literal = v.site.literal;
      return literal.kind === 'string' ? literal.value.split(/[\s,]+/).filter(Boolean) : literal.kind === 'none' ? [] : undefined;
    },
  };
}
