/**
 * The messages between the extension host and the analysis worker (issue #14: analysis runs off the host's
 * thread). One typed protocol, as the webview's: the host sends the workspace's texts and one request at a
 * time; the worker answers each request with the same id. Everything here is plain data (structured clone).
 */
import type { DocumentAnalysis } from '../../core/analyze';
import type { Diagnostic, SeveritySetting } from '../../core/rules/types';

export interface RequestOptions {
  readonly severities: Readonly<Record<string, SeveritySetting>>;
  readonly maxFileSize: number;
}

/** What the host asks for: lint a text, fix all of it, or only read its configs (preview, config picker). */
export type AnalysisRequest =
  | { readonly kind: 'lint'; readonly file: string; readonly text: string; readonly options: RequestOptions }
  | { readonly kind: 'fixAll'; readonly file: string; readonly text: string; readonly options: RequestOptions }
  | { readonly kind: 'analyze'; readonly file: string; readonly text: string };

/** A document's analysis without the parse tree, which stays in the worker. */
export type PlainAnalysis = Pick<DocumentAnalysis, 'dialect' | 'specs' | 'notes'> & {
  /** The text declares Python classes or functions other files may import (the index then keeps it). */
  readonly declares: boolean;
};

export interface RuleFailure {
  readonly code: string;
  readonly name: string;
  readonly error: string;
}

export type AnalysisAnswer =
  | { readonly kind: 'lint'; readonly analysis: PlainAnalysis; readonly diagnostics: Diagnostic[]; readonly ruleFailures: RuleFailure[] }
  | { readonly kind: 'fixAll'; readonly text: string; readonly fixesApplied: number }
  | { readonly kind: 'analyze'; readonly analysis: PlainAnalysis };

export type HostToWorker =
  | { readonly type: 'setText'; readonly file: string; readonly text: string }
  | { readonly type: 'deleteFile'; readonly file: string }
  | { readonly type: 'request'; readonly id: number; readonly request: AnalysisRequest };

export type WorkerToHost =
  | { readonly type: 'answer'; readonly id: number; readonly answer: AnalysisAnswer }
  | { readonly type: 'failed'; readonly id: number; readonly error: string };
