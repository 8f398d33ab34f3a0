/**
 * A small abstract interpreter for config-style Python: it follows names, imports, calls and parameter
 * defaults the way Python would, without executing anything, and records every object a call builds with
 * the flavor (dict key) or function it was built for. Whatever it cannot follow becomes `unknown`, with a
 * reason; it never picks "a file that defines the name".
 *
 * It follows subscripts of the dicts and lists it built (`configs[flavor](...)` calls the builder the entry
 * holds), decides `is` / `is not` / `==` / `!=` / `in` / `not in` where both sides are known, and applies an
 * attribute assignment (`config.parallelism.expert_parallel_degree = 8`) to a local object copy-on-write:
 * the local gets a changed copy, whoever else holds the object keeps it as built.
 *
 * Bounded: calls nest at most MAX_CALL_DEPTH deep, loop bodies run once (their variables unknown), and one
 * evaluation takes at most MAX_STEPS node visits, after which everything left is unknown.
 */
import type { SyntaxNode } from '@lezer/common';
import { LineIndex, type SourceRange } from '../../text/source';
import { baseName } from '../../text/paths';
import { importBindings, type ImportBinding } from './imports';
import { resolveModule, type ModuleFiles } from './modules';
import { children, isDataclass, isTrailingDotFloat, literalOf, nodeText, parameters as paramList, writtenRange, type Parameter, type ParsedPython } from './syntax';
import {
  changedCopy,
  identityOf,
  isScalar,
  passedThrough,
  scalarEquals,
  unknown,
  type Argument,
  type ClassInfo,
  type DictEntry,
  type FunctionInfo,
  type ObjectValue,
  type Place,
  type PyValue,
  type Trace,
} from './values';

/** The project's Python files, parsed on demand by the host (nothing is read here). */
export interface PythonSources extends ModuleFiles {
  parse(file: string): ParsedPython | undefined;
}

/** What an object was built for: the flavor entry or function whose evaluation built it. */
export interface NamingContext {
  readonly name: string;
  readonly file: string;
  readonly kind: 'entry' | 'function' | 'assignment';
  /** The entry (`"120b": ...`), the function definition or the assignment. */
  readonly range: SourceRange;
  readonly keyRange: SourceRange;
  readonly parent?: NamingContext;
}

export interface Construction {
  readonly object: ObjectValue;
  readonly context: NamingContext | undefined;
}

/** A named thing a document defines (a dict entry, a function, a module-level name) and what it evaluates to. */
export interface Root {
  readonly context: NamingContext;
  readonly value: PyValue;
}

/** PyTorch's module base class, under the names an import gives it. */
const TORCH_MODULE = /^torch\.nn\.(modules\.module\.)?Module$/;
const MAX_CALL_DEPTH = 12;
const MAX_STEPS = 200_000;
/** Entries of one dict literal that are evaluated. */
const MAX_DICT_ENTRIES = 2_000;
const MAX_MODULES = 256;
const MAX_LIST_ITEMS = 1024;
/** A loop over more items than this runs its body once, with the loop variable unknown. */
const MAX_ITERATED_ITEMS = 8;
/** Entries of a dict a `for key, value in d.items():` loop runs over one by one (a dict of config overrides). */
const MAX_ITERATED_ENTRIES = 64;
const MAX_NESTING = 200;
/** Names in one attribute assignment's target (`a.b.c = v` has three) that are followed. */
const MAX_ASSIGNED_PATH = 32;
/** Methods that change a dict in place (dictMethod). */
const DICT_MUTATORS = new Set(['update', 'setdefault', 'pop', 'popitem', 'clear']);
/** Values visited, per attribute assignment, to find the other locals that hold an object it changed. */
const MAX_ALIAS_VISITS = 4_096;
const MAX_ALIAS_DEPTH = 16;

type Binding =
  /** `others`: the other values an `if` / `try` at the top level may bind instead (after the last plain binding). */
  | { kind: 'value'; node: SyntaxNode; target: SyntaxNode; others?: readonly { node: SyntaxNode; target: SyntaxNode }[] }
  | { kind: 'function'; node: SyntaxNode; name: SyntaxNode }
  | { kind: 'class'; node: SyntaxNode; name: SyntaxNode }
  | ImportBinding;

class ModuleScope {
  readonly bindings = new Map<string, Binding>();
  readonly values = new Map<string, PyValue>();
  readonly evaluating = new Set<string>();
  private lines?: LineIndex;
  constructor(
    readonly file: string,
    readonly parsed: ParsedPython,
  ) {
    collectBindings(parsed.tree.topNode, parsed.text, this.bindings);
  }

  /** The 1-based line of an offset, for messages (the file's line index built on first use). */
  lineAt(offset: number): number {
    this.lines ??= new LineIndex(this.parsed.text);
    return this.lines.positionAt(offset).line + 1;
  }
}

/** The name a member or subscript chain starts from (`config` in `config.moe["k"].top_k`), where it starts from one. */
function chainRoot(node: SyntaxNode, text: string): string | undefined {
  let root: SyntaxNode | null = node;
  while (root?.name === 'MemberExpression') root = root.firstChild;
  return root?.name === 'VariableName' ? nodeText(text, root) : undefined;
}

/**
 * A module's statements as Python runs them when the file is the program: its top level, with the body of an
 * `if __name__ == "__main__":` and of a `with` in their place (meta-pytorch/autoparallel @a54c252 examples/native_ds3/
 * example_deepseek.py l.387-396 builds its MoEArgs there).
 */
function topLevelStatements(top: SyntaxNode, text: string, depth = 0): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (const statement of children(top)) {
    const body = statement.name === 'IfStatement' || statement.name === 'WithStatement' ? statement.getChild('Body') : null;
    const condition = body && statement.name === 'IfStatement' ? text.slice(statement.firstChild!.to, body.from).replace(/\s+/g, '').replace(/:$/, '').replace(/'/g, '"') : '';
    const main = condition === '__name__=="__main__"' || condition === '"__main__"==__name__';
    // A `with` body runs once where the `with` is (`with torch.device("meta"): moe_args = MoEArgs(…)`).
    // Its assignments only: a bare call there (`main()`) would make the function it calls no root of its own, named
    // by the function, as it is read (grok-1's run.py, the corpus's `if __name__ == "__main__": main()`).
    if (body && depth < MAX_NESTING && statement.getChildren('Body').length === 1 && (main || statement.name === 'WithStatement')) out.push(...topLevelStatements(body, text, depth + 1).filter((s) => s.name !== 'ExpressionStatement'));
    else out.push(statement);
  }
  return out;
}

/**
 * A frame's names. While an `if` MoE Lens cannot decide runs a branch, a journal records the value each name had
 * before the branch first bound it, so that the branches can be joined without copying every name at every `if`.
 */
class Locals extends Map<string, PyValue> {
  private readonly journals: Map<string, PyValue | undefined>[] = [];

  override set(name: string, value: PyValue): this {
    this.record(name);
    return super.set(name, value);
  }

  override delete(name: string): boolean {
    this.record(name);
    return super.delete(name);
  }

  /** Starts recording the names bound from now on (with their values before), until `end`. */
  begin(): Map<string, PyValue | undefined> {
    const journal = new Map<string, PyValue | undefined>();
    this.journals.push(journal);
    return journal;
  }

  /** Puts a name back as it was (unbound where it was not bound). */
  restore(name: string, value: PyValue | undefined): void {
    if (value === undefined) this.delete(name);
    else this.set(name, value);
  }

  end(journal: Map<string, PyValue | undefined>): void {
    const at = this.journals.lastIndexOf(journal);
    if (at !== -1) this.journals.splice(at, 1);
  }

  private record(name: string): void {
    // `journals` is set only after Map's constructor has run its own `set` calls.
    for (const journal of this.journals ?? []) if (!journal.has(name)) journal.set(name, super.get(name));
  }
}

interface Frame {
  readonly module: ModuleScope;
  readonly locals: Locals;
  readonly depth: number;
  /**
   * Set where a branch MoE Lens cannot decide returned: the function may return that, or what it returns later
   * (`if kind == "a": return {...}` then `return {...}`), so its result is not known.
   */
  maybeReturned?: string;
}

const place = (file: string, node: { from: number; to: number }): Place => ({ file, range: { start: node.from, end: node.to } });
/** Most values were bound nowhere on their way; they share one empty (frozen) list instead of one each. */
const NOT_PASSED: readonly Place[] = Object.freeze([]);
const traceAt = (file: string, node: { from: number; to: number }): Trace => ({ written: place(file, node), via: NOT_PASSED });

/** What a framework's reader knows of code the evaluator cannot follow (its own classes' methods). */
export interface EvaluatorKnowledge {
  /**
   * Where `config.build().convert(model)` returns `model` with everything MoE Lens reads unchanged: the source that
   * says so, given the object `config` is; undefined where that is not known (the call's result is then unknown).
   */
  readonly convertKeepsRouter?: (converter: ObjectValue) => string | undefined;
}

export class PythonEvaluator {
  private readonly modules = new Map<string, ModuleScope | null>();
  private readonly classes = new Map<SyntaxNode, ClassInfo>();
  private steps = 0;
  /**
   * Where the steps stop: MAX_STEPS, except while the functions nothing called run (evaluateDocument), which may
   * use three quarters of what is left. What comes after (a config class's field defaults) keeps the rest: a helper
   * that walks a module spec must not leave the file's config unread (Megatron-Bridge qwen35_vl_provider.py).
   */
  private limit = MAX_STEPS;
  /** The functions being evaluated, by file and offset: a call back into one of them is a recursion, not followed. */
  private readonly active = new Set<string>();
  private nesting = 0;
  /** How many branches MoE Lens cannot decide enclose the statement being run (see execIf). */
  private undecided = 0;
  private context: NamingContext | undefined;
  readonly constructions: Construction[] = [];
  /** String-keyed dict entries (a flavor table's rows), with a flavor function's return value as their value. */
  readonly entries: Root[] = [];
  /** The evaluated document's module-level assignments and the functions nothing called. */
  readonly roots: Root[] = [];
  /** Functions whose bodies ran (called from somewhere), by file and definition offset (tree nodes are not stable objects). */
  private readonly called = new Set<string>();
  /** Functions some call in the code ran (not only the evaluation of a root). */
  private readonly calledByCode = new Set<string>();
  /**
   * Lists and dicts whose items are not known exactly (a comprehension's one item, a list grown by `append`,
   * a dict with an unread `**` spread or past its entry budget): `in` on them is decided only where an item matches.
   */
  private readonly inexact = new WeakSet<PyValue>();
  /**
   * Attribute assignments (`config.parallelism.expert_parallel_degree = 8`), by `file:offset` of the statement:
   * true where the evaluator applied it to an object it built, false where it made the attribute unknown or
   * could not follow it at all.
   */
  readonly attributeAssignments = new Map<string, boolean>();

  constructor(
    private readonly sources: PythonSources,
    private readonly knowledge: EvaluatorKnowledge = {},
  ) {}

  get budgetExhausted(): boolean {
    return this.steps > this.limit;
  }

  module(file: string): ModuleScope | undefined {
    if (this.modules.has(file)) return this.modules.get(file) ?? undefined;
    if (this.modules.size >= MAX_MODULES) return undefined;
    const parsed = this.sources.parse(file);
    const scope = parsed ? new ModuleScope(file, parsed) : null;
    this.modules.set(file, scope);
    return scope ?? undefined;
  }

