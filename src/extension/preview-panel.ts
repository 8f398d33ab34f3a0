/**
 * The routing-preview panel's host side: one panel per config, bound to that config (not to whichever
 * editor has focus), following its edits. Every message from the webview is validated before use.
 */
import * as vscode from 'vscode';
import { isAbsolute, join } from 'node:path';
import { parseWebviewMessage, type HostMessage, type RouterWeights } from '../core/protocol';
import { CheckpointError } from '../core/router/safetensors';
import { loadRouterLayers } from '../node/router-layers';
import { CLI_PLACEHOLDER, cliInvocation, CONFIG_PLACEHOLDER, MODEL_PLACEHOLDER, previewSubject, WEIGHTS_PLACEHOLDER } from '../core/preview';
import { LineIndex } from '../core/text/source';
import { createNonce, previewHtml } from './preview-html';
import { Config } from './settings';
import type { AnalysisClient } from './analysis/client';

export const PREVIEW_VIEW_TYPE = 'moeLens.routingPreview';
/** Context key: a routing preview is open (the "Load Router Weights…" command is offered). */
const OPEN_CONTEXT = 'moeLens.routingPreviewOpen';

export class PreviewPanel implements vscode.Disposable {
  private static readonly open = new Map<string, PreviewPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private disposed = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The last panel the user looked at: "Load Router Weights…" from the palette loads into it. */
  private static lastActive: PreviewPanel | undefined;
  /** The expert count of the config last sent: a checkpoint's routers must have as many rows. */
  private experts: number | undefined;
  /** The checkpoint the setting named when it was last loaded (a change of the setting loads the new one). */
  private settingLoaded: string | undefined;
  /** Loads in flight: only the latest one's answer is sent. */
  private weightsRequest = 0;

  /** "MoE Lens: Load Router Weights…": asks for a checkpoint and loads it into the active (or last active) panel. */
  static async pickWeightsForActive(): Promise<void> {
    const panel = [...PreviewPanel.open.values()].find((p) => p.panel.active) ?? PreviewPanel.lastActive ?? [...PreviewPanel.open.values()][0];
    if (!panel) {
      void vscode.window.showInformationMessage('MoE Lens: open a routing preview (MoE Lens: Preview Routing) first; its router weights load into it.');
      return;
    }
    await panel.pickWeights();
  }

  static show(context: vscode.ExtensionContext, analysis: AnalysisClient, document: vscode.TextDocument, configName: string, log: (message: string) => void): PreviewPanel {
    const key = `${document.uri.toString()}#${configName}`;
    const existing = PreviewPanel.open.get(key);
    if (existing) {
      existing.panel.reveal(vscode.ViewColumn.Beside);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(PREVIEW_VIEW_TYPE, `Routing: ${configName}`, vscode.ViewColumn.Beside, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist'), vscode.Uri.joinPath(context.extensionUri, 'media')],
    });
    const preview = new PreviewPanel(panel, context, analysis, document.uri, configName, log);
    PreviewPanel.open.set(key, preview);
    PreviewPanel.lastActive = preview;
    void vscode.commands.executeCommand('setContext', OPEN_CONTEXT, true);
    preview.disposables.push(
      panel.onDidDispose(() => {
        PreviewPanel.open.delete(key);
        if (PreviewPanel.lastActive === preview) PreviewPanel.lastActive = undefined;
        void vscode.commands.executeCommand('setContext', OPEN_CONTEXT, PreviewPanel.open.size > 0);
      }),
      panel.onDidChangeViewState((event) => {
        if (event.webviewPanel.active) PreviewPanel.lastActive = preview;
      }),
    );
    return preview;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly analysis: AnalysisClient,
    private readonly uri: vscode.Uri,
    private readonly configName: string,
    private readonly log: (message: string) => void,
  ) {
    const webview = panel.webview;
    const asUri = (...path: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(context.extensionUri, ...path)).toString();
    webview.html = previewHtml({ nonce: createNonce(), cspSource: webview.cspSource, scriptUri: asUri('dist', 'webview', 'main.js'), styleUri: asUri('dist', 'webview', 'preview.css'), ortBaseUri: `${asUri('dist', 'ort')}/` });
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.png');
    this.disposables.push(
      webview.onDidReceiveMessage((raw) => void this.receive(raw)),
      vscode.workspace.onDidChangeTextDocument((event) => {
        // Dirty-state and save notifications carry no content change: nothing to re-run.
        if (event.document.uri.toString() !== this.uri.toString() || event.contentChanges.length === 0) return;
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.pushSubject(), 400);
      }),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (this.ready && event.affectsConfiguration('moeLens.preview.routerWeights', this.uri)) void this.loadSettingWeights().catch((error: unknown) => this.log(`routing preview: ${String(error)}`));
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** The dialog: a .safetensors file, or a sharded checkpoint's index (folders too where the platform's dialog allows both). */
  async pickWeights(): Promise<void> {
    const picked = await vscode.window.showOpenDialog({
      title: 'Load router weights: a .safetensors file, or a sharded checkpoint\'s model.safetensors.index.json',
      openLabel: 'Load router weights',
      canSelectFiles: true,
      // Windows' and Linux' dialogs pick files or folders, not both: there the index file stands for its folder.
      canSelectFolders: process.platform === 'darwin',
      canSelectMany: false,
      filters: { 'safetensors checkpoints': ['safetensors', 'json'] },
      defaultUri: vscode.workspace.getWorkspaceFolder(this.uri)?.uri ?? vscode.Uri.joinPath(this.uri, '..'),
    });
    if (picked?.[0]) await this.loadWeights(picked[0]);
  }

