/// <reference types="mocha" />
/** Completions and signature help inside a router call, as a user typing in the editor gets them. */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { GPT_OSS, openFile, resetEditors } from './helpers';

suite('completions', () => {
  teardown(resetEditors);

  test('inside MoEArgs( the keys are offered (score_func among them), then score_func\'s values', async () => {
    const editor = await openFile(GPT_OSS);
    const line = editor.document.getText().split('\n').findIndex((l) => l.includes('score_func="softmax"'));
    const column = editor.document.lineAt(line).text.indexOf('score_func');
    // Replace `score_func="softmax",` with `score_` and ask, as Ctrl+Space would.
    const written = editor.document.lineAt(line).range;
    const indent = editor.document.lineAt(line).text.slice(0, column);
    await editor.edit((edit) => edit.replace(written, `${indent}score_`));
    const keys = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', editor.document.uri, new vscode.Position(line, column + 'score_'.length));
    const labels = keys.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok(labels.includes('score_func'), labels.join(', '));
    const scoreFunc = keys.items.find((i) => i.label === 'score_func')!;
    assert.equal(scoreFunc.insertText, 'score_func=');
    assert.match(String(scoreFunc.detail), /Score function/);

    await editor.edit((edit) => edit.replace(editor.document.lineAt(line).range, `${indent}score_func=`));
    const values = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', editor.document.uri, new vscode.Position(line, column + 'score_func='.length));
    const valueLabels = values.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok(valueLabels.includes('softmax') && valueLabels.includes('sigmoid'), valueLabels.join(', '));

    const help = await vscode.commands.executeCommand<vscode.SignatureHelp>('vscode.executeSignatureHelpProvider', editor.document.uri, new vscode.Position(line, column + 'score_func='.length));
    assert.match(help.signatures[0]!.label, /^MoEArgs\(num_experts=8, /);
    assert.equal(help.signatures[0]!.parameters[help.activeParameter]!.label instanceof Array ? help.signatures[0]!.label.slice(...(help.signatures[0]!.parameters[help.activeParameter]!.label as [number, number])) : '', 'score_func="sigmoid"');
  });
});
