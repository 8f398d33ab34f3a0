/** Activation: wires the engine to VS Code. All logic lives in src/core; this file only connects events. */
import * as vscode from 'vscode';
import { AnalysisClient } from './analysis/client';
import { MoeLensCodeActions } from './code-actions';
import { PreviewCodeLens } from './code-lens';
import { COMPLETION_TRIGGERS, MoeLensCompletions } from './completions';
import { DiagnosticsController, LANGUAGES } from './diagnostics';
import { INSPECT_FILE, INSPECT_SCHEME, inspectUri, MoeLensDocuments, RULE_DOC_SCHEME, SHOW_RULE_DOCUMENTATION, showRendered, showRuleDocumentation } from './documents';
import { APPLY_FIX_IN_OTHER_FILE, applyFixInOtherFile, type OtherFileFix } from './other-file-fix';
import { MoeLensDefinition } from './definition';
import { MoeLensHover } from './hover';
import { PreviewPanel } from './preview-panel';
import { Config } from './settings';
import { StatusBar } from './status-bar';
import { WorkspaceIndex } from './workspace-index';

// VS Code has no TOML language of its own: without a TOML extension a job file is plain text, so it is also
// selected by its name, or it would get diagnostics but no hover or quick fix.
const SELECTOR: vscode.DocumentSelector = [...LANGUAGES.map((language) => ({ language })), { pattern: '**/*.toml' }];
const LINT_GLOB = '**/*.{py,json,yaml,yml,sh,toml}';
const LINT_EXCLUDE = '**/{node_modules,.git,.venv,venv,dist,out,__pycache__}/**';

export function activate(context: vscode.ExtensionContext): void {
  const started = performance.now();
  // A log channel writes through VS Code's log service (timestamps, files flushed promptly).
  const output = vscode.window.createOutputChannel('MoE Lens', { log: true });
  const log = (message: string): void => output.info(message);
  const budget = (): { timeMs: number; memoryMb: number } => {
    const config = new Config(vscode.workspace.getConfiguration());
    return { timeMs: config.timeBudgetMs, memoryMb: config.memoryBudgetMb };
  };
  // The engine runs on its own thread with a time and memory budget (issue #14); this thread only sends texts.
  const analysis = new AnalysisClient(context.asAbsolutePath('dist/analysis-worker.js'), budget(), log);
  const index = new WorkspaceIndex(log, analysis);
  const diagnostics = new DiagnosticsController(index, analysis, log);
  const documents = new MoeLensDocuments(diagnostics, index);
  const completions = new MoeLensCompletions(diagnostics);
  const lintOpen = (): void => {
    for (const document of vscode.workspace.textDocuments) void diagnostics.lintNow(document);
  };

  context.subscriptions.push(
    output,
    { dispose: () => analysis.dispose() },
    index,
    diagnostics,
    vscode.languages.registerCodeActionsProvider(SELECTOR, new MoeLensCodeActions(diagnostics, index, analysis), MoeLensCodeActions.metadata),
    vscode.languages.registerHoverProvider(SELECTOR, new MoeLensHover(diagnostics)),
    vscode.languages.registerDefinitionProvider(SELECTOR, new MoeLensDefinition(diagnostics, index)),
    vscode.workspace.onDidOpenTextDocument((document) => void diagnostics.lintNow(document)),
    vscode.workspace.onDidChangeTextDocument((event) => diagnostics.schedule(event.document)),
    vscode.workspace.onDidCloseTextDocument((document) => {
      diagnostics.forget(document);
      index.reload(document.uri);
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration('moeLens')) return;
      analysis.setBudget(budget());
      lintOpen();
    }),
    index.onDidChange(() => lintOpen()),
    vscode.commands.registerCommand('moeLens.lintWorkspace', () => lintWorkspace(diagnostics, log)),
    vscode.languages.registerCodeLensProvider(SELECTOR, new PreviewCodeLens(diagnostics)),
    vscode.commands.registerCommand('moeLens.previewRouting', (uri?: vscode.Uri, configName?: string) => previewRouting(context, analysis, log, uri, configName)),
    vscode.commands.registerCommand('moeLens.loadRouterWeights', () => PreviewPanel.pickWeightsForActive()),
    vscode.workspace.registerTextDocumentContentProvider(RULE_DOC_SCHEME, documents),
    vscode.workspace.registerTextDocumentContentProvider(INSPECT_SCHEME, documents),
    vscode.commands.registerCommand(SHOW_RULE_DOCUMENTATION, (code?: string) => showRuleDocumentation(code)),
    vscode.commands.registerCommand(APPLY_FIX_IN_OTHER_FILE, (fix?: OtherFileFix) => applyFixInOtherFile(fix)),
    vscode.commands.registerCommand(INSPECT_FILE, (uri?: vscode.Uri) => {
      const file = uri ?? vscode.window.activeTextEditor?.document.uri;
      if (file) return showRendered(inspectUri(file));
      return vscode.window.showInformationMessage('MoE Lens: open a config file to inspect it.');
    }),
    new StatusBar(diagnostics),
    // For the editor suites (not in the command palette): the longest synchronous slice of each surface here.
    vscode.commands.registerCommand('moeLens.internal.hostSlices', () => diagnostics.slices.report),
    vscode.languages.registerCompletionItemProvider(SELECTOR, completions, ...COMPLETION_TRIGGERS),
    vscode.languages.registerSignatureHelpProvider({ language: 'python' }, completions, '(', ','),
  );

  lintOpen();
  void index.build();
  log(`activated in ${(performance.now() - started).toFixed(1)} ms`);
}

