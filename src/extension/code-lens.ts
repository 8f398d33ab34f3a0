/** "Preview routing" above each MoE config. */
import * as vscode from 'vscode';
import { toRange } from './convert';
import type { DiagnosticsController } from './diagnostics';

export class PreviewCodeLens implements vscode.CodeLensProvider {
  constructor(private readonly diagnostics: DiagnosticsController) {}

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    try {
      const version = document.version;
      const result = await this.diagnostics.resultFor(document);
      if (!result || document.version !== version) return [];
      // A DeepSeek launch command names its router's config (a JSON the lens is on); it holds no router itself.
      return result.summary.configs.filter((spec) => spec.dialect !== 'deepseek-launch').map(
        (spec) =>
          new vscode.CodeLens(toRange(result.lines, spec.anchorRange), {
            title: `$(graph) Preview routing: ${spec.name}`,
            command: 'moeLens.previewRouting',
            arguments: [document.uri, spec.name],
          }),
      );
    } catch {
      return [];
    }
  }
}
