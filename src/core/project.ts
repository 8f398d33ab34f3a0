/**
 * What the engine knows about the workspace beyond one document: the Python files it holds (text, parsed on
 * first use, so an import can be followed into them) and their declarations (for MOE002's cross-file
 * checks). Plain data, filled by the host.
 */
import { collectDeclarations, type DataclassDecl, type PythonDeclarations } from './parse/python/declarations';
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
  /** Bumped whenever a module is added, changed or dropped: what is cached across modules is valid for one version. */
  private version = 0;
  private declaringCache?: { readonly version: number; readonly fields: ReadonlySet<string>; readonly found: DataclassDecl[] };

  /** With a loader, an import of a file nobody indexed reads it on first use (at most once). */
  constructor(private readonly loader?: ModuleLoader) {}

  /** Holds a Python file's text; it is parsed only when an import reaches it or its declarations are asked for. */
  setText(file: string, text: string, parsed?: ParsedPython): void {
    const previous = this.modules.get(file);
    if (previous?.text === text) return;
    this.modules.set(file, { text, ...(parsed?.text === text ? { parsed } : {}) });
    this.missing.delete(file);
    this.version++;
  }

  deleteFile(file: string): void {
    if (this.modules.delete(file)) this.version++;
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
    this.version++;
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

  /**
   * The workspace's dataclasses that declare one of `fields` (MOE002's router settings). A file whose text names
   * none of them, or no dataclass, is not parsed for it; the list is kept until a module changes. Asked once per
   * linted file, a scan of every module each time made a 20,000-file tree take ten minutes (helper sweep 32).
   */
  dataclassesDeclaring(fields: ReadonlySet<string>): readonly DataclassDecl[] {
    const cached = this.declaringCache;
    if (cached && cached.version === this.version && cached.fields === fields) return cached.found;
    const words = [...fields];
    const found: DataclassDecl[] = [];
    for (const [file, entry] of this.modules) {
      if (!/\.pyi?$/.test(file) || !entry.text.includes('dataclass') || !words.some((word) => entry.text.includes(word))) continue;
      for (const decl of this.declarationsOf(file)?.dataclasses ?? []) if ([...decl.fields.keys()].some((name) => fields.has(name))) found.push(decl);
    }
    this.declaringCache = { version: this.version, fields, found };
    return found;
  }
}
