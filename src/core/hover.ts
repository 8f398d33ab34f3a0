/** Hover content for a position: the routing key under it, what it means in this config's framework, and provenance. */
import type { DocumentAnalysis } from './analyze';
import { equivalenceNote } from './model/equivalence';
import { semanticsLabel, type RouterSpec, type Site } from './model/router-spec';
import { FIELD_DOCS } from './references/field-docs';
import { recognizeModel } from './references/recognize';
import { provenanceLines, reportConfig, spelledKey } from './inspect';
import { codeSpan } from './text/markdown';
import { containsOffset, LineIndex, type SourceRange } from './text/source';

export { codeSpan };

export interface HoverContent {
  readonly range: SourceRange;
  readonly markdown: string;
}

export function hoverAt(analysis: DocumentAnalysis, offset: number, lines?: LineIndex): HoverContent | undefined {
  for (const spec of analysis.specs) {
    if (!containsOffset(spec.range, offset)) continue;
    const site = spec.sites.find((s) => containsOffset(s.keyRange, offset) || containsOffset(s.valueRange, offset));
    if (site) return { range: site.keyRange, markdown: siteMarkdown(spec, site, lines) };
    if (containsOffset(spec.anchorRange, offset)) return { range: spec.anchorRange, markdown: specMarkdown(spec, lines) };
  }
  return undefined;
}

function siteMarkdown(spec: RouterSpec, site: Site, lines?: LineIndex): string {
  const meaning = FIELD_DOCS[site.key];
  return [`**\`${site.key}\`** — ${meaning ?? 'not a routing key MoE Lens interprets.'}`, '', specMarkdown(spec, lines)].join('\n');
}

export function specMarkdown(spec: RouterSpec, lines?: LineIndex): string {
  const claim = recognizeModel(spec);
  const out = [`**MoE Lens** · ${codeSpan(spec.name)}`, '', `Semantics: ${semanticsLabel(spec)}`];
  if (claim) out.push('', `Recognised as **${claim.model.id}** (${claim.evidence}).`);
  const equivalent = equivalenceNote(spec);
  if (equivalent) out.push('', `Equivalent: ${equivalent}.`);
  // Provenance of what the config does not write itself; line numbers when the host passes its line index.
  const report = reportConfig(spec, '', lines ?? new LineIndex(''));
  const notWritten = provenanceLines(report, undefined, (name) => spelledKey(spec, name)).map((line) => `- ${lines ? line : line.replace(/ at line \d+/, '')}`);
  if (notWritten.length > 0) out.push('', 'Not written here:', ...notWritten);
  return out.join('\n');
}
