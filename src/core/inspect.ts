/**
 * What MoE Lens understood of a config, field by field, with where each value comes from: the one source of
 * `moe-lens inspect`, the hover's provenance lines and `route`'s list of assumptions.
 */
import { equivalenceNote } from './model/equivalence';
import { expertBytesPerRank, formatBytes, parametersSentence } from './model/parameters';
import { codeSpan } from './text/markdown';
import { provenanceOf, renormalizes, routedGroups, type Field, type Provenance, type RouterSpec, type Site } from './model/router-spec';
import { parametersOf, type ParameterReport } from './references/parameters';
import { writtenKey } from './parse/spelling';
import { recognizeModel } from './references/recognize';
import type { LineIndex, SourceRange } from './text/source';
import { baseName } from './text/paths';

export const INSPECTED_FIELDS = [
  'num_experts',
  'top_k',
  'score_func',
  'topk_before_score',
  'route_norm',
  'route_scale',
  'num_expert_groups',
  'num_limited_groups',
  'gate_bias',
  'selection_bias',
] as const;
export type InspectedField = (typeof INSPECTED_FIELDS)[number];

export interface FieldReport {
  /** null when unknown. */
  readonly value: number | string | boolean | null;
  readonly source: Provenance;
  /** 1-based, where the value is written (or the default declared); absent when nowhere in a file. */
  readonly line?: number;
  readonly column?: number;
  /** Set when that place is in another file than the config's. */
  readonly file?: string;
  /** For defaults: which declaration; for unknown values: why; for resolved values: the bindings followed. */
  readonly detail?: string;
  /** The key as the config spells it, where that is not the field's name (`num_experts_per_tok` for `top_k`). */
  readonly key?: string;
}

export interface ConfigReport {
  readonly name: string;
  readonly line: number;
  readonly column: number;
  readonly framework: string;
  readonly model: string | null;
  readonly fields: Record<InspectedField, FieldReport>;
  /** What the router is equivalent to (information, not a finding); absent when nothing is to be said. */
  readonly notes?: readonly string[];
  /** Parameter counts (plain integers), where MoE Lens counts this model type and the file gives every size. */
  readonly parameters?: ParametersReport;
  /** Why the parameters are not counted, where the model type is counted but a size is missing. */
  readonly parametersUnknown?: string;
}

export interface ParametersReport {
  readonly total: number;
  readonly active: number;
  /** What `active` includes (each publisher's convention for a recognised model). */
  readonly convention: string;
  /** Class defaults the count relied on, for keys the file does not write. */
  readonly assumed?: readonly string[];
  readonly published?: { readonly model: string; readonly total: number; readonly active: number };
  /** Bytes of expert weights one expert-parallel rank holds, where a job sets the layout. */
  readonly expertBytesPerRank?: number;
  /** The dtype those bytes are counted in, and why. */
  readonly expertBytesDtype?: string;
}

function parametersFields(spec: RouterSpec): Pick<ConfigReport, 'parameters' | 'parametersUnknown'> {
  const counted = parametersOf(spec);
  if (!counted) return {};
  if ('unknown' in counted) return { parametersUnknown: counted.unknown };
  return {
    parameters: {
      total: counted.total,
      active: counted.active,
      convention: counted.convention,
      ...(counted.assumed.length > 0 ? { assumed: counted.assumed } : {}),
      ...(counted.published ? { published: { model: counted.published.model, total: counted.published.total, active: counted.published.active } } : {}),
      ...expertBytes(spec, counted),
    },
  };
}

/**
 * Expert weights per expert-parallel rank for a torchtitan job's `[parallelism] expert_parallel_degree`: in
 * float32, the dtype torchtitan keeps parameters in (`mixed_precision_param` is what FSDP casts them to for
 * compute). Absent where the degree is not written or does not split the experts (MOE019 says so).
 */
