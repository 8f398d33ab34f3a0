/**
 * `Infinity`, `-Infinity` and `NaN` in a config.json: not JSON, but Python's `json` reads and writes them
 * (`json.dumps(float('inf'))` is `Infinity`), so transformers' `save_pretrained` writes them and published configs
 * carry them (NVIDIA-Nemotron-3-Super-120B-A12B: `"time_step_limit": [0.0, Infinity]`). jsonc-parser calls them
 * invalid symbols; MoE Lens then said "JSON syntax error" about a file Python loads.
 *
 * `readableAsPython` gives jsonc-parser text it accepts, offsets unchanged: `Infinity` becomes `1e999999` (the same
 * eight characters, read as Infinity), and the errors a `NaN` causes are dropped (its value stays unread: no 3-character
 * JSON value is NaN, and an unread value is unknown, never a guess).
 */
import { createScanner, type ParseError } from 'jsonc-parser';

// jsonc-parser's const enums, which an isolated-modules build cannot read (SyntaxKind, ParseErrorCode in its .d.ts).
const KIND = { lineComment: 12, blockComment: 13, lineBreak: 14, trivia: 15, unknown: 16, eof: 17 } as const;
const ERROR = { invalidSymbol: 1, valueExpected: 4 } as const;
const TRIVIA: ReadonlySet<number> = new Set([KIND.lineComment, KIND.blockComment, KIND.lineBreak, KIND.trivia]);

export interface PythonJson {
  /** The text with each `Infinity` token written `1e999999`. */
  readonly text: string;
  /** Whether an error jsonc-parser reports comes from a `NaN` token (Python reads it; JSON does not). */
  readonly fromNaN: (error: ParseError) => boolean;
}

const INFINITY_AS_JSON = '1e999999';

export function readableAsPython(text: string): PythonJson {
  if (!text.includes('Infinity') && !text.includes('NaN')) return { text, fromNaN: () => false };
  const scanner = createScanner(text, false);
  const infinities: number[] = [];
  const nans: { start: number; next: number }[] = [];
  let pendingNaN: number | undefined;
  for (let kind: number = scanner.scan(); kind !== KIND.eof; kind = scanner.scan()) {
    if (TRIVIA.has(kind)) continue;
    const start = scanner.getTokenOffset();
    if (pendingNaN !== undefined) {
      nans.push({ start: pendingNaN, next: start });
      pendingNaN = undefined;
    }
    if (kind !== KIND.unknown) continue;
    const token = scanner.getTokenValue();
    if (token === 'Infinity') infinities.push(start);
    else if (token === 'NaN') pendingNaN = start;
  }
  if (pendingNaN !== undefined) nans.push({ start: pendingNaN, next: text.length });
  let written = text;
  for (const at of infinities) written = written.slice(0, at) + INFINITY_AS_JSON + written.slice(at + INFINITY_AS_JSON.length);
  return {
    text: written,
    fromNaN: (error) => nans.some((nan) => (error.error === ERROR.invalidSymbol && error.offset === nan.start) || (error.error === ERROR.valueExpected && error.offset === nan.next)),
  };
}
