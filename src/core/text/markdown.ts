/** Text from a file inside the Markdown MoE Lens writes (hovers, the Inspect File view). */

/**
 * A name from the file as a Markdown code span that it cannot break out of: a backtick in a flavor key would
 * otherwise end the span and let the rest render as links or images (issue #14). `pad` always puts a space
 * inside the fences (table cells); otherwise only where the text starts or ends with a backtick.
 */
export function codeSpan(text: string, { pad = false } = {}): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
  const longest = Math.max(0, ...(clean.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${pad || clean.startsWith('`') || clean.endsWith('`') ? ` ${clean} ` : clean}${fence}`;
}
