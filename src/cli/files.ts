/** Finds the files `lint` looks at and reads them; every failure becomes a message, never a throw. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileFormat } from '../core/model/file-format';

const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', 'dist', 'out', '.venv', 'venv', '__pycache__', 'test-results', '.vscode-test']);
const MAX_FILES = 50_000;

export interface FoundFiles {
  readonly files: string[];
  readonly errors: string[];
}

export function findFiles(paths: readonly string[]): FoundFiles {
  const files: string[] = [];
  const errors: string[] = [];
  const stack: string[] = [];
  for (const path of paths) {
    try {
      const stat = statSync(path);
      // Absolute from here on, so that a bare `config.json` has folders above it (its checkout's model.py, the
      // flavors of a job file); the formats print paths relative to the current folder again.
      if (stat.isDirectory()) stack.push(resolve(path));
      else files.push(resolve(path)); // an explicitly named file is linted whatever its extension says
    } catch (error) {
      errors.push(`${path}: ${whyUnreadable(error)}`);
    }
  }
  while (stack.length > 0 && files.length < MAX_FILES) {
    const directory = stack.pop()!;
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(directory, { withFileTypes: true });
    } catch (error) {
      errors.push(`${directory}: cannot read directory (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      continue;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries.reverse()) {
      const full = join(directory, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRECTORIES.has(entry.name) && !entry.name.startsWith('.')) stack.push(full);
      } else if (entry.isFile() && fileFormat(entry.name)) {
        files.push(full);
      }
    }
  }
  files.sort();
  return { files, errors };
}

/** Why a path named on the command line cannot be read, in words (`ELOOP`: a symbolic link that points back at itself). */
function whyUnreadable(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'ELOOP') return 'a loop of symbolic links';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return `cannot read (${code ?? String(error)})`;
}

export function readText(file: string): { text?: string; error?: string; bom?: boolean } {
  try {
    // A FIFO or device named on the command line would block the read forever (issue #14).
    if (!statSync(file).isFile()) return { error: `${displayPath(file)}: not a regular file` };
    const text = readFileSync(file, 'utf8');
    return text.charCodeAt(0) === 0xfeff ? { text: text.slice(1), bom: true } : { text };
  } catch (error) {
    return { error: `${displayPath(file)}: ${whyUnreadable(error)}` };
  }
}

/**
 * How `lint`, `inspect` and `route` follow an import into a Python file nobody named, a YAML config's
 * `extends:` base, or the `--config` JSON a DeepSeek launch script names: a plain file, read once, capped in size.
 */
export function diskModuleLoader(maxBytes: number): (file: string) => string | undefined {
  return (file) => {
    if (!/\.(py|ya?ml|json)$/i.test(file)) return undefined;
    try {
      const stat = statSync(file);
      if (!stat.isFile() || stat.size > maxBytes) return undefined;
    } catch {
      return undefined;
    }
    return readText(file).text;
  };
}

export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/**
 * A message for a person: the paths in it under the current folder as `lint` names files (relative), since the
 * engine works on absolute ones (`the router is configured in /home/u/ds/inference/config.json`).
 */
export function displayText(message: string): string {
  const here = `${process.cwd()}${sep}`;
  return here.length > 1 ? message.split(here).join('') : message;
}
