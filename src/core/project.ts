/**
 * What the engine knows about the workspace beyond one document: Python declarations from every file,
 * so a call in one file gets its defaults from a dataclass in another. Plain data, filled by the host.
 */
import type { ConstructorDecl, DataclassDecl, PythonDeclarations } from './parse/python/declarations';

export class ProjectIndex {
  private readonly byFile = new Map<string, PythonDeclarations>();

  setFile(file: string, declarations: PythonDeclarations): void {
    if (declarations.dataclasses.length === 0 && declarations.constructors.length === 0) this.byFile.delete(file);
    else this.byFile.set(file, declarations);
  }

  deleteFile(file: string): void {
    this.byFile.delete(file);
  }

  get files(): string[] {
    return [...this.byFile.keys()];
  }

  /** The dataclass with this qualified name, preferring one declared in `nearFile`. */
  dataclass(name: string, nearFile?: string): DataclassDecl | undefined {
    let found: DataclassDecl | undefined;
    for (const [file, declarations] of this.byFile) {
      for (const decl of declarations.dataclasses) {
        if (decl.name !== name && !decl.name.endsWith(`.${name}`)) continue;
        if (file === nearFile) return decl;
        found ??= decl;
      }
    }
    return found;
  }

  allDataclasses(): DataclassDecl[] {
    return [...this.byFile.values()].flatMap((d) => d.dataclasses);
  }

  constructorsIn(file: string): ConstructorDecl[] {
    return this.byFile.get(file)?.constructors ?? [];
  }
}
