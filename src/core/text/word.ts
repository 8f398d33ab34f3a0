import type { SourceRange } from './source';

/** The run of characters matching `pattern` around `offset` (the word a completion replaces, the key a hover names). */
export function wordAt(text: string, offset: number, pattern = /[\w.-]/): SourceRange {
  let start = offset;
  while (start > 0 && pattern.test(text[start - 1]!)) start--;
  let end = offset;
  while (end < text.length && pattern.test(text[end]!)) end++;
  return { start, end };
}
