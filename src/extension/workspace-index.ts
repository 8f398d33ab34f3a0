/**
 * Keeps the engine's ProjectIndex (the text of every Python file, for imports and defaults) in step with the workspace.
 * Reads go through `vscode.workspace.fs`, so virtual workspaces work; nothing is executed.
 */
import * as vscode from 'vscode';
import { ProjectIndex } from '../core/project';
import { LineIndex } from '../core/text/source';

/** Python for imports and defaults; YAML for `extends:` bases; DeepSeek's `inference/configs/*.json` for the launch scripts that name them (MOE022). */
const INDEXED = '{**/*.py,**/*.yaml,**/*.yml,**/configs/*.json}';
/** The folders EXCLUDE names, as a test on a path. */
const EXCLUDED_FOLDER = /\/(node_modules|\.git|\.venv|venv|dist|out|__pycache__)\//;
const EXCLUDE = '**/{node_modules,.git,.venv,venv,dist,out,__pycache__}/**';
const MAX_FILES = 5000;
const MAX_BYTES = 1024 * 1024;
/** What the index may hold in all: a workspace of thousands of large files must not fill the extension host. */
const MAX_TOTAL_BYTES = 64 * 1024 * 1024;

export class WorkspaceIndex implements vscode.Disposable {
  readonly project = new ProjectIndex();
  /** Line indexes, made on first use (to place related information and cross-file edits). */
  private readonly lines = new Map<string, LineIndex>();
  private readonly sizes = new Map<string, number>();
  private totalBytes = 0;
  private toldFull = false;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a file's declarations change, so open documents can be linted again. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly log: (message: string) => void,
    /** Where the engine runs (the analysis worker): it gets every text the index holds. */
    private readonly mirror: { setText(file: string, text: string): void; deleteFile(file: string): void },
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher(INDEXED);
    this.disposables.push(
      watcher,
      this.changed,
      watcher.onDidCreate((uri) => void this.refresh(uri)),
      watcher.onDidChange((uri) => void this.refresh(uri)),
      watcher.onDidDelete((uri) => this.remove(uri.toString())),
    );
  }

  async build(token?: vscode.CancellationToken): Promise<void> {
    try {
      const files = await vscode.workspace.findFiles(INDEXED, EXCLUDE, MAX_FILES, token);
      for (const uri of files) {
        if (token?.isCancellationRequested) return;
        await this.refresh(uri, false);
      }
      this.changed.fire();
    } catch (error) {
      this.log(`workspace index: ${String(error)}`);
    }
  }

  /** Line index of an indexed file, to place related information and cross-file edits. */
  linesOf(file: string): LineIndex | undefined {
    let index = this.lines.get(file);
    const text = index ? undefined : this.project.textOf(file);
    if (text !== undefined) this.lines.set(file, (index = new LineIndex(text)));
    return index;
  }

  /**
   * Whether a document may feed the index: a `file:` inside a workspace folder, outside the excluded folders
   * (issue #14: site-packages opened by Go to Definition, or a `git:` view, must never be edited by a fix).
   */
  accepts(uri: vscode.Uri): boolean {
    return uri.scheme === 'file' && vscode.workspace.getWorkspaceFolder(uri) !== undefined && !EXCLUDED_FOLDER.test(uri.path);
  }

  /** A closed document's unsaved text is gone ("Don't Save"): the file on disk is what the index holds again. */
  reload(uri: vscode.Uri): void {
    if (this.accepts(uri)) void this.refresh(uri);
  }

  /** Updates one file from text the editor already has (unsaved edits included). */
  updateFromText(file: string, text: string): void {
    if (this.project.textOf(file) === text || !this.hold(file, text)) return;
    this.changed.fire();
  }

  /** Stores a file's text within the index's total budget; false (and one log line) once it is full. */
  private hold(file: string, text: string): boolean {
    const growth = text.length - (this.sizes.get(file) ?? 0);
    if (this.totalBytes + growth > MAX_TOTAL_BYTES) {
      if (!this.toldFull) this.log(`workspace index: full at ${Math.round(this.totalBytes / 1048576)} MB; further files are not indexed (imports into them stay unknown).`);
      this.toldFull = true;
      return false;
    }
    this.totalBytes += growth;
    this.sizes.set(file, text.length);
    this.project.setText(file, text);
    this.mirror.setText(file, text);
    this.lines.delete(file);
    return true;
  }

  private async refresh(uri: vscode.Uri, notify = true): Promise<void> {
    // The watcher sees every matching file, excluded folders too (a pip install into ./.venv).
    if (EXCLUDED_FOLDER.test(uri.path)) return;
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      if (stat.size > MAX_BYTES) return;
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      const file = uri.toString();
      if (this.project.textOf(file) === text) return;
      // Held as text and parsed only when an import reaches it: start-up reads files but parses none.
      if (this.hold(file, text) && notify) this.changed.fire();
    } catch (error) {
      this.log(`workspace index: cannot read ${uri.toString()}: ${String(error)}`);
    }
  }

  private remove(file: string, notify = true): void {
    const had = this.project.hasModule(file);
    this.project.deleteFile(file);
    this.mirror.deleteFile(file);
    this.lines.delete(file);
    this.totalBytes -= this.sizes.get(file) ?? 0;
    this.sizes.delete(file);
    if (had && notify) this.changed.fire();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
