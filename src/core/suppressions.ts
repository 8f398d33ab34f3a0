/**
 * Inline suppressions: `# moe-lens: disable=MOE001,MOE003` (or `// ...` in JSONC) silences those codes on
 * its own line, or on the next line when the comment stands alone; `disable-file=` silences the whole file;
 * no codes means every code.
 */
import type { LineIndex } from './text/source';

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