  /**
   * Runs a document's top-level statements in order, naming what each builds (dict keys, assigned names), then
   * every function nothing called, with its parameters at their defaults.
   */
  evaluateDocument(file: string): void {
    const scope = this.module(file);
    if (!scope) return;
    const frame: Frame = { module: scope, locals: new Locals(), depth: 0 };
    // The root each module-level name was last assigned to, so that `moe_args.top_k = 4` after `moe_args = MoEArgs()`
    // (a torchtitan EP demo script) reaches the config it changes, as it does inside a function.
    const assignedRoot = new Map<string, number>();
    for (const statement of topLevelStatements(scope.parsed.tree.topNode, scope.parsed.text)) {
      if (statement.name !== 'AssignStatement' && statement.name !== 'ExpressionStatement') continue;
      const target = statement.firstChild;
      const entryKey = statement.name === 'AssignStatement' ? subscriptKey(target, scope.parsed.text) : undefined;
      if (statement.name === 'AssignStatement' && target?.name === 'VariableName') {
        const name = nodeText(scope.parsed.text, target);
        const context = { name, file, kind: 'assignment', range: rangeOf(statement), keyRange: rangeOf(target) } as const;
        const value = this.withContext(context, () => this.moduleName(scope, name));
        assignedRoot.set(name, this.roots.length);
        if (value.kind === 'object') frame.locals.set(name, value);
        else frame.locals.delete(name);
        this.roots.push({ context, value });
      } else if (statement.name === 'AssignStatement' && target?.name === 'MemberExpression' && !entryKey) {
        this.execStatement(statement, frame);
        // An attribute assigned on a module-level object: the object as changed is the root's, and the name's.
        const name = chainRoot(target, scope.parsed.text);
        const index = name !== undefined ? assignedRoot.get(name) : undefined;
        const changed = name !== undefined ? frame.locals.get(name) : undefined;
        if (index !== undefined && changed && changed !== this.roots[index]!.value) {
          this.roots[index] = { ...this.roots[index]!, value: changed };
          scope.values.set(name!, changed);
        }
      } else if (entryKey && statement.lastChild) {
        // `deepseek_v3.deepseekv3_args["671B_debug"] = DeepSeekV3ModelArgs(...)` (torchtitan-npu adds flavors to
        // torchtitan's own table): a flavor named by its key.
        const context = { name: entryKey.name, file, kind: 'assignment', range: rangeOf(statement), keyRange: rangeOf(entryKey.node) } as const;
        const value = this.withContext(context, () => this.evalExpr(statement.lastChild!, frame));
        this.roots.push({ context, value });
      } else {
        this.execStatement(statement, frame);
      }
    }
    this.limit = this.steps + Math.floor((MAX_STEPS - Math.min(this.steps, MAX_STEPS)) * 0.75);
    try {
      const calledAtTopLevel = new Set(this.called);
      for (const fn of functionDefinitions(scope.parsed.tree.topNode)) {
        if (calledAtTopLevel.has(`${file}:${fn.node.from}`) || this.budgetExhausted) continue;
        const info = this.functionInfo(scope, fn.node);
        if (!info) continue;
        // A private helper another root already called builds for its callers; a public function is a flavor of its
        // own even where another calls it (torchtitan's config_registry.py: `qwen3_moe_debug` and its wrapper).
        if (info.name.startsWith('_') && this.called.has(`${file}:${fn.node.from}`)) continue;
        const context = { name: info.name, file, kind: 'function', range: rangeOf(fn.node), keyRange: info.nameRange } as const;
        const value = this.withContext(context, () => this.callFunction(info, [], new Map(), { module: scope, locals: new Locals(), depth: 0 }, undefined));
        this.roots.push({ context, value });
      }
    } finally {
      this.limit = MAX_STEPS;
    }
    // A private helper defined before the functions that call it ran first as a root of its own
    // (`_gpt_oss_debugmodel` above `gpt_oss_debugmodel`): what it builds belongs to its callers.
    const calledLater = (root: Root): boolean =>
      root.context.kind === 'function' && root.context.file === file && root.context.name.startsWith('_') && this.calledByCode.has(`${file}:${root.context.range.start}`);
    for (let i = this.roots.length - 1; i >= 0; i--) if (calledLater(this.roots[i]!)) this.roots.splice(i, 1);
  }

  private withContext<T>(context: Omit<NamingContext, 'parent'>, run: () => T): T {
    const saved = this.context;
    this.context = saved ? { ...context, parent: saved } : context;
    try {
      return run();
    } finally {
      this.context = saved;
    }
  }

  // ---- names -------------------------------------------------------------------------------------------

  moduleName(scope: ModuleScope, name: string): PyValue {
    const memo = scope.values.get(name);
    if (memo) return memo;
    const binding = scope.bindings.get(name);
    if (!binding) return BUILTINS.has(name) ? { kind: 'external', name: `builtins.${name}`, trace: { written: { file: scope.file, range: { start: 0, end: 0 } }, via: NOT_PASSED } } : unknown(`\`${name}\` is not defined in ${baseName(scope.file)}`);
    if (scope.evaluating.has(name)) return unknown(`\`${name}\` refers to itself`);
    scope.evaluating.add(name);
    try {
      const value = this.evalBinding(scope, name, binding);
      scope.values.set(name, value);
      return value;
    } finally {
      scope.evaluating.delete(name);
    }
  }

  private evalBinding(scope: ModuleScope, name: string, binding: Binding): PyValue {
    switch (binding.kind) {
      case 'value': {
        const valueOf = (b: { node: SyntaxNode; target: SyntaxNode }): PyValue => passedThrough(this.evalExpr(b.node, { module: scope, locals: new Locals(), depth: 0 }), place(scope.file, b.target));
        if (!binding.others) return valueOf(binding);
        const lines = [binding, ...binding.others].map((b) => scope.lineAt(b.target.from)).sort((a, b) => a - b);
        return { kind: 'unknown', reason: `\`${name}\` is bound at lines ${lines.join(', ')}, some in an \`if\` or \`try\` MoE Lens does not decide`, trace: traceAt(scope.file, binding.target), mayBe: [binding, ...binding.others].map(valueOf) };
      }
      case 'function': {
        const info = this.functionInfo(scope, binding.node);
        return info ? { kind: 'function', fn: info, trace: traceAt(scope.file, binding.name) } : unknown(`\`${name}\` could not be read`);
      }
      case 'class':
        return { kind: 'class', cls: this.classInfo(scope, binding.node), trace: traceAt(scope.file, binding.name) };
      case 'import':
        return this.importedValue(scope, binding);
    }
  }

  /** What an import binds, as Python's import system finds it from the module's file (at its top or in a function). */
  private importedValue(scope: ModuleScope, binding: ImportBinding): PyValue {
    const trace = traceAt(scope.file, binding.alias);
    const target = resolveModule(scope.file, binding.module, binding.level, this.sources);
    const dotted = `${'.'.repeat(binding.level)}${binding.module}`;
    if (binding.name === undefined) {
      return target ? { kind: 'module', file: target, trace } : { kind: 'external', name: dotted, trace };
    }
    if (!target) return { kind: 'external', name: `${dotted}.${binding.name}`, trace };
    const imported = this.module(target);
    if (!imported) return unknown(this.modules.size >= MAX_MODULES ? `${dotted} is past the ${MAX_MODULES} modules MoE Lens reads for one file` : `${dotted} could not be read`, trace);
    if (imported.bindings.has(binding.name)) return passedThrough(this.moduleName(imported, binding.name), trace.written);
    // `from package import submodule`
    const submodule = resolveModule(target, binding.name, 1, this.sources);
    if (submodule) return { kind: 'module', file: submodule, trace };
    return unknown(`${dotted} does not define \`${binding.name}\``, trace);
  }

  // ---- expressions -------------------------------------------------------------------------------------

  evalExpr(node: SyntaxNode, frame: Frame): PyValue {
    if (++this.steps > this.limit) return unknown('the analysis budget for this file ran out');
    // Deeply nested literals (`[[[...]]]` thousands deep) would exhaust the stack: past a depth nothing config-like lives.
    if (this.nesting >= MAX_NESTING) return unknown(`expressions nest deeper than ${MAX_NESTING}`);
    this.nesting++;
    try {
      return this.evalNode(node, frame);
    } finally {
      this.nesting--;
    }
  }

  private evalNode(node: SyntaxNode, frame: Frame): PyValue {
    const { file, parsed } = frame.module;
    const { text } = parsed;
    switch (node.name) {
      case 'Number':
      case 'String':
      case 'Boolean':
      case 'None':
      case 'UnaryExpression': {
        const literal = literalOf(node, text);
        const trace = traceAt(file, writtenRange(node, text));
        if (literal.kind === 'int' || literal.kind === 'float') return { kind: literal.kind, value: literal.value, trace };
        if (literal.kind === 'string') return { kind: 'string', value: literal.value, trace };
        if (literal.kind === 'bool') return { kind: 'bool', value: literal.value, trace };
        if (literal.kind === 'none') return { kind: 'none', trace };
        if (node.name === 'UnaryExpression') return this.evalUnary(node, frame);
        return unknown(`\`${clip(nodeText(text, node))}\` is not a plain literal`, trace);
      }
      case 'FormatString':
        return unknown('an f-string', traceAt(file, node));
      case 'ParenthesizedExpression': {
        const inner = node.firstChild?.nextSibling;
        return inner && inner.name !== ')' ? this.evalExpr(inner, frame) : unknown('empty parentheses');
      }
      case 'VariableName':
        return this.lookup(nodeText(text, node), frame, node);
      case 'MemberExpression':
        if (isTrailingDotFloat(node)) {
          const literal = literalOf(node, text);
          if (literal.kind === 'float') return { kind: 'float', value: literal.value, trace: traceAt(file, writtenRange(node, text)) };
        }
        return this.evalMember(node, frame);
      case 'CallExpression':
        return this.evalCall(node, frame);
      case 'DictionaryExpression':
        return this.evalDict(node, frame);
      case 'DictionaryComprehensionExpression':
        // Lezer's recovery reads an unclosed `{ "k": v,` as a comprehension: without `for` it is a dict.
        return node.getChild('for') ? this.evalComprehension(node, frame) : this.evalDict(node, frame);
      case 'ArrayExpression':
      case 'TupleExpression':
        return { kind: 'list', items: elements(node).map((e) => this.evalExpr(e, frame)), trace: traceAt(file, node) };
      case 'ArrayComprehensionExpression':
        return node.getChild('for') ? this.evalComprehension(node, frame) : { kind: 'list', items: elements(node).map((e) => this.evalExpr(e, frame)), trace: traceAt(file, node) };
      case 'SetComprehensionExpression':
      case 'ComprehensionExpression':
        return this.evalComprehension(node, frame);
      case 'BinaryExpression':
        return this.evalBinary(node, frame);
      case 'ConditionalExpression':
        return this.evalConditional(node, frame);
      default:
        return unknown(`\`${clip(nodeText(text, node))}\` is not followed`, traceAt(file, node));
    }
  }

  private lookup(name: string, frame: Frame, at: SyntaxNode): PyValue {
    const local = frame.locals.get(name);
    if (local) return local;
    const value = this.moduleName(frame.module, name);
    if (value.kind === 'unknown' && !value.trace) return unknown(value.reason, traceAt(frame.module.file, at));
    return value;
  }

  private evalUnary(node: SyntaxNode, frame: Frame): PyValue {
    const op = node.firstChild;
    const operand = op?.nextSibling;
    const trace = traceAt(frame.module.file, node);
    if (!op || !operand) return unknown('an incomplete expression', trace);
    const value = this.evalExpr(operand, frame);
    const opText = nodeText(frame.module.parsed.text, op);
    if (opText === 'not') return value.kind === 'bool' ? { kind: 'bool', value: !value.value, trace } : unknown('`not` of an unknown value', trace);
    if ((value.kind === 'int' || value.kind === 'float') && (opText === '-' || opText === '+')) {
      return { kind: value.kind, value: opText === '-' ? -value.value : value.value, trace };
    }
    return unknown(`\`${clip(nodeText(frame.module.parsed.text, node))}\` is not followed`, trace);
  }

  private evalBinary(node: SyntaxNode, frame: Frame): PyValue {
    const left = node.firstChild;
    const op = left?.nextSibling;
    // `a is not b` and `a not in b` are two keyword tokens in Lezer's tree.
    const twoWords = (op?.name === 'is' && op.nextSibling?.name === 'not') || (op?.name === 'not' && op.nextSibling?.name === 'in');
    const right = twoWords ? op?.nextSibling?.nextSibling : op?.nextSibling;
    const trace = traceAt(frame.module.file, node);
    if (!left || !op || !right) return unknown('an incomplete expression', trace);
    const opText = twoWords ? `${op.name} ${op.nextSibling!.name}` : nodeText(frame.module.parsed.text, op);
    const a = this.evalExpr(left, frame);
    if (opText === 'and' || opText === 'or') {
      if (a.kind !== 'bool') return unknown(`\`${opText}\` of an unknown value`, trace);
      return (opText === 'and') === a.value ? this.evalExpr(right, frame) : a;
    }
    const b = this.evalExpr(right, frame);
    const decided = (answer: boolean | undefined, negate: boolean): PyValue =>
      answer === undefined ? unknown(`\`${clip(nodeText(frame.module.parsed.text, node))}\` compares a value that is not known`, trace) : { kind: 'bool', value: answer !== negate, trace };
    if (opText === 'is' || opText === 'is not') return decided(identical(a, b), opText === 'is not');
    if (opText === 'in' || opText === 'not in') return decided(this.contains(b, a), opText === 'not in');
    const equal = scalarEquals(a, b) ?? noneEquals(a, b);
    if (opText === '==' || opText === '!=') return decided(equal, opText === '!=');
    const numeric = (v: PyValue): number | undefined => (v.kind === 'int' || v.kind === 'float' ? v.value : undefined);
    const [x, y] = [numeric(a), numeric(b)];
    if (a.kind === 'string' && b.kind === 'string' && opText === '+') return { kind: 'string', value: a.value + b.value, trace };
    if (x === undefined || y === undefined) return unknown(`\`${clip(nodeText(frame.module.parsed.text, node))}\` uses a value that is not known`, trace);
    const bothInt = a.kind === 'int' && b.kind === 'int';
    const number = (value: number, int: boolean): PyValue => (Number.isFinite(value) ? { kind: int ? 'int' : 'float', value, trace } : unknown('an arithmetic overflow', trace));
    switch (opText) {
      case '+':
        return number(x + y, bothInt);
      case '-':
        return number(x - y, bothInt);
      case '*':
        return number(x * y, bothInt);
      case '/':
        return y === 0 ? unknown('a division by zero', trace) : number(x / y, false);
      case '//':
        return y === 0 ? unknown('a division by zero', trace) : number(Math.floor(x / y), bothInt);
      case '%':
        return y === 0 ? unknown('a division by zero', trace) : number(((x % y) + y) % y, bothInt);
      case '**':
        return number(x ** y, bothInt && y >= 0);
      case '<':
        return { kind: 'bool', value: x < y, trace };
      case '<=':
        return { kind: 'bool', value: x <= y, trace };
      case '>':
        return { kind: 'bool', value: x > y, trace };
      case '>=':
        return { kind: 'bool', value: x >= y, trace };
      default:
        return unknown(`the operator \`${opText}\` is not followed`, trace);
    }
  }

