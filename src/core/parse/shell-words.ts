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
  // The simple command being read: its first word, whether it redirects, and the here-documents it opens.
  let commandStart = 0;
  let redirected = false;
  const heredocs: { delimiter: string; tabs: boolean }[] = [];
  // Once a delimiter line is missing, no here-document is skipped again: each search is then linear once.
  let skipsHeredocs = true;
  // The word after `>`, `>>` or `<` is the file redirected to or from, not an argument of the command.
  let redirectTarget = false;
  while (i < text.length && words.length < MAX_WORDS) {
    const ch = text[i]!;
    if (ch === '\\' && continuationLength(text, i) > 0) {
      i += continuationLength(text, i);
      continue;
    }
    if (ch === '<' && text[i + 1] === '<' && text[i + 2] !== '<') {
      const heredoc = HEREDOC.exec(text.slice(i, i + 2 + MAX_DELIMITER));
      if (heredoc) {
        heredocs.push({ delimiter: heredoc[2] ?? heredoc[3] ?? heredoc[4]!, tabs: heredoc[1] === '-' });
        i += heredoc[0].length;
        continue;
      }
    }
    if (ch === '\n' && heredocs.length > 0) {
      // A here-document `cat` prints without redirecting (a usage text) is text, not words of a command; one fed
      // to anything else (`sbatch <<EOF`, `cat > job.sh <<EOF`) may be a launch and is read as before.
      const prints = skipsHeredocs && words.length > commandStart && HEREDOC_PRINTERS.has(words[commandStart]!.text) && !redirected;
      const bodyEnd = prints ? heredocEnd(text, i + 1, heredocs) : -1;
      if (prints && bodyEnd < 0) skipsHeredocs = false;
      heredocs.length = 0;
      if (bodyEnd >= 0) {
        i = bodyEnd;
        commandStart = words.length;
        redirected = false;
        continue;
      }
    }
    // `>&2` duplicates a descriptor (the output still reaches the terminal): neither a file written nor, as `&`, the
    // end of the command (`cat >&2 <<EOF` prints its usage text). `&> file` writes a file.
    if (ch === '>' && text[i + 1] === '&' && /[0-9-]/.test(text[i + 2] ?? '')) {
      i += 2;
      while (/[0-9-]/.test(text[i] ?? '')) i++;
      continue;
    }
    if (ch === '&' && text[i + 1] === '>') {
      redirected = true;
      redirectTarget = true;
      i += 2;
      continue;
    }
    if (SEPARATORS.has(ch)) {
      if (ch === '>') redirected = true;
      if (ch === '>' || ch === '<') redirectTarget = true;
      if (ch === '\n' || ch === ';' || ch === '|' || ch === '&') {
        commandStart = words.length;
        redirected = false;
        redirectTarget = false;
      }
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
    // `2>&1`, `2> err.log`: the descriptor a redirection names, and the file it names, are no arguments (a flag that
    // takes several values took the `2`: helper review Q).
    const descriptor = !dynamic && /^\d+$/.test(value) && (text[i] === '>' || text[i] === '<');
    if (redirectTarget) redirectTarget = false;
    else if (!descriptor) words.push({ text: value, start, end: Math.min(i, text.length), dynamic });
  }
  return words;
}

/** `<<EOF`, `<<-EOF`, `<< 'EOF'`, `<<"EOF"`: whether tabs are stripped, and the delimiter (one of three groups). */
const HEREDOC = /^<<(-?)[ \t]*(?:'([^'\n]+)'|"([^"\n]+)"|([A-Za-z_][A-Za-z0-9_]*))/;
const MAX_DELIMITER = 64;
/** Commands whose here-document is printed text, or not read at all (echo and printf ignore their input). */
const HEREDOC_PRINTERS: ReadonlySet<string> = new Set(['cat', 'echo', 'printf']);

/**
 * Where the here-documents opened on a line end (the offset after the last one's delimiter line), given the
 * offset where their bodies begin; -1 where a delimiter line never comes (then nothing is skipped).
 */
function heredocEnd(text: string, bodyStart: number, heredocs: readonly { delimiter: string; tabs: boolean }[]): number {
  let at = bodyStart;
  for (const { delimiter, tabs } of heredocs) {
    for (;;) {
      if (at >= text.length) return -1;
      const newline = text.indexOf('\n', at);
      const lineEnd = newline === -1 ? text.length : newline;
      let line = text.slice(at, lineEnd).replace(/\r$/, '');
      if (tabs) line = line.replace(/^\t+/, '');
      at = newline === -1 ? text.length : newline + 1;
      if (line === delimiter) break;
    }
  }
  return at;
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
