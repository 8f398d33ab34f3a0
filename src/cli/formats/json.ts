/**
 * ESLint's JSON formatter shape: `[{filePath, messages:[{ruleId, severity, message, line, column, endLine,
 * endColumn}], errorCount, warningCount, ...}]`, 1-based. ESLint has no info level: infos are severity 1
 * with `"level": "info"` and are counted in `infoCount`, not `warningCount`.
 */
import { resolve } from 'node:path';
import { safeFixFor } from '../../core/lint';
import { span, type FileResult } from './types';

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
