/**
 * The status bar item for the active file: how many router configs MoE Lens read in it and how many problems
 * they have, "no MoE config", or "not analysed" (over budget, too large). Clicking it opens what MoE Lens
 * understood of the file (the editor's `moe-lens inspect`).
 */
import * as vscode from 'vscode';
import { PARSE_NOTE_CODE } from '../core/lint';
import { DiagnosticsController, type DocumentResult } from './diagnostics';
import { INSPECT_FILE } from './documents';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('moeLens.status', vscode.StatusBarAlignment.Right, 100);
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly diagnostics: DiagnosticsController) {
    this.item.name = 'MoE Lens';
    this.disposables.push(
      this.item,
      vscode.window.onDidChangeActiveTextEditor(() => void this.refresh()),
      diagnostics.onDidLint((uri) => {
        if (vscode.window.activeTextEditor?.document.uri.toString() === uri.toString()) void this.refresh();
      }),
    );
    void this.refresh();
  }

  /** The text, tooltip and icon for a file's result (exported for tests through `describe`). */
  static describe(result: DocumentResult | undefined): { text: string; tooltip: string } {
    if (!result) return { text: '$(circle-slash) MoE Lens', tooltip: 'MoE Lens: not analysed yet' };
    const configs = result.summary.configs.length;
    const problems = result.diagnostics.filter((d) => d.code !== PARSE_NOTE_CODE).length;
    const note = result.diagnostics.find((d) => d.code === PARSE_NOTE_CODE)?.message;
    if (configs === 0) {
      return note ? { text: '$(warning) MoE Lens: not read', tooltip: note } : { text: '$(circle-slash) MoE Lens: no MoE config', tooltip: 'MoE Lens found no MoE router config in this file' };
    }
    const icon = problems > 0 ? '$(warning)' : '$(check)';
    const text = `${icon} MoE: ${configs} config${configs === 1 ? '' : 's'}${problems > 0 ? `, ${problems} problem${problems === 1 ? '' : 's'}` : ''}`;
    return { text, tooltip: 'What MoE Lens read in this file, and where each value comes from (moe-lens inspect)' };
  }

  private async refresh(): Promise<void> {
    const document = vscode.window.activeTextEditor?.document;
    if (!document || !DiagnosticsController.isCandidate(document)) {
      this.item.hide();
      return;
    }
    const shown = StatusBar.describe(await this.diagnostics.resultFor(document));
    if (vscode.window.activeTextEditor?.document !== document) return;
    this.item.text = shown.text;
    this.item.tooltip = shown.tooltip;
    this.item.command = { title: 'Inspect', command: INSPECT_FILE, arguments: [document.uri] };
    this.item.show();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
