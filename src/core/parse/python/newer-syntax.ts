/**
 * Python that @lezer/python 1.1.19 (its latest release) does not read, made readable in Lezer's copy of the text.
 *
 * - **Any expression as a decorator** (PEP 614, Python 3.9): `@Plugin("x").register()` (LLaMA-Factory's
 *   data plugins), `@buttons[0].clicked.connect`. Lezer reads only `@dotted.name(args)`, and the rest of the
 *   line as broken. Its copy keeps the leading dotted name and blanks the rest of the decorator, so the
 *   statement below it is still a decorated definition (nothing in MoE Lens reads a decorator past its name).
 * - **Parenthesised context managers** (Python 3.10): `with (open(a) as f, open(b) as g):`, often one per line
 *   (aiconfigurator). Lezer reads the parentheses as a parenthesised expression, where `as` is an error. Its
 *   copy blanks the two parentheses, a trailing comma, and the line breaks and comments between them, so the
 *   items read as the one-line `with a as f, b as g:` they mean.
 *
 * - **A parenthesised tuple target of a `with` item** (`with cm as (a, b):`, GPTQModel, unsloth): Lezer wants a name
 *   after `as`. Its copy blanks the parentheses (and a trailing comma, line breaks and comments inside them).
 * - **`match` and `case` headers Lezer does not read** (PEP 634, Python 3.10): a tuple subject without parentheses
 *   (`match self.mode, self.score:`, NeMo's RNN-T decoders), an open sequence or empty list pattern (`case 1, 2:`,
 *   `case []:`). Its copy keeps the keyword and reads the rest of the header as `_` (a name, a wildcard): nothing
 *   in MoE Lens reads a match statement's subject or patterns, and the bodies below stay as written.
 * - **`=` as an f-string format spec's fill** (`f"{title:=^{width}}"`, lmdeploy's benchmarks): Lezer reads `:=` as a
 *   walrus, which an f-string allows only in parentheses; its copy blanks the `=`.
 * - **A starred target in a comprehension** (`[f(i) for i, *_ in rows]`, Megatron-LM's sampling): Lezer reads the
 *   star as an error; its copy blanks the star (the evaluator reads a comprehension's targets as unknown anyway).
 * - **`print` as a name** (`print = lambda *a, **k: None`, gpt-fast's rank-0 idiom; `print += 1`, `print: int`):
 *   Lezer reads a statement starting with `print` as Python 2's print statement; its copy renames it `_rint`.
 * - **A bare `yield`** (veScale, axlearn): Lezer wants a value after it; its copy reads the keyword as the name
 *   `_ield` and blanks a comment after it.
 * - **A `with` target that is a member or an index** (`with … as cfg.dir:`, axlearn): its copy blanks what follows
 *   the name; and a `case` header over several lines (`case (\n A()\n | B()\n ):`, exo) is read as `_`, breaks too.
 *
 * Blanking (spaces for characters, line breaks kept where brackets still hold them) and renaming keep every offset, so the
 * tree is read against the text as written. Only a construct where Lezer found an error is touched, and Lezer's
 * tree says where the statement starts: a scan never begins inside a string or a comment.
 */
import type { SyntaxNode } from '@lezer/common';

/**
 * How far a scan reads for the end of a decorator or of a `with`'s parentheses. Real ones are a few lines; a
 * hostile file of unclosed `@x(` would otherwise cost a scan to its end for each of them.
 */
const MAX_SCAN = 20_000;

