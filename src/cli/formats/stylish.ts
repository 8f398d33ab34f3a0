/** Human output in the shape of ESLint's stylish formatter. */
import { displayPath, displayText } from '../files';
import { countBySeverity, span, type FileResult } from './types';

/**
 * `details`: each problem's detail (the framework's own message, the evidence and its source) under its row, as Ruff's
 * full output adds its help; a message alone says what is wrong in one row (issue #12).
 */
export function formatStylish(results: readonly FileResult[], color: boolean, details = false): string {
  const paint = (code: string, text: string): string => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const out: string[] = [];
  for (const result of results) {
    if (result.diagnostics.length === 0) continue;
    out.push(paint('4', printable(displayPath(result.file))));
    for (const d of result.diagnostics) {
      const { line, column } = span(result.lines, d);
      const severity = d.severity === 'error' ? paint('31', 'error  ') : d.severity === 'warning' ? paint('33', 'warning') : paint('36', 'info   ');
      out.push(`  ${`${line}:${column}`.padEnd(8)} ${severity}  ${printable(displayText(d.message))}  ${paint('2', d.code)}`);
      if (details && d.detail) out.push(paint('2', `  ${' '.repeat(8)} ${' '.repeat(7)}  ${printable(displayText(d.detail))}`));
    }
    out.push('');
  }
  const { errors, warnings, infos } = countBySeverity(results);
  const total = errors + warnings + infos;
  if (total > 0) {
    const summary = `✖ ${total} problem${total === 1 ? '' : 's'} (${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}, ${infos} info)`;
    out.push(paint(errors > 0 ? '31;1' : '33;1', summary));
  }
  return out.join('\n');
}

/**
 * Text from a file made safe for a terminal: control characters (ESC sequences that erase lines or write the
 * clipboard through OSC 52, issue #14) are shown as \u escapes instead of being sent.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
