/**
 * Megatron flags written as Python string literals: miles' `scripts/models/<model>.py` return
 * `"--num-experts 256 " "--moe-router-topk 8 " …` from `model_args()`, which miles splits on whitespace and passes
 * to Megatron with the rest of a launch (radixark/miles @31f1ca9 miles/utils/external_utils/model_args_utils.py
 * l.14-22). Only the strings that hold a routing flag with its value are read, with the pieces or items they are
 * written with: one implicit concatenation, or one list of argv words (Fast-LLM's tests), is one launch's words.
 */
import type { SyntaxNode } from '@lezer/common';
import { children, type ParsedPython } from './python/syntax';

/**
 * A routing flag and its value (a number, an f-string's `{…}`, a shell `$VAR`) inside one string piece: not argparse's
 * `add_argument("--num-experts", …)`, nor a docstring that names the flag.
 */
const FLAG_WITH_VALUE = /--(num-experts|moe-router-topk)[ =]+[\d{$]/;

/** Whether the file may hold such strings: a cheap test before walking its tree. */
export function mayHoldFlagStrings(text: string): boolean {
  return text.includes('--num-experts') || text.includes('--moe-router-topk');
}

/** One launch's words as a text at the Python file's own offsets, and what the code calls them. */
export interface FlagStringLaunch {
  /**
   * The file's text up to the launch's end, with only the contents of its strings kept, at their own offsets (so every
   * site found in it is located in the Python file), an f-string's `{…}` as a shell variable, everything else blank.
   */
  readonly text: string;
  /** The name the strings are assigned to (`CONFIG_MIXTRAL_MEGATRON = [...]`), else the function returning them. */
  readonly name?: string;
}

/** At most this many groups are read: a file of thousands of flag strings is not one of launches. */
const MAX_LAUNCHES = 16;
/** A longer group is not read: a model's flags take a few kilobytes (miles' longest, 3 KB), not megabytes. */
const MAX_LAUNCH_CHARS = 64 * 1024;

/** Each group of strings that holds a routing flag with its value, as a launch of its own (the first MAX_LAUNCHES). */
export function flagStringLaunches(parsed: ParsedPython): FlagStringLaunch[] {
  const { text } = parsed;
  const groups: SyntaxNode[] = [];
  const seen = new Set<number>();
  parsed.tree.iterate({
    enter: (ref) => {
      if (groups.length > MAX_LAUNCHES) return false;
      if (ref.name !== 'String' && ref.name !== 'FormatString') return;
      if (!FLAG_WITH_VALUE.test(text.slice(ref.from, ref.to))) return false;
      const node = ref.node;
      // The pieces of one implicit concatenation, or the items of one list (`["--num-experts=4", …]`: argv words).
      const parent = node.parent;
      const group = parent && (parent.name === 'ContinuedString' || parent.name === 'ArrayExpression' || parent.name === 'TupleExpression') ? parent : node;
      if (!seen.has(group.from) && group.to - group.from <= MAX_LAUNCH_CHARS && isArgumentWords(group, text)) groups.push(group);
      seen.add(group.from);
      return false;
    },
  });
  if (groups.length === 0) return [];
  const constants = moduleConstants(parsed);
  // Blank but for line breaks, so that each constant's assignment is a statement of its own; built once.
  const blank = text.replace(/[^\n]/g, ' ');
  return groups.slice(0, MAX_LAUNCHES).map((group) => {
    const overlay = new Overlay();
    const span = overlay.span(group.from, group.to);
    for (const piece of piecesOf(group)) copyContents(piece, text, span, group.from, overlay, constants);
    const name = nameOf(group, text, groups.length > 1);
    // Nothing after the group belongs to its launch: the text ends there (offsets before it are kept).
    return { text: overlay.over(blank.slice(0, group.to)), ...(name ? { name } : {}) };
  });
}

/** What a launch's text holds over the blank copy: spans of characters at their offsets, each written once. */
class Overlay {
  private readonly spans: { readonly from: number; readonly chars: string[] }[] = [];

  /** A span of blanks from `from` to `to`, to write into (index 0 is `from`). */
  span(from: number, to: number): string[] {
    const chars = new Array<string>(to - from).fill(' ');
    this.spans.push({ from, chars });
    return chars;
  }

  /** `value` written at `at`, unless a span already starts there. */
  write(at: number, value: string): void {
    if (!this.spans.some((s) => s.from === at)) this.spans.push({ from: at, chars: [value] });
  }

  over(blank: string): string {
    const parts: string[] = [];
    let at = 0;
    for (const { from, chars } of [...this.spans].sort((a, b) => a.from - b.from)) {
      const value = chars.join('');
      if (from < at) continue; // overlapping writes do not happen; keep the first
      parts.push(blank.slice(at, from), value);
      at = from + value.length;
    }
    parts.push(blank.slice(at));
    return parts.join('');
  }
}

/** A top-level `NAME = 256` / `NAME = "sigmoid"`: the name, and the literal's range. */
interface Constant {
  readonly value: SyntaxNode;
}

/** Top-level names bound once, to a number or a plain string literal (`MOE_ROUTED_EXPERTS = 256`). */
function moduleConstants(parsed: ParsedPython): Map<string, Constant> {
  const { text } = parsed;
  const found = new Map<string, Constant>();
  const rebound = new Set<string>();
  for (let statement = parsed.tree.topNode.firstChild; statement; statement = statement.nextSibling) {
    if (statement.name !== 'AssignStatement') continue;
    const target = statement.firstChild;
    const value = statement.lastChild;
    if (target?.name !== 'VariableName' || !value || target.nextSibling?.name !== 'AssignOp' || target.nextSibling.nextSibling?.from !== value.from) continue;
    const name = text.slice(target.from, target.to);
    if (found.has(name)) rebound.add(name);
    if (value.name === 'Number' || (value.name === 'String' && /^["']/.test(text.slice(value.from, value.to)) && !text.slice(value.from, value.to).includes('\n'))) found.set(name, { value });
  }
  for (const name of rebound) found.delete(name);
  return found;
}

/**
 * Words a program is given: strings a function returns or a name is bound to, whose first word is a flag. Not a
 * docstring's usage line (`python analyze_routing.py --num-experts 512`), nor a message a call prints.
 */
function isArgumentWords(group: SyntaxNode, text: string): boolean {
  const context = group.parent;
  if (!context || ['ExpressionStatement', 'ArgList', 'Script', 'Body'].includes(context.name)) return false;
  const first = piecesOf(group)[0];
  if (!first) return false;
  const contents = contentRange(first, text);
  return contents !== undefined && text.slice(contents.start, contents.end).trimStart().startsWith('-');
}

function piecesOf(group: SyntaxNode): SyntaxNode[] {
  return group.name === 'String' || group.name === 'FormatString' ? [group] : children(group).filter((c) => c.name === 'String' || c.name === 'FormatString');
}

/** A string piece's text between its quotes (after a prefix such as `f`). */
function contentRange(piece: SyntaxNode, text: string): { start: number; end: number } | undefined {
  const raw = text.slice(piece.from, piece.to);
  const open = /^[A-Za-z]*("""|'''|"|')/.exec(raw);
  if (!open) return undefined;
  const quote = open[1]!;
  const start = piece.from + open[0].length;
  const end = raw.endsWith(quote) && raw.length >= open[0].length + quote.length ? piece.to - quote.length : piece.to;
  return { start, end };
}

/** The assignment's target around the group; or, where the file has several groups, the function around it. */
function nameOf(group: SyntaxNode, text: string, several: boolean): string | undefined {
  for (let node = group.parent; node; node = node.parent) {
    if (node.name === 'AssignStatement') {
      const target = node.firstChild;
      return target?.name === 'VariableName' ? text.slice(target.from, target.to) : undefined;
    }
    if (node.name === 'FunctionDefinition') {
      const name = node.getChild('VariableName');
      return several && name ? text.slice(name.from, name.to) : undefined;
    }
  }
  return undefined;
}

/**
 * A piece's characters between its quotes. An f-string's `{NAME}` of a module constant becomes `$NAME`, with
 * `NAME=` written just before the constant's literal (at its own offset), so the launch reads it as a shell variable
 * set there: the value is located where the constant is written. Any other `{expr}` is `$___`, a value not known.
 */
function copyContents(piece: SyntaxNode, text: string, span: string[], base: number, overlay: Overlay, constants: ReadonlyMap<string, Constant>): void {
  const contents = contentRange(piece, text);
  if (!contents) return;
  const { start, end } = contents;
  for (let i = start; i < end; i++) {
    const c = text[i]!;
    span[i - base] = c === '\n' || c === '\r' || c === '\t' ? ' ' : c;
  }
  for (let child = piece.firstChild; child; child = child.nextSibling) {
    if (child.name !== 'FormatReplacement') continue;
    const inner = child.firstChild?.nextSibling;
    const name = inner?.name === 'VariableName' && inner.nextSibling?.name === '}' ? text.slice(inner.from, inner.to) : undefined;
    const constant = name !== undefined ? constants.get(name) : undefined;
    for (let i = child.from; i < child.to; i++) span[i - base] = ' ';
    if (constant && name !== undefined) {
      span[child.from - base] = '$';
      for (let i = 0; i < name.length; i++) span[child.from + 1 + i - base] = name[i]!;
      // `NAME=` ending just before the literal, which stays at its own offset.
      const { value } = constant;
      overlay.write(value.from - name.length - 1, `${name}=${text.slice(value.from, value.to)}`);
    } else {
      span[child.from - base] = '$';
      for (let i = child.from + 1; i < child.to; i++) span[i - base] = '_';
    }
  }
}
