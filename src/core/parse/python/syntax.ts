/** Small, iterative helpers over the Lezer Python tree. Nothing here evaluates Python. */
import { TreeFragment, type SyntaxNode, type Tree } from '@lezer/common';
import { parser } from '@lezer/python';
import type { Literal } from '../../model/router-spec';
import { firstNestedDeeper } from '../../text/brackets';
import type { SourceRange } from '../../text/source';
import { blankNewerSyntax } from './newer-syntax';

export interface ParsedPython {
  readonly text: string;
  readonly tree: Tree;
  /** Ranges Lezer could not parse; analysis carries on around them. */
  readonly errorRanges: SourceRange[];
  /** Collected in the same single walk of the tree, so later stages never re-walk it. */
  readonly calls: SyntaxNode[];
  readonly classes: SyntaxNode[];
  readonly comments: SourceRange[];
  /** Not parsed: brackets nest deeper than MAX_BRACKET_DEPTH (the error range marks where). */
  readonly tooDeep?: boolean;
}

const MAX_ERRORS = 50;
const MAX_CALLS = 20_000;
const MAX_CLASSES = 2_000;

/**
 * Brackets nested deeper than this are no config anyone writes; Lezer's error recovery on them is slow and
 * memory-hungry (500,000 deep: 23 s and 1 GB, issue #14), so such a file is not parsed at all.
 */
export const MAX_BRACKET_DEPTH = 25_000;

/** The offset where bracket nesting first exceeds the limit (strings and comments not told apart: an upper bound). */
function tooDeepAt(text: string): number | undefined {
  return firstNestedDeeper(text, MAX_BRACKET_DEPTH);
}

/**
 * The one edited span between two texts, as Lezer's ChangedRange: the common prefix and suffix are kept.
 * One linear compare; an editor's keystroke, paste or undo is one such span.
 */
function changedSpan(before: string, after: string): { fromA: number; toA: number; fromB: number; toB: number } {
  const shorter = Math.min(before.length, after.length);
  // Whole chunks compare natively (string equality); characters only inside the first chunk that differs.
  const CHUNK = 1024;
  let prefix = 0;
  while (prefix + CHUNK <= shorter && before.slice(prefix, prefix + CHUNK) === after.slice(prefix, prefix + CHUNK)) prefix += CHUNK;
  while (prefix < shorter && before.charCodeAt(prefix) === after.charCodeAt(prefix)) prefix++;
  const room = shorter - prefix;
  let suffix = 0;
  while (suffix + CHUNK <= room && before.slice(before.length - suffix - CHUNK, before.length - suffix) === after.slice(after.length - suffix - CHUNK, after.length - suffix)) suffix += CHUNK;
  while (suffix < room && before.charCodeAt(before.length - 1 - suffix) === after.charCodeAt(after.length - 1 - suffix)) suffix++;
  return { fromA: prefix, toA: before.length - suffix, fromB: prefix, toB: after.length - suffix };
}

/**
 * Parses once and walks the tree once. Lezer recovers from any input, so this never throws on text.
 * Given the parse of an earlier version of the same document, Lezer reuses the subtrees the edit did not
 * touch (incremental parsing): a keystroke in a 5,000-line file re-parses a few lines, not the file.
 */
export function parsePython(text: string, previous?: ParsedPython): ParsedPython {
  const tooDeep = tooDeepAt(text);
  if (tooDeep !== undefined) {
    return { text, tree: parser.parse(''), errorRanges: [{ start: tooDeep, end: tooDeep + 1 }], calls: [], classes: [], comments: [], tooDeep: true };
  }
  const lezerText = forLezer(text);
  // The span is of what Lezer read: typing `else` after `1. ` blanks a dot outside the edited characters.
  const fragments = previous && !previous.tooDeep ? TreeFragment.applyChanges(TreeFragment.addTree(previous.tree), [changedSpan(forLezer(previous.text), lezerText)]) : undefined;
  const incremental = fragments ? walk(text, parser.parse(lezerText, fragments)) : undefined;
  // Lezer's error recovery may settle differently when it starts from reused subtrees; a text with a syntax
  // error is parsed afresh, so that the editor and the CLI always read the same text the same way.
  if (incremental && incremental.parsed.errorRanges.length === 0) return incremental.parsed;
  const fresh = walk(text, parser.parse(lezerText));
  if (fresh.errorNodes.length === 0) return fresh.parsed;
  // Syntax newer than Lezer's grammar (newer-syntax.ts) is blanked where Lezer stumbled on it, and parsed again;
  // a few rounds, since Lezer's recovery from one error can hide the next (a `case []:` after a `match a, b:`).
  // The subtrees an edit later reuses are then of the blanked copy: they stand for the same text as written.
  let copy = lezerText;
  let result = fresh;
  for (let round = 0; round < MAX_REPAIR_ROUNDS && result.errorNodes.length > 0; round++) {
    const blanked = blankNewerSyntax(copy, result.errorNodes);
    if (blanked === undefined) break;
    copy = blanked;
    result = walk(text, parser.parse(copy));
  }
  return result.parsed;
}

