/**
 * The routing-preview panel's host side: one panel per config, bound to that config (not to whichever
 * editor has focus), following its edits. Every message from the webview is validated before use.
 */
import * as vscode from 'vscode';
import { parseWebviewMessage, type HostMessage } from '../core/protocol';
import { CLI_PLACEHOLDER, cliInvocation, CONFIG_PLACEHOLDER, MODEL_PLACEHOLDER, previewSubject } from '../core/preview';
import { LineIndex } from '../core/text/source';
import { createNonce, previewHtml } from './preview-html';
import { Config } from './settings';
import type { AnalysisClient } from './analysis/client';

export const PREVIEW_VIEW_TYPE = 'moeLens.routingPreview';

export class PreviewPanel implements vscode.Disposable {
  private static readonly open = new Map<string, PreviewPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

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
    preview.disposables.push(panel.onDidDispose(() => PreviewPanel.open.delete(key)));
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
    webview.html = previewHtml({ nonce: createNonce(), cspSource: webview.cspSource, scriptUri: asUri('dist', 'webview', 'main.js'), styleUri: asUri('dist', 'webview', 'preview.css') });
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.png');
    this.disposables.push(
      webview.onDidReceiveMessage((raw) => void this.receive(raw)),
      vscode.workspace.onDidChangeTextDocument((event) => {
        // Dirty-state and save notifications carry no content change: nothing to re-run.
        if (event.document.uri.toString() !== this.uri.toString() || event.contentChanges.length === 0) return;
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.pushSubject(), 400);
      }),
      panel.onDidDispose(() => this.dispose()),
    );
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
          await this.pushSubject();
          break;
        case 'preview/copy': {
          await vscode.env.clipboard.writeText(message.body.text);
          const placeholders = [CONFIG_PLACEHOLDER, MODEL_PLACEHOLDER, CLI_PLACEHOLDER].filter((p) => message.body.text.includes(p));
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
    const post = (message: HostMessage): Thenable<boolean> => this.panel.webview.postMessage(message);
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
      const ortBaseUri = this.panel.webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'ort')).toString() + '/';
      const cli = cliInvocation(vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'cli.js').fsPath);
      await post({ type: 'preview/subject', body: { subject, ortBaseUri, cli } });
    } catch (error) {
      this.log(`routing preview: ${String(error)}`);
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables) d.dispose();
  }
}
