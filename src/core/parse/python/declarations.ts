/**
 * Declarations that give MoE calls their defaults: `@dataclass` fields and class `__init__` parameter
 * defaults. Collected per file; `ProjectIndex` joins them across the workspace.
 */
import type { SyntaxNode } from '@lezer/common';
import type { Literal } from '../../model/router-spec';
import type { SourceRange } from '../../text/source';
import { children, dottedName, literalOf, nodeText, type ParsedPython } from './syntax';

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
      if (params) constructors.push({ className: name, file, nameRange, params: parameterDefaults(params, text) });
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

function isDataclass(cls: SyntaxNode, text: string): boolean {
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
      ...(value ? { valueRange: { start: value.from, end: value.to }, literal: fieldDefault(value, text) } : {}),
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

/** ParamList children are flat: `name [TypeDef] [= value] ,`. */
function parameterDefaults(params: SyntaxNode, text: string): Map<string, DeclaredDefault> {
  const out = new Map<string, DeclaredDefault>();
  const items = children(params);
  for (let i = 0; i < items.length; i++) {
    const node = items[i]!;
    if (node.name !== 'VariableName') continue;
    const previous = items[i - 1];
    if (previous && (nodeText(text, previous) === '*' || nodeText(text, previous) === '**')) continue;
    let j = i + 1;
    if (items[j]?.name === 'TypeDef') j++;
    const hasDefault = items[j]?.name === 'AssignOp' && items[j + 1];
    const name = nodeText(text, node);
    if (name === 'self') continue;
    out.set(name, {
      name,
      nameRange: { start: node.from, end: node.to },
      ...(hasDefault
        ? { valueRange: { start: items[j + 1]!.from, end: items[j + 1]!.to }, literal: literalOf(items[j + 1]!, text) }
        : {}),
    });
    i = hasDefault ? j + 1 : j - 1;
  }
  return out;
}
