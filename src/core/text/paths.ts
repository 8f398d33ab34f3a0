/**
 * Workspace paths as the engine sees them: `/`-separated strings (the core imports no `node:path`, so that it runs in
 * the extension host, the CLI and a browser alike).
 */

/** The last part of a path: `gpt_oss_20B.yaml` of `primus/configs/models/megatron/gpt_oss_20B.yaml`. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** `a/./b/../c` as `a/c`; a leading `..` that cannot go up stays. */
export function normalizePath(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..' && out[out.length - 1] !== '') out.pop();
    else if (part !== '.') out.push(part);
  }
  return out.join('/');
}

/**
 * The folders above `file`, its own first, at most `depth` of them, each as a prefix to put before a relative path
 * (`a/b/`). A relative `file` (the CLI's `moe-lens lint configs/job.toml`) has the current folder, '', at its top;
 * an absolute one has none ('' would be a path relative to wherever the process runs).
 */
export function* foldersAbove(file: string, depth: number): Generator<string> {
  const relativeFile = !file.startsWith('/');
  let folder = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '';
  for (let up = 0; up < depth && (folder !== '' || relativeFile); up++) {
    yield folder === '' ? '' : `${folder}/`;
    if (folder === '') break;
    folder = folder.includes('/') ? folder.slice(0, folder.lastIndexOf('/')) : '';
  }
}

/**
 * The nearest file at `relative` in a folder above `file` (its own folder first, at most `depth` folders up) that
 * `read` holds, with its text: a config's checkout (`megatron/core/transformer/moe/router.py`), a Primus preset.
 */
export function fileAbove(file: string, relative: string, read: (path: string) => string | undefined, depth: number): { path: string; text: string } | undefined {
  for (const folder of foldersAbove(file, depth)) {
    const path = normalizePath(`${folder}${relative}`);
    const text = read(path);
    if (text !== undefined) return { path, text };
  }
  return undefined;
}
