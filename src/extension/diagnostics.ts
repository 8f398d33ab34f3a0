/**
 * Lints documents on open and on edit (debounced; a newer edit replaces the pending run, and a result for
 * an outdated document version is dropped) and keeps the results for code actions and hovers. The engine
 * runs in the analysis worker (./analysis/): this class only sends texts and publishes what comes back.
 */
import * as vscode from 'vscode';
import { fileFormat } from '../core/model/file-format';
import { parseNote } from '../core/lint';
import type { Diagnostic } from '../core/rules/types';
import { LineIndex } from '../core/text/source';
import type { AnalysisClient } from './analysis/client';
import type { LintSummary, PlainAnalysis, RequestOptions } from './analysis/protocol';
import { toDiagnostic } from './convert';
import { Config } from './settings';
import type { WorkspaceIndex } from './workspace-index';
import { HostSlices } from './host-slices';

export interface DocumentResult {
  readonly file: string;
  /** The text linted (the document's text at `version`). */
  readonly text: string;
  /** The configs' names and places; `fullAnalysis` has the configs themselves. */
  readonly summary: LintSummary;
  readonly diagnostics: Diagnostic[];
  readonly lines: LineIndex;
  readonly version: number;
}

/** The editor languages MoE Lens reads (with file extensions as a fallback in `isCandidate`). */
export const LANGUAGES = ['python', 'json', 'jsonc', 'yaml', 'shellscript', 'toml'] as const;

const NOTHING_READ: LintSummary = { dialect: undefined, configs: [], notes: [], declares: false };

