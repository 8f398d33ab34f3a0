import { renormalizes, type DefaultOrigin, type Field, type RouterSpec } from '../model/router-spec';
import type { Fact } from '../references/published-models';
import { recognizeModel } from '../references/recognize';
import { allKnown, defaultsHold, fieldRange, keyOf, literalText } from './helpers';
import type { Rule, RuleContext } from './types';

/**
 * Whether a token's k weights sum to 1: renormalised, or a softmax taken over the k alone (whatever follows it).
 * Undefined where the renormalisation is unknown (MindSpeed's `--norm-topk-prob` after Megatron's routing).
 */
function effectiveRenormalization(spec: RouterSpec): boolean | undefined {
  if (spec.order.value === 'topk-then-score' && spec.scoreFunc.value === 'softmax') return true;
  return allKnown(spec.normalize) ? renormalizes(spec) : undefined;
}

/** Why MoE Lens says so: how the model was recognised and the primary (or secondary) source of the fact. */
function evidenceOf(recognisedBy: string, fact: Fact<unknown>): string {
  return `Recognised by ${recognisedBy}. ${fact.status === 'verified' ? 'Source' : 'Secondary sources'}: ${fact.sources[0]}.`;
}

const KNOWN_SCORE_FUNCTIONS: readonly unknown[] = ['softmax', 'sigmoid', 'sqrtsoftplus'];

/**
 * "(its default)" after an unwritten value, and its origin (MoEArgs.top_k, a config class's source and line) in the
 * detail, which the hover shows: the origin in the message pushed the finding out of the Problems row (issue #12).
 */
function defaultNote(field: Field<unknown>): { shown: (value: string) => string; detail?: string; assumed?: true } {
  const label = field.defaultFrom?.label ?? 'the framework';
  // A class without the field (an older torchtitan's MoEArgs and `gate_bias`): no key of this config sets it, and the
  // value is what MoE Lens knows of that torchtitan's code, not read from this workspace's: no value is claimed, and
  // the finding is a warning (helper review Q: a fork whose gate has a bias got two errors saying it had none).
  if (field.defaultFrom?.noSuchKey) return { shown: () => 'not a key here', detail: `${label}: its router's code decides, and no key of this config changes it.`, assumed: true };
  return { shown: (value) => `${value} (its default)`, detail: `Not written; the default comes from ${label}.` };
}

/** A published fact read off a primary source, for a config recognised by more than its shape, is an error. */
function severityOf(fact: Fact<unknown>, via: string, note?: { assumed?: true }): 'error' | 'warning' {
  return fact.status === 'verified' && via !== 'shape' && !note?.assumed ? 'error' : 'warning';
}

/**
 * What the published router does: `short` in the message, which must fit one Problems row (issue #12) beside the
 * longest key, value and model id; `long`, where it says more, in the detail ("The published kimi-k2 …").
 */
interface Phrase {
  readonly short: string;
  readonly long?: string;
}

/** The detail of a finding: the published behaviour in full, the origin of a default it names, then the evidence. */
function detailWith(model: string, phrase: Phrase, note: { detail?: string }, evidence: string): string {
  const full = phrase.long !== undefined && phrase.long !== phrase.short ? `The published ${model} ${phrase.long}. ` : '';
  return `${full}${note.detail ? `${note.detail} ${evidence}` : evidence}`;
}

/**
 * Whether an unwritten value, a framework's default, is this config's own: a torchtitan class default, a
 * `config.json` config class's default, which the file sets by writing the key (Kimi-K2's 8/4 expert groups,
 * its `routed_scaling_factor` 2.5), or a Megatron flag's default in a launch that writes every flag it passes
 * (`launch.complete`). Not a value the code hard-codes (HF DeepSeek-V3's sigmoid), which no key changes, and not a
 * flag's default where the launch passes flags MoE Lens cannot read (`$EXTRA_ARGS`), which may set it.
 */
