/**
 * A fix that edits another file than the one the finding is in (MOE002's "set the dataclass default"). The
 * light bulb cannot show what such an edit does to a file the user is not looking at, so the action carries a
 * command instead of an edit: it names the file, asks in a modal dialog, checks that the text it would replace
 * is still there, and only then writes (issue #14).
 */
import * as vscode from 'vscode';
import type { FileEdit } from '../core/rules/types';
import type { LineIndex } from '../core/text/source';
import { toRange, type LinesOf } from './convert';

export const APPLY_FIX_IN_OTHER_FILE = 'moeLens.applyFixInOtherFile';

/** One replacement in another file, with the text the engine read there (checked again before writing). */
interface CheckedReplacement {
  readonly uri: vscode.Uri;
  readonly range: vscode.Range;
  readonly expected: string;
  readonly newText: string;
}

export interface OtherFileFix {
  readonly title: string;
  /** Edits in the finding's own file, if the fix also makes some. */
  readonly here: vscode.WorkspaceEdit;
  readonly elsewhere: readonly CheckedReplacement[];
}

/** Whether a fix writes outside the document it was offered in. */
export function editsOtherFile(documentUri: vscode.Uri, edits: readonly FileEdit[]): boolean {
  return edits.some((e) => e.file !== undefined && e.file !== documentUri.toString());
}

/** The code action for a fix that edits another file, or undefined when an edit cannot be placed. */
export function otherFileFixAction(
  title: string,
  documentUri: vscode.Uri,
  documentLines: LineIndex,
  edits: readonly FileEdit[],
  linesOf: LinesOf,
  engineTextOf: (file: string) => string | undefined,
): vscode.CodeAction | undefined {
  const here = new vscode.WorkspaceEdit();
  const elsewhere: CheckedReplacement[] = [];
  for (const e of edits) {
    if (e.file === undefined || e.file === documentUri.toString()) {
      here.replace(documentUri, toRange(documentLines, e.range), e.newText);
      continue;
    }
    const [lines, read] = [linesOf(e.file), engineTextOf(e.file)];
    if (!lines || read === undefined) return undefined;
    elsewhere.push({ uri: vscode.Uri.parse(e.file), range: toRange(lines, e.range), expected: read.slice(e.range.start, e.range.end), newText: e.newText });
  }
  const action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
  const fix: OtherFileFix = { title, here, elsewhere };
  action.command = { title, command: APPLY_FIX_IN_OTHER_FILE, arguments: [fix] };
  return action;
}

/** The command behind such an action: name the file, ask, re-check, write. Returns whether it wrote. */
export async function applyFixInOtherFile(fix: OtherFileFix | undefined): Promise<boolean> {
  if (!fix || fix.elsewhere.length === 0) return false;
  const where = fix.elsewhere.map((r) => `${vscode.workspace.asRelativePath(r.uri, false)}, line ${r.range.start.line + 1}: ${r.expected} → ${r.newText}`).join('\n');
  const answer = await vscode.window.showWarningMessage(
    `${fix.title}?`,
    { modal: true, detail: `This fix edits another file than the one you are in:\n${where}` },
    'Apply',
  );
  if (answer !== 'Apply') return false;
  const edit = new vscode.WorkspaceEdit();
  for (const [uri, edits] of fix.here.entries()) edit.set(uri, edits);
  for (const r of fix.elsewhere) {
    // The file may have changed since the fix was offered: write only over the text the fix was computed for.
    const current = (await vscode.workspace.openTextDocument(r.uri)).getText(r.range);
    if (current !== r.expected) {
      void vscode.window.showErrorMessage(`MoE Lens did not apply "${fix.title}": ${vscode.workspace.asRelativePath(r.uri, false)} changed since the fix was offered (expected \`${r.expected}\`, found \`${current}\`).`);
      return false;
    }
    edit.replace(r.uri, r.range, r.newText);
  }
  return vscode.workspace.applyEdit(edit);
}
