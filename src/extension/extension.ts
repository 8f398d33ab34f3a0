/** Activation: wires the engine to VS Code. All logic lives in src/core; this file only connects events. */
import * as vscode from 'vscode';
import { MoeLensCodeActions } from './code-actions';
import { DiagnosticsController } from './diagnostics';
import { MoeLensHover } from './hover';
import { WorkspaceIndex } from './workspace-index';

const SELECTOR: vscode.DocumentSelector = [{ language: 'python' }, { language: 'json' }, { language: 'jsonc' }, { language: 'yaml' }, { language: 'shellscript' }];
const LINT_GLOB = '**/*.{py,json,yaml,yml,sh}';
const LINT_EXCLUDE = '**/{node_modules,.git,.venv,venv,dist,out,__pycache__}/**';

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('MoE Lens');
  const log = (message: string): void => output.appendLine(`[${new Date().toISOString()}] ${message}`);
  const index = new WorkspaceIndex(log);
  const diagnostics = new DiagnosticsController(index, log);
  const lintOpen = (): void => {
    for (const document of vscode.workspace.textDocuments) diagnostics.lintNow(document);
  };

  context.subscriptions.push(
    output,
    index,
    diagnostics,
    vscode.languages.registerCodeActionsProvider(SELECTOR, new MoeLensCodeActions(diagnostics, index), MoeLensCodeActions.metadata),
    vscode.languages.registerHoverProvider(SELECTOR, new MoeLensHover(diagnostics)),
    vscode.workspace.onDidOpenTextDocument((document) => diagnostics.lintNow(document)),
    vscode.workspace.onDidChangeTextDocument((event) => diagnostics.schedule(event.document)),
    vscode.workspace.onDidCloseTextDocument((document) => diagnostics.forget(document)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('moeLens')) lintOpen();
    }),
    index.onDidChange(() => lintOpen()),
    vscode.commands.registerCommand('moeLens.lintWorkspace', () => lintWorkspace(diagnostics, log)),
  );

  lintOpen();
  void index.build();
}

async function lintWorkspace(diagnostics: DiagnosticsController, log: (message: string) => void): Promise<void> {
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'MoE Lens: linting workspace', cancellable: true }, async (_progress, token) => {
    const files = await vscode.workspace.findFiles(LINT_GLOB, LINT_EXCLUDE, 20_000, token);
    let problems = 0;
    for (const uri of files) {
      if (token.isCancellationRequested) break;
      try {
        const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
        if (open) problems += diagnostics.lintNow(open)?.diagnostics.length ?? 0;
        else problems += diagnostics.publish(uri, new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)));
      } catch (error) {
        log(`lint workspace: ${uri.toString()}: ${String(error)}`);
      }
    }
    void vscode.window.showInformationMessage(`MoE Lens: ${problems} problem${problems === 1 ? '' : 's'} in ${files.length} files.`);
  });
}

export function deactivate(): void {}
