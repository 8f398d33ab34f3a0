/// <reference types="mocha" />
/**
 * Code actions through `vscode.executeCodeActionProvider`, applied with `workspace.applyEdit` the way the
 * light bulb applies them: quick fixes (also across files), and fix-all under the kinds VS Code asks for.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { codeOf, diagnosticWithCode, GPT_OSS, moeDiagnostics, openFile, resetEditors, waitForCodes } from './helpers';

const DEEPSEEK = 'torchtitan/deepseek_v3/__init__.py';

/** The code actions VS Code collects from every provider. It cancels a request when the model changes under it
 * (e.g. a freshly opened file settling), so a cancelled request is retried. */
async function codeActions(uri: vscode.Uri, range: vscode.Range, kind?: string): Promise<vscode.CodeAction[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      const actions = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', uri, range, kind);
      return (actions ?? []).filter((a): a is vscode.CodeAction => 'edit' in a || 'kind' in a);
    } catch (error) {
      if (attempt >= 3 || (error as Error)?.name !== 'Canceled') throw error;
    }
  }
}

function wholeDocument(document: vscode.TextDocument): vscode.Range {
  return new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length));
}

suite('code actions', () => {
  teardown(resetEditors);

  test('Ctrl+. on top_k=8 offers the published value, and applying it clears MOE001', async () => {
    const editor = await openFile(GPT_OSS);
    const uri = editor.document.uri;
    const diagnostic = await diagnosticWithCode(uri, 'MOE001');
    const actions = await codeActions(uri, diagnostic.range);
    // The published value changes the routing: offered, said so, and not preferred (Auto Fix never applies it).
    const fix = actions.find((a) => a.title === 'Set `top_k` to 4 (published gpt-oss-120b) (changes behaviour)');
    assert.ok(fix, `no MOE001 fix among: ${actions.map((a) => a.title).join(' | ')}`);
    assert.equal(fix.kind?.value, vscode.CodeActionKind.QuickFix.value);
    assert.equal(fix.isPreferred, false);
    assert.ok(await vscode.workspace.applyEdit(fix.edit!));
    assert.equal(editor.document.lineAt(diagnostic.range.start.line).text.trim(), 'top_k=4,');
    await waitForCodes(uri, 'MOE001 to clear', (codes) => !codes.includes('MOE001'));
    assert.ok(moeDiagnostics(uri).every((d) => codeOf(d) === 'MOE010'), 'only the MOE010 hints should remain');
  });

  test('the constructor-default fix edits the file the finding is in; the alternative edits the dataclass', async () => {
    const editor = await openFile('torchtitan/moe/router.py');
    const uri = editor.document.uri;
    const diagnostic = await diagnosticWithCode(uri, 'MOE002');
    const actions = await codeActions(uri, diagnostic.range);
    const titles = actions.map((a) => a.title).join(' | ');
    const preferred = actions.find((a) => a.title === 'Set the `topk_before_score` default to False (match `MoEArgs`)');
    // The alternative changes what every other MoEArgs user gets, so it is not a safe fix and says so.
    // A fix that edits another file names it (issue #14).
    const alternative = actions.find((a) => a.title === 'Set `MoEArgs.topk_before_score` to True (match the constructor) in args.py (changes behaviour)');
    assert.ok(preferred && alternative, titles);
    assert.equal(preferred.isPreferred, true);
    assert.equal(alternative.isPreferred, false);
    assert.deepEqual(preferred.edit!.entries().map(([target]) => vscode.workspace.asRelativePath(target, false)), ['torchtitan/moe/router.py']);
    // The light bulb would write into args.py unseen: the alternative carries no edit, only the command that
    // names the file and asks first (clicked through in the e2e suite).
    assert.equal(alternative.edit, undefined);
    assert.equal(alternative.command?.command, 'moeLens.applyFixInOtherFile');
    const [fix] = alternative.command.arguments as [{ elsewhere: { uri: vscode.Uri; expected: string; newText: string }[] }];
    assert.deepEqual(fix.elsewhere.map((r) => [vscode.workspace.asRelativePath(r.uri, false), r.expected, r.newText]), [['torchtitan/moe/args.py', 'False', 'True']]);
    assert.ok(await vscode.workspace.applyEdit(preferred.edit!));
    assert.equal(editor.document.lineAt(diagnostic.range.start.line).text.trim(), 'topk_before_score: bool = False,');
    await waitForCodes(uri, 'MOE002 to clear', (codes) => !codes.includes('MOE002'));
  });

  test('fix-all applies every safe fix and leaves the rest', async () => {
    const editor = await openFile(DEEPSEEK);
    const uri = editor.document.uri;
    await waitForCodes(uri, 'the deepseek diagnostics', (codes) => codes.includes('MOE006') && codes.includes('MOE005'));
    const [fixAll, ...more] = await codeActions(uri, wholeDocument(editor.document), 'source.fixAll.moeLens');
    assert.ok(fixAll, 'no source.fixAll.moeLens action');
    assert.equal(more.length, 0);
    assert.equal(fixAll.kind?.value, 'source.fixAll.moeLens');
    assert.ok(await vscode.workspace.applyEdit(fixAll.edit!));
    assert.ok(editor.document.getText().includes('score_func="sigmoid",'), 'the misspelt score function was not replaced');
    assert.ok(editor.document.getText().includes('num_shared_experts=2,'), 'the misspelt keyword was not renamed (MOE016)');
    const codes = await waitForCodes(uri, 'MOE006 to clear', (c) => !c.includes('MOE006'));
    assert.ok(codes.includes('MOE005'), 'MOE005 has no safe fix and must stay');
  });

  test('the generic Fix All kind reaches MoE Lens; unrelated kinds do not', async () => {
    const editor = await openFile(DEEPSEEK);
    const uri = editor.document.uri;
    await waitForCodes(uri, 'the deepseek diagnostics', (codes) => codes.includes('MOE006'));
    const all = wholeDocument(editor.document);
    const generic = await codeActions(uri, all, vscode.CodeActionKind.SourceFixAll.value);
    assert.ok(generic.some((a) => a.kind?.value === 'source.fixAll.moeLens'), generic.map((a) => a.kind?.value).join(' | '));
    const refactors = await codeActions(uri, all, vscode.CodeActionKind.Refactor.value);
    assert.equal(refactors.filter((a) => a.kind?.value.includes('moeLens') || a.title.includes('MoE Lens')).length, 0);
  });

  test('"Disable MOE001 for this line" writes the comment and the finding goes; Fix all sits only beside a finding', async () => {
    const editor = await openFile(GPT_OSS);
    const uri = editor.document.uri;
    const diagnostic = await diagnosticWithCode(uri, 'MOE001');
    const actions = await codeActions(uri, diagnostic.range);
    const titles = actions.map((a) => a.title);
    assert.ok(titles.includes('Disable MOE001 for this file'), titles.join(' | '));
    // MOE001's only fix is unsafe: no "Fix all" beside it; beside a finding with a safe fix (MOE006), there is one.
    assert.ok(!titles.includes('Fix all safe MoE Lens problems'), titles.join(' | '));
    const deepseek = await openFile(DEEPSEEK);
    const misspelt = await diagnosticWithCode(deepseek.document.uri, 'MOE006');
    assert.ok((await codeActions(deepseek.document.uri, misspelt.range)).some((a) => a.title === 'Fix all safe MoE Lens problems'));
    await openFile(GPT_OSS);
    // A line with no finding (the file's first comment line) gets neither fixes nor "Fix all".
    const quiet = await codeActions(uri, new vscode.Range(0, 0, 0, 0), vscode.CodeActionKind.QuickFix.value);
    assert.equal(quiet.filter((a) => a.title.includes('MoE Lens') || a.title.startsWith('Disable MOE')).length, 0, quiet.map((a) => a.title).join(' | '));
    const disable = actions.find((a) => a.title === 'Disable MOE001 for this line')!;
    assert.ok(disable, titles.join(' | '));
    assert.ok(await vscode.workspace.applyEdit(disable.edit!));
    assert.match(editor.document.lineAt(diagnostic.range.start.line).text, /top_k=8,\s+# moe-lens: disable=MOE001$/);
    await waitForCodes(uri, 'MOE001 to be silenced', (codes) => !codes.includes('MOE001') && codes.includes('MOE010'));
  });

  test('a file without findings offers nothing', async () => {
    const editor = await openFile('hf/deepseek-v3/config.json');
    const actions = await codeActions(editor.document.uri, wholeDocument(editor.document), 'source.fixAll.moeLens');
    assert.equal(actions.length, 0);
  });
});
