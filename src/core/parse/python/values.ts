/**
 * What the Python evaluator (`evaluate.ts`) computes: values that remember where they were written and every
 * binding they flowed through, so a field of a router config can say "4, written at line 61, passed as
 * `top_k` to `_build_gptoss_layers`". Plain data.
 */
import type { SyntaxNode } from '@lezer/common';
import type { SourcePlace } from '../../model/router-spec';
import type { SourceRange } from '../../text/source';

/** A place in a Python file. */
export type Place = SourcePlace;

/** Where a value was written, and the bindings (argument → parameter, name → value) it flowed through. */
export interface Trace {
  readonly written: Place;
  /** Outermost first: the call-site argument, then each parameter or name it was bound to on the way. */
  readonly via: readonly Place[];
}

export interface ClassInfo {
  /** Qualified by enclosing classes: `TokenChoiceTopKRouter.Config`. */
  readonly name: string;
  readonly file: string;
  readonly node: SyntaxNode;
  readonly nameRange: SourceRange;
  readonly isDataclass: boolean;
}

export interface FunctionInfo {
  readonly name: string;
  readonly file: string;
  readonly node: SyntaxNode;
  readonly nameRange: SourceRange;
  /** Set for methods, so `Cls.method` keeps its owner. */
  readonly owner?: ClassInfo;
}

/** An argument as the call wrote it. */
export interface Argument {
  readonly value: PyValue;
  /** The keyword's own range (`top_k` in `top_k=4`); absent for positional arguments. */
  readonly keyRange?: SourceRange;
  /** The argument expression's range at the call. */
  readonly range: SourceRange;
  /**
   * Set where an attribute assignment (`config.parallelism.expert_parallel_degree = 8`) gave the object this
   * keyword after it was built: the assignment's target, in the file that writes it (`keyRange` is its last
   * name, `range` the assigned value, both in that file).
   */
  readonly assigned?: Place;
}

/**
 * An instance a call built. `cls` is the class the callee resolved to in the workspace; absent when the class
 * lives outside it (`external` names its import) or could not be resolved at all.
 */
export interface ObjectValue {
  readonly kind: 'object';
  readonly className: string;
  readonly cls?: ClassInfo;
  /** Fully qualified import name when the class comes from an import the workspace does not hold. */
  readonly external?: string;
  readonly keywords: ReadonlyMap<string, Argument>;
  readonly positional: readonly Argument[];
  /** The call expression, and its callee (`MoEArgs`, `TokenChoiceTopKRouter.Config`). */
  readonly call: Place;
  readonly callee: Place;
  /** The call's argument list, where a keyword could be added; absent when the call is not cleanly closed. */
  readonly argList?: SyntaxNode;
  /** The call passes `*` / `**` arguments the evaluator could not read: they may set any keyword. */
  readonly unpacked?: true;
  readonly trace: Trace;
}

export type PyValue =
  | { readonly kind: 'int' | 'float'; readonly value: number; readonly trace: Trace }
  | { readonly kind: 'string'; readonly value: string; readonly trace: Trace }
  | { readonly kind: 'bool'; readonly value: boolean; readonly trace: Trace }
  | { readonly kind: 'none'; readonly trace: Trace }
  | ObjectValue
  | { readonly kind: 'dict'; readonly entries: readonly DictEntry[]; readonly trace: Trace }
  /** A list or tuple; `append` / `extend` grow it, as the builder loops that fill `layers` do. */
  | { readonly kind: 'list'; readonly items: PyValue[]; readonly trace: Trace }
  | { readonly kind: 'function'; readonly fn: FunctionInfo; readonly trace: Trace }
  | { readonly kind: 'class'; readonly cls: ClassInfo; readonly trace: Trace }
  | { readonly kind: 'module'; readonly file: string; readonly trace: Trace }
  /** A name imported from a module the workspace does not hold: `torch.nn.Linear`. */
  | { readonly kind: 'external'; readonly name: string; readonly trace: Trace }
  /**
   * `mayBe`: what it holds on each way through an `if` MoE Lens cannot decide (`moe = None` or `moe = MoE.Config(…)`
   * per layer): the configs they hold are still found, none is read as the value.
   */
  | { readonly kind: 'unknown'; readonly reason: string; readonly trace?: Trace; readonly mayBe?: readonly PyValue[] };

export interface DictEntry {
  readonly key: PyValue;
  readonly keyRange: SourceRange;
  readonly value: PyValue;
  /** The value expression as written in the dict (or the keyword argument that became the entry). */
  readonly valueRange: SourceRange;
  /** From the key to the end of the value: what names a flavor. */
  readonly range: SourceRange;
}

export type Scalar = Extract<PyValue, { kind: 'int' | 'float' | 'string' | 'bool' | 'none' }>;

export function isScalar(value: PyValue): value is Scalar {
  return value.kind === 'int' || value.kind === 'float' || value.kind === 'string' || value.kind === 'bool' || value.kind === 'none';
}

export function unknown(reason: string, trace?: Trace): PyValue {
  return trace ? { kind: 'unknown', reason, trace } : { kind: 'unknown', reason };
}

/**
 * Copies of one value made only to add a binding to its trace are still the same Python object: each copy
 * maps to the value it was first made from, so that an attribute assignment through one name is seen through
 * the others (`identityOf`).
 */
const sameObject = new WeakMap<PyValue, PyValue>();

/** The value a binding copy stands for (itself when it is no copy). */
export function identityOf(value: PyValue): PyValue {
  return sameObject.get(value) ?? value;
}

/** A copy the evaluator made of an object to change it (an attribute assignment): still that Python object. */
export function changedCopy<T extends PyValue>(copy: T, of: PyValue): T {
  sameObject.set(copy, identityOf(of));
  return copy;
}

/** The same value, seen through one more binding (a parameter, a name). */
export function passedThrough(value: PyValue, place: Place): PyValue {
  if (!value.trace) return value;
  const copy = { ...value, trace: { written: value.trace.written, via: [place, ...value.trace.via].slice(0, 16) } } as PyValue;
  if (value.kind === 'object' || value.kind === 'list' || value.kind === 'dict') sameObject.set(copy, identityOf(value));
  return copy;
}

/** Python's `==` for scalars; undefined when either side is not a scalar. */
export function scalarEquals(a: PyValue, b: PyValue): boolean | undefined {
  if (!isScalar(a) || !isScalar(b)) return undefined;
  if (a.kind === 'none' || b.kind === 'none') return a.kind === b.kind;
  const number = (v: Scalar): number | undefined =>
    v.kind === 'int' || v.kind === 'float' ? v.value : v.kind === 'bool' ? Number(v.value) : undefined;
  const [x, y] = [number(a), number(b)];
  if (x !== undefined && y !== undefined) return x === y;
  return a.kind === 'string' && b.kind === 'string' ? a.value === b.value : false;
}

/** Short text for messages and `inspect`: `4`, `"softmax"`, `True`, `None`, `MoEArgs(...)`. */
export function describeValue(value: PyValue): string {
  switch (value.kind) {
    case 'int':
    case 'float':
      return String(value.value);
    case 'string':
      return JSON.stringify(value.value);
    case 'bool':
      return value.value ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'object':
      return `${value.className}(...)`;
    case 'dict':
      return '{...}';
    case 'list':
      return '[...]';
    case 'function':
      return `${value.fn.name}`;
    case 'class':
      return value.cls.name;
    case 'module':
      return 'module';
    case 'external':
      return value.name;
    case 'unknown':
      return `unknown (${value.reason})`;
  }
}
