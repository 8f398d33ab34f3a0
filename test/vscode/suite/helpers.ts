/** What the extension-host suites share: the example workspace, waiting on diagnostics, clean-up. */
import * as vscode from 'vscode';

export const EXTENSION_ID = 'moe-lens.moe-lens';
export const GPT_OSS = 'torchtitan/gpt_oss/__init__.py';

/** The workspace is a scratch copy of examples/ (the driver makes it), so tests may edit and save. */
export function workspaceFile(relative: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the suite needs a copy of examples/ open as the workspace folder');
  return vscode.Uri.joinPath(folder.uri, ...relative.split('/'));
}

/** Records a number a test measured; the driver prints it after the run (the host has no terminal). */
export function measured(line: string): void {
  const store = globalThis as Record<string, unknown>;
  ((store['__moeLensMeasurements'] ??= []) as string[]).push(line);
}

/** Files tests create go here, out of the examples' expected-diagnostics table. */
export const SCRATCH = 'scratch';

export async function deleteScratch(): Promise<void> {
  await vscode.workspace.fs.delete(workspaceFile(SCRATCH), { recursive: true, useTrash: false }).then(undefined, () => undefined);
}

export async function openFile(relative: string): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(workspaceFile(relative));
  return vscode.window.showTextDocument(document, { preview: false });
}

export function moeDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'moe-lens');
}

export function codeOf(diagnostic: vscode.Diagnostic): string {
  const code = diagnostic.code;
  return typeof code === 'object' ? String(code.value) : String(code);
}

/** Polls `probe` (and re-checks on every diagnostics change) until it returns a value other than undefined/false. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise<void>((resolve) => {
      const subscription = vscode.languages.onDidChangeDiagnostics(() => done());
      const timer = setTimeout(() => done(), 50);
      function done(): void {
        clearTimeout(timer);
        subscription.dispose();
        resolve();
      }
    });
  }
}

export function waitForCodes(uri: vscode.Uri, what: string, test: (codes: string[]) => boolean): Promise<string[]> {
  return waitFor(what, () => {
    const codes = moeDiagnostics(uri).map(codeOf).sort();
    return test(codes) && codes;
  });
}

/** The diagnostic with this code in the file (fails the test when there is none). */
export async function diagnosticWithCode(uri: vscode.Uri, code: string): Promise<vscode.Diagnostic> {
  return waitFor(`${code} in ${uri.path}`, () => moeDiagnostics(uri).find((d) => codeOf(d) === code));
}

/**
 * Drops unsaved edits (also in files a cross-file fix touched without showing them) and closes editors and
 * pickers, so each test starts from the example files as copied. `_workbench.revertAllDirty` is no use
 * here: it reverts "softly", clearing the dirty flag but keeping the edited text.
 */
export async function resetEditors(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
  const dirty = (): vscode.TextDocument[] => vscode.workspace.textDocuments.filter((d) => d.isDirty && !d.isClosed);
  for (let attempt = 1; dirty().length > 0; attempt++) {
    const errors: string[] = [];
    for (const document of dirty()) {
      try {
        await vscode.window.showTextDocument(document);
        await vscode.commands.executeCommand('workbench.action.files.revert');
      } catch (error) {
        errors.push(`${document.uri.path}: ${String(error)}`); // e.g. closed meanwhile: the next round sees
      }
    }
    if (attempt === 3 && dirty().length > 0) throw new Error(`could not revert ${dirty().map((d) => d.uri.path).join(', ')}: ${errors.join('; ')}`);
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