async function lintWorkspace(diagnostics: DiagnosticsController, log: (message: string) => void): Promise<void> {
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'MoE Lens: linting workspace', cancellable: true }, async (_progress, token) => {
    const files = await vscode.workspace.findFiles(LINT_GLOB, LINT_EXCLUDE, 20_000, token);
    let problems = 0;
    let skipped = 0;
    for (const uri of files) {
      if (token.isCancellationRequested) break;
      try {
        const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
        if (open) problems += (await diagnostics.lintNow(open))?.diagnostics.length ?? 0;
        // The size limit is checked before the file is read, not after (issue #14).
        else if ((await vscode.workspace.fs.stat(uri)).size > new Config(vscode.workspace.getConfiguration(undefined, uri)).maxFileSizeBytes) skipped++;
        else problems += await diagnostics.publish(uri, new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)));
      } catch (error) {
        log(`lint workspace: ${uri.toString()}: ${String(error)}`);
      }
    }
    const above = skipped > 0 ? ` ${skipped} file${skipped === 1 ? ' was' : 's were'} above moeLens.lint.maxFileSizeKb and not read.` : '';
    void vscode.window.showInformationMessage(`MoE Lens: ${problems} problem${problems === 1 ? '' : 's'} in ${files.length} files.${above}`);
  });
}

/** Opens the panel for a config: the one named, the one under the cursor, or one picked from the file. */
async function previewRouting(context: vscode.ExtensionContext, analysis: AnalysisClient, log: (message: string) => void, uri?: vscode.Uri, configName?: string): Promise<void> {
  try {
    const editor = vscode.window.activeTextEditor;
    const document = uri ? await vscode.workspace.openTextDocument(uri) : editor?.document;
    if (!document) {
      void vscode.window.showInformationMessage('MoE Lens: open an MoE config to preview its routing.');
      return;
    }
    let name = configName;
    if (!name) {
      const outcome = await analysis.request({ kind: 'analyze', file: document.uri.toString(), text: document.getText() });
      if (outcome.status === 'stopped') void vscode.window.showInformationMessage(`MoE Lens: ${outcome.reason}.`);
      if (outcome.status !== 'answered') return;
      const specs = outcome.answer.analysis.specs;
      if (specs.length === 0) {
        void vscode.window.showInformationMessage('MoE Lens: no MoE router config found in this file.');
        return;
      }
      const cursor = editor?.document === document ? document.offsetAt(editor.selection.active) : -1;
      name = specs.find((s) => s.range.start <= cursor && cursor <= s.range.end)?.name;
      name ??= specs.length === 1 ? specs[0]!.name : (await vscode.window.showQuickPick(specs.map((s) => s.name), { placeHolder: 'Which config?' }));
      if (!name) return;
    }
    PreviewPanel.show(context, analysis, document, name, log);
  } catch (error) {
    log(`preview routing: ${String(error)}`);
  }
}

export function deactivate(): void {}
