/** Plain-data text primitives shared by every surface. Offsets are UTF-16 code units, as in VS Code. */

export interface SourceRange {
  readonly start: number;
  readonly end: number;
}

export interface TextEdit {
  readonly range: SourceRange;
  readonly newText: string;
}

/** 0-based line and character, the editor's coordinates. */
export interface Position {
  readonly line: number;
  readonly character: number;
}

/** Maps offsets to positions in O(log n) after one O(n) scan of the line starts. */
export class LineIndex {
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    // indexOf is native: a character loop costs milliseconds per 100 KB in a cold process (the CLI's case).
    if (!text.includes('\r')) {
      for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) this.lineStarts.push(at + 1);
      return;
    }
    for (let i = 0; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 13 /* \r */) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.lineStarts.push(i + 1);
      } else if (ch === 10 /* \n */) {
        this.lineStarts.push(i + 1);
      }
    }
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  positionAt(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.lineStarts[mid]! <= clamped) low = mid;
      else high = mid - 1;
    }
    return { line: low, character: clamped - this.lineStarts[low]! };
  }

  offsetAt(position: Position): number {
    const line = Math.max(0, Math.min(position.line, this.lineStarts.length - 1));
    const next = line + 1 < this.lineStarts.length ? this.lineStarts[line + 1]! : this.text.length;
    return Math.min(this.lineStarts[line]! + Math.max(0, position.character), next);
  }

  lineStart(line: number): number {
    return this.lineStarts[Math.max(0, Math.min(line, this.lineStarts.length - 1))]!;
  }

  lineText(line: number): string {
    const start = this.lineStart(line);
    const end = line + 1 < this.lineStarts.length ? this.lineStarts[line + 1]! : this.text.length;
    return this.text.slice(start, end).replace(/\r?\n$|\r$/, '');
  }
}

export function rangesOverlap(a: SourceRange, b: SourceRange): boolean {
  return a.start < b.end && b.start < a.end;
}

export function containsOffset(range: SourceRange, offset: number): boolean {
  return range.start <= offset && offset <= range.end;
}

/**
 * Applies edits in one pass. Edits are sorted by start; an edit that overlaps one already taken is
 * skipped (as ESLint's source-code-fixer does) and reported, so callers can run another pass.
 */
export function applyEdits(text: string, edits: readonly TextEdit[]): { text: string; applied: number; skipped: number } {
  const sorted = [...edits].sort((a, b) => a.range.start - b.range.start || a.range.end - b.range.end);
  let out = '';
  let cursor = 0;
  let applied = 0;
  let skipped = 0;
  let lastEnd = -1;
  for (const edit of sorted) {
    const { start, end } = edit.range;
    if (start < 0 || end > text.length || start > end) {
      skipped++;
      continue;
    }
    if (start < lastEnd) {
      skipped++;
      continue;
    }
    out += text.slice(cursor, start) + edit.newText;
    cursor = end;
    lastEnd = end;
    applied++;
  }
  out += text.slice(cursor);
  return { text: out, applied, skipped };
}