  /**
   * Python's `item in container`, where it is known: a string in a string, a scalar among a list's, tuple's or
   * dict's (keys) scalars. A match decides True; no match decides False only where every item is known and
   * the container is exact (not a comprehension's one item, a list grown in a loop, a dict with an unread spread).
   */
  private contains(container: PyValue, item: PyValue): boolean | undefined {
    if (container.kind === 'string') return item.kind === 'string' ? container.value.includes(item.value) : undefined;
    if (!isScalar(item) || (container.kind !== 'list' && container.kind !== 'dict')) return undefined;
    const members = container.kind === 'list' ? container.items : container.entries.map((e) => e.key);
    let allKnown = !this.inexact.has(identityOf(container));
    for (const member of members.slice(0, MAX_LIST_ITEMS)) {
      const equal = scalarEquals(member, item) ?? noneEquals(member, item);
      if (equal === true) return true;
      if (equal === undefined) allKnown = false;
    }
    return allKnown && members.length <= MAX_LIST_ITEMS ? false : undefined;
  }

  private evalConditional(node: SyntaxNode, frame: Frame): PyValue {
    // `a if cond else b`: children are a, `if`, cond, `else`, b.
    const parts = children(node);
    const [whenTrue, , condition, , whenFalse] = parts;
    const trace = traceAt(frame.module.file, node);
    if (!whenTrue || !condition || !whenFalse) return unknown('an incomplete conditional', trace);
    const test = this.evalExpr(condition, frame);
    if (test.kind === 'bool') return this.evalExpr(test.value ? whenTrue : whenFalse, frame);
    const a = this.evalExpr(whenTrue, frame);
    const b = this.evalExpr(whenFalse, frame);
    return scalarEquals(a, b) === true ? a : unknown(`it depends on \`${clip(nodeText(frame.module.parsed.text, condition))}\``, trace);
  }

  private evalDict(node: SyntaxNode, frame: Frame): PyValue {
    const { file, parsed } = frame.module;
    const entries: DictEntry[] = [];
    let partial = false;
    const items = children(node).filter((n) => n.name !== '{' && n.name !== '}' && n.name !== ',' && n.name !== 'Comment');
    for (let i = 0; i < items.length; i++) {
      // A table of tens of thousands of rows is read in its first rows: the rest stay unknown (a budget, as
      // the 200 configs a file reports; a 2 MB file must lint in seconds).
      if (entries.length >= MAX_DICT_ENTRIES) {
        partial = true;
        break;
      }
      const item = items[i]!;
      if (item.name === '**' || nodeText(parsed.text, item) === '**') {
        const spread = items[i + 1] ? this.evalExpr(items[i + 1]!, frame) : undefined;
        if (spread?.kind === 'dict') entries.push(...spread.entries);
        if (spread?.kind !== 'dict' || this.inexact.has(identityOf(spread))) partial = true;
        i++;
        continue;
      }
      if (items[i + 1]?.name !== ':' || !items[i + 2]) continue;
      const keyNode = item;
      const valueNode = items[i + 2]!;
      const key = this.evalExpr(keyNode, frame);
      const range = { start: keyNode.from, end: valueNode.to };
      let value: PyValue;
      if (key.kind === 'string') {
        const context = { name: key.value, file, kind: 'entry', range, keyRange: rangeOf(keyNode) } as const;
        let flavor: PyValue | undefined;
        value = this.withContext(context, () => {
          const entry = this.evalExpr(valueNode, frame);
          // A flavor table of builder functions (`{"120b": _120b}`): the flavor is what the function returns;
          // the dict itself holds the function, so that `table[flavor](...)` calls it with its arguments.
          if (entry.kind === 'function' && frame.depth === 0) flavor = this.callFunction(entry.fn, [], new Map(), frame, undefined);
          return entry;
        });
        this.entries.push({ context: this.context ? { ...context, parent: this.context } : context, value: flavor ?? value });
      } else {
        value = this.evalExpr(valueNode, frame);
      }
      entries.push({ key, keyRange: rangeOf(keyNode), value, valueRange: rangeOf(valueNode), range });
      i += 2;
    }
    const dict: PyValue = { kind: 'dict', entries, trace: traceAt(file, node) };
    if (partial) this.inexact.add(identityOf(dict));
    return dict;
  }

  private evalComprehension(node: SyntaxNode, frame: Frame): PyValue {
    // `[element for target in iterable if ...]`: bind the targets to unknown and build the element once.
    const parts = children(node).filter((n) => n.name !== '[' && n.name !== ']' && n.name !== '(' && n.name !== ')' && n.name !== '{' && n.name !== '}');
    const element = parts[0];
    const locals = new Locals(frame.locals);
    for (let i = 0; i < parts.length; i++) {
      if (parts[i]!.name !== 'for') continue;
      for (let j = i + 1; j < parts.length && parts[j]!.name !== 'in'; j++) {
        if (parts[j]!.name === 'VariableName') locals.set(nodeText(frame.module.parsed.text, parts[j]!), unknown('a comprehension variable', traceAt(frame.module.file, parts[j]!)));
      }
    }
    const item = element ? this.evalExpr(element, { ...frame, locals }) : unknown('an empty comprehension');
    const list: PyValue = { kind: 'list', items: [item], trace: traceAt(frame.module.file, node) };
    // One item stands for however many the loop makes: what it holds is not known exactly.
    this.inexact.add(identityOf(list));
    return list;
  }

  private evalMember(node: SyntaxNode, frame: Frame): PyValue {
    const { file, parsed } = frame.module;
    const objectNode = node.firstChild;
    const last = node.lastChild;
    const trace = traceAt(file, node);
    if (!objectNode) return unknown('an incomplete expression', trace);
    if (last?.name === ']') {
      // Subscript: `table["120b"]`, `items[0]`.
      const index = objectNode.nextSibling?.nextSibling;
      const container = this.evalExpr(objectNode, frame);
      const key = index ? this.evalExpr(index, frame) : undefined;
      if (container.kind === 'dict' && key) {
        const entry = [...container.entries].reverse().find((e) => scalarEquals(e.key, key) === true);
        if (entry) return entry.value;
      }
      if (container.kind === 'list' && key?.kind === 'int') {
        const item = container.items[key.value < 0 ? container.items.length + key.value : key.value];
        if (item) return item;
      }
      return unknown(`\`${clip(nodeText(parsed.text, node))}\` is not followed`, trace);
    }
    if (last?.name !== 'PropertyName') return unknown('an incomplete expression', trace);
    const attribute = nodeText(parsed.text, last);
    const owner = this.evalExpr(objectNode, frame);
    return this.attribute(owner, attribute, trace);
  }

  private attribute(owner: PyValue, attribute: string, trace: Trace): PyValue {
    switch (owner.kind) {
      case 'external':
        return { kind: 'external', name: `${owner.name}.${attribute}`, trace };
      case 'module': {
        const scope = this.module(owner.file);
        if (!scope) return unknown(`${baseName(owner.file)} could not be read`, trace);
        if (scope.bindings.has(attribute)) return this.moduleName(scope, attribute);
        const submodule = resolveModule(owner.file, attribute, 1, this.sources);
        return submodule ? { kind: 'module', file: submodule, trace } : unknown(`${baseName(owner.file)} does not define \`${attribute}\``, trace);
      }
      case 'class':
        return this.classAttribute(owner.cls, attribute, trace, 0);
      case 'object': {
        const set = owner.keywords.get(attribute);
        if (set) return set.value;
        if (owner.cls) {
          const declared = this.fieldDefault(owner.cls, attribute);
          if (declared) return declared.value;
        }
        return unknown(`\`${owner.className}.${attribute}\` is not known`, trace);
      }
      default:
        return unknown(`\`.${attribute}\` of ${owner.kind === 'unknown' ? 'an unknown value' : `a ${owner.kind}`}`, trace);
    }
  }

  private classAttribute(cls: ClassInfo, attribute: string, trace: Trace, depth: number): PyValue {
    const scope = this.module(cls.file);
    const body = cls.node.getChild('Body');
    if (scope && body) {
      for (const statement of children(body)) {
        const inner = statement.name === 'DecoratedStatement' ? statement.lastChild : statement;
        if (inner?.name === 'ClassDefinition' && nameOf(inner, scope.parsed.text) === attribute) {
          return { kind: 'class', cls: this.classInfo(scope, inner), trace: traceAt(cls.file, inner.getChild('VariableName') ?? inner) };
        }
        if (inner?.name === 'FunctionDefinition' && nameOf(inner, scope.parsed.text) === attribute) {
          const info = this.functionInfo(scope, inner, cls);
          if (info) return { kind: 'function', fn: info, trace: { written: { file: cls.file, range: info.nameRange }, via: NOT_PASSED } };
        }
      }
    }
    if (depth < 8) {
      for (const base of this.bases(cls)) {
        if (base.kind === 'class') {
          const found = this.classAttribute(base.cls, attribute, trace, depth + 1);
          if (found.kind !== 'unknown') return found;
        } else if (base.kind === 'external') {
          // PyTorch's nn.Module has no `Config`: torchtitan's `class Module(nn.Module, Configurable)` takes it from
          // Configurable (krea-ai/torchtitan @26a0985 protocols/module.py l.14; helper sweep G).
          if (attribute === 'Config' && TORCH_MODULE.test(base.name)) continue;
          return { kind: 'external', name: `${base.name}.${attribute}`, trace };
        }
      }
    }
    const declared = this.fieldDefault(cls, attribute);
    return declared ? declared.value : unknown(`\`${cls.name}.${attribute}\` is not declared`, trace);
  }

  // ---- calls -------------------------------------------------------------------------------------------

