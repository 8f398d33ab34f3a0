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
];

export function findRule(codeOrName: string): Rule | undefined {
  const wanted = codeOrName.trim();
  return ALL_RULES.find((r) => r.code.toLowerCase() === wanted.toLowerCase() || r.name === wanted);
}