function comparesDefaults(spec: RouterSpec, origin: DefaultOrigin): boolean {
  return !origin.fixed && defaultsHold(spec);
}

export const publishedModelMismatch = {
  code: 'MOE001',
  name: 'published-model-mismatch',
  category: 'published-model',
  defaultSeverity: 'error',
  status: 'stable',
  since: '0.1.0',
  messages: {
    mismatch: '`{key}` is {actual}, but {model} {fact}',
  },
  fix: {
    availability: 'sometimes',
    kinds: {
      published: { title: 'Set `{key}` to {value} (published {model})', safety: 'unsafe' },
      publishedGroups: { title: 'Set `{countKey}` to {count} and `{selectedKey}` to {selected} (published {model})', safety: 'unsafe' },
    },
  },
  docs: {
    what:
      'Checks the routing values of a config that claims to be a published model (by flavor key such as `"120b"` in a gpt-oss file, by `_name_or_path`, or by its layers × experts × hidden shape) against the published checkpoint: expert count, top-k, score function, expert groups (and their absence), renormalisation of the top-k weights, the routed scaling factor and the gate bias. It compares only values MoE Lens read (literal, resolved, a declared default, in a `config.json` its config class\'s default, and a Megatron flag\'s default only in a launch that writes every flag it passes), never assumed ones and never a value the router code hard-codes; a model recognised only by its shape gives warnings.',
    why:
      'A config that names a published model but routes differently cannot load its checkpoint faithfully: the experts chosen per token differ from the ones the weights were trained with, and nothing fails at launch. torchtitan PR #2212 set gpt-oss-120b `top_k` to 8; every primary source says 4 of 128.',
    example: {
      dialect: 'python',
      code: 'gptoss_configs = {\n    "120b": GptOssModelArgs(n_layers=36, moe_args=MoEArgs(num_experts=128, top_k=8, score_func="softmax", route_norm=True)),\n}\n',
    },
    useInstead: {
      dialect: 'python',
      code: 'gptoss_configs = {\n    "120b": GptOssModelArgs(n_layers=36, moe_args=MoEArgs(num_experts=128, top_k=4, score_func="softmax", route_norm=True)),\n}\n',
    },
    fixSafety:
      'Each fix sets the published value, which changes the routing, so it is unsafe: offered as a quick fix, never applied by `--fix` or fix-all. The config may be a deliberate variant, the value may be shared with another config of the file (a launch script\'s common options for two model sizes), and a flag a fix adds may not exist in the Megatron-LM a script pins (Pai-Megatron-Patch\'s Megatron-LM-241113 predates `--moe-router-topk-scaling-factor`, and its parser stops on it).',
    references: [
      'openai/gpt-oss gpt_oss/torch/model.py @7b58334 (ModelConfig.experts_per_token = 4)',
      'gpt-oss model card, arXiv 2508.10925 §2.2',
      'deepseek-ai/DeepSeek-V3 inference/configs/config_671B.json @9b4e978',
      'torchtitan PR #2212 (closed): "120B: Fix top_k from 4 to 8"',
    ],
  },
  checkSpec(spec: RouterSpec, context: RuleContext) {
    const claim = recognizeModel(spec);
    if (!claim) return;
    const { model } = claim;
    /** An unwritten default this config may not hold, or one written nowhere a key can change. */
    const uncompared = (field: Field<unknown>): boolean => field.sites.length === 0 && field.defaultFrom !== undefined && !field.defaultFrom.file && !comparesDefaults(spec, field.defaultFrom);
    // A config recognised only by its shape may be a custom model of the same size: its findings are warnings.
    const compare = (field: Field<unknown> | undefined, fact: Fact<number | string> | undefined, key: string | undefined, describe: (v: string | number) => Phrase): void => {
      if (!field || !fact || key === undefined) return;
      if (field.value === undefined || field.value === fact.value || !allKnown(field)) return;
      // A misspelt score function is MOE006's finding; comparing it here would only repeat it.
      if (typeof field.value === 'string' && !KNOWN_SCORE_FUNCTIONS.includes(field.value)) return;
      if (uncompared(field)) return;
      const shownKey = keyOf(field, key, context);
      const unwritten = defaultNote(field);
      const phrase = describe(fact.value);
      context.report({
        messageId: 'mismatch',
        data: {
          key: shownKey,
          actual: field.sites.length ? context.formatValue(field.value) : unwritten.shown(context.formatValue(field.value)),
          model: model.id,
          fact: phrase.short,
        },
        detail: detailWith(model.id, phrase, field.sites.length ? {} : unwritten, evidenceOf(claim.evidence, fact)),
        range: fieldRange(spec, field),
        severity: severityOf(fact, claim.via, field.sites.length ? undefined : unwritten),
        fixes: [{ kind: 'published', data: { key: shownKey, value: context.formatValue(fact.value), model: model.id }, edits: context.setField(spec, field, key, fact.value), preferred: true }],
      });
    };
    const keys = spec.keyNames;
    compare(spec.experts, model.experts, keys.experts, (v) => ({ short: `has ${v} routed experts` }));
    compare(spec.topK, model.topK, keys.topK, (v) => ({ short: `routes to ${v} of ${model.experts.value} experts`, long: `routes each token to ${v} of ${model.experts.value} experts` }));
    compare(spec.scoreFunc, model.scoreFunc, keys.scoreFunc, (v) => ({ short: `uses ${v}`, long: `scores experts with ${v}` }));
    compare(spec.scale, model.scale, keys.scale, (v) => (v === 1 ? { short: 'does not scale', long: "does not scale the routed experts' weights" } : { short: `scales by ${v}`, long: `multiplies the routed experts' weights by ${v}` }));
    // Expert groups against the published pair: one finding on the group count, one fix that writes both keys
    // (half of the pair would not launch).
    const groupsFinding = (groups: NonNullable<RouterSpec['groups']>, finding: { key: string; actual: string; fact: Fact<unknown>; describe: Phrase; published: { count: number; selected: number } }, countKey: string, selectedKey: string): void => {
      const { published } = finding;
      const edits = [...context.setField(spec, groups.count, countKey, published.count), ...context.setField(spec, groups.selected, selectedKey, published.selected)];
      const written = groups.count.sites.length > 0;
      const unwritten = defaultNote(groups.count);
      context.report({
        messageId: 'mismatch',
        data: { key: finding.key, actual: written ? finding.actual : unwritten.shown(finding.actual), model: model.id, fact: finding.describe.short },
        detail: detailWith(model.id, finding.describe, written ? {} : unwritten, evidenceOf(claim.evidence, finding.fact)),
        range: fieldRange(spec, groups.count),
        severity: severityOf(finding.fact, claim.via, written ? undefined : unwritten),
        fixes: [
          {
            kind: 'publishedGroups',
            data: { countKey, count: published.count, selectedKey, selected: published.selected, model: model.id },
            edits: edits.length === 2 ? edits : [],
            preferred: true,
          },
        ],
      });
    };
    if (model.groups && spec.groups && spec.groups.count.value === undefined && allKnown(spec.groups.count) && keys.groupsCount && keys.groupsSelected) {
      // No expert groups at all, where the published router limits each token to some groups.
      const { count, selected } = model.groups;
      groupsFinding(spec.groups, { key: keys.groupsCount, actual: 'None', fact: count, describe: { short: `routes to ${selected.value} of ${count.value} expert groups`, long: `splits experts into ${count.value} groups and keeps ${selected.value} per token` }, published: { count: count.value, selected: selected.value } }, keys.groupsCount, keys.groupsSelected);
    } else if (model.noGroupLimit?.value && spec.groups && allKnown(spec.groups.count, spec.groups.selected) && keys.groupsCount && keys.groupsSelected) {
      // Groups that limit each token (8 groups, 4 kept), where the published router has none (1 group, 1 kept).
      const { count, selected } = spec.groups;
      if (count.value !== undefined && selected.value !== undefined && selected.value < count.value) {
        const describe = { short: 'limits no token to expert groups', long: `limits no token to expert groups (${keys.groupsCount} 1, ${keys.groupsSelected} 1); this one keeps ${selected.value} of ${count.value} groups` };
        groupsFinding(spec.groups, { key: keyOf(count, keys.groupsCount, context), actual: String(count.value), fact: model.noGroupLimit, describe, published: { count: 1, selected: 1 } }, keys.groupsCount, keys.groupsSelected);
      }
    } else if (model.groups && spec.groups) {
      compare(spec.groups.count, model.groups.count, keys.groupsCount, (v) => ({ short: `splits experts into ${v} groups` }));
      compare(spec.groups.selected, model.groups.selected, keys.groupsSelected, (v) => ({ short: `keeps ${v} groups per token` }));
    }
    // Booleans the published router defines; compared only where this config's values are known.
    // `shown`: the value of the key named, where it is not the value compared (`moe_router_pre_softmax` for renormalisation).
    const flag = (field: Field<unknown>, actual: boolean | undefined, fact: Fact<boolean> | undefined, key: string | undefined, describe: Phrase, fixValue: unknown, shown = actual): void => {
      if (actual === undefined || !fact || actual === fact.value || !allKnown(field) || key === undefined || uncompared(field)) return;
      const shownKey = keyOf(field, key, context);
      const unwritten = defaultNote(field);
      context.report({
        messageId: 'mismatch',
        data: {
          key: shownKey,
          actual: field.sites.length ? literalText(field.sites[field.sites.length - 1]!.literal) : unwritten.shown(context.formatValue(shown)),
          model: model.id,
          fact: describe.short,
        },
        detail: detailWith(model.id, describe, field.sites.length ? {} : unwritten, evidenceOf(claim.evidence, fact)),
        range: fieldRange(spec, field),
        severity: severityOf(fact, claim.via, field.sites.length ? undefined : unwritten),
        fixes: spec.framework === 'torchtitan' ? [{ kind: 'published', data: { key: shownKey, value: context.formatValue(fixValue), model: model.id }, edits: context.setField(spec, field, key, fixValue), preferred: true }] : [],
      });
    };
    const renormalized = effectiveRenormalization(spec);
    if (renormalized !== undefined && model.renormalized && allKnown(spec.order, spec.scoreFunc)) {
      // Megatron has no renormalisation switch: with softmax, `moe_router_pre_softmax` decides it (softmax over all
      // experts before top-k keeps the weights as they are; top-k first makes them sum to 1).
      const byOrder = keys.normalize === undefined && spec.framework === 'megatron' && spec.scoreFunc.value === 'softmax';
      const [field, key] = byOrder ? [spec.order, 'moe_router_pre_softmax'] : [spec.normalize, keys.normalize];
      flag(field, renormalized, model.renormalized, key, model.renormalized.value ? { short: 'renormalises top-k weights', long: 'renormalises each token\'s top-k weights to sum to 1' } : { short: 'does not renormalise weights', long: 'does not renormalise the top-k weights' }, model.renormalized.value, byOrder ? spec.order.value === 'score-then-topk' : renormalized);
    }
    if (model.gateBias) {
      const gateKey = spec.routerBias.sites[spec.routerBias.sites.length - 1]?.key ?? (spec.framework === 'torchtitan' ? 'gate_bias' : undefined);
      flag(spec.routerBias, spec.routerBias.value, model.gateBias, gateKey, model.gateBias.value ? { short: 'has a router gate bias', long: 'has a bias on its router gate' } : { short: 'has no router gate bias', long: 'has no bias on its router gate' }, model.gateBias.value);
    }
  },
} satisfies Rule;