  private evalCall(node: SyntaxNode, frame: Frame): PyValue {
    const { file, parsed } = frame.module;
    const calleeNode = node.firstChild;
    const trace = traceAt(file, node);
    if (!calleeNode) return unknown('an incomplete call', trace);
    const argList = node.getChild('ArgList');
    const mutated = this.listMethod(calleeNode, argList, frame) ?? this.dictMethod(node, calleeNode, argList, frame);
    if (mutated) return mutated;
    const converted = this.conversion(calleeNode, argList, frame);
    if (converted) return converted;
    const callee = this.evalExpr(calleeNode, frame);
    const { positional, keywords, unpacked } = this.evalArguments(argList, frame);
    const closed = argList?.lastChild?.name === ')' && argList.lastChild.from !== argList.lastChild.to;

    const build = (className: string, extra: { cls?: ClassInfo; external?: string }): ObjectValue => {
      const object: ObjectValue = {
        kind: 'object',
        className,
        ...extra,
        keywords,
        positional,
        call: place(file, node),
        callee: place(file, calleeNode),
        ...(closed && argList ? { argList } : {}),
        ...(unpacked ? { unpacked: true as const } : {}),
        trace,
      };
      this.constructions.push({ object, context: this.context });
      return object;
    };

    switch (callee.kind) {
      case 'class': {
        const object = build(callee.cls.name, { cls: callee.cls });
        return unpacked ? object : this.bindPositional(object);
      }
      case 'function': {
        if (frame.depth >= MAX_CALL_DEPTH) return unknown(`calls nest deeper than ${MAX_CALL_DEPTH}`, trace);
        if (unpacked) return unknown(`\`${callee.fn.name}\` is called with * or ** arguments`, trace);
        return this.callFunction(callee.fn, positional, keywords, frame, node);
      }
      case 'external': {
        // `partial(builder, num_blocks=3)` in a flavor table: the registry calls it with nothing more, so the
        // flavor is what `builder(num_blocks=3)` returns (torchtitan forks write flavors so).
        const bound = positional[0]?.value;
        if (callee.name === 'functools.partial' && bound?.kind === 'function') {
          if (frame.depth >= MAX_CALL_DEPTH) return unknown(`calls nest deeper than ${MAX_CALL_DEPTH}`, trace);
          if (unpacked) return unknown(`\`partial(${bound.fn.name}, ...)\` is given * or ** arguments`, trace);
          return this.callFunction(bound.fn, positional.slice(1), keywords, frame, node);
        }
        const name = callee.name.replace(/^builtins\./, '');
        if (name === 'dict' && !callee.name.includes('.', 9)) {
          const dict: PyValue = { kind: 'dict', entries: [...keywords].map(([key, arg]) => ({ key: { kind: 'string', value: key, trace: traceAt(file, arg.keyRange ? { from: arg.keyRange.start, to: arg.keyRange.end } : node) }, keyRange: arg.keyRange ?? arg.range, value: arg.value, valueRange: arg.range, range: arg.range })), trace };
          // `dict(base, top_k=4)`, `dict(**spread)`: entries MoE Lens did not read.
          if (unpacked || positional.length > 0) this.inexact.add(identityOf(dict));
          return dict;
        }
        if (/(^|\.)replace$/.test(name) && positional[0]?.value.kind === 'object') {
          const base = positional[0].value;
          const merged = new Map(base.keywords);
          for (const [key, arg] of keywords) merged.set(key, arg);
          const object: ObjectValue = { ...base, keywords: merged, trace };
          this.constructions.push({ object, context: this.context });
          return object;
        }
        if ((name === 'int' || name === 'float') && positional[0]) {
          const v = positional[0].value;
          if (v.kind === 'int' || v.kind === 'float' || v.kind === 'bool') {
            const n = Number(v.value);
            return { kind: name, value: name === 'int' ? Math.trunc(n) : n, trace };
          }
        }
        if (BUILTINS.has(name)) return unknown(`\`${name}(...)\` is not followed`, trace);
        return build(objectName(callee.name), { external: callee.name });
      }
      case 'unknown':
        // A callee we cannot resolve still shows what it was given; its defaults stay unknown.
        return build(objectName(nodeText(parsed.text, calleeNode)), {});
      default:
        return unknown(`\`${clip(nodeText(parsed.text, calleeNode))}\` is not callable`, trace);
    }
  }

  /**
   * `c.build().convert(model)` where the reader knows that converter keeps the router as it was
   * (`EvaluatorKnowledge.convertKeepsRouter`): the model it was given, passed through the call.
   */
  private conversion(calleeNode: SyntaxNode, argList: SyntaxNode | null, frame: Frame): PyValue | undefined {
    const known = this.knowledge.convertKeepsRouter;
    const { text } = frame.module.parsed;
    if (!known || calleeNode.name !== 'MemberExpression' || calleeNode.lastChild?.name !== 'PropertyName' || nodeText(text, calleeNode.lastChild) !== 'convert') return undefined;
    const built = calleeNode.firstChild;
    const buildCallee = built?.name === 'CallExpression' ? built.firstChild : null;
    if (!buildCallee || buildCallee.name !== 'MemberExpression' || buildCallee.lastChild?.name !== 'PropertyName' || nodeText(text, buildCallee.lastChild) !== 'build' || !buildCallee.firstChild) return undefined;
    const buildArgs = built!.getChild('ArgList');
    if (buildArgs && children(buildArgs).some((c) => c.name !== '(' && c.name !== ')')) return undefined;
    const converter = this.evalExpr(buildCallee.firstChild, frame);
    if (converter.kind !== 'object' || known(converter) === undefined) return undefined;
    const { positional, keywords, unpacked } = this.evalArguments(argList, frame);
    if (unpacked || positional.length !== 1 || keywords.size > 0) return undefined;
    return passedThrough(positional[0]!.value, place(frame.module.file, calleeNode));
  }

  /** `layers.append(x)` / `layers.extend(xs)` on a list the evaluator built: the list grows, as in Python. */
  private listMethod(calleeNode: SyntaxNode, argList: SyntaxNode | null, frame: Frame): PyValue | undefined {
    if (calleeNode.name !== 'MemberExpression' || calleeNode.lastChild?.name !== 'PropertyName' || !calleeNode.firstChild) return undefined;
    const method = nodeText(frame.module.parsed.text, calleeNode.lastChild);
    if (method !== 'append' && method !== 'extend') return undefined;
    const owner = this.evalExpr(calleeNode.firstChild, frame);
    if (owner.kind !== 'list') return undefined;
    const { positional } = this.evalArguments(argList, frame);
    const argument = positional[0]?.value;
    // A list grown by a call may be grown in a loop that runs any number of times: its items are not exact.
    this.inexact.add(identityOf(owner));
    if (argument && owner.items.length < MAX_LIST_ITEMS) {
      if (method === 'append') owner.items.push(argument);
      else if (argument.kind === 'list') owner.items.push(...argument.items.slice(0, MAX_LIST_ITEMS - owner.items.length));
    }
    return { kind: 'none', trace: traceAt(frame.module.file, calleeNode) };
  }

  /**
   * `config["moe_args"] = x` and `del config["moe_args"]` (`value` undefined) on a local holding a dict or a list:
   * copy-on-write, as assignAttribute does for attributes (torchtitan-npu-simulator's flavor builders swap
   * `moe_args` in a dict before `Config(**config)`). A key MoE Lens cannot name, an index outside the list, a
   * slice or a nested target (`config["moe"]["top_k"] = 4`, `config["moe"].top_k = 4`) leaves the local unknown;
   * in a branch MoE Lens cannot decide, the entry becomes unknown. False where the target's root is no such local.
   */
  private assignEntry(statement: SyntaxNode, target: SyntaxNode, value: PyValue | undefined, valueNode: SyntaxNode | undefined, frame: Frame): boolean {
    const { file, parsed } = frame.module;
    const name = chainRoot(target, parsed.text);
    if (name === undefined) return false;
    const held = frame.locals.get(name);
    if (held?.kind !== 'dict' && held?.kind !== 'list') return false;
    const said = `\`${clip(nodeText(parsed.text, statement))}\` (line ${frame.module.lineAt(statement.from)})`;
    const parts = children(target);
    const indexNode = parts[2];
    if (parts.length !== 4 || parts[0]?.name !== 'VariableName' || parts[1]?.name !== '[' || parts[3]?.name !== ']' || !indexNode) return this.forgetLocal(name, held, `${said} changes it where MoE Lens does not follow`, statement, frame);
    const key = this.evalExpr(indexNode, frame);
    const entryValue = (): PyValue => (this.undecided > 0 ? unknown(`${said} runs only in a branch MoE Lens cannot decide`, traceAt(file, statement)) : passedThrough(value!, place(file, target)));
    if (held.kind === 'list') {
      const length = held.items.length;
      const at = key.kind === 'int' ? (key.value < 0 ? key.value + length : key.value) : -1;
      if (at < 0 || at >= length || this.inexact.has(identityOf(held)) || (value === undefined && this.undecided > 0)) return this.forgetLocal(name, held, `${said} changes an item MoE Lens cannot place`, statement, frame);
      const items = [...held.items];
      if (value === undefined) items.splice(at, 1);
      else items[at] = entryValue();
      return this.replaceLocal(name, held, changedCopy<PyValue>({ ...held, items }, held), statement, frame);
    }
    const found = isScalar(key) ? this.entryIndex(held, held.entries, key) : 'unknown';
    if (found === 'unknown' || (value === undefined && this.undecided > 0)) return this.forgetLocal(name, held, `${said} changes an entry MoE Lens cannot name`, statement, frame);
    const entries = [...held.entries];
    if (value === undefined) {
      if (found >= 0) entries.splice(found, 1);
    } else {
      const entry: DictEntry = { key, keyRange: rangeOf(indexNode), value: entryValue(), valueRange: rangeOf(valueNode!), range: rangeOf(statement) };
      if (found >= 0) entries[found] = entry;
      else if (entries.length < MAX_DICT_ENTRIES) entries.push(entry);
      else return this.forgetLocal(name, held, `${said} grows a dict past ${MAX_DICT_ENTRIES} entries`, statement, frame);
    }
    return this.replaceLocal(name, held, changedCopy<PyValue>({ ...held, entries }, held), statement, frame);
  }

  /**
   * `config.update({...})`, `config.setdefault(k, v)`, `config.pop(k)`, `config.clear()`, `config.popitem()` on a
   * local holding a dict: the local is rebound to a changed copy (assignEntry), and the call's result is what
   * Python returns; where the arguments or the keys are not known, or the call runs in a branch MoE Lens cannot
   * decide and removes entries, the local becomes unknown. Undefined where the call is no such method call.
   */
  private dictMethod(call: SyntaxNode, calleeNode: SyntaxNode, argList: SyntaxNode | null, frame: Frame): PyValue | undefined {
    const { file, parsed } = frame.module;
    if (calleeNode.name !== 'MemberExpression' || calleeNode.lastChild?.name !== 'PropertyName' || calleeNode.firstChild?.name !== 'VariableName') return undefined;
    const method = nodeText(parsed.text, calleeNode.lastChild);
    if (!DICT_MUTATORS.has(method)) return undefined;
    const name = nodeText(parsed.text, calleeNode.firstChild);
    const held = frame.locals.get(name);
    if (held?.kind !== 'dict') return undefined;
    const trace = traceAt(file, call);
    const said = `\`${clip(nodeText(parsed.text, call))}\` (line ${frame.module.lineAt(call.from)})`;
    const { positional, keywords, unpacked } = this.evalArguments(argList, frame);
    const forget = (why: string): PyValue => {
      this.forgetLocal(name, held, `${said} ${why}`, call, frame);
      return unknown(`${said} ${why}`, trace);
    };
    const entryValue = (v: PyValue, at: SyntaxNode): PyValue => (this.undecided > 0 ? unknown(`${said} runs only in a branch MoE Lens cannot decide`, trace) : passedThrough(v, place(file, at)));
    const entries = [...held.entries];
    let result: PyValue = { kind: 'none', trace };
    if (unpacked) return forget('passes * or ** arguments MoE Lens cannot read');
    if (method === 'update') {
      const given: DictEntry[] = [];
      if (positional.length > 1) return forget('is not a call Python accepts');
      const source = positional[0]?.value;
      if (source) {
        if (source.kind !== 'dict' || this.inexact.has(identityOf(source))) return forget('adds entries MoE Lens cannot read');
        given.push(...source.entries);
      }
      for (const [key, arg] of keywords) given.push({ key: { kind: 'string', value: key, trace }, keyRange: arg.keyRange ?? arg.range, value: arg.value, valueRange: arg.range, range: arg.range });
      for (const entry of given) {
        const found = isScalar(entry.key) ? this.entryIndex(held, entries, entry.key) : 'unknown';
        if (found === 'unknown') return forget('sets an entry MoE Lens cannot name');
        const changed = { ...entry, value: entryValue(entry.value, calleeNode) };
        if (found >= 0) entries[found] = changed;
        else if (entries.length < MAX_DICT_ENTRIES) entries.push(changed);
        else return forget(`grows a dict past ${MAX_DICT_ENTRIES} entries`);
      }
    } else if (method === 'setdefault' || method === 'pop') {
      const key = positional[0]?.value;
      const found = key && isScalar(key) && keywords.size === 0 ? this.entryIndex(held, held.entries, key) : 'unknown';
      if (found === 'unknown') return forget('names an entry MoE Lens cannot name');
      if (method === 'setdefault') {
        const value = positional[1]?.value ?? { kind: 'none', trace };
        if (found >= 0) result = entries[found]!.value;
        else if (entries.length >= MAX_DICT_ENTRIES) return forget(`grows a dict past ${MAX_DICT_ENTRIES} entries`);
        else {
          result = value;
          entries.push({ key: key!, keyRange: positional[0]!.range, value: entryValue(value, calleeNode), valueRange: positional[1]?.range ?? rangeOf(call), range: rangeOf(call) });
        }
      } else {
        if (this.undecided > 0) return forget('runs only in a branch MoE Lens cannot decide');
        result = found >= 0 ? entries.splice(found, 1)[0]!.value : (positional[1]?.value ?? unknown(`${said} raises KeyError`, trace));
      }
    } else {
      // clear, popitem: which entries are left is not tracked in a branch, nor which one popitem takes.
      if (method === 'popitem' || this.undecided > 0) return forget(method === 'popitem' ? 'removes an entry MoE Lens does not track' : 'runs only in a branch MoE Lens cannot decide');
      entries.length = 0;
    }
    this.replaceLocal(name, held, changedCopy<PyValue>({ ...held, entries }, held), call, frame);
    return result;
  }

