/**
 * The Megatron-LM a config's workspace holds: a checkout above the config (Megatron-LM's own examples), or the
 * submodule a Megatron-Bridge checkout pins (`3rdparty/Megatron-LM`, the megatron-core its pyproject installs:
 * GeodesicResearch/geodesic-megatron @df06386 pyproject.toml l.162). Where it holds the file a recent check lives in
 * and the check's message is not in it, that Megatron runs the config: a fork pinned to a Megatron of March 2026 does
 * not stop on MEG-043, added in July. Only absence is read: a message's words may stand in an older check of other
 * conditions (so presence proves nothing), and a check whose message the code composes (`{self.__class__.__name__}
 * requires …`) or that came with its flag (`with`, an error whatever the date) is not looked up.
 */
import { fileAbove } from '../../text/paths';
import type { MegatronLaunchCheck } from './check';

/** Folders above a config where its Megatron-LM may sit, in the order looked at. */
const CHECKOUT_PREFIXES = ['', '3rdparty/Megatron-LM/'];
const MAX_DEPTH = 8;
const MIN_PROBE_LENGTH = 16;

export interface WorkspaceMegatron {
  /** The workspace's copy of the file a recent check lives in, where that copy does not hold the check; else undefined. */
  lacks(check: MegatronLaunchCheck): string | undefined;
}

/** `read`: a workspace file's text by path (undefined where the workspace has no such file). */
export function workspaceMegatron(file: string, read: (path: string) => string | undefined): WorkspaceMegatron {
  const found = new Map<string, { path: string; text: string } | undefined>();
  const source = (relative: string): { path: string; text: string } | undefined => {
    if (!found.has(relative)) {
      const held = firstOf(CHECKOUT_PREFIXES.map((prefix) => () => fileAbove(file, `${prefix}${relative}`, read, MAX_DEPTH)));
      found.set(relative, held && { path: held.path, text: sourceText(held.text) });
    }
    return found.get(relative);
  };
  return {
    lacks(check) {
      const probe = check.since && !check.since.with ? messageProbe(check.message) : undefined;
      const held = probe === undefined ? undefined : source(check.file);
      return held && !held.text.includes(probe!) ? held.path : undefined;
    },
  };
}

function firstOf<T>(tries: readonly (() => T | undefined)[]): T | undefined {
  for (const attempt of tries) {
    const value = attempt();
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * The message's longest literal part (between `{name}` placeholders and quotes, where the source computes or quotes
 * a value), as Megatron's source spells it once adjacent string literals are joined (sourceText); undefined when
 * shorter than MIN_PROBE_LENGTH, too little to tell one message from another.
 */
export function messageProbe(message: string): string | undefined {
  const longest = message
    .split(/\{\w+\}|['"`]/)
    .map((part) => part.trim())
    .reduce((a, b) => (b.length > a.length ? b : a), '');
  return longest.length >= MIN_PROBE_LENGTH ? longest : undefined;
}

/** Python source with adjacent string literals joined (`"a "\n    "b"` as `a b`), as a message's text reads. */
export function sourceText(text: string): string {
  return text.replace(/(["'])\s*\n\s*[rbfRBF]*(["'])/g, '');
}
