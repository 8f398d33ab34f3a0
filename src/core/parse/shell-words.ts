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
    if (ch === '\\' && continuationLength(text, i) > 0) {
      i += continuationLength(text, i);
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
    let substitutionEnd = -1;
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
            const continuation = continuationLength(text, i);
            if (continuation === 0) value += text[i + 1];
            i += continuation || 2;
            continue;
          }
          if (text[i] === '$') dynamic = true;
          value += text[i];
          i++;
        }
        i++;
      } else if (c === '\\' && i + 1 < text.length) {
        // A line continuation inside a word (`seq_aux_loss\<newline>`) is removed, as bash removes it: not a newline.
        const continuation = continuationLength(text, i);
        if (continuation === 0) value += text[i + 1];
        i += continuation || 2;
      } else if (c === '$' && text[i + 1] === '(' && (substitutionEnd = matchingParen(text, i + 1)) !== -1) {
        // `$(( a + b ))` and `$(cmd args)` are one word, spaces and all, as in bash.
        value += text.slice(i, substitutionEnd);
        dynamic = true;
        i = substitutionEnd;
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

/** The length of a backslash-newline (LF or CRLF) at `i`, else 0. */
function continuationLength(text: string, i: number): number {
  if (text[i] !== '\\') return 0;
  if (text[i + 1] === '\n') return 2;
  return text[i + 1] === '\r' && text[i + 2] === '\n' ? 3 : 0;
}

/** A `$(` is looked at this far for its `)`: a stray one in a large file must not make the lexer quadratic. */
const MAX_SUBSTITUTION = 512;

/** The offset just after the `)` that closes the `(` at `open` (quotes skipped), or -1 when none does nearby. */
function matchingParen(text: string, open: number): number {
  let depth = 0;
  const end = Math.min(text.length, open + MAX_SUBSTITUTION);
  for (let i = open; i < end; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      let quoteEnd = i + 1;
      while (quoteEnd < end && text[quoteEnd] !== c) quoteEnd++;
      if (quoteEnd >= end) return -1;
      i = quoteEnd;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  return -1;
}
