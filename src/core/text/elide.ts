/**
 * Text from a file inside a one-row message (issue #12: at most 100 characters): a name, a path or a value that a
 * user writes may be any length, so a long one keeps its start and its end around an ellipsis. The range points at the
 * text itself, and the detail may give it whole.
 */
export const ELIDED_LENGTH = 48;

export function elide(text: string, length = ELIDED_LENGTH): string {
  if (text.length <= length) return text;
  const tail = Math.floor((length - 1) / 3);
  return `${text.slice(0, length - 1 - tail)}…${text.slice(text.length - tail)}`;
}
