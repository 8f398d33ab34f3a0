/**
 * Inline suppressions: `# moe-lens: disable=MOE001,MOE003` (or `// ...` in JSONC) silences those codes on
 * its own line, or on the next line when the comment stands alone; `disable-file=` silences the whole file;
 * no codes means every code.
 */
import type { LineIndex, TextEdit } from './text/source';

export interface Suppressions {
  isSuppressed(code: string, line: number): boolean;
}

const MARKER = /(?:#|\/\/)\s*moe-lens:\s*(disable-file|disable)(?:=([A-Za-z0-9_, ]+))?/g;

export function findSuppressions(text: string, lines: LineIndex, commentRanges?: readonly { start: number; end: number }[]): Suppressions {
  const byLine = new Map<number, Set<string> | 'all'>();
  let file: Set<string> | 'all' | undefined;
  const add = (target: Set<string> | 'all' | undefined, codes: string[] | 'all'): Set<string> | 'all' => {
    if (codes === 'all' || target === 'all') return 'all';
    const set = target ?? new Set<string>();
    for (const code of codes) set.add(code);
    return set;
  };
  const scan = (segment: string, offset: number): void => {
    if (!segment.includes('moe-lens')) return;
    for (const match of segment.matchAll(MARKER)) {
      const codes = match[2] ? match[2].split(/[\s,]+/).filter(Boolean).map((c) => c.toUpperCase()) : 'all';
      const at = offset + match.index!;
      if (match[1] === 'disable-file') {
        file = add(file, codes);
        continue;
      }
      const position = lines.positionAt(at);
      const before = lines.lineText(position.line).slice(0, position.character);
      const line = before.trim() === '' ? position.line + 1 : position.line;
      byLine.set(line, add(byLine.get(line), codes));
    }
  };
  if (commentRanges) for (const range of commentRanges) scan(text.slice(range.start, range.end), range.start);
  else if (text.includes('moe-lens')) scan(text, 0);
  const matches = (set: Set<string> | 'all' | undefined, code: string): boolean => set === 'all' || (set?.has(code) ?? false);
  return { isSuppressed: (code, line) => matches(file, code) || matches(byLine.get(line), code) };
}

/** How a file writes a comment, or undefined when it cannot hold one (plain `config.json`, read by `json.load`). */
export function commentPrefix(file: string): '#' | '//' | undefined {
  const lower = file.toLowerCase();
  if (/\.(pyi?|ya?ml|sh|bash|toml)$/.test(lower)) return '#';
  if (lower.endsWith('.jsonc')) return '//';
  return undefined;
}

/**
 * The edit that silences `code`: on `line` (0-based) with a trailing `disable=` comment, added to one the line
 * already has; or for the whole file with a `disable-file=` line at the top (after a shebang). Undefined when
 * the file cannot hold a comment.
 */
export function suppressionEdit(file: string, text: string, lines: LineIndex, code: string, scope: 'line' | 'file', line = 0): TextEdit | undefined {
  const prefix = commentPrefix(file);
  if (!prefix) return undefined;
  if (scope === 'file') {
    const first = lines.lineText(0);
    const at = first.startsWith('#!') ? lines.offsetAt({ line: 1, character: 0 }) : 0;
    const newline = at > 0 && !/\r?\n$/.test(text.slice(0, at)) ? '\n' : '';
    return { range: { start: at, end: at }, newText: `${newline}${prefix} moe-lens: disable-file=${code}\n` };
  }
  const lineText = lines.lineText(line);
  const lineStart = lines.offsetAt({ line, character: 0 });
  // A comment after a line continuation, or inside a quoted shell string (`MODEL_ARGS="... \`), would end the
  // command or become an argument: not offered there (the file-wide form still is).
  const continued = (n: number): boolean => n >= 0 && /\\\s*$/.test(lines.lineText(n));
  if (continued(line) || continued(line - 1)) return undefined;
  if (prefix === '#' && /\.(sh|bash)$/i.test(file) && (text.slice(0, lineStart).split('"').length - 1) % 2 === 1) return undefined;
  const existing = /(?:#|\/\/)\s*moe-lens:\s*disable=([A-Za-z0-9_, ]+)/.exec(lineText);
  if (existing) {
    const end = lineStart + existing.index + existing[0].length;
    return { range: { start: end, end }, newText: `,${code}` };
  }
  const end = lineStart + lineText.replace(/\s+$/, '').length;
  return { range: { start: end, end }, newText: `  ${prefix} moe-lens: disable=${code}` };
}
