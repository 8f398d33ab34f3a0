/**
 * ESLint's JSON formatter shape: `[{filePath, messages:[{ruleId, severity, message, line, column, endLine,
 * endColumn}], errorCount, warningCount, ...}]`, 1-based. ESLint has no info level: infos are severity 1
 * with `"level": "info"` and are counted in `infoCount`, not `warningCount`.
 */
import { resolve } from 'node:path';
import { safeFixFor } from '../../core/lint';
import type { Diagnostic, Fix } from '../../core/rules/types';
import { span, type FileResult } from './types';

/** An edit as ESLint writes one: `range` in character offsets of the file, and the text that replaces it. */
interface JsonEdit {
  readonly range: readonly [number, number];
  readonly text: string;
  /** Another file's edit (a class default fixed where it is declared). */
  readonly filePath?: string;
}

/**
 * ESLint's `fix` (the one `--fix` applies: safe, one edit in this file) and `suggestions` (every fix, unsafe ones too,
 * with its title as `desc` and its safety), so that a script sees what the lightbulb offers.
 */
function fixesOf(diagnostic: Diagnostic, file: string): { fix?: JsonEdit; suggestions?: { desc: string; safety: Fix['safety']; edits: JsonEdit[] }[] } {
  const edit = (e: Fix['edits'][number]): JsonEdit => ({ range: [e.range.start, e.range.end], text: e.newText, ...(e.file !== undefined && e.file !== file ? { filePath: resolve(e.file) } : {}) });
  const safe = safeFixFor(diagnostic, file);
  return {
    ...(safe && safe.edits.length === 1 ? { fix: edit(safe.edits[0]!) } : {}),
    ...(diagnostic.fixes.length > 0 ? { suggestions: diagnostic.fixes.map((f) => ({ desc: f.title, safety: f.safety, edits: f.edits.map(edit) })) } : {}),
  };
}

export function formatJson(results: readonly FileResult[]): string {
  return JSON.stringify(
    results.map((result) => {
      const messages = result.diagnostics.map((d) => ({
        ruleId: d.code,
        ruleName: d.ruleName,
        severity: d.severity === 'error' ? 2 : 1,
        level: d.severity,
        message: d.message,
        ...(d.detail ? { detail: d.detail } : {}),
        messageId: d.messageId,
        ...span(result.lines, d),
        fixable: safeFixFor(d, result.file) !== undefined,
        ...fixesOf(d, result.file),
      }));
      const count = (level: string): number => result.diagnostics.filter((d) => d.severity === level).length;
      const fixable = (level: string): number => result.diagnostics.filter((d) => d.severity === level && safeFixFor(d, result.file)).length;
      return {
        filePath: resolve(result.file),
        messages,
        errorCount: count('error'),
        warningCount: count('warning'),
        infoCount: count('info'),
        fixableErrorCount: fixable('error'),
        fixableWarningCount: fixable('warning'),
      };
    }),
    null,
    2,
  );
}
