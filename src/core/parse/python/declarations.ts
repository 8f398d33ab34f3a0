/**
 * Declarations that give MoE calls their defaults: `@dataclass` fields and class `__init__` parameter
 * defaults. Collected per file; `ProjectIndex` joins them across the workspace.
 */
import type { SyntaxNode } from '@lezer/common';
import type { Literal } from '../../model/router-spec';
import type { SourceRange } from '../../text/source';
import { children, dottedName, isDataclass, literalOf, nodeText, parameters, writtenRange, type ParsedPython } from './syntax';

/** A value's range as written (a trailing-dot float ends at its dot, before any comment). */
const rangeOf = (node: SyntaxNode, text: string): SourceRange => {
  const { from, to } = writtenRange(node, text);
  return { start: from, end: to };
};

export interface DeclaredDefault {
  readonly name: string;
  readonly nameRange: SourceRange;
  /** Range of the default value; undefined when the field or parameter has none. */
  readonly valueRange?: SourceRange;
  readonly literal?: Literal;
}

export interface DataclassDecl {
  /** Qualified by enclosing classes: `MoEArgs`, `TokenChoiceTopKRouter.Config`. */
  readonly name: string;
  readonly file: string;
  readonly nameRange: SourceRange;
  readonly fields: ReadonlyMap<string, DeclaredDefault>;
}

export interface ConstructorDecl {
  readonly className: string;
  readonly file: string;
  readonly nameRange: SourceRange;
  readonly params: ReadonlyMap<string, DeclaredDefault>;
  /** The `__init__` body. */
  readonly bodyRange?: SourceRange;
}

export interface PythonDeclarations {
  readonly dataclasses: DataclassDecl[];
  readonly constructors: ConstructorDecl[];
}

export function collectDeclarations(parsed: ParsedPython, file: string): PythonDeclarations {
  const { text } = parsed;
  const dataclasses: DataclassDecl[] = [];
  const constructors: ConstructorDecl[] = [];
  for (const cls of parsed.classes) {
    const nameNode = cls.getChild('VariableName');
    const body = cls.getChild('Body');
    if (!nameNode || !body) continue;
    const name = qualifiedClassName(cls, text);
    const nameRange = { start: nameNode.from, end: nameNode.to };
    if (isDataclass(cls, text)) {
      dataclasses.push({ name, file, nameRange, fields: dataclassFields(body, text) });
    }
    for (const statement of children(body)) {
      const fn = statement.name === 'DecoratedStatement' ? statement.getChild('FunctionDefinition') : statement;
      if (fn?.name !== 'FunctionDefinition') continue;
      const fnName = fn.getChild('VariableName');
      if (!fnName || nodeText(text, fnName) !== '__init__') continue;
      const params = fn.getChild('ParamList');
      const fnBody = fn.getChild('Body');
      if (params) constructors.push({ className: name, file, nameRange, params: parameterDefaults(params, text), ...(fnBody ? { bodyRange: { start: fnBody.from, end: fnBody.to } } : {}) });
    }
  }
  return { dataclasses, constructors };
}

function qualifiedClassName(cls: SyntaxNode, text: string): string {
  const parts: string[] = [];
  for (let node: SyntaxNode | null = cls; node; node = node.parent) {
    if (node.name === 'ClassDefinition') {
      const id = node.getChild('VariableName');
      if (id) parts.unshift(nodeText(text, id));
    }
  }
  return parts.join('.');
}

/** `name: T = value` statements directly in the class body. */
function dataclassFields(body: SyntaxNode, text: string): Map<string, DeclaredDefault> {
  const fields = new Map<string, DeclaredDefault>();
  for (const statement of children(body)) {
    if (statement.name !== 'AssignStatement') continue;
    const parts = children(statement);
    const target = parts[0];
    if (target?.name !== 'VariableName' || parts[1]?.name !== 'TypeDef') continue;
    const value = parts[2]?.name === 'AssignOp' ? parts[3] : undefined;
    fields.set(nodeText(text, target), {
      name: nodeText(text, target),
      nameRange: { start: target.from, end: target.to },
      ...(value ? { valueRange: rangeOf(value, text), literal: fieldDefault(value, text) } : {}),
    });
  }
  return fields;
}

/** `field(default=x)` counts as the default x. */
function fieldDefault(value: SyntaxNode, text: string): Literal {
  if (value.name === 'CallExpression' && value.firstChild && dottedName(value.firstChild, text)?.endsWith('field')) {
    const args = value.getChild('ArgList');
    const items = args ? children(args) : [];
    for (let i = 0; i + 2 < items.length; i++) {
      if (items[i]!.name === 'VariableName' && nodeText(text, items[i]!) === 'default' && items[i + 1]!.name === 'AssignOp') {
        return literalOf(items[i + 2]!, text);
      }
    }
  }
  return literalOf(value, text);
}

/** An `__init__`'s parameters and their defaults (`self` and starred parameters left out). */
function parameterDefaults(params: SyntaxNode, text: string): Map<string, DeclaredDefault> {
  const out = new Map<string, DeclaredDefault>();
  for (const param of parameters(params, text)) {
    if (param.kind !== 'plain' || param.name === 'self') continue;
    out.set(param.name, {
      name: param.name,
      nameRange: { start: param.node.from, end: param.node.to },
      ...(param.default ? { valueRange: rangeOf(param.default, text), literal: literalOf(param.default, text) } : {}),
    });
  }
  return out;
}