/** Lezer's copy with the constructs above blanked, or undefined when none of the tree's error nodes is in one. */
export function blankNewerSyntax(copy: string, errors: readonly SyntaxNode[]): string | undefined {
  const blanks: { from: number; to: number; keepBreaks: boolean; first?: string; replace?: string }[] = [];
  const seen = new Set<number>();
  for (const error of errors) {
    const header = matchHeader(copy, error);
    if (header && !seen.has(header.from)) {
      seen.add(header.from);
      blanks.push(header);
      continue;
    }
    // `f"{title:=^{width}}"`: a format spec whose fill is `=` (an f-string's walrus needs parentheses), which Lezer
    // reads as `:=`; its copy blanks the `=` (a space fill reads the same to MoE Lens, which reads no format spec).
    if (error.parent?.name === 'FormatReplacement' && copy.startsWith(':=', error.from)) {
      blanks.push({ from: error.from + 1, to: error.from + 2, keepBreaks: false });
      continue;
    }
    if (copy[error.from] === '*' && /Comprehension/.test(error.parent?.name ?? '')) {
      blanks.push({ from: error.from, to: error.from + 1, keepBreaks: false });
      continue;
    }
    // `print = lambda *a, **k: None` (gpt-fast's rank-0 idiom), `print += 1`, `print: int`: Lezer reads a statement
    // that starts with `print` as Python 2's print statement. Its copy renames the target (`_rint`, as long).
    const printAt = printTarget(copy, error);
    if (printAt !== undefined && !seen.has(printAt)) {
      seen.add(printAt);
      blanks.push({ from: printAt, to: printAt + 5, keepBreaks: false, replace: '_rint' });
      continue;
    }
    // A bare `yield` (veScale, axlearn; @lezer/python 1.1.19 wants a value after it): its copy reads the keyword as a
    // name, `_ield`, and blanks a comment after it. MoE Lens reads no generator's yields.
    const bareYield = error.parent?.name === 'YieldStatement' ? error.parent : undefined;
    if (bareYield && copy.startsWith('yield', bareYield.from) && /^[ \t]*(#[^\n]*)?(\r?\n|$)/.test(copy.slice(bareYield.from + 5, bareYield.from + 5 + 400)) && !seen.has(bareYield.from)) {
      seen.add(bareYield.from);
      blanks.push({ from: bareYield.from, to: bareYield.from + 5, keepBreaks: false, replace: '_ield' });
      const comment = copy.indexOf('#', bareYield.from + 5);
      const lineEnd = commentEnd(copy, bareYield.from);
      if (comment >= 0 && comment < lineEnd) blanks.push({ from: comment, to: lineEnd, keepBreaks: false });
      continue;
    }
    // `with ctx as cfg.dir:` / `as d[0]:` (axlearn): a target Lezer wants to be a name. Its copy keeps the name before
    // the member or index (MoE Lens binds no `with` target).
    if (error.parent?.name === 'WithStatement' && (copy[error.from] === '.' || copy[error.from] === '[') && /\bas[ \t]+[A-Za-z_]\w*$/.test(copy.slice(Math.max(0, error.from - 64), error.from))) {
      const end = logicalLineEnd(copy, error.from);
      const colon = end === undefined ? undefined : headerColon(copy, error.from, end);
      if (colon !== undefined) blanks.push({ from: error.from, to: colon, keepBreaks: true });
      continue;
    }
    const statement = repairable(error);
    if (!statement || seen.has(statement.from)) continue;
    seen.add(statement.from);
    const found = statement.name === 'Decorator' ? decoratorBlanks(copy, statement) : withBlanks(copy, statement, error.from);
    if (found) blanks.push(...found);
  }
  if (blanks.length === 0) return undefined;
  const chars = copy.split('');
  for (const { from, to, keepBreaks, first, replace } of blanks) {
    for (let i = from; i < to; i++) {
      const c = chars[i]!;
      if (replace !== undefined) chars[i] = replace[i - from]!;
      else if (!(keepBreaks && (c === '\n' || c === '\r'))) chars[i] = ' ';
    }
    if (first !== undefined) chars[from] = first;
  }
  return chars.join('');
}

/**
 * A `match` or `case` header holding the error: from its subject or pattern to the header's colon, to be read as
 * `_` (line breaks inside brackets kept). Undefined where the error is elsewhere or the header does not end in `:`.
 */
function matchHeader(copy: string, error: SyntaxNode): { from: number; to: number; keepBreaks: boolean; first: string } | undefined {
  let node: SyntaxNode | null = error.parent;
  let inMatch = false;
  let clause: SyntaxNode | undefined;
  for (let up = 0; node && up < 6 && !inMatch; up++, node = node.parent) {
    inMatch = node.name === 'MatchStatement' || node.name === 'MatchClause';
    if (node.name === 'MatchClause') clause = node;
  }
  if (!inMatch) return undefined;
  // A header over several lines (`case (\n A()\n | B()\n ):`, exo's responses.py) starts on its clause's line.
  const lineStart = copy.lastIndexOf('\n', (clause?.from ?? error.from) - 1) + 1;
  const keyword = /^[ \t]*(match|case)[ \t]+/.exec(copy.slice(lineStart, Math.min(copy.length, lineStart + 200)));
  if (!keyword) return undefined;
  const from = lineStart + keyword[0].length;
  const end = logicalLineEnd(copy, from);
  if (end === undefined || error.from < from || error.from > end) return undefined;
  const colon = headerColon(copy, from, end);
  // Line breaks go too: inside the brackets blanked with them, a break would end the header (`case _` on its own).
  return colon === undefined ? undefined : { from, to: colon, keepBreaks: false, first: '_' };
}

/** The colon that ends a header between `from` and `end`: the last one outside brackets, strings and comments. */
function headerColon(copy: string, from: number, end: number): number | undefined {
  let depth = 0;
  let colon: number | undefined;
  for (let i = from; i < end; ) {
    const c = copy[i]!;
    if (c === '"' || c === "'") i = stringEnd(copy, i);
    else if (c === '#') i = commentEnd(copy, i);
    else {
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']' || c === '}') depth--;
      else if (c === ':' && depth === 0) colon = i;
      i++;
    }
  }
  return colon;
}