  /** The index of `key`'s entry in a dict (-1: none); 'unknown' where an entry's key cannot be compared with it. */
  private entryIndex(dict: PyValue, entries: readonly DictEntry[], key: PyValue): number | 'unknown' {
    for (let i = 0; i < entries.length; i++) {
      const same = scalarEquals(entries[i]!.key, key);
      if (same === undefined) return 'unknown';
      if (same) return i;
    }
    return this.inexact.has(identityOf(dict)) ? 'unknown' : -1;
  }

  /** The local `name` (and its aliases) now holds `copy` of the dict or list it held. True, for assignEntry's caller. */
  private replaceLocal(name: string, held: PyValue, copy: PyValue, changedBy: SyntaxNode, frame: Frame): true {
    this.rebindLocal(name, copy, new Map([[identityOf(held), copy]]), changedBy, frame);
    return true;
  }

  /** The local `name` (and its aliases) no longer holds a value MoE Lens knows: `why` says what changed it. */
  private forgetLocal(name: string, held: PyValue, why: string, changedBy: SyntaxNode, frame: Frame): true {
    const lost = unknown(why, traceAt(frame.module.file, changedBy));
    this.rebindLocal(name, lost, new Map([[identityOf(held), lost]]), changedBy, frame);
    return true;
  }

