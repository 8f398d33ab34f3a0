/// <reference types="mocha" />
/**
 * Commands: Lint Workspace reaches files nobody opened; Preview Routing opens one panel per config (the
 * CodeLens passes the config by name), reuses it, and opens nothing for a file without an MoE config.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { codeOf, deleteScratch, GPT_OSS, moeDiagnostics, openFile, resetEditors, SCRATCH, sleep, waitFor, workspaceFile } from './helpers';

const PREVIEW_VIEW_TYPE = 'moeLens.routingPreview';

function previewTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith(PREVIEW_VIEW_TYPE));
}

suite('commands', () => {
  teardown(resetEditors);
  suiteTeardown(deleteScratch);

  test('Lint Workspace diagnoses a config that was never opened', async () => {
    const config = workspaceFile(`${SCRATCH}/gpt-oss-120b/config.json`);
    const text = { model_type: 'gpt_oss', num_local_experts: 128, num_experts_per_tok: 8, hidden_size: 2880, num_hidden_layers: 36, _name_or_path: 'openai/gpt-oss-120b' };
    await vscode.workspace.fs.writeFile(config, new TextEncoder().encode(JSON.stringify(text, null, 2)));
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.toString() === config.toString()), 'the config is already open');
    assert.equal(moeDiagnostics(config).length, 0);
    await vscode.commands.executeCommand('moeLens.lintWorkspace');
    const codes = await waitFor('diagnostics on the unopened config', () => moeDiagnostics(config).length > 0 && moeDiagnostics(config).map(codeOf));
    assert.deepEqual(codes, ['MOE001']);
  });

  test('"Show documentation for MOE001" from the light bulb opens the rule page, rendered offline', async () => {
    const editor = await openFile(GPT_OSS);
    const diagnostic = await waitFor('MOE001', () => moeDiagnostics(editor.document.uri).find((d) => codeOf(d) === 'MOE001'));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', editor.document.uri, diagnostic.range);
    const show = actions.find((a) => a.title === 'Show documentation for MOE001');
    assert.ok(show?.command, actions.map((a) => a.title).join(' | '));
    await vscode.commands.executeCommand(show.command.command, ...(show.command.arguments ?? []));
    const tab = await waitFor('the rendered rule page', () =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('markdown.preview') && t.label.includes('MOE001')),
    );
    assert.ok(tab);
  });

  test('Inspect File shows what MoE Lens read in the file and where each value comes from', async () => {
    const editor = await openFile(GPT_OSS);
    await waitFor('MOE001', () => moeDiagnostics(editor.document.uri).some((d) => codeOf(d) === 'MOE001'));
    await vscode.commands.executeCommand('moeLens.inspectFile', editor.document.uri);
    const view = await waitFor('the inspect document', () => vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'moe-lens-inspect'));
    const text = view.getText();
    assert.match(text, /^# torchtitan\/gpt_oss\/__init__\.py/);
    assert.match(text, /## ` 120b ` · line \d+ · torchtitan · recognised as \*\*gpt-oss-120b\*\*/);
    assert.match(text, /\| `top_k` \| ` 8 ` \| literal \| line 50 \|/);
  });

  test('the CodeLens above each config runs Preview Routing for that config', async () => {
    const editor = await openFile(GPT_OSS);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
    const titles = lenses.map((lens) => lens.command?.title ?? '');
    assert.deepEqual(titles.filter((t) => t.includes('Preview routing')), ['$(graph) Preview routing: debugmodel', '$(graph) Preview routing: 20b', '$(graph) Preview routing: 120b']);
    const lens = lenses.find((l) => l.command?.title.endsWith(': 120b'))!;
    assert.equal(lens.command!.command, 'moeLens.previewRouting');
    assert.equal(editor.document.lineAt(lens.range.start.line).text.trim(), 'moe_args=MoEArgs(');
    assert.ok(editor.document.lineAt(lens.range.start.line - 2).text.includes('"120b"'), 'the 120b lens is not in the 120b flavor');

    await vscode.commands.executeCommand(lens.command!.command, ...(lens.command!.arguments ?? []));
    const [tab] = await waitFor('the preview panel', () => previewTabs().length > 0 && previewTabs());
    assert.equal(tab!.label, 'Routing: 120b');

    // Running it again for the same config reveals the same panel instead of opening a second one.
    await vscode.commands.executeCommand(lens.command!.command, ...(lens.command!.arguments ?? []));
    await sleep(500);
    assert.deepEqual(previewTabs().map((t) => t.label), ['Routing: 120b']);
  });

  test('Preview Routing picks the config under the cursor', async () => {
    const editor = await openFile(GPT_OSS);
    const line = editor.document.getText().split('\n').findIndex((l) => l.includes('"20b": GptOssModelArgs('));
    assert.ok(line >= 0);
    editor.selection = new vscode.Selection(line + 1, 8, line + 1, 8); // `n_layers=24,`: in the flavor, outside MoEArgs(...)
    await vscode.commands.executeCommand('moeLens.previewRouting');
    const [tab] = await waitFor('the preview panel', () => previewTabs().length > 0 && previewTabs());
    assert.equal(tab!.label, 'Routing: 20b');
  });

  test('Preview Routing opens nothing for a file without an MoE config', async () => {
    const plain = workspaceFile(`${SCRATCH}/plain.json`);
    await vscode.workspace.fs.writeFile(plain, new TextEncoder().encode('{"name": "not a model"}\n'));
    await vscode.window.showTextDocument(plain);
    await vscode.commands.executeCommand('moeLens.previewRouting');
    await sleep(500);
    assert.equal(previewTabs().length, 0);
  });
});
