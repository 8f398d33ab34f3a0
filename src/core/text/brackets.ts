/**
 * Where brackets (`(`, `[`, `{`) first nest deeper than `limit`, or undefined. A closing bracket with none open
 * is ignored. `skipQuotes`: brackets inside '…' and "…" (a backslash escapes) do not count, as in JSON and YAML;
 * without it every bracket counts (an upper bound, for Python, whose strings and comments are not told apart here).
 */
export function firstNestedDeeper(text: string, limit: number, skipQuotes = false): number | undefined {
  // Nesting deeper than the limit needs more opening brackets than the limit: count them first with indexOf
  // (native and fast), and walk the text character by character only when there are that many.
  let opening = 0;
  for (const bracket of ['(', '[', '{']) {
    for (let at = text.indexOf(bracket); at >= 0 && opening <= limit; at = text.indexOf(bracket, at + 1)) opening++;
  }
  if (opening <= limit) return undefined;
  let depth = 0;
  let quote: number | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote !== undefined) {
      if (c === 92) i++; // a backslash escapes the next character
      else if (c === quote) quote = undefined;
    } else if (skipQuotes && (c === 34 || c === 39)) quote = c;
    else if (c === 40 || c === 91 || c === 123) {
      if (++depth > limit) return i;
    } else if ((c === 41 || c === 93 || c === 125) && depth > 0) depth--;
  }
  return undefined;
}
