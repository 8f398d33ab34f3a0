/**
 * Read-only documents MoE Lens renders itself, offline: a rule's page (`moe-lens-doc:/MOE001-….md`, the same
 * Markdown as docs/rules and `moe-lens rule`) and what MoE Lens understood of a file (`moe-lens-inspect:`, the
 * editor's `moe-lens inspect`). Both open in the Markdown preview.
 */
import * as vscode from 'vscode';
import { renderRuleMarkdown, ruleDocFileName } from '../core/docs/render';
import { inspectionMarkdown, reportConfig } from '../core/inspect';
import { ALL_RULES, findRule } from '../core/rules/index';
import type { Rule } from '../core/rules/types';
import type { DiagnosticsController } from './diagnostics';
import type { WorkspaceIndex } from './workspace-index';

export const RULE_DOC_SCHEME = 'moe-lens-doc';
export const SHOW_RULE_DOCUMENTATION = 'moeLens.showRuleDocumentation';
export const INSPECT_FILE = 'moeLens.inspectFile';
export const INSPECT_SCHEME = 'moe-lens-inspect';

export function ruleDocUri(rule: Rule): vscode.Uri {
  return vscode.Uri.from({ scheme: RULE_DOC_SCHEME, path: `/${ruleDocFileName(rule)}` });
}

export function inspectUri(file: vscode.Uri): vscode.Uri {
  const name = file.path.slice(file.path.lastIndexOf('/') + 1);
  return vscode.Uri.from({ scheme: INSPECT_SCHEME, path: `/${name}.md`, query: file.toString() });
}

export class MoeLensDocuments implements vscode.TextDocumentContentProvider {
  constructor(
    private readonly diagnostics: DiagnosticsController,
    private readonly index: WorkspaceIndex,
  ) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    if (uri.scheme === RULE_DOC_SCHEME) {
      const code = uri.path.replace(/^\//, '').split('-')[0] ?? '';
      const rule = findRule(code);
      return rule ? renderRuleMarkdown(rule) : `# No rule ${code}\n\nMoE Lens has no rule with this code.`;
    }
    const file = vscode.Uri.parse(uri.query);
    const document = await vscode.workspace.openTextDocument(file);
    const result = await this.diagnostics.resultFor(document);
    const label = vscode.workspace.asRelativePath(file);
    if (!result) return `# ${label}\n\nMoE Lens does not read this kind of file.`;
    const analysis = await this.diagnostics.fullAnalysis(result);
    const reports = analysis.specs.map((spec) => reportConfig(spec, file.toString(), result.lines, (f) => this.index.linesOf(f)));
    return inspectionMarkdown(label, reports, analysis.notes[0]?.message ?? (result.diagnostics.find((d) => d.code === 'MOE000')?.message));
  }
}

/** Opens one of these documents rendered, or as text where the Markdown preview is not there. */
export async function showRendered(uri: vscode.Uri): Promise<void> {
  try {
    await vscode.commands.executeCommand('markdown.showPreview', uri);
  } catch {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: true });
  }
}

export async function showRuleDocumentation(code?: string): Promise<void> {
  let rule = code ? findRule(code) : undefined;
  if (!rule) {
    const picked = await vscode.window.showQuickPick(
      ALL_RULES.map((r) => ({ label: r.code, description: r.name, detail: r.docs.what, rule: r })),
      { placeHolder: 'Which MoE Lens rule?', matchOnDescription: true },
    );
    rule = picked?.rule;
  }
  if (rule) await showRendered(ruleDocUri(rule));
}