export class DiagnosticsController implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('moe-lens');
  private readonly results = new Map<string, DocumentResult>();
  /** The run for a document's current version, shared by everyone who asks while it is under way. */
  private readonly running = new Map<string, { version: number; settings: string; result: Promise<DocumentResult | undefined> }>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Each result's full analysis, asked of the worker once, by whoever needs it first. */
  private readonly full = new WeakMap<DocumentResult, Promise<PlainAnalysis>>();
  private readonly reportedRuleErrors = new Set<string>();
  private readonly linted = new vscode.EventEmitter<vscode.Uri>();
  /** The longest synchronous slice each surface (linting here, hover, code actions, completions) took on the host. */
  readonly slices = new HostSlices();
  /** Fires after a file's diagnostics are published (the status bar listens). */
  readonly onDidLint = this.linted.event;

  constructor(
    private readonly index: WorkspaceIndex,
    private readonly analysis: AnalysisClient,
    private readonly log: (message: string) => void,
  ) {}

  static isCandidate(document: vscode.TextDocument): boolean {
    return fileFormat(document.uri.path) !== undefined || (LANGUAGES as readonly string[]).includes(document.languageId);
  }

  static optionsFor(uri: vscode.Uri): RequestOptions {
    const config = new Config(vscode.workspace.getConfiguration(undefined, uri));
    return { severities: config.severities, maxFileSize: config.maxFileSizeBytes };
  }

  /** The last result for the document, whatever version it was for (completions while typing: no new lint). */
  lastResult(document: vscode.TextDocument): DocumentResult | undefined {
    return this.results.get(document.uri.toString());
  }

  async resultFor(document: vscode.TextDocument): Promise<DocumentResult | undefined> {
    const result = this.results.get(document.uri.toString());
    if (result?.version === document.version) return result;
    return this.lintNow(document);
  }

  /**
   * Every config of a result with where each of its values comes from (hover, inspect, definition, completions).
   * A lint sends back only a summary; the worker kept the analysis behind it, so this costs one message, once.
   */
  fullAnalysis(result: DocumentResult): Promise<PlainAnalysis> {
    let analysis = this.full.get(result);
    if (!analysis) {
      const { dialect, notes, declares } = result.summary;
      const none: PlainAnalysis = { dialect, notes, declares, specs: [] };
      analysis =
        result.summary.configs.length === 0
          ? Promise.resolve(none)
          : this.analysis.request({ kind: 'analyze', file: result.file, text: result.text }, { urgent: true }).then((outcome) => (outcome.status === 'answered' ? outcome.answer.analysis : none));
      this.full.set(result, analysis);
    }
    return analysis;
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
        void this.lintNow(document);
      }, delay),
    );
  }

  /** Lints in the worker and publishes unless the document moved on meanwhile. */
  lintNow(document: vscode.TextDocument): Promise<DocumentResult | undefined> {
    if (!DiagnosticsController.isCandidate(document) || document.isClosed) return Promise.resolve(undefined);
    const started = performance.now();
    const key = document.uri.toString();
    const version = document.version;
    // A run of this very text with these very settings is under way: share it. A settings change is a new run.
    const options = DiagnosticsController.optionsFor(document.uri);
    const settings = JSON.stringify(options);
    const running = this.running.get(key);
    if (running?.version === version && running.settings === settings) return running.result;
    const result = this.run(document, version, options, started).finally(() => {
      if (this.running.get(key)?.result === result) this.running.delete(key);
    });
    this.running.set(key, { version, settings, result });
    return result;
  }

  private async run(document: vscode.TextDocument, version: number, options: RequestOptions, started: number): Promise<DocumentResult | undefined> {
    const key = document.uri.toString();
    const text = document.getText();
    try {
      const result = await this.lintAndPublish(document.uri, text, options, () => document.isClosed || document.version !== version, started);
      if (!result) return undefined; // stale: a newer run is scheduled
      // Only the workspace's own files feed the project index (never site-packages, git: or untitled views).
      if (result.summary.declares && this.index.accepts(document.uri)) this.index.updateFromText(key, text);
      const stored: DocumentResult = { ...result, version };
      this.results.set(key, stored);
      return stored;
    } catch (error) {
      this.log(`lint failed for ${key}: ${String((error as Error)?.stack ?? error)}`);
      return undefined;
    }
  }

  /** Publishes diagnostics for a file that is not open (Lint Workspace). */
  async publish(uri: vscode.Uri, text: string): Promise<number> {
    return (await this.lintAndPublish(uri, text, DiagnosticsController.optionsFor(uri), () => false, performance.now()))?.diagnostics.length ?? 0;
  }

  private slice(started: number, what: string): void {
    this.slices.record('lint', started, what);
  }

  /** The one place that lints with the user's settings and turns the result into editor diagnostics. */
  private async lintAndPublish(uri: vscode.Uri, text: string, options: RequestOptions, isStale: () => boolean, started: number): Promise<Omit<DocumentResult, 'version'> | undefined> {
    const file = uri.toString();
    const visible = vscode.window.visibleTextEditors.some((editor) => editor.document.uri.toString() === file);
    const request = this.analysis.request({ kind: 'lint', file, text, options }, { urgent: visible });
    const name = file.slice(file.lastIndexOf('/') + 1);
    this.slice(started, `reading and posting ${name} (${text.length} characters)`); // the text, the settings and posting it to the worker
    const outcome = await request;
    const resumed = performance.now();
    if (outcome.status === 'superseded' || isStale()) return undefined;
    const lines = new LineIndex(text);
    let result: Omit<DocumentResult, 'version'>;
    if (outcome.status === 'stopped') {
      // One located note, as for an oversized file: the file is not checked, and the user is told why.
      result = { file, text, summary: NOTHING_READ, diagnostics: [parseNote(`${outcome.reason}.`, { start: 0, end: 0 }, 'The rest of the workspace is still checked.')], lines };
    } else {
      for (const failure of outcome.answer.ruleFailures) this.ruleFailed(failure.code, failure.name, failure.error);
      result = { file, text, summary: outcome.answer.summary, diagnostics: outcome.answer.diagnostics, lines };
    }
    this.collection.set(uri, result.diagnostics.map((d) => toDiagnostic(uri, d, lines, (file) => this.index.linesOf(file))));
    this.slice(resumed, `publishing ${result.diagnostics.length} diagnostics of ${name}`); // the line index and the editor's diagnostics
    this.linted.fire(uri);
    return result;
  }

  forget(document: vscode.TextDocument): void {
    const key = document.uri.toString();
    const pending = this.timers.get(key);
    if (pending) clearTimeout(pending);
    this.timers.delete(key);
    this.results.delete(key);
    this.running.delete(key);
    this.collection.delete(document.uri);
  }

  private ruleFailed(code: string, name: string, error: string): void {
    if (this.reportedRuleErrors.has(code)) return;
    this.reportedRuleErrors.add(code);
    this.log(`rule ${code} (${name}) failed and was skipped: ${error}`);
  }

  dispose(): void {
    this.slices.dispose();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.collection.dispose();
    this.linted.dispose();
  }
}
