/**
 * The registry: code → rule. Codes are assigned once, in order, and never reused; the digits carry no
 * meaning (category is metadata). Keep this list sorted by code.
 */
import { publishedModelMismatch } from './MOE001-published-model-mismatch';
import { constructorDefaultMismatch } from './MOE002-constructor-default-mismatch';
import { topKOutOfRange } from './MOE003-top-k-out-of-range';
import { topKExceedsGroupReach } from './MOE004-top-k-exceeds-group-reach';
import { invalidExpertGroups } from './MOE005-invalid-expert-groups';
import { unknownScoreFunction } from './MOE006-unknown-score-function';
import { groupsWithTopkBeforeScore } from './MOE007-groups-with-topk-before-score';
import { top1SoftmaxAfterTopK } from './MOE008-top1-softmax-after-top-k';
import { aliasConflict } from './MOE009-alias-conflict';
import { softmaxRenormEquivalence } from './MOE010-softmax-renorm-equivalence';
import { normalizedTop1 } from './MOE011-normalized-top1';
import { selectionBiasDrift } from './MOE012-selection-bias-drift';
import { debugLoadBalanceOutsideDebug } from './MOE013-debug-load-balance-outside-debug';
import { valueOutOfRange } from './MOE014-value-out-of-range';
import { expertBiasWithSoftmax } from './MOE015-expert-bias-with-softmax';
import { unknownKey } from './MOE016-unknown-key';
import { histcExpertCounts } from './MOE017-histc-expert-counts';
import { sizeNameMismatch } from './MOE018-size-name-mismatch';
import { expertParallelLayout } from './MOE019-expert-parallel-layout';
import { megatronFlagConflict } from './MOE020-megatron-flag-conflict';
import { torchtitanTokenDispatcher } from './MOE021-torchtitan-token-dispatcher';
import { deepseekWorldSize } from './MOE022-deepseek-world-size';
import type { Rule } from './types';

export const ALL_RULES: readonly Rule[] = [
  publishedModelMismatch,
  constructorDefaultMismatch,
  topKOutOfRange,
  topKExceedsGroupReach,
  invalidExpertGroups,
  unknownScoreFunction,
  groupsWithTopkBeforeScore,
  top1SoftmaxAfterTopK,
  aliasConflict,
  softmaxRenormEquivalence,
  normalizedTop1,
  selectionBiasDrift,
  debugLoadBalanceOutsideDebug,
  valueOutOfRange,
  expertBiasWithSoftmax,
  unknownKey,
  histcExpertCounts,
  sizeNameMismatch,
  expertParallelLayout,
  megatronFlagConflict,
  torchtitanTokenDispatcher,
  deepseekWorldSize,
];

/**
 * Codes and names that once meant a rule now known under another code (as Ruff's rule redirects): they keep
 * working wherever a user names a rule: `--rule`, settings, `.moe-lens.toml`, suppression comments and
 * `moe-lens rule`. Add an entry when a rule is renamed or merged into another; an old code is never reused.
 */
export const RULE_REDIRECTS: Readonly<Record<string, string>> = {};

/** The rule a code or name means, following a redirect; case-insensitive for codes. */
export function findRule(codeOrName: string, rules: readonly Rule[] = ALL_RULES, redirects: Readonly<Record<string, string>> = RULE_REDIRECTS): Rule | undefined {
  const wanted = codeOrName.trim();
  const redirected = Object.hasOwn(redirects, wanted) ? redirects[wanted]! : Object.hasOwn(redirects, wanted.toUpperCase()) ? redirects[wanted.toUpperCase()]! : wanted;
  return rules.find((r) => r.code.toLowerCase() === redirected.toLowerCase() || r.name === redirected);
}

/** Every spelling that names a rule: its code, its name, and the old codes and names redirected to it. */
export function namesOf(rule: Rule, redirects: Readonly<Record<string, string>> = RULE_REDIRECTS): string[] {
  const old = Object.keys(redirects).filter((from) => redirects[from] === rule.code || redirects[from] === rule.name);
  return [rule.code, rule.name, ...old];
}