/** Parses of a copy with newer syntax blanked, at most: each costs a whole parse. */
const MAX_REPAIR_ROUNDS = 3;

/**
 * `1. else`, `1. / n`: Python reads a float and then the keyword or operator; @lezer/python 1.1.19 reads a member
 * access (`1.else`, a keyword as its property name; `1.` with its name missing before ` /`) and the rest of the
 * statement as broken (llm-foundry run_mpt_with_ft.py: `None if p == 1. else …`; DeepSpeed engine.py:
 * `mul_(1. / dp_world_size)`; tutel: `100. * batch_idx`). Lezer gets a copy with such a dot blanked: the same
 * length, so every offset holds. The tree is read against the text as written, where `literalOf` and
 * `writtenRange` give the number its dot back. (`1.e5`, `1.j` and `1.real` are left alone.)
 */
const DOT_BEFORE_KEYWORD_OR_OPERATOR = /(?<![\w.])(\d[\d_]*)\.(?=[ \t]*(?:[-+*/%@<>=!&|^]|(?:else|if|for|and|or|in|not|is)\b))/g;
const forLezer = (text: string): string => text.replace(DOT_BEFORE_KEYWORD_OR_OPERATOR, '$1 ');

/** A Number whose dot `forLezer` blanked: followed by `.` in the text as written, and not the object of a member access. */
function blankedDot(node: SyntaxNode, text: string): boolean {
  return node.name === 'Number' && text.charCodeAt(node.to) === 46 && node.parent?.name !== 'MemberExpression';
}

/**
 * `1.`, a float Python writes with a trailing dot (DeepSeek-V3's `route_scale: float = 1.`): @lezer/python 1.1.19
 * reads it as a member access on `1` with its name missing (an error node after the dot). A comment after the dot
 * (`ratio: float = 0.  # 0 ~ 1`, ms-swift's megatron_args.py) lands inside that member access, before the error.
 */
export function isTrailingDotFloat(node: SyntaxNode): boolean {
  return trailingDot(node) !== undefined;
}

/** The dot of a trailing-dot float (isTrailingDotFloat), or undefined. */
function trailingDot(node: SyntaxNode): SyntaxNode | undefined {
  if (node.name !== 'MemberExpression') return undefined;
  const number = node.firstChild;
  const dot = number?.nextSibling;
  if (number?.name !== 'Number' || dot?.name !== '.' || number.to !== dot.from) return undefined;
  let missing = dot.nextSibling;
  while (missing?.name === 'Comment') missing = missing.nextSibling;
  // The name is missing (zero-width error node, or nothing): `1.real` is a real member access. Lezer puts the error
  // node after the spaces that follow (`[ 0. ]`: llm-jp/Megatron-LM @ea80de7 examples/inference/gpt/utils.py l.136).
  return !missing || (missing.type.isError && missing.from === missing.to) ? dot : undefined;
}

/**
 * Where a value is written: a trailing-dot float ends at its dot, not after a comment Lezer put inside it, nor
 * before a dot `forLezer` blanked.
 */
export function writtenRange(node: SyntaxNode, text: string): { from: number; to: number } {
  const dot = trailingDot(node);
  if (dot) return { from: node.from, to: dot.to };
  // The node's last leaf (`-2.` ends with its Number) may be a number whose dot was blanked.
  let last = node;
  while (last.lastChild) last = last.lastChild;
  return { from: node.from, to: last.to === node.to && blankedDot(last, text) ? node.to + 1 : node.to };
}

/**
 * An error node where Python has none: @lezer/python 1.1.19 expects a name after `1.` (isTrailingDotFloat) and a
 * value after `yield`, and marks the spot with a zero-width error node; a bare `yield` (a context manager's) is valid.
 */
function isValidPython(error: SyntaxNode): boolean {
  if (error.from !== error.to) return false;
  const parent = error.parent;
  if (!parent) return false;
  if (isTrailingDotFloat(parent)) return true;
  const before = error.prevSibling;
  return (parent.name === 'YieldStatement' || parent.name === 'YieldExpression') && before?.name === 'yield' && before.to === error.from && error.nextSibling === null;
}

