/** Hover content for a position: the routing key under it, what it means in this config's framework, and provenance. */
import type { DocumentAnalysis } from './analyze';
import { equivalenceNote } from './model/equivalence';
import { semanticsLabel, type RouterSpec, type Site } from './model/router-spec';
import { FIELD_DOCS } from './references/field-docs';
import { parametersSentence } from './model/parameters';
import { recognizeModel } from './references/recognize';
import { fieldsOf, groupedProvenanceLines, INSPECTED_FIELDS, reportConfig, spelledKey, writtenKeyIn, type InspectedField } from './inspect';
import { codeSpan } from './text/markdown';
import { containsOffset, LineIndex, type SourceRange } from './text/source';
import { baseName } from './text/paths';
import { wordAt } from './text/word';

export { codeSpan };

export interface HoverContent {
  readonly range: SourceRange;
  readonly markdown: string;
}

/** `file`: the document's path as it was analysed, so that a value resolved within it is placed by line. */
export function hoverAt(analysis: DocumentAnalysis, offset: number, lines?: LineIndex, file = ''): HoverContent | undefined {
  for (const spec of analysis.specs) {
    if (!containsOffset(spec.range, offset)) continue;
    // This file's sites only: another file's (a YAML's `extends:` base) are at that file's offsets (helper review Q).
    const site = spec.sites.find((s) => s.file === undefined && (containsOffset(s.keyRange, offset) || containsOffset(s.valueRange, offset)));
    // The key a config is anchored at (`model_type` in a config.json) shows the whole summary, as a callee does.
    if (site && containsOffset(spec.anchorRange, offset)) return { range: site.keyRange, markdown: `${keyLine(site, spec, lines)}\n\n${specMarkdown(spec, lines, file)}` };
    if (site) return { range: site.keyRange, markdown: siteMarkdown(spec, site, lines) };
    if (containsOffset(spec.anchorRange, offset)) return { range: spec.anchorRange, markdown: specMarkdown(spec, lines, file) };
  }
  return sharedKeyHover(analysis.specs, offset, lines, file);
}

/** Configs a hover lists by name before it says how many more there are. */
const SHARED_NAMES_SHOWN = 6;

/**
 * A key outside every config's own call: in a builder function that several flavors call (torchtitan's
 * `_gpt_oss_config(num_experts, top_k)` writes `score_func="softmax"` for all of them), or a keyword whose value
 * flows into one (`num_experts=128` of the call that builds the flavor, the builder's parameter it passes through).
 */
