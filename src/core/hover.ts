/** Hover content for a position: the routing key under it, what it means in this config's framework, and provenance. */
import type { DocumentAnalysis } from './analyze';
import { semanticsLabel, type RouterSpec, type Site } from './model/router-spec';
import { FIELD_DOCS } from './references/field-docs';
import { recognizeModel } from './references/recognize';
import { containsOffset, type SourceRange } from './text/source';

export interface HoverContent {
  readonly range: SourceRange;
  readonly markdown: string;
}

export function hoverAt(analysis: DocumentAnalysis, offset: number): HoverContent | undefined {
  for (const spec of analysis.specs) {
    if (!containsOffset(spec.range, offset)) continue;
    const site = spec.sites.find((s) => containsOffset(s.keyRange, offset) || containsOffset(s.valueRange, offset));
    if (site) return { range: site.keyRange, markdown: siteMarkdown(spec, site) };
    if (containsOffset(spec.anchorRange, offset)) return { range: spec.anchorRange, markdown: specMarkdown(spec) };
  }
  return undefined;
}

function siteMarkdown(spec: RouterSpec, site: Site): string {
  const meaning = FIELD_DOCS[site.key];
  return [`**\`${site.key}\`** — ${meaning ?? 'not a routing key MoE Lens interprets.'}`, '', specMarkdown(spec)].join('\n');
}

export function specMarkdown(spec: RouterSpec): string {
  const claim = recognizeModel(spec);
  const lines = [`**MoE Lens** · \`${spec.name}\``, '', `Semantics: ${semanticsLabel(spec)}`];
  if (claim) lines.push('', `Recognised as **${claim.model.id}** (${claim.evidence}).`);
  const defaults = (['experts', 'topK', 'scoreFunc', 'normalize', 'selectionBias'] as const)
    .map((name) => [name, spec[name]] as const)
    .filter(([, field]) => field.sites.length === 0 && field.defaultFrom)
    .map(([name, field]) => `- ${name}: ${String(field.value)} — default from ${field.defaultFrom!.label}`);
  if (defaults.length > 0) lines.push('', 'Not set here:', ...defaults);
  return lines.join('\n');
}
