/** Installs (or reuses) the cached code-server; throws one sentence when it cannot. See code-server-install.mjs. */
export function installCodeServer(): { binary: string; nodeBin: string };
