/** Go to definition from a job file's `flavor = "120b"` to the flavor it trains (the engine finds it; this places it). */
import * as vscode from 'vscode';
import { definitionAt } from '../core/definition';
import { LineIndex } from '../core/text/source';
import { toRange } from './convert';
import type { DiagnosticsController } from './diagnostics';
import type { WorkspaceIndex } from './workspace-index';

export class MoeLensDefinition implements vscode.DefinitionProvider {
  constructor(
    private readonly diagnostics: DiagnosticsController,
    private readonly index: WorkspaceIndex,
  ) {}

  async provideDefinition(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Location | undefined> {
    try {
      const result = await this.diagnostics.resultFor(document);
      const place = result ? definitionAt(await this.diagnostics.fullAnalysis(result), document.offsetAt(position)) : undefined;
      if (!place) return undefined;
      const uri = vscode.Uri.parse(place.file);
      // The index's lines are those of the text the engine read; a file it no longer holds is opened.
      const lines = this.index.linesOf(place.file) ?? new LineIndex((await vscode.workspace.openTextDocument(uri)).getText());
      return new vscode.Location(uri, toRange(lines, place.range));
    } catch {
      return undefined;
    }
  }
}