/** The decorator or `with` statement an error node lies in, if any (a few levels up: the error sits in its header). */
function repairable(error: SyntaxNode): SyntaxNode | undefined {
  let node: SyntaxNode | null = error.parent;
  for (let up = 0; node && up < 4; up++, node = node.parent) {
    if (node.name === 'Decorator' || node.name === 'WithStatement') return node;
  }
  return undefined;
}

/** Where a statement that assigns to the name `print` starts (Lezer read it as a print statement), if the error is in one. */
function printTarget(copy: string, error: SyntaxNode): number | undefined {
  let statement: SyntaxNode | null = error;
  for (let up = 0; statement && up < 4 && statement.name !== 'PrintStatement'; up++) statement = statement.parent;
  // `print += 1` is no PrintStatement to Lezer: the statement is the one whose line the error is on, starting `print`.
  const from = statement?.name === 'PrintStatement' ? statement.from : copy.lastIndexOf('\n', error.from - 1) + 1 + (/^[ \t]*/.exec(copy.slice(copy.lastIndexOf('\n', error.from - 1) + 1))?.[0].length ?? 0);
  return /^print(?=[ \t]*((\*\*|\/\/|>>|<<|[-+*/%&|^@])?=(?!=)|[:,]))/.test(copy.slice(from, from + 16)) ? from : undefined;
}

/** After `@` and the dotted name Lezer read, the rest of the decorator's logical line. */
function decoratorBlanks(copy: string, decorator: SyntaxNode): { from: number; to: number; keepBreaks: boolean }[] | undefined {
  let nameEnd: number | undefined;
  for (let child = decorator.firstChild?.nextSibling; child; child = child.nextSibling) {
    if (child.name === 'VariableName') nameEnd = child.to;
    else if (child.name !== '.') break;
  }
  // What PEP 614 adds after a name: a member, an index, a call of a call. Anything else (`@foo bar`) stays an error.
  if (nameEnd === undefined || !'.[('.includes(copy[nameEnd] ?? '')) return undefined;
  const end = logicalLineEnd(copy, nameEnd);
  return end === undefined ? undefined : [{ from: nameEnd, to: end, keepBreaks: true }];
}

/**
 * `with (` … `):` whose parentheses Lezer misread, or a parenthesised `as (a, b)` target: the parentheses, a
 * trailing comma, the breaks and comments.
 */
function withBlanks(copy: string, statement: SyntaxNode, errorAt: number): { from: number; to: number; keepBreaks: boolean }[] | undefined {
  const body = statement.getChild('Body');
  if (body && errorAt >= body.from) return undefined; // an error in the body is not the header's
  const keyword = statement.getChild('with');
  if (!keyword) return undefined;
  let open = keyword.to;
  while (copy[open] === ' ' || copy[open] === '\t') open++;
  // `with cm as (a, b):` (a tuple target in parentheses, GPTQModel's `as (executor, pb)`): Lezer wants a name after
  // `as`; read without the parentheses, the target is `a, b` (the items MoE Lens reads the same: it binds no target).
  if (copy[open] !== '(') {
    open = errorAt;
    while (copy[open] === ' ' || copy[open] === '\t') open++;
    if (copy[open] !== '(' || !/\bas[ \t]*$/.test(copy.slice(Math.max(0, open - 16), open))) return undefined;
  }
  const inside = scanParenthesised(copy, open);
  if (!inside) return undefined;
  let after = inside.close + 1;
  while (copy[after] === ' ' || copy[after] === '\t') after++;
  if (copy[after] !== ':' && !(open !== keyword.to && copy[after] === ',')) return undefined;
  const blanks = [
    { from: open, to: open + 1, keepBreaks: false },
    { from: inside.close, to: inside.close + 1, keepBreaks: false },
    ...inside.breaksAndComments.map((range) => ({ ...range, keepBreaks: false })),
  ];
  if (inside.trailingComma !== undefined) blanks.push({ from: inside.trailingComma, to: inside.trailingComma + 1, keepBreaks: false });
  return blanks;
}