function sharedKeyHover(specs: readonly RouterSpec[], offset: number, lines: LineIndex | undefined, file: string): HoverContent | undefined {
  const word = lines && wordUnder(lines.text, offset);
  // How surely the site is the key under the cursor: its key (3), a keyword or parameter its value passed through
  // (2), inside its value (1), where that is a short one (a value can be a whole call: `router=Router.Config(…)`).
  const closeness = (site: Site): number => {
    if (containsOffset(site.keyRange, offset)) return 3;
    if (word && lines && (keywordOf(site.valueRange, word, lines.text) || (site.via ?? []).some((hop) => hop.file === file && (containsOffset(hop.range, offset) || keywordOf(hop.range, word, lines.text))))) return 2;
    return containsOffset(site.valueRange, offset) && site.valueRange.end - site.valueRange.start <= 80 && !lines?.text.slice(site.valueRange.start, site.valueRange.end).includes('\n') ? 1 : 0;
  };
  // A config built by a function of another file lists no sites of its own; its fields still hold theirs.
  const sitesHere = (spec: RouterSpec): Site[] => [...spec.sites, ...Object.values(fieldsOf(spec)).flatMap((field) => field?.sites ?? [])].filter((site) => site.file === undefined || site.file === file);
  const found = specs.flatMap((spec) => {
    const best = sitesHere(spec).map((site) => ({ site, score: closeness(site) })).sort((a, b) => b.score - a.score)[0];
    return best && best.score > 0 ? [{ spec, ...best }] : [];
  });
  const top = Math.max(0, ...found.map((reader) => reader.score));
  const readers = found.filter((reader) => reader.score === top);
  // A parameter (or a keyword in a builder) is read by the configs that pass it and by those that take its default, whose
  // value is written inside the same function (`def _cfg(n, score="softmax")`; helper review Q: "Read by 2" of 3).
  const body = top === 2 && lines ? functionAround(lines.text, offset) : undefined;
  if (body && readers[0]) {
    const key = readers[0].site.key;
    for (const spec of specs) {
      if (readers.some((reader) => reader.spec === spec)) continue;
      const inside = sitesHere(spec).find((site) => site.key === key && site.valueRange.start >= body.start && site.valueRange.end <= body.end);
      if (inside) readers.push({ spec, site: inside, score: 2 });
    }
    readers.sort((a, b) => specs.indexOf(a.spec) - specs.indexOf(b.spec));
  }
  const first = readers[0];
  if (!first) return undefined;
  // The key the word under the cursor feeds: named as that word where it is the key spelled there (a keyword), else by
  // the key's own name (a parameter `score` for `score_func`, a value).
  const range = top === 3 ? first.site.keyRange : word ? word.range : first.site.keyRange;
  const title = top === 3 || !word ? keyLine(first.site, first.spec, lines) : keyLine({ ...first.site, keyRange: word.range }, first.spec, lines);
  if (readers.length === 1) return { range, markdown: [title, '', `Semantics of ${codeSpan(first.spec.name)}: ${semanticsLabel(first.spec)}.`].join('\n') };
  const names = readers.map(({ spec }) => codeSpan(spec.name));
  const shown = names.length > SHARED_NAMES_SHOWN ? `${names.slice(0, SHARED_NAMES_SHOWN).join(', ')} and ${names.length - SHARED_NAMES_SHOWN} more` : names.join(', ');
  const labels = [...new Set(readers.map(({ spec }) => semanticsLabel(spec)))];
  const out = [title, '', `Read by ${readers.length} configs: ${shown}; each one's hover says where its values come from.`];
  if (labels.length === 1) out.push('', `Semantics: ${labels[0]}.`);
  return { range, markdown: out.join('\n') };
}

/**
 * The Python function `offset` is in (its `def` line to the last line indented under it), read from the text: the
 * editor's analysis holds no syntax tree.
 */