  /** `moeLens.preview.routerWeights`, relative to the config's workspace folder; nothing when unset or already loaded. */
  private async loadSettingWeights(): Promise<void> {
    const setting = new Config(vscode.workspace.getConfiguration(undefined, this.uri)).routerWeights;
    if (setting === undefined || setting === this.settingLoaded) return;
    this.settingLoaded = setting;
    const folder = vscode.workspace.getWorkspaceFolder(this.uri)?.uri ?? vscode.Uri.joinPath(this.uri, '..');
    const expanded = setting.replace(/^\$\{workspaceFolder\}/, folder.fsPath);
    const target = isAbsolute(expanded) ? vscode.Uri.file(expanded) : folder.scheme === 'file' ? vscode.Uri.file(join(folder.fsPath, expanded)) : vscode.Uri.joinPath(folder, expanded);
    await this.loadWeights(target, 'moeLens.preview.routerWeights');
  }

  /** Reads every layer's router from the checkpoint (headers and router tensors only) and sends it; errors are one sentence in the panel. */
  private async loadWeights(target: vscode.Uri, via?: string): Promise<void> {
    const post = (message: HostMessage): Thenable<boolean> => this.post(message);
    const mine = ++this.weightsRequest;
    const source = target.scheme === 'file' ? vscode.workspace.asRelativePath(target.fsPath) : target.toString();
    const prefix = via ? `${via}: ` : '';
    if (target.scheme !== 'file') {
      await post({ type: 'preview/weights-error', body: { message: `${prefix}${source} is not on this machine's disk; MoE Lens reads checkpoints from local files only.` } });
      return;
    }
    await post({ type: 'preview/weights-loading', body: { source } });
    const began = Date.now();
    try {
      const read = await loadRouterLayers(target.fsPath, this.experts !== undefined ? { experts: this.experts } : {});
      if (mine !== this.weightsRequest) return;
      const weights: RouterWeights = { ...read, source: vscode.workspace.asRelativePath(read.source), readMs: Date.now() - began };
      this.log(`routing preview: read ${read.layers.length} router layers (${read.convention}, ${read.experts} × ${read.hidden}) from ${read.source}: ${read.bytesRead} bytes in ${weights.readMs} ms`);
      await post({ type: 'preview/weights', body: { weights } });
    } catch (error) {
      if (mine !== this.weightsRequest) return;
      const message = error instanceof CheckpointError ? error.message : `${source} could not be read (${String((error as Error)?.message ?? error)}).`;
      if (!(error instanceof CheckpointError)) this.log(`routing preview: ${String((error as Error)?.stack ?? error)}`);
      await post({ type: 'preview/weights-error', body: { message: `${prefix}${message}` } });
    }
  }

