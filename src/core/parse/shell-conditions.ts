/**
 * The `if` and `case` statements of a launch script, read from its words: which words each branch holds, and
 * which branch runs when the variables it tests are known (`MODEL` in the variant MoE Lens reads for
 * `MODEL=DeepSeek-V2`, or a plain `MODE=train` the script sets once). A branch MoE Lens cannot decide stays in;
 * its flags are then marked as conditional by the dialect's reader, never read as if they always ran.
 */
import type { ShellWord } from './shell-words';

/** `[ $V = value ]` (also `==`, `-eq`), its negation (`!=`, `-ne`), or a numeric order (`[ $N -gt 0 ]`). */
export interface VariableTest {
  readonly variable: string;
  readonly value: string;
  readonly negated: boolean;
  /** A numeric comparison instead of an equality. */
  readonly order?: '-gt' | '-ge' | '-lt' | '-le';
}

export interface ShellBranch {
  /**
   * The branch's test: undefined for `else` (and a `*)` arm), `opaque` for any test other than an equality on one
   * variable (a glob or several patterns in a `case` arm).
   */
  readonly test?: VariableTest | 'opaque';
  /** Word indexes of its condition, both ends included: `if … ]` before `then`, `else`, a `case` arm's patterns. */
  readonly keyword: number;
  readonly conditionEnd: number;
  /** Word indexes of its body, end exclusive. */
  readonly bodyStart: number;
  readonly bodyEnd: number;
}

export interface ShellConditional {
  /** `test`: a command list `[ $X = 1 ] && ARGS+=…` (`||` tests the negation). */
  readonly kind: 'if' | 'case' | 'test';
  /** Word indexes from `if` to after `fi` (`case` to after `esac`, `[` to the end of the command list). */
  readonly start: number;
  readonly end: number;
  readonly branches: readonly ShellBranch[];
}

/** What a variant knows of a variable: its value, or only that it is none of some values (an `else` branch). */
export type KnownValue = { readonly value: string; /** Set from this word index on (before it, unknown). */ readonly since?: number } | { readonly noneOf: readonly string[] };

const VARIABLE_WORD = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/;
const EQUAL = new Set(['=', '==', '-eq']);
const NOT_EQUAL = new Set(['!=', '-ne']);
const ORDER = new Set(['-gt', '-ge', '-lt', '-le']);
const INTEGER = /^-?[0-9]+$/;

/** `[ $V = x ]`, `[[ "$V" == x ]]`, `test $V != x`, `[ $N -gt 0 ]`: the variable, value and test; undefined for any other. */
export function variableTest(condition: readonly ShellWord[]): VariableTest | undefined {
  const inner = condition.filter((w) => !['[', ']', '[[', ']]', 'test'].includes(w.text));
  if (inner.length !== 3) return undefined;
  const operator = inner[1]!.text;
  const variable = VARIABLE_WORD.exec(inner[0]!.text)?.[1];
  if (!variable || inner[2]!.dynamic) return undefined;
  const value = inner[2]!.text;
  if (ORDER.has(operator)) return INTEGER.test(value) ? { variable, value, negated: false, order: operator as VariableTest['order'] } : undefined;
  if (!EQUAL.has(operator) && !NOT_EQUAL.has(operator)) return undefined;
  return { variable, value, negated: NOT_EQUAL.has(operator) };
}

interface OpenIf {
  readonly kind: 'if';
  readonly start: number;
  readonly branches: ShellBranch[];
  /** The `if`/`elif` whose condition is being read (until its `then`). */
  condition?: number;
  current?: Omit<ShellBranch, 'bodyEnd'>;
}

interface OpenCase {
  readonly kind: 'case';
  readonly start: number;
  readonly branches: ShellBranch[];
  /** The variable after `case` (`case $MODEL in`), when it is one. */
  variable?: string;
  /** Reading the subject, then `in`, then an arm's patterns (until `)`), then its body (until `;;`). */
  state: 'subject' | 'in' | 'patterns' | 'body';
  patternStart?: number;
  current?: Omit<ShellBranch, 'bodyEnd'>;
}

const GLOB = /[*?[\]]/;

/** A `case` arm's test: one plain pattern is an equality, `*` alone an `else`, anything else opaque. */
function armTest(variable: string | undefined, patterns: readonly ShellWord[]): VariableTest | 'opaque' | undefined {
  if (patterns.length === 1 && patterns[0]!.text === '*') return undefined;
  if (!variable || patterns.length !== 1 || patterns[0]!.dynamic || GLOB.test(patterns[0]!.text)) return 'opaque';
  return { variable, value: patterns[0]!.text, negated: false };
}

/**
 * Every closed `if … fi` and `case … esac` of the words, sorted by start (nested ones after the one holding them).
 * A `case` arm's `)` and `;;` are not words: they are read from the text between words. One pass with a stack:
 * a script of thousands of nested statements stays linear.
 */