function expertBytes(spec: RouterSpec, counted: ParameterReport): Pick<ParametersReport, 'expertBytesPerRank' | 'expertBytesDtype'> {
  const ep = spec.layout?.find((s) => s.key === 'expert_parallel_degree');
  if (!ep || ep.literal.kind !== 'int' || spec.framework !== 'torchtitan' || !spec.shape || !('shape' in spec.shape)) return {};
  const bytes = expertBytesPerRank(counted, spec.shape.shape.experts, ep.literal.value, 4);
  return bytes === undefined ? {} : { expertBytesPerRank: bytes, expertBytesDtype: 'float32 (torchtitan keeps parameters in float32; mixed_precision_param is the compute dtype)' };
}

/** Line indexes of files other than the config's, when the host has their text. */
export type LinesOf = (file: string) => LineIndex | undefined;

export function fieldsOf(spec: RouterSpec): Record<InspectedField, Field<unknown> | undefined> {
  return {
    num_experts: spec.experts,
    top_k: spec.topK,
    score_func: spec.scoreFunc,
    topk_before_score: spec.order,
    route_norm: spec.normalize,
    route_scale: spec.scale,
    num_expert_groups: spec.groups?.count,
    num_limited_groups: spec.groups?.selected,
    gate_bias: spec.routerBias,
    selection_bias: spec.selectionBias,
  };
}

/**
 * A field's value as the router uses it, whatever its provenance: for an unknown field, the fallback routing
 * runs with (`route` lists those as assumptions).
 */
export function routedValue(name: InspectedField, spec: RouterSpec): FieldReport['value'] {
  if (name === 'topk_before_score') return spec.order.value === 'topk-then-score';
  if (name === 'route_norm') return renormalizes(spec) ?? 'when top_k > 1';
  // Groups that do not route show as none; with the group count unknown, whether they route is not known: as written.
  if ((name === 'num_expert_groups' || name === 'num_limited_groups') && spec.groups && spec.groups.count.unknown === undefined && !routedGroups(spec)) return null;
  const value = fieldsOf(spec)[name]?.value;
  return typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' ? value : null;
}

function place(file: string, range: SourceRange | undefined, configFile: string, lines: LineIndex, linesOf: LinesOf): Pick<FieldReport, 'line' | 'column' | 'file'> {
  if (!range) return {};
  const index = file === configFile ? lines : linesOf(file);
  if (!index) return { file };
  const position = index.positionAt(range.start);
  return { line: position.line + 1, column: position.character + 1, ...(file !== configFile ? { file } : {}) };
}

export function reportField(name: InspectedField, spec: RouterSpec, configFile: string, lines: LineIndex, linesOf: LinesOf = () => undefined): FieldReport {
  const field = fieldsOf(spec)[name];
  if (!field) return { value: null, source: 'default', detail: 'no expert groups' };
  const source = provenanceOf(field);
  if (source === 'unknown') return { value: null, source, ...(field.unknown ? { detail: field.unknown } : {}) };
  const value = routedValue(name, spec);
  // A value the code hard-codes is reported with where the code fixes it, not a key of the file that it ignores.
  const site = field.defaultFrom?.fixed ? undefined : field.sites[field.sites.length - 1];
  if (site) {
    // The bindings it flowed through, outermost first: `via 357:25 (num_experts=) → 186:5 (parameter)`.
    const hops = (site.via ?? []).map((hop) => {
      const at = place(hop.file, hop.range, configFile, lines, linesOf);
      return at.line !== undefined ? `${at.file ? `${baseName(at.file)}:` : ''}${at.line}:${at.column}` : baseName(hop.file);
    });
    const via = hops.length > 0 ? `via ${hops.join(' → ')}` : undefined;
    const file = site.file ?? configFile;
    const key = writtenKeyIn(site, file === configFile ? lines : linesOf(file));
    return { value, source, ...place(file, site.valueRange, configFile, lines, linesOf), ...(via ? { detail: via } : {}), ...(key !== name ? { key } : {}) };
  }
  const origin = field.defaultFrom;
  return {
    value,
    source,
    ...(origin?.range ? place(origin.file ?? configFile, origin.range, configFile, lines, linesOf) : {}),
    ...(origin ? { detail: origin.label } : { detail: `${spec.framework} semantics` }),
  };
}

