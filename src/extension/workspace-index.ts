/**
 * Keeps the engine's ProjectIndex (dataclass defaults from every Python file) in step with the workspace.
 * Reads go through `vscode.workspace.fs`, so virtual workspaces work; nothing is executed.
 */
import * as vscode from 'vscode';
import { collectDeclarations } from '../core/parse/python/declarations';
import { parsePython } from '../core/parse/python/syntax';
import { ProjectIndex } from '../core/project';
import { LineIndex } from '../core/text/source';

const EXCLUDE = '**/{node_modules,.git,.venv,venv,dist,out,__pycache__}/**';
const MAX_FILES = 5000;
const MAX_BYTES = 1024 * 1024;

export class WorkspaceIndex implements vscode.Disposable {
  readonly project = new ProjectIndex();
  private readonly lines = new Map<string, LineIndex>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a file's declarations change, so open documents can be linted again. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly log: (message: string) => void) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.py');
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
      const files = await vscode.workspace.findFiles('**/*.py', EXCLUDE, MAX_FILES, token);
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
    return this.lines.get(file);
  }

  /** Updates one file from text the editor already has (unsaved edits included). */
  updateFromText(file: string, text: string): void {
    if (!text.includes('dataclass') && !this.lines.has(file)) return;
    const before = this.fingerprint(file);
    this.project.setFile(file, collectDeclarations(parsePython(text), file));
    this.lines.set(file, new LineIndex(text));
    if (this.fingerprint(file) !== before) this.changed.fire();
  }

  private async refresh(uri: vscode.Uri, notify = true): Promise<void> {
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      if (stat.size > MAX_BYTES) return;
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      if (!text.includes('dataclass')) {
        this.remove(uri.toString(), notify);
        return;
      }
      const before = this.fingerprint(uri.toString());
      this.project.setFile(uri.toString(), collectDeclarations(parsePython(text), uri.toString()));
      this.lines.set(uri.toString(), new LineIndex(text));
      if (notify && this.fingerprint(uri.toString()) !== before) this.changed.fire();
    } catch (error) {
      this.log(`workspace index: cannot read ${uri.toString()}: ${String(error)}`);
    }
  }

  private remove(file: string, notify = true): void {
    const had = this.project.files.includes(file);
    this.project.deleteFile(file);
    this.lines.delete(file);
    if (had && notify) this.changed.fire();
  }

  private fingerprint(file: string): string {
    const decls = this.project.allDataclasses().filter((d) => d.file === file);
    return JSON.stringify(decls.map((d) => [d.name, [...d.fields.values()].map((f) => [f.name, f.literal, f.valueRange])]));
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
