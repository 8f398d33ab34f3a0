/// <reference types="mocha" />
/** Settings and suppressions change what the Problems panel shows, live, without a reload. */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { codeOf, diagnosticWithCode, GPT_OSS, moeDiagnostics, openFile, resetEditors, waitFor, waitForCodes } from './helpers';

suite('settings', () => {
  const severity = () => vscode.workspace.getConfiguration('moeLens.rules');
  teardown(async () => {
    await severity().update('severity', undefined, vscode.ConfigurationTarget.Workspace);
    await resetEditors();
  });

  test('moeLens.rules.severity turns a rule off and changes another one\'s severity', async () => {
    const editor = await openFile(GPT_OSS);
    const uri = editor.document.uri;
    await waitForCodes(uri, 'MOE001 and MOE010', (codes) => codes.includes('MOE001') && codes.includes('MOE010'));
    await severity().update('severity', { MOE010: 'off', 'published-model-mismatch': 'warning' }, vscode.ConfigurationTarget.Workspace);
    await waitForCodes(uri, 'MOE010 off', (codes) => codes.length === 1 && codes[0] === 'MOE001');
    const downgraded = await waitFor('MOE001 as a warning', () => moeDiagnostics(uri).find((d) => codeOf(d) === 'MOE001' && d.severity === vscode.DiagnosticSeverity.Warning));
    assert.ok(downgraded);
    await severity().update('severity', undefined, vscode.ConfigurationTarget.Workspace);
    await waitForCodes(uri, 'MOE010 back', (codes) => codes.includes('MOE010'));
    assert.equal((await diagnosticWithCode(uri, 'MOE001')).severity, vscode.DiagnosticSeverity.Error);
  });

  test('a `# moe-lens: disable=` comment silences the code on its line', async () => {
    const editor = await openFile(GPT_OSS);
    const uri = editor.document.uri;
    const diagnostic = await diagnosticWithCode(uri, 'MOE001');
    const line = editor.document.lineAt(diagnostic.range.start.line);
    await editor.edit((edit) => edit.insert(line.range.end, '  # moe-lens: disable=MOE001'));
    await waitForCodes(uri, 'MOE001 suppressed', (codes) => !codes.includes('MOE001') && codes.includes('MOE010'));
  });
});
