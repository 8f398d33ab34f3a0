/// <reference types="mocha" />
/** Activation: lazy (only MoE-relevant languages), then every contribution registered. */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, GPT_OSS, openFile, resetEditors, waitFor } from './helpers';

suite('activation', () => {
  suiteTeardown(resetEditors);

  test('the extension under development is the one loaded', () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not installed in this host`);
    // This bundle lives in <working tree>/dist/test-vscode/: the extension must run from that same tree, not
    // from an installed VSIX.
    assert.equal(extension.extensionUri.fsPath, resolve(__dirname, '..', '..'));
  });

  // Not asserted: staying inactive until then. The workbench itself fires onLanguage:json at start-up (its
  // settings models), so every JSON-reading extension activates early; ours takes a few milliseconds.
  test('is active once a Python config is open', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    await openFile(GPT_OSS);
    await waitFor('activation', () => extension.isActive, 30_000);
  });

  test('registers its commands', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const command of ['moeLens.lintWorkspace', 'moeLens.previewRouting']) assert.ok(commands.includes(command), `${command} is not registered`);
  });
});
