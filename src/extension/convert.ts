/** The only file that turns core data (offsets, plain diagnostics, edits) into VS Code objects. */
import * as vscode from 'vscode';
import { findRule } from '../core/rules/index';
import type { Diagnostic, FileEdit, Severity } from '../core/rules/types';
import type { LineIndex, SourceRange } from '../core/text/source';
import { ruleDocUri } from './documents';

export type LinesOf = (file: string) => LineIndex | undefined;

export function toRange(lines: LineIndex, range: SourceRange): vscode.Range {
  const start = lines.positionAt(range.start);
  const end = lines.positionAt(range.end);
  return new vscode.Range(start.line, start.character, end.line, end.character);
}

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export function toDiagnostic(documentUri: vscode.Uri, diagnostic: Diagnostic, lines: LineIndex, linesOf: LinesOf): vscode.Diagnostic {
  const result = new vscode.Diagnostic(toRange(lines, diagnostic.range), diagnostic.message, SEVERITY[diagnostic.severity]);
  result.source = 'moe-lens';
  const rule = findRule(diagnostic.code);
  // The code links to the rule's page, rendered by MoE Lens itself (offline; no web address).
  result.code = rule ? { value: diagnostic.code, target: ruleDocUri(rule) } : diagnostic.code;
  const related: vscode.DiagnosticRelatedInformation[] = [];
  for (const info of diagnostic.related) {
    const targetLines = info.file ? linesOf(info.file) : lines;
    if (!targetLines) continue; // the other file is not indexed any more: drop the link rather than guess
    const uri = info.file ? vscode.Uri.parse(info.file) : documentUri;
    related.push(new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, toRange(targetLines, info.range)), info.message));
  }
  if (related.length > 0) result.relatedInformation = related;
  return result;
}

/** Builds a WorkspaceEdit; returns undefined when an edit targets a file whose text is unknown. */
/**
 * The edit for a fix, or undefined when it cannot be placed. An edit in another file is made against the text
 * the engine read (the index's); when that file is open with other text at that place (edited since), the
 * fix is not offered rather than written over what the user has now (issue #14).
 */
export function toWorkspaceEdit(documentUri: vscode.Uri, lines: LineIndex, edits: readonly FileEdit[], linesOf: LinesOf, engineTextOf: (file: string) => string | undefined = () => undefined): vscode.WorkspaceEdit | undefined {
  const edit = new vscode.WorkspaceEdit();
  for (const e of edits) {
    const targetLines = e.file ? linesOf(e.file) : lines;
    if (!targetLines) return undefined;
    if (e.file) {
      const read = engineTextOf(e.file);
      const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === e.file);
      if (read === undefined) return undefined;
      if (open && open.getText(toRange(targetLines, e.range)) !== read.slice(e.range.start, e.range.end)) return undefined;
    }
    edit.replace(e.file ? vscode.Uri.parse(e.file) : documentUri, toRange(targetLines, e.range), e.newText);
  }
  return edit;
}
