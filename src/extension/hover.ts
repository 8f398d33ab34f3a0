/** Hover: what the routing key under the cursor means in this config's framework, plus the rule behind any finding there. */
import * as vscode from 'vscode';
import { hoverAt } from '../core/hover';
import { findRule } from '../core/rules/index';
import { containsOffset } from '../core/text/source';
import { toRange } from './convert';
import { SHOW_RULE_DOCUMENTATION } from './documents';
import type { PlainAnalysis } from './analysis/protocol';
import type { DiagnosticsController, DocumentResult } from './diagnostics';

export class MoeLensHover implements vscode.HoverProvider {
  constructor(private readonly diagnostics: DiagnosticsController) {}

  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    try {
      const version = document.version;
      const result = await this.diagnostics.resultFor(document);
      if (!result || document.version !== version) return undefined;
      const analysis = await this.diagnostics.fullAnalysis(result);
      if (document.version !== version) return undefined;
      const started = performance.now();
      try {
        return this.hoverFrom(result, analysis, document.offsetAt(position));
      } finally {
        this.diagnostics.slices.record('hover', started);
      }
    } catch {
      return undefined;
    }
  }

  private hoverFrom(result: DocumentResult, analysis: PlainAnalysis, offset: number): vscode.Hover | undefined {
    const parts: string[] = [];
    const content = hoverAt(analysis, offset, result.lines, result.file);
    if (content) parts.push(content.markdown);
    for (const diagnostic of result.diagnostics) {
      if (!containsOffset(diagnostic.range, offset)) continue;
      const rule = findRule(diagnostic.code);
      if (!rule) continue;
      // VS Code's own part of the hover already shows the message (the Problems row): here the evidence and
      // its source, and the rule's reason in one sentence; the rest is one click away in the rule's page.
      const detail = diagnostic.detail ? `${diagnostic.detail}\n\n` : '';
      const open = `command:${SHOW_RULE_DOCUMENTATION}?${encodeURIComponent(JSON.stringify([rule.code]))}`;
      parts.push(`${detail}**${rule.code} ${rule.name}** — ${firstSentence(rule.docs.why)} [Rule documentation](${open})`);
    }
    if (parts.length === 0) return undefined;
    const markdown = new vscode.MarkdownString(parts.join('\n\n---\n\n'));
    // Only this one command may run from the hover; everything else in it stays plain Markdown.
    markdown.isTrusted = { enabledCommands: [SHOW_RULE_DOCUMENTATION] };
    return new vscode.Hover(markdown, content ? toRange(result.lines, content.range) : undefined);
  }
}

/** The first sentence of a rule's rationale (up to the first full stop followed by a space or the end). */
function firstSentence(text: string): string {
  const end = /\.(\s|$)/.exec(text);
  return end ? text.slice(0, end.index + 1) : text;
}
