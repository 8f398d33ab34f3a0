/** Hover content for a position: the routing key under it, what it means in this config's framework, and provenance. */
import type { DocumentAnalysis } from './analyze';
import { equivalenceNote } from './model/equivalence';
import { semanticsLabel, type RouterSpec, type Site } from './model/router-spec';
import { FIELD_DOCS } from './references/field-docs';
import { parametersSentence } from './model/parameters';
import { recognizeModel } from './references/recognize';
import { groupedProvenanceLines, INSPECTED_FIELDS, reportConfig, spelledKey, type InspectedField } from './inspect';
import { codeSpan } from './text/markdown';
import { containsOffset, LineIndex, type SourceRange } from './text/source';
import { baseName } from './text/paths';

export { codeSpan };

export interface HoverContent {
  readonly range: SourceRange;
  readonly markdown: string;
}

/** `file`: the document's path as it was analysed, so that a value resolved within it is placed by line. */
export function hoverAt(analysis: DocumentAnalysis, offset: number, lines?: LineIndex, file = ''): HoverContent | undefined {
  for (const spec of analysis.specs) {
    if (!containsOffset(spec.range, offset)) continue;
    const site = spec.sites.find((s) => containsOffset(s.keyRange, offset) || containsOffset(s.valueRange, offset));
    // The key a config is anchored at (`model_type` in a config.json) shows the whole summary, as a callee does.
    if (site && containsOffset(spec.anchorRange, offset)) return { range: site.keyRange, markdown: `${keyLine(site, spec, lines)}\n\n${specMarkdown(spec, lines, file)}` };
    if (site) return { range: site.keyRange, markdown: siteMarkdown(spec, site, lines) };
    if (containsOffset(spec.anchorRange, offset)) return { range: spec.anchorRange, markdown: specMarkdown(spec, lines, file) };
  }
  return undefined;
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
  return `**${codeSpan(writtenKey(site, lines))}** — ${FIELD_DOCS[site.key] ?? 'not a routing key MoE Lens interprets.'}`;
}

/**
 * The key as the file spells it (`--num-experts` in a launch script, `num_moe_experts` in a Megatron YAML), not
 * the name MoE Lens files it under (issue #12); that name where the key's text is not a plain key.
 */
function writtenKey(site: Site, lines?: LineIndex): string {
  const written = lines?.text.slice(site.keyRange.start, site.keyRange.end).replace(/^(["'])(.*)\1$/, '$2');
  return written !== undefined && /^-{0,2}[A-Za-z_][\w.-]{0,79}$/.test(written) ? written : site.key;
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
  if (notWritten.length > 0) out.push('', 'Not written here:', ...notWritten);
  return out.join('\n');
}
