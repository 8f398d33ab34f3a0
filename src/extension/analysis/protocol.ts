/**
 * The messages between the extension host and the analysis worker (issue #14: analysis runs off the host's
 * thread). One typed protocol, as the webview's: the host sends the workspace's texts and one request at a
 * time; the worker answers each request with the same id. Everything here is plain data (structured clone).
 */
import type { DocumentAnalysis } from '../../core/analyze';
import type { RouterSpec } from '../../core/model/router-spec';
import type { Diagnostic, SeveritySetting } from '../../core/rules/types';

export interface RequestOptions {
  readonly severities: Readonly<Record<string, SeveritySetting>>;
  readonly maxFileSize: number;
}

/**
 * What the host asks for: lint a text (diagnostics and a summary of its configs), fix all of it, or read its
 * configs in full (hover, inspect, definition, completions, preview, config picker).
 */
export type AnalysisRequest =
  | { readonly kind: 'lint'; readonly file: string; readonly text: string; readonly options: RequestOptions }
  | { readonly kind: 'fixAll'; readonly file: string; readonly text: string; readonly options: RequestOptions }
  | { readonly kind: 'analyze'; readonly file: string; readonly text: string };

/** A document's analysis without the parse tree, which stays in the worker. */
export type PlainAnalysis = Pick<DocumentAnalysis, 'dialect' | 'specs' | 'notes'> & {
  /** The text declares Python classes or functions other files may import (the index then keeps it). */
  readonly declares: boolean;
};

/** What a code lens or the status bar needs of a config: its name and where it is. */
export type ConfigSummary = Pick<RouterSpec, 'name' | 'dialect' | 'range' | 'anchorRange'>;

/**
 * What every edit sends back besides the diagnostics: the configs' names and places, not the configs. A config
 * with the provenance of each value is large (200 configs: 0.9 MB as JSON, 7 ms of the host's thread to take in
 * per edit); a hover, inspect or the preview asks for the full analysis of the same text (`analyze`), which the
 * worker answers from what it kept of this lint.
 */
export type LintSummary = Pick<PlainAnalysis, 'dialect' | 'notes' | 'declares'> & { readonly configs: readonly ConfigSummary[] };

export interface RuleFailure {
  readonly code: string;
  readonly name: string;
  readonly error: string;
}

export type AnalysisAnswer =
  | { readonly kind: 'lint'; readonly summary: LintSummary; readonly diagnostics: Diagnostic[]; readonly ruleFailures: RuleFailure[] }
  | { readonly kind: 'fixAll'; readonly text: string; readonly fixesApplied: number }
  | { readonly kind: 'analyze'; readonly analysis: PlainAnalysis };

export type HostToWorker =
  | { readonly type: 'setText'; readonly file: string; readonly text: string }
  /** Every text the host holds, in one message, to a fresh worker. */
  | { readonly type: 'setTexts'; readonly texts: readonly (readonly [file: string, text: string])[] }
  | { readonly type: 'deleteFile'; readonly file: string }
  | { readonly type: 'request'; readonly id: number; readonly request: AnalysisRequest };

export type WorkerToHost =
  | { readonly type: 'answer'; readonly id: number; readonly answer: AnalysisAnswer }
  | { readonly type: 'failed'; readonly id: number; readonly error: string };
