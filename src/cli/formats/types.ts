import type { Diagnostic } from '../../core/rules/types';
import type { LineIndex } from '../../core/text/source';

export interface FileResult {
  readonly file: string;
  readonly lines: LineIndex;
  readonly diagnostics: readonly Diagnostic[];
}

export function countBySeverity(results: readonly FileResult[]): { errors: number; warnings: number; infos: number } {
  let errors = 0;
  let warnings = 0;
  let infos = 0;
  for (const result of results) {
    for (const d of result.diagnostics) {
      if (d.severity === 'error') errors++;
      else if (d.severity === 'warning') warnings++;
      else infos++;
    }
  }
  return { errors, warnings, infos };
}

/** 1-based line/column span, the convention of ESLint's JSON and SARIF. */
export function span(lines: LineIndex, diagnostic: Diagnostic): { line: number; column: number; endLine: number; endColumn: number } {
  const start = lines.positionAt(diagnostic.range.start);
  const end = lines.positionAt(diagnostic.range.end);
  return { line: start.line + 1, column: start.character + 1, endLine: end.line + 1, endColumn: end.character + 1 };
}
