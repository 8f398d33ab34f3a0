/**
 * A small shell lexer for launch scripts: words with their offsets, quotes removed, comments and
 * line continuations skipped. It does not expand anything; `$VAR` stays as written.
 */
export interface ShellWord {
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** The word contains an unquoted or double-quoted `$` (a variable or command substitution). */
  readonly dynamic: boolean;
}

const SEPARATORS = new Set([' ', '\t', '\n', '\r', ';', '|', '&', '(', ')', '<', '>']);
const MAX_WORDS = 200_000;

export function shellWords(text: string): ShellWord[] {
  const words: ShellWord[] = [];
  let i = 0;
  while (i < text.length && words.length < MAX_WORDS) {
    const ch = text[i]!;
    if (ch === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) {
      i += text[i + 1] === '\n' ? 2 : 3;
      continue;
    }
    if (SEPARATORS.has(ch)) {
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    const start = i;
    let value = '';
    let dynamic = false;
    while (i < text.length && !SEPARATORS.has(text[i]!)) {
      const c = text[i]!;
      if (c === "'") {
        const close = text.indexOf("'", i + 1);
        const stop = close === -1 ? text.length : close;
        value += text.slice(i + 1, stop);
        i = stop + 1;
      } else if (c === '"') {
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < text.length) {
            value += text[i + 1];
            i += 2;
            continue;
          }
          if (text[i] === '$') dynamic = true;
          value += text[i];
          i++;
        }
        i++;
      } else if (c === '\\' && i + 1 < text.length) {
        value += text[i + 1];
        i += 2;
      } else {
        if (c === '$') dynamic = true;
        value += c;
        i++;
      }
    }
    words.push({ text: value, start, end: Math.min(i, text.length), dynamic });
  }
  return words;
}