/** Where a string literal starting at `at` (its quote) ends; a backslash escapes the next character, as Python scans. */
function stringEnd(copy: string, at: number): number {
  const quote = copy[at]!;
  const triple = copy[at + 1] === quote && copy[at + 2] === quote;
  let i = at + (triple ? 3 : 1);
  while (i < copy.length) {
    const c = copy[i]!;
    if (c === '\\') i += 2;
    else if (c === quote && (!triple || (copy[i + 1] === quote && copy[i + 2] === quote))) return i + (triple ? 3 : 1);
    else if (!triple && c === '\n') return i; // an unterminated one-line string ends at the line's end
    else i++;
  }
  return copy.length;
}

function commentEnd(copy: string, at: number): number {
  const end = copy.indexOf('\n', at);
  return end < 0 ? copy.length : end;
}

/**
 * From code at `from`, the first line break outside brackets and strings (or the text's end). Undefined where a
 * bracket closes one never opened, or one opened never closes: blanking to the end would hide the rest of the file.
 */
function logicalLineEnd(copy: string, from: number): number | undefined {
  let depth = 0;
  let i = from;
  const end = Math.min(copy.length, from + MAX_SCAN);
  while (i < end) {
    const c = copy[i]!;
    if (c === '"' || c === "'") i = stringEnd(copy, i);
    else if (c === '#') i = commentEnd(copy, i);
    else if (c === '\\' && (copy[i + 1] === '\n' || copy[i + 1] === '\r')) i += copy[i + 1] === '\r' && copy[i + 2] === '\n' ? 3 : 2;
    else if (c === '\n' || c === '\r') {
      if (depth === 0) return i;
      i++;
    } else {
      if (c === '(' || c === '[' || c === '{') depth++;
      else if ((c === ')' || c === ']' || c === '}') && --depth < 0) return undefined;
      i++;
    }
  }
  return depth === 0 && end === copy.length ? copy.length : undefined;
}

/**
 * The parenthesis opened at `open`: where it closes, the line breaks and comments directly inside it (which only
 * the parentheses allowed), and a comma that ends its items. Undefined when it never closes.
 */
function scanParenthesised(copy: string, open: number): { close: number; breaksAndComments: { from: number; to: number }[]; trailingComma?: number } | undefined {
  const breaksAndComments: { from: number; to: number }[] = [];
  let trailingComma: number | undefined;
  let depth = 0;
  let i = open;
  const end = Math.min(copy.length, open + MAX_SCAN);
  while (i < end) {
    const c = copy[i]!;
    if (c === '"' || c === "'") {
      trailingComma = undefined;
      i = stringEnd(copy, i);
    } else if (c === '#') {
      const end = commentEnd(copy, i);
      if (depth === 1) breaksAndComments.push({ from: i, to: end });
      i = end;
    } else if (c === '\n' || c === '\r' || (c === '\\' && (copy[i + 1] === '\n' || copy[i + 1] === '\r'))) {
      // A backslash continuation goes with its break: `\ ` alone is not Python.
      if (depth === 1) breaksAndComments.push({ from: i, to: i + 1 });
      i++;
    } else {
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']' || c === '}') {
        if (--depth === 0) return { close: i, breaksAndComments, ...(trailingComma !== undefined ? { trailingComma } : {}) };
      }
      if (c === ',' && depth === 1) trailingComma = i;
      else if (c !== ' ' && c !== '\t' && c !== '\\') trailingComma = undefined;
      i++;
    }
  }
  return undefined;
}