export function reportConfig(spec: RouterSpec, configFile: string, lines: LineIndex, linesOf: LinesOf = () => undefined): ConfigReport {
  const at = lines.positionAt(spec.anchorRange.start);
  const fields = {} as Record<InspectedField, FieldReport>;
  for (const name of INSPECTED_FIELDS) fields[name] = reportField(name, spec, configFile, lines, linesOf);
  const notes = [
    equivalenceNote(spec),
    // What the router does that no field shows (Hunyuan-A13B's own capacity, Gemma 4's token norm and expert scale).
    spec.routerCapacity && `the router itself drops what an expert receives beyond ${spec.routerCapacity.formula} tokens of a batch (${spec.routerCapacity.source}), whatever the config says about drops`,
    spec.tokenNorm && `the gate sees each token normed (RMSNorm without weight, epsilon ${spec.tokenNorm.epsilon.value}${spec.tokenNorm.epsilon.unknown ? ' assumed' : ''}), times a learned scale per hidden unit and hidden^-0.5 (${spec.tokenNorm.source})`,
    spec.expertScale && `each chosen weight is multiplied by a learned scale of its expert (${spec.expertScale.source}); synthetic runs use 1, where training starts`,
  ].filter((note): note is string => typeof note === 'string');
  return { name: spec.name, line: at.line + 1, column: at.character + 1, framework: spec.framework, model: recognizeModel(spec)?.model.id ?? null, fields, ...(notes.length ? { notes } : {}), ...parametersFields(spec) };
}

/** `writtenKey` (parse/spelling.ts) with the text of a line index, where the host has one. */
export function writtenKeyIn(site: Site, lines?: LineIndex): string {
  return writtenKey(site, lines?.text);
}

const KEY_NAME_OF: Partial<Record<InspectedField, keyof RouterSpec['keyNames']>> = {
  num_experts: 'experts',
  top_k: 'topK',
  score_func: 'scoreFunc',
  topk_before_score: 'order',
  route_norm: 'normalize',
  route_scale: 'scale',
  num_expert_groups: 'groupsCount',
  num_limited_groups: 'groupsSelected',
  selection_bias: 'selectionBias',
};

/** What a field is called where this config's format has no key for it (a config.json's fixed score function). */
const PLAIN_NAMES: Record<InspectedField, string> = {
  num_experts: 'expert count',
  top_k: 'top-k',
  score_func: 'score function',
  topk_before_score: 'top-k before scoring',
  route_norm: 'renormalisation',
  route_scale: 'route scale',
  num_expert_groups: 'expert groups',
  num_limited_groups: 'groups kept per token',
  gate_bias: 'gate bias',
  selection_bias: 'selection bias',
};

/**
 * A field as this config's file names it, as Markdown: its key as spelled there (`num_experts_per_tok` in a
 * config.json) in a code span, else what the field is in words.
 */
export function spelledKey(spec: RouterSpec, name: InspectedField): string {
  // The selection bias's value is what the router does (learned, static, none), not its key's (`load_balance_coeff`
  // 0.001): named by the key, it read as "`load_balance_coeff` learned" (helper review Q).
  if (name === 'selection_bias') return PLAIN_NAMES[name];
  const field = fieldsOf(spec)[name];
  const alias = KEY_NAME_OF[name];
  const key = field?.sites[field.sites.length - 1]?.key ?? (alias ? spec.keyNames[alias] : undefined);
  return key ? `\`${key}\`` : PLAIN_NAMES[name];
}

/** One line per field that is not written in the config itself, for hovers and `route`. */
export function provenanceLines(report: ConfigReport, only: readonly Provenance[] = ['resolved', 'default', 'assumed', 'unknown'], spelled: (name: InspectedField) => string = (name) => `\`${name}\``): string[] {
  return INSPECTED_FIELDS.filter((name) => only.includes(report.fields[name].source)).map((name) => `${spelled(name)} ${shownValue(report.fields[name])} — ${whereAndWhy(report.fields[name])}`);
}

/**
 * `provenanceLines` for a hover: fields with the same source and reason share one line (a launch MoE Lens cannot
 * read gives ten fields one reason; a line each did not fit a 900 px window, issue #12).
 */
