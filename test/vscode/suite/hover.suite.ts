/// <reference types="mocha" />
/** Hover through `vscode.executeHoverProvider`: the key's meaning in this framework, plus the rule behind a finding. */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { diagnosticWithCode, GPT_OSS, openFile, resetEditors, sleep } from './helpers';

async function hoverText(uri: vscode.Uri, position: vscode.Position): Promise<string> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, position);
  return hovers
    .flatMap((hover) => hover.contents)
    .map((content) => (typeof content === 'string' ? content : content.value))
    .join('\n');
}

suite('hover', () => {
  teardown(resetEditors);

  test('hovering top_k=8 explains the key, the semantics and MOE001', async () => {
    const editor = await openFile(GPT_OSS);
    const diagnostic = await diagnosticWithCode(editor.document.uri, 'MOE001');
    const text = await hoverText(editor.document.uri, diagnostic.range.start);
    assert.match(text, /top_k/);
    assert.match(text, /MOE001 published-model-mismatch/);
    // The rule's page opens offline, through MoE Lens's own command (no web address).
    assert.match(text, /\[Rule documentation\]\(command:moeLens\.showRuleDocumentation\?%5B%22MOE001%22%5D\)/);
  });

  test('hovering a routing key without a finding explains the key only', async () => {
    const editor = await openFile(GPT_OSS);
    const line = editor.document.getText().split('\n').findIndex((l) => l.includes('score_func="softmax"'));
    const text = await hoverText(editor.document.uri, new vscode.Position(line, editor.document.lineAt(line).text.indexOf('score_func') + 2));
    assert.match(text, /score_func/);
    assert.doesNotMatch(text, /MOE\d{3}/);
  });

  test('a job file: the flavor\'s hover gives its parameters, and go to definition opens the flavor entry', async () => {
    const editor = await openFile('torchtitan/gpt_oss/train_configs/gpt_oss_120b.toml');
    const line = editor.document.getText().split('\n').findIndex((l) => l.startsWith('flavor'));
    const position = new vscode.Position(line, editor.document.lineAt(line).text.indexOf('120b'));
    // The job reads its flavor through the workspace index, which fills in after the file opens.
    let text = '';
    for (const deadline = Date.now() + 20_000; !/Parameters:/.test(text) && Date.now() < deadline; await sleep(250)) text = await hoverText(editor.document.uri, position);
    assert.match(text, /Parameters: \*\*116\.8B\*\* total/);
    const locations = await vscode.commands.executeCommand<vscode.Location[]>('vscode.executeDefinitionProvider', editor.document.uri, position);
    assert.equal(locations.length, 1);
    assert.match(locations[0]!.uri.path, /torchtitan\/gpt_oss\/__init__\.py$/);
    const target = await vscode.workspace.openTextDocument(locations[0]!.uri);
    assert.match(target.lineAt(locations[0]!.range.start.line).text, /^\s*"120b": GptOssModelArgs\(/);
  });
});
