/**
 * torchtitan TOML job configs: `[model] name = "llama4"`, `flavor = "debugmodel"` choose a flavor that a
 * Python file defines (`torchtitan/models/<name>/__init__.py`, or `experiments/<name>`). The job's router is that
 * flavor's, read through the Python dialect; its values stay located in the flavor file (resolved through the
 * job config), so a rule reports them at the job's `flavor` and never edits the other file from here.
 * Its `[model]` table is parsed with toml-eslint-parser (ranges kept); a TOML error there becomes one located note.
 */
import { parseTOML } from 'toml-eslint-parser';
import { withLaunch, type Field, type LaunchScope, type Literal, type RouterSpec, type Site } from '../model/router-spec';
import type { SourceRange } from '../text/source';
import { onlyNear } from '../text/edit-distance';
import { stringValue, type ParsedPython } from './python/syntax';
import { analyzeTorchtitanPython, type PythonProject } from './torchtitan-python';
import { elide } from '../text/elide';
import { baseName, foldersAbove } from '../text/paths';

export interface TomlAnalysis {
  readonly specs: RouterSpec[];
  readonly notes: { range: SourceRange; message: string; detail?: string }[];
}

export function looksLikeTorchtitanJob(text: string): boolean {
  return /^\s*\[model\]/m.test(text) && /^\s*flavor\s*=/m.test(text);
}

interface ModelTable {
  readonly name?: { value: string; range: SourceRange };
  readonly flavor?: { value: string; range: SourceRange };
  readonly range: SourceRange;
  readonly keyRange: SourceRange;
}

/**
 * A table's own text, from its header to the next table header, and where it starts: only `[model]`, `[job]` and
 * `[parallelism]` are read, so a job file of thousands of other keys costs a text scan, not a full parse (2 MB:
 * 2 s, 500 MB).
 */