  private evalArguments(argList: SyntaxNode | null, frame: Frame): { positional: Argument[]; keywords: Map<string, Argument>; unpacked: boolean } {
    const positional: Argument[] = [];
    const keywords = new Map<string, Argument>();
    let unpacked = false;
    if (!argList) return { positional, keywords, unpacked };
    const { text } = frame.module.parsed;
    const items: SyntaxNode[] = [];
    for (let child = argList.firstChild; child; child = child.nextSibling) {
      const name = child.name;
      if (name !== '(' && name !== ')' && name !== ',' && name !== 'Comment') items.push(child);
    }
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (item.name === 'VariableName' && items[i + 1]?.name === 'AssignOp' && items[i + 2]) {
        const valueNode = items[i + 2]!;
        keywords.set(nodeText(text, item), { value: this.evalExpr(valueNode, frame), keyRange: rangeOf(item), range: rangeOf(valueNode) });
        i += 2;
        continue;
      }
      const itemText = nodeText(text, item);
      if (itemText === '*' || itemText === '**') {
        const spread = items[i + 1] ? this.evalExpr(items[i + 1]!, frame) : undefined;
        if (itemText === '**' && spread?.kind === 'dict' && spread.entries.every((e) => e.key.kind === 'string')) {
          for (const entry of spread.entries) keywords.set((entry.key as { value: string }).value, { value: entry.value, keyRange: entry.keyRange, range: entry.valueRange });
          // A dict MoE Lens did not read whole (`dict(**x)`, a `**kwargs` no call here fills) may hold any keyword.
          if (this.inexact.has(identityOf(spread))) unpacked = true;
        } else {
          unpacked = true;
        }
        i++;
        continue;
      }
      positional.push({ value: this.evalExpr(item, frame), range: rangeOf(item) });
    }
    return { positional, keywords, unpacked };
  }

  /** Positional arguments of a class call land on its fields in declaration order. */
  private bindPositional(object: ObjectValue): ObjectValue {
    if (object.positional.length === 0 || !object.cls) return object;
    const order = this.fieldOrder(object.cls);
    const keywords = new Map(object.keywords);
    object.positional.forEach((arg, i) => {
      const name = order[i];
      if (name && !keywords.has(name)) keywords.set(name, arg);
    });
    const bound: ObjectValue = { ...object, keywords };
    const index = this.constructions.findIndex((c) => c.object === object);
    if (index >= 0) this.constructions[index] = { object: bound, context: this.constructions[index]!.context };
    return bound;
  }

  private callFunction(fn: FunctionInfo, positional: readonly Argument[], keywords: ReadonlyMap<string, Argument>, caller: Frame, callNode: SyntaxNode | undefined): PyValue {
    const scope = this.module(fn.file);
    const trace = callNode ? traceAt(caller.module.file, callNode) : traceAt(fn.file, { from: fn.nameRange.start, to: fn.nameRange.end });
    if (!scope) return unknown(`${baseName(fn.file)} could not be read`, trace);
    const fnKey = `${fn.file}:${fn.node.from}`;
    this.called.add(fnKey);
    if (callNode) this.calledByCode.add(fnKey);
    // A recursion (a spec walker calling itself for each sub-spec) is not followed: branching calls nested 12 deep
    // took every step of the file's budget.
    if (this.active.has(fnKey)) return unknown(`\`${fn.name}\` calls itself; a recursion is not followed`, trace);
    this.active.add(fnKey);
    try {
      return this.runFunction(fn, fnKey, scope, positional, keywords, caller, trace, callNode === undefined);
    } finally {
      this.active.delete(fnKey);
    }
  }

  private runFunction(fn: FunctionInfo, fnKey: string, scope: ModuleScope, positional: readonly Argument[], keywords: ReadonlyMap<string, Argument>, caller: Frame, trace: Trace, uncalled = false): PyValue {
    const locals = new Locals();
    let params = this.parametersOf.get(fnKey);
    if (!params) this.parametersOf.set(fnKey, (params = parameters(fn.node, scope.parsed.text)));
    let index = fn.owner && params[0]?.name === 'self' ? 1 : 0;
    const defaultsFrame: Frame = { module: scope, locals: new Locals(), depth: caller.depth + 1 };
    for (const param of params.slice(index)) {
      const paramPlace = place(fn.file, param.node);
      const byKeyword = keywords.get(param.name);
      const byPosition = param.kind === 'plain' ? positional[index - (fn.owner && params[0]?.name === 'self' ? 1 : 0)] : undefined;
      if (param.kind === 'plain') index++;
      if (param.kind === 'star') {
        const rest = positional.slice(index - (fn.owner && params[0]?.name === 'self' ? 1 : 0));
        locals.set(param.name, { kind: 'list', items: rest.map((a) => a.value), trace: traceAt(fn.file, param.node) });
        index = Number.MAX_SAFE_INTEGER;
        continue;
      }
      if (param.kind === 'doubleStar') {
        // `**kwargs` is the dict of the keywords no named parameter took, each value with its own trace.
        let named = this.namedParameters.get(fnKey);
        if (!named) this.namedParameters.set(fnKey, (named = new Set(params.map((p) => p.name))));
        const entries: DictEntry[] = [...keywords]
          .filter(([key]) => !named.has(key))
          .map(([key, arg]) => {
            const keyRange = arg.keyRange ?? arg.range;
            return { key: { kind: 'string', value: key, trace: { written: { file: caller.module.file, range: keyRange }, via: NOT_PASSED } }, keyRange, value: arg.value, valueRange: arg.range, range: { start: keyRange.start, end: arg.range.end } };
          });
        const rest: PyValue = { kind: 'dict', entries, trace: traceAt(fn.file, param.node) };
        // A function nothing here calls, run at its parameters' defaults: its callers (elsewhere) may pass any
        // keyword through `**kwargs` (NVIDIA/Model-Optimizer @a2fbac7 tests/_test_utils/torch/megatron/models.py
        // l.394-432: `**config_kwargs` into TransformerConfig, read as "no other keyword").
        if (uncalled) this.inexact.add(identityOf(rest));
        locals.set(param.name, rest);
        continue;
      }
      const given = byKeyword ?? byPosition;
      if (given) locals.set(param.name, passedThrough(given.value, paramPlace));
      else if (param.default) locals.set(param.name, this.evalExpr(param.default, defaultsFrame));
      else locals.set(param.name, unknown(`no call sets \`${param.name}\` of \`${fn.name}\``, traceAt(fn.file, param.node)));
    }
    const body = fn.node.getChild('Body');
    if (!body) return unknown(`\`${fn.name}\` has no body`, trace);
    const frame: Frame = { module: scope, locals, depth: caller.depth + 1 };
    const result = this.execBlock(body, frame);
    if (frame.maybeReturned !== undefined) return unknown(`\`${fn.name}\` returns ${frame.maybeReturned}`, trace);
    return result ?? { kind: 'none', trace };
  }

  // ---- statements --------------------------------------------------------------------------------------

  /** Runs a block; returns the value of the `return` it reaches, if any. */
  private execBlock(block: SyntaxNode, frame: Frame): PyValue | undefined {
    let returned: PyValue | undefined;
    for (const statement of children(block)) {
      const value = this.execStatement(statement, frame);
      if (value && statement.name === 'ReturnStatement') return value;
      returned ??= value;
      if (this.budgetExhausted) break;
    }
    return returned;
  }

  private execStatement(statement: SyntaxNode, frame: Frame): PyValue | undefined {
    if (++this.steps > this.limit) return undefined;
    const { text } = frame.module.parsed;
    switch (statement.name) {
      case 'AssignStatement': {
        const parts = children(statement);
        const valueNode = parts[parts.length - 1];
        if (!valueNode || parts.length < 3) return undefined;
        const value = this.evalExpr(valueNode, frame);
        for (let i = 0; i < parts.length - 1; i++) {
          const target = parts[i]!;
          if (target.name === 'VariableName' && (parts[i + 1]?.name === 'AssignOp' || parts[i + 1]?.name === 'TypeDef')) {
            frame.locals.set(nodeText(text, target), passedThrough(value, place(frame.module.file, target)));
          } else if (target.name === 'TupleExpression' || (target.name === 'VariableName' && parts[i + 1]?.name === ',')) {
            for (const name of target.name === 'TupleExpression' ? elements(target) : [target]) {
              if (name.name === 'VariableName') frame.locals.set(nodeText(text, name), unknown('a tuple assignment', traceAt(frame.module.file, name)));
            }
          } else if (target.name === 'MemberExpression' && parts[i + 1]?.name === 'AssignOp' && this.assignEntry(statement, target, value, valueNode, frame)) {
            // `config["moe_args"] = x` on a local dict or list: done.
          } else if (target.name === 'MemberExpression' && parts[i + 1]?.name === 'AssignOp') {
            // In a branch MoE Lens cannot decide, the attribute may or may not be changed: not known after it.
            const assignedValue = this.undecided > 0 ? unknown(`\`${clip(nodeText(text, target))}\` is set only in a branch MoE Lens cannot decide (line ${frame.module.lineAt(statement.from)})`, traceAt(frame.module.file, statement)) : value;
            this.assignAttribute(statement, target, assignedValue, valueNode, frame);
          }
        }
        return undefined;
      }
      case 'UpdateStatement': {
        // `config.training.steps += 10`: the attribute is no longer what it was, and is not computed here.
        const target = statement.firstChild;
        const valueNode = statement.lastChild;
        if (target?.name === 'MemberExpression' && valueNode && valueNode !== target) {
          const trace = traceAt(frame.module.file, statement);
          this.assignAttribute(statement, target, unknown(`\`${clip(nodeText(text, statement))}\` updates it in place`, trace), valueNode, frame);
        }
        for (const child of children(statement)) if (child.name !== 'UpdateOp' && child.name !== 'VariableName' && child !== target) this.evalExpr(child, frame);
        return undefined;
      }
      case 'ExpressionStatement': {
        if (statement.firstChild?.name === 'CallExpression' && this.setAttribute(statement, statement.firstChild, frame)) return undefined;
        for (const child of children(statement)) if (child.name !== 'UpdateOp' && child.name !== 'VariableName') this.evalExpr(child, frame);
        return undefined;
      }
      case 'DeleteStatement': {
        for (const target of children(statement)) if (target.name === 'MemberExpression') this.assignEntry(statement, target, undefined, undefined, frame);
        return undefined;
      }
      case 'ReturnStatement': {
        const value = statement.lastChild && statement.lastChild !== statement.firstChild ? this.evalExpr(statement.lastChild, frame) : undefined;
        return value ?? { kind: 'none', trace: traceAt(frame.module.file, statement) };
      }
      case 'IfStatement':
        return this.execIf(statement, frame);
      case 'ForStatement':
      case 'WhileStatement': {
        const parts = children(statement);
        const inAt = parts.findIndex((p) => p.name === 'in');
        // `for c in converters:` over a list known item by item (a few, written in the code): the body runs for
        // each, with the loop variable bound to it, as Python runs it.
        const iterated = this.iterateKnownList(statement, parts, inAt, frame);
        if (iterated.ran) return iterated.returned;
        // Otherwise the body runs once, with the loop variables unknown: what it builds is recorded once.
        for (const target of parts.slice(1, inAt > 0 ? inAt : 1)) {
          for (const name of target.name === 'TupleExpression' ? elements(target) : [target]) {
            if (name.name === 'VariableName') frame.locals.set(nodeText(text, name), unknown(`\`${nodeText(text, name)}\` is a loop variable`, traceAt(frame.module.file, name)));
          }
        }
        const bodies = statement.getChildren('Body');
        let returned: PyValue | undefined;
        for (const body of bodies) returned ??= this.execBlock(body, frame);
        return returned;
      }
      case 'WithStatement':
      case 'TryStatement': {
        let returned: PyValue | undefined;
        for (const body of statement.getChildren('Body')) returned ??= this.execBlock(body, frame);
        return returned;
      }
      case 'ImportStatement':
        // An import inside a function binds a local, found from the module's file as a top-level import is.
        for (const binding of importBindings(statement, text)) frame.locals.set(nodeText(text, binding.alias), this.importedValue(frame.module, binding));
        return undefined;
      case 'FunctionDefinition':
      case 'ClassDefinition':
      case 'DecoratedStatement': {
        const definition = statement.name === 'DecoratedStatement' ? statement.lastChild : statement;
        const nameNode = definition?.getChild('VariableName');
        if (!definition || !nameNode) return undefined;
        const name = nodeText(text, nameNode);
        if (definition.name === 'FunctionDefinition') {
          const info = this.functionInfo(frame.module, definition);
          if (info) frame.locals.set(name, { kind: 'function', fn: info, trace: traceAt(frame.module.file, nameNode) });
        } else if (definition.name === 'ClassDefinition') {
          frame.locals.set(name, { kind: 'class', cls: this.classInfo(frame.module, definition), trace: traceAt(frame.module.file, nameNode) });
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  /**
   * A `for` loop with one plain loop variable over a list whose items are all known (not grown by a call in a loop,
   * not a comprehension's one item) and at most MAX_ITERATED_ITEMS: the body runs once per item. Else `ran` is false.
   */
  private iterateKnownList(statement: SyntaxNode, parts: readonly SyntaxNode[], inAt: number, frame: Frame): { ran: boolean; returned?: PyValue } {
    if (statement.name !== 'ForStatement') return { ran: false };
    const iterable = parts[inAt + 1];
    const body = statement.getChild('Body');
    if (!iterable || !body || statement.getChildren('Body').length !== 1) return { ran: false };
    if (inAt === 4 && parts[1]?.name === 'VariableName' && parts[2]?.name === ',' && parts[3]?.name === 'VariableName') return this.iterateKnownItems(parts[1], parts[3], iterable, body, frame);
    if (inAt !== 2 || parts[1]?.name !== 'VariableName') return { ran: false };
    const list = this.evalExpr(iterable, frame);
    if (list.kind !== 'list' || list.items.length > MAX_ITERATED_ITEMS || this.inexact.has(identityOf(list))) return { ran: false };
    const name = nodeText(frame.module.parsed.text, parts[1]);
    const at = place(frame.module.file, parts[1]);
    for (const item of list.items) {
      frame.locals.set(name, passedThrough(item, at));
      const returned = this.execBlock(body, frame);
      if (returned || this.budgetExhausted) return { ran: true, ...(returned ? { returned } : {}) };
    }
    return { ran: true };
  }

  /**
   * `for key, value in params.items():` over a dict known entry by entry (its keys scalars, at most
   * MAX_ITERATED_ENTRIES): the body runs once per entry, as Python runs it (a `setattr` loop that copies a dict of
   * overrides onto a config). Else `ran` is false.
   */
  private iterateKnownItems(keyNode: SyntaxNode, valueNode: SyntaxNode, iterable: SyntaxNode, body: SyntaxNode, frame: Frame): { ran: boolean; returned?: PyValue } {
    const { text } = frame.module.parsed;
    const method = iterable.name === 'CallExpression' ? iterable.firstChild : null;
    const args = iterable.getChild('ArgList');
    if (method?.name !== 'MemberExpression' || method.lastChild?.name !== 'PropertyName' || nodeText(text, method.lastChild) !== 'items' || !args || children(args).length !== 2) return { ran: false };
    const dict = this.evalExpr(method.firstChild!, frame);
    if (dict.kind !== 'dict' || dict.entries.length > MAX_ITERATED_ENTRIES || this.inexact.has(identityOf(dict)) || !dict.entries.every((e) => isScalar(e.key))) return { ran: false };
    const keyName = nodeText(text, keyNode);
    const valueName = nodeText(text, valueNode);
    for (const entry of dict.entries) {
      frame.locals.set(keyName, passedThrough(entry.key, place(frame.module.file, keyNode)));
      frame.locals.set(valueName, passedThrough(entry.value, place(frame.module.file, valueNode)));
      const returned = this.execBlock(body, frame);
      if (returned || this.budgetExhausted) return { ran: true, ...(returned ? { returned } : {}) };
    }
    return { ran: true };
  }

  /**
   * `setattr(config, "top_k", 4)` (Python's builtin, not a name the code rebinds) is `config.top_k = 4`. Where the
   * name is not known (`for k, v in params.items(): setattr(config, k, v)` over a dict MoE Lens cannot read), any
   * attribute may have changed: `config` is unknown after it. False where the call is no such `setattr`.
   */
  private setAttribute(statement: SyntaxNode, call: SyntaxNode, frame: Frame): boolean {
    const { file, parsed } = frame.module;
    const callee = call.firstChild;
    if (callee?.name !== 'VariableName' || nodeText(parsed.text, callee) !== 'setattr') return false;
    const builtin = this.lookup('setattr', frame, callee);
    if (builtin.kind !== 'external' || builtin.name !== 'builtins.setattr') return false;
    const args = children(call.getChild('ArgList') ?? call).filter((n) => n.name !== '(' && n.name !== ')' && n.name !== ',');
    const [target, nameNode, valueNode] = args;
    if (args.length !== 3 || !target || !nameNode || !valueNode || args.some((a) => a.name === 'VariableName' && a.nextSibling?.name === 'AssignOp')) return false;
    const name = this.evalExpr(nameNode, frame);
    const value = this.undecided > 0 ? unknown(`\`${clip(nodeText(parsed.text, statement))}\` runs only in a branch MoE Lens cannot decide (line ${frame.module.lineAt(statement.from)})`, traceAt(file, statement)) : this.evalExpr(valueNode, frame);
    if (name.kind === 'string' && /^[A-Za-z_]\w*$/.test(name.value)) {
      this.assignAttribute(statement, target, value, valueNode, frame, { name: name.value, node: nameNode });
      return true;
    }
    // The object the call changes, where a local holds it: it may now hold any value for any attribute.
    const rootName = chainRoot(target, parsed.text);
    if (rootName !== undefined && frame.locals.get(rootName)?.kind === 'object') {
      frame.locals.set(rootName, unknown(`\`${clip(nodeText(parsed.text, statement))}\` (line ${frame.module.lineAt(statement.from)}) sets an attribute MoE Lens cannot name`, traceAt(file, statement)));
    }
    this.attributeAssignments.set(`${file}:${statement.from}`, false);
    return true;
  }

  /**
   * `name.a.b = value` where `name` is a local holding an object the evaluator built: copy-on-write, the local
   * (and every other local that holds one of the objects on the path, or an object holding them) is rebound
   * to a copy whose `a.b` keyword is the value, located at the assignment; the objects themselves never change,
   * so whoever else holds them (the function that returned them, a module-level name) still sees them as
   * built. Where a step of the path is not an object the evaluator knows (`a` not set and its default not
   * known, or a subscript on the way), the first such attribute becomes unknown; an assignment to a module
   * name, a parameter's caller, a subscript of a name or a value that is not an object is not followed.
   */
  private assignAttribute(statement: SyntaxNode, target: SyntaxNode, value: PyValue, valueNode: SyntaxNode, frame: Frame, named?: { readonly name: string; readonly node: SyntaxNode }): void {
    const { file, parsed } = frame.module;
    const { text } = parsed;
    const key = `${file}:${statement.from}`;
    // `setattr(config.moe, "top_k", 4)`: the attribute is `named`, after the object's own path; messages quote the call.
    const assigned = named ? statement : target;
    // The chain `root.a.b`, outermost name first; a subscript (`root.a[0].b`) cuts the path at the attribute before it.
    const names: SyntaxNode[] = [];
    let subscripted = false;
    let node: SyntaxNode | null = target;
    for (let steps = 0; node?.name === 'MemberExpression'; steps++) {
      if (steps >= MAX_ASSIGNED_PATH) {
        node = null;
        break;
      }
      if (node.lastChild?.name === 'PropertyName') {
        names.unshift(node.lastChild);
      } else if (node.lastChild?.name === ']') {
        // What comes after a subscript is not followed: the attribute holding the subscripted value changes.
        names.length = 0;
        subscripted = true;
      } else {
        node = null;
        break;
      }
      node = node.firstChild;
    }
    const path = names.map((n) => nodeText(text, n));
    if (named && !subscripted) {
      names.push(named.node);
      path.push(named.name);
    }
    if (node?.name !== 'VariableName' || names.length === 0) {
      this.attributeAssignments.set(key, false);
      return;
    }
    const rootName = nodeText(text, node);
    const root = frame.locals.get(rootName);
    if (root?.kind !== 'object') {
      this.attributeAssignments.set(key, false);
      return;
    }
    const replaced = new Map<PyValue, PyValue>();
    let applied = !subscripted;
    const assignedAt = place(file, assigned);
    const set = (object: ObjectValue, depth: number): ObjectValue => {
      const attribute = path[depth]!;
      const keyNode = names[depth]!;
      const last = depth === path.length - 1;
      let argument: Argument;
      if (last && !subscripted) {
        argument = { value: passedThrough(value, place(file, keyNode)), keyRange: rangeOf(keyNode), range: rangeOf(valueNode), assigned: assignedAt };
      } else {
        const current = this.attribute(object, attribute, traceAt(file, keyNode));
        if (!last && current.kind === 'object' && !this.guardsAttributes(current)) {
          argument = { value: set(current, depth + 1), keyRange: rangeOf(keyNode), range: object.keywords.get(attribute)?.range ?? rangeOf(keyNode), assigned: assignedAt };
        } else {
          applied = false;
          const why = subscripted && last ? `\`${clip(nodeText(text, assigned))}\` assigns into it` : `\`${clip(nodeText(text, assigned))}\` is assigned, and \`${[rootName, ...path.slice(0, depth + 1)].join('.')}\` is not an object MoE Lens follows`;
          argument = { value: unknown(why, traceAt(file, assigned)), keyRange: rangeOf(keyNode), range: rangeOf(assigned), assigned: assignedAt };
        }
      }
      const keywords = new Map(object.keywords);
      keywords.set(attribute, argument);
      const copy = changedCopy<ObjectValue>({ ...object, keywords }, object);
      replaced.set(identityOf(object), copy);
      return copy;
    };
    if (this.guardsAttributes(root)) {
      this.attributeAssignments.set(key, false);
      frame.locals.set(rootName, unknown(`\`${clip(nodeText(text, assigned))}\` is assigned on a class that defines \`__setattr__\` or is frozen`, traceAt(file, assigned)));
      return;
    }
    const updated = set(root, 0);
    this.attributeAssignments.set(key, applied);
    this.rebindLocal(rootName, updated, replaced, assigned, frame);
  }

  /**
   * The local `rootName` now holds `updated`, a changed copy; every other local that holds one of the values
   * changed (`replaced`: an alias, `p = config.parallelism`) sees the change, or becomes unknown where the alias
   * budget runs out. `changedBy` is the statement, for messages.
   */
  private rebindLocal(rootName: string, updated: PyValue, replaced: Map<PyValue, PyValue>, changedBy: SyntaxNode, frame: Frame): void {
    const { file, parsed } = frame.module;
    frame.locals.set(rootName, updated);
    let budget = MAX_ALIAS_VISITS;
    const unchanged = new Set<PyValue>();
    for (const [name, local] of frame.locals) {
      if (name === rootName || local.kind === 'unknown') continue;
      // Each local looked at is a step: a function of many names and many assignments stays within the budget.
      const swapped = ++this.steps > this.limit ? undefined : this.substitute(local, replaced, unchanged, 0, () => --budget >= 0 && ++this.steps <= this.limit);
      if (swapped === undefined) frame.locals.set(name, unknown(`\`${name}\` may hold an object \`${clip(nodeText(parsed.text, changedBy))}\` changed`, traceAt(file, changedBy)));
      else if (swapped !== local) frame.locals.set(name, swapped);
    }
  }

  /** A value with the objects in `replaced` swapped for their copies (copied on the way up); undefined when the budget ran out. */
  private substitute(value: PyValue, replaced: Map<PyValue, PyValue>, unchanged: Set<PyValue>, depth: number, visit: () => boolean): PyValue | undefined {
    if (value.kind !== 'object' && value.kind !== 'list' && value.kind !== 'dict') return value;
    const identity = identityOf(value);
    const swapped = replaced.get(identity);
    if (swapped) return swapped;
    if (unchanged.has(identity)) return value;
    if (!visit() || depth > MAX_ALIAS_DEPTH) return undefined;
    let changed = false;
    if (value.kind === 'object') {
      const keywords = new Map<string, Argument>();
      for (const [key, argument] of value.keywords) {
        const inner = this.substitute(argument.value, replaced, unchanged, depth + 1, visit);
        if (inner === undefined) return undefined;
        if (inner !== argument.value) changed = true;
        keywords.set(key, inner === argument.value ? argument : { ...argument, value: inner });
      }
      if (!changed) {
        unchanged.add(identity);
        return value;
      }
      const copy = { ...value, keywords };
      replaced.set(identity, copy);
      return copy;
    }
    if (value.kind === 'list') {
      const items: PyValue[] = [];
      for (const item of value.items) {
        const inner = this.substitute(item, replaced, unchanged, depth + 1, visit);
        if (inner === undefined) return undefined;
        if (inner !== item) changed = true;
        items.push(inner);
      }
      if (!changed) {
        unchanged.add(identity);
        return value;
      }
      const copy: PyValue = { ...value, items };
      if (this.inexact.has(identity)) this.inexact.add(copy);
      replaced.set(identity, copy);
      return copy;
    }
    const entries: DictEntry[] = [];
    for (const entry of value.entries) {
      const inner = this.substitute(entry.value, replaced, unchanged, depth + 1, visit);
      if (inner === undefined) return undefined;
      if (inner !== entry.value) changed = true;
      entries.push(inner === entry.value ? entry : { ...entry, value: inner });
    }
    if (!changed) {
      unchanged.add(identity);
      return value;
    }
    const copy: PyValue = { ...value, entries };
    if (this.inexact.has(identity)) this.inexact.add(copy);
    replaced.set(identity, copy);
    return copy;
  }

  /** Whether the workspace class of an object defines `__setattr__` or is a frozen dataclass: an assignment is then not a keyword. */
  private guardsAttributes(object: ObjectValue): boolean {
    const cls = object.cls;
    if (!cls) return false;
    const scope = this.module(cls.file);
    const body = cls.node.getChild('Body');
    if (!scope || !body) return false;
    const { text } = scope.parsed;
    if (cls.isDataclass && cls.node.parent?.name === 'DecoratedStatement' && /\bfrozen\s*=\s*True\b/.test(nodeText(text, cls.node.parent).slice(0, cls.node.from - cls.node.parent.from))) return true;
    return children(body).some((statement) => {
      const fn = statement.name === 'DecoratedStatement' ? statement.lastChild : statement;
      return fn?.name === 'FunctionDefinition' && nameOf(fn, text) === '__setattr__';
    });
  }

  private execIf(statement: SyntaxNode, frame: Frame): PyValue | undefined {
    // if cond Body (elif cond Body)* (else Body)?: take the first branch whose condition is known true; when a
    // condition is unknown, every remaining branch runs (what each builds is recorded), no return is kept and the
    // function's result is not known where one of them returned, and an attribute one of them sets is not known
    // after it. A name one of them binds is known after the `if` only where every way through leaves it the same.
    const parts = children(statement);
    // The first condition MoE Lens cannot decide; described (its text, its line) only where a message needs it.
    let undecided: SyntaxNode | undefined;
    // The value before the `if` of each name a branch bound (undefined: not bound then).
    const before = new Map<string, PyValue | undefined>();
    // Per name a branch bound to another value: what each such branch (that did not return) left it holding.
    const bound = new Map<string, PyValue[]>();
    let throughBranches = 0;
    let fallsThrough = true;
    const runUndecided = (body: SyntaxNode): void => {
      // Each branch starts from the names as they were before the `if`, not as an earlier branch left them.
      for (const name of bound.keys()) frame.locals.restore(name, before.get(name));
      const journal = frame.locals.begin();
      let returned = false;
      this.undecided++;
      try {
        if (this.execBlock(body, frame) !== undefined) {
          const { text } = frame.module.parsed;
          frame.maybeReturned ??= `from a branch of \`${clip(nodeText(text, undecided!))}\` (line ${frame.module.lineAt(statement.from)}) that MoE Lens cannot decide`;
          returned = true;
        }
      } finally {
        this.undecided--;
        frame.locals.end(journal);
      }
      for (const [name, was] of journal) if (!before.has(name)) before.set(name, was);
      if (returned) return;
      throughBranches++;
      for (const [name, was] of journal) {
        const value = frame.locals.get(name);
        // An attribute set in the branch changed a copy of the same object (already unknown there): not a new binding.
        if (value === undefined || (was !== undefined && identityOf(was) === identityOf(value))) continue;
        const values = bound.get(name) ?? [];
        values.push(value);
        bound.set(name, values);
      }
    };
    for (let i = 0; i < parts.length; i++) {
      const keyword = parts[i]!.name;
      if (keyword !== 'if' && keyword !== 'elif' && keyword !== 'else') continue;
      const body = parts.slice(i + 1).find((p) => p.name === 'Body');
      if (!body) break;
      if (keyword === 'else') {
        if (undecided === undefined) return this.execBlock(body, frame);
        fallsThrough = false;
        runUndecided(body);
        break;
      }
      const condition = parts[i + 1];
      const test = condition ? this.evalExpr(condition, frame) : undefined;
      if (test?.kind === 'bool' && undecided === undefined) {
        if (test.value) return this.execBlock(body, frame);
        continue;
      }
      undecided ??= condition ?? statement;
      runUndecided(body);
    }
    if (undecided !== undefined) this.joinBranches(frame, before, bound, throughBranches, fallsThrough, undecided, statement);
    return undefined;
  }

  /**
   * After an `if` MoE Lens cannot decide: each name a branch bound holds what every way through the `if` leaves it
   * (the branches that bound it, and the value before where some way does not bind it), or is unknown where two
   * ways differ (`if flavor == "a": top_k = 4 else: top_k = 8`).
   */
  private joinBranches(frame: Frame, before: ReadonlyMap<string, PyValue | undefined>, bound: ReadonlyMap<string, PyValue[]>, throughBranches: number, fallsThrough: boolean, undecided: SyntaxNode, statement: SyntaxNode): void {
    const { text } = frame.module.parsed;
    for (const [name, values] of bound) {
      const ways = [...values];
      const previous = before.get(name);
      if (previous !== undefined && (fallsThrough || values.length < throughBranches)) ways.push(previous);
      const last = values[values.length - 1]!;
      const same = ways.every((v) => identityOf(v) === identityOf(last) || scalarEquals(v, last) === true && v.kind === last.kind);
      if (same) {
        frame.locals.set(name, last);
        continue;
      }
      const reason = `\`${name}\` is set differently in branches of \`${clip(nodeText(text, undecided))}\` (line ${frame.module.lineAt(statement.from)}) that MoE Lens cannot decide`;
      frame.locals.set(name, { kind: 'unknown', reason, trace: traceAt(frame.module.file, statement), mayBe: ways.flatMap((v) => (v.kind === 'unknown' ? v.mayBe ?? [] : [v])) });
    }
  }

  // ---- declarations ------------------------------------------------------------------------------------

  classInfo(scope: ModuleScope, node: SyntaxNode): ClassInfo {
    const known = this.classes.get(node);
    if (known) return known;
    const nameNode = node.getChild('VariableName');
    const names: string[] = [];
    for (let n: SyntaxNode | null = node; n; n = n.parent) if (n.name === 'ClassDefinition') names.unshift(nameOf(n, scope.parsed.text) ?? '?');
    const info: ClassInfo = {
      name: names.join('.'),
      file: scope.file,
      node,
      nameRange: nameNode ? rangeOf(nameNode) : rangeOf(node),
      isDataclass: isDataclass(node, scope.parsed.text),
    };
    this.classes.set(node, info);
    return info;
  }

  private functionInfo(scope: ModuleScope, node: SyntaxNode, owner?: ClassInfo): FunctionInfo | undefined {
    const nameNode = node.getChild('VariableName');
    if (!nameNode) return undefined;
    return { name: nodeText(scope.parsed.text, nameNode), file: scope.file, node, nameRange: rangeOf(nameNode), ...(owner ? { owner } : {}) };
  }

  private readonly basesOf = new Map<string, PyValue[]>();
  private readonly parametersOf = new Map<string, Parameter[]>();
  private readonly namedParameters = new Map<string, ReadonlySet<string>>();
  private readonly defaults = new Map<string, ReturnType<PythonEvaluator['fieldDefault']>>();

  /** Base classes, resolved in the class's own module (once per class). */
  bases(cls: ClassInfo): PyValue[] {
    const key = `${cls.file}:${cls.node.from}`;
    const known = this.basesOf.get(key);
    if (known) return known;
    const resolved = this.resolveBases(cls);
    this.basesOf.set(key, resolved);
    return resolved;
  }

  private resolveBases(cls: ClassInfo): PyValue[] {
    const scope = this.module(cls.file);
    const argList = cls.node.getChild('ArgList');
    if (!scope || !argList) return [];
    const frame: Frame = { module: scope, locals: new Locals(), depth: 0 };
    return children(argList)
      .filter((n) => n.name === 'VariableName' || n.name === 'MemberExpression')
      // A parametrised generic base (`ModelProviderMixin[MCoreGPTModel]`, `Generic[T]`) is that class.
      .map((n) => this.evalExpr(n.name === 'MemberExpression' && n.lastChild?.name === ']' && n.firstChild ? n.firstChild : n, frame));
  }

  /**
   * The default a class declares for a field (its own body, then its bases): a dataclass field, or an
   * `__init__` parameter. Undefined when neither the class nor a resolved base declares it.
   */
  fieldDefault(cls: ClassInfo, field: string, depth = 0): { value: PyValue; declared: Place; owner: ClassInfo } | undefined {
    // Asked many times per config (every field of every router, for every flavor): computed once per class.
    const key = `${cls.file}:${cls.node.from}:${field}`;
    if (this.defaults.has(key)) return this.defaults.get(key);
    const found = this.findFieldDefault(cls, field, depth);
    this.defaults.set(key, found);
    return found;
  }

  private findFieldDefault(cls: ClassInfo, field: string, depth: number): { value: PyValue; declared: Place; owner: ClassInfo } | undefined {
    const scope = this.module(cls.file);
    const body = cls.node.getChild('Body');
    if (!scope || !body) return undefined;
    const { text } = scope.parsed;
    const frame: Frame = { module: scope, locals: new Locals(), depth: 0 };
    for (const statement of children(body)) {
      if (statement.name === 'AssignStatement') {
        const parts = children(statement);
        if (parts[0]?.name !== 'VariableName' || nodeText(text, parts[0]) !== field || parts[1]?.name !== 'TypeDef') continue;
        const valueNode = parts[2]?.name === 'AssignOp' ? parts[3] : undefined;
        const declared = place(cls.file, parts[0]);
        if (!valueNode) return { value: unknown(`\`${cls.name}.${field}\` has no default`, { written: declared, via: NOT_PASSED }), declared, owner: cls };
        return { value: this.fieldValue(valueNode, frame), declared, owner: cls };
      }
      const fn = statement.name === 'DecoratedStatement' ? statement.lastChild : statement;
      if (fn?.name === 'FunctionDefinition' && nameOf(fn, text) === '__init__') {
        const param = parameters(fn, text).find((p) => p.name === field && p.kind === 'plain');
        if (param) {
          const declared = place(cls.file, param.node);
          return { value: param.default ? this.evalExpr(param.default, frame) : unknown(`\`${field}\` of \`${cls.name}.__init__\` has no default`, { written: declared, via: NOT_PASSED }), declared, owner: cls };
        }
      }
    }
    if (depth >= 8) return undefined;
    for (const base of this.bases(cls)) {
      if (base.kind !== 'class') continue;
      const found = this.fieldDefault(base.cls, field, depth + 1);
      if (found) return found;
    }
    return undefined;
  }

  /**
   * The strings a dataclass field's `Literal[...]` annotation allows (`score_func: Literal["softmax", "sigmoid"]`),
   * from the class or the nearest dataclass base that declares the field; undefined where it has no such annotation.
   */
  literalChoices(cls: ClassInfo, field: string, depth = 0): { values: readonly string[]; file: string; range: SourceRange } | undefined {
    const scope = this.module(cls.file);
    const body = cls.node.getChild('Body');
    if (!scope || !body || depth > 8) return undefined;
    const text = scope.parsed.text;
    const declared = annotatedAssignments(body, text).find((f) => f.name === field);
    if (declared) {
      const annotation = nodeText(text, declared.annotation).replace(/^:\s*/, '');
      const inner = /^(?:typing\.)?Literal\[(.*)\]$/s.exec(annotation)?.[1];
      if (inner === undefined) return undefined;
      const values = inner.split(',').map((v) => v.trim());
      if (!values.every((v) => /^(["'])[^"']*\1$/.test(v))) return undefined;
      return { values: values.map((v) => v.slice(1, -1)), file: cls.file, range: { start: declared.annotation.from, end: declared.annotation.to } };
    }
    for (const base of this.bases(cls)) {
      const inherited = base.kind === 'class' ? this.literalChoices(base.cls, field, depth + 1) : undefined;
      if (inherited) return inherited;
    }
    return undefined;
  }

  /** Whether a class, or a base the workspace holds, declares the field; undefined when a base is outside it. */
  declaresField(cls: ClassInfo, field: string): boolean | undefined {
    if (this.fieldDefault(cls, field)) return true;
    return this.hasUnreadAncestor(cls, 0) ? undefined : false;
  }

  /** Whether a class MoE Lens cannot read stands anywhere among `cls`'s bases (which may declare any field). */
  private hasUnreadAncestor(cls: ClassInfo, depth: number): boolean {
    if (depth > MAX_CALL_DEPTH) return true;
    return this.bases(cls).some((b) => b.kind === 'external' || b.kind === 'unknown' || (b.kind === 'class' && this.hasUnreadAncestor(b.cls, depth + 1)));
  }

  /** `field(default=x)` is x; `field(default_factory=C)` is `C()`. */
  private fieldValue(node: SyntaxNode, frame: Frame): PyValue {
    if (node.name === 'CallExpression') {
      const callee = node.firstChild ? nodeText(frame.module.parsed.text, node.firstChild) : '';
      if (callee === 'field' || callee.endsWith('.field')) {
        const items = children(node.getChild('ArgList') ?? node);
        for (let i = 0; i + 2 < items.length; i++) {
          const key = nodeText(frame.module.parsed.text, items[i]!);
          if (items[i + 1]!.name !== 'AssignOp') continue;
          if (key === 'default') return this.evalExpr(items[i + 2]!, frame);
          if (key === 'default_factory') {
            const factory = this.evalExpr(items[i + 2]!, frame);
            if (factory.kind === 'class') {
              const at = place(frame.module.file, items[i + 2]!);
              const object: ObjectValue = { kind: 'object', className: factory.cls.name, cls: factory.cls, keywords: new Map(), positional: [], call: at, callee: at, trace: traceAt(frame.module.file, items[i + 2]!) };
              return object;
            }
            return unknown('a default factory', traceAt(frame.module.file, node));
          }
        }
        return unknown('a field without a default', traceAt(frame.module.file, node));
      }
    }
    return this.evalExpr(node, frame);
  }

  /**
   * The keyword arguments a class's constructor accepts, where the workspace says so exactly: the class's own
   * `__init__` (no `**kwargs`), or a `@dataclass`'s fields (its dataclass bases' included, `init=False` and
   * `ClassVar` ones excluded), or the `__init__` a plain class inherits from its one resolved base. Undefined
   * whenever that is not certain (a base outside the workspace, another decorator, a `**kwargs`): a keyword is
   * then never called unknown (issue #10: unknown keys, never guessed).
   */
  acceptedKeywords(cls: ClassInfo, depth = 0): ReadonlySet<string> | undefined {
    const scope = this.module(cls.file);
    const body = cls.node.getChild('Body');
    if (!scope || !body || depth > 8) return undefined;
    const text = scope.parsed.text;
    for (const statement of children(body)) {
      if (statement.name === 'FunctionDefinition' && nameOf(statement, text) === '__init__') {
        const params = parameters(statement, text);
        if (params.some((p) => p.kind === 'doubleStar')) return undefined;
        return new Set(params.filter((p, i) => p.kind === 'plain' && !(i === 0 && p.name === 'self')).map((p) => p.name));
      }
    }
    const decorated = cls.node.parent?.name === 'DecoratedStatement';
    const resolvedBases = this.bases(cls);
    if (!cls.isDataclass) {
      // A plain class takes the `__init__` of its base; with another decorator, or several bases, nothing is certain.
      if (decorated || resolvedBases.length !== 1 || resolvedBases[0]!.kind !== 'class') return undefined;
      return this.acceptedKeywords(resolvedBases[0].cls, depth + 1);
    }
    if (children(cls.node.parent!).filter((n) => n.name === 'Decorator').length > 1) return undefined;
    const accepted = new Set<string>();
    for (const base of resolvedBases) {
      if (base.kind !== 'class') return undefined;
      if (!base.cls.isDataclass) continue; // a plain base adds no fields
      const inherited = this.acceptedKeywords(base.cls, depth + 1);
      if (!inherited) return undefined;
      for (const name of inherited) accepted.add(name);
    }
    for (const field of annotatedAssignments(body, text)) {
      if (/^(typing\.)?ClassVar\b|^(dataclasses\.)?KW_ONLY$/.test(nodeText(text, field.annotation).replace(/^:\s*/, ''))) continue;
      if (field.value && /\binit\s*=\s*False\b/.test(nodeText(text, field.value))) continue;
      accepted.add(field.name);
    }
    return accepted;
  }

  private fieldOrder(cls: ClassInfo, depth = 0): string[] {
    const order: string[] = [];
    if (depth < 8) for (const base of this.bases(cls)) if (base.kind === 'class') order.push(...this.fieldOrder(base.cls, depth + 1));
    const scope = this.module(cls.file);
    const body = cls.node.getChild('Body');
    if (!scope || !body) return order;
    for (const { name } of annotatedAssignments(body, scope.parsed.text)) if (!order.includes(name)) order.push(name);
    return order;
  }
}

// ---- comparisons ---------------------------------------------------------------------------------------------

/**
 * Whether a value is known not to be None: a literal, a container, a definition, or an instance of a class
 * the workspace holds. A call to a callee outside the workspace (or one not resolved) may return None, and an
 * imported name may be None: those are not known.
 */
function knownNotNone(value: PyValue): boolean {
  switch (value.kind) {
    case 'int':
    case 'float':
    case 'string':
    case 'bool':
    case 'dict':
    case 'list':
    case 'function':
    case 'class':
    case 'module':
      return true;
    case 'object':
      return value.cls !== undefined;
    default:
      return false;
  }
}

/**
 * Python's `a is b`, where the language decides it: None (and True, False) are single objects, so `x is None`
 * is known once x is known to be None or known not to be; two values of different builtin kinds are never the
 * same object. Numbers and strings of the same kind are not decided (`is` on them depends on interning).
 */
function identical(a: PyValue, b: PyValue): boolean | undefined {
  if (a.kind === 'none' || b.kind === 'none') {
    const other = a.kind === 'none' ? b : a;
    return other.kind === 'none' ? true : knownNotNone(other) ? false : undefined;
  }
  if (a.kind === 'bool' && b.kind === 'bool') return a.value === b.value;
  if ((a.kind === 'bool' && isScalar(b)) || (b.kind === 'bool' && isScalar(a))) return false;
  return undefined;
}

/** `==` between None and a builtin container or a definition (never equal); undefined otherwise. */
function noneEquals(a: PyValue, b: PyValue): boolean | undefined {
  const builtin = (v: PyValue): boolean => v.kind === 'list' || v.kind === 'dict' || v.kind === 'function' || v.kind === 'class' || v.kind === 'module';
  if ((a.kind === 'none' && builtin(b)) || (b.kind === 'none' && builtin(a))) return false;
  return undefined;
}

// ---- syntax helpers ----------------------------------------------------------------------------------------

/** A class body's annotated assignments, `name: T [= value]`: how dataclass fields are written. */
function annotatedAssignments(body: SyntaxNode, text: string): { name: string; annotation: SyntaxNode; value?: SyntaxNode }[] {
  const out: { name: string; annotation: SyntaxNode; value?: SyntaxNode }[] = [];
  for (const statement of children(body)) {
    if (statement.name !== 'AssignStatement') continue;
    const parts = children(statement);
    if (parts[0]?.name !== 'VariableName' || parts[1]?.name !== 'TypeDef') continue;
    out.push({ name: nodeText(text, parts[0]), annotation: parts[1], ...(parts[3] ? { value: parts[3] } : {}) });
  }
  return out;
}

const BUILTINS = new Set(['dict', 'list', 'tuple', 'set', 'int', 'float', 'str', 'bool', 'range', 'len', 'min', 'max', 'sum', 'abs', 'round', 'isinstance', 'print', 'getattr', 'setattr', 'sorted', 'enumerate', 'zip', 'super', 'object', 'type', 'replace', 'field', 'partial']);

function rangeOf(node: { from: number; to: number }): SourceRange {
  return { start: node.from, end: node.to };
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > 40 ? `${line.slice(0, 39)}…` : line;
}

/** `torchtitan.models.common.moe.MoEArgs` → `MoEArgs`; `...Linear.Config` → `Linear.Config`. */
export function objectName(dotted: string): string {
  const parts = dotted.split('.');
  return parts.length >= 2 && parts[parts.length - 1] === 'Config' ? parts.slice(-2).join('.') : parts[parts.length - 1]!;
}

function nameOf(definition: SyntaxNode, text: string): string | undefined {
  const name = definition.getChild('VariableName');
  return name ? nodeText(text, name) : undefined;
}

function elements(node: SyntaxNode): SyntaxNode[] {
  return children(node).filter((n) => !['(', ')', '[', ']', ',', 'Comment'].includes(n.name));
}

/** A function definition's parameters (none when it has no list). */
function parameters(fn: SyntaxNode, text: string): Parameter[] {
  const list = fn.getChild('ParamList');
  return list ? paramList(list, text) : [];
}

function functionDefinitions(script: SyntaxNode): { node: SyntaxNode }[] {
  return children(script)
    .map((s) => (s.name === 'DecoratedStatement' ? s.lastChild : s))
    .filter((s): s is SyntaxNode => s?.name === 'FunctionDefinition')
    .map((node) => ({ node }));
}

/** The string key of a subscript assignment's target (`table["671B_debug"]`), where it is one plain string. */
function subscriptKey(target: SyntaxNode | null, text: string): { name: string; node: SyntaxNode } | undefined {
  if (target?.name !== 'MemberExpression' || target.lastChild?.name !== ']') return undefined;
  const key = target.lastChild.prevSibling;
  if (key?.name !== 'String' || key.prevSibling?.name !== '[') return undefined;
  const quoted = /^(["'])([^"'\\]*)\1$/.exec(nodeText(text, key));
  return quoted ? { name: quoted[2]!, node: key } : undefined;
}

/**
 * Top-level names: assignments, definitions and imports, the last unconditional one winning. A value an `if` or `try`
 * binds after it (or several such values, where no plain binding comes before them) is one of the ways the name may
 * be bound: the binding lists the others (`X = 4`, then `if c: X = 8`).
 */
function collectBindings(script: SyntaxNode, text: string, out: Map<string, Binding>): void {
  // Per name, the values conditional statements bound since its last unconditional binding (or since the start).
  const conditionalValues = new Map<string, { node: SyntaxNode; target: SyntaxNode }[]>();
  const visit = (statement: SyntaxNode, conditional: boolean): void => {
    const set = (name: string, binding: Binding): void => {
      if (!conditional) conditionalValues.delete(name);
      else if (binding.kind === 'value') conditionalValues.set(name, [...(conditionalValues.get(name) ?? []), { node: binding.node, target: binding.target }]);
      if (!conditional || !out.has(name)) out.set(name, binding);
    };
    switch (statement.name) {
      case 'AssignStatement': {
        const parts = children(statement);
        const value = parts[parts.length - 1];
        if (!value || parts.length < 3) return;
        for (let i = 0; i < parts.length - 1; i++) {
          const target = parts[i]!;
          if (target.name === 'VariableName' && (parts[i + 1]?.name === 'AssignOp' || parts[i + 1]?.name === 'TypeDef')) set(nodeText(text, target), { kind: 'value', node: value, target });
        }
        return;
      }
      case 'FunctionDefinition':
      case 'ClassDefinition': {
        const name = statement.getChild('VariableName');
        if (name) set(nodeText(text, name), statement.name === 'FunctionDefinition' ? { kind: 'function', node: statement, name } : { kind: 'class', node: statement, name });
        return;
      }
      case 'DecoratedStatement':
        if (statement.lastChild) visit(statement.lastChild, conditional);
        return;
      case 'ImportStatement':
        for (const binding of importBindings(statement, text)) set(nodeText(text, binding.alias), binding);
        return;
      case 'IfStatement':
      case 'TryStatement':
        for (const body of statement.getChildren('Body')) for (const inner of children(body)) visit(inner, true);
        return;
      case 'WithStatement':
        // A `with` body runs once, as the statements around it do (`with torch.device("meta"): args = …`).
        for (const body of statement.getChildren('Body')) for (const inner of children(body)) visit(inner, conditional);
        return;
    }
  };
  for (const statement of children(script)) visit(statement, false);
  for (const [name, values] of conditionalValues) {
    const binding = out.get(name);
    if (binding?.kind !== 'value') continue;
    const others = values.filter((v) => v.node !== binding.node && nodeText(text, v.node) !== nodeText(text, binding.node));
    if (others.length > 0) out.set(name, { ...binding, others });
  }
}