export function conditionals(words: readonly ShellWord[], text: string): ShellConditional[] {
  const found: ShellConditional[] = [];
  const open: (OpenIf | OpenCase)[] = [];
  const closeBranch = (statement: OpenIf | OpenCase, at: number): void => {
    if (statement.current) statement.branches.push({ ...statement.current, bodyEnd: at });
    statement.current = undefined;
  };
  const gapAfter = (i: number): string => text.slice(words[i]!.end, words[i + 1]?.start ?? text.length);
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!.text;
    const top = open[open.length - 1];
    if (top?.kind === 'case' && top.state !== 'body') {
      if (top.state === 'subject') {
        top.variable = VARIABLE_WORD.exec(word)?.[1];
        top.state = 'in';
      } else if (top.state === 'in') {
        top.state = 'patterns';
      } else if (word === 'esac' && top.patternStart === undefined) {
        open.pop();
        found.push({ kind: top.kind, start: top.start, end: i + 1, branches: top.branches });
      } else {
        top.patternStart ??= i;
        const gap = gapAfter(i);
        if (/^[ \t]*\)/.test(gap)) {
          top.current = { test: armTest(top.variable, words.slice(top.patternStart, i + 1)), keyword: top.patternStart, conditionEnd: i, bodyStart: i + 1 };
          top.patternStart = undefined;
          top.state = 'body';
          // `a) ;;`: an empty arm.
          if (/;;/.test(gap)) {
            closeBranch(top, i + 1);
            top.state = 'patterns';
          }
        }
      }
      continue;
    }
    const listed = (word === '[' || word === '[[') && !(top?.kind === 'if' && top.condition !== undefined) ? commandList(words, text, i) : undefined;
    if (listed) found.push(listed);
    if (word === 'if') {
      open.push({ kind: 'if', start: i, branches: [], condition: i });
    } else if (word === 'case') {
      open.push({ kind: 'case', start: i, branches: [], state: 'subject' });
    } else if (!top) {
      continue;
    } else if (top.kind === 'case') {
      if (word === 'esac') {
        closeBranch(top, i);
        open.pop();
        found.push({ kind: top.kind, start: top.start, end: i + 1, branches: top.branches });
        continue;
      }
    } else if (word === 'then' && top.condition !== undefined) {
      top.current = { test: variableTest(words.slice(top.condition + 1, i)) ?? 'opaque', keyword: top.condition, conditionEnd: i - 1, bodyStart: i + 1 };
      top.condition = undefined;
    } else if (word === 'elif' && top.condition === undefined) {
      closeBranch(top, i);
      top.condition = i;
    } else if (word === 'else' && top.condition === undefined) {
      closeBranch(top, i);
      top.current = { keyword: i, conditionEnd: i, bodyStart: i + 1 };
    } else if (word === 'fi') {
      closeBranch(top, i);
      open.pop();
      found.push({ kind: top.kind, start: top.start, end: i + 1, branches: top.branches });
    }
    // The arm of the `case` now innermost ends at `;;` after this word (after a nested statement's `fi`, too).
    const innermost = open[open.length - 1];
    if (innermost?.kind === 'case' && innermost.state === 'body' && /;;/.test(gapAfter(i))) {
      closeBranch(innermost, i + 1);
      innermost.state = 'patterns';
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

const MAX_TEST_WORDS = 16;

/**
 * `[ $X = 1 ] && ARGS+=" --flag"` (or `||`): a test that runs the rest of its command list, as an `if` with one
 * branch; undefined for a test that is not followed by `&&` / `||`. The list ends at a newline or `;`.
 */
function commandList(words: readonly ShellWord[], text: string, start: number): ShellConditional | undefined {
  const closing = words[start]!.text === '[' ? ']' : ']]';
  let close = start + 1;
  while (close < Math.min(words.length, start + MAX_TEST_WORDS) && words[close]!.text !== closing) close++;
  if (close >= words.length || words[close]!.text !== closing || close + 1 >= words.length) return undefined;
  const gap = text.slice(words[close]!.end, words[close + 1]!.start);
  const sense = /^\s*&&/.test(gap) ? 'and' : /^\s*\|\|/.test(gap) ? 'or' : undefined;
  if (!sense) return undefined;
  let end = close + 1;
  while (end < words.length && !/(^|[^\\])(\r?\n|;)/.test(text.slice(words[end - 1]!.end, words[end]!.start))) end++;
  const test = variableTest(words.slice(start, close + 1));
  const branchTest = test === undefined ? 'opaque' : sense === 'and' ? test : test.order ? 'opaque' : { ...test, negated: !test.negated };
  return { kind: 'test', start, end, branches: [{ test: branchTest, keyword: start, conditionEnd: close, bodyStart: close + 1, bodyEnd: end }] };
}

/** For each word, the index in `statements` of the `[ … ] && …` command list it is in, or -1. */
export function commandListOf(wordCount: number, statements: readonly ShellConditional[]): Int32Array {
  const listOf = new Int32Array(wordCount).fill(-1);
  statements.forEach((statement, index) => {
    if (statement.kind === 'test') listOf.fill(index, statement.start, statement.end);
  });
  return listOf;
}

/** The word indexes of `case` arms' patterns (`--num-experts)` in an argument loop is a pattern, not a flag). */
export function casePatterns(statements: readonly ShellConditional[]): Set<number> {
  const patterns = new Set<number>();
  for (const statement of statements) {
    if (statement.kind !== 'case') continue;
    for (const branch of statement.branches) for (let i = branch.keyword; i <= branch.conditionEnd; i++) patterns.add(i);
  }
  return patterns;
}

function holds(test: VariableTest, known: KnownValue | undefined, at: number): boolean | undefined {
  if (!known || ('since' in known && known.since !== undefined && known.since > at)) return undefined;
  if (test.order) {
    // `[ $N -gt 0 ]` with N not a number is an error in the test: bash takes neither branch as true, but MoE Lens
    // does not model that.
    if (!('value' in known) || !INTEGER.test(known.value)) return undefined;
    const [a, b] = [Number(known.value), Number(test.value)];
    return test.order === '-gt' ? a > b : test.order === '-ge' ? a >= b : test.order === '-lt' ? a < b : a <= b;
  }
  const equal = 'value' in known ? known.value === test.value : known.noneOf.includes(test.value) ? false : undefined;
  return equal === undefined ? undefined : equal !== test.negated;
}

/** The branch that runs: null when none does, undefined when it depends on what is not known. */
export function takenBranch(statement: ShellConditional, known: ReadonlyMap<string, KnownValue>): ShellBranch | null | undefined {
  for (const branch of statement.branches) {
    if (branch.test === undefined) return branch;
    if (branch.test === 'opaque') return undefined;
    const result = holds(branch.test, known.get(branch.test.variable), statement.start);
    if (result === undefined) return undefined;
    if (result) return branch;
  }
  return null;
}

/**
 * The words as the script runs them where `known` decides an `if` or `case`: its taken branch's body in its place,
 * the rest of it (its other branches, `if`, `then`, `fi`) left out. Undecided statements stay as written.
 * `statements` are `conditionals(words, text)`, read once by the caller for this and plainAssignments.
 */
export function decideConditionals<W extends ShellWord>(words: readonly W[], statements: readonly ShellConditional[], known: ReadonlyMap<string, KnownValue>): W[] {
  if (known.size === 0) return [...words];
  const dropped = new Uint8Array(words.length);
  for (const statement of statements) {
    // Inside a part already left out: its own decision changes nothing (and skipping it keeps this linear).
    if (dropped[statement.start]) continue;
    const taken = takenBranch(statement, known);
    if (taken === undefined) continue;
    const keepFrom = taken ? taken.bodyStart : statement.end;
    const keepTo = taken ? taken.bodyEnd : statement.end;
    for (let i = statement.start; i < keepFrom; i++) dropped[i] = 1;
    for (let i = keepTo; i < statement.end; i++) dropped[i] = 1;
  }
  return words.filter((_, i) => dropped[i] === 0);
}

/**
 * Whether the words (a branch's body) run `exit`, outside any `if` nested in them and not after `&&` / `||`
 * (`[ -d "$DIR" ] || exit 1`): that branch launches nothing.
 */
export function exitsIn(words: readonly ShellWord[], text: string, start: number, end: number): boolean {
  let depth = 0;
  for (let i = start; i < end; i++) {
    const word = words[i]!.text;
    if (word === 'if' || word === 'case') depth++;
    else if ((word === 'fi' || word === 'esac') && depth > 0) depth--;
    else if (word === 'exit' && depth === 0 && !/&&|\|\|/.test(text.slice(words[i - 1]?.end ?? 0, words[i]!.start))) return true;
  }
  return false;
}

/**
 * Variables the script sets once, outside any `if`, to a plain word (`MODE=train`): the environment cannot
 * change them, so an `if [ $MODE = train ]` after the assignment is decided. Set twice, or in a branch, a variable stays unknown.
 */
export function plainAssignments(words: readonly ShellWord[], statements: readonly ShellConditional[]): Map<string, KnownValue> {
  const seen = new Map<string, KnownValue | null>();
  // Inside a `[ … ] && …` list, too, an assignment may not run (`[ -z "$ADDR" ] && export ADDR=localhost`).
  const listOf = commandListOf(words.length, statements);
  let depth = 0;
  for (const [index, word] of words.entries()) {
    if (word.text === 'if' || word.text === 'case' || word.text === 'while' || word.text === 'for') depth++;
    else if ((word.text === 'fi' || word.text === 'esac' || word.text === 'done') && depth > 0) depth--;
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)\+?=/.exec(word.text);
    if (!assignment || word.text.startsWith('--')) continue;
    const name = assignment[1]!;
    const plain = depth === 0 && listOf[index] === -1 && !word.dynamic && !assignment[0].includes('+') && !seen.has(name);
    seen.set(name, plain ? { value: word.text.slice(assignment[0].length), since: index } : null);
  }
  const known = new Map<string, KnownValue>();
  for (const [name, value] of seen) if (value) known.set(name, value);
  return known;
}