/** Collects, in one walk of the tree, what later stages need from it (and Lezer's error nodes, for parsePython). */
function walk(text: string, tree: Tree): { parsed: ParsedPython; errorNodes: SyntaxNode[] } {
  const errorRanges: SourceRange[] = [];
  const errorNodes: SyntaxNode[] = [];
  const calls: SyntaxNode[] = [];
  const classes: SyntaxNode[] = [];
  const comments: SourceRange[] = [];
  const cursor = tree.cursor();
  do {
    const type = cursor.type;
    if (type.isError) {
      if (errorRanges.length < MAX_ERRORS && !isValidPython(cursor.node)) {
        errorRanges.push({ start: cursor.from, end: cursor.to });
        errorNodes.push(cursor.node);
      }
    } else if (type.name === 'CallExpression') {
      if (calls.length < MAX_CALLS) calls.push(cursor.node);
    } else if (type.name === 'ClassDefinition') {
      if (classes.length < MAX_CLASSES) classes.push(cursor.node);
    } else if (type.name === 'Comment') {
      comments.push({ start: cursor.from, end: cursor.to });
    }
  } while (cursor.next());
  return { parsed: { text, tree, errorRanges, calls, classes, comments }, errorNodes };
}

export function nodeText(text: string, node: { from: number; to: number }): string {
  return text.slice(node.from, node.to);
}

export function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) out.push(child);
  return out;
}

/** Dotted callee name of a CallExpression (`MoE.Config`, `MoEArgs`), or undefined for other shapes. */
export function calleeName(call: SyntaxNode, text: string): string | undefined {
  const callee = call.firstChild;
  if (!callee) return undefined;
  return dottedName(callee, text);
}

export function dottedName(node: SyntaxNode, text: string): string | undefined {
  const parts: string[] = [];
  let current: SyntaxNode | null = node;
  // MemberExpression nests to the left: ((a.b).c); walk down the left spine without recursion.
  while (current) {
    if (current.name === 'VariableName') {
      parts.unshift(nodeText(text, current));
      return parts.join('.');
    }
    if (current.name !== 'MemberExpression') return undefined;
    const last = current.lastChild;
    if (!last || last.name !== 'PropertyName') return undefined;
    parts.unshift(nodeText(text, last));
    current = current.firstChild;
  }
  return undefined;
}

export interface KeywordArgument {
  readonly key: string;
  readonly keyRange: SourceRange;
  readonly value: SyntaxNode;
}

export interface CallArguments {
  readonly keywords: KeywordArgument[];
  /** Positional arguments, in order (comments are not arguments). */
  readonly positional: SyntaxNode[];
  /** A `*args` or `**kwargs` whose contents are not seen here. */
  readonly hasUnpacking: boolean;
  readonly argList: SyntaxNode;
}

/** A call's arguments, in order. ArgList children are flat: `name = value , ...`. */
export function callArguments(call: SyntaxNode, text: string): CallArguments | undefined {
  const argList = call.getChild('ArgList');
  if (!argList) return undefined;
  const keywords: KeywordArgument[] = [];
  const positional: SyntaxNode[] = [];
  let hasUnpacking = false;
  const items = children(argList).filter((n) => n.name !== '(' && n.name !== ')' && n.name !== ',' && n.name !== 'Comment');
  for (let i = 0; i < items.length; i++) {
    const node = items[i]!;
    if (node.name === 'VariableName' && items[i + 1]?.name === 'AssignOp' && items[i + 2]) {
      keywords.push({ key: nodeText(text, node), keyRange: { start: node.from, end: node.to }, value: items[i + 2]! });
      i += 2;
    } else if (nodeText(text, node) === '*' || nodeText(text, node) === '**') {
      hasUnpacking = true;
      i++; // the unpacked expression
    } else {
      positional.push(node);
    }
  }
  return { keywords, positional, hasUnpacking, argList };
}

const MAX_LITERAL_DEPTH = 8;

