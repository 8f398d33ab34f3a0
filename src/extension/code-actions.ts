/** Quick fixes for MoE Lens diagnostics, and `source.fixAll.moeLens` (safe fixes only, to a fixed point). */
import * as vscode from 'vscode';
import { PARSE_NOTE_CODE } from '../core/lint';
import { suppressionEdit } from '../core/suppressions';
import { rangesOverlap, type SourceRange } from '../core/text/source';
import { toWorkspaceEdit } from './convert';
import { SHOW_RULE_DOCUMENTATION } from './documents';
import { editsOtherFile, otherFileFixAction } from './other-file-fix';
import type { AnalysisClient } from './analysis/client';
import { DiagnosticsController } from './diagnostics';
import type { WorkspaceIndex } from './workspace-index';

export const FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append('moeLens');

export class MoeLensCodeActions implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, FIX_ALL_KIND],
  };

  constructor(
    private readonly diagnostics: DiagnosticsController,
    private readonly index: WorkspaceIndex,
    private readonly analysis: AnalysisClient,
  ) {}

  async provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): Promise<vscode.CodeAction[]> {
    try {
      // `only` is what the caller asks for: `source.fixAll` (Fix All, on save) or our own kind → fix-all;
      // `quickfix` (or nothing) → quick fixes; anything else (refactor, …) → none of ours.
      if (context.only && context.only.contains(FIX_ALL_KIND)) return await this.fixAllAction(document);
      if (context.only && !context.only.contains(vscode.CodeActionKind.QuickFix)) return [];
      const version = document.version;
      const result = await this.diagnostics.resultFor(document);
      if (!result || document.version !== version) return [];
      const started = performance.now();
      const wanted = { start: document.offsetAt(range.start), end: document.offsetAt(range.end) };
      const actions: vscode.CodeAction[] = [];
      const suppressions: vscode.CodeAction[] = [];
      let safeFixHere = false;
      const text = document.getText();
      const [linesOf, textOf] = [(file: string) => this.index.linesOf(file), (file: string) => this.index.project.textOf(file)];
      for (const diagnostic of result.diagnostics) {
        if (!touchesRange(diagnostic.range, wanted)) continue;
        const editorDiagnostic = context.diagnostics.find((d) => d.source === 'moe-lens' && codeOf(d) === diagnostic.code && document.offsetAt(d.range.start) === diagnostic.range.start);
        // ESLint's and Ruff's "disable for this line / file", writing the `moe-lens: disable` comments.
        if (diagnostic.code !== PARSE_NOTE_CODE) {
          const line = result.lines.positionAt(diagnostic.range.start).line;
          for (const [scope, title] of [['line', `Disable ${diagnostic.code} for this line`], ['file', `Disable ${diagnostic.code} for this file`]] as const) {
            const edit = suppressionEdit(document.uri.path, text, result.lines, diagnostic.code, scope, line);
            if (!edit || suppressions.some((a) => a.title === title)) continue;
            const action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
            action.edit = toWorkspaceEdit(document.uri, result.lines, [edit], () => undefined);
            if (editorDiagnostic) action.diagnostics = [editorDiagnostic];
            suppressions.push(action);
          }
        }
        safeFixHere ||= diagnostic.fixes.some((f) => f.safety === 'safe');
        for (const fix of diagnostic.fixes) {
          const title = fix.safety === 'unsafe' ? `${fix.title} (changes behaviour)` : fix.title;
          let action: vscode.CodeAction | undefined;
          if (editsOtherFile(document.uri, fix.edits)) {
            action = otherFileFixAction(title, document.uri, result.lines, fix.edits, linesOf, textOf);
          } else {
            const edit = toWorkspaceEdit(document.uri, result.lines, fix.edits, linesOf, textOf);
            if (edit) (action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix)).edit = edit;
          }
          if (!action) continue;
          // VS Code's Auto Fix applies a preferred action unasked: only one that keeps what the config does.
          action.isPreferred = fix.preferred === true && fix.safety === 'safe';
          if (editorDiagnostic) action.diagnostics = [editorDiagnostic];
          actions.push(action);
        }
      }
      // ESLint's "Show documentation for …": the rule's page, rendered offline.
      for (const code of new Set(result.diagnostics.filter((d) => d.code !== PARSE_NOTE_CODE && touchesRange(d.range, wanted)).map((d) => d.code))) {
        const action = new vscode.CodeAction(`Show documentation for ${code}`, vscode.CodeActionKind.QuickFix);
        action.command = { title: action.title, command: SHOW_RULE_DOCUMENTATION, arguments: [code] };
        suppressions.push(action);
      }
      // "Fix all" sits beside a finding's own fixes, as ESLint's does, not on every line of the file.
      this.diagnostics.slices.record('codeActions', started);
      if (safeFixHere) actions.push(...(await this.fixAllAction(document, 'Fix all safe MoE Lens problems', vscode.CodeActionKind.QuickFix)));
      return [...actions, ...suppressions];
    } catch {
      return [];
    }
  }

  private async fixAllAction(document: vscode.TextDocument, title = 'MoE Lens: fix all safe problems', kind = FIX_ALL_KIND): Promise<vscode.CodeAction[]> {
    const text = document.getText();
    const version = document.version;
    const outcome = await this.analysis.request({ kind: 'fixAll', file: document.uri.toString(), text, options: DiagnosticsController.optionsFor(document.uri) });
    if (outcome.status !== 'answered' || document.version !== version) return [];
    const fixed = outcome.answer;
    if (fixed.text === text) return [];
    const action = new vscode.CodeAction(title, kind);
    action.edit = new vscode.WorkspaceEdit();
    action.edit.replace(document.uri, new vscode.Range(document.positionAt(0), document.positionAt(text.length)), fixed.text);
    return [action];
  }
}

/** Whether a finding is under the cursor or the selection (an empty selection at its edge counts). */
function touchesRange(range: SourceRange, wanted: SourceRange): boolean {
  return rangesOverlap(range, wanted) || range.start === wanted.start || (wanted.start === wanted.end && range.start <= wanted.start && wanted.start <= range.end);
}

function codeOf(diagnostic: vscode.Diagnostic): string | undefined {
  const code = diagnostic.code;
  return typeof code === 'object' ? String(code.value) : code === undefined ? undefined : String(code);
}
