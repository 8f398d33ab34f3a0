/**
 * Settings, declared once. package.json `contributes.configuration` must match this table
 * (test/extension/settings.test.ts checks it); `Config` reads them per document through typed getters.
 */
import type { SeveritySetting } from '../core/rules/types';

export interface SettingDeclaration {
  readonly key: string;
  readonly type: 'object' | 'number' | 'boolean' | 'string';
  readonly default: unknown;
  readonly scope: 'resource' | 'window';
  readonly description: string;
  readonly minimum?: number;
}

export const SETTINGS: readonly SettingDeclaration[] = [
  {
    key: 'moeLens.rules.severity',
    type: 'object',
    default: {},
    scope: 'resource',
    description: 'Per-rule severity overrides by code or name: "error", "warning", "info" or "off". Example: {"MOE010": "off"}.',
  },
  {
    key: 'moeLens.lint.debounceMs',
    type: 'number',
    default: 250,
    minimum: 0,
    scope: 'window',
    description: 'Milliseconds to wait after an edit before linting the document again.',
  },
  {
    key: 'moeLens.lint.maxFileSizeKb',
    type: 'number',
    default: 2048,
    minimum: 1,
    scope: 'resource',
    description: 'Files larger than this are not analysed; they get one information diagnostic saying so.',
  },
  {
    key: 'moeLens.lint.timeBudgetMs',
    type: 'number',
    default: 5000,
    minimum: 100,
    scope: 'window',
    description: 'Milliseconds the analysis of one file may take (off the editor\'s thread). A file that takes longer gets one information diagnostic saying so; the rest of the workspace is still checked.',
  },
  {
    key: 'moeLens.lint.memoryBudgetMb',
    type: 'number',
    default: 512,
    minimum: 64,
    scope: 'window',
    description: 'Memory (MB) the analysis may use. A file that needs more gets one information diagnostic saying so; the rest of the workspace is still checked.',
  },
  {
    key: 'moeLens.preview.routerWeights',
    type: 'string',
    default: '',
    scope: 'resource',
    description: 'A checkpoint whose router weights the routing preview loads when it opens: a .safetensors file, a sharded checkpoint folder or its model.safetensors.index.json (relative paths from the workspace folder). Only the headers and every layer\'s router tensors are read. Empty: synthetic weights.',
  },
];

export interface SettingsReader {
  get<T>(key: string): T | undefined;
}

const VALID_SEVERITIES: ReadonlySet<string> = new Set(['error', 'warning', 'info', 'off']);

export class Config {
  constructor(private readonly reader: SettingsReader) {}

  /** Invalid entries are dropped rather than trusted. */
  get severities(): Record<string, SeveritySetting> {
    const raw = this.reader.get<unknown>('moeLens.rules.severity');
    const out: Record<string, SeveritySetting> = {};
    if (raw && typeof raw === 'object') {
      for (const [code, value] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof value === 'string' && VALID_SEVERITIES.has(value)) out[code.toUpperCase().startsWith('MOE') ? code.toUpperCase() : code] = value as SeveritySetting;
      }
    }
    return out;
  }

  get debounceMs(): number {
    return this.number('moeLens.lint.debounceMs', 250, 0);
  }

  get maxFileSizeBytes(): number {
    return this.number('moeLens.lint.maxFileSizeKb', 2048, 1) * 1024;
  }

  get timeBudgetMs(): number {
    return this.number('moeLens.lint.timeBudgetMs', 5000, 100);
  }

  get memoryBudgetMb(): number {
    return this.number('moeLens.lint.memoryBudgetMb', 512, 64);
  }

  /** The checkpoint the preview loads on open; undefined when unset. */
  get routerWeights(): string | undefined {
    const value = this.reader.get<unknown>('moeLens.preview.routerWeights');
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  }

  private number(key: string, fallback: number, minimum: number): number {
    const value = this.reader.get<unknown>(key);
    return typeof value === 'number' && Number.isFinite(value) && value >= minimum ? value : fallback;
  }
}