/** The literal a node spells, without evaluating anything: numbers, strings, True/False/None, unary minus. */
export function literalOf(node: SyntaxNode, text: string): Literal {
  let sign = 1;
  let current: SyntaxNode = node;
  for (let depth = 0; depth < MAX_LITERAL_DEPTH; depth++) {
    if (current.name === 'UnaryExpression') {
      const op = current.firstChild;
      const operand = op?.nextSibling;
      const opText = op ? nodeText(text, op) : '';
      if (!operand || (opText !== '-' && opText !== '+')) break;
      if (opText === '-') sign = -sign;
      current = operand;
      continue;
    }
    if (current.name === 'ParenthesizedExpression') {
      const inner = current.firstChild?.nextSibling;
      if (!inner || inner.nextSibling?.name !== ')') break;
      current = inner;
      continue;
    }
    break;
  }
  const raw = nodeText(text, writtenRange(current, text));
  if (isTrailingDotFloat(current)) return numberLiteral(raw, sign) ?? { kind: 'expression', text: nodeText(text, node) };
  switch (current.name) {
    case 'Number':
      return numberLiteral(raw, sign) ?? { kind: 'expression', text: nodeText(text, node) };
    case 'String':
      if (sign === 1 && current === node) {
        const value = stringValue(raw);
        if (value !== undefined) return { kind: 'string', value };
      }
      break;
    case 'Boolean':
      if (current === node) return { kind: 'bool', value: raw === 'True' };
      break;
    case 'None':
      if (current === node) return { kind: 'none' };
      break;
    case 'VariableName':
      if (current === node && (raw === 'inf' || raw === 'nan')) break;
      break;
  }
  return { kind: 'expression', text: nodeText(text, node).slice(0, 200) };
}

function numberLiteral(raw: string, sign: number): Literal | undefined {
  const cleaned = raw.replace(/_/g, '');
  if (/^(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|[0-9]+)$/.test(cleaned)) {
    const value = Number(cleaned.replace(/^0[oO]/, '0o').replace(/^0[bB]/, '0b'));
    return Number.isFinite(value) ? { kind: 'int', value: sign * value } : undefined;
  }
  if (/[jJ]$/.test(cleaned)) return undefined; // complex
  const value = Number(cleaned);
  return Number.isNaN(value) ? undefined : { kind: 'float', value: sign * value };
}

/** Value of a simple Python string literal (no f-strings, no implicit concatenation). */
export function stringValue(raw: string): string | undefined {
  const match = /^([rRbBuU]{0,2})('''|"""|'|")([\s\S]*)\2$/.exec(raw);
  if (!match) return undefined;
  const prefix = match[1]!.toLowerCase();
  if (prefix.includes('b') || prefix.includes('f')) return undefined;
  const body = match[3]!;
  if (prefix.includes('r')) return body;
  return body.replace(/\\(["'\\nt])/g, (_, ch: string) => (ch === 'n' ? '\n' : ch === 't' ? '\t' : ch));
}

/** Formats a value as Python source, for fixes. */
export function pythonLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value);
    return String(value);
  }
  return JSON.stringify(String(value));
}

/** Whether a class is decorated `@dataclass` (or `@dataclasses.dataclass`, with or without arguments). */
export function isDataclass(cls: SyntaxNode, text: string): boolean {
  const decorated = cls.parent?.name === 'DecoratedStatement' ? cls.parent : undefined;
  if (!decorated) return false;
  for (const decorator of decorated.getChildren('Decorator')) {
    // Decorator children are flat: `@`, VariableName, `.`, VariableName, [ArgList].
    const name = children(decorator)
      .filter((n) => n.name === 'VariableName' || n.name === '.')
      .map((n) => nodeText(text, n))
      .join('');
    if (name === 'dataclass' || name.endsWith('.dataclass')) return true;
  }
  return false;
}

export interface Parameter {
  readonly name: string;
  readonly node: SyntaxNode;
  readonly kind: 'plain' | 'star' | 'doubleStar';
  readonly default?: SyntaxNode;
}

/** A ParamList's parameters. Its children are flat: `[*|**] name [TypeDef] [= value] ,`. */
export function parameters(list: SyntaxNode, text: string): Parameter[] {
  const out: Parameter[] = [];
  const items = children(list);
  for (let i = 0; i < items.length; i++) {
    const node = items[i]!;
    if (node.name !== 'VariableName') continue;
    const before = items[i - 1] ? nodeText(text, items[i - 1]!) : '';
    let j = i + 1;
    if (items[j]?.name === 'TypeDef') j++;
    const def = items[j]?.name === 'AssignOp' ? items[j + 1] : undefined;
    out.push({ name: nodeText(text, node), node, kind: before === '*' ? 'star' : before === '**' ? 'doubleStar' : 'plain', ...(def ? { default: def } : {}) });
    i = def ? j + 1 : j - 1; // past the default, which may itself be a name
  }
  return out;
}
