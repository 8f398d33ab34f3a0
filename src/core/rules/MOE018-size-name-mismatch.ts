import { formatParameters } from '../model/parameters';
import type { RouterSpec } from '../model/router-spec';
import { statedSize } from '../model/stated-size';
import type { SourceRange } from '../text/source';
import { parametersOf } from '../references/parameters';
import { elide } from '../text/elide';
import { baseName } from '../text/paths';
import type { Rule, RuleContext } from './types';

/** How far a count may be from the size a name states: 10%, or the rounding of the last digit written. */
const TOLERANCE = 0.1;

/** The name a config goes by, most explicit first, and where to point at it. */
function namesOf(spec: RouterSpec): { name: string; range: SourceRange; where: string }[] {
  const out: { name: string; range: SourceRange; where: string }[] = [];
  const nameOrPath = spec.identity.nameOrPath;
  if (nameOrPath?.literal.kind === 'string') out.push({ name: nameOrPath.literal.value, range: nameOrPath.valueRange, where: '' });
  if (spec.identity.flavor) out.push({ name: spec.identity.flavor, range: spec.anchorRange, where: 'flavor ' });
  if (spec.identity.fileLabel) out.push({ name: spec.identity.fileLabel, range: spec.anchorRange, where: 'file name ' });
  return out;
}

/** A debug or test variant, or one that names its own layer count (`4_layers`, `2layer`). */
const SHRUNK = /debug|test|(^|[^a-z0-9])\d+[-_ ]?layers?($|[^a-z])/i;

export const sizeNameMismatch = {
  code: 'MOE018',
  name: 'size-name-mismatch',
  category: 'structure',
  defaultSeverity: 'warning',
  status: 'preview',
  since: '0.1.0',
  messages: {
    mismatch: '{where} says {stated} {what}, but this config counts {counted} ({off})',
  },
  fix: { availability: 'none' },
  docs: {
    what:
      'Compares the size a config\'s name states (`_name_or_path` "Qwen3-30B-A3B", a flavor "120b", "A22B", "17B-16E") with the parameters MoE Lens counts from the config\'s own sizes, and flags a miss of more than 10% (and more than the rounding of the name\'s last digit). A name that says it cuts the model down (`debug`, `test`, `4_layers`) states the full model\'s size, and is not compared.',
    why:
      'A flavor copied from a published model and half-edited keeps its name while its layers, experts or widths change: the job trains, checkpoints and is compared under a name that describes another model. The count follows the modules the framework builds (embeddings, attention, dense and expert FFNs, shared experts, routers, norms); "active" follows the publisher\'s convention for a recognised model.',
    example: {
      dialect: 'json',
      code: '{\n  "_name_or_path": "Qwen/Qwen3-30B-A3B",\n  "model_type": "qwen3_moe",\n  "vocab_size": 151936,\n  "hidden_size": 2048,\n  "num_hidden_layers": 24,\n  "num_attention_heads": 32,\n  "num_key_value_heads": 4,\n  "head_dim": 128,\n  "moe_intermediate_size": 768,\n  "num_experts": 128,\n  "num_experts_per_tok": 8\n}\n',
    },
    useInstead: {
      dialect: 'json',
      code: '{\n  "_name_or_path": "Qwen/Qwen3-30B-A3B",\n  "model_type": "qwen3_moe",\n  "vocab_size": 151936,\n  "hidden_size": 2048,\n  "num_hidden_layers": 48,\n  "num_attention_heads": 32,\n  "num_key_value_heads": 4,\n  "head_dim": 128,\n  "moe_intermediate_size": 768,\n  "num_experts": 128,\n  "num_experts_per_tok": 8\n}\n',
    },
    references: [
      'huggingface.co/Qwen/Qwen3-30B-A3B model card: "30.5B in total and 3.3B activated"',
      'gpt-oss model card, arXiv 2508.10925 Table 1 (116.83B total, 5.13B active; unembedding counted as active, embedding not)',
      'test/fixtures/parameters/transformers-counts.json: the counts of transformers models built from the published configs',
    ],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    // The first name that states a size speaks for the config; only then is the model counted (most names,
    // "debugmodel" or a file label, state none, and this runs on every config of every lint).
    const named = namesOf(spec)
      .map((entry) => ({ ...entry, stated: statedSize(entry.name) }))
      .find((entry) => entry.stated !== undefined);
    // A name that says it shrinks the model (torchtitan-npu's `671B_debug_4_layers`, a `_test` variant) states the
    // size of the model it cuts down, not its own.
    if (!named || SHRUNK.test(named.name)) return;
    const counted = parametersOf(spec);
    if (!counted || 'unknown' in counted) return;
    const { name, range, where } = named;
    const stated = named.stated!;
    const checks = [
      { what: 'parameters in total', stated: stated.total, rounding: stated.roundingTotal ?? 0, count: counted.total },
      { what: 'active parameters', stated: stated.active, rounding: stated.roundingActive ?? 0, count: counted.active },
    ];
    for (const check of checks) {
      if (check.stated === undefined) continue;
      const allowed = Math.max(TOLERANCE * check.stated, check.rounding);
      if (Math.abs(check.count - check.stated) <= allowed) continue;
      const percent = Math.round((100 * (check.count - check.stated)) / check.stated);
      context.report({
        messageId: 'mismatch',
        // A saved checkpoint's `_name_or_path` is a path: its last folder names the model, in one row (issue #12).
        data: { where: `${where}"${elide(baseName(name), 28)}"`, stated: formatParameters(check.stated), what: check.what, counted: formatParameters(check.count), off: `${percent > 0 ? '+' : ''}${percent}%` },
        detail: `${baseName(name) !== name ? `The name is ${name}. ` : ''}Counted from this config's sizes: ${formatParameters(counted.total)} total, ${formatParameters(counted.active)} active (${counted.convention}).`,
        range,
      });
    }
  },
} satisfies Rule;
