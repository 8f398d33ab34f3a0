/**
 * Misspelt keys: a key one or two edits from exactly one key its reader uses that the same config does not set
 * (`num_expert_per_tok`, `--moe-router-topK`). The reader does not read it, and the key meant keeps its default.
 */
import { onlyNear } from '../text/edit-distance';
import type { Site, UnknownKey } from './router-spec';

export function nearMissKeys(
  sites: readonly Site[],
  readerKeys: readonly string[],
  reader: Pick<UnknownKey, 'owner' | 'effect' | 'raises' | 'stopsLoad'>,
  options: { readonly skip?: (key: string) => boolean; readonly normalize?: (key: string) => string } = {},
): UnknownKey[] {
  const written = new Set(sites.map((s) => s.key));
  const missing = readerKeys.filter((key) => !written.has(key));
  const out: UnknownKey[] = [];
  for (const site of sites) {
    if (readerKeys.includes(site.key) || options.skip?.(site.key)) continue;
    const meant = onlyNear(options.normalize ? options.normalize(site.key) : site.key, missing);
    if (meant !== undefined && meant !== site.key) out.push({ key: site.key, keyRange: site.keyRange, accepted: [meant], ...reader });
  }
  return out;
}