export function groupedProvenanceLines(report: ConfigReport, only: readonly Provenance[], spelled: (name: InspectedField) => string): string[] {
  // A reason that names its own key (`no keyword sets \`route_norm\`; …`) is shared with "it" in its place.
  const byReason = new Map<string, { fields: string[]; reasons: string[] }>();
  for (const name of INSPECTED_FIELDS.filter((field) => only.includes(report.fields[field].source))) {
    const reason = whereAndWhy(report.fields[name]);
    const shared = reason.split(spelled(name)).join('it');
    const group = byReason.get(shared) ?? { fields: [], reasons: [] };
    group.fields.push(`${spelled(name)} ${shownValue(report.fields[name])}`);
    group.reasons.push(reason);
    byReason.set(shared, group);
  }
  return [...byReason].map(([shared, group]) => (group.fields.length === 1 ? `${group.fields[0]} — ${group.reasons[0]}` : `${group.fields.join(', ')} — ${shared === group.reasons[0] ? shared : shared.replace(/^(\w+)/, '$1, each')}`));
}

function shownValue(f: FieldReport): string {
  return f.value === null ? (f.source === 'unknown' ? '?' : 'None') : String(f.value);
}

/** A field's source, where it was read and why: `resolved at config.py:12: via build()`. */
function whereAndWhy(f: FieldReport): string {
  const where = f.line !== undefined ? ` at ${f.file ? `${baseName(f.file)}:` : 'line '}${f.line}` : '';
  return `${f.source}${where}${f.detail ? `: ${f.detail}` : ''}`;
}

/** A table cell from file text: no line breaks, no pipes, no way out of its code span. */
function cell(text: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/\|/g, '\\|');
}

function codeCell(text: string): string {
  return codeSpan(cell(text), { pad: true });
}

/** What MoE Lens understood of a file, as Markdown: the editor's view of `moe-lens inspect`. */
export function inspectionMarkdown(label: string, reports: readonly ConfigReport[], note?: string): string {
  const out = [`# ${cell(label)}`, ''];
  if (reports.length === 0) {
    out.push(note ? `No router config MoE Lens understands: ${cell(note)}` : 'No MoE router config in this file.', '');
    return out.join('\n');
  }
  out.push(`${reports.length} router config${reports.length === 1 ? '' : 's'}. Source: **literal** (written here), **resolved** (written elsewhere and passed in), **default** (of the declaration named), **assumed** (a framework default; the declaration is not in the workspace), **unknown** (no rule relies on it).`, '');
  for (const report of reports) {
    out.push(`## ${codeCell(report.name)} · line ${report.line} · ${report.framework}${report.model ? ` · recognised as **${report.model}**` : ''}`, '');
    out.push('| field | value | source | where / why |', '| --- | --- | --- | --- |');
    for (const name of INSPECTED_FIELDS) {
      const f = report.fields[name];
      const value = f.value === null ? (f.source === 'unknown' ? '?' : 'None') : typeof f.value === 'string' ? JSON.stringify(f.value) : String(f.value);
      const where = f.line !== undefined ? `${f.file ? `${baseName(f.file)}:` : 'line '}${f.line}` : '';
      out.push(`| \`${name}\`${f.key ? ` (${codeCell(f.key)})` : ''} | ${codeCell(value)} | ${f.source} | ${cell([where, f.detail].filter(Boolean).join(' — '))} |`);
    }
    for (const n of report.notes ?? []) out.push('', `Note: ${cell(n)}.`);
    const p = report.parameters;
    if (p) out.push('', `Parameters: ${cell(parametersSentence(p, (t) => `**${t}**`))}${p.expertBytesPerRank !== undefined ? `; expert weights per expert-parallel rank: ${formatBytes(p.expertBytesPerRank)} in ${cell(p.expertBytesDtype ?? '')}` : ''}.`);
    else if (report.parametersUnknown) out.push('', `Parameters: not counted: ${cell(report.parametersUnknown)}.`);
    out.push('');
  }
  return out.join('\n');
}
