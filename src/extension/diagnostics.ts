/**
 * Lints documents on open and on edit (debounced; a newer edit replaces the pending run, and a result for
 * an outdated document version is dropped) and keeps the core results for code actions and hovers.
 */
import * as vscode from 'vscode';
import { fileKind } from '../core/analyze';
import { lintText, type LintResult } from '../core/lint';
import type { Rule } from '../core/rules/types';
import { toDiagnostic } from './convert';
import { Config } from './settings';
import type { WorkspaceIndex } from './workspace-index';

export interface DocumentResult extends LintResult {
  readonly version: number;
}

/** The editor languages MoE Lens reads (with file extensions as a fallback in `isCandidate`). */
export const LANGUAGES = ['python', 'json', 'jsonc', 'yaml', 'shellscript', 'toml'] as const;

export class DiagnosticsController implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('moe-lens');
  private readonly results = new Map<string, DocumentResult>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly reportedRuleErrors = new Set<string>();

  constructor(
    private readonly index: WorkspaceIndex,
    private readonly log: (message: string) => void,
  ) {}

  static isCandidate(document: vscode.TextDocument): boolean {
    return fileKind(document.uri.path) !== undefined || (LANGUAGES as readonly string[]).includes(document.languageId);
  }

  resultFor(document: vscode.TextDocument): DocumentResult | undefined {
    const result = this.results.get(document.uri.toString());
    if (result?.version === document.version) return result;
    return this.lintNow(document);
  }

  schedule(document: vscode.TextDocument): void {
    if (!DiagnosticsController.isCandidate(document)) return;
    const key = document.uri.toString();
    const pending = this.timers.get(key);
    if (pending) clearTimeout(pending);
    const delay = new Config(vscode.workspace.getConfiguration(undefined, document.uri)).debounceMs;
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.lintNow(document);
      }, delay),
    );
  }

  /** Lints synchronously (the engine takes milliseconds) and publishes unless the document moved on. */
  lintNow(document: vscode.TextDocument): DocumentResult | undefined {
    if (!DiagnosticsController.isCandidate(document) || document.isClosed) return undefined;
    try {
      const version = document.version;
      const key = document.uri.toString();
      const text = document.getText();
      const result = this.lintAndPublish(document.uri, text, () => document.version !== version);
      if (!result) return undefined; // stale: a newer run is scheduled
      // Only the workspace's own files feed the project index (never site-packages, git: or untitled views).
      if (result.analysis.declarations && this.index.accepts(document.uri)) this.index.updateFromText(key, text);
      const stored: DocumentResult = { ...result, version };
      this.results.set(key, stored);
      return stored;
    } catch (error) {
      this.log(`lint failed for ${document.uri.toString()}: ${String((error as Error)?.stack ?? error)}`);
      return undefined;
    }
  }

  /** Publishes diagnostics for a file that is not open (Lint Workspace). */
  publish(uri: vscode.Uri, text: string): number {
    return this.lintAndPublish(uri, text, () => false)?.diagnostics.length ?? 0;
  }

  /** The one place that lints with the user's settings and turns the result into editor diagnostics. */
  private lintAndPublish(uri: vscode.Uri, text: string, isCancelled: () => boolean): LintResult | undefined {
    const config = new Config(vscode.workspace.getConfiguration(undefined, uri));
    const result = lintText(uri.toString(), text, this.index.project, {
      severities: config.severities,
      maxFileSize: config.maxFileSizeBytes,
      isCancelled,
      onRuleError: (rule, error) => this.ruleFailed(rule, error),
    });
    if (isCancelled()) return undefined;
    this.collection.set(uri, result.diagnostics.map((d) => toDiagnostic(uri, d, result.lines, (file) => this.index.linesOf(file))));
    return result;
  }

  forget(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    const pending = this.timers.get(key);
    if (pending) clearTimeout(pending);
    this.timers.delete(key);
    this.results.delete(key);
    this.collection.delete(document.uri);
  }

  private ruleFailed(rule: Rule, error: unknown): void {
    if (this.reportedRuleErrors.has(rule.code)) return;
    this.reportedRuleErrors.add(rule.code);
    this.log(`rule ${rule.code} (${rule.name}) failed and was skipped: ${String((error as Error)?.stack ?? error)}`);
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.collection.dispose();
  }
}
