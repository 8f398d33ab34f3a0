/** Completions and signature help for routing keys and values (the engine's `completionsAt` / `signatureAt`). */
import * as vscode from 'vscode';
import { completionsAt, signatureAt } from '../core/complete';
import type { DiagnosticsController } from './diagnostics';

export const COMPLETION_TRIGGERS = ['(', ',', '=', '"', "'", ':', '-', ' '];

export class MoeLensCompletions implements vscode.CompletionItemProvider, vscode.SignatureHelpProvider {
  constructor(private readonly diagnostics: DiagnosticsController) {}

  async provideCompletionItems(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.CompletionItem[] | undefined> {
    try {
      // The configs read at the last lint (published values, whether the file is an MoE config): typing does not
      // wait for a new lint; only a file never linted yet is linted first.
      const result = this.diagnostics.lastResult(document) ?? (await this.diagnostics.resultFor(document));
      const analysis = result ? await this.diagnostics.fullAnalysis(result) : { specs: [] };
      const started = performance.now();
      try {
        return this.items(document, document.offsetAt(position), analysis);
      } finally {
        this.diagnostics.slices.record('completions', started);
      }
    } catch {
      return undefined;
    }
  }

  private items(document: vscode.TextDocument, offset: number, analysis: Parameters<typeof completionsAt>[3]): vscode.CompletionItem[] | undefined {
    const found = completionsAt(document.uri.path, document.getText(), offset, analysis);
    if (!found) return undefined;
    const range = new vscode.Range(document.positionAt(found.replace.start), document.positionAt(found.replace.end));
    return found.entries.map((entry) => {
      const item = new vscode.CompletionItem(entry.label, entry.kind === 'key' ? vscode.CompletionItemKind.Property : vscode.CompletionItemKind.EnumMember);
      item.insertText = entry.insertText;
      item.sortText = entry.sortText;
      item.range = range;
      if (entry.detail) {
        item.detail = entry.detail.length > 80 ? `${entry.detail.slice(0, 79)}…` : entry.detail;
        item.documentation = new vscode.MarkdownString().appendText(entry.detail);
      }
      item.preselect = entry.sortText === '0';
      return item;
    });
  }

  provideSignatureHelp(document: vscode.TextDocument, position: vscode.Position): vscode.SignatureHelp | undefined {
    const started = performance.now();
    const data = signatureAt(document.uri.path, document.getText(), document.offsetAt(position));
    this.diagnostics.slices.record('completions', started);
    if (!data) return undefined;
    const signature = new vscode.SignatureInformation(data.label);
    signature.parameters = data.parameters.map((p) => new vscode.ParameterInformation(p.label, p.documentation));
    const help = new vscode.SignatureHelp();
    help.signatures = [signature];
    help.activeSignature = 0;
    help.activeParameter = data.active;
    return help;
  }
}
