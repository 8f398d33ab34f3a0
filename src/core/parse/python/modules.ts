/**
 * Which file an import names, as Python's import system would find it from the importing file: the nearest
 * ancestor folder holding the module decides (so two checkouts in one workspace never mix), and a module the
 * workspace does not hold resolves to nothing — never to "some file that defines the name".
 * Paths are plain strings with `/` separators (file paths or `file:` URIs alike).
 */

/** The project's files, as the host knows them. */
export interface ModuleFiles {
  has(file: string): boolean;
}

const MAX_ANCESTORS = 32;

/** The folder holding `path`; `''` is the current folder of a relative path, and has no parent. */
function parentOf(path: string): string | undefined {
  if (path === '' || path === '/') return undefined;
  const slash = path.lastIndexOf('/');
  if (slash < 0) return '';
  if (slash === 0) return '/';
  const parent = path.slice(0, slash);
  // Stop at a URI's authority (`file://`), never climbing into the scheme.
  return parent.endsWith(':') || parent.endsWith(':/') ? undefined : parent;
}

function moduleFileIn(dir: string, parts: readonly string[], files: ModuleFiles): string | undefined {
  const prefix = dir === '' ? '' : dir === '/' ? '/' : `${dir}/`;
  const base = parts.length > 0 ? `${prefix}${parts.join('/')}` : dir;
  if (parts.length > 0 && files.has(`${base}.py`)) return `${base}.py`;
  const init = base === '' ? '__init__.py' : `${base}/__init__.py`;
  if (files.has(init)) return init;
  return undefined;
}

/**
 * The file of module `name` imported from `fromFile` with `level` leading dots (0 for absolute imports), or
 * undefined when the workspace does not hold it.
 */
export function resolveModule(fromFile: string, name: string, level: number, files: ModuleFiles): string | undefined {
  const parts = name ? name.split('.') : [];
  let dir = parentOf(fromFile);
  if (level > 0) {
    for (let i = 1; i < level && dir !== undefined; i++) dir = parentOf(dir);
    return dir !== undefined ? moduleFileIn(dir, parts, files) : undefined;
  }
  if (parts.length === 0) return undefined;
  for (let i = 0; dir !== undefined && i < MAX_ANCESTORS; i++, dir = parentOf(dir)) {
    const found = moduleFileIn(dir, parts, files) ?? inSourceLayout(dir, parts, files);
    if (found) return found;
  }
  return undefined;
}

/**
 * A package kept in the project's `src/` folder (setuptools' and hatch's "src layout": nanotron's `src/nanotron/`),
 * which an install puts on the import path: only a package (`src/<name>/__init__.py`), or a module inside a namespace
 * package (Megatron-Bridge's `src/megatron/bridge/…`: `megatron` has no `__init__.py`, shared with Megatron Core),
 * never a loose `src/*.py`, which such a project imports as `src.name`.
 */
function inSourceLayout(dir: string, parts: readonly string[], files: ModuleFiles): string | undefined {
  const src = dir === '' ? 'src' : dir === '/' ? '/src' : `${dir}/src`;
  return files.has(`${src}/${parts[0]}/__init__.py`) || parts.length > 1 ? moduleFileIn(src, parts, files) : undefined;
}
