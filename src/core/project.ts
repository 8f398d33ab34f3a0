/**
 * What the engine knows about the workspace beyond one document: the Python files it holds (text, parsed on
 * first use, so an import can be followed into them) and their declarations (for MOE002's cross-file
 * checks). Plain data, filled by the host.
 */
import { collectDeclarations, type ConstructorDecl, type DataclassDecl, type PythonDeclarations } from './parse/python/declarations';
import { parsePython, type ParsedPython } from './parse/python/syntax';

interface ModuleEntry {
  text: string;
  parsed?: ParsedPython;
  declarations?: PythonDeclarations;
}

/** Reads a Python file the index does not hold yet (the CLI reads from disk); undefined when there is none. */
export type ModuleLoader = (file: string) => string | undefined;

export class ProjectIndex {
  private readonly modules = new Map<string, ModuleEntry>();
  private readonly missing = new Set<string>();

  /** With a loader, an import of a file nobody indexed reads it on first use (at most once). */
  constructor(private readonly loader?: ModuleLoader) {}

  /** Holds a Python file's text; it is parsed only when an import reaches it or its declarations are asked for. */
  setText(file: string, text: string, parsed?: ParsedPython): void {
    const previous = this.modules.get(file);
    if (previous?.text === text) return;
    this.modules.set(file, { text, ...(parsed?.text === text ? { parsed } : {}) });
    this.missing.delete(file);
  }

  deleteFile(file: string): void {
    this.modules.delete(file);
  }

  get files(): string[] {
    return [...this.modules.keys()];
  }

  hasModule(file: string): boolean {
    if (this.modules.has(file)) return true;
    if (!this.loader || this.missing.has(file)) return false;
    const text = this.loader(file);
    if (text === undefined) {
      this.missing.add(file);
      return false;
    }
    this.modules.set(file, { text });
    return true;
  }

  textOf(file: string): string | undefined {
    return this.modules.get(file)?.text;
  }

  /** A file a config names (a YAML `extends:` base): held, or read through the loader. */
  relatedText(file: string): string | undefined {
    return this.modules.get(file)?.text ?? (this.missing.has(file) ? undefined : this.loader?.(file));
  }

  parsedModule(file: string): ParsedPython | undefined {
    if (!this.hasModule(file)) return undefined;
    const entry = this.modules.get(file);
    if (!entry) return undefined;
    entry.parsed ??= parsePython(entry.text);
    return entry.parsed;
  }

  private declarationsOf(file: string): PythonDeclarations | undefined {
    const entry = this.modules.get(file);
    if (!entry || !/\.pyi?$/.test(file) || (!entry.text.includes('dataclass') && !entry.text.includes('__init__'))) return undefined;
    entry.declarations ??= collectDeclarations(this.parsedModule(file)!, file);
    return entry.declarations;
  }

  /** The dataclass with this qualified name, preferring one declared in `nearFile`. */
  dataclass(name: string, nearFile?: string): DataclassDecl | undefined {
    let found: DataclassDecl | undefined;
    for (const file of this.modules.keys()) {
      for (const decl of this.declarationsOf(file)?.dataclasses ?? []) {
        if (decl.name !== name && !decl.name.endsWith(`.${name}`)) continue;
        if (file === nearFile) return decl;
        found ??= decl;
      }
    }
    return found;
  }

  allDataclasses(): DataclassDecl[] {
    return [...this.modules.keys()].flatMap((file) => this.declarationsOf(file)?.dataclasses ?? []);
  }

  constructorsIn(file: string): ConstructorDecl[] {
    return this.declarationsOf(file)?.constructors ?? [];
  }
}