  private async receive(raw: unknown): Promise<void> {
    const message = parseWebviewMessage(raw);
    if (!message) {
      this.log(`routing preview: ignored a malformed message from the webview: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    try {
      switch (message.type) {
        case 'preview/ready':
          this.ready = true;
          this.settingLoaded = undefined; // a reloaded page has no weights: the setting's load again
          await this.pushSubject();
          await this.loadSettingWeights();
          break;
        case 'preview/pick-weights':
          await this.pickWeights();
          break;
        case 'preview/copy': {
          await vscode.env.clipboard.writeText(message.body.text);
          const placeholders = [CONFIG_PLACEHOLDER, MODEL_PLACEHOLDER, CLI_PLACEHOLDER, WEIGHTS_PLACEHOLDER].filter((p) => message.body.text.includes(p));
          void vscode.window.showInformationMessage(
            placeholders.length > 0
              ? `MoE Lens: copied the moe-lens route command (it runs the CLI this extension ships, with Node). Replace ${placeholders.join(' / ')} yourself: the path or name has characters that shells quote differently, so MoE Lens leaves it out.`
              : 'MoE Lens: copied the moe-lens route command (it runs the CLI this extension ships, with Node 20 or later).',
          );
          break;
        }
        case 'preview/export': {
          const target = await vscode.window.showSaveDialog({ filters: { JSON: ['json'] }, defaultUri: vscode.Uri.joinPath(this.uri, '..', `routing-${this.configName.replace(/[^\w.-]+/g, '_')}.json`) });
          if (target) await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(message.body.json));
          break;
        }
        case 'preview/log':
          this.log(`routing preview (${message.body.level}): ${message.body.message}`);
          break;
        default: {
          // Every message of the protocol is handled: a new one fails to compile here.
          const unhandled: never = message;
          this.log(`routing preview: unhandled message ${JSON.stringify(unhandled)}`);
        }
      }
    } catch (error) {
      this.log(`routing preview: ${String(error)}`);
    }
  }

  private async pushSubject(): Promise<void> {
    if (!this.ready) return;
    const post = (message: HostMessage): Thenable<boolean> => this.post(message);
    try {
      const document = await vscode.workspace.openTextDocument(this.uri);
      const text = document.getText();
      const limit = new Config(vscode.workspace.getConfiguration(undefined, this.uri)).maxFileSizeBytes;
      if (text.length > limit) {
        await post({ type: 'preview/error', body: { message: `${vscode.workspace.asRelativePath(this.uri)} is above moeLens.lint.maxFileSizeKb; MoE Lens does not analyse it.` } });
        return;
      }
      const outcome = await this.analysis.request({ kind: 'analyze', file: this.uri.toString(), text });
      if (outcome.status === 'superseded') return;
      if (outcome.status === 'stopped') {
        await post({ type: 'preview/error', body: { message: `${outcome.reason}.` } });
        return;
      }
      const analysis = outcome.answer.analysis;
      const spec = analysis.specs.find((s) => s.name === this.configName);
      if (!spec) {
        await post({ type: 'preview/error', body: { message: `The config "${this.configName}" is no longer in ${vscode.workspace.asRelativePath(this.uri)}.` } });
        return;
      }
      const line = new LineIndex(text).positionAt(spec.anchorRange.start).line + 1;
      const subject = previewSubject(spec, vscode.workspace.asRelativePath(this.uri), line, analysis.specs);
      if ('error' in subject) {
        await post({ type: 'preview/error', body: { message: subject.error } });
        return;
      }
      this.experts = subject.router.config.experts;
      const ortBaseUri = this.panel.webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'ort')).toString() + '/';
      const cli = cliInvocation(vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'cli.js').fsPath);
      await post({ type: 'preview/subject', body: { subject, ortBaseUri, cli } });
    } catch (error) {
      this.log(`routing preview: ${String(error)}`);
    }
  }

  /**
   * Posts to the webview unless the panel is gone: a checkpoint read or an analysis that finishes after the user
   * closed the panel has nobody to tell (VS Code throws "Webview is disposed" on the closed panel's webview).
   */
  private post(message: HostMessage): Thenable<boolean> {
    if (this.disposed) return Promise.resolve(false);
    try {
      return this.panel.webview.postMessage(message);
    } catch (error) {
      this.log(`routing preview: ${String(error)}`);
      return Promise.resolve(false);
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
