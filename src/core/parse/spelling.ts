/** How a file spells a key MoE Lens files under another name (a flag, an alias): for messages, hovers and `inspect`. */
import type { Site } from '../model/router-spec';
import { MEGATRON_KEY_ALIASES } from './megatron';

/**
 * The key as the file spells it (`--num-experts` in a launch script, `num_moe_experts` in a Megatron YAML,
 * `"num_experts_per_tok"` unquoted), not the name MoE Lens files it under; that name where the text at the key's place
 * is not that key spelled another way: a value passed on from elsewhere (`softmax`), `setattr(cfg, k, v)`'s `k`
 * (helper review Q), or where the file's text is not at hand.
 */
export function writtenKey(site: Site, text: string | undefined): string {
  const written = text?.slice(site.keyRange.start, site.keyRange.end).replace(/^(["'])(.*)\1$/, '$2');
  if (written === undefined || !/^-{0,2}[A-Za-z_][\w.-]{0,79}$/.test(written)) return site.key;
  const dest = written.replace(/^-+/, '').replace(/-/g, '_');
  return dest === site.key || MEGATRON_KEY_ALIASES[dest] === site.key ? written : site.key;
}