function functionAround(text: string, offset: number): SourceRange | undefined {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const indentOf = (start: number): number => /^[ \t]*/.exec(text.slice(start, start + 200))![0].length;
  let start = lineStart;
  for (let guard = 0; guard < 2000; guard++) {
    if (/^[ \t]*(async[ \t]+)?def[ \t]/.test(text.slice(start, start + 200)) && (start === lineStart || indentOf(start) < indentOf(lineStart))) break;
    if (start === 0) return undefined;
    start = text.lastIndexOf('\n', start - 2) + 1;
  }
  const indent = indentOf(start);
  let end = text.indexOf('\n', start);
  while (end >= 0 && end < text.length) {
    const next = end + 1;
    const line = text.slice(next, text.indexOf('\n', next) < 0 ? text.length : text.indexOf('\n', next));
    // A blank line, a comment, the signature's closing `)`, or a line indented under the def: still the function.
    if (line.trim() !== '' && !/^[ \t]*[#)]/.test(line) && indentOf(next) <= indent) break;
    end = text.indexOf('\n', next);
    if (end < 0) end = text.length;
  }
  return { start, end: end < 0 ? text.length : end };
}

/** The word under the cursor (a key, a parameter, a flag), with its range. */
function wordUnder(text: string, offset: number): { readonly text: string; readonly range: SourceRange } | undefined {
  const range = wordAt(text, offset, /[\w-]/);
  return range.end > range.start ? { text: text.slice(range.start, range.end), range } : undefined;
}

/** Whether `word` is the keyword that `value` is passed to: `top_k` of `top_k=4`, `"top_k"` of `"top_k": 4`. */
function keywordOf(value: SourceRange, word: { readonly range: SourceRange }, text: string): boolean {
  return word.range.end <= value.start && value.start - word.range.end <= 8 && /^["']?\s*[=:]\s*$/.test(text.slice(word.range.end, value.start));
}

/** The fields an equivalence note is about: hovering one of their keys shows it. */
const ROUTING_ORDER_FIELDS = ['scoreFunc', 'normalize', 'topK', 'order'] as const;

/**
 * A key's hover stays short (issue #12: it must fit a 900 px window beside a finding's own hover): what the
 * key means, and the config's semantics on one line. The whole summary (what is not written and where its
 * value comes from) is the callee's hover and `inspect`'s.
 */
function keyLine(site: Site, spec?: RouterSpec, lines?: LineIndex): string {
  // `top_k` beside a router that reads another key is text generation's top-k sampling (a config.json's
  // `"top_k": 50`, Megatron's inference `--top_k`), not the router's.
  if (spec && spec.dialect === 'hf-json' && site.key === 'top_k' && !spec.topK.sites.some((s) => s.keyRange.start === site.keyRange.start)) return `**${codeSpan(site.key)}** — top-k sampling of text generation, not the router's top-k (${codeSpan(spec.keyNames.topK)}).`;
  return `**${codeSpan(writtenKeyIn(site, lines))}** — ${FIELD_DOCS[site.key] ?? 'not a routing key MoE Lens interprets.'}`;
}

function siteMarkdown(spec: RouterSpec, site: Site, lines?: LineIndex): string {
  // One line at the hover's width: the recognised model is the callee's hover (and a finding's evidence).
  const out = [keyLine(site, spec, lines), '', `Semantics of ${codeSpan(spec.name)}: ${semanticsLabel(spec)}.`];
  const equivalent = equivalenceNote(spec);
  if (equivalent && ROUTING_ORDER_FIELDS.some((field) => spec[field].sites.includes(site))) out.push('', `Equivalent: ${equivalent}.`);
  return out.join('\n');
}

export function specMarkdown(spec: RouterSpec, lines?: LineIndex, file = ''): string {
  const claim = recognizeModel(spec);
  const out = [`**MoE Lens** · ${codeSpan(spec.name)}`, '', `Semantics: ${semanticsLabel(spec)}`];
  if (claim) out.push('', `Recognised as **${claim.model.id}** (${claim.evidence}).`);
  // One report of the config: its parameters here, its provenance below (counted once, as inspect counts it).
  const report = reportConfig(spec, file, lines ?? new LineIndex(''));
  if (report.parameters) out.push('', `Parameters: ${parametersSentence(report.parameters, (text) => `**${text}**`)}.`);
  else if (report.parametersUnknown) out.push('', `Parameters: not counted (${report.parametersUnknown}).`);
  // A job file names a flavor written elsewhere: the flavor's own hover (go to definition opens it) gives each
  // value's source and equivalences; here, what the job trains, short enough to fit without scrolling.
  if (spec.definition) {
    const file = baseName(spec.definition.file);
    out.push('', `Values from the flavor in ${codeSpan(file)}: go to definition opens it, and its hover says where each comes from.`);
    return out.join('\n');
  }
  const equivalent = equivalenceNote(spec);
  if (equivalent) out.push('', `Equivalent: ${equivalent}.`);
  // Provenance of what the config does not write itself; line numbers when the host passes its line index.
  // Values resolved from elsewhere, assumed or unknown get a line per source and reason (what a reader must know);
  // declared defaults share one, so the summary fits without scrolling (issue #12); Inspect File names each source.
  const spelled = (name: InspectedField): string => spelledKey(spec, name);
  const defaults = INSPECTED_FIELDS.filter((name) => report.fields[name].source === 'default');
  if (defaults.length > 0) {
    const values = defaults.map((name) => `${spelled(name)} ${report.fields[name].value === null ? 'None' : String(report.fields[name].value)}`).join(', ');
    out.push('', `Defaults, not written here: ${values} ("Inspect File" shows where each is declared).`);
  }
  const notWritten = groupedProvenanceLines(report, ['resolved', 'assumed', 'unknown'], spelled).map((line) => `- ${lines ? line : line.replace(/ at line \d+/, '')}`);
  // Resolved values may be written in this file, through a name (`--num-experts $EXPERTS`): not as a literal (helper review Q).
  if (notWritten.length > 0) out.push('', 'Not written here as a literal:', ...notWritten);
  return out.join('\n');
}
