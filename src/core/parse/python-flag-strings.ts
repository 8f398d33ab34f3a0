/**
 * Megatron flags written as Python string literals: miles' `scripts/models/<model>.py` return
 * `"--num-experts 256 " "--moe-router-topk 8 " …` from `model_args()`, which miles splits on whitespace and passes
 * to Megatron with the rest of a launch (radixark/miles @31f1ca9 miles/utils/external_utils/model_args_utils.py
 * l.14-22). Only the strings that hold a routing flag with its value are read, with the pieces or items they are
 * written with: one implicit concatenation, or one list of argv words (Fast-LLM's tests), is one launch's words.
 */
import type { SyntaxNode } from '@lezer/common';
import type { ParsedPython } from './python/syntax';

/**
 * A routing flag and its value (a number, an f-string's `{…}`, a shell `$VAR`) inside one string piece: not argparse's
 * `add_argument("--num-experts", …)`, nor a docstring that names the flag.
 */
const FLAG_WITH_VALUE = /--(num-experts|moe-router-topk)[ =]+[\d{$]/;

/** Whether the file may hold such strings: a cheap test before walking its tree. */
export function mayHoldFlagStrings(text: string): boolean {
  return text.includes('--num-experts') || text.includes('--moe-router-topk');
}

/** One launch's words as a text of the file's length, and what the code calls them. */
export interface FlagStringLaunch {
  /**
   * The file's text with only the contents of the launch's strings kept, at their own offsets (so every site found
   * in it is located in the Python file), an f-string's `{…}` as a shell variable (unknown), everything else blank.
   */
  readonly text: string;
  /** The name the strings are assigned to (`CONFIG_MIXTRAL_MEGATRON = [...]`), else the function returning them. */
  readonly name?: string;
}

/** Each group of strings that holds a routing flag with its value, as a launch of its own. */
export function flagStringLaunches(parsed: ParsedPython): FlagStringLaunch[] {
  const { text } = parsed;
  const groups: SyntaxNode[] = [];
  parsed.tree.iterate({
    enter: (ref) => {
      if (ref.name !== 'String' && ref.name !== 'FormatString') return;
      if (!FLAG_WITH_VALUE.test(text.slice(ref.from, ref.to))) return false;
      const node = ref.node;
      // The pieces of one implicit concatenation, or the items of one list (`["--num-experts=4", …]`: argv words).
      const parent = node.parent;
      const group = parent && (parent.name === 'ContinuedString' || parent.name === 'ArrayExpression' || parent.name === 'TupleExpression') ? parent : node;
      if (!groups.some((g) => g.from === group.from) && isArgumentWords(group, text)) groups.push(group);
      return false;
    },
  });
  const constants = moduleConstants(parsed);
  return groups.map((group) => {
    // Blank but for line breaks outside the group, so that each constant's assignment is a statement of its own.
    const out = Array.from(text, (c) => (c === '\n' ? '\n' : ' '));
    for (let i = group.from; i < group.to; i++) out[i] = ' ';
    for (const piece of piecesOf(group)) copyContents(piece, text, out, constants);
    const name = nameOf(group, text, groups.length > 1);
    return { text: out.join(''), ...(name ? { name } : {}) };
  });
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
  return group.name === 'String' || group.name === 'FormatString' ? [group] : childrenOf(group).filter((c) => c.name === 'String' || c.name === 'FormatString');
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
function childrenOf(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) out.push(child);
  return out;
}

/**
 * A piece's characters between its quotes. An f-string's `{NAME}` of a module constant becomes `$NAME`, with
 * `NAME=` written just before the constant's literal (at its own offset), so the launch reads it as a shell variable
 * set there: the value is located where the constant is written. Any other `{expr}` is `$___`, a value not known.
 */
function copyContents(piece: SyntaxNode, text: string, out: string[], constants: ReadonlyMap<string, Constant>): void {
  const contents = contentRange(piece, text);
  if (!contents) return;
  const { start, end } = contents;
  for (let i = start; i < end; i++) {
    const c = text[i]!;
    out[i] = c === '\n' || c === '\r' || c === '\t' ? ' ' : c;
  }
  for (let child = piece.firstChild; child; child = child.nextSibling) {
    if (child.name !== 'FormatReplacement') continue;
    const inner = child.firstChild?.nextSibling;
    const name = inner?.name === 'VariableName' && inner.nextSibling?.name === '}' ? text.slice(inner.from, inner.to) : undefined;
    const constant = name !== undefined ? constants.get(name) : undefined;
    for (let i = child.from; i < child.to; i++) out[i] = ' ';
    if (constant && name !== undefined) {
      out[child.from] = '$';
      for (let i = 0; i < name.length; i++) out[child.from + 1 + i] = name[i]!;
      const { value } = constant;
      const at = value.from - name.length - 1;
      for (let i = 0; i < name.length; i++) out[at + i] = name[i]!;
      out[value.from - 1] = '=';
      for (let i = value.from; i < value.to; i++) out[i] = text[i]!;
    } else {
      out[child.from] = '$';
      for (let i = child.from + 1; i < child.to; i++) out[i] = '_';
    }
  }
}
