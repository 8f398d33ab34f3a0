/**
 * Python imports: the names an import statement binds, and whether a file can name a class declared in another
 * through its imports (followed through re-exports, as `from pkg import X` where pkg/__init__.py imports X).
 */
import type { SyntaxNode } from '@lezer/common';
import { resolveModule, type ModuleFiles } from './modules';
import { children, nodeText, type ParsedPython } from './syntax';

/** One name an import binds: `from module import name as alias` (level: leading dots), or `import module as alias`. */
export interface ImportBinding {
  readonly kind: 'import';
  readonly module: string;
  readonly level: number;
  /** The imported name; undefined for `import module`. */
  readonly name: string | undefined;
  readonly alias: SyntaxNode;
}

export function importBindings(statement: SyntaxNode, text: string): ImportBinding[] {
  const parts = children(statement);
  const out: ImportBinding[] = [];
  if (parts[0]?.name === 'from') {
    const importAt = parts.findIndex((p) => p.name === 'import');
    if (importAt < 0) return out;
    let level = 0;
    const nameParts: string[] = [];
    for (const p of parts.slice(1, importAt)) {
      const t = nodeText(text, p);
      if (p.name === '.' || t === '.' || t === '...') {
        if (nameParts.length === 0) level += t.length;
      } else if (p.name === 'VariableName') nameParts.push(t);
    }
    const module = nameParts.join('.');
    const names = parts.slice(importAt + 1).filter((p) => p.name !== '(' && p.name !== ')' && p.name !== 'Comment');
    for (let i = 0; i < names.length; i++) {
      const node = names[i]!;
      if (node.name !== 'VariableName') continue;
      const alias = names[i + 1]?.name === 'as' && names[i + 2]?.name === 'VariableName' ? names[i + 2]! : node;
      out.push({ kind: 'import', module, level, name: nodeText(text, node), alias });
      if (alias !== node) i += 2;
    }
    return out;
  }
  // `import a.b.c [as x]`, possibly several, comma-separated.
  let dotted: SyntaxNode[] = [];
  const flush = (alias?: SyntaxNode): void => {
    if (dotted.length === 0) return;
    const module = dotted.map((n) => nodeText(text, n)).join('.');
    // Without `as`, `import a.b` binds `a`.
    if (alias) out.push({ kind: 'import', module, level: 0, name: undefined, alias });
    else out.push({ kind: 'import', module: nodeText(text, dotted[0]!), level: 0, name: undefined, alias: dotted[0]! });
    dotted = [];
  };
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.name === 'VariableName') dotted.push(p);
    else if (p.name === 'as' && parts[i + 1]) {
      flush(parts[i + 1]);
      i++;
    } else if (p.name === ',') flush();
  }
  flush();
  return out;
}

/** Re-exports followed from one file to the next before giving up (a package's `__init__.py` chain). */
const MAX_REEXPORTS = 4;

/**
 * Whether `file` names class `className` declared in `declaringFile`: declared there itself, or imported by a
 * `from … import` (at any depth of the file) that resolves to `declaringFile`, directly or through re-exports;
 * or `import module` of `declaringFile` itself (used as `module.Class`). A nested class (`Router.Config`) is named
 * by its outermost class. Never "some file that defines a class of that name".
 */
export function namesClass(files: ModuleFiles & { parse(file: string): ParsedPython | undefined }, file: string, parsed: ParsedPython, className: string, declaringFile: string): boolean {
  if (file === declaringFile) return true;
  const outer = className.split('.')[0]!;
  // Each module and name once (a re-export cycle ends); a module asked for another name is asked again.
  const seen = new Set<string>();
  // Does module `module` (a file) give the class under `name`: declared there, or re-exported from where it is?
  const refersToClass = (module: string | undefined, name: string, depth: number): boolean => {
    if (module === undefined) return false;
    if (module === declaringFile) return name === outer;
    const key = `${module}\u0000${name}`;
    if (depth === 0 || module === file || seen.has(key)) return false;
    seen.add(key);
    const p = files.parse(module);
    return p !== undefined && importsIn(p).some((b) => b.name !== undefined && nodeText(p.text, b.alias) === name && refersToClass(resolveModule(module, b.module, b.level, files), b.name, depth - 1));
  };
  return importsIn(parsed).some((b) =>
    b.name === undefined ? resolveModule(file, b.module, b.level, files) === declaringFile : refersToClass(resolveModule(file, b.module, b.level, files), b.name, MAX_REEXPORTS),
  );
}

/** Every import statement's bindings, at any depth of the file (an import inside a function names as well). */
function importsIn(parsed: ParsedPython): ImportBinding[] {
  const known = importsOf.get(parsed);
  if (known) return known;
  const out: ImportBinding[] = [];
  const cursor = parsed.tree.cursor();
  do {
    if (cursor.name === 'ImportStatement') out.push(...importBindings(cursor.node, parsed.text));
  } while (cursor.next());
  importsOf.set(parsed, out);
  return out;
}

/** A parse's import bindings, walked once: namesClass asks for them per class and module (MOE002, per file). */
const importsOf = new WeakMap<ParsedPython, ImportBinding[]>();