function tableSection(text: string, table: 'model' | 'parallelism' | 'job'): { text: string; at: number } | undefined {
  const header = new RegExp(`^[ \\t]*\\[[ \\t]*${table}[ \\t]*\\][ \\t]*(#.*)?$`, 'm').exec(text);
  if (!header) return undefined;
  const next = /^[ \t]*\[/gm;
  next.lastIndex = header.index + header[0].length;
  const end = next.exec(text)?.index ?? text.length;
  return { text: text.slice(header.index, end), at: header.index };
}

type TomlTable = Extract<ReturnType<typeof parseTOML>['body'][number]['body'][number], { type: 'TOMLTable' }>;

/**
 * One top-level table of a job file, parsed from its own section, with `shift` turning the section's offsets
 * into the file's; `error` where the section is not TOML, undefined where the table is absent.
 */
function parsedTable(text: string, name: 'model' | 'parallelism' | 'job', whole: boolean): { table: TomlTable; shift: (range: readonly [number, number]) => SourceRange } | { error: { range: SourceRange; message: string } } | undefined {
  const section = tableSection(text, name) ?? (whole ? { text, at: 0 } : undefined);
  if (!section) return undefined;
  const shift = (range: readonly [number, number]): SourceRange => ({ start: range[0] + section.at, end: range[1] + section.at });
  let ast;
  try {
    ast = parseTOML(section.text);
  } catch (error) {
    const e = error as { index?: number; message?: string };
    const at = (typeof e.index === 'number' ? e.index : 0) + section.at;
    return { error: { range: { start: at, end: at + 1 }, message: `TOML syntax error: ${String(e.message ?? error).split('\n')[0]}` } };
  }
  for (const table of ast.body[0]?.body ?? []) {
    if (table.type === 'TOMLTable' && table.resolvedKey.length === 1 && table.resolvedKey[0] === name) return { table, shift };
  }
  return undefined;
}

function modelTable(text: string): ModelTable | { error: { range: SourceRange; message: string } } | undefined {
  // Without a `[model]` header the whole text is parsed, so that a broken header is reported as the error it is.
  const parsed = parsedTable(text, 'model', true);
  if (!parsed || 'error' in parsed) return parsed;
  const { table, shift } = parsed;
  const out: { name?: ModelTable['name']; flavor?: ModelTable['flavor'] } = {};
  for (const pair of table.body) {
    const key = pair.key.keys.map((k) => ('name' in k ? k.name : String(k.value))).join('.');
    if ((key === 'name' || key === 'flavor') && pair.value.type === 'TOMLValue' && typeof pair.value.value === 'string') {
      out[key] = { value: pair.value.value, range: shift(pair.value.range) };
    }
  }
  return { ...out, range: shift(table.range), keyRange: shift(table.key.range) };
}

/**
 * The job's `[parallelism]` degrees (`expert_parallel_degree = 8`) as sites in the job file; a table that does not
 * parse gives none (the `[model]` table's error is the one reported).
 */
function parallelismSites(text: string): Site[] {
  return tableSites(text, 'parallelism');
}

/** A table's one-part keys as sites (`[job] custom_config_module` as `job.custom_config_module` where `prefix` is given). */
function tableSites(text: string, name: 'parallelism' | 'job', prefix = ''): Site[] {
  const parsed = parsedTable(text, name, false);
  if (!parsed || 'error' in parsed) return [];
  const { table, shift } = parsed;
  const sites: Site[] = [];
  for (const pair of table.body) {
    if (pair.key.keys.length !== 1 || pair.value.type !== 'TOMLValue') continue;
    const k = pair.key.keys[0]!;
    const key = 'name' in k ? k.name : String(k.value);
    const v = pair.value.value;
    const literal: Literal =
      typeof v === 'number' ? { kind: Number.isInteger(v) && pair.value.kind === 'integer' ? 'int' : 'float', value: v } : typeof v === 'boolean' ? { kind: 'bool', value: v } : typeof v === 'string' ? { kind: 'string', value: v } : { kind: 'expression', text: String(v) };
    sites.push({ key: `${prefix}${key}`, keyRange: shift(pair.key.range), valueRange: shift(pair.value.range), literal });
  }
  return sites;
}

/** Where torchtitan keeps model `name`'s flavors, searched from the job file up (nearest checkout first). */
function flavorFile(file: string, name: string, project: PythonProject): string | undefined {
  for (const dir of foldersAbove(file, 16)) {
    for (const candidate of [`${dir}torchtitan/models/${name}/__init__.py`, `${dir}torchtitan/experiments/${name}/__init__.py`, `${dir}models/${name}/__init__.py`, `${dir}${name}/__init__.py`]) {
      if (project.hasModule(candidate)) return candidate;
    }
  }
  return undefined;
}

const spelling = (name: string): string => name.toLowerCase().replace(/^_+/, '').replace(/[-_]/g, '');

/** Any word of a mixture of experts: a flavor's text without one builds a dense model. */
const MOE_WORDS = /moe|expert|router|top_?k/i;

/**
 * Whether the flavor file's table defines `flavor` (a string key of a dict literal) as a model with no MoE word
 * in it: the entry's own text, or, where it names a function or variable of the file (torchtitan's
 * `"0.6B": _0_6b`), that definition's. An entry MoE Lens could not read as an MoE flavor but that says `moe`
 * somewhere keeps its note ("not checked").
 */
function denseFlavor(parsed: ParsedPython, flavor: string): boolean {
  const { text, tree } = parsed;
  const definitions = new Map<string, string>();
  for (let top = tree.topNode.firstChild; top; top = top.nextSibling) {
    const name = top.getChild('VariableName');
    if (name && (top.name === 'FunctionDefinition' || top.name === 'AssignStatement')) definitions.set(text.slice(name.from, name.to), text.slice(top.from, top.to));
  }
  const cursor = tree.cursor();
  do {
    if (cursor.name !== 'DictionaryExpression') continue;
    for (let key = cursor.node.firstChild; key; key = key.nextSibling) {
      if (key.name !== 'String' || key.nextSibling?.name !== ':' || stringValue(text.slice(key.from, key.to)) !== flavor) continue;
      const value = key.nextSibling.nextSibling;
      if (!value) return false;
      const own = text.slice(value.from, value.to);
      const body = value.name === 'VariableName' ? definitions.get(own) : own;
      return body !== undefined && !MOE_WORDS.test(body);
    }
  } while (cursor.next());
  return false;
}

/** torchtitan model names of dense models (Doraemonzzz/torchtitan_plugin's `llama`, `llama2`; torchtitan's llama3, flux). */
const DENSE_MODELS = /^(llama[123]?(_\w+)?|flux)$/i;

export function analyzeTorchtitanToml(text: string, file: string, project: PythonProject | undefined): TomlAnalysis {
  const table = modelTable(text);
  if (!table) return { specs: [], notes: [] };
  if ('error' in table) return { specs: [], notes: [table.error] };
  const { name, flavor } = table;
  if (!name || !flavor) return { specs: [], notes: [] };
  const source = project ? flavorFile(file, name.value, project) : undefined;
  const parsed = source ? project!.parsedModule(source) : undefined;
  if (!source || !parsed) {
    // Llama 1–3 (torchtitan's llama3, a plugin's `llama`/`llama2`) and Flux have no router: nothing to say it misses.
    if (DENSE_MODELS.test(name.value)) return { specs: [], notes: [] };
    return {
      specs: [],
      notes: [{ range: name.range, message: `Model "${elide(name.value, 24)}"'s flavors are not in this workspace; its router is not checked.`, detail: `MoE Lens looked for torchtitan/models/${name.value}/__init__.py in the folders above this job file.` }],
    };
  }
  const flavors = analyzeTorchtitanPython(parsed.text, source, project, parsed).specs;
  const chosen = flavors.find((s) => spelling(s.name) === spelling(flavor.value));
  // A dense flavor (llama3's "8B", qwen3's "0.6B") is a model without a router: nothing to check, nothing to say.
  if (!chosen && denseFlavor(parsed, flavor.value)) return { specs: [], notes: [] };
  if (!chosen) {
    const known = flavors.map((s) => s.name).join(', ');
    const meant = onlyNear(spelling(flavor.value), flavors.map((s) => spelling(s.name)));
    const suggestion = meant === undefined ? undefined : flavors.find((s) => spelling(s.name) === meant)!.name;
    // One row (issue #12): the flavor meant where there is one, else the file looked in; the rest in the detail.
    const message = suggestion === undefined
      ? `Flavor "${elide(flavor.value, 24)}" is not one MoE Lens found in ${elide(baseName(source), 20)}`
      : `Flavor "${elide(flavor.value, 24)}" is not one MoE Lens read; did you mean "${elide(suggestion, 24)}"?`;
    const has = known ? `${source} has: ${known}.` : `MoE Lens found no flavor in ${source}.`;
    return { specs: [], notes: [{ range: flavor.range, message, detail: `Its router is not checked. ${has}` }] };
  }
  const layout = parallelismSites(text);
  const custom = tableSites(text, 'job', 'job.').find((site) => site.key === 'job.custom_config_module');
  const spec = { ...asJobSpec(chosen, source, `${name.value}/${flavor.value}`, table.range, flavor.range), ...(layout.length > 0 || custom ? { layout: custom ? [...layout, custom] : layout } : {}) };
  return { specs: [withLaunch(spec, jobScope(custom))], notes: [] };
}

/**
 * Whether a job file holds the whole job. torchtitan's ConfigManager (torchtitan/config/manager.py @238fa99,
 * `_dict_to_dataclass`) builds every section from the keys the file writes and JobConfig's defaults for the rest,
 * a table the file does not have included; command-line flags, outside any file, still override both. A
 * `[job] custom_config_module` merges another JobConfig whose defaults are not read here.
 */
function jobScope(custom: Site | undefined): LaunchScope {
  return custom
    ? { complete: false, why: 'merges `[job] custom_config_module`, whose defaults MoE Lens does not read' }
    : { complete: true, why: "is a TOML job file: torchtitan's ConfigManager takes each key it does not write at JobConfig's default" };
}

/** The flavor's spec seen from the job file: every site in the flavor file, the job's `flavor` as the anchor. */
function asJobSpec(spec: RouterSpec, source: string, name: string, range: SourceRange, anchor: SourceRange): RouterSpec {
  const elsewhere = (site: Site): Site => (site.file ? site : { ...site, file: source });
  const moved = <T>(field: Field<T>): Field<T> => ({
    ...field,
    sites: field.sites.map(elsewhere),
    ...(field.defaultFrom && !field.defaultFrom.file && field.defaultFrom.range ? { defaultFrom: { ...field.defaultFrom, file: source } } : {}),
  });
  return {
    ...spec,
    name,
    range,
    anchorRange: anchor,
    experts: moved(spec.experts),
    topK: moved(spec.topK),
    order: moved(spec.order),
    scoreFunc: moved(spec.scoreFunc),
    routerBias: moved(spec.routerBias),
    selectionBias: moved(spec.selectionBias),
    ...(spec.groups ? { groups: { ...spec.groups, count: moved(spec.groups.count), selected: moved(spec.groups.selected) } } : {}),
    normalize: moved(spec.normalize),
    scale: moved(spec.scale),
    debugRoundRobin: moved(spec.debugRoundRobin),
    hidden: moved(spec.hidden),
    layers: moved(spec.layers),
    sites: [],
    insertion: undefined,
    // The flavor entry (its key and value) or builder function the job names.
    definition: { file: source, range: spec.range },
  };
}
