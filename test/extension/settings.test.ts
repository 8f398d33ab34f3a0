import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { Config, SETTINGS } from '../../src/extension/settings';

const reader = (values: Record<string, unknown>) => ({ get: <T>(key: string) => values[key] as T | undefined });

describe('extension settings', () => {
  it('package.json declares exactly the settings table', () => {
    const manifest = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8'));
    assert.deepEqual(Object.keys(manifest.contributes.configuration.properties), SETTINGS.map((s) => s.key));
  });

  it('severity overrides keep valid entries only and normalise codes', () => {
    const config = new Config(reader({ 'moeLens.rules.severity': { moe010: 'off', MOE001: 'warning', MOE002: 'loud', 'alias-conflict': 'info' } }));
    assert.deepEqual(config.severities, { MOE010: 'off', MOE001: 'warning', 'alias-conflict': 'info' });
    assert.deepEqual(new Config(reader({ 'moeLens.rules.severity': 'nonsense' })).severities, {});
  });

  it('numbers fall back to defaults when missing or invalid', () => {
    assert.equal(new Config(reader({})).debounceMs, 250);
    assert.equal(new Config(reader({ 'moeLens.lint.debounceMs': -5 })).debounceMs, 250);
    assert.equal(new Config(reader({ 'moeLens.lint.maxFileSizeKb': 10 })).maxFileSizeBytes, 10240);
  });

  it('declares untrusted- and virtual-workspace support and the fix-all kind is documented', () => {
    const manifest = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8'));
    // "limited": in Restricted Mode a workspace's settings cannot raise the file-size limit or the budgets (issue #14).
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.deepEqual(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations, ['moeLens.lint.maxFileSizeKb', 'moeLens.lint.timeBudgetMs', 'moeLens.lint.memoryBudgetMb', 'moeLens.preview.routerWeights']);
    assert.equal(manifest.capabilities.virtualWorkspaces, true);
    assert.equal(manifest.engines.vscode, `^${manifest.devDependencies['@types/vscode']}`);
  });
});
